"""Chapter 4, the output gate and the hidden state: what the cell shows of its memory.

    o_t = σ(W_o·[h_{t-1}, x_t] + b_o)          h_t = o_t ⊙ tanh(C_t)

Three experiments: a cell state that grows without bound and the tanh that bounds h_t; the
range of C_t and h_t in the trained agreement model of chapter 2; and a trained cell that must
hold a value in silence and reveal it only when asked, trained with its output gate and again
without it (o_t ≡ 1), to see what the gate buys.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..fast import gate_trace, lstm_forward_fast
from ..model import fit, init_model, loss_and_grads, predict, shuffled_batches, split_params
from ..optim import Adam, clip_grad_norm
from ..sequence import lstm_forward
from ..tasks import make_agreement, make_recall
from .forget_gate import constant_gate_params

_OPEN = 1.0 - 1e-9  # a gate this close to 1 counts as fully open
# b_o for a cell without an output gate: σ(40) = 1 - 4e-18 rounds to exactly 1.0 in float64.
_B_NO_OUTPUT_GATE = 40.0

#: The seeds chapter 4's recall experiments are measured over (training is cheap: more than SEEDS).
RECALL_SEEDS: tuple[int, ...] = tuple(range(8))


def growing_cell(steps: int = 50) -> dict[str, np.ndarray]:
    """A cell that keeps everything (f ≈ 1) and adds 1 at every step (i ≈ 1, C̃ ≈ 1), o ≈ 1.

    Then C_t ≈ t grows without bound while h_t = o_t ⊙ tanh(C_t) stays below 1.
    Runs the package's LSTM on ``steps`` zero inputs. Returns ``c`` and ``h``, shape (steps,).
    """
    params = constant_gate_params(_OPEN, i=_OPEN, c_tilde=_OPEN, o=_OPEN)  # H = 1
    h, _, cache = lstm_forward(np.zeros((steps, 1, 1)), params)
    return {"c": np.array([step["c_t"][0, 0] for step in cache]), "h": h[:, 0, 0].copy()}


def agreement_state_ranges(params: dict[str, np.ndarray], *, max_extra: int = 8, n: int = 300, seed: int = 300) -> dict[str, float]:
    """Largest |C_t| and |h_t| of a trained agreement model over sentences with long clauses.

    Args:
        params: a model from :func:`lstm_course.experiments.forget_gate.train_agreement_model`.
        max_extra: clauses get up to this many "near the NOUN" phrases.
    Returns:
        ``c_max`` = max |C_t|, ``h_max`` = max |h_t|, ``longest`` (tokens in the longest sentence),
        and ``c_max_short`` = max |C_t| over sentences of at most 5 tokens.
    """
    data = make_agreement(n, seed=seed, max_extra=max_extra)
    lstm_params, _ = split_params(params)
    c_max = h_max = c_short = 0.0
    for idx, x in data.by_length():
        _, _, cache = lstm_forward_fast(x, lstm_params)
        tr = gate_trace(cache)
        c_abs = float(np.abs(tr["c"]).max())
        c_max, h_max = max(c_max, c_abs), max(h_max, float(np.abs(tr["h"]).max()))
        if x.shape[0] <= 5:
            c_short = max(c_short, c_abs)
    return {"c_max": c_max, "h_max": h_max, "c_max_short": c_short, "longest": max(len(s) for s in data.sentences)}


# ---------------------------------------------------------------------------------------------
# Hold a value in silence, say it when asked
# ---------------------------------------------------------------------------------------------

@dataclass
class RecallRun:
    params: dict[str, np.ndarray]
    losses: list[float]
    T: int


def _step_without_output_gate(params, x, y, optimizer, max_norm: float = 1.0, **loss_kwargs) -> float:
    """:func:`lstm_course.model.train_step` that never updates W_o and b_o, so o_t stays exactly 1."""
    value, grads = loss_and_grads(params, x, y, **loss_kwargs)
    grads = {k: g for k, g in grads.items() if k not in ("W_o", "b_o")}
    grads, _ = clip_grad_norm(grads, max_norm)
    optimizer.step(params, grads)
    return value


def train_recall_model(
    *, hidden_size: int = 3, n_train: int = 1000, T: int = 10, epochs: int = 20, lr: float = 0.03, batch_size: int = 50,
    seed: int = 0, output_gate: bool = True,
) -> RecallRun:
    """Train an LSTM + linear readout of every h_t on :func:`lstm_course.tasks.make_recall` (MSE). About 1 s.

    The target is 0 at every step but the last, so the readout must stay silent while the
    memory holds the value. ``output_gate=False`` removes the gate: W_o = 0 and b_o = 40 are
    never trained, so o_t = σ(40) = 1.0 exactly and h_t = tanh(C_t) shows the whole memory.
    """
    x, y = make_recall(n_train, T, seed=seed + 1)

    params = init_model(2, hidden_size, 1, seed=seed)
    step = {}
    if not output_gate:
        params["W_o"][:] = 0.0
        params["b_o"][:] = _B_NO_OUTPUT_GATE
        step = {"step": _step_without_output_gate}
    batches = shuffled_batches(x, y, batch_size, readout="all", seed=seed)
    losses = fit(params, batches, Adam(lr), epochs=epochs, loss="mse", readout="all", verbose=False, **step)
    return RecallRun(params, losses, T)


def recall_traces(params: dict[str, np.ndarray], x: np.ndarray) -> dict[str, np.ndarray]:
    """Gates and states (T, N, H) of the model's LSTM on inputs ``x``, plus its outputs ``y_hat`` (T, N)."""
    lstm_params, _ = split_params(params)
    _, _, cache = lstm_forward_fast(x, lstm_params)
    out = {k: np.array(v) for k, v in gate_trace(cache).items()}
    out["y_hat"] = predict(params, x, readout="all")[..., 0]
    return out


