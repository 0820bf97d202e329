"""Sigmoid and tanh, the two squashing functions of the LSTM (article: "the roles of sigmoid and tanh").

* σ(z) = 1 / (1 + e^{-z}) lies in (0, 1): a *gate*, the fraction of a signal let through.
* tanh(z) = (e^{z} - e^{-z}) / (e^{z} + e^{-z}) lies in (-1, 1): a *value*, centred on zero,
  that can push the memory up or down.

Backward passes need the derivatives, and both are cheapest from the function's *output*,
which the forward pass caches anyway:

    σ'(z) = σ(z) (1 - σ(z))          tanh'(z) = 1 - tanh(z)^2
"""
from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^{-z}), elementwise, without overflow for any finite ``z``.

    The textbook formula overflows in ``exp(-z)`` for z < -709 (float64) or z < -88 (float32).
    Both branches below only ever exponentiate ``-|z| <= 0``, so ``e`` lies in (0, 1]:

        z >= 0:  σ(z) = 1 / (1 + e)      z < 0:  σ(z) = e / (1 + e)      with e = exp(-|z|)

    Args:
        z: array of any shape, float32 or float64.
    Returns:
        array of the same shape and dtype, values in [0, 1].
    """
    z = np.asarray(z)
    # exp(-|z|) underflows to 0 for |z| > ~745 (float64) / ~104 (float32). That 0 is the right
    # answer (σ is then 0 or 1 to working precision), so the underflow flag is not an error.
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e).astype(e.dtype, copy=False) / (1.0 + e)


def tanh(z: np.ndarray) -> np.ndarray:
    """tanh(z), elementwise. NumPy's ``tanh`` saturates to ±1 without overflow, so it is used as is."""
    return np.tanh(z)


def sigmoid_grad_from_output(s: np.ndarray) -> np.ndarray:
    """dσ/dz expressed through the output ``s = σ(z)``: ``s (1 - s)``. At most 1/4, at z = 0."""
    return s * (1.0 - s)


def tanh_grad_from_output(t: np.ndarray) -> np.ndarray:
    """d tanh/dz expressed through the output ``t = tanh(z)``: ``1 - t^2``. At most 1, at z = 0."""
    return 1.0 - t * t
