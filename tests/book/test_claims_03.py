"""Chapter 3 (the input gate and candidate memory): the claims its prose states.

The tanh-versus-σ comparison runs an untrained LSTM and is exact in what it asserts. The
write/keep model is trained from each of :data:`lstm_course.experiments.input_gate.STORE_SEEDS`
and every statement is asserted on every seed, with a margin.
"""
from __future__ import annotations

import numpy as np
import pytest

from lstm_course.experiments.input_gate import STORE_SEEDS, candidate_squash_comparison, store_r2, store_seed
from lstm_course.experiments.seeds import over_seeds
from lstm_course.tasks import make_store


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
def runs():
    return over_seeds(store_seed, STORE_SEEDS)  # the chapter's call


@pytest.mark.slow
def test_does_every_seed_learn_to_store_the_flagged_value(runs):
    assert len(runs) >= 3
    for r in runs.values():
        assert r.stats["r2"] > 0.95
        assert r.stats["corr"] > 0.95


@pytest.mark.slow
def test_does_the_input_gate_open_on_write_and_close_otherwise(runs):
    for r in runs.values():
        st = r.stats
        # prose: "opens on write steps ... closes on every other step", on every seed
        assert st["i_write"] > 0.5
        assert st["i_keep"] < 0.2
        assert st["i_write"] - st["i_keep"] > 0.4


@pytest.mark.slow
def test_does_the_forget_gate_erase_on_write_and_keep_otherwise(runs):
    for r in runs.values():
        assert r.stats["f_write"] < 0.5
        assert r.stats["f_keep"] > 0.85


@pytest.mark.slow
def test_does_holding_a_gate_at_its_average_or_f_at_one_half_break_the_recall(runs):
    for r in runs.values():
        iv = r.interventions
        assert iv["none"] == pytest.approx(r.stats["r2"], abs=1e-9)  # the clamped loop with no clamp is the model
        # prose: holding i_t at its mean "destroys the recall"
        assert iv["i_mean"] < 0.5
        # holding f_t at its mean "costs much of it"
        assert iv["f_mean"] < iv["none"] - 0.1
        # f_t = 0.5 "wipes this memory out"
        assert iv["f_half"] < 0.5
        # the held levels are the gate's own averages: a fraction that opens on few steps, and keeps on most
        assert 0 < iv["i_level"] < 0.5 < iv["f_level"] < 1


def test_does_r2_score_always_answering_the_average_as_0():
    # prose: "R² is 1 for a perfect recall and 0 for always answering the average"
    x, y = make_store(200, 6, seed=0)
    params = {k: np.zeros((1, 3)) for k in ("W_f", "W_i", "W_C", "W_o")}  # one unit, D = 2: (1, H + D)
    params |= {k: np.zeros(1) for k in ("b_f", "b_i", "b_C", "b_o")}
    params |= {"W_y": np.zeros((1, 1)), "b_y": np.array([y.mean()])}  # ŷ = mean(y) whatever the input
    assert store_r2(params, x, y) == pytest.approx(0.0, abs=1e-12)