def recall_stats(run: RecallRun, *, n: int = 1000, seed: int = 100) -> dict[str, float]:
    """The output gate of the unit that gives the answer, while waiting and at the query.

    The answering unit is the one whose term W_y[u]·h_T[u] of the readout varies most at the
    query step (it carries the answer). Returns ``unit``, ``corr_c`` (|corr(C_{T-1}, v)| for
    that unit: it already holds v one step before the query), ``o_wait`` (its mean o_t over
    steps 1..T-1) and ``o_query`` (its mean o_T), ``o_units_wait`` and ``o_units_query`` (the
    same per unit, (H,) arrays), ``corr_units`` (|corr(C_{T-1}, v)| per unit), ``leak_units``
    (per unit, the largest |W_y[u]·h_t[u]| before the query: what that unit alone would add to
    the output), ``silence`` (the largest |ŷ_t| before the query), ``r2`` (R² of ŷ_T against v)
    and ``mse`` (the mean squared error over every step, the training loss on new sequences).

    How the output stays silent, as root-mean-square values over the steps before the query:
    ``leak_open`` = RMS of W_y[u]·tanh(C_t[u]) for the answering unit (what it would add with
    o_t = 1), ``leak_gated`` = RMS of W_y[u]·h_t[u] (what it adds through its gate) and
    ``leak_output`` = RMS of ŷ_t (what all units add up to, with b_y). ``slope_c`` (T,) is the
    least-squares slope of that unit's C_t on v at each step: how strongly C_t depends on v.
    """
    x, y = make_recall(n, run.T, seed=seed)
    tr = recall_traces(run.params, x)
    v = y[-1, :, 0]
    W_y = run.params["W_y"][0]
    terms = W_y * tr["h"]  # (T, N, H): each unit's term of ŷ_t
    u = int(np.argmax(terms[-1].std(axis=0)))
    H = terms.shape[2]
    rms = lambda a: float(np.sqrt(np.mean(a ** 2)))
    return {
        "unit": u,
        "corr_c": float(abs(np.corrcoef(tr["c"][-2, :, u], v)[0, 1])),
        "o_wait": float(tr["o"][:-1, :, u].mean()),
        "o_query": float(tr["o"][-1, :, u].mean()),
        "o_units_wait": tr["o"][:-1].mean(axis=(0, 1)),
        "o_units_query": tr["o"][-1].mean(axis=0),
        "corr_units": np.array([abs(np.corrcoef(tr["c"][-2, :, j], v)[0, 1]) for j in range(H)]),
        "leak_units": np.abs(terms[:-1]).max(axis=(0, 1)),
        "silence": float(np.abs(tr["y_hat"][:-1]).max()),
        "r2": float(1.0 - np.mean((tr["y_hat"][-1] - v) ** 2) / np.var(v)),
        "mse": float(np.mean((tr["y_hat"] - y[..., 0]) ** 2)),
        "leak_open": rms(W_y[u] * tr["tanh_c"][:-1, :, u]),
        "leak_gated": rms(terms[:-1, :, u]),
        "leak_output": rms(tr["y_hat"][:-1]),
        "slope_c": np.array([np.polyfit(v, tr["c"][t, :, u], 1)[0] for t in range(run.T)]),
    }


@dataclass(frozen=True)
class RecallSeed:
    """Chapter 4's recall model trained with one seed, with its output gate and without (o_t ≡ 1)."""

    seed: int
    run: RecallRun  # the LSTM as trained
    gated: dict     # recall_stats of that LSTM
    no_gate: dict   # recall_stats of the same model trained with o_t ≡ 1

    @property
    def partner(self) -> int:
        """The unit whose output gate is most shut at the query."""
        return int(np.argmin(self.gated["o_units_query"]))

    @property
    def has_partner(self) -> bool:
        """Does another unit than the answering one shut its gate at the query (o_T < 0.2) after leaking (o_t > 0.3)?"""
        p = self.partner
        return bool(p != self.gated["unit"] and self.gated["o_units_query"][p] < 0.2 and self.gated["o_units_wait"][p] > 0.3)


def recall_seed(seed: int) -> RecallSeed:
    """Train the recall model with and without its output gate under ``seed`` and measure both (about 2 s)."""
    run = train_recall_model(seed=seed)
    return RecallSeed(seed, run, recall_stats(run), recall_stats(train_recall_model(seed=seed, output_gate=False)))
