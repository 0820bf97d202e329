"""Chapter 1's claims, computed by the same functions and seeds as book/01_why_lstms.ipynb."""
from __future__ import annotations

import pytest

from lstm_course.experiments import why_lstms as ex


@pytest.fixture(scope="module")
def decay():
    return ex.gradient_vs_distance(T=60, N=32, D=4, H=32, rnn_scale=1.0, forget_bias=1.0, seed=0)


def test_does_the_rnn_gradient_vanish_geometrically(decay):
    # The chapter: "shrinks by a factor of about 0.52 per step; after 50 steps 7e-15 is left".
    assert decay.factor_per_step("rnn") == pytest.approx(0.52, abs=0.01)
    assert decay.ratio("rnn", 50) < 1e-13
    # Geometric: the log-norm is close to a straight line in k (the fit explains it).
    import numpy as np

    logs = np.log(decay.rnn[5:])
    fit = np.polyval(np.polyfit(decay.k[5:], logs, 1), decay.k[5:])
    assert 1 - ((logs - fit) ** 2).sum() / ((logs - logs.mean()) ** 2).sum() > 0.98


def test_does_the_lstm_gradient_reach_much_further_back(decay):
    assert decay.factor_per_step("lstm") == pytest.approx(0.84, abs=0.01)
    assert decay.ratio("lstm", 50) == pytest.approx(1.4e-4, rel=0.1)
    assert decay.ratio("lstm", 50) / decay.ratio("rnn", 50) > 1e9
    assert decay.forget_mean == pytest.approx(0.73, abs=0.005)  # σ(1) ≈ 0.731


def test_does_scaling_the_rnn_weights_trade_vanishing_for_exploding():
    ratios = {s: (g := ex.rnn_gradient_norms(rnn_scale=s, seed=0))[50] / g[0] for s in (0.5, 1.0, 2.0, 3.0)}
    assert ratios[0.5] < ratios[1.0] < ratios[2.0] < 1 < ratios[3.0]
    assert ratios[3.0] > 5  # the chapter: "1e+01 times the first one: it explodes"


def test_does_a_larger_forget_bias_open_the_lstm_path_without_exploding():
    out = {b: ex.lstm_gradient_norms(forget_bias=b, seed=0) for b in (0.0, 1.0, 2.0, 3.0)}
    ratios = {b: g[50] / g[0] for b, (g, _) in out.items()}
    assert ratios[0.0] < ratios[1.0] < ratios[2.0] < ratios[3.0]
    assert 0.3 < ratios[3.0] < 2.0  # "0.49 of the gradient survives 50 steps"; nothing explodes
    assert out[3.0][1] == pytest.approx(0.95, abs=0.01)


def test_is_the_adding_problem_generated_as_described():
    import numpy as np

    x, y = ex.adding_problem(T=40, N=200, seed=1)
    assert x.shape == (40, 200, 2) and y.shape == (200, 1)
    markers = x[:, :, 1]
    assert (markers.sum(axis=0) == 2).all()
    assert (markers[:20].sum(axis=0) == 1).all() and (markers[20:].sum(axis=0) == 1).all()
    np.testing.assert_allclose(y[:, 0], (x[:, :, 0] * markers).sum(axis=0), rtol=1e-6)
    with pytest.raises(ValueError, match="T >= 2"):
        ex.adding_problem(T=1, N=1)


def _claim_holds(runs: list[ex.AddingRun]) -> None:
    """The chapter's statement: the LSTM solves every length up to 100; the RNN solves 10 and 20, fails from 30 on."""
    by = {(r.cell, r.T): r for r in runs}
    assert {T for (_, T) in by} == {10, 20, 30, 50, 100}
    for T in (10, 20, 30, 50, 100):
        assert by[("lstm", T)].solved, by[("lstm", T)]
    for T in (10, 20):
        assert by[("rnn", T)].solved, by[("rnn", T)]
    for T in (30, 50, 100):
        r = by[("rnn", T)]
        assert not r.solved and r.steps_run == 1500 and r.test_mse > 0.1, r  # near the 1/6 baseline


def test_does_the_stored_sweep_the_chapter_plots_show_the_claim():
    _claim_holds(ex.load_runs())


@pytest.mark.slow
def test_does_rerunning_the_sweep_reproduce_the_stored_outcome():
    """Retrains all ten models (about a minute of CPU): the stored file is not a hand-made result."""
    runs = ex.adding_sweep(ex.LONG_LENGTHS, **ex.LONG_SETTINGS)
    _claim_holds(runs)
    stored = {(r.cell, r.T): r for r in ex.load_runs()}
    for r in runs:
        s = stored[(r.cell, r.T)]
        assert r.solved == s.solved
        # Same seeds, one thread: the same machine gives the same numbers; others may differ slightly.
        assert r.test_mse == pytest.approx(s.test_mse, rel=0.25, abs=0.002), (r, s)
