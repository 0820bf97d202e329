"""LSTM and RNN parameters in the article's notation, their initialization and their checks.

An LSTM layer with input size D and hidden size H holds four gate layers. Each reads the
concatenation ``[h_{t-1}, x_t]`` (hidden state first, as in the article), so each weight
matrix has shape (H, H+D) and each bias shape (H,):

    W_f, b_f   forget gate          f_t  = σ(W_f·[h_{t-1}, x_t] + b_f)
    W_i, b_i   input gate           i_t  = σ(W_i·[h_{t-1}, x_t] + b_i)
    W_C, b_C   candidate memory     C̃_t = tanh(W_C·[h_{t-1}, x_t] + b_C)
    W_o, b_o   output gate          o_t  = σ(W_o·[h_{t-1}, x_t] + b_o)

Parameters are a plain ``dict`` of NumPy arrays with exactly these keys, so that a learner
can print them, an optimizer can loop over them and a grader can save them as ``.npz``.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from .validation import Shapes, check_keys

LSTM_KEYS = ("W_f", "b_f", "W_i", "b_i", "W_C", "b_C", "W_o", "b_o")
GATES = ("f", "i", "C", "o")  # the article's order: forget, input, candidate, output
RNN_KEYS = ("W", "b")

# Names learners coming from PyTorch or other texts often reach for.
_LSTM_ALIASES = {
    "W_g": "W_C", "b_g": "b_C", "W_c": "W_C", "b_c": "b_C",
    "W_ct": "W_C", "b_ct": "b_C", "W_F": "W_f", "W_I": "W_i", "W_O": "W_o",
}


def init_lstm_params(
    input_size: int,
    hidden_size: int,
    *,
    forget_bias: float = 1.0,
    seed: int | np.random.Generator = 0,
    dtype: type = np.float64,
) -> dict[str, np.ndarray]:
    """Random LSTM parameters, drawn like PyTorch's: every entry ~ U(-1/√H, 1/√H).

    ``forget_bias`` is *added* to ``b_f``. A positive value (1.0, the default) makes
    f_t ≈ σ(1) ≈ 0.73 at the start of training, so the cell state is mostly carried
    forward and gradients reach early time steps from the first update on. Gers et al.
    (2000) proposed it; Jozefowicz et al. (2015) found it closes most of the gap between
    LSTM and more elaborate variants. Use ``forget_bias=0.0`` for PyTorch's initialization.

    Args:
        input_size: D, the size of x_t.
        hidden_size: H, the size of h_t and C_t.
        forget_bias: added to every entry of b_f.
        seed: an int seed or a ``np.random.Generator``.
        dtype: np.float32 or np.float64.
    Returns:
        dict with W_f, W_i, W_C, W_o of shape (H, H+D) and b_f, b_i, b_C, b_o of shape (H,).
    """
    D, H = _positive("input_size", input_size), _positive("hidden_size", hidden_size)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    k = 1.0 / np.sqrt(H)
    params = {}
    for g in GATES:
        params[f"W_{g}"] = rng.uniform(-k, k, size=(H, H + D)).astype(dtype)
        params[f"b_{g}"] = rng.uniform(-k, k, size=(H,)).astype(dtype)
    params["b_f"] += dtype(forget_bias)
    return params


def init_rnn_params(
    input_size: int, hidden_size: int, *, seed: int | np.random.Generator = 0, dtype: type = np.float64
) -> dict[str, np.ndarray]:
    """Vanilla RNN parameters ``W`` (H, H+D) and ``b`` (H,) for h_t = tanh(W·[h_{t-1}, x_t] + b)."""
    D, H = _positive("input_size", input_size), _positive("hidden_size", hidden_size)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    k = 1.0 / np.sqrt(H)
    return {
        "W": rng.uniform(-k, k, size=(H, H + D)).astype(dtype),
        "b": rng.uniform(-k, k, size=(H,)).astype(dtype),
    }


def check_lstm_params(params: Mapping[str, np.ndarray], shapes: Shapes | None = None) -> Shapes:
    """Check keys, dtypes and shapes of LSTM ``params``; return the bound :class:`Shapes`.

    If ``shapes`` already knows D (from x_t) or H (from h_prev), the weights must agree.
    """
    check_keys("params", params, LSTM_KEYS, aliases=_LSTM_ALIASES)
    s = shapes if shapes is not None else Shapes()
    s("params['b_f']", params["b_f"], ("H",))
    if "D" not in s.dims:
        # Learn D from W_f's width so the message about x_t can quote it.
        W_f = params["W_f"]
        s("params['W_f']", W_f, ("H", W_f.shape[-1] if getattr(W_f, "ndim", 0) == 2 else "H+D"))
        s.dims["D"] = W_f.shape[1] - s.dims["H"]
        s.source["D"] = "params['W_f'] (width H+D)"
        if s.dims["D"] < 1:
            raise ValueError(
                f"params['W_f'] must have shape (H, H+D) with D >= 1, but got {W_f.shape} with H = {s.dims['H']}"
            )
    for g in GATES:
        s(f"params['W_{g}']", params[f"W_{g}"], ("H", "H+D"))
        s(f"params['b_{g}']", params[f"b_{g}"], ("H",))
    return s


def check_rnn_params(params: Mapping[str, np.ndarray], shapes: Shapes | None = None) -> Shapes:
    """Check keys, dtypes and shapes of vanilla-RNN ``params`` (``W`` (H, H+D), ``b`` (H,))."""
    check_keys("params", params, RNN_KEYS, aliases={"W_h": "W", "b_h": "b"})
    s = shapes if shapes is not None else Shapes()
    s("params['b']", params["b"], ("H",))
    if "D" not in s.dims:
        W = params["W"]
        s("params['W']", W, ("H", W.shape[-1] if getattr(W, "ndim", 0) == 2 else "H+D"))
        s.dims["D"] = W.shape[1] - s.dims["H"]
        s.source["D"] = "params['W'] (width H+D)"
    s("params['W']", params["W"], ("H", "H+D"))
    return s


def _positive(name: str, n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n!r}")
    return int(n)
