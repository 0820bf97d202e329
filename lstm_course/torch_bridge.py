"""Convert between PyTorch's LSTM weights and the article's notation. The mapping lives here, once.

PyTorch (``torch.nn.LSTM`` layer k, ``torch.nn.LSTMCell``) stores, for hidden size H and
input size D (for k > 0, D is the previous layer's H)::

    weight_ih_l{k}  (4H, D)   rows [W_ii | W_if | W_ig | W_io]  gate order (i, f, g, o)
    weight_hh_l{k}  (4H, H)   rows [W_hi | W_hf | W_hg | W_ho]
    bias_ih_l{k}    (4H,)     two biases, added together
    bias_hh_l{k}    (4H,)

and computes ``g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)``: its g is the article's C̃.
The article multiplies one matrix by ``[h_{t-1}, x_t]`` (hidden first), so for each gate
q ∈ {i, f, g→C, o}::

    W_q (article) = [ W_hq | W_iq ]   shape (H, H + D)   hidden columns first
    b_q (article) = b_iq + b_hq       shape (H,)

Going back, the article's single bias goes into ``bias_ih`` and ``bias_hh`` is set to zero;
the function computed is identical (only the sum of the two biases matters).
``LSTMCell`` uses the same names without the ``_l{k}`` suffix. ``torch`` is imported lazily,
so the rest of the package does not need it.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .params import LSTM_KEYS, check_lstm_params

TORCH_GATE_ORDER = ("i", "f", "C", "o")  # PyTorch's (i, f, g, o), g = the article's C̃


def params_from_torch_weights(weight_ih, weight_hh, bias_ih=None, bias_hh=None) -> dict[str, np.ndarray]:
    """Article-notation params from one layer's four PyTorch tensors (or arrays). See the module docstring."""
    w_ih, w_hh = _np(weight_ih), _np(weight_hh)
    four_h, H = w_hh.shape
    assert four_h == 4 * H, f"weight_hh must be (4H, H), got {w_hh.shape}"
    assert w_ih.shape[0] == 4 * H, f"weight_ih must be (4H, D) with 4H = {4 * H}, got {w_ih.shape}"
    b = np.zeros(4 * H, w_ih.dtype)
    for bias in (bias_ih, bias_hh):
        if bias is not None:
            b = b + _np(bias)
    params = {}
    for k, q in enumerate(TORCH_GATE_ORDER):
        rows = slice(k * H, (k + 1) * H)
        params[f"W_{q}"] = np.concatenate([w_hh[rows], w_ih[rows]], axis=1)  # (H, H+D): [h, x]
        params[f"b_{q}"] = b[rows].copy()
    return {key: params[key] for key in LSTM_KEYS}


def params_to_torch_weights(params: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Inverse of :func:`params_from_torch_weights`: (weight_ih, weight_hh, bias_ih, bias_hh) as arrays."""
    s = check_lstm_params(params)
    H = s.dims["H"]
    w = [params[f"W_{q}"] for q in TORCH_GATE_ORDER]
    weight_hh = np.concatenate([m[:, :H] for m in w], axis=0)  # (4H, H)
    weight_ih = np.concatenate([m[:, H:] for m in w], axis=0)  # (4H, D)
    bias_ih = np.concatenate([params[f"b_{q}"] for q in TORCH_GATE_ORDER])
    assert weight_hh.shape == (4 * H, H) and weight_ih.shape[0] == 4 * H
    return weight_ih, weight_hh, bias_ih, np.zeros_like(bias_ih)


def from_torch(module: Any) -> dict[str, np.ndarray] | list[dict[str, np.ndarray]]:
    """Article-notation params of a ``torch.nn.LSTMCell`` (one dict) or ``torch.nn.LSTM`` (one dict per layer)."""
    import torch

    if isinstance(module, torch.nn.LSTMCell):
        return params_from_torch_weights(module.weight_ih, module.weight_hh, module.bias_ih, module.bias_hh)
    if isinstance(module, torch.nn.LSTM):
        _check_supported(module)
        return [
            params_from_torch_weights(
                getattr(module, f"weight_ih_l{k}"), getattr(module, f"weight_hh_l{k}"),
                getattr(module, f"bias_ih_l{k}", None), getattr(module, f"bias_hh_l{k}", None),
            )
            for k in range(module.num_layers)
        ]
    raise TypeError(f"module must be torch.nn.LSTM or torch.nn.LSTMCell, got {type(module).__name__}")


def to_torch(params: dict[str, np.ndarray] | list[dict[str, np.ndarray]], module: Any = None, *, dtype: Any = None) -> Any:
    """Copy article-notation params into a PyTorch module and return it.

    Args:
        params: one dict (for an ``LSTMCell``, or a one-layer ``LSTM``) or a list of dicts (one per layer).
        module: an existing ``torch.nn.LSTM``/``LSTMCell`` with matching sizes, or None to build
            an ``nn.LSTM`` (from a list) or ``nn.LSTMCell`` (from a dict).
        dtype: torch dtype of a new module; defaults to that of the arrays.
    """
    import torch

    layers = params if isinstance(params, list) else [params]
    converted = [params_to_torch_weights(p) for p in layers]
    if dtype is None:
        dtype = torch.float64 if converted[0][0].dtype == np.float64 else torch.float32
    if module is None:
        D, H = converted[0][0].shape[1], converted[0][1].shape[1]
        if isinstance(params, list):
            module = torch.nn.LSTM(D, H, num_layers=len(layers), dtype=dtype)
        else:
            module = torch.nn.LSTMCell(D, H, dtype=dtype)
    if isinstance(module, torch.nn.LSTMCell):
        if len(layers) != 1:
            raise ValueError(f"an LSTMCell has one layer, but {len(layers)} parameter dicts were given")
        names = [("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    elif isinstance(module, torch.nn.LSTM):
        _check_supported(module)
        if len(layers) != module.num_layers:
            raise ValueError(f"module has num_layers = {module.num_layers}, but {len(layers)} parameter dicts were given")
        names = [(f"weight_ih_l{k}", f"weight_hh_l{k}", f"bias_ih_l{k}", f"bias_hh_l{k}") for k in range(len(layers))]
    else:
        raise TypeError(f"module must be torch.nn.LSTM or torch.nn.LSTMCell, got {type(module).__name__}")
    with torch.no_grad():
        for layer_names, arrays in zip(names, converted):
            for name, arr in zip(layer_names, arrays):
                p = getattr(module, name, None)
                if p is None:
                    raise ValueError(f"module has no {name} (built with bias=False?); the article's LSTM has biases")
                if tuple(p.shape) != arr.shape:
                    raise ValueError(f"{name}: module has shape {tuple(p.shape)}, params give {arr.shape}")
                p.copy_(torch.from_numpy(np.ascontiguousarray(arr)))
    return module


def _check_supported(module) -> None:
    if module.bidirectional or getattr(module, "proj_size", 0):
        raise ValueError("bidirectional LSTMs and proj_size > 0 are not covered by the article's notation")


def _np(t) -> np.ndarray:
    if hasattr(t, "detach"):
        t = t.detach().cpu().numpy()
    return np.asarray(t)
