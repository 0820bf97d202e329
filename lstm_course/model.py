"""A sequence model: one LSTM layer and a linear readout of the hidden state, and its training.

    h_1..h_T = LSTM(x_1..x_T)            ŷ_t = W_y·h_t + b_y

The readout reads h_t, never C_t (the article's "why the hidden state is the output").
``readout="all"`` predicts at every step (forecasting, language models); ``"last"`` predicts
once from h_T (classifying a whole sequence).

Shapes: x (T, N, D); W_y (O, H); b_y (O,); ŷ (T, N, O) for "all" or (N, O) for "last".
Targets: same shape as ŷ for ``loss="mse"``; integer classes (T, N) or (N,) for ``loss="xent"``.
"""
from __future__ import annotations

import time
from typing import Callable, Iterable

import numpy as np

from .fast import lstm_backward_fast, lstm_forward_fast
from .losses import mse_loss, softmax_cross_entropy
from .optim import clip_grad_norm
from .params import LSTM_KEYS, init_lstm_params

READOUT_KEYS = ("W_y", "b_y")


def init_model(
    input_size: int, hidden_size: int, output_size: int, *, forget_bias: float = 1.0, seed: int = 0, dtype: type = np.float64
) -> dict[str, np.ndarray]:
    """LSTM params (see :func:`lstm_course.params.init_lstm_params`) plus ``W_y`` (O, H), ``b_y`` (O,)."""
    rng = np.random.default_rng(seed)
    params = init_lstm_params(input_size, hidden_size, forget_bias=forget_bias, seed=rng, dtype=dtype)
    k = 1.0 / np.sqrt(hidden_size)
    params["W_y"] = rng.uniform(-k, k, size=(output_size, hidden_size)).astype(dtype)
    params["b_y"] = np.zeros(output_size, dtype)
    return params


