"""Properties that must hold for every shape and value: ranges, limits, identities, edge sizes.

Each test states a claim of the article (or of a docstring) and lets Hypothesis look for a
counterexample over shapes and values.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lstm_course import (
    candidate_memory,
    cell_state,
    forget_gate,
    hidden_state,
    init_lstm_params,
    input_gate,
    lstm_backward,
    lstm_backward_fast,
    lstm_cell_forward,
    lstm_forward,
    lstm_forward_fast,
    output_gate,
    sigmoid,
    sigmoid_grad_from_output,
    tanh,
    tanh_grad_from_output,
)

PROFILE = settings.get_profile("lstm-package")
FLOATS = (np.float32, np.float64)
PATHS = {"teaching": (lstm_forward, lstm_backward), "fast": (lstm_forward_fast, lstm_backward_fast)}


class strict:
    """Any warning, and any NumPy floating-point event (overflow, underflow, invalid, divide), is an error.

    ``under="ignore"`` is for code whose *products* may underflow on tiny random inputs
    (1e-30 * 1e-30 in float32): rounding to 0 there is correct and not what is under test.
    """

    def __init__(self, under: str = "raise"):
        self._warn = warnings.catch_warnings()
        self._err = np.errstate(all="raise", under=under)

    def __enter__(self):
        self._warn.__enter__()
        warnings.simplefilter("error")
        self._err.__enter__()

    def __exit__(self, *exc):
        self._err.__exit__(*exc)
        self._warn.__exit__(*exc)
        return False


def z_arrays(dtype, bound=1e4):
    """Arrays of pre-activations with |z| up to ``bound``, including 0, ±bound and the overflow zone."""
    elements = st.one_of(
        st.floats(-bound, bound, width=np.dtype(dtype).itemsize * 8),
        st.sampled_from([0.0, -0.0, bound, -bound, 88.7, -88.7, 103.9, -103.9, 709.0, -745.0, 746.0]),
    )
    return hnp.arrays(dtype, hnp.array_shapes(max_dims=3, max_side=5), elements=elements)


# --- σ and tanh ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
@PROFILE
@given(data=st.data())
def test_sigmoid_is_stable_bounded_and_accurate(dtype, data):
    """For |z| ≤ 1e4: no warning or FP error, dtype and shape kept, σ ∈ [0, 1], accurate to a few ulp."""
    z = data.draw(z_arrays(dtype))
    with strict():
        s = sigmoid(z)
    assert s.dtype == dtype and s.shape == z.shape
    assert np.all((s >= 0) & (s <= 1))
    # Reference in extended precision (80-bit on x86, where exp(1e4) does not overflow).
    zl = z.astype(np.longdouble)
    with np.errstate(over="ignore", under="ignore"):
        ref = 1 / (1 + np.exp(-zl))
    fi = np.finfo(dtype)
    np.testing.assert_allclose(s.astype(np.longdouble), ref, rtol=4 * fi.eps, atol=fi.smallest_subnormal)


@pytest.mark.parametrize("dtype", FLOATS)
@PROFILE
@given(data=st.data())
def test_sigmoid_symmetry_and_monotonicity(dtype, data):
    """σ(-z) = 1 - σ(z) (to 1 ulp of 1) and z1 ≤ z2 ⇒ σ(z1) ≤ σ(z2)."""
    z = data.draw(z_arrays(dtype))
    with strict():
        s, s_neg = sigmoid(z), sigmoid(-z)
    np.testing.assert_allclose(s_neg, 1 - s, rtol=0, atol=np.finfo(dtype).eps)
    flat = np.sort(z.ravel())
    with strict():
        assert np.all(np.diff(sigmoid(flat)) >= 0)


@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_and_tanh_limits(dtype):
    """σ(±1e4) = 1, 0 exactly; σ(0) = ½; tanh(±1e4) = ±1; tanh(0) = 0; without warnings."""
    z = np.array([-1e4, -1e3, 0.0, 1e3, 1e4], dtype)
    with strict():
        s, t = sigmoid(z), tanh(z)
    np.testing.assert_array_equal(s, np.array([0, 0, 0.5, 1, 1], dtype))
    np.testing.assert_array_equal(t, np.array([-1, -1, 0, 1, 1], dtype))
    assert s.dtype == t.dtype == dtype


@pytest.mark.parametrize("dtype", FLOATS)
@PROFILE
@given(data=st.data())
def test_tanh_is_odd_bounded_and_stable(dtype, data):
    z = data.draw(z_arrays(dtype))
    with strict():
        t = tanh(z)
    assert t.dtype == dtype and np.all(np.abs(t) <= 1)
    np.testing.assert_array_equal(tanh(-z), -t)


@PROFILE
@given(z=hnp.arrays(np.float64, st.integers(1, 20), elements=st.floats(-20, 20)))
def test_derivatives_from_outputs_match_finite_differences(z):
    """σ'(z) = s(1-s) and tanh'(z) = 1 - t² from the outputs equal (f(z+h) - f(z-h)) / 2h.

    With h = 1e-5 the central difference has truncation error h²·|f'''|/6 < 1e-11 and
    rounding error ~eps64/h ≈ 1e-11, so 1e-9 is a safe absolute bound (derivatives are ≤ 1).
    """
    h = 1e-5
    for f, grad in ((sigmoid, sigmoid_grad_from_output), (tanh, tanh_grad_from_output)):
        fd = (f(z + h) - f(z - h)) / (2 * h)
        np.testing.assert_allclose(grad(f(z)), fd, rtol=0, atol=1e-9)
    assert np.all(sigmoid_grad_from_output(sigmoid(z)) <= 0.25)


# --- gates ---------------------------------------------------------------------------------------


@st.composite
def gate_inputs(draw, scale=3.0):
    N, D, H = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dtype = draw(st.sampled_from(FLOATS))
    el = st.floats(-scale, scale, width=32)
    h_prev = draw(hnp.arrays(dtype, (N, H), elements=el))
    x_t = draw(hnp.arrays(dtype, (N, D), elements=el))
    W = draw(hnp.arrays(dtype, (H, H + D), elements=el))
    b = draw(hnp.arrays(dtype, (H,), elements=el))
    return h_prev, x_t, W, b


@PROFILE
@given(args=gate_inputs())
def test_gate_outputs_lie_in_their_ranges(args):
    """f_t, i_t, o_t ∈ [0, 1] (σ); C̃_t ∈ [-1, 1] (tanh); shape (N, H); dtype kept."""
    h_prev, x_t, W, b = args
    N, H = h_prev.shape
    for gate, lo in ((forget_gate, 0), (input_gate, 0), (output_gate, 0), (candidate_memory, -1)):
        with strict(under="ignore"):
            g = gate(h_prev, x_t, W, b)
        assert g.shape == (N, H) and g.dtype == h_prev.dtype, gate.__name__
        assert np.all((g >= lo) & (g <= 1)), gate.__name__


@PROFILE
@given(args=gate_inputs())
def test_each_gate_is_its_equation(args):
    """f_t = σ(W·[h, x] + b), C̃_t = tanh(W·[h, x] + b), hidden columns first."""
    h_prev, x_t, W, b = args
    H = h_prev.shape[1]
    z = h_prev @ W[:, :H].T + x_t @ W[:, H:].T + b
    tol = dict(rtol=1e-5, atol=1e-6) if h_prev.dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(forget_gate(h_prev, x_t, W, b), sigmoid(z), **tol)
    np.testing.assert_allclose(candidate_memory(h_prev, x_t, W, b), np.tanh(z), **tol)


@PROFILE
@given(c=hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=5), elements=st.floats(-50, 50)),
       seed=st.integers(0, 1000))
def test_cell_and_hidden_state_identities(c, seed):
    """f=1, i=0 keeps C exactly; f=0 erases it (C_t = i ⊙ C̃_t); o=0 gives h=0; o=1 gives tanh(C)."""
    r = np.random.default_rng(seed)
    g, c_tilde = r.uniform(size=c.shape), r.uniform(-1, 1, size=c.shape)
    ones, zeros = np.ones_like(c), np.zeros_like(c)
    np.testing.assert_array_equal(cell_state(ones, c, zeros, c_tilde), c)
    np.testing.assert_array_equal(cell_state(zeros, c, g, c_tilde), g * c_tilde)
    np.testing.assert_array_equal(hidden_state(zeros, c), zeros)
    np.testing.assert_array_equal(hidden_state(ones, c), np.tanh(c))
    h = hidden_state(g, c)
    assert np.all(np.abs(h) <= 1) and np.all(np.abs(h) <= np.abs(np.tanh(c)))


# --- whole layer ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(PATHS))
@PROFILE
@given(T=st.integers(1, 5), N=st.integers(1, 3), D=st.integers(1, 4), H=st.integers(1, 4), seed=st.integers(0, 99))
def test_layer_shapes_and_ranges(path, T, N, D, H, seed, lstm_inputs):
    """h is (T, N, H) in (-1, 1), h_T = h[-1]; gradients have their inputs' shapes."""
    forward, backward = PATHS[path]
    x, h0, c0, params = lstm_inputs(T, N, D, H, seed)
    h, (h_T, c_T), cache = forward(x, params, h0, c0)
    assert h.shape == (T, N, H) and h_T.shape == c_T.shape == (N, H)
    assert np.all(np.abs(h) < 1)
    np.testing.assert_array_equal(h[-1], h_T)
    dx, dh0, dc0, grads = backward(np.ones_like(h), cache)
    assert dx.shape == x.shape and dh0.shape == h0.shape and dc0.shape == c0.shape
    assert all(grads[k].shape == params[k].shape for k in params)


@pytest.mark.parametrize("path", sorted(PATHS))
def test_empty_sequence_returns_initial_state(path, lstm_inputs):
    """T = 0: no output steps, and (h_T, C_T) = (h_0, C_0)."""
    x, h0, c0, params = lstm_inputs(T=0, N=2, D=3, H=4, seed=0)
    h, (h_T, c_T), _ = PATHS[path][0](x, params, h0, c0)
    assert h.shape == (0, 2, 4)
    np.testing.assert_array_equal(h_T, h0)
    np.testing.assert_array_equal(c_T, c0)
    h, (h_T, c_T), _ = PATHS[path][0](x, params)  # default zero state
    np.testing.assert_array_equal(h_T, np.zeros((2, 4)))


def test_backward_of_empty_sequence_says_why():
    x = np.zeros((0, 2, 3))
    _, _, cache = lstm_forward(x, init_lstm_params(3, 4))
    with pytest.raises(ValueError, match=r"at least one step \(T >= 1\)"):
        lstm_backward(np.zeros((0, 2, 4)), cache)


@pytest.mark.parametrize("path", sorted(PATHS))
@PROFILE
@given(N=st.integers(2, 4), seed=st.integers(0, 99))
def test_batch_rows_are_independent(path, N, seed, lstm_inputs):
    """Row n of a batch equals running that example alone with N = 1 (no mixing across the batch)."""
    forward, _ = PATHS[path]
    x, h0, c0, params = lstm_inputs(4, N, 2, 3, seed)
    h, (h_T, c_T), _ = forward(x, params, h0, c0)
    for n in range(N):
        h1, (h1_T, c1_T), _ = forward(x[:, n:n + 1], params, h0[n:n + 1], c0[n:n + 1])
        assert h1.shape == (4, 1, 3)
        np.testing.assert_allclose(h1[:, 0], h[:, n], rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(c1_T[0], c_T[n], rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("path", sorted(PATHS))
def test_open_forget_gate_and_closed_input_gate_keep_the_memory(path, lstm_inputs):
    """The article's long-term memory: with f_t ≈ 1 and i_t ≈ 0, C_T ≈ C_0 after 50 steps,
    and the gradient flows back along the additive path undiminished (dC_0 ≈ dC_T).
    With f_t ≈ σ(0) = ½ instead, the memory fades like 2^-T."""
    forward, backward = PATHS[path]
    T, N, D, H = 50, 2, 3, 4
    x, h0, c0, params = lstm_inputs(T, N, D, H, seed=8)
    keep = dict(params, b_f=params["b_f"] + 60.0, b_i=params["b_i"] - 60.0)  # σ(±60) = 1, 9e-27
    h, (h_T, c_T), cache = forward(x, keep, h0, c0)
    np.testing.assert_allclose(c_T, c0, rtol=1e-12, atol=1e-14)
    dc_T = np.ones((N, H))
    _, _, dc0, _ = backward(np.zeros_like(h), cache, dc_T=dc_T)
    np.testing.assert_allclose(dc0, dc_T, rtol=1e-12)

    fade = dict(params, W_f=np.zeros_like(params["W_f"]), b_f=np.zeros_like(params["b_f"]),
                b_i=params["b_i"] - 60.0)
    _, (_, c_T), _ = forward(x, fade, h0, c0)
    np.testing.assert_allclose(c_T, c0 * 0.5**T, rtol=1e-9, atol=1e-20)


def test_cell_with_large_forget_bias_keeps_previous_state(lstm_inputs):
    """One step with init_lstm_params(forget_bias=30): C_t = C_{t-1} + i_t ⊙ C̃_t to ~1e-13."""
    x, h_prev, c_prev, _ = lstm_inputs(T=1, N=3, D=2, H=4, seed=2)
    params = init_lstm_params(2, 4, forget_bias=30.0, seed=2)
    _, c_t, cache = lstm_cell_forward(x[0], h_prev, c_prev, params)
    assert np.all(cache["f_t"] > 1 - 1e-12)
    np.testing.assert_allclose(c_t, c_prev + cache["i_t"] * cache["c_tilde_t"], rtol=1e-12, atol=1e-12)


@PROFILE
@given(D=st.integers(1, 6), H=st.integers(1, 6), seed=st.integers(0, 10**6), fb=st.floats(-3, 3),
       dtype=st.sampled_from(FLOATS))
def test_init_lstm_params(D, H, seed, fb, dtype):
    """Keys, shapes (H, H+D)/(H,), dtype, entries in ±1/√H (b_f shifted by forget_bias), reproducible."""
    p = init_lstm_params(D, H, forget_bias=fb, seed=seed, dtype=dtype)
    assert sorted(p) == sorted(["W_f", "b_f", "W_i", "b_i", "W_C", "b_C", "W_o", "b_o"])
    k = 1 / np.sqrt(H) * (1 + 1e-6)
    for name, a in p.items():
        assert a.dtype == dtype
        assert a.shape == ((H, H + D) if name[0] == "W" else (H,))
        centre = fb if name == "b_f" else 0.0
        assert np.all(np.abs(a - centre) <= k + 1e-6 * abs(fb)), name
    q = init_lstm_params(D, H, forget_bias=fb, seed=seed, dtype=dtype)
    assert all(np.array_equal(p[n], q[n]) for n in p)


@pytest.mark.parametrize("path", sorted(PATHS))
@PROFILE
@given(scale=st.sampled_from([1e2, 1e3, 1e4]), dtype=st.sampled_from(FLOATS), seed=st.integers(0, 99))
def test_saturated_layer_stays_finite_without_warnings(path, scale, dtype, seed, lstm_inputs):
    """Inputs up to |x| ~ 1e4 drive every gate into saturation: forward and backward must stay
    finite, h in [-1, 1], with no overflow, invalid or divide event (underflow of products of
    saturated gates to 0 is allowed: it is the correct result)."""
    forward, backward = PATHS[path]
    x, h0, c0, params = lstm_inputs(4, 2, 3, 3, seed, dtype)
    x = (x * scale).astype(dtype)
    with strict(under="ignore"):
        h, (h_T, c_T), cache = forward(x, params, h0, c0)
        dx, dh0, dc0, grads = backward(np.ones_like(h), cache, np.ones_like(h_T), np.ones_like(c_T))
    assert h.dtype == dtype and np.all(np.abs(h) <= 1)
    for a in (h, c_T, dx, dh0, dc0, *grads.values()):
        assert np.all(np.isfinite(a))
