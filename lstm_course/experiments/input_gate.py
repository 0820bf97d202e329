"""Chapter 3, the input gate and candidate memory: what gets written into the cell state.

    i_t = σ(W_i·[h_{t-1}, x_t] + b_i)          how much to write, a fraction in (0, 1)
    C̃_t = tanh(W_C·[h_{t-1}, x_t] + b_C)       what to write, in (-1, 1)
    C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t

Two experiments: the candidate's tanh (what if it were σ?), and a trained cell that must
write a value on a flag and keep it otherwise (what the two gates learn to do, and what breaks
when a gate is held at its own average so that it can no longer tell write steps from the others).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..activations import sigmoid, tanh
from ..fast import gate_trace, lstm_forward_fast
from ..gates import cell_state, concat_hx, forget_gate, hidden_state, input_gate, output_gate
from ..model import fit, init_model, predict, shuffled_batches, split_params
from ..optim import Adam
from ..params import init_lstm_params
from ..tasks import make_store
from .interventions import forward_with_clamped_gates

#: The seeds the write/keep experiment is measured over (a one-unit model trains in well under a second).
STORE_SEEDS: tuple[int, ...] = tuple(range(5))


def run_with_candidate(
    x: np.ndarray, params: dict[str, np.ndarray], squash: Callable[[np.ndarray], np.ndarray] = tanh
) -> dict[str, np.ndarray]:
    """Run an LSTM layer whose candidate memory is ``squash(W_C·[h_{t-1}, x_t] + b_C)``.

    With ``squash=tanh`` this is the LSTM; with ``squash=sigmoid`` the candidate can only be
    positive. Every other step is the package's own gate functions.

    Args:
        x: (T, N, D) inputs; params: LSTM params (H from ``b_f``).
    Returns:
        dict of (T, N, H) arrays: ``write`` = i_t ⊙ C̃_t, ``f`` = f_t, ``c`` = C_t.
    """
    T, N, _ = x.shape
    H = params["b_f"].shape[0]
    h, c = np.zeros((N, H)), np.zeros((N, H))
    out = {k: np.empty((T, N, H)) for k in ("write", "f", "c")}
    for t in range(T):
        f_t = forget_gate(h, x[t], params["W_f"], params["b_f"])
        i_t = input_gate(h, x[t], params["W_i"], params["b_i"])
        c_tilde_t = squash(concat_hx(h, x[t]) @ params["W_C"].T + params["b_C"])
        c = cell_state(f_t, c, i_t, c_tilde_t)
        h = hidden_state(output_gate(h, x[t], params["W_o"], params["b_o"]), c)
        out["write"][t], out["f"][t], out["c"][t] = i_t * c_tilde_t, f_t, c
    return out


def candidate_squash_comparison(*, T: int = 60, N: int = 32, D: int = 3, H: int = 8, seed: int = 0) -> dict[str, dict[str, float]]:
    """The same random LSTM and inputs with a tanh candidate and with a σ candidate.

    Returns, for ``"tanh"`` and ``"sigmoid"``: ``negative_writes`` (share of i_t ⊙ C̃_t < 0:
    the steps where the write itself pulls the memory down; with f_t = 1 these are exactly the
    steps where C_t < C_{t-1}), ``c_min`` and ``c_max`` (range of C_t), and ``traces`` (the
    arrays of :func:`run_with_candidate`).
    """
    rng = np.random.default_rng(seed)
    params = init_lstm_params(D, H, seed=rng)
    x = rng.standard_normal((T, N, D))
    out = {}
    for name, squash in (("tanh", tanh), ("sigmoid", sigmoid)):
        run = run_with_candidate(x, params, squash)
        out[name] = {
            "negative_writes": float(np.mean(run["write"] < 0)),
            "c_min": float(run["c"].min()),
            "c_max": float(run["c"].max()),
            "traces": run,
        }
    return out


# ---------------------------------------------------------------------------------------------
# Write on a flag, keep otherwise
# ---------------------------------------------------------------------------------------------

@dataclass
class StoreRun:
    params: dict[str, np.ndarray]
    losses: list[float]
    T: int


def train_store_model(
    *, hidden_size: int = 1, n_train: int = 1000, T: int = 10, epochs: int = 20, lr: float = 0.03, batch_size: int = 50, seed: int = 0
) -> StoreRun:
    """Train an LSTM + linear readout of h_T on :func:`lstm_course.tasks.make_store` (MSE). About 0.5 s.

    One memory unit by default: with nowhere else to keep the value, that unit's gates must do
    the whole job, which makes what they learn easy to read.
    """
    x, y = make_store(n_train, T, seed=seed + 1)

    params = init_model(2, hidden_size, 1, seed=seed)
    batches = shuffled_batches(x, y, batch_size, readout="last", seed=seed)
    losses = fit(params, batches, Adam(lr), epochs=epochs, loss="mse", readout="last", verbose=False)
    return StoreRun(params, losses, T)


def store_traces(params: dict[str, np.ndarray], x: np.ndarray) -> dict[str, np.ndarray]:
    """Gates and states (T, N, H) of the model's LSTM on inputs ``x`` (T, N, 2)."""
    lstm_params, _ = split_params(params)
    _, _, cache = lstm_forward_fast(x, lstm_params)
    return {k: np.array(v) for k, v in gate_trace(cache).items()}


