"""Chapter 9a (and chapter 6's forget-gate ablation): LSTM variants trained on one task.

The task, "last write", needs a memory that is *overwritten*, over and over, in one long
stream (Gers et al., 2000, added the forget gate for exactly this). Every step shows a value
v_t ∈ [-1, 1] and, with probability ``p_write``, a write flag; at every step the target is the
value at the most recent write (step 0 is always a write):

    y_t = v_s,   s = the last step ≤ t with a write flag

Predicting the mean (0) scores an MSE of 1/3, the variance of U(-1, 1). Every variant of
:mod:`lstm_course.variants` gets the same budget (the constants below, which chapter 9a quotes):
same hidden size, optimizer, learning rate, steps, batches (the same data for every variant) and
seeds.

Parameter counts follow one convention, the article's (:func:`independent_params`): every weight,
and one bias per gate. PyTorch stores two biases per gate; where the two only ever appear summed
(every gate of ``torch.nn.LSTM``, the GRU's z_t and r_t) they are one parameter of the function and
count once, while the GRU's candidate n_t = tanh(W_n x_t + b_n + r_t ⊙ (U_n h_{t-1} + c_n)) has two
biases that do different things (c_n is scaled by r_t) and both count.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..variants import VARIANTS, GRULayer, LSTMVariant, build_model, to_article_params
from .seeds import SEEDS

BASELINE_MSE = 1.0 / 3.0  # variance of U(-1, 1): the error of always answering 0
SOLVED_MSE = 0.03  # below a tenth of the baseline we call the task solved

# The budget every variant gets in chapter 9a (chapter 6's ablation uses the same defaults).
SEEDS_9A = SEEDS  # three: the GRU trains its seeds one after another, and five cost the build 11 s more
SEQ_LEN = 30  # T, steps per sequence
P_WRITE = 0.1  # probability of a write flag at each step
HIDDEN = 16  # H
BATCH = 64  # sequences per training step
STEPS = 150  # training steps (batches)
LR = 1e-2  # Adam's learning rate
CLIP_NORM = 1.0  # each member's gradient is clipped to this global norm
TEST_SEQS = 512  # held-out sequences for the test MSE


def make_last_write(n: int, T: int = SEQ_LEN, *, seed: int = 0, p_write: float = P_WRITE) -> tuple[np.ndarray, np.ndarray]:
    """The "last write" task (see the module docstring).

    Returns:
        x: (T, n, 2) float32, value and write flag; y: (T, n, 1) float32, the last written value.
    """
    if n < 1 or T < 1 or not 0 < p_write <= 1:
        raise ValueError(f"need n >= 1, T >= 1 and 0 < p_write <= 1; got n={n}, T={T}, p_write={p_write}")
    rng = np.random.default_rng(seed)
    x = np.zeros((T, n, 2), np.float32)
    x[:, :, 0] = rng.uniform(-1, 1, size=(T, n))
    write = rng.random((T, n)) < p_write
    write[0] = True
    x[:, :, 1] = write
    y = np.empty((T, n, 1), np.float32)
    current = x[0, :, 0].copy()
    for t in range(T):
        current = np.where(write[t], x[t, :, 0], current)
        y[t, :, 0] = current
    return x, y


@dataclass(frozen=True)
class RunResult:
    """One training run: ``losses`` per step, ``test_mse`` on held-out sequences (same T).

    For the article's cell (kind "lstm") ``params`` holds the trained member in the package's
    notation (W_f, b_f, ..., W_y (O, H), b_y (O,), float64), so its gates can be inspected and clamped.
    """

    kind: str
    seed: int
    forget_bias: float
    n_params: int
    losses: np.ndarray
    test_mse: float
    params: dict[str, np.ndarray] | None = None

    @property
    def solved(self) -> bool:
        return self.test_mse < SOLVED_MSE


def train_variant(
    kind: str, *, seeds: tuple[int, ...] = (0, 1), forget_bias: float = 1.0, steps: int = STEPS, T: int = SEQ_LEN,
    hidden: int = HIDDEN, batch_size: int = BATCH, lr: float = LR,
) -> list[RunResult]:
    """Train one variant, one member per seed, on "last write"; evaluate on TEST_SEQS new sequences.

    Adam (per element, so members stay independent) and gradient clipping to CLIP_NORM per member.
    The batches depend only on the step, so every variant and every seed sees the same data;
    the seed sets the initial weights. ``n_params`` counts by :func:`independent_params`.
    Returns one :class:`RunResult` per seed.
    """
    torch.set_num_threads(1)  # tiny matrices: threads cost more than they give, and cores are shared
    model = build_model(kind, 2, hidden, 1, seeds=seeds, forget_bias=forget_bias, readout="all")
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = np.empty((steps, len(seeds)))
    for step in range(steps):
        x, y = (torch.from_numpy(a) for a in make_last_write(batch_size, T, seed=10_000 + step))
        per_member = ((model(x) - y) ** 2).mean(dim=(1, 2, 3))  # (S,)
        opt.zero_grad()
        per_member.sum().backward()  # members share no parameter: each gets its own gradient
        model.clip_grad_norm_(CLIP_NORM)
        opt.step()
        losses[step] = per_member.detach().numpy()
    x, y = (torch.from_numpy(a) for a in held_out_set(T))
    with torch.no_grad():
        test = ((model(x) - y) ** 2).mean(dim=(1, 2, 3)).numpy()
    n_params = independent_params(model.layer) + model.W_y[0].numel() + model.b_y[0].numel()  # + the readout

    def trained(j: int) -> dict[str, np.ndarray] | None:
        if kind != "lstm":
            return None
        readout = {"W_y": model.W_y[j].detach().double().numpy(), "b_y": model.b_y[j].detach().double().numpy()}
        return to_article_params(model.layer, j) | readout

    return [RunResult(kind, s, forget_bias, n_params, losses[:, j].copy(), float(test[j]), trained(j))
            for j, s in enumerate(seeds)]


def held_out_set(T: int = SEQ_LEN) -> tuple[np.ndarray, np.ndarray]:
    """The held-out sequences every run is tested on: x (T, TEST_SEQS, 2), y (T, TEST_SEQS, 1)."""
    return make_last_write(TEST_SEQS, T, seed=999)


def forget_gate_at_writes(run: RunResult, clamp: float | None = None, T: int = SEQ_LEN) -> tuple[float, float, float]:
    """Run a trained "lstm" member over the test set, with the package's gate functions, step by step.

    With ``clamp``, f_t is replaced by that value at every write step (the new value arrives; t ≥ 1),
    an intervention at inference only: ``clamp=1.0`` forbids the cell to forget when it is told to
    overwrite, as the 1997 cell never can. ``T`` is the sequence length the run was trained with.

    Returns:
        (test MSE, mean f_t at write steps, mean f_t at the other steps), over every unit and
        sequence; the means are of the gate the cell computed, before any clamp.
    """
    from .. import gates as G

    if run.params is None:
        raise ValueError(f"forget_gate_at_writes needs a trained 'lstm' run (RunResult.params), got kind {run.kind!r}")
    p = run.params
    x, y = (a.astype(np.float64) for a in held_out_set(T))
    T, N, _ = x.shape
    H = p["b_f"].shape[0]
    h, c = np.zeros((N, H)), np.zeros((N, H))
    se, f_write, f_other = 0.0, [], []
    for t in range(T):
        f_t = G.forget_gate(h, x[t], p["W_f"], p["b_f"])
        write = (x[t, :, 1] > 0) & (t > 0)  # step 0 writes into an empty memory: nothing to forget
        f_write.append(f_t[write])
        f_other.append(f_t[~write])
        if clamp is not None:
            f_t = np.where(write[:, None], clamp, f_t)
        i_t = G.input_gate(h, x[t], p["W_i"], p["b_i"])
        c = G.cell_state(f_t, c, i_t, G.candidate_memory(h, x[t], p["W_C"], p["b_C"]))
        h = G.hidden_state(G.output_gate(h, x[t], p["W_o"], p["b_o"]), c)
        se += float((((h @ p["W_y"].T + p["b_y"]) - y[t]) ** 2).sum())
    return se / y.size, float(np.concatenate(f_write).mean()), float(np.concatenate(f_other).mean())


def compare_variants(kinds: tuple[str, ...] = VARIANTS, seeds: tuple[int, ...] = SEEDS_9A, **kwargs) -> list[RunResult]:
    """:func:`train_variant` for every kind, same seeds and budget (``kwargs``) for all."""
    return [r for kind in kinds for r in train_variant(kind, seeds=seeds, **kwargs)]


def summarize(results: list[RunResult]) -> dict[str, dict[str, float]]:
    """Per kind: parameter count, mean, best and worst test MSE over seeds, and how many seeds solved the task."""
    out: dict[str, dict[str, float]] = {}
    for kind in dict.fromkeys(r.kind for r in results):
        rs = [r for r in results if r.kind == kind]
        mses = np.array([r.test_mse for r in rs])
        out[kind] = {
            "params": rs[0].n_params, "mean_mse": float(mses.mean()), "worst_mse": float(mses.max()),
            "best_mse": float(mses.min()), "solved": sum(r.solved for r in rs), "seeds": len(rs),
        }
    return out


def independent_params(layer: torch.nn.Module) -> int:
    """Scalars of *one* member of a recurrent layer, one bias per gate (the module docstring's convention).

    Counted from the layer's own tensors, minus the bias vectors that only ever appear summed
    with another: none in :class:`~lstm_course.variants.LSTMVariant` (it stores one per gate), b_hz
    and b_hr (2H) in a GRU, every ``bias_hh`` (4H per layer) in ``torch.nn.LSTM``.
    """
    if isinstance(layer, LSTMVariant):
        return sum(p[0].numel() for p in layer.parameters())
    if isinstance(layer, GRULayer):
        gru = layer.grus[0]
        return sum(p.numel() for p in gru.parameters()) - 2 * gru.hidden_size
    if isinstance(layer, torch.nn.LSTM):
        return sum(p.numel() for p in layer.parameters()) - 4 * layer.hidden_size * layer.num_layers * layer.bias
    raise TypeError(f"independent_params counts LSTMVariant, GRULayer and torch.nn.LSTM layers, not {type(layer).__name__}")


def parameter_counts(input_size: int, hidden_size: int) -> dict[str, int]:
    """Parameters of one layer of each variant (no readout), one bias per gate; and what PyTorch stores.

    The article's cell has 4 gate layers of H·(H+D) weights and H biases: 4H(H+D) + 4H. Peepholes
    add 3H; CIFG and the 1997 cell drop one gate layer: 3H(H+D) + 3H; the GRU has 3 gate layers
    and 4 biases (z_t, r_t, and n_t's two): 3H(H+D) + 4H. ``torch.nn.LSTM`` and ``torch.nn.GRU``
    store two biases for every gate, the same functions with 4H and 2H more scalars.
    """
    from ..variants import make_layer

    counts = {kind: independent_params(make_layer(kind, input_size, hidden_size)) for kind in VARIANTS}
    counts["torch.nn.LSTM"] = sum(p.numel() for p in torch.nn.LSTM(input_size, hidden_size).parameters())
    counts["torch.nn.GRU"] = sum(p.numel() for p in torch.nn.GRU(input_size, hidden_size).parameters())
    return counts
