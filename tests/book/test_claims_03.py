"""Chapter 3 (the input gate and candidate memory): the claims its prose states."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_course.experiments.input_gate import candidate_squash_comparison, store_gate_stats, train_store_model


def test_can_only_a_tanh_candidate_write_negative_values():
    cmp = candidate_squash_comparison()
    assert cmp["tanh"]["negative_writes"] > 0.25
    assert cmp["tanh"]["c_min"] < 0 < cmp["tanh"]["c_max"]
    # σ in its place: no write is negative, so C_t never goes below zero (it starts at 0)
    assert cmp["sigmoid"]["negative_writes"] == 0.0
    assert cmp["sigmoid"]["c_min"] >= 0.0
    # and with f_t = 1 it could only grow: C_t - f_t C_{t-1} = i_t C̃_t > 0 at every step
    tr = cmp["sigmoid"]["traces"]
    c_prev = np.concatenate([np.zeros_like(tr["c"][:1]), tr["c"][:-1]])
    assert np.all(tr["c"] - tr["f"] * c_prev > 0)


@pytest.fixture(scope="module")
def stats():
    return store_gate_stats(train_store_model())


def test_does_the_model_learn_to_store_the_flagged_value(stats):
    assert stats["r2"] > 0.99
    assert stats["corr"] > 0.95


def test_does_the_input_gate_open_on_write_and_close_otherwise(stats):
    assert stats["i_write"] > 0.8
    assert stats["i_keep"] < 0.15


def test_does_the_forget_gate_erase_on_write_and_keep_otherwise(stats):
    assert stats["f_write"] < 0.3
    assert stats["f_keep"] > 0.9
