"""Chapter 5 (hidden state vs cell state): the claims its prose states, from the same functions and seeds."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_course.experiments.hidden_vs_cell import make_now_and_then, memory_report, train_now_and_then


@pytest.fixture(scope="module")
def report():
    return memory_report(train_now_and_then())[0]


def test_are_the_targets_the_present_value_and_the_written_one():
    x, y = make_now_and_then(50, seed=4)
    np.testing.assert_array_equal(y[..., 0], x[..., 0])
    write = np.argmax(x[:, :, 1], axis=0)
    assert np.all(x[:, :, 1].sum(axis=0) == 1)
    for k in range(50):
        assert np.all(y[:write[k], k, 1] == 0)
        assert np.all(y[write[k]:, k, 1] == x[write[k], k, 0])


def test_does_the_model_do_both_jobs(report):
    # guessing 0 scores about 1/3 on each output
    assert report.mse_now < 0.01
    assert report.mse_then < 0.01


def test_does_one_units_cell_state_hold_the_written_value(report):
    assert report.corr_c > 0.95
    assert report.f_units[report.unit] == max(report.f_units)  # the memory unit forgets least
    assert report.autocorr_c > 0.95


def test_does_h_change_much_more_than_the_memory_units_c(report):
    assert report.dh_mean > 2.5 * report.dc_memory
    assert report.autocorr_h < report.autocorr_c - 0.3
    assert report.dc_units.max() > 5 * report.dc_memory  # other units' C_t do short-term work
