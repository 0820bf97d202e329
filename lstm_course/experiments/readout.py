"""Chapter 7, why the hidden state is the output: networks whose readout reads h_t, tanh(C_t) or C_t.

    C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t   (unbounded)        h_t = o_t ⊙ tanh(C_t)   (in (-1, 1))

h_t differs from C_t in two ways: tanh bounds it, and o_t selects what of it is shown. Three
readouts take them apart: ŷ_t = W_y·s_t + b_y with s_t = C_t (neither), tanh(C_t) (the bound
only) or h_t (both). The LSTM itself is the same in all three (its gates always read h_{t-1});
only what the readout reads changes.

The task, "who is ahead", needs a counter. Every step shows a vote x_t = ±1; the target is who
leads so far, y_t = sign(Σ_{τ≤t} x_τ) (0 on a tie). An LSTM solves it by counting in its cell
state, so C_t follows the running sum, a random walk that strays further the longer the
sequence. Two comparisons, over seeds:

- a readout fitted *after* training, by least squares, on h_t and on C_t of a network trained to
  be read from h_t (:func:`refit_readouts`): it measures the states of a network built for h_t;
- three networks trained *end to end*, on the same data from the same initial weights, one per
  readout (:func:`train_who_is_ahead`): the fair comparison.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cell import lstm_cell_backward
from ..fast import gate_trace, lstm_forward_fast
from ..losses import mse_loss
from ..model import fit, init_model, loss_and_grads, split_params
from ..optim import Adam, clip_grad_norm
from ..params import LSTM_KEYS

T_TRAIN = 20
HIDDEN = 8
#: What the readout can read, in the order the page shows them, and how the page names them.
READS = ("h", "tanh_c", "c")
READ_LABELS = {"h": "h_t", "tanh_c": "tanh(C_t)", "c": "C_t"}
#: Test lengths: the training length and two longer ones.
LENGTHS = (20, 100, 400)


def make_who_is_ahead(n: int, T: int = T_TRAIN, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Votes x (T, n, 1) of ±1 and targets y (T, n, 1) = sign of the running sum (0 on a tie)."""
    if n < 1 or T < 1:
        raise ValueError(f"need n >= 1 and T >= 1, got n={n}, T={T}")
    x = np.random.default_rng(seed).choice([-1.0, 1.0], size=(T, n, 1))
    return x, np.sign(np.cumsum(x, axis=0))


def _check_reads(reads: str) -> None:
    if reads not in READS:
        raise ValueError(f"reads must be one of {READS} (what the readout reads), got {reads!r}")


def states(params: dict[str, np.ndarray], x: np.ndarray) -> dict[str, np.ndarray]:
    """The LSTM's gate trace on ``x``: (T, N, H) arrays ``h``, ``c``, ``tanh_c``, ``o``, ``f``, ..."""
    lstm_params, _ = split_params(params)
    _, _, cache = lstm_forward_fast(x, lstm_params)
    return {k: np.array(v) for k, v in gate_trace(cache).items()}


def predict_reading(params: dict[str, np.ndarray], x: np.ndarray, reads: str = "h") -> np.ndarray:
    """ŷ_t = W_y·s_t + b_y at every step, s_t the state named by ``reads``; (T, N, O)."""
    _check_reads(reads)
    return states(params, x)[reads] @ params["W_y"].T + params["b_y"]


