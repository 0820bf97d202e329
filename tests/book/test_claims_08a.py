"""Chapter 8a (time series): the forecasting claims, over the chapter's seeds."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_course.experiments.seeds import SEEDS
from lstm_course.experiments.time_series import ar_fit, ar_predict_next, horizon_rmse, sunspot_forecast_over_seeds


@pytest.fixture(scope="module")
def runs():
    return sunspot_forecast_over_seeds()  # the chapter's call: defaults, seeds 0-2


def test_does_ar_fit_recover_a_known_recursion():
    rng = np.random.default_rng(0)
    y = np.zeros(2000)
    for t in range(2, len(y)):
        y[t] = 0.3 + 1.2 * y[t - 1] - 0.5 * y[t - 2] + 0.1 * rng.standard_normal()
    coef = ar_fit(y, 2)
    np.testing.assert_allclose(coef, [0.3, 1.2, -0.5], atol=0.03)
    assert ar_predict_next(np.array([1.0, 2.0]), coef) == pytest.approx(coef[0] + coef[1] * 2 + coef[2] * 1)


def test_is_the_horizon_rmse_scored_on_the_first_years_only():
    assert horizon_rmse(np.array([1.0, 3.0]), np.array([1.0, 1.0, 100.0])) == pytest.approx(np.sqrt(2))


@pytest.mark.slow
def test_are_the_forecasts_one_step_ahead_on_the_held_out_years(runs):
    assert tuple(runs) == SEEDS
    for res in runs.values():
        assert res.years[0] == 1969 and len(res.years) == 40
        # persistence really is last year's value: the alignment every method shares
        np.testing.assert_array_equal(res.forecasts["persistence"][1:], res.actual[:-1])


@pytest.mark.slow
def test_does_the_lstm_remove_about_half_of_persistences_error_and_tie_with_linear_ar(runs):
    for res in runs.values():  # the page: "on every seed", "a tie within a few percent"
        lstm, pers, seas, ar = (res.rmse[k] for k in ("LSTM", "persistence", "seasonal naive (11 y)", "linear AR(9)"))
        assert lstm < 0.6 * pers
        assert lstm < seas
        assert abs(lstm / ar - 1) < 0.1
        assert res.loss_history[-1] < 0.2 * res.loss_history[0]  # training did converge


@pytest.mark.slow
def test_does_every_recursive_forecast_carry_the_cycle_down_and_up_again(runs):
    years = runs[0].years[:11]
    paths = [r.recursive for r in runs.values()] + [runs[0].recursive_ar]
    for path in paths:
        assert len(path) == 11 and np.all(path >= 0)
        low = int(np.argmin(path))
        assert 1972 <= years[low] <= 1978  # "down to the minimum of the mid-1970s"
        assert path[-1] > path[low] + 20  # "and up again"
