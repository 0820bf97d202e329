"""The fast LSTM layer: the same function as :mod:`lstm_course.sequence`, built for speed.

What makes it fast (and why each trick is safe):

* The four gates are stacked into one (4H, H+D) matrix, so a step is one GEMM, not four.
* Inputs do not depend on h, so ``x_t·W_x`` for *all* steps is one big GEMM before the loop;
  only ``h_{t-1}·W_h`` (N, H) x (H, 4H) stays inside it.
* Internal gate order is (o, f, i, C̃): the three sigmoid gates are one contiguous slab,
  and the three gates that the cell-state gradient drives (f, i, C̃) are another, so each is
  one ufunc call. The article's parameter dict is packed into this order once per call.
* Every buffer is allocated once; ufuncs write in place (``out=``).
* In backward, the only work left in the time loop is the recurrence itself:
  one (N, 4H) x (4H, H) GEMM and a handful of elementwise products. Weight gradients,
  input gradients and every local derivative are computed for all steps at once.

Sigmoid here is ½(1 + tanh(z/2)), which is exact in real arithmetic, never overflows and
is one in-place ufunc; it differs from :func:`lstm_course.activations.sigmoid` by at most
a few ulp, which is why the two paths agree to 1e-12 rather than bit for bit.
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


def _sigmoid_(z: np.ndarray) -> None:
    """In place: z <- σ(z) = ½(1 + tanh(z/2))."""
    z *= 0.5
    np.tanh(z, out=z)
    z *= 0.5
    z += 0.5


def lstm_forward_fast(
    x: np.ndarray, params: dict[str, np.ndarray], h0: np.ndarray | None = None, c0: np.ndarray | None = None
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], dict]:
    """Same contract as :func:`lstm_course.sequence.lstm_forward`; the cache is a dict of stacked arrays.

    Returns:
        h: (T, N, H) hidden states (a read-only view into the cache; copy it to modify it).
        (h_T, c_T): final states, (N, H) each.
        cache: dict with ``gates`` (T, N, 4H) activations in (o, f, i, C̃) order,
            ``h`` (T+1, N, H) and ``c`` (T+1, N, H) including h_0 and C_0, ``tanh_c`` (T, N, H),
            ``x``, the packed ``W`` and ``b``. :func:`gate_trace` turns it into named arrays.
    """
    s, h0, c0 = check_sequence_inputs(x, params, h0, c0)
    ### BEGIN SOLUTION
    T, N, D = x.shape
    H = s.dims["H"]
    W, b = pack_params(params)
    dtype = np.result_type(x, W, h0, c0)
    W, b = W.astype(dtype, copy=False), b.astype(dtype, copy=False)
    Wh_T = np.ascontiguousarray(W[:, :H].T)  # (H, 4H)
    Wx_T = np.ascontiguousarray(W[:, H:].T)  # (D, 4H)

    gates = np.empty((T, N, 4 * H), dtype)
    np.matmul(x.reshape(T * N, D).astype(dtype, copy=False), Wx_T, out=gates.reshape(T * N, 4 * H))
    gates += b
    hs = np.empty((T + 1, N, H), dtype)
    cs = np.empty((T + 1, N, H), dtype)
    tanh_c = np.empty((T, N, H), dtype)
    hs[0], cs[0] = h0, c0
    tmp = np.empty((N, 4 * H), dtype)
    ig = np.empty((N, H), dtype)
    for t in range(T):
        z = gates[t]  # (N, 4H): pre-activations, turned into activations in place
        np.matmul(hs[t], Wh_T, out=tmp)
        z += tmp
        _sigmoid_(z[:, : 3 * H])
        np.tanh(z[:, 3 * H:], out=z[:, 3 * H:])
        o, f, i, g = z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H], z[:, 3 * H:]
        np.multiply(f, cs[t], out=cs[t + 1])
        np.multiply(i, g, out=ig)
        cs[t + 1] += ig
        np.tanh(cs[t + 1], out=tanh_c[t])
        np.multiply(o, tanh_c[t], out=hs[t + 1])
    cache = {"x": x, "W": W, "b": b, "gates": gates, "h": hs, "c": cs, "tanh_c": tanh_c}
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
    x, W, gates, hs, cs, tanh_c = cache["x"], cache["W"], cache["gates"], cache["h"], cache["c"], cache["tanh_c"]
    D = x.shape[2]
    dtype = gates.dtype
    Wh = np.ascontiguousarray(W[:, :H])  # (4H, H)
    o, f, i, g = gates[..., :H], gates[..., H:2 * H], gates[..., 2 * H:3 * H], gates[..., 3 * H:]

    # Local derivatives for every step at once (no recurrence in these).
    # dz_o = dh_t ⊙ tanh(C_t) ⊙ σ'(o);  dC_t gets dh_t ⊙ o_t ⊙ tanh'(C_t).
    k_o = tanh_c * o * (1.0 - o)  # (T, N, H)
    k_c = o * (1.0 - tanh_c * tanh_c)  # (T, N, H)
    # dz_{f,i,C̃} = dC_t ⊙ k_fig, stacked (T, N, 3, H) to match gates[..., H:4H]
    k_fig = np.empty((T, N, 3, H), dtype)
    np.multiply(cs[:-1], f * (1.0 - f), out=k_fig[:, :, 0])
    np.multiply(g, i * (1.0 - i), out=k_fig[:, :, 1])
    np.multiply(i, 1.0 - g * g, out=k_fig[:, :, 2])

    dz = np.empty((T, N, 4 * H), dtype)
    dh_next = np.zeros((N, H), dtype) if dh_T is None else dh_T.astype(dtype, copy=True)
    dc = np.zeros((N, H), dtype) if dc_T is None else dc_T.astype(dtype, copy=True)
    dh_t = np.empty((N, H), dtype)
    tmp = np.empty((N, H), dtype)
    for t in range(T - 1, -1, -1):
        np.add(dh[t], dh_next, out=dh_t)
        np.multiply(dh_t, k_o[t], out=dz[t, :, :H])
        np.multiply(dh_t, k_c[t], out=tmp)
        dc += tmp  # dC_t: from step t+1 (through f_{t+1}) and from h_t
        np.multiply(dc[:, None, :], k_fig[t], out=dz[t, :, H:].reshape(N, 3, H))
        dc *= f[t]  # dC_{t-1} = dC_t ⊙ f_t: the additive path
        np.matmul(dz[t], Wh, out=dh_next)  # dh_{t-1}

    dz2 = dz.reshape(T * N, 4 * H)
    dW = np.empty_like(W)
    np.matmul(dz2.T, hs[:-1].reshape(T * N, H), out=dW[:, :H])
    np.matmul(dz2.T, x.reshape(T * N, D), out=dW[:, H:])
    db = dz2.sum(axis=0)
    dx = (dz2 @ W[:, H:]).reshape(T, N, D)
    return dx, dh_next, dc, unpack_grads(dW, db)
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
