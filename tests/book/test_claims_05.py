"""Chapter 5 (hidden state vs cell state): the claims its prose states, over the same seeds, with margins.

The page quotes the numbers of its own build (glued); these tests assert the statements those
numbers support, with room for another CPU's rounding to train slightly different models.
"""
from __future__ import annotations

import numpy as np
import pytest

from lstm_course.experiments import hidden_vs_cell as X
from lstm_course.experiments.seeds import SEEDS, over_seeds
from lstm_course.model import init_model, predict


@pytest.fixture(scope="module")
def runs():
    return over_seeds(X.run_seed)


def test_are_the_targets_the_present_value_and_the_written_one():
    x, y = X.make_now_and_then(50, seed=4)
    np.testing.assert_array_equal(y[..., 0], x[..., 0])
    write = np.argmax(x[:, :, 1], axis=0)
    assert np.all(x[:, :, 1].sum(axis=0) == 1)
    assert write.max() <= X.T_SWAP  # every sequence has written by the swap step
    for k in range(50):
        assert np.all(y[:write[k], k, 1] == 0)
        assert np.all(y[write[k]:, k, 1] == x[write[k], k, 0])


def test_does_the_unpatched_run_reproduce_the_models_own_outputs():
    """The step-by-step run that the swaps start from is the model itself when nothing is swapped."""
    params = init_model(2, X.HIDDEN, 2, seed=7)
    x, _ = X.make_now_and_then(6, seed=5)
    tr = X.trace(params, x)
    t0 = X.T_SWAP
    resumed = X._run_from(params, x[t0 + 1:], tr["h"][t0], tr["c"][t0])
    np.testing.assert_allclose(resumed, predict(params, x)[t0 + 1:], rtol=0, atol=1e-12)


def test_does_a_probe_score_one_on_a_state_that_is_the_target():
    x, y = X.make_now_and_then(40, seed=6)
    fake = {"h": np.concatenate([y, np.zeros(y.shape[:2] + (1,))], axis=-1), "c": 2.0 * y - 1.0}
    for state in ("h", "c"):
        assert X.probe_r2(fake, x, y)[state]["now"] == pytest.approx(1.0)
        assert X.probe_r2(fake, x, y)[state]["then"] == pytest.approx(1.0)


@pytest.mark.slow
def test_does_the_model_do_both_jobs_on_every_seed(runs):
    assert list(runs) == list(SEEDS)
    for r in runs.values():  # answering 0 scores 1/3 on each output
        assert r.mse_now < 0.01 and r.mse_then < 0.01


@pytest.mark.slow
def test_do_both_states_hold_both_values_at_one_step(runs):
    for r in runs.values():
        for state in ("h", "c"):
            assert r.probes[state]["now"] > 0.95 and r.probes[state]["then"] > 0.95


@pytest.mark.slow
def test_does_h_move_less_than_c_in_nearly_every_unit(runs):
    slower = sum(int(np.sum(r.units.dh < r.units.dc)) for r in runs.values())
    assert slower >= 0.8 * X.HIDDEN * len(runs)
    for r in runs.values():
        assert r.units.dh.mean() < 0.8 * r.units.dc.mean()


@pytest.mark.slow
def test_do_the_cell_states_have_short_and_long_time_constants(runs):
    for r in runs.values():
        assert r.units.tau.min() < 2.5 and r.units.tau.max() > 4.0


@pytest.mark.slow
def test_do_both_states_carry_a_lasting_share_of_the_memory_with_c_the_larger(runs):
    for r in runs.values():
        share_c, share_h = r.swaps["swap C"].mean(), r.swaps["swap h"].mean()
        assert 0.55 < share_c < 0.9 and 0.1 < share_h < 0.42
        assert share_c > 1.8 * share_h
        assert 0.85 < share_c + share_h < 1.1  # "between them the whole memory"
        for name in ("swap C", "swap h"):  # "both effects last to the end of the sequence"
            assert r.swaps[name][-1] > 0.75 * r.swaps[name][0]


@pytest.mark.slow
def test_does_a_value_in_c_alone_outlast_one_in_h_alone(runs):
    for r in runs.values():
        left_c, left_h = X.retained(r.swaps["C alone"]), X.retained(r.swaps["h alone"])
        assert left_c > 0.25 and left_h < 0.1
        assert left_c > 4 * left_h
        assert r.swaps["C alone"][-1] < 0.6 * r.swaps["C alone"][0]  # "fading at the pace of the forget gates"


@pytest.mark.slow
def test_is_the_memory_shared_by_a_few_units(runs):
    for r in runs.values():
        best = r.swaps["unit_c"].max()
        assert 0.15 < best < 0.85 * r.swaps["swap C"].mean()
        assert r.memory_unit == int(np.argmax(r.swaps["unit_c"]))
