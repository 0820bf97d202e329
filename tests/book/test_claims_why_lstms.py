"""Chapter 1's claims, computed by the same functions and seeds as book/01_why_lstms.ipynb.

The gradient measurements are untrained float64 computations on :data:`INIT_SEEDS` random networks,
the same to many digits on every CPU: each seed is checked against the range the page prints, with a
margin. The adding-problem sweep is training, which turns a CPU's last bits into a different model:
the stored file is checked for the statements the page makes, and a slow spot-check retrains a
sample of its cells and asserts only which side of the threshold each lands on, with a margin, never
the stored numbers.
"""
from __future__ import annotations

import numpy as np
import pytest

from lstm_course.experiments import why_lstms as ex

SEEDS = ex.INIT_SEEDS


@pytest.fixture(scope="module")
def decays():
    return {s: ex.gradient_vs_distance(T=60, N=32, D=4, H=32, rnn_scale=1.0, forget_bias=1.0, seed=s) for s in SEEDS}


def test_does_the_rnn_gradient_vanish_geometrically_on_every_seed(decays):
    for s, d in decays.items():
        # The page: a factor of 0.52 to 0.65 per step; 6e-15 to 2e-10 left after 50 steps.
        assert 0.45 < d.factor_per_step("rnn") < 0.72, s
        assert d.ratio("rnn", 50) < 1e-8, s
        # Geometric: the log-norm is close to a straight line in k (the fit explains it).
        logs = np.log(d.rnn[5:])
        fit = np.polyval(np.polyfit(d.k[5:], logs, 1), d.k[5:])
        assert 1 - ((logs - fit) ** 2).sum() / ((logs - logs.mean()) ** 2).sum() > 0.95, s


def test_does_the_lstm_gradient_reach_much_further_back_on_every_seed(decays):
    for s, d in decays.items():
        # The page: 0.83 to 0.89 per step, 9e+06 to 2e+10 times the RNN's after 50 steps, f near σ(1).
        assert 0.78 < d.factor_per_step("lstm") < 0.95, s
        assert d.factor_per_step("lstm") > d.factor_per_step("rnn") + 0.15, s
        assert d.ratio("lstm", 50) / d.ratio("rnn", 50) > 1e6, s
        assert d.forget_mean == pytest.approx(0.731, abs=0.02), s


def test_does_scaling_the_rnn_weights_trade_vanishing_for_exploding():
    for s in SEEDS:
        ratios = {k: (g := ex.rnn_gradient_norms(rnn_scale=k, seed=s))[50] / g[0] for k in (0.5, 1.0, 2.0, 3.0)}
        assert ratios[0.5] < ratios[1.0] < ratios[2.0] < ratios[3.0], s
        assert ratios[3.0] > 1.5, s  # the page: "3e+00 to 5e+01 times the first one: it explodes"


def test_does_a_larger_forget_bias_open_the_lstm_path_without_exploding():
    for s in SEEDS:
        out = {b: ex.lstm_gradient_norms(forget_bias=b, seed=s) for b in (0.0, 1.0, 2.0, 3.0)}
        ratios = {b: g[50] / g[0] for b, (g, _) in out.items()}
        assert ratios[0.0] < ratios[1.0] < ratios[2.0] < ratios[3.0], s
        assert 0.3 < ratios[3.0] < 1.5, s  # the page: "0.47 to 0.93 of the gradient survives"; nothing explodes
        assert out[3.0][1] == pytest.approx(0.95, abs=0.015), s


def test_do_the_probe_networks_fail_on_a_bad_scale():
    with pytest.raises(ValueError, match="rnn_scale must be positive"):
        ex.probe_networks(rnn_scale=0.0)


