"""The fast LSTM layer: the same function as :mod:`lstm_course.sequence`, built for speed.

Same equations as :mod:`lstm_course.cell` (the article's notation)::

    f_t = σ(W_f·[h_{t-1}, x_t] + b_f)     i_t = σ(W_i·[h_{t-1}, x_t] + b_i)
    C̃_t = tanh(W_C·[h_{t-1}, x_t] + b_C)  C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t
    o_t = σ(W_o·[h_{t-1}, x_t] + b_o)     h_t = o_t ⊙ tanh(C_t)

Shapes: x (T, N, D), h0 and c0 (N, H), h (T, N, H); T time steps, N batch, D input, H hidden.

What makes it fast (and why each trick is safe):

* The four gates are stacked into one (4H, H+D+1) matrix [W_h, W_x, b], in the internal
  order (o, f, i, C̃), and the inputs of step t into one row block hx[t] = [h_{t-1}, x_t, 1]
  (N, H+D+1). A step's four pre-activations are then one GEMM, written straight into the
  step's slice of the gates buffer: no per-step bias add, no separate input projection
  to add in. In backward the same buffer gives [dW_h, dW_x, db] as one GEMM over all steps.
* The four activations of a step are four ufunc calls over the whole (N, 4H) slab,
  because σ and tanh are one formula in e = exp(-s·z): σ(z) = 1 / (1 + e) with s = 1
  and tanh(z) = 2 / (1 + e) - 1 with s = 2. The factors -s are folded into the packed
  rows of W and b once per call (multiplying by -1 or -2 is exact in floating point),
  so ``exp`` reads the GEMM's output directly. On x86 CPUs NumPy's ``exp`` is about twice
  as fast as its ``tanh`` in float64 (and no slower in float32), so tanh(C_t) uses the
  same formula. exp overflows to inf for very negative arguments, which yields the exact
  limits σ = 0 and tanh = -1; that overflow is expected and silenced.
* Every per-step array is a contiguous block of a buffer allocated once; ufuncs write in
  place (``out=``), so the time loop allocates nothing.
* In backward the local derivatives (σ' = s(1 - s), 1 - tanh²) are computed inside the
  time loop, on the step's (N, 4H) slice while it is in cache: measured, that beats
  precomputing (T, N, 5H) arrays for all steps, whose extra memory traffic costs more than
  the ufunc calls it saves. What has no recurrence stays outside the loop: weight, bias and
  input gradients are one GEMM each over all T·N rows.

The activations differ from :mod:`lstm_course.activations` by a few ulp (absolute error
below 1e-15 in float64), which is why the two paths agree to 1e-12 rather than bit for bit.
"""
from __future__ import annotations

import numpy as np

from .params import LSTM_KEYS
from .sequence import check_sequence_inputs
from .validation import Shapes

_ORDER = ("o", "f", "i", "C")  # internal stacking order; see the module docstring


