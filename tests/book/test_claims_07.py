"""Chapter 7 (why the hidden state is the output): the claims its prose states, from the same functions and seeds."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_course.experiments.readout import (
    compare_readouts, counter_unit, fit_linear_readout, make_who_is_ahead, readout_mse, train_who_is_ahead, what_h_reveals,
)


@pytest.fixture(scope="module")
def params():
    return train_who_is_ahead()


@pytest.fixture(scope="module")
def cmp(params):
    return compare_readouts(params)


def test_is_the_target_the_sign_of_the_running_sum():
    x, y = make_who_is_ahead(5, 7, seed=0)
    assert set(np.unique(x)) <= {-1.0, 1.0}
    np.testing.assert_array_equal(y, np.sign(np.cumsum(x, axis=0)))


def test_does_the_least_squares_readout_recover_a_linear_map():
    rng = np.random.default_rng(0)
    F = rng.standard_normal((10, 20, 3))
    y = F @ np.array([[1.0], [-2.0], [0.5]]) + 0.3
    w = fit_linear_readout(F, y)
    np.testing.assert_allclose(w[:, 0], [1.0, -2.0, 0.5, 0.3], atol=1e-10)
    assert readout_mse(w, F, y) < 1e-20


def test_does_one_units_c_count_while_its_h_reports_who_is_ahead(params):
    cu = counter_unit(params)
    assert cu["corr_c"] > 0.8
    assert cu["corr_h_sign"] > cu["corr_h"]


def test_does_c_grow_with_length_while_h_stays_inside(cmp):
    assert cmp["lengths"] == [20, 100, 400]
    assert cmp["c_max"][1] > 1.5 * cmp["c_max"][0] > 1.5
    assert cmp["c_max"][2] >= cmp["c_max"][1] * 0.9
    assert max(cmp["h_max"]) < 1.0


def test_is_the_readout_on_h_better_than_on_c(cmp):
    assert cmp["mse_c"][0] > 5 * cmp["mse_h"][0]
    assert cmp["mse_h"][1] < cmp["mse_c"][1]
    assert cmp["mse_h"][2] > 0.3 and cmp["mse_c"][2] > 0.3  # at 400 steps both fail, as the prose says


def test_does_the_output_gate_hide_the_held_value():
    hide = what_h_reveals()
    assert hide["corr_c"] > 0.95
    assert hide["h_wait"] < 0.3 * hide["c_wait"]
    assert hide["h_query"] > 5 * hide["h_wait"]
    assert hide["o_wait"] < 0.35 < 0.8 < hide["o_query"]
    assert hide["silence"] < 0.1