def loss_and_grads_reading(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, reads: str = "h") -> tuple[float, dict[str, np.ndarray]]:
    """MSE of ``ŷ_t = W_y·s_t + b_y`` at every step and the gradient of every parameter.

    ``reads="h"`` is the package's own model (:func:`lstm_course.model.loss_and_grads`). For C_t and
    tanh(C_t) the loss reaches the cell state directly at every step, a gradient that
    :func:`lstm_course.lstm_backward_fast` has no input for (it takes dL/dh_t at every step and
    dL/dC_T only at the end), so backpropagation through time is written out here with the
    package's one-step :func:`lstm_course.cell.lstm_cell_backward`, which takes both:

        dL/dC_t (from the readout) = W_yᵀ·dL/dŷ_t               for s_t = C_t
                                   = W_yᵀ·dL/dŷ_t ⊙ (1 - tanh²(C_t))   for s_t = tanh(C_t)
    """
    _check_reads(reads)
    if reads == "h":
        return loss_and_grads(params, x, y, loss="mse", readout="all")
    lstm_params, out = split_params(params)
    _, _, cache = lstm_forward_fast(x, lstm_params)
    tr = gate_trace(cache)
    s = tr[reads]  # (T, N, H)
    loss, dy = mse_loss(s @ out["W_y"].T + out["b_y"], y)  # dy (T, N, O)
    ds = dy @ out["W_y"]  # (T, N, H)
    dc_readout = ds if reads == "c" else ds * (1.0 - tr["tanh_c"] ** 2)
    grads = {k: np.zeros_like(lstm_params[k]) for k in LSTM_KEYS}
    weights = {k: lstm_params[k] for k in ("W_f", "W_i", "W_C", "W_o")}
    dh_next = np.zeros_like(ds[0])  # nothing reads h_t from outside: only the next step's gates do
    dc_next = np.zeros_like(ds[0])
    for t in reversed(range(x.shape[0])):
        step_cache = {  # the arrays lstm_cell_forward would have cached at step t
            "x_t": x[t], "h_prev": cache["h"][t], "c_prev": cache["c"][t], "f_t": tr["f"][t], "i_t": tr["i"][t],
            "c_tilde_t": tr["c_tilde"][t], "c_t": tr["c"][t], "o_t": tr["o"][t], "tanh_c_t": tr["tanh_c"][t], **weights,
        }
        _, dh_next, dc_next, step_grads = lstm_cell_backward(dh_next, dc_next + dc_readout[t], step_cache)
        for k in grads:
            grads[k] += step_grads[k]
    flat_dy, flat_s = dy.reshape(-1, dy.shape[-1]), s.reshape(-1, s.shape[-1])
    grads["W_y"], grads["b_y"] = flat_dy.T @ flat_s, flat_dy.sum(axis=0)
    return loss, grads


def train_step_reading(params, x, y, optimizer, max_norm: float = 1.0, *, reads: str = "h") -> float:
    """:func:`lstm_course.train_step` for a readout of ``reads``: loss, clip by global norm, update in place."""
    value, grads = loss_and_grads_reading(params, x, y, reads)
    grads, _ = clip_grad_norm(grads, max_norm)
    optimizer.step(params, grads)
    return value


@dataclass(frozen=True)
class TrainedReadout:
    params: dict[str, np.ndarray]
    reads: str
    losses: list[float]  # mean training loss of every epoch


def train_who_is_ahead(
    *, reads: str = "h", seed: int = 0, epochs: int = 10, batches: int = 15, batch_size: int = 128, lr: float = 2e-2
) -> TrainedReadout:
    """Train an LSTM (H = 8) + linear readout of ``reads`` at every step, MSE, on sequences of length 20.

    The data and the initial weights depend on ``seed`` only, so the three readouts of one seed
    are trained on the same batches from the same start: a paired comparison.
    """
    _check_reads(reads)
    data = [make_who_is_ahead(batch_size, seed=1000 * seed + k) for k in range(batches)]
    params = init_model(1, HIDDEN, 1, seed=seed)
    losses = fit(params, lambda epoch: data, Adam(lr), epochs=epochs, step=train_step_reading, verbose=False, reads=reads)
    return TrainedReadout(params, reads, losses)


def errors_at_lengths(model: TrainedReadout, *, lengths: tuple[int, ...] = LENGTHS, n: int = 300, seed: int = 2) -> dict[str, list[float]]:
    """Test MSE of a trained model at every length, with ``c_max`` = max |C_t| and ``zero`` = the MSE of answering 0."""
    out: dict[str, list[float]] = {"mse": [], "c_max": [], "zero": []}
    for T in lengths:
        x, y = make_who_is_ahead(n, T, seed=seed)
        tr = states(model.params, x)
        out["mse"].append(float(np.mean((tr[model.reads] @ model.params["W_y"].T + model.params["b_y"] - y) ** 2)))
        out["c_max"].append(float(np.abs(tr["c"]).max()))
        out["zero"].append(float(np.mean(y ** 2)))
    return out