def pack_params(params: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Stack the article's four gates into W (4H, H+D) and b (4H,) in the order (o, f, i, C̃)."""
    W = np.concatenate([params[f"W_{g}"] for g in _ORDER], axis=0)
    b = np.concatenate([params[f"b_{g}"] for g in _ORDER], axis=0)
    return W, b


def unpack_grads(dW: np.ndarray, db: np.ndarray) -> dict[str, np.ndarray]:
    """Inverse of :func:`pack_params` for gradients: (4H, H+D), (4H,) -> article dict."""
    H = db.shape[0] // 4
    out = {}
    for k, g in enumerate(_ORDER):
        out[f"W_{g}"] = dW[k * H:(k + 1) * H]
        out[f"b_{g}"] = db[k * H:(k + 1) * H]
    return {k: out[k] for k in LSTM_KEYS}


def _tanh_(c: np.ndarray, out: np.ndarray) -> None:
    """out <- tanh(c) = 2 / (1 + exp(-2c)) - 1, five cheap ufunc passes instead of one slow one."""
    np.multiply(c, -2.0, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.divide(2.0, out, out=out)
    out -= 1.0


def lstm_forward_fast(
    x: np.ndarray, params: dict[str, np.ndarray], h0: np.ndarray | None = None, c0: np.ndarray | None = None
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], dict]:
    """Same contract as :func:`lstm_course.sequence.lstm_forward`; the cache is a dict of stacked arrays.

    Returns:
        h: (T, N, H) hidden states (a read-only view into the cache; copy it to modify it).
        (h_T, c_T): final states, (N, H) each.
        cache: dict with ``gates`` (T, N, 4H) activations in (o, f, i, C̃) order,
            ``h`` (T+1, N, H) and ``c`` (T+1, N, H) including h_0 and C_0, ``tanh_c`` (T, N, H),
            ``hx`` (T+1, N, H+D+1) rows [h_t, x_{t+1}, 1] (``h`` is a view into it),
            ``x``, the packed ``W`` (4H, H+D) and ``b`` (4H,). :func:`gate_trace` names them.
    """
    s, h0, c0 = check_sequence_inputs(x, params, h0, c0)
    ### BEGIN SOLUTION
    T, N, D = x.shape
    H = s.dims["H"]
    W, b = pack_params(params)
    dtype = np.result_type(x, W, h0, c0)
    W, b = W.astype(dtype, copy=False), b.astype(dtype, copy=False)
    # e = exp(-s·z) with s = 1 on the sigmoid rows (o, f, i) and s = 2 on the C̃ rows.
    neg_s = np.repeat(np.array([-1.0, -1.0, -1.0, -2.0], dtype), H)  # (4H,)
    numer = -neg_s  # (4H,): σ = 1/(1+e), tanh = 2/(1+e) - 1
    # hx[t] = [h_t, x_{t+1}, 1] (N, H+D+1): the constant column carries the bias, so one GEMM
    # per step gives -s·z_t with no extra pass, and backward gets dW and db from one GEMM too.
    Wb_T = np.empty((H + D + 1, 4 * H), dtype)  # [W_h, W_x, b]ᵀ scaled by -s
    np.multiply(W.T, neg_s, out=Wb_T[:H + D])
    np.multiply(b, neg_s, out=Wb_T[H + D])
    hx = np.empty((T + 1, N, H + D + 1), dtype)
    hx[0, :, :H] = h0
    hx[:T, :, H:H + D] = x
    hx[T, :, H:H + D] = 0.0  # x_{T+1} does not exist; keep the buffer free of garbage
    hx[:, :, H + D] = 1.0
    gates = np.empty((T, N, 4 * H), dtype)  # (o, f, i, C̃) activations, written step by step
    cs = np.empty((T + 1, N, H), dtype)
    tanh_c = np.empty((T, N, H), dtype)
    cs[0] = c0
    ig = np.empty((N, H), dtype)
    with np.errstate(over="ignore"):  # exp(-s·z) -> inf is the exact limit σ = 0, tanh = -1
        for t in range(T):
            z = gates[t]  # (N, 4H), contiguous
            np.matmul(hx[t], Wb_T, out=z)
            np.exp(z, out=z)
            z += 1.0
            np.divide(numer, z, out=z)
            g = z[:, 3 * H:]
            g -= 1.0
            np.multiply(z[:, H:2 * H], cs[t], out=cs[t + 1])  # f_t ⊙ C_{t-1}
            np.multiply(z[:, 2 * H:3 * H], g, out=ig)  # i_t ⊙ C̃_t
            cs[t + 1] += ig
            _tanh_(cs[t + 1], tanh_c[t])
            np.multiply(z[:, :H], tanh_c[t], out=hx[t + 1, :, :H])
    hs = hx[:, :, :H]  # (T+1, N, H): h_0 ... h_T
    cache = {"x": x, "W": W, "b": b, "hx": hx, "gates": gates, "h": hs, "c": cs, "tanh_c": tanh_c}
    h = hs[1:]
    h.flags.writeable = False
    return h, (hs[T].copy(), cs[T].copy()), cache
    ### END SOLUTION


def lstm_backward_fast(
    dh: np.ndarray, cache: dict, dh_T: np.ndarray | None = None, dc_T: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Same contract as :func:`lstm_course.sequence.lstm_backward`, for a cache from :func:`lstm_forward_fast`."""
    s = Shapes()
    s("dh", dh, ("T", "N", "H"))
    if cache["gates"].shape[:2] != dh.shape[:2] or cache["tanh_c"].shape != dh.shape:
        raise ValueError(f"dh has shape {dh.shape} but the cache is for (T, N, H) = {cache['tanh_c'].shape}")
    if dh_T is not None:
        s("dh_T", dh_T, ("N", "H"))
    if dc_T is not None:
        s("dc_T", dc_T, ("N", "H"))
    ### BEGIN SOLUTION
    T, N, H = dh.shape
    W, gates, hx, cs, tanh_c = cache["W"], cache["gates"], cache["hx"], cache["c"], cache["tanh_c"]
    D = W.shape[1] - H
    dtype = gates.dtype
    Wh = np.ascontiguousarray(W[:, :H])  # (4H, H)

    dz = np.empty((T, N, 4 * H), dtype)
    dh_next = np.zeros((N, H), dtype) if dh_T is None else dh_T.astype(dtype, copy=True)
    dc = np.zeros((N, H), dtype) if dc_T is None else dc_T.astype(dtype, copy=True)
    dh_t = np.empty((N, H), dtype)
    d_ofi = np.empty((N, 3 * H), dtype)
    v = np.empty((N, H), dtype)
    for t in range(T - 1, -1, -1):
        z, d = gates[t], dz[t]
        o_t, f_t, i_t, g_t = z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H], z[:, 3 * H:]
        dz_o, dz_f, dz_i, dz_g = d[:, :H], d[:, H:2 * H], d[:, 2 * H:3 * H], d[:, 3 * H:]
        np.add(dh[t], dh_next, out=dh_t)
        np.subtract(1.0, z[:, :3 * H], out=d_ofi)
        d_ofi *= z[:, :3 * H]  # σ'(o, f, i) = s(1 - s)
        np.multiply(dh_t, tanh_c[t], out=dz_o)
        dz_o *= d_ofi[:, :H]
        np.multiply(tanh_c[t], tanh_c[t], out=v)
        np.subtract(1.0, v, out=v)
        v *= o_t
        v *= dh_t
        dc += v  # dC_t = dC_{t+1} ⊙ f_{t+1} + dh_t ⊙ o_t ⊙ (1 - tanh²(C_t))
        np.multiply(dc, cs[t], out=dz_f)
        dz_f *= d_ofi[:, H:2 * H]
        np.multiply(dc, g_t, out=dz_i)
        dz_i *= d_ofi[:, 2 * H:]
        np.multiply(g_t, g_t, out=dz_g)
        np.subtract(1.0, dz_g, out=dz_g)
        dz_g *= i_t
        dz_g *= dc
        dc *= f_t  # dC_{t-1} = dC_t ⊙ f_t: the additive path
        np.matmul(d, Wh, out=dh_next)  # dh_{t-1}

    dz2 = dz.reshape(T * N, 4 * H)
    dWb = dz2.T @ hx[:T].reshape(T * N, H + D + 1)  # (4H, H+D+1) = [dW_h, dW_x, db]
    dx = (dz2 @ W[:, H:]).reshape(T, N, D)
    return dx, dh_next, dc, unpack_grads(np.ascontiguousarray(dWb[:, :H + D]), dWb[:, H + D].copy())
    ### END SOLUTION


def gate_trace(cache: dict) -> dict[str, np.ndarray]:
    """Name the arrays of a :func:`lstm_forward_fast` cache in the article's notation.

    Returns a dict of (T, N, H) arrays: ``f``, ``i``, ``c_tilde``, ``o``, ``c`` (C_1..C_T),
    ``h`` (h_1..h_T), ``tanh_c``. Handy for plotting what every gate did at every step.
    """
    gates = cache["gates"]
    H = gates.shape[-1] // 4
    return {
        "f": gates[..., H:2 * H], "i": gates[..., 2 * H:3 * H], "c_tilde": gates[..., 3 * H:],
        "o": gates[..., :H], "c": cache["c"][1:], "h": cache["h"][1:], "tanh_c": cache["tanh_c"],
    }
