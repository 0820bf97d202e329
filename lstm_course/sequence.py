"""A whole sequence through an LSTM layer, and backpropagation through time (teaching path).

This is the readable version: a Python loop over time that calls the one-step functions of
:mod:`lstm_course.cell`. :mod:`lstm_course.fast` computes the same numbers (to 1e-12 in
float64) with fused matrix products; training uses that one.

Shapes are time-major, as in ``torch.nn.LSTM`` (``batch_first=False``):

    x        (T, N, D)   inputs x_1 ... x_T
    h0, c0   (N, H)      initial states h_0, C_0 (zeros when omitted)
    h        (T, N, H)   every hidden state h_1 ... h_T
    h_T, c_T (N, H)      final states
"""
from __future__ import annotations

import numpy as np

from .cell import lstm_cell_backward, lstm_cell_forward
from .params import LSTM_KEYS, check_lstm_params
from .validation import Shapes


def check_sequence_inputs(x, params, h0=None, c0=None) -> tuple[Shapes, np.ndarray, np.ndarray]:
    """Validate a layer call; return the bound shapes and the initial states (zeros if None)."""
    s = Shapes()
    s("x", x, ("T", "N", "D"))
    check_lstm_params(params, s)
    N, H = s.dims["N"], s.dims["H"]
    dtype = np.result_type(x, params["W_f"])
    h0 = np.zeros((N, H), dtype) if h0 is None else s("h0", h0, ("N", "H"))
    c0 = np.zeros((N, H), dtype) if c0 is None else s("c0", c0, ("N", "H"))
    return s, h0, c0


def lstm_forward(
    x: np.ndarray, params: dict[str, np.ndarray], h0: np.ndarray | None = None, c0: np.ndarray | None = None
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], list[dict[str, np.ndarray]]]:
    """Run an LSTM layer over a sequence, one :func:`lstm_cell_forward` per step.

    Args:
        x: (T, N, D) inputs.
        params: LSTM parameters (see :mod:`lstm_course.params`).
        h0: (N, H) initial hidden state, zeros if None.
        c0: (N, H) initial cell state, zeros if None.
    Returns:
        h: (T, N, H) hidden states h_1 ... h_T.
        (h_T, c_T): final hidden and cell states, each (N, H).
        cache: list of T per-step caches, for :func:`lstm_backward`.
    """
    s, h0, c0 = check_sequence_inputs(x, params, h0, c0)
    ### BEGIN SOLUTION
    T = x.shape[0]
    h_t, c_t = h0, c0
    hs, cache = [], []
    for t in range(T):
        h_t, c_t, step_cache = lstm_cell_forward(x[t], h_t, c_t, params)
        hs.append(h_t)
        cache.append(step_cache)
    h = np.stack(hs) if hs else np.zeros((0,) + h0.shape, h0.dtype)
    return h, (h_t, c_t), cache
    ### END SOLUTION


def lstm_backward(
    dh: np.ndarray,
    cache: list[dict[str, np.ndarray]],
    dh_T: np.ndarray | None = None,
    dc_T: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Backpropagation through time for :func:`lstm_forward`.

    Walk the steps backwards. At step t the gradient reaching h_t is the loss's own ``dh[t]``
    plus what step t+1 sent back through h_t; the gradient reaching C_t comes only from step
    t+1. Weights are shared by every step, so their gradients are *summed* over time.

    Args:
        dh: (T, N, H) gradient of the loss with respect to every h_t.
        cache: from :func:`lstm_forward`.
        dh_T: (N, H) extra gradient with respect to the final h_T (zeros if None).
        dc_T: (N, H) gradient with respect to the final C_T (zeros if None).
    Returns:
        dx: (T, N, D), dh0: (N, H), dc0: (N, H),
        grads: dict with the same keys and shapes as params.
    """
    s = Shapes()
    s("dh", dh, ("T", "N", "H"))
    if len(cache) != dh.shape[0]:
        raise ValueError(f"cache must hold one entry per step: dh has T = {dh.shape[0]} steps, cache has {len(cache)}")
    if dh_T is not None:
        s("dh_T", dh_T, ("N", "H"))
    if dc_T is not None:
        s("dc_T", dc_T, ("N", "H"))
    if not cache:
        raise ValueError("lstm_backward needs at least one step (T >= 1): with T = 0 there is nothing to differentiate")
    ### BEGIN SOLUTION
    T, N, H = dh.shape
    dh_next = np.zeros((N, H), dh.dtype) if dh_T is None else dh_T.copy()
    dc_next = np.zeros((N, H), dh.dtype) if dc_T is None else dc_T.copy()
    dx = np.zeros((T, N, cache[0]["x_t"].shape[1]), dh.dtype)
    W_f = cache[0]["W_f"]
    grads = {k: np.zeros(W_f.shape if k[0] == "W" else H, W_f.dtype) for k in LSTM_KEYS}
    for t in reversed(range(T)):
        dx[t], dh_next, dc_next, step_grads = lstm_cell_backward(dh[t] + dh_next, dc_next, cache[t])
        for k in grads:
            grads[k] += step_grads[k]
    return dx, dh_next, dc_next, grads
    ### END SOLUTION
