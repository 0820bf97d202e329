"""Chapter 9 (summary): the parameter counts its prose states, counted from the layers themselves."""
from __future__ import annotations

from lstm_course.experiments.variants import parameter_counts


def test_do_the_parameter_counts_follow_the_formulas():
    D, H = 10, 32
    c = parameter_counts(D, H)
    assert c["lstm"] == 4 * H * (H + D) + 4 * H == 5504
    assert c["torch.nn.LSTM"] == c["lstm"] + 4 * H  # two biases per gate
    assert c["peephole"] == c["lstm"] + 3 * H
    assert c["cifg"] == c["nfg"] == 3 * H * (H + D) + 3 * H
    assert c["gru"] == 3 * (H * D + H * H + 2 * H)
    assert 0.7 < c["gru"] / c["lstm"] < 0.8  # "about three quarters"
