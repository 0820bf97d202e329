"""Does the fast path (lstm_course.fast) compute the same numbers as the teaching path?

The teaching path (lstm_course.sequence) is a loop of the article's one-step equations; the
fast path fuses the gates into one GEMM and rewrites σ and tanh through exp. In float64 the
two must agree to 1e-12 (absolute) on every output and every gradient, for every way of
calling them: given or default initial states, given or absent dh_T / dc_T, T = 1, N = 1,
and T = 0 for the forward pass.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from lstm_course import gate_trace, lstm_backward, lstm_backward_fast, lstm_forward, lstm_forward_fast

ATOL = 1e-12

# (T, N, D, H): the edge sizes of the brief plus a few uneven random ones.
SIZES = [(1, 1, 1, 1), (1, 3, 2, 4), (6, 1, 3, 5), (5, 4, 2, 3), (9, 2, 5, 7), (17, 3, 4, 6), (4, 5, 7, 2)]


def assert_close(name, fast, teaching):
    __tracebackhide__ = True
    assert fast.shape == teaching.shape, f"{name}: fast shape {fast.shape}, teaching shape {teaching.shape}"
    err = float(np.max(np.abs(fast - teaching), initial=0.0))
    assert err <= ATOL, f"{name}: fast and teaching paths differ by {err:.3e} > {ATOL:g}"


def run_both(x, params, h0, c0, dh, dh_T, dc_T):
    out = {}
    for path, (fwd, bwd) in {"teaching": (lstm_forward, lstm_backward), "fast": (lstm_forward_fast, lstm_backward_fast)}.items():
        h, (h_T, c_T), cache = fwd(x, params, h0, c0)
        dx, dh0, dc0, grads = bwd(dh, cache, dh_T, dc_T)
        out[path] = dict(h=h, h_T=h_T, c_T=c_T, dx=dx, dh0=dh0, dc0=dc0, **{f"d{k}": v for k, v in grads.items()})
    return out["fast"], out["teaching"]


@pytest.mark.parametrize("given_states", [True, False], ids=["h0-c0", "zero-state"])
@pytest.mark.parametrize("final_grads", [True, False], ids=["dhT-dcT", "no-final-grads"])
@pytest.mark.parametrize("T, N, D, H", SIZES)
def test_forward_and_every_gradient_agree(T, N, D, H, given_states, final_grads, lstm_inputs):
    """Do h, h_T, C_T, dx, dh0, dc0 and all eight parameter gradients agree to 1e-12?"""
    seed = 1000 * T + 100 * N + 10 * D + H
    x, h0, c0, params = lstm_inputs(T, N, D, H, seed)
    r = np.random.default_rng(seed + 1)
    dh = r.normal(size=(T, N, H))
    dh_T, dc_T = (r.normal(size=(N, H)), r.normal(size=(N, H))) if final_grads else (None, None)
    if not given_states:
        h0 = c0 = None
    fast, teaching = run_both(x, params, h0, c0, dh, dh_T, dc_T)
    assert fast.keys() == teaching.keys()
    for name in teaching:
        assert_close(name, fast[name], teaching[name])
    # A gradient that is identically zero would agree trivially with a broken reference too.
    # (dW_f may be zero: with C_0 = 0 and T = 1, the forget gate has nothing to forget.)
    assert all(np.any(fast[k] != 0) for k in ("dx", "dh0", "dc0", "dW_o", "db_i", "dW_C"))


def test_gate_trace_agrees_with_the_teaching_caches(lstm_inputs):
    """Does gate_trace name the same f_t, i_t, C̃_t, o_t, C_t, h_t, tanh(C_t) as the step caches?"""
    x, h0, c0, params = lstm_inputs(7, 3, 4, 5, seed=3)
    _, _, steps = lstm_forward(x, params, h0, c0)
    trace = gate_trace(lstm_forward_fast(x, params, h0, c0)[2])
    names = {"f": "f_t", "i": "i_t", "c_tilde": "c_tilde_t", "o": "o_t", "c": "c_t", "tanh_c": "tanh_c_t"}
    assert set(trace) == set(names) | {"h"}
    for key, step_key in names.items():
        assert_close(key, trace[key], np.stack([s[step_key] for s in steps]))
    assert_close("h", trace["h"], lstm_forward(x, params, h0, c0)[0])


@pytest.mark.parametrize("given_states", [True, False], ids=["h0-c0", "zero-state"])
def test_empty_sequence_forward_agrees(given_states, lstm_inputs):
    """T = 0: do both paths return an empty h and the initial states unchanged?"""
    x, h0, c0, params = lstm_inputs(0, 3, 2, 4, seed=5)
    if not given_states:
        h0 = c0 = None
    h_f, (hT_f, cT_f), _ = lstm_forward_fast(x, params, h0, c0)
    h_t, (hT_t, cT_t), _ = lstm_forward(x, params, h0, c0)
    assert h_f.shape == h_t.shape == (0, 3, 4)
    assert_close("h_T", hT_f, hT_t)
    assert_close("c_T", cT_f, cT_t)


def test_saturated_gates_agree_without_warnings(lstm_inputs):
    """With pre-activations far beyond ±40, exp overflows inside the fast path: are the
    results still the exact limits (σ = 0 or 1, tanh = ±1), equal to the teaching path,
    and is no overflow warning leaked to the caller?"""
    x, h0, c0, params = lstm_inputs(5, 2, 3, 4, seed=7)
    big = {k: v * 400.0 for k, v in params.items()}
    dh = np.random.default_rng(8).normal(size=(5, 2, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fast, teaching = run_both(x * 10.0, big, h0, c0, dh, None, None)
    for name in teaching:
        assert_close(name, fast[name], teaching[name])
    gates = lstm_forward_fast(x * 10.0, big, h0, c0)[2]["gates"]
    assert np.all((gates >= -1.0) & (gates <= 1.0)) and np.any(gates[..., :12] == 0.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_and_h_is_a_read_only_view(dtype, lstm_inputs):
    """Does every output keep the input dtype (no silent upcast of float32), and is h read-only?"""
    x, h0, c0, params = lstm_inputs(4, 3, 2, 5, seed=9, dtype=dtype)
    h, (h_T, c_T), cache = lstm_forward_fast(x, params, h0, c0)
    dx, dh0, dc0, grads = lstm_backward_fast(np.ones_like(h), cache)
    for name, a in dict(h=h, h_T=h_T, c_T=c_T, dx=dx, dh0=dh0, dc0=dc0, **grads).items():
        assert a.dtype == dtype, f"{name} is {a.dtype}, expected {np.dtype(dtype)}"
    buffers = {**{k: v for k, v in cache.items() if k != "fm"}, **{f"fm.{k}": v for k, v in cache["fm"].items()}}
    for name, a in buffers.items():
        assert a.dtype == dtype, f"cache[{name!r}] is {a.dtype}, expected {np.dtype(dtype)}"
    assert not h.flags.writeable and np.shares_memory(h, cache["h"])
    with pytest.raises(ValueError):
        h[0, 0, 0] = 1.0
    if dtype == np.float32:  # float32 still tracks the float64 teaching path to float32 precision
        p64 = {k: v.astype(np.float64) for k, v in params.items()}
        ref, _, _ = lstm_forward(x.astype(np.float64), p64, h0.astype(np.float64), c0.astype(np.float64))
        np.testing.assert_allclose(h, ref, atol=1e-5)


def test_backward_leaves_the_cache_reusable(lstm_inputs):
    """Can one forward cache serve two backward calls with the same result (nothing is overwritten)?"""
    x, h0, c0, params = lstm_inputs(6, 2, 3, 4, seed=11)
    _, _, cache = lstm_forward_fast(x, params, h0, c0)
    dh = np.random.default_rng(12).normal(size=(6, 2, 4))
    first = lstm_backward_fast(dh, cache)
    second = lstm_backward_fast(dh, cache)
    for a, b in zip(first[:3], second[:3]):
        np.testing.assert_array_equal(a, b)
    for k in first[3]:
        np.testing.assert_array_equal(first[3][k], second[3][k])


def test_reused_buffers_never_overwrite_what_a_caller_kept(lstm_inputs):
    """The fast path reuses its buffers between calls once nobody references them: are the h,
    cache and gate_trace arrays a caller keeps left untouched by later calls, and are results
    computed in reused buffers still right?"""
    x, h0, c0, params = lstm_inputs(6, 3, 2, 4, seed=13)
    h1, _, cache1 = lstm_forward_fast(x, params, h0, c0)
    trace1 = gate_trace(cache1)
    saved_h, saved_f = h1.copy(), trace1["f"].copy()
    del cache1
    dh = np.random.default_rng(14).normal(size=h1.shape)
    for k in range(3):  # later calls with other inputs; some of them run in reused buffers
        h, _, cache = lstm_forward_fast(x * (k + 2.0), params, h0, c0)
        lstm_backward_fast(dh, cache)
        assert not np.shares_memory(h, h1) and not np.shares_memory(cache["gates"], trace1["f"])
        del h, cache
    np.testing.assert_array_equal(h1, saved_h)
    np.testing.assert_array_equal(trace1["f"], saved_f)
    fast, teaching = run_both(x * 3.0, params, h0, c0, dh, None, None)
    for name in teaching:
        assert_close(name, fast[name], teaching[name])
