"""The fast LSTM layer: the same function as :mod:`lstm_course.sequence`, built for speed.

Same equations as :mod:`lstm_course.cell` (the article's notation)::

    f_t = σ(W_f·[h_{t-1}, x_t] + b_f)     i_t = σ(W_i·[h_{t-1}, x_t] + b_i)
    C̃_t = tanh(W_C·[h_{t-1}, x_t] + b_C)  C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t
    o_t = σ(W_o·[h_{t-1}, x_t] + b_o)     h_t = o_t ⊙ tanh(C_t)

Shapes: x (T, N, D), h0 and c0 (N, H), h (T, N, H); T time steps, N batch, D input, H hidden.

What makes it fast (and why each trick is safe):

* The four gates are stacked into one (4H, H+D+1) matrix [W_h, W_x, b], in the internal
  order (o, f, i, C̃), and the inputs of step t into one block [h_{t-1}; x_t; 1]
  (H+D+1, N). A step's four pre-activations are then one GEMM, written straight into the
  step's slice of the gates buffer: no per-step bias add, no input projection to add in.
  In backward the same buffer gives [dW_h, dW_x, db] as one GEMM over all T·N columns.
* Feature-major layout: inside this module every per-step array is (features, N), so each
  gate is a contiguous block of H rows, and so are h_t, C_t and tanh(C_t). NumPy runs a
  ufunc on a contiguous block as one flat SIMD loop; on a (N, H) column slice of a (N, 4H)
  row-major array it walks row by row, which measured about twice as slow at these sizes.
  The (T, N, ·) arrays the contract promises (``h``, and the cache's ``gates``, ``c``,
  ``tanh_c``) are transposed views of these buffers, so nothing is copied to expose them.
* The four activations of a step are four ufunc calls over the whole (4H, N) block,
  because σ and tanh are one formula in e = exp(-s·z): σ(z) = 1 / (1 + e) with s = 1
  and tanh(z) = 2 / (1 + e) - 1 with s = 2. The factors -s are folded into the packed
  rows of W and b once per call (multiplying by -1 or -2 is exact in floating point),
  so ``exp`` reads the GEMM's output directly. On x86 CPUs NumPy's ``exp`` is about twice
  as fast as its ``tanh`` in float64 (and no slower in float32), so tanh(C_t) uses the
  same formula. exp overflows to inf for very negative arguments, which yields the exact
  limits σ = 0 and tanh = -1; that overflow is expected and silenced.
* Every buffer is allocated once and ufuncs write in place (``out=``): the time loop
  allocates nothing. The big buffers come from :func:`_workspace`, which hands a thread
  its previous call's buffer again once nothing references it, instead of fresh memory
  that the OS must fault in page by page.
* In backward the local derivatives (σ' = s(1 - s), 1 - tanh²) are computed inside the
  time loop, on the step's block while it is in cache: measured, that beats precomputing
  (T, N, 5H) arrays for all steps, whose memory traffic costs more than the ufunc calls
  it saves. What has no recurrence stays outside the loop: weight, bias and input
  gradients are two GEMMs over all T·N columns.

The activations differ from :mod:`lstm_course.activations` by a few ulp (absolute error
below 1e-15 in float64), which is why the two paths agree to 1e-12 rather than bit for bit.

How fast, and where the time goes (``benchmarks/bench_lstm.py``, 2-core x86 machine, AVX2):
in float64, forward+backward takes 0.66-0.91x the time of ``torch.nn.LSTM`` (one noisy run:
1.16x); in float32, 0.90-1.07x at (T, N, D, H) = (50, 64, 128, 256) but 1.07-1.5x at
(100, 32, 64, 128). Timed line by line at the smaller size in float32, the 200 per-step GEMMs
(forward and ``dh_{t-1}``) take ~9 ms, the two GEMMs over all T·N columns ~6 ms, ``exp``
~2.7 ms (NumPy's float32 exp: ~1.3 ns per element here), and the other ufunc calls, copies and
set-up ~10 ms, while torch's fused oneDNN kernel does the whole forward+backward in 17-26 ms.
The GEMMs alone leave little room, and a fused, vectorised C kernel for the elementwise work
(tried, not kept) still measured 1.25x, so this module stays plain NumPy, and the project's
float32 target (at most 1.0x) is not met at the smaller size.
"""
from __future__ import annotations