def split_params(params: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(lstm_params, readout_params) views of a model's dict."""
    missing = [k for k in LSTM_KEYS + READOUT_KEYS if k not in params]
    if missing:
        raise ValueError(f"model params are missing {missing}; build them with init_model(D, H, O)")
    return {k: params[k] for k in LSTM_KEYS}, {k: params[k] for k in READOUT_KEYS}


def model_forward(params, x, *, readout: str = "all", forward: Callable = lstm_forward_fast):
    """Predictions ŷ and the caches :func:`model_backward` needs."""
    if readout not in ("all", "last"):
        raise ValueError(f"readout must be 'all' or 'last', got {readout!r}")
    lstm_p, out_p = split_params(params)
    h, (h_T, _), cache = forward(x, lstm_p)
    feats = h if readout == "all" else h_T
    y_hat = feats @ out_p["W_y"].T + out_p["b_y"]
    return y_hat, (cache, feats, readout, h.shape)


def model_backward(params, dy_hat, caches, *, backward: Callable = lstm_backward_fast) -> dict[str, np.ndarray]:
    """Gradients of every parameter (LSTM and readout) given dL/dŷ."""
    cache, feats, readout, h_shape = caches
    W_y = params["W_y"]
    flat_dy = dy_hat.reshape(-1, dy_hat.shape[-1])
    grads_out = {"W_y": flat_dy.T @ feats.reshape(-1, feats.shape[-1]), "b_y": flat_dy.sum(axis=0)}
    dfeats = dy_hat @ W_y  # (…, H)
    if readout == "all":
        _, _, _, grads = backward(dfeats, cache)
    else:
        dh = np.zeros(h_shape, dfeats.dtype)
        _, _, _, grads = backward(dh, cache, dh_T=dfeats)
    grads.update(grads_out)
    return grads


def loss_and_grads(
    params, x, y, *, loss: str = "mse", readout: str = "all",
    forward: Callable = lstm_forward_fast, backward: Callable = lstm_backward_fast,
) -> tuple[float, dict[str, np.ndarray]]:
    """Forward, loss and backward for one batch. ``forward``/``backward`` may be your own LSTM functions."""
    y_hat, caches = model_forward(params, x, readout=readout, forward=forward)
    if loss == "mse":
        value, dy = mse_loss(y_hat, y)
    elif loss == "xent":
        value, dy = softmax_cross_entropy(y_hat, y)
    else:
        raise ValueError(f"loss must be 'mse' or 'xent', got {loss!r}")
    return value, model_backward(params, dy, caches, backward=backward)


def predict(params, x, *, readout: str = "all") -> np.ndarray:
    """ŷ for inputs ``x`` (fast path)."""
    return model_forward(params, x, readout=readout)[0]


def train_step(params, x, y, optimizer, max_norm: float = 1.0, **loss_kwargs) -> float:
    """One step of training: loss and gradients, clip by global norm, update ``params`` in place.

    Args:
        params: model params from :func:`init_model` (updated in place).
        x: (T, N, D) inputs; y: targets (see the module docstring).
        optimizer: an object with ``step(params, grads)`` (:class:`~lstm_course.optim.SGD`, :class:`~lstm_course.optim.Adam`).
        max_norm: gradient-clipping threshold.
        **loss_kwargs: ``loss``, ``readout``, ``forward``, ``backward`` for :func:`loss_and_grads`.
    Returns:
        the batch loss *before* the update.
    """
    ### BEGIN SOLUTION
    value, grads = loss_and_grads(params, x, y, **loss_kwargs)
    grads, _ = clip_grad_norm(grads, max_norm)
    optimizer.step(params, grads)
    return value
    ### END SOLUTION


def shuffled_batches(
    x: np.ndarray, y: np.ndarray, batch_size: int, *, readout: str = "all", seed: int = 0
) -> Callable[[int], Iterable[tuple[np.ndarray, np.ndarray]]]:
    """A ``batches(epoch)`` for :func:`fit`: the N examples in a fresh order each epoch, cut into batches.

    ``x`` is (T, N, D); ``y`` is split along its batch axis, axis 1 for ``readout="all"``
    ((T, N, ...) targets) and axis 0 for ``readout="last"`` ((N, ...) targets). The order of
    epoch e depends only on (seed, e), so training is reproducible and resumable.
    """
    if readout not in ("all", "last"):
        raise ValueError(f"readout must be 'all' or 'last', got {readout!r}")
    N = x.shape[1]
    y_axis = 1 if readout == "all" else 0
    if y.shape[y_axis] != N:
        raise ValueError(f"y must have the batch size N = {N} (from x) on axis {y_axis} for readout={readout!r}, got shape {y.shape}")

    def batches(epoch: int):
        perm = np.random.default_rng([seed, epoch]).permutation(N)
        for k in range(0, N, batch_size):
            idx = perm[k:k + batch_size]
            yield x[:, idx], np.take(y, idx, axis=y_axis)

    return batches


def fit(
    params,
    batches: Callable[[int], Iterable[tuple[np.ndarray, np.ndarray]]],
    optimizer,
    *,
    epochs: int = 10,
    step: Callable = train_step,
    log_every: int = 1,
    verbose: bool = True,
    **step_kwargs,
) -> list[float]:
    """Train for ``epochs`` epochs and return the mean loss of each.

    Args:
        batches: ``batches(epoch)`` yields (x, y) pairs, so shuffling can depend on the epoch.
        step: the training step (defaults to :func:`train_step`; pass your own).
        log_every: print progress every this many epochs (when ``verbose``).
    """
    history = []
    start = time.perf_counter()
    for epoch in range(epochs):
        losses = [step(params, x, y, optimizer, **step_kwargs) for x, y in batches(epoch)]
        history.append(float(np.mean(losses)))
        if verbose and ((epoch + 1) % log_every == 0 or epoch + 1 == epochs):
            print(f"epoch {epoch + 1:>4}/{epochs}  loss {history[-1]:.5f}  ({time.perf_counter() - start:.1f}s)")
    return history