def test_is_the_adding_problem_generated_as_described():
    x, y = ex.adding_problem(T=40, N=200, seed=1)
    assert x.shape == (40, 200, 2) and y.shape == (200, 1)
    markers = x[:, :, 1]
    assert (markers.sum(axis=0) == 2).all()
    assert (markers[:20].sum(axis=0) == 1).all() and (markers[20:].sum(axis=0) == 1).all()
    np.testing.assert_allclose(y[:, 0], (x[:, :, 0] * markers).sum(axis=0), rtol=1e-6)
    with pytest.raises(ValueError, match="T >= 2"):
        ex.adding_problem(T=1, N=1)


@pytest.fixture(scope="module")
def sweep():
    return ex.by_cell(ex.load_runs())


def test_does_the_stored_sweep_cover_every_length_and_seed(sweep):
    assert len(ex.SWEEP_SEEDS) >= 3
    assert set(sweep) == {(cell, T) for cell in ("lstm", "rnn") for T in ex.LONG_LENGTHS}
    for key, by_seed in sweep.items():
        assert tuple(by_seed) == ex.SWEEP_SEEDS, key
        assert all(r.hidden == ex.LONG_SETTINGS["hidden"] for r in by_seed.values()), key


def test_does_the_stored_sweep_show_what_the_page_says(sweep):
    max_steps = ex.LONG_SETTINGS["max_steps"]
    # "The LSTM solves the adding problem at every length on 5/5 seeds."
    for T in ex.LONG_LENGTHS:
        assert all(r.solved and r.test_mse < ex.SUCCESS_MSE for r in sweep[("lstm", T)].values()), T
    # "The tanh RNN solves T = 10 on 5/5 seeds; at T = 20 it is at its edge" (some seeds, not all).
    assert all(r.solved for r in sweep[("rnn", 10)].values())
    assert 0 < sum(r.solved for r in sweep[("rnn", 20)].values()) < len(ex.SWEEP_SEEDS)
    # "At T = 30 and beyond it fails here on every seed", the whole budget spent ...
    for T in (30, 50, 100):
        for seed, r in sweep[("rnn", T)].items():
            assert not r.solved and r.steps_run == max_steps, (T, seed, r)
    # ... "from T = 50 on every seed stays more than ten times above the threshold" (near 1/6).
    for T in (50, 100):
        assert all(r.test_mse > 10 * ex.SUCCESS_MSE for r in sweep[("rnn", T)].values()), T
    # At T = 30 the page says the RNN is not yet at a hard limit: its best seed is within ten times.
    assert min(r.test_mse for r in sweep[("rnn", 30)].values()) < 10 * ex.SUCCESS_MSE


#: Cells of the sweep the spot-check retrains: ones whose outcome is far from the threshold on every
#: machine tried (the whole sweep was rerun with native AVX-512, AVX2 and x86-64-v2 kernels). The RNN at
#: T = 20 and 30 is left out on purpose: it sits at the threshold, and which of its seeds succeed differs
#: from one CPU to another (T = 20: 1/5 seeds natively, 4/5 on x86-64-v2; T = 30: 0/5 and 1/5).
SPOT_CHECK = [("lstm", 100, 0), ("rnn", 10, 4), ("rnn", 50, 1)]


@pytest.mark.slow
@pytest.mark.parametrize(("cell", "T", "seed"), SPOT_CHECK)
def test_does_retraining_a_cell_of_the_sweep_land_on_the_same_side_with_a_margin(sweep, cell, T, seed):
    """Retrains one stored run (seconds to a quarter of a minute each): the file is not a hand-made result."""
    stored = sweep[(cell, T)][seed]
    run = ex.train_adding(cell, T, seed=seed, **ex.LONG_SETTINGS)
    max_steps = ex.LONG_SETTINGS["max_steps"]
    assert run.solved == stored.solved, (run, stored)
    if stored.solved:  # solved with at least a fifth of the budget to spare
        assert run.steps_run <= 0.8 * max_steps, run
    else:  # the whole budget spent, and still at least five times the threshold
        assert run.steps_run == max_steps and run.test_mse > 5 * ex.SUCCESS_MSE, run
