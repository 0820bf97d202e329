"""Chapter 8a (time series): the forecasting claims, recomputed with the chapter's seed."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_course.experiments.time_series import ar_fit, ar_predict_next, sunspot_forecast


@pytest.fixture(scope="module")
def res():
    return sunspot_forecast()  # the chapter's call: defaults, seed 0


def test_does_ar_fit_recover_a_known_recursion():
    rng = np.random.default_rng(0)
    y = np.zeros(2000)
    for t in range(2, len(y)):
        y[t] = 0.3 + 1.2 * y[t - 1] - 0.5 * y[t - 2] + 0.1 * rng.standard_normal()
    coef = ar_fit(y, 2)
    np.testing.assert_allclose(coef, [0.3, 1.2, -0.5], atol=0.03)
    assert ar_predict_next(np.array([1.0, 2.0]), coef) == pytest.approx(coef[0] + coef[1] * 2 + coef[2] * 1)


@pytest.mark.slow
def test_are_the_forecasts_one_step_ahead_on_the_held_out_years(res):
    assert res.years[0] == 1969 and len(res.years) == 40
    # persistence really is last year's value: the alignment every method shares
    np.testing.assert_array_equal(res.forecasts["persistence"][1:], res.actual[:-1])


@pytest.mark.slow
def test_does_the_lstm_remove_most_of_persistences_error_and_tie_with_linear_ar(res):
    lstm, pers, seas, ar = (res.rmse[k] for k in ("LSTM", "persistence", "seasonal naive (11 y)", "linear AR(9)"))
    assert lstm < 0.6 * pers  # the prose: removes about half of persistence's error (glued)
    assert lstm < seas
    assert abs(lstm / ar - 1) < 0.1  # "a tie within a few percent"
    assert res.loss_history[-1] < 0.2 * res.loss_history[0]  # training did converge


@pytest.mark.slow
def test_does_the_recursive_forecast_cover_one_cycle(res):
    assert len(res.recursive) == len(res.recursive_ar) == 11
    assert np.all(res.recursive >= 0)
