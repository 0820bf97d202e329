"""Losses with their gradients: each returns ``(loss, dpred)`` so training code stays two lines.

Both average over every element (MSE) or every position (cross-entropy), like PyTorch's
default ``reduction="mean"``.
"""
from __future__ import annotations

import numpy as np

from .validation import check_float_array


def mse_loss(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """L = mean((pred - target)²); dL/dpred = 2 (pred - target) / n. Shapes must match."""
    check_float_array("pred", pred)
    check_float_array("target", target)
    if pred.shape != target.shape:
        raise ValueError(f"pred and target must have the same shape, got pred {pred.shape} and target {target.shape}")
    diff = pred - target
    n = max(diff.size, 1)
    return float(np.sum(diff * diff) / n), (2.0 / n) * diff


def softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """softmax(z)_k = e^{z_k} / Σ_j e^{z_j}, shifted by max(z) so exp never overflows."""
    z = logits - logits.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def softmax_cross_entropy(logits: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """L = mean over positions of -log softmax(logits)[target]; dL/dlogits = (softmax - onehot) / n.

    Args:
        logits: (..., K) unnormalized scores.
        targets: (...) integer class indices in [0, K).
    """
    check_float_array("logits", logits)
    targets = np.asarray(targets)
    if targets.dtype.kind not in "iu":
        raise TypeError(f"targets must be integer class indices, got dtype {targets.dtype}")
    if targets.shape != logits.shape[:-1]:
        raise ValueError(f"targets must have shape {logits.shape[:-1]} (logits without the class axis), got {targets.shape}")
    K = logits.shape[-1]
    if targets.size and (targets.min() < 0 or targets.max() >= K):
        raise ValueError(f"targets must lie in [0, {K}), got values from {targets.min()} to {targets.max()}")
    z = logits - logits.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    n = max(targets.size, 1)
    picked = np.take_along_axis(log_p, targets[..., None], axis=-1)
    dlogits = np.exp(log_p)
    np.put_along_axis(dlogits, targets[..., None], np.take_along_axis(dlogits, targets[..., None], -1) - 1.0, -1)
    return float(-picked.sum() / n), dlogits / n
