"""Chapter 7, why the hidden state is the output: what a readout sees in h_t and in C_t.

    C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t   (unbounded)        h_t = o_t ⊙ tanh(C_t)   (in (-1, 1))

The task, "who is ahead", needs a counter. Every step shows a vote x_t = ±1; the target is
who leads so far, y_t = sign(Σ_{τ≤t} x_τ) (0 on a tie). An LSTM solves it by counting in its
cell state, so C_t follows the running sum, a random walk that strays further the longer the
sequence. We train the model (LSTM + linear readout of h_t) on sequences of length 20, then fit
the *same* kind of linear readout, by least squares, once on h_t and once on C_t, and compare
both on test sequences of the training length and much longer ones.
"""
from __future__ import annotations

import numpy as np

from ..fast import gate_trace, lstm_forward_fast
from ..model import fit, init_model, split_params
from ..optim import Adam

T_TRAIN = 20
HIDDEN = 8


def make_who_is_ahead(n: int, T: int = T_TRAIN, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Votes x (T, n, 1) of ±1 and targets y (T, n, 1) = sign of the running sum (0 on a tie)."""
    if n < 1 or T < 1:
        raise ValueError(f"need n >= 1 and T >= 1, got n={n}, T={T}")
    x = np.random.default_rng(seed).choice([-1.0, 1.0], size=(T, n, 1))
    return x, np.sign(np.cumsum(x, axis=0))


def train_who_is_ahead(*, seed: int = 0, epochs: int = 10, batches: int = 30, batch_size: int = 64) -> dict[str, np.ndarray]:
    """Train the package's LSTM (H = 8) + linear readout of every h_t, MSE, on sequences of length 20."""
    data = [make_who_is_ahead(batch_size, seed=1000 * seed + k) for k in range(batches)]
    params = init_model(1, HIDDEN, 1, seed=seed)
    fit(params, lambda epoch: data, Adam(1e-2), epochs=epochs, readout="all", verbose=False)
    return params


def states(params: dict[str, np.ndarray], x: np.ndarray) -> dict[str, np.ndarray]:
    """The trained LSTM's gate trace on ``x``: (T, N, H) arrays ``h``, ``c``, ``o``, ``f``, ..."""
    lstm_params, _ = split_params(params)
    _, _, cache = lstm_forward_fast(x, lstm_params)
    return {k: np.array(v) for k, v in gate_trace(cache).items()}


def _design(F: np.ndarray) -> np.ndarray:
    """(T, N, H) features -> (T·N, H+1) rows with a constant 1 for the bias."""
    flat = F.reshape(-1, F.shape[-1])
    return np.concatenate([flat, np.ones((flat.shape[0], 1))], axis=1)


def fit_linear_readout(F: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares readout ŷ = [F, 1]·w over every step and sequence; returns w (H+1, O)."""
    return np.linalg.lstsq(_design(F), y.reshape(-1, y.shape[-1]), rcond=None)[0]


def readout_mse(w: np.ndarray, F: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((_design(F) @ w - y.reshape(-1, y.shape[-1])) ** 2))


def compare_readouts(params: dict[str, np.ndarray], *, lengths: tuple[int, ...] = (20, 100, 400), n: int = 300) -> dict:
    """Fit a linear readout on h_t and on C_t (training length, seed 1) and test it at each length (seed 2).

    Returns a dict with ``lengths``, ``mse_h`` and ``mse_c`` (one test MSE per length),
    ``c_max`` and ``h_max`` (largest |C_t| and |h_t| per length), ``c_max_by_t`` (largest |C_t| at
    every step of the longest test, (T,)), ``h_max_by_t`` likewise, and ``mse_zero`` (the error of
    always answering 0, per length) for scale.
    """
    x, y = make_who_is_ahead(n, T_TRAIN, seed=1)
    tr = states(params, x)
    w_h, w_c = fit_linear_readout(tr["h"], y), fit_linear_readout(tr["c"], y)
    out: dict = {"lengths": list(lengths), "mse_h": [], "mse_c": [], "c_max": [], "h_max": [], "mse_zero": []}
    for T in lengths:
        x, y = make_who_is_ahead(n, T, seed=2)
        tr = states(params, x)
        out["mse_h"].append(readout_mse(w_h, tr["h"], y))
        out["mse_c"].append(readout_mse(w_c, tr["c"], y))
        out["c_max"].append(float(np.abs(tr["c"]).max()))
        out["h_max"].append(float(np.abs(tr["h"]).max()))
        out["mse_zero"].append(float(np.mean(y ** 2)))
    out["c_max_by_t"] = np.abs(tr["c"]).max(axis=(1, 2))
    out["h_max_by_t"] = np.abs(tr["h"]).max(axis=(1, 2))
    return out


def counter_unit(params: dict[str, np.ndarray], *, T: int = 100, n: int = 300, seed: int = 3) -> dict[str, float]:
    """The unit whose C_t tracks the running sum best, and what its output gate does with it.

    Returns ``unit``, ``corr_c`` = |corr(C_t, Σx)| over every step and sequence, ``corr_h`` the same
    for that unit's h_t (h saturates, so it tracks the *sign* rather than the count), ``o_mean``
    (its mean o_t), and ``corr_h_sign`` = corr(h_t, y_t) of that unit with who is ahead.
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
        "o_mean": float(tr["o"][..., u].mean()),
    }



def what_h_reveals(*, n: int = 1000, seed: int = 100) -> dict[str, float]:
    """How loudly the cell's held value shows in h_t while it waits, and when asked.

    Uses chapter 4's recall model (:func:`lstm_course.experiments.output_gate.train_recall_model`:
    a value v at step 1, noise, a query at the last step; the readout must stay silent until then).
    For the unit that answers (see :func:`~.output_gate.recall_stats`): ``c_wait`` and ``h_wait``,
    the mean |C_t| and |h_t| over the waiting steps; ``h_query``, the mean |h_T| at the query;
    ``o_wait``, ``o_query`` its output gate; ``corr_c`` = |corr(C_{T-1}, v)|; ``silence``, the
    largest |ŷ_t| before the query.
    """
    from ..tasks import make_recall
    from .output_gate import recall_stats, recall_traces, train_recall_model

    run = train_recall_model()
    stats = recall_stats(run, n=n, seed=seed)
    x, _ = make_recall(n, run.T, seed=seed)
    tr = recall_traces(run.params, x)
    u = stats["unit"]
    wait = slice(1, run.T - 1)
    return {
        "unit": u, "corr_c": stats["corr_c"], "o_wait": stats["o_wait"], "o_query": stats["o_query"],
        "silence": stats["silence"],
        "c_wait": float(np.abs(tr["c"][wait, :, u]).mean()), "h_wait": float(np.abs(tr["h"][wait, :, u]).mean()),
        "h_query": float(np.abs(tr["h"][-1, :, u]).mean()),
    }