import sys
import threading

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


_POOL = threading.local()  # per-thread reusable buffers; see _workspace
_POOL_MAX_BYTES = 1 << 26  # larger buffers are not kept between calls


def _workspace(slot: str, shape: tuple[int, ...], dtype) -> np.ndarray:
    """np.empty(shape, dtype), reusing this thread's last buffer for ``slot`` if nothing uses it any more.

    Why: every call needs ~10 MB of fresh buffers; glibc hands such blocks back to the OS
    when they are freed, so each call paid thousands of page faults (about a fifth of the
    time at T=100, N=32, H=128 on the 2-core benchmark machine). A buffer is reused only when
    the pool holds the last reference to it (every view of it, e.g. a cache or ``h`` a
    caller kept, holds one too), so nothing a caller can still see is ever overwritten.
    """
    n = int(np.prod(shape))
    pool = _POOL.__dict__
    buf = pool.get(slot)
    # 3 references: the pool, the local name ``buf`` and getrefcount's own argument.
    if buf is not None and buf.dtype == dtype and buf.size >= n and sys.getrefcount(buf) == 3:
        return buf[:n].reshape(shape)
    buf = np.empty(n, dtype)
    if buf.nbytes <= _POOL_MAX_BYTES:
        pool[slot] = buf
    return buf.reshape(shape)


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
            ``x``, the packed ``W`` (4H, H+D) and ``b`` (4H,), and ``fm``: the feature-major
            buffers that the (T, N, ·) arrays are views of, for :func:`lstm_backward_fast`.
            :func:`gate_trace` names the arrays in the article's notation.
    """
    s, h0, c0 = check_sequence_inputs(x, params, h0, c0)
    ### BEGIN SOLUTION
    T, N, D = x.shape
    H = s.dims["H"]
    W, b = pack_params(params)
    dtype = np.result_type(x, W, h0, c0)
    W, b = W.astype(dtype, copy=False), b.astype(dtype, copy=False)
    # e = exp(-s·z) with s = 1 on the sigmoid rows (o, f, i) and s = 2 on the C̃ rows.
    neg_s = np.repeat(np.array([-1.0, -1.0, -1.0, -2.0], dtype), H)[:, None]  # (4H, 1)
    numer = np.broadcast_to(-neg_s, (4 * H, N)).copy()  # σ = 1/(1+e), tanh = 2/(1+e) - 1
    # Feature-major: column n of hx[t] is [h_t; x_{t+1}; 1] for example n, (H+D+1, N).
    # The constant row carries the bias, so one GEMM per step gives -s·z_t with no extra
    # pass, and every gate's block of rows, every state and every product is contiguous.
    Wb = np.empty((4 * H, H + D + 1), dtype)  # [W_h, W_x, b] scaled by -s
    np.multiply(W, neg_s, out=Wb[:, :H + D])
    np.multiply(b, neg_s[:, 0], out=Wb[:, H + D])
    hx = _workspace("hx", (T + 1, H + D + 1, N), dtype)
    hx[0, :H] = h0.T
    hx[:T, H:H + D] = x.transpose(0, 2, 1)
    hx[T, H:H + D] = 0.0  # x_{T+1} does not exist; keep the buffer free of garbage
    hx[:, H + D] = 1.0
    gates = _workspace("gates", (T, 4 * H, N), dtype)  # (o, f, i, C̃) activations, row blocks of H
    cs = _workspace("c", (T + 1, H, N), dtype)
    tanh_c = _workspace("tanh_c", (T, H, N), dtype)
    cs[0] = c0.T
    ig = np.empty((H, N), dtype)
    with np.errstate(over="ignore"):  # exp(-s·z) -> inf is the exact limit σ = 0, tanh = -1
        for t in range(T):
            z = gates[t]  # (4H, N)
            np.matmul(Wb, hx[t], out=z)
            np.exp(z, out=z)
            z += 1.0
            np.divide(numer, z, out=z)
            g = z[3 * H:]
            g -= 1.0
            np.multiply(z[H:2 * H], cs[t], out=cs[t + 1])  # f_t ⊙ C_{t-1}
            np.multiply(z[2 * H:3 * H], g, out=ig)  # i_t ⊙ C̃_t
            cs[t + 1] += ig
            _tanh_(cs[t + 1], tanh_c[t])
            np.multiply(z[:H], tanh_c[t], out=hx[t + 1, :H])
    # The article's (T, N, ·) arrays are transposed views of the feature-major buffers.
    hs = hx[:, :H].transpose(0, 2, 1)  # (T+1, N, H): h_0 ... h_T
    cache = {
        "x": x, "W": W, "b": b, "gates": gates.transpose(0, 2, 1), "h": hs, "c": cs.transpose(0, 2, 1),
        "tanh_c": tanh_c.transpose(0, 2, 1), "fm": {"hx": hx, "gates": gates, "c": cs, "tanh_c": tanh_c},
    }
    h = hs[1:]
    h.flags.writeable = False
    return h, (hs[T].copy(), cs[T].T.copy()), cache
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
    W, fm = cache["W"], cache["fm"]
    gates, hx, cs, tanh_c = fm["gates"], fm["hx"], fm["c"], fm["tanh_c"]  # feature-major (·, N)
    D = W.shape[1] - H
    dtype = gates.dtype
    Wh_T = np.ascontiguousarray(W[:, :H].T)  # (H, 4H)
    dh_fm = _workspace("dh", (T, H, N), dtype)
    np.copyto(dh_fm, dh.transpose(0, 2, 1), casting="same_kind")

    # dz_t is built in a contiguous (4H, N) block, then stored as column block t of the
    # (4H, T·N) matrix that the weight and input gradients need.
    dz = _workspace("dz", (4 * H, T, N), dtype)
    d = np.empty((4 * H, N), dtype)
    dh_next = np.zeros((H, N), dtype) if dh_T is None else dh_T.T.astype(dtype, order="C")
    dc = np.zeros((H, N), dtype) if dc_T is None else dc_T.T.astype(dtype, order="C")
    dh_t = np.empty((H, N), dtype)
    d_ofi = np.empty((3 * H, N), dtype)
    v = np.empty((H, N), dtype)
    for t in range(T - 1, -1, -1):
        z = gates[t]
        o_t, f_t, i_t, g_t = z[:H], z[H:2 * H], z[2 * H:3 * H], z[3 * H:]
        dz_o, dz_f, dz_i, dz_g = d[:H], d[H:2 * H], d[2 * H:3 * H], d[3 * H:]
        np.add(dh_fm[t], dh_next, out=dh_t)
        np.subtract(1.0, z[:3 * H], out=d_ofi)
        d_ofi *= z[:3 * H]  # σ'(o, f, i) = s(1 - s)
        np.multiply(dh_t, tanh_c[t], out=dz_o)
        dz_o *= d_ofi[:H]
        np.multiply(tanh_c[t], tanh_c[t], out=v)
        np.subtract(1.0, v, out=v)
        v *= o_t
        v *= dh_t
        dc += v  # dC_t = dC_{t+1} ⊙ f_{t+1} + dh_t ⊙ o_t ⊙ (1 - tanh²(C_t))
        np.multiply(dc, cs[t], out=dz_f)
        dz_f *= d_ofi[H:2 * H]
        np.multiply(dc, g_t, out=dz_i)
        dz_i *= d_ofi[2 * H:]
        np.multiply(g_t, g_t, out=dz_g)
        np.subtract(1.0, dz_g, out=dz_g)
        dz_g *= i_t
        dz_g *= dc
        dc *= f_t  # dC_{t-1} = dC_t ⊙ f_t: the additive path
        np.matmul(Wh_T, d, out=dh_next)  # dh_{t-1}
        dz[:, t] = d

    # Weight and input gradients sum over every (t, n): lay both operands out as T·N columns once.
    dz2 = dz.reshape(4 * H, T * N)
    hx2 = _workspace("hx_cols", (H + D + 1, T, N), dtype)
    np.copyto(hx2, hx[:T].transpose(1, 0, 2))
    hx2 = hx2.reshape(H + D + 1, T * N)
    dWb = dz2 @ hx2.T  # (4H, H+D+1) = [dW_h, dW_x, db]
    dx = (dz2.T @ W[:, H:]).reshape(T, N, D)
    return dx, dh_next.T.copy(), dc.T.copy(), unpack_grads(np.ascontiguousarray(dWb[:, :H + D]), dWb[:, H + D].copy())
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
