"""Chapter 8d (healthcare): the early-warning claims, recomputed with the chapter's seed."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_course.experiments.healthcare import auroc, early_warning


def test_is_auroc_the_probability_that_a_positive_outranks_a_negative():
    assert auroc(np.array([0.9, 0.8, 0.1]), np.array([1, 1, 0])) == 1.0
    assert auroc(np.array([0.1, 0.9]), np.array([1, 0])) == 0.0
    assert auroc(np.array([0.5, 0.5]), np.array([1, 0])) == 0.5
    with pytest.raises(ValueError, match="at least one positive"):
        auroc(np.array([0.5]), np.array([0]))


@pytest.mark.slow
def test_does_the_lstm_warn_more_patients_and_earlier_at_the_same_false_alarm_rate():
    res = early_warning()
    assert res.auroc["snapshot score"] > 0.9 and res.auroc["LSTM"] > 0.9  # "both rank patients well"
    assert res.auroc["LSTM"] >= res.auroc["snapshot score"]
    assert res.detected["LSTM"] >= res.detected["snapshot score"] + 0.1
    assert res.lead_hours["LSTM"] >= res.lead_hours["snapshot score"] + 2
    # the thresholds really allow 10 % false alarms among stable patients
    stable = res.test.event == 0
    for name, r in res.risk.items():
        assert abs(np.mean(r[stable].max(axis=1) > res.threshold[name]) - 0.1) < 0.02
