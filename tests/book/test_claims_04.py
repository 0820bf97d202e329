"""Chapter 4 (the output gate and the hidden state): the claims its prose states."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_course.experiments.forget_gate import train_agreement_model
from lstm_course.experiments.output_gate import agreement_state_ranges, growing_cell, recall_stats, train_recall_model


def test_does_tanh_bound_h_while_c_grows_without_bound():
    g = growing_cell(50)
    np.testing.assert_allclose(g["c"], np.arange(1, 51), rtol=1e-6)
    assert np.all(np.abs(g["h"]) <= 1.0)  # pinned just below 1, never above
    assert g["h"][0] == pytest.approx(np.tanh(1.0), abs=1e-6)


def test_does_the_agreement_models_memory_exceed_1_while_h_stays_inside():
    ranges = agreement_state_ranges(train_agreement_model().params)
    assert ranges["c_max"] > 5 * ranges["c_max_short"]  # grows with the clause
    assert ranges["c_max"] > 5
    assert ranges["h_max"] < 1.0


@pytest.fixture(scope="module")
def stats():
    return recall_stats(train_recall_model())


def test_does_the_model_stay_silent_then_answer(stats):
    assert stats["silence"] < 0.1
    assert stats["r2"] > 0.95


def test_does_the_answering_unit_hold_the_value_with_its_output_gate_mostly_shut(stats):
    assert stats["corr_c"] > 0.95
    assert stats["o_wait"] < 0.35
    assert stats["o_query"] > 0.8


def test_does_a_partner_unit_shut_its_gate_at_the_query_after_leaking_while_waiting(stats):
    partner = int(np.argmin(stats["o_units_query"]))
    assert partner != stats["unit"]
    assert stats["o_units_query"][partner] < 0.2
    assert stats["o_units_wait"][partner] > 0.3
    # it holds the value too, and the two leaks cancel: each alone would break the silence
    assert stats["corr_units"][partner] > 0.9
    for unit in (stats["unit"], partner):
        assert stats["leak_units"][unit] > 3 * stats["silence"]
