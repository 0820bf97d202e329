"""Chapter 2, the forget gate: how long a memory lasts, and a model that must remember a subject.

    f_t = σ(W_f·[h_{t-1}, x_t] + b_f)          C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t

With nothing written (i_t = 0) and a constant gate f, C_t = f^t · C_0: a memory fades
geometrically, and falls below 1/e of its value after -1/ln f ≈ 1/(1-f) steps.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..fast import gate_trace, lstm_forward_fast
from ..model import fit, init_model, predict, split_params
from ..optim import Adam
from ..sequence import lstm_forward
from ..tasks import AGREEMENT_VOCAB, AgreementData, encode_tokens, last_noun_number, make_agreement
from .interventions import forward_with_clamped_gates

def _logit(p: float, name: str) -> float:
    if not 0.0 < p < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1 (it is a sigmoid's output), got {p}")
    return math.log(p / (1.0 - p))


def constant_gate_params(
    f: float | np.ndarray, *, i: float = 1e-17, c_tilde: float = 0.0, o: float = 0.5, input_size: int = 1
) -> dict[str, np.ndarray]:
    """LSTM params whose gates are constants: f_t = f, i_t = i, C̃_t = c_tilde, o_t = o at every step.

    All weights are zero, so every gate is σ or tanh of its bias alone: b_f = logit(f) =
    ln(f / (1-f)), and likewise b_i, b_o; b_C = artanh(c_tilde). The default i ≈ 0 shuts the
    input gate, so nothing is written and the cell only forgets. ``f`` may be a sequence, one
    value per unit (H = len(f)); otherwise H = 1.
    """
    if not -1.0 < c_tilde < 1.0:
        raise ValueError(f"c_tilde must lie strictly between -1 and 1 (it is a tanh's output), got {c_tilde}")
    fs = np.atleast_1d(np.asarray(f, dtype=float))
    H, D = fs.size, input_size
    params = {f"W_{g}": np.zeros((H, H + D)) for g in ("f", "i", "C", "o")}
    params.update(b_f=np.array([_logit(float(v), "f") for v in fs]), b_i=np.full(H, _logit(i, "i")),
                  b_C=np.full(H, math.atanh(c_tilde)), b_o=np.full(H, _logit(o, "o")))
    return params


def decay_curve(f: float | np.ndarray, steps: int = 100, c0: float = 1.0) -> np.ndarray:
    """C_0, C_1, ..., C_steps of cells with constant forget gate ``f`` and nothing written.

    Runs the package's LSTM (:func:`lstm_course.lstm_forward`) on ``steps`` zero inputs.
    Returns shape (steps + 1,) for a scalar ``f``, (steps + 1, len(f)) for one unit per value.
    """
    params = constant_gate_params(f)
    H = params["b_f"].shape[0]
    _, _, cache = lstm_forward(np.zeros((steps, 1, 1)), params, c0=np.full((1, H), c0))
    c = np.concatenate([np.full((1, H), c0), np.stack([step["c_t"][0] for step in cache])])
    return c if np.ndim(f) else c[:, 0]


@dataclass(frozen=True)
class Lifetime:
    """How long a memory lasts under a constant forget gate ``f``."""

    f: float
    simulated: int  # first t with C_t < C_0 / e, counted by running the LSTM
    exact: float  # -1 / ln f: the real t at which f^t = 1/e
    approx: float  # 1 / (1 - f): the first-order approximation, good when f is near 1


def memory_lifetimes(fs: tuple[float, ...] = (0.99, 0.9, 0.5), max_steps: int = 400) -> list[Lifetime]:
    """For each forget-gate value, the number of steps until a stored value falls below 1/e.

    One LSTM run with one unit per value of ``fs``. The simulated count is the smallest integer
    t with f^t < 1/e, i.e. ⌊-1/ln f⌋ + 1, which the chapter compares with the closed forms
    -1/ln f and 1/(1-f).
    """
    c = decay_curve(np.asarray(fs, dtype=float), max_steps)  # (max_steps + 1, len(fs))
    out = []
    for k, f in enumerate(fs):
        below = np.flatnonzero(c[:, k] < c[0, k] / math.e)
        if below.size == 0:
            raise ValueError(f"with f = {f} the memory outlives {max_steps} steps; raise max_steps")
        out.append(Lifetime(f=f, simulated=int(below[0]), exact=-1.0 / math.log(f), approx=1.0 / (1.0 - f)))
    return out


# ---------------------------------------------------------------------------------------------
# The agreement model: "the cat , which chased the dogs ," -> sits
# ---------------------------------------------------------------------------------------------

@dataclass
class AgreementRun:
    """A trained agreement model and the data it saw."""

    params: dict[str, np.ndarray]
    losses: list[float]
    train: AgreementData


def train_agreement_model(
    *, hidden_size: int = 8, n_train: int = 1000, epochs: int = 6, lr: float = 0.02, batch_size: int = 32, seed: int = 0
) -> AgreementRun:
    """Train an LSTM (D = vocabulary, H = ``hidden_size``) + linear readout of h_T to predict the verb's number.

    Uses the package's own model and training loop: :func:`~lstm_course.init_model`,
    :func:`~lstm_course.fit` with :class:`~lstm_course.Adam`, cross-entropy on h_T (fast path).
    About 1.5 s on one CPU core.
    """
    train = make_agreement(n_train, seed=seed + 1)
    params = init_model(len(AGREEMENT_VOCAB), hidden_size, 2, seed=seed)
    losses = fit(params, train.batches(batch_size, seed=seed), Adam(lr), epochs=epochs,
                 loss="xent", readout="last", verbose=False)
    return AgreementRun(params, losses, train)


def predict_number(params: dict[str, np.ndarray], data: AgreementData) -> np.ndarray:
    """Predicted verb number (0 = "sits", 1 = "sit") for every sentence of ``data``, shape (N,)."""
    out = np.empty(len(data), int)
    for idx, x in data.by_length():
        out[idx] = predict(params, x, readout="last").argmax(axis=-1)
    return out


def agreement_scores(params: dict[str, np.ndarray], *, n: int = 1000, max_extra: int = 2, seed: int = 100) -> dict[str, float]:
    """Accuracy on fresh sentences that all have a clause, next to the "latest noun" shortcut.

    Returns a dict with ``accuracy`` (the model), ``attractor_accuracy`` (the model, on the
    sentences whose latest noun has the other number), ``shortcut_accuracy`` (guessing the
    latest noun's number), ``attractor_share`` (the share of such sentences) and ``longest``
    (tokens in the longest sentence; training sentences, with ``max_extra=2``, have at most 14).
    """
    data = make_agreement(n, seed=seed, p_clause=1.0, max_extra=max_extra)
    pred = predict_number(params, data)
    shortcut = np.array([last_noun_number(s) for s in data.sentences])
    attract = shortcut != data.labels
    return {
        "accuracy": float(np.mean(pred == data.labels)),
        "attractor_accuracy": float(np.mean(pred[attract] == data.labels[attract])),
        "shortcut_accuracy": float(np.mean(shortcut == data.labels)),
        "attractor_share": float(np.mean(attract)),
        "longest": max(len(s) for s in data.sentences),
    }


def trace_sentence(params: dict[str, np.ndarray], sentence: str | tuple[str, ...]) -> dict[str, np.ndarray]:
    """Every gate and state of the model's LSTM for one sentence, as (H, T) arrays (units × tokens).

    Keys as in :func:`lstm_course.gate_trace`: ``f``, ``i``, ``c_tilde``, ``o``, ``c``, ``h``, ``tanh_c``.
    """
    lstm_params, _ = split_params(params)
    _, _, cache = lstm_forward_fast(encode_tokens(sentence), lstm_params)
    return {k: v[:, 0, :].T.copy() for k, v in gate_trace(cache).items()}


def number_units(params: dict[str, np.ndarray], *, n: int = 500, seed: int = 200) -> dict[str, np.ndarray]:
    """Which units' cell state holds the subject's number across the clause.

    For every unit u and every token after the subject, the sign of C_t[u] is taken as a vote
    for "plural" (or "singular" if the unit is wired the other way round). ``agreement[u]`` is
    the share of (sentence, token) pairs on which that vote is right, with the better of the two
    polarities; 0.5 is chance, 1.0 means the unit carries the number at every token.

    Returns a dict of (H,) arrays: ``agreement``, ``polarity`` (±1; +1: C > 0 means plural),
    ``mean_f`` (the mean forget gate over those tokens), and ``f_singular``, ``f_plural`` (the
    same mean after a singular and after a plural subject).
    """
    data = make_agreement(n, seed=seed, p_clause=1.0)
    lstm_params, _ = split_params(params)
    H = lstm_params["b_f"].shape[0]
    votes, count = np.zeros(H), 0
    f_sum, f_count = np.zeros((2, H)), np.zeros(2)
    for idx, x in data.by_length():
        _, _, cache = lstm_forward_fast(x, lstm_params)
        trace = gate_trace(cache)
        c_after = trace["c"][2:]  # (T-2, n, H): from the token after the noun to the end
        plural = (data.labels[idx] == 1)[None, :, None]
        votes += np.sum((c_after > 0) == plural, axis=(0, 1))
        count += c_after.shape[0] * c_after.shape[1]
        for number in (0, 1):
            f_num = trace["f"][2:, data.labels[idx] == number]  # (T-2, n_number, H)
            f_sum[number] += f_num.sum(axis=(0, 1))
            f_count[number] += f_num.shape[0] * f_num.shape[1]
    share = votes / count
    return {
        "agreement": np.maximum(share, 1 - share), "polarity": np.where(share >= 0.5, 1, -1),
        "mean_f": f_sum.sum(axis=0) / f_count.sum(),
        "f_singular": f_sum[0] / f_count[0], "f_plural": f_sum[1] / f_count[1],
    }


def carrier_units(units: dict[str, np.ndarray], threshold: float = 0.99) -> np.ndarray:
    """Indices of the units whose sign of C_t gives the subject's number on at least ``threshold`` of tokens.

    ``units`` is the dict of :func:`number_units`. The threshold is just below 1 so that one
    token whose C_t sits at zero, and rounds to either side on another CPU, does not change the count.
    """
    return np.flatnonzero(units["agreement"] >= threshold)


# ---------------------------------------------------------------------------------------------
# Interventions: hold the gates of the trained model fixed after the subject
# ---------------------------------------------------------------------------------------------

#: What each intervention does to every unit from the token after the subject on, as
#: ``{gate: value}``; :func:`intervention_accuracy` applies it. The names are the chapter's.
AGREEMENT_INTERVENTIONS: dict[str, dict[str, float]] = {
    "none": {},
    "f = 0.5": {"f": 0.5},                  # forget half of the memory at every token
    "i = 0": {"i": 0.0},                    # write nothing after the subject: only f_t ⊙ C_{t-1} keeps it
    "i = 0, f = 0.5": {"i": 0.0, "f": 0.5},  # write nothing and forget half: nothing keeps it
    "i = 0, f = 1": {"i": 0.0, "f": 1.0},    # write nothing, forget nothing: the ideal carousel
}


def intervention_accuracy(
    params: dict[str, np.ndarray], gates: dict[str, float], *, units: np.ndarray | None = None,
    n: int = 500, max_extra: int = 8, seed: int = 101,
) -> float:
    """Accuracy of a trained agreement model with some gates clamped from the token after the subject on.

    Every sentence has a clause of up to 3 + 3·``max_extra`` tokens (with ``max_extra=8``, sentences of
    up to 32 tokens: longer than any in training), so the number must survive many tokens.

    Args:
        params: a model from :func:`train_agreement_model`.
        gates: ``{gate: value}``, e.g. ``{"i": 0.0, "f": 0.5}``; ``{}`` is the unchanged model.
        units: the units to clamp, (k,) indices; all H units when None.
    Returns:
        the share of sentences whose verb number ŷ = argmax(W_y·h_T + b_y) gets right.
    """
    H = params["b_f"].shape[0]
    units = np.arange(H) if units is None else np.asarray(units)
    clamp = {gate: (units, value) for gate, value in gates.items()}
    data = make_agreement(n, seed=seed, p_clause=1.0, max_extra=max_extra)
    pred = np.empty(len(data), int)
    for idx, x in data.by_length():
        h_T = forward_with_clamped_gates(x, params, clamp, from_step=2)["h"][-1]  # step 2: the comma
        pred[idx] = (h_T @ params["W_y"].T + params["b_y"]).argmax(axis=-1)
    return float(np.mean(pred == data.labels))


@dataclass(frozen=True)
class AgreementSeed:
    """Everything chapter 2 measures on the agreement model trained with one seed."""

    seed: int
    params: dict[str, np.ndarray]    # the trained model (train_agreement_model)
    scores: dict[str, float]         # agreement_scores on 1,000 new sentences with a clause
    longer: dict[str, float]         # the same on clauses of up to 32 tokens (max_extra=8)
    units: dict[str, np.ndarray]     # number_units
    carriers: np.ndarray             # carrier_units
    interventions: dict[str, float]  # accuracy under each of AGREEMENT_INTERVENTIONS, on long clauses

    @property
    def carrier_f(self) -> np.ndarray:
        """Mean f_t after the subject of each carrier unit, (k,)."""
        return self.units["mean_f"][self.carriers]

    @property
    def switch_unit(self) -> int:
        """The unit whose mean f_t differs most between singular and plural subjects."""
        return int(np.argmax(np.abs(self.units["f_singular"] - self.units["f_plural"])))

    @property
    def has_switch(self) -> bool:
        """Does one unit keep its memory after one number (mean f_t > 0.9) and wipe it after the other (< 0.35)?"""
        fs, fp = self.units["f_singular"], self.units["f_plural"]
        return bool(np.any((np.maximum(fs, fp) > 0.9) & (np.minimum(fs, fp) < 0.35)))


def agreement_seed(seed: int) -> AgreementSeed:
    """Train the chapter's agreement model with ``seed`` and measure it (about 2 s on one core)."""
    params = train_agreement_model(seed=seed).params
    units = number_units(params)
    return AgreementSeed(
        seed=seed, params=params, scores=agreement_scores(params), longer=agreement_scores(params, max_extra=8, n=500),
        units=units, carriers=carrier_units(units),
        interventions={name: intervention_accuracy(params, gates) for name, gates in AGREEMENT_INTERVENTIONS.items()},
    )
