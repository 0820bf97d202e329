"""Do the hand-written backward passes match central differences, and does the checker itself work?

For an upstream gradient ``dout`` and a function's outputs ``y``, the scalar ``L = Σ dout ⊙ y``
has ∂L/∂θ equal to what the backward pass returns for θ. ``numerical_gradient`` estimates it as
(L(θ+ε) - L(θ-ε)) / 2ε, entry by entry, with error O(ε²) + O(eps64/ε) ≈ 1e-10 relative for
ε = 1e-6 in float64: ``check_gradient``'s default tolerance 1e-6 is far above that noise and
far below what a wrong term gives (relative error of order 1e-2 to 1).
"""
from __future__ import annotations

import numpy as np
import pytest

from lstm_course import (
    LSTM_KEYS,
    check_gradient,
    init_rnn_params,
    lstm_backward,
    lstm_backward_fast,
    lstm_cell_backward,
    lstm_cell_forward,
    lstm_forward,
    lstm_forward_fast,
    numerical_gradient,
    relative_error,
    rnn_backward,
    rnn_forward,
)

TOL = 1e-7  # tighter than the default: these functions are smooth and O(1), so we can afford it


def test_cell_step_every_input_and_parameter(lstm_inputs):
    """Is lstm_cell_backward right for x_t, h_prev, c_prev and all eight parameters?"""
    x, h_prev, c_prev, params = lstm_inputs(T=1, N=3, D=4, H=3, seed=11)
    x_t = x[0].copy()
    r = np.random.default_rng(12)
    dh_t, dc_t = r.normal(size=h_prev.shape), r.normal(size=c_prev.shape)

    def outputs():
        h_t, c_t, _ = lstm_cell_forward(x_t, h_prev, c_prev, params)
        return np.concatenate([h_t, c_t])

    dout = np.concatenate([dh_t, dc_t])  # L = Σ dh_t ⊙ h_t + Σ dc_t ⊙ C_t
    _, _, cache = lstm_cell_forward(x_t, h_prev, c_prev, params)
    dx_t, dh_prev, dc_prev, grads = lstm_cell_backward(dh_t, dc_t, cache)

    for name, arr, ana in (("x_t", x_t, dx_t), ("h_prev", h_prev, dh_prev), ("c_prev", c_prev, dc_prev)):
        check_gradient(outputs, arr, ana, dout, name=name, tol=TOL)
    for k in LSTM_KEYS:
        check_gradient(outputs, params[k], grads[k], dout, name=k, tol=TOL)


@pytest.mark.parametrize("path", ["teaching", "fast"])
def test_sequence_bptt_every_input_and_parameter(path, lstm_inputs):
    """Is BPTT right for x, h0, c0 and every parameter, including gradients into h_T and C_T?"""
    forward, backward = {"teaching": (lstm_forward, lstm_backward), "fast": (lstm_forward_fast, lstm_backward_fast)}[path]
    T, N, D, H = 4, 2, 3, 3
    x, h0, c0, params = lstm_inputs(T, N, D, H, seed=21)
    r = np.random.default_rng(22)
    dh, dh_T, dc_T = r.normal(size=(T, N, H)), r.normal(size=(N, H)), r.normal(size=(N, H))

    def loss():
        h, (h_T, c_T), _ = forward(x, params, h0, c0)
        return np.sum(dh * h) + np.sum(dh_T * h_T) + np.sum(dc_T * c_T)

    _, _, cache = forward(x, params, h0, c0)
    dx, dh0, dc0, grads = backward(dh, cache, dh_T, dc_T)
    for name, arr, ana in (("x", x, dx), ("h0", h0, dh0), ("c0", c0, dc0)):
        check_gradient(loss, arr, ana, name=name, tol=TOL)
    for k in LSTM_KEYS:
        check_gradient(loss, params[k], grads[k], name=k, tol=TOL)


def test_sequence_gradient_reaches_the_first_step(lstm_inputs):
    """With the loss on h_T only, is dx[0] non-zero (and right)? A BPTT that drops dh_next fails here."""
    T, N, D, H = 6, 1, 2, 3
    x, h0, c0, params = lstm_inputs(T, N, D, H, seed=5)
    dh_T = np.ones((N, H))
    _, _, cache = lstm_forward(x, params, h0, c0)
    dx, _, _, _ = lstm_backward(np.zeros((T, N, H)), cache, dh_T=dh_T)
    assert np.abs(dx[0]).max() > 1e-4
    check_gradient(lambda: np.sum(lstm_forward(x, params, h0, c0)[1][0]), x, dx, name="x", tol=TOL)


