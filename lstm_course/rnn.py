"""A vanilla (Elman) tanh RNN, forward and backward: the model LSTMs were invented to fix.

    h_t = tanh(W·[h_{t-1}, x_t] + b)

Backpropagating through it multiplies, at every step, by ``diag(1 - h_t²)·W_h``. When that
product's norm stays below 1 the gradient shrinks geometrically with distance: the
vanishing-gradient problem that :mod:`lstm_course.experiments` measures.

Shapes: x (T, N, D); h0, h_T (N, H); h (T, N, H); W (H, H+D); b (H,).
"""
from __future__ import annotations

import numpy as np

from .activations import tanh_grad_from_output
from .params import check_rnn_params
from .validation import Shapes


def rnn_forward(
    x: np.ndarray, params: dict[str, np.ndarray], h0: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Run a tanh RNN over a sequence.

    Args:
        x: (T, N, D) inputs.
        params: ``W`` (H, H+D) and ``b`` (H,).
        h0: (N, H) initial hidden state, zeros if None.
    Returns:
        h: (T, N, H) hidden states; h_T: (N, H) final state; cache for :func:`rnn_backward`.
    """
    s = Shapes()
    s("x", x, ("T", "N", "D"))
    check_rnn_params(params, s)
    T, N, D = x.shape
    H = s.dims["H"]
    dtype = np.result_type(x, params["W"])
    h0 = np.zeros((N, H), dtype) if h0 is None else s("h0", h0, ("N", "H"))
    ### BEGIN SOLUTION
    W, b = params["W"], params["b"]
    Wh_T, Wx_T = W[:, :H].T, W[:, H:].T
    xw = (x.reshape(T * N, D) @ Wx_T).reshape(T, N, H) + b  # every input projection at once
    hs = np.empty((T + 1, N, H), dtype)
    hs[0] = h0
    for t in range(T):
        hs[t + 1] = np.tanh(xw[t] + hs[t] @ Wh_T)
    return hs[1:].copy(), hs[T].copy(), {"x": x, "h": hs, "W": W}
    ### END SOLUTION


def rnn_backward(
    dh: np.ndarray, cache: dict, dh_T: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """BPTT for :func:`rnn_forward`.

    Args:
        dh: (T, N, H) gradient with respect to every h_t.
        cache: from :func:`rnn_forward`.
        dh_T: (N, H) extra gradient with respect to the final state (zeros if None).
    Returns:
        dx: (T, N, D), dh0: (N, H), grads: dict ``W`` (H, H+D), ``b`` (H,).
    """
    s = Shapes()
    s("dh", dh, ("T", "N", "H"))
    x, hs, W = cache["x"], cache["h"], cache["W"]
    T, N, H = dh.shape
    D = x.shape[2]
    if hs.shape != (T + 1, N, H):
        raise ValueError(f"dh has shape {dh.shape} but the cache is for (T, N, H) = {(hs.shape[0] - 1,) + hs.shape[1:]}")
    dh_next = np.zeros((N, H), dh.dtype) if dh_T is None else s("dh_T", dh_T, ("N", "H")).copy()
    dz = np.empty((T, N, H), np.result_type(dh, W))
    Wh = W[:, :H]
    for t in range(T - 1, -1, -1):
        dz[t] = (dh[t] + dh_next) * tanh_grad_from_output(hs[t + 1])
        dh_next = dz[t] @ Wh
    dz2 = dz.reshape(T * N, H)
    dW = np.concatenate([dz2.T @ hs[:-1].reshape(T * N, H), dz2.T @ x.reshape(T * N, D)], axis=1)
    dx = (dz2 @ W[:, H:]).reshape(T, N, D)
    return dx, dh_next, {"W": dW, "b": dz2.sum(axis=0)}
