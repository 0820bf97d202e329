"""Chapter 5, hidden state vs cell state: the short-term messenger and the long-term memory.

    C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t          h_t = o_t ⊙ tanh(C_t)

The task makes a model do both jobs at once. Every step shows a value v_t ∈ [-1, 1]; once,
in the first half, a "write" flag marks one of them. At every step the model must output

    ŷ_t[0] = v_t              what is happening *now*         (short-term)
    ŷ_t[1] = v at the write   what happened long ago, 0 before it   (long-term)

We train the package's LSTM (fast path, :func:`lstm_course.fit`) and look inside: which unit's
C_t holds the written value, how little it moves between the write and the end, and how much
h_t moves meanwhile.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..fast import gate_trace, lstm_forward_fast
from ..model import fit, init_model, predict, split_params
from ..optim import Adam
from ..tasks import make_store

T_TRAIN = 20
HIDDEN = 8


def make_now_and_then(n: int, T: int = T_TRAIN, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Inputs of :func:`lstm_course.tasks.make_store` (one write) and two targets per step.

    Returns:
        x: (T, n, 2) value and write flag; y: (T, n, 2) with y[..., 0] = v_t and
        y[..., 1] = the written value from the write step on (0 before it).
    """
    x, _ = make_store(n, T, seed=seed, max_writes=1)
    written = np.cumsum(x[:, :, 1], axis=0) > 0  # (T, n): has the write happened yet?
    value = (x[:, :, 0] * x[:, :, 1]).sum(axis=0)  # (n,)
    y = np.stack([x[:, :, 0], np.where(written, value[None, :], 0.0)], axis=-1)
    return x, y


def train_now_and_then(*, seed: int = 0, epochs: int = 12, batches: int = 40, batch_size: int = 64) -> dict[str, np.ndarray]:
    """Train an LSTM (H = 8) + linear readout of h_t on :func:`make_now_and_then`; returns the model's params."""
    data = [make_now_and_then(batch_size, seed=1000 * seed + k) for k in range(batches)]
    params = init_model(2, HIDDEN, 2, seed=seed)
    fit(params, lambda epoch: data, Adam(1e-2), epochs=epochs, readout="all", verbose=False)
    return params


@dataclass(frozen=True)
class MemoryReport:
    """What the trained model's states do on held-out sequences (all numbers over the test set).

    Attributes:
        mse_now, mse_then: test mean squared error of the two outputs.
        unit: the memory unit, whose final C_T correlates most with the written value.
        corr_c: |corr(C_T[unit], written value)|.
        dc_memory: mean |C_t - C_{t-1}| of the memory unit after the write.
        dh_mean: mean |h_t - h_{t-1}| over all units after the write.
        dc_units, dh_units: (H,) the same step-to-step changes unit by unit.
        f_units: (H,) mean forget gate of each unit after the write.
        autocorr_c, autocorr_h: lag-1 autocorrelation, after the write, of the memory unit's C_t
            and of h_t averaged over units.
    """

    mse_now: float
    mse_then: float
    unit: int
    corr_c: float
    dc_memory: float
    dh_mean: float
    dc_units: np.ndarray
    dh_units: np.ndarray
    f_units: np.ndarray
    autocorr_c: float
    autocorr_h: float


def _lag1_autocorr(a: np.ndarray, mask: np.ndarray) -> float:
    """corr(a_t, a_{t-1}) over the pairs where ``mask`` (T-1, N) holds; a is (T, N)."""
    return float(np.corrcoef(a[1:][mask], a[:-1][mask])[0, 1])


def memory_report(params: dict[str, np.ndarray], *, n: int = 500, seed: int = 999) -> tuple[MemoryReport, dict]:
    """Run the trained model on ``n`` fresh sequences; return the report and the gate trace (T, n, H arrays)."""
    x, y = make_now_and_then(n, seed=seed)
    mse = np.mean((predict(params, x) - y) ** 2, axis=(0, 1))
    lstm_params, _ = split_params(params)
    _, _, cache = lstm_forward_fast(x, lstm_params)
    trace = {k: np.array(v) for k, v in gate_trace(cache).items()}
    C, h = trace["c"], trace["h"]
    H = C.shape[2]
    corr = np.array([abs(np.corrcoef(C[-1, :, u], y[-1, :, 1])[0, 1]) for u in range(H)])
    unit = int(np.argmax(corr))
    write = np.argmax(x[:, :, 1], axis=0)  # (n,) the write step
    after = np.arange(1, x.shape[0])[:, None] > write[None, :]  # (T-1, n): both t and t-1 after the write
    dC = np.abs(np.diff(C, axis=0))[after].mean(axis=0)  # (H,)
    dh = np.abs(np.diff(h, axis=0))[after].mean(axis=0)
    report = MemoryReport(
        mse_now=float(mse[0]), mse_then=float(mse[1]), unit=unit, corr_c=float(corr[unit]),
        dc_memory=float(dC[unit]), dh_mean=float(dh.mean()), dc_units=dC, dh_units=dh,
        f_units=trace["f"][1:][after].mean(axis=0),
        autocorr_c=_lag1_autocorr(C[:, :, unit], after),
        autocorr_h=float(np.mean([_lag1_autocorr(h[:, :, u], after) for u in range(H)])),
    )
    trace.update(x=x, y=y)
    return report, trace
