"""Chapter 6 (mathematical foundations): the claims its prose states, from the same functions and seeds.

The measurements at initialization are untrained float64 computations over :data:`INIT_SEEDS`, the same
to many digits on every CPU; each seed is checked with a margin. The ablation trains, so it asserts
what the page says over :data:`ABLATION_SEEDS` with margins, never one run's numbers.
"""
from __future__ import annotations

import numpy as np
import pytest

from lstm_course.experiments.math import (
    ABLATION_CELLS, ABLATION_SEEDS, INIT_SEEDS, activation_facts, bptt_gradient_check, carousel_decay,
    forget_gate_ablation, gradient_measures, rnn_jacobian_decay,
)
from lstm_course.experiments.variants import SOLVED_MSE


def test_do_the_derivatives_peak_at_a_quarter_and_one_at_zero():
    f = activation_facts()
    assert f["dsigmoid_max"] == pytest.approx(0.25, abs=1e-9)
    assert f["dtanh_max"] == pytest.approx(1.0, abs=1e-9)
    assert f["argmax_dsigmoid"] == 0.0 and f["argmax_dtanh"] == 0.0
    assert 0 < f["sigmoid_min"] and f["sigmoid_max"] < 1
    assert -1 < f["tanh_min"] and f["tanh_max"] < 1


def test_does_lstm_backward_pass_the_gradient_check():
    errors = bptt_gradient_check()
    assert set(errors) == {"W_f", "b_f", "W_i", "b_i", "W_C", "b_C", "W_o", "b_o", "x"}
    assert max(errors.values()) < 1e-6


def test_is_the_carousel_factor_the_product_of_forget_gates():
    # with a huge forget bias every f is ~1, so the product stays ~1 over 50 steps
    assert carousel_decay(30.0)[-1] == pytest.approx(1.0, abs=1e-9)
    d = carousel_decay(1.0)
    assert d[0] == 1.0 and np.all(np.diff(d) < 0)


@pytest.fixture(scope="module")
def at_init():
    decay = {b: {s: carousel_decay(b, seed=s) for s in INIT_SEEDS} for b in (0.0, 1.0, 3.0)}
    rnn = {s: rnn_jacobian_decay(seed=s) for s in INIT_SEEDS}
    return decay, rnn


def test_does_forget_bias_1_pass_far_more_gradient_than_bias_0_on_every_seed(at_init):
    decay, _ = at_init
    for s in INIT_SEEDS:
        b0, b1, b3 = (decay[b][s] for b in (0.0, 1.0, 3.0))
        assert b0[20] < 1e-5 and b1[20] > 1e-3, s  # the page: 1e-06 to 4e-06, and 2e-03 to 4e-03
        assert b1[20] / b0[20] > 500, s  # the page: 937 to 1,473 times more
        assert b3[20] > 0.3 and b3[50] > 0.05, s  # the page: 0.37 to 0.43, and 0.09 to 0.12


def test_is_the_start_set_by_the_bias_while_the_rnn_depends_on_its_draw(at_init):
    decay, rnn = at_init
    b1 = np.array([decay[1.0][s][20] for s in INIT_SEEDS])
    r = np.array([rnn[s][20] for s in INIT_SEEDS])
    assert b1.max() / b1.min() < 3  # "the random draw hardly matters" for the LSTM
    assert r.max() / r.min() > 100  # the RNN's Jacobian spans orders of magnitude over seeds
    assert np.all(b1 > 1.3 * r)  # "the bias-1 LSTM is ahead of it on 5/5 seeds"
    b0 = np.array([decay[0.0][s][20] for s in INIT_SEEDS])
    assert np.sum(b0 < r) > len(INIT_SEEDS) / 2  # "the bias-0 LSTM behind it" on most seeds


@pytest.fixture(scope="module")
def measures():
    return {(H, D): {s: gradient_measures(50, H=H, D=D, seed=s) for s in INIT_SEEDS} for H, D in ((32, 4), (16, 2))}


def test_does_chapter_1s_measurement_give_the_wider_gap_in_the_same_networks(measures):
    for size, by_seed in measures.items():
        for s, m in by_seed.items():
            end_to_end, path = m["lstm_all"] / m["rnn_all"], m["lstm_cell"] / m["rnn_norm"]
            assert path > 1, (size, s)  # "the LSTM does start with more gradient, on every seed, by either measure"
            assert end_to_end > 10 * path, (size, s)
            assert m["lstm_all"] > 10 * m["lstm_cell"], (size, s)  # the other paths add to diag(f)
            assert m["rnn_norm"] > m["rnn_all"], (size, s)  # the best direction is generous
    assert min(m["lstm_all"] / m["rnn_all"] for m in measures[(32, 4)].values()) > 1e6  # chapter 1's claim


def test_does_the_seed_matter_more_than_the_size(measures):
    spans = {size: [m["lstm_all"] / m["rnn_all"] for m in by_seed.values()] for size, by_seed in measures.items()}
    (lo_a, hi_a), (lo_b, hi_b) = ((min(v), max(v)) for v in spans.values())
    assert lo_a < hi_b and lo_b < hi_a  # "the ranges of the two sizes overlap"
    assert all(max(v) / min(v) > 100 for v in spans.values())  # several orders of magnitude at each size


def test_does_gradient_measures_reject_a_distance_outside_the_sequence():
    with pytest.raises(ValueError, match="k must be between 1 and T-1"):
        gradient_measures(60, T=60)


@pytest.mark.slow
def test_does_removing_the_forget_gate_fail_the_last_write_task_on_every_seed():
    abl = forget_gate_ablation(steps=150)
    assert list(abl) == list(ABLATION_CELLS)
    mse = {name: np.array([r.test_mse for r in runs]) for name, runs in abl.items()}
    assert all(len(v) == len(ABLATION_SEEDS) for v in mse.values())
    # "With a forget gate the task is solved on 3/3 seeds" for both biases, with room to spare.
    assert mse["f, bias 1"].max() < SOLVED_MSE / 2 and mse["f, bias 0"].max() < SOLVED_MSE / 2
    # "Without it, on 0/3 seeds", and "even the best seed without the gate is N times worse than the worst with
    # it" (N = 13 here): at least 3 times.
    assert mse["no f (1997)"].min() > SOLVED_MSE
    assert mse["no f (1997)"].min() > 3 * max(mse["f, bias 1"].max(), mse["f, bias 0"].max())
