"""Chapter 7 (why the hidden state is the output): the claims its prose states, over the same seeds, with margins."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_course.experiments import readout as X
from lstm_course.experiments.seeds import SEEDS, over_seeds
from lstm_course.gradcheck import numerical_gradient
from lstm_course.model import init_model, loss_and_grads, predict


@pytest.fixture(scope="module")
def runs():
    return over_seeds(X.run_seed)


def test_is_the_target_the_sign_of_the_running_sum():
    x, y = X.make_who_is_ahead(5, 7, seed=0)
    assert set(np.unique(x)) <= {-1.0, 1.0}
    np.testing.assert_array_equal(y, np.sign(np.cumsum(x, axis=0)))


def test_does_the_least_squares_readout_recover_a_linear_map():
    rng = np.random.default_rng(0)
    F = rng.standard_normal((10, 20, 3))
    y = F @ np.array([[1.0], [-2.0], [0.5]]) + 0.3
    w = X.fit_linear_readout(F, y)
    np.testing.assert_allclose(w[:, 0], [1.0, -2.0, 0.5, 0.3], atol=1e-10)
    assert X.readout_mse(w, F, y) < 1e-20


@pytest.mark.parametrize("reads", X.READS)
def test_do_the_gradients_of_every_readout_match_finite_differences(reads):
    params = init_model(1, 3, 1, seed=1)
    x, y = X.make_who_is_ahead(4, 6, seed=2)
    _, grads = X.loss_and_grads_reading(params, x, y, reads)
    assert set(grads) == set(params)
    for k in params:
        num = numerical_gradient(lambda: X.loss_and_grads_reading(params, x, y, reads)[0], params[k])
        # central differences in float64 are good to about 1e-10 absolute here; W_o's entries reach 1e-5
        np.testing.assert_allclose(grads[k], num, rtol=1e-5, atol=1e-8, err_msg=k)


def test_is_reading_h_the_packages_own_model():
    params = init_model(1, 4, 1, seed=3)
    x, y = X.make_who_is_ahead(5, 8, seed=4)
    loss, grads = X.loss_and_grads_reading(params, x, y, "h")
    loss_ref, grads_ref = loss_and_grads(params, x, y, loss="mse", readout="all")
    assert loss == loss_ref and all(np.array_equal(grads[k], grads_ref[k]) for k in grads_ref)
    np.testing.assert_allclose(X.predict_reading(params, x, "h"), predict(params, x), rtol=0, atol=1e-12)


def test_does_an_unknown_readout_name_the_choices():
    with pytest.raises(ValueError, match=r"reads must be one of \('h', 'tanh_c', 'c'\).*got 'C_t'"):
        X.train_who_is_ahead(reads="C_t")


@pytest.mark.slow
def test_do_all_nine_networks_learn_the_task(runs):
    assert list(runs) == list(SEEDS)
    for res in runs.values():
        zero = res.errors["h"]["zero"][0]
        for r in X.READS:
            assert res.errors[r]["mse"][0] < 0.06 < 0.5 * zero


@pytest.mark.slow
def test_does_the_counter_units_c_count_while_its_h_reports_who_is_ahead(runs):
    for res in runs.values():
        cu = res.counter
        assert cu["corr_c"] > 0.8
        assert cu["corr_h_sign"] > cu["corr_h"] + 0.05


@pytest.mark.slow
def test_does_c_grow_with_length_while_h_stays_inside(runs):
    for res in runs.values():
        c_max = res.errors["h"]["c_max"]
        assert c_max[0] > 3.0 and c_max[1] > 1.3 * c_max[0]
        assert res.h_max_by_t.max() < 1.0
        assert res.c_max_by_t.max() == pytest.approx(c_max[2])


@pytest.mark.slow
def test_is_a_refitted_readout_much_worse_on_c_but_a_trained_one_only_somewhat(runs):
    for res in runs.values():
        refit = res.refit["mse_c"] / res.refit["mse_h"]
        trained = res.errors["c"]["mse"][0] / res.errors["h"]["mse"][0]
        assert refit > 6.0
        assert 1.15 < trained < refit / 2


@pytest.mark.slow
def test_does_reading_c_learn_more_slowly_while_tanh_c_keeps_pace(runs):
    E = 3
    for res in runs.values():
        loss = {r: res.models[r].losses[E - 1] for r in X.READS}
        assert loss["c"] > 1.4 * loss["h"]
        assert 0.7 * loss["h"] < loss["tanh_c"] < 1.3 * loss["h"]


@pytest.mark.slow
def test_do_all_readouts_degrade_alike_on_longer_sequences(runs):
    for res in runs.values():
        for r in X.READS:
            mse = res.errors[r]["mse"]
            assert mse[1] > 3 * mse[0]
            assert mse[2] > 0.5  # "at 400 steps all three fail" (answering 0 scores 0.96)
    means = [np.mean([res.errors[r]["mse"][1] for res in runs.values()]) for r in X.READS]
    assert max(means) < 1.5 * min(means)  # "no readout is reliably better there"