def _design(F: np.ndarray) -> np.ndarray:
    """(T, N, H) features -> (T·N, H+1) rows with a constant 1 for the bias."""
    flat = F.reshape(-1, F.shape[-1])
    return np.concatenate([flat, np.ones((flat.shape[0], 1))], axis=1)


def fit_linear_readout(F: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares readout ŷ = [F, 1]·w over every step and sequence; returns w (H+1, O)."""
    return np.linalg.lstsq(_design(F), y.reshape(-1, y.shape[-1]), rcond=None)[0]


def readout_mse(w: np.ndarray, F: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((_design(F) @ w - y.reshape(-1, y.shape[-1])) ** 2))


def refit_readouts(params: dict[str, np.ndarray], *, n: int = 300) -> dict[str, float]:
    """Fit a fresh linear readout on h_t and on C_t of a trained network (length 20, seed 1); test it (seed 2).

    Returns ``mse_h`` and ``mse_c``, both at the training length.
    """
    x, y = make_who_is_ahead(n, T_TRAIN, seed=1)
    tr = states(params, x)
    w_h, w_c = fit_linear_readout(tr["h"], y), fit_linear_readout(tr["c"], y)
    x, y = make_who_is_ahead(n, T_TRAIN, seed=2)
    tr = states(params, x)
    return {"mse_h": readout_mse(w_h, tr["h"], y), "mse_c": readout_mse(w_c, tr["c"], y)}


def counter_unit(params: dict[str, np.ndarray], *, T: int = 100, n: int = 300, seed: int = 3) -> dict[str, float]:
    """The unit whose C_t tracks the running sum best, and what its h_t reports.

    Returns ``unit``, ``corr_c`` = |corr(C_t, Σx)| over every step and sequence, ``corr_h`` the same
    for that unit's h_t (h saturates, so it tracks the *sign* rather than the count), and
    ``corr_h_sign`` = |corr(h_t, y_t)| of that unit with who is ahead.
    """
    x, y = make_who_is_ahead(n, T, seed=seed)
    tr = states(params, x)
    s = np.cumsum(x, axis=0)[..., 0].ravel()
    H = tr["c"].shape[-1]
    corr = np.array([abs(np.corrcoef(tr["c"][..., u].ravel(), s)[0, 1]) for u in range(H)])
    u = int(np.argmax(corr))
    return {
        "unit": u, "corr_c": float(corr[u]),
        "corr_h": float(abs(np.corrcoef(tr["h"][..., u].ravel(), s)[0, 1])),
        "corr_h_sign": float(abs(np.corrcoef(tr["h"][..., u].ravel(), y.ravel())[0, 1])),
    }


@dataclass(frozen=True)
class SeedResult:
    """Chapter 7's measurements under one seed.

    Attributes:
        models: ``{reads: TrainedReadout}`` for every readout of :data:`READS`.
        errors: ``{reads: errors_at_lengths(model)}``.
        refit: :func:`refit_readouts` of the network that reads h_t.
        counter: :func:`counter_unit` of the network that reads h_t.
        c_max_by_t, h_max_by_t: largest |C_t| and |h_t| over 300 sequences at every step of a
            400-step test, for the network that reads h_t; (400,) each.
    """

    models: dict[str, TrainedReadout]
    errors: dict[str, dict[str, list[float]]]
    refit: dict[str, float]
    counter: dict[str, float]
    c_max_by_t: np.ndarray
    h_max_by_t: np.ndarray


def run_seed(seed: int) -> SeedResult:
    """Train the three readouts under ``seed`` and measure them: one entry of the chapter's ``over_seeds``."""
    models = {r: train_who_is_ahead(reads=r, seed=seed) for r in READS}
    h_model = models["h"].params
    x, _ = make_who_is_ahead(300, LENGTHS[-1], seed=2)
    tr = states(h_model, x)
    return SeedResult(
        models=models, errors={r: errors_at_lengths(m) for r, m in models.items()},
        refit=refit_readouts(h_model), counter=counter_unit(h_model),
        c_max_by_t=np.abs(tr["c"]).max(axis=(1, 2)), h_max_by_t=np.abs(tr["h"]).max(axis=(1, 2)),
    )
