"""Chapter 9 (summary): the parameter counts its prose states, counted from the layers themselves.

Its sentences about chapters 5 and 7 restate those chapters' results in words; tests/book/test_claims_05.py
and test_claims_07.py assert them. The variants' own counts (peepholes, CIFG, the GRU's formula under the
book's one convention) are chapter 9a's, asserted in test_claims_09a.py.
"""
from __future__ import annotations

from lstm_course.experiments.variants import parameter_counts


def test_do_the_parameter_counts_follow_the_formulas():
    D, H = 10, 32
    c = parameter_counts(D, H)
    assert c["lstm"] == 4 * H * (H + D) + 4 * H == 5504  # "4H(H + D) + 4H"
    assert c["torch.nn.LSTM"] == c["lstm"] + 4 * H  # "two bias vectors per gate that always appear summed"
    assert 0.7 < c["gru"] / c["lstm"] < 0.8  # "about three quarters"