def store_gate_stats(run: StoreRun, *, n: int = 1000, seed: int = 100) -> dict[str, float]:
    """What the trained gates do on write steps and on the other steps, on fresh sequences.

    The memory unit is the one whose final C_T correlates most (in absolute value) with the
    value to recall. Returns ``r2`` (the model's R² on the task), ``unit``, ``corr``, and the
    mean i_t and f_t of that unit on write steps (``i_write``, ``f_write``) and elsewhere
    (``i_keep``, ``f_keep``).
    """
    x, y = make_store(n, run.T, seed=seed)
    y_hat = predict(run.params, x, readout="last")
    tr = store_traces(run.params, x)
    corr = [abs(np.corrcoef(tr["c"][-1, :, u], y[:, 0])[0, 1]) for u in range(tr["c"].shape[2])]
    u = int(np.argmax(corr))
    write = x[:, :, 1] > 0
    return {
        "r2": float(1.0 - np.mean((y_hat - y) ** 2) / np.var(y)),
        "unit": u,
        "corr": float(corr[u]),
        "i_write": float(tr["i"][:, :, u][write].mean()),
        "i_keep": float(tr["i"][:, :, u][~write].mean()),
        "f_write": float(tr["f"][:, :, u][write].mean()),
        "f_keep": float(tr["f"][:, :, u][~write].mean()),
    }


def store_r2(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, clamp=None) -> float:
    """R² of the model's recalled value ŷ = W_y·h_T + b_y against ``y`` (N, 1), optionally with clamped gates.

    ``clamp`` is as in :func:`lstm_course.experiments.interventions.forward_with_clamped_gates`.
    """
    h_T = forward_with_clamped_gates(x, params, clamp or {})["h"][-1]
    y_hat = h_T @ params["W_y"].T + params["b_y"]
    return float(1.0 - np.mean((y_hat - y) ** 2) / np.var(y))


def store_interventions(run: StoreRun, *, n: int = 1000, seed: int = 100) -> dict[str, float]:
    """R² of the trained model on fresh sequences, with each gate of its memory unit held at its own average.

    Holding i_t (or f_t) at its mean over all steps keeps how much the gate lets through on
    average, and removes only *when* it does: the gate can no longer tell a write step from the
    others. Returns ``none`` (the model as trained), ``i_mean`` and ``f_mean`` (the R² with that
    gate held), ``f_half`` (the R² with f_t = 0.5: half the memory lost at every step), and the
    held values ``i_level``, ``f_level``.
    """
    x, y = make_store(n, run.T, seed=seed)
    u = store_gate_stats(run, n=n, seed=seed)["unit"]
    tr = store_traces(run.params, x)
    i_level, f_level = float(tr["i"][:, :, u].mean()), float(tr["f"][:, :, u].mean())
    return {
        "none": store_r2(run.params, x, y),
        "i_mean": store_r2(run.params, x, y, {"i": ([u], i_level)}),
        "f_mean": store_r2(run.params, x, y, {"f": ([u], f_level)}),
        "f_half": store_r2(run.params, x, y, {"f": ([u], 0.5)}),
        "i_level": i_level, "f_level": f_level,
    }


@dataclass(frozen=True)
class StoreSeed:
    """Chapter 3's write/keep model trained with one seed: its gates and the interventions."""

    seed: int
    run: StoreRun                    # the trained model
    stats: dict[str, float]          # store_gate_stats
    interventions: dict[str, float]  # store_interventions


def store_seed(seed: int) -> StoreSeed:
    """Train the write/keep model with ``seed`` and measure it."""
    run = train_store_model(seed=seed)
    return StoreSeed(seed, run, store_gate_stats(run), store_interventions(run))
