"""Gradient checking by central differences, for any function of the package (or your own).

    ∂L/∂θ_k ≈ (L(θ + ε e_k) - L(θ - ε e_k)) / 2ε        error O(ε²)

Use float64: in float32 the rounding error of L (about 1e-7·|L|) divided by 2ε swamps the
truncation error, and no ε gives more than 2–3 correct digits.

Example, checking that σ'(z) = σ(z)(1 - σ(z)) (elementwise, so L = Σ dout ⊙ σ(z))::

    z, dout = rng.standard_normal(5), rng.standard_normal(5)
    s = sigmoid(z)
    check_gradient(lambda: sigmoid(z), z, dout * s * (1 - s), dout, name="z")
"""
from __future__ import annotations

from typing import Callable

import numpy as np


def numerical_gradient(
    f: Callable[[], np.ndarray | float], x: np.ndarray, dout: np.ndarray | float | None = None, eps: float = 1e-6
) -> np.ndarray:
    """Central-difference gradient of ``L = Σ dout ⊙ f()`` with respect to the array ``x``.

    ``f`` takes no arguments and reads ``x`` itself (a closure); ``x`` is perturbed in place,
    one entry at a time, and always restored, even if ``f`` raises.

    Args:
        f: callable returning an array (or a scalar loss when ``dout`` is None).
        x: float array that ``f`` depends on; must be writable.
        dout: upstream gradient with ``f()``'s shape; None means f returns a scalar.
        eps: step size.
    Returns:
        array of ``x``'s shape.
    """
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError(f"x must be a float NumPy array that f reads, got {type(x).__name__}")
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        idx = it.multi_index
        old = x[idx]
        try:
            x[idx] = old + eps
            plus = _scalar(f(), dout)
            x[idx] = old - eps
            minus = _scalar(f(), dout)
        finally:
            x[idx] = old
        grad[idx] = (plus - minus) / (2 * eps)
        it.iternext()
    return grad


def _scalar(y, dout) -> float:
    y = np.asarray(y, dtype=np.float64)
    if dout is None:
        if y.size != 1:
            raise ValueError(f"f returned an array of shape {y.shape}; pass dout of that shape, or return a scalar")
        return float(y)
    return float(np.sum(y * dout))


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max(|a| + |b|, 1e-8), elementwise then maximized. Below ~1e-7 means agreement in float64."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare shapes {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)))


def check_gradient(
    f: Callable[[], np.ndarray | float],
    x: np.ndarray,
    analytic: np.ndarray,
    dout: np.ndarray | None = None,
    *,
    name: str = "x",
    eps: float = 1e-6,
    tol: float = 1e-6,
) -> float:
    """Compare an analytic gradient with central differences; raise ``AssertionError`` if they differ.

    Returns the relative error. The message names the worst entry, so a learner can see
    *which* weight's gradient is wrong (a transposed or missing term shows up as a pattern).
    """
    num = numerical_gradient(f, x, dout, eps)
    if np.shape(analytic) != num.shape:
        raise AssertionError(f"gradient of {name}: analytic has shape {np.shape(analytic)}, expected {num.shape}")
    err = relative_error(num, analytic)
    if not err < tol:
        diff = np.abs(num - np.asarray(analytic))
        idx = np.unravel_index(int(np.argmax(diff)), diff.shape)
        raise AssertionError(
            f"gradient of {name} is wrong: relative error {err:.2e} > {tol:.0e}; worst entry {tuple(int(i) for i in idx)}: "
            f"numerical {num[idx]:.6g}, analytic {np.asarray(analytic)[idx]:.6g}"
        )
    return err
