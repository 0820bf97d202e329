"""Chapter 6 (mathematical foundations): the claims its prose states, from the same functions and seeds."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_course.experiments.math import (
    activation_facts, bptt_gradient_check, carousel_decay, forget_gate_ablation, rnn_jacobian_decay,
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


def test_does_forget_bias_1_pass_far_more_gradient_than_bias_0():
    b0, b1, b3 = carousel_decay(0.0), carousel_decay(1.0), carousel_decay(3.0)
    assert b0[20] < 1e-5 and b1[20] > 1e-3  # the printed 2e-06 and 3e-03
    assert b1[20] / b0[20] > 500
    assert b3[20] > 0.3 and b3[50] > 0.05


def test_is_the_random_rnn_in_the_range_of_the_bias_1_lstm():
    rnn, b1 = rnn_jacobian_decay(), carousel_decay(1.0)
    assert 0.1 < rnn[20] / b1[20] < 10


@pytest.mark.slow
def test_does_removing_the_forget_gate_fail_the_last_write_task():
    abl = forget_gate_ablation(seeds=(0, 1, 2), steps=150)
    assert abl["f, bias 1"]["solved"] == 3 and abl["f, bias 0"]["solved"] == 3
    assert abl["no f (1997)"]["solved"] == 0
    assert abl["no f (1997)"]["mean_mse"] > 10 * abl["f, bias 1"]["mean_mse"]
    assert abl["no f (1997)"]["mean_mse"] > SOLVED_MSE