def test_vanilla_rnn_bptt():
    """Is rnn_backward right for x, h0, W and b (with an extra gradient into h_T)?"""
    T, N, D, H = 5, 2, 3, 4
    r = np.random.default_rng(31)
    params = init_rnn_params(D, H, seed=r)
    x, h0 = r.normal(size=(T, N, D)), 0.5 * r.normal(size=(N, H))
    dh, dh_T = r.normal(size=(T, N, H)), r.normal(size=(N, H))

    def loss():
        h, h_T, _ = rnn_forward(x, params, h0)
        return np.sum(dh * h) + np.sum(dh_T * h_T)

    _, _, cache = rnn_forward(x, params, h0)
    dx, dh0, grads = rnn_backward(dh, cache, dh_T)
    assert set(grads) == {"W", "b"}
    for name, arr, ana in (("x", x, dx), ("h0", h0, dh0), ("W", params["W"], grads["W"]), ("b", params["b"], grads["b"])):
        check_gradient(loss, arr, ana, name=name, tol=TOL)


# --- the checker itself ------------------------------------------------------------------------


def test_numerical_gradient_of_known_function():
    """Does it get d/dx Σ sin(x) ⊙ w = cos(x) ⊙ w to ~1e-10, and leave x as it found it?"""
    r = np.random.default_rng(0)
    x, w = r.normal(size=(3, 4)), r.normal(size=(3, 4))
    x0 = x.copy()
    g = numerical_gradient(lambda: np.sin(x), x, w)
    np.testing.assert_allclose(g, np.cos(x) * w, rtol=1e-8, atol=1e-10)
    np.testing.assert_array_equal(x, x0)
    # Scalar form (dout=None):
    g2 = numerical_gradient(lambda: np.sum(x**3), x)
    np.testing.assert_allclose(g2, 3 * x**2, rtol=1e-8, atol=1e-10)


def test_check_gradient_catches_a_wrong_gradient():
    """Does a deliberately wrong gradient (forgot the factor 2) fail, naming the worst entry?"""
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    f = lambda: np.sum(x**2)  # noqa: E731
    assert check_gradient(f, x, 2 * x, name="x") < 1e-8
    with pytest.raises(AssertionError, match=r"gradient of x is wrong: relative error .* worst entry \(1, 1\): numerical 6, analytic 3"):
        check_gradient(f, x, x, name="x")
    with pytest.raises(AssertionError, match=r"gradient of W: analytic has shape \(2,\), expected \(2, 2\)"):
        check_gradient(f, x, np.ones(2), name="W")


def test_check_gradient_catches_a_transposed_weight_gradient(lstm_inputs):
    """Would a learner's transposed-then-reshaped dW be caught? (Same size, wrong layout.)"""
    x, h_prev, c_prev, params = lstm_inputs(T=1, N=2, D=2, H=2, seed=4)
    _, _, cache = lstm_cell_forward(x[0], h_prev, c_prev, params)
    dh = np.ones_like(h_prev)
    _, _, _, grads = lstm_cell_backward(dh, np.zeros_like(dh), cache)
    wrong = grads["W_o"].T.reshape(grads["W_o"].shape)
    with pytest.raises(AssertionError, match="gradient of W_o is wrong"):
        check_gradient(lambda: lstm_cell_forward(x[0], h_prev, c_prev, params)[0], params["W_o"], wrong, dh, name="W_o")


def test_numerical_gradient_restores_x_when_f_raises():
    """If f raises mid-perturbation, is x restored exactly (no ±ε left behind)?"""
    x = np.array([1.0, 2.0, 3.0])
    calls = []

    def f():
        calls.append(x.copy())
        if len(calls) == 4:  # during the second entry's "minus" evaluation
            raise RuntimeError("boom")
        return np.sum(x)

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    assert calls[3][1] == 2.0 - 1e-6, "the exception came while x[1] was perturbed"


def test_numerical_gradient_rejects_bad_x_and_bad_f():
    with pytest.raises(TypeError, match="x must be a float NumPy array"):
        numerical_gradient(lambda: 0.0, [1.0, 2.0])
    with pytest.raises(TypeError, match="x must be a float NumPy array"):
        numerical_gradient(lambda: 0.0, np.arange(3))
    x = np.ones(2)
    with pytest.raises(ValueError, match=r"f returned an array of shape \(2,\); pass dout"):
        numerical_gradient(lambda: x * 2, x)
    np.testing.assert_array_equal(x, [1.0, 1.0])


def test_relative_error():
    assert relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert relative_error(np.array([1.0]), np.array([3.0])) == pytest.approx(0.5)
    assert relative_error(np.zeros(0), np.zeros(0)) == 0.0
    # Both tiny: the 1e-8 floor keeps the ratio from exploding.
    assert relative_error(np.array([1e-12]), np.array([0.0])) == pytest.approx(1e-4)
    with pytest.raises(ValueError, match=r"cannot compare shapes \(2,\) and \(3,\)"):
        relative_error(np.zeros(2), np.zeros(3))
