"""Optimizers and gradient clipping, on parameter dicts.

An optimizer's ``step(params, grads)`` updates every array of ``params`` in place, so a
model's dict keeps its identity across training.
"""
from __future__ import annotations

import math
import numbers

import numpy as np


def clip_grad_norm(grads: dict[str, np.ndarray], max_norm: float) -> tuple[dict[str, np.ndarray], float]:
    """Rescale gradients so their *global* L2 norm is at most ``max_norm``.

        ‖g‖ = sqrt(Σ_k Σ g_k²)  over every array in ``grads`` together
        g_k <- g_k · min(1, max_norm / ‖g‖)

    One norm for all arrays keeps the update's direction; clipping each array alone would
    bend it. This is the standard cure for exploding gradients in RNNs (Pascanu et al., 2013).

    Args:
        grads: dict of gradient arrays.
        max_norm: positive threshold.
    Returns:
        (clipped, total_norm): a new dict (inputs untouched) and the norm *before* clipping.
    """
    # numbers.Real admits NumPy scalars (np.float32(1.0) is a fine threshold); bool is excluded
    # because True is almost certainly a mistake. inf is allowed and means "never clip".
    if isinstance(max_norm, bool) or not isinstance(max_norm, numbers.Real) or not max_norm > 0:
        raise ValueError(
            f"max_norm must be a positive number (the largest allowed global gradient norm, e.g. 1.0), "
            f"got {max_norm!r}"
        )
    ### BEGIN SOLUTION
    total_norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))
    scale = min(1.0, max_norm / (total_norm + 1e-12))
    return {k: g * scale for k, g in grads.items()}, total_norm
    ### END SOLUTION


class SGD:
    """Stochastic gradient descent, with optional momentum: v <- μ v + g;  θ <- θ - lr v."""

    def __init__(self, lr: float = 0.1, momentum: float = 0.0) -> None:
        if lr <= 0 or not 0 <= momentum < 1:
            raise ValueError(f"need lr > 0 and 0 <= momentum < 1, got lr={lr}, momentum={momentum}")
        self.lr, self.momentum = lr, momentum
        self.velocity: dict[str, np.ndarray] = {}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        for k, g in grads.items():
            if self.momentum:
                v = self.velocity.setdefault(k, np.zeros_like(g))
                v *= self.momentum
                v += g
                g = v
            params[k] -= self.lr * g


class Adam:
    """Adam (Kingma & Ba, 2015): per-parameter steps scaled by running moments of the gradient.

        m <- β1 m + (1-β1) g        v <- β2 v + (1-β2) g²
        θ <- θ - lr · m̂ / (√v̂ + ε)  with bias corrections m̂ = m/(1-β1^t), v̂ = v/(1-β2^t)
    """

    def __init__(self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        if lr <= 0:
            raise ValueError(f"lr must be positive, got {lr}")
        self.lr, (self.b1, self.b2), self.eps = lr, betas, eps
        self.t = 0
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        self.t += 1
        c1, c2 = 1 - self.b1**self.t, 1 - self.b2**self.t
        for k, g in grads.items():
            m = self.m.setdefault(k, np.zeros_like(g))
            v = self.v.setdefault(k, np.zeros_like(g))
            m *= self.b1
            m += (1 - self.b1) * g
            v *= self.b2
            v += (1 - self.b2) * g * g
            params[k] -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)
