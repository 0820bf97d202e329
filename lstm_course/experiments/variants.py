"""Chapter 9a (and chapter 6's forget-gate ablation): LSTM variants trained on one task.

The task, "last write", needs a memory that is *overwritten*, over and over, in one long
stream (Gers et al., 2000, added the forget gate for exactly this). Every step shows a value
v_t ∈ [-1, 1] and, with probability ``p_write``, a write flag; at every step the target is the
value at the most recent write (step 0 is always a write):

    y_t = v_s,   s = the last step ≤ t with a write flag

Predicting the mean (0) scores an MSE of 1/3, the variance of U(-1, 1). Every variant of
:mod:`lstm_course.variants` gets the same budget: same hidden size, optimizer, learning rate,
steps, batches (the same data for every variant) and seeds.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..variants import VARIANTS, build_model, count_params

BASELINE_MSE = 1.0 / 3.0  # variance of U(-1, 1): the error of always answering 0
SOLVED_MSE = 0.03  # below a tenth of the baseline we call the task solved


def make_last_write(n: int, T: int = 30, *, seed: int = 0, p_write: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
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
    """One training run: ``losses`` per step, ``test_mse`` on held-out sequences (same T)."""

    kind: str
    seed: int
    forget_bias: float
    n_params: int
    losses: np.ndarray
    test_mse: float

    @property
    def solved(self) -> bool:
        return self.test_mse < SOLVED_MSE


def train_variant(
    kind: str, *, seeds: tuple[int, ...] = (0, 1), forget_bias: float = 1.0, steps: int = 150, T: int = 30,
    hidden: int = 16, batch_size: int = 64, lr: float = 1e-2,
) -> list[RunResult]:
    """Train one variant, one member per seed, on "last write"; evaluate on 512 new sequences.

    Adam (per element, so members stay independent) and gradient clipping to norm 1 per member.
    The batches depend only on the step, so every variant and every seed sees the same data;
    the seed sets the initial weights. Returns one :class:`RunResult` per seed.
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
        model.clip_grad_norm_(1.0)
        opt.step()
        losses[step] = per_member.detach().numpy()
    x, y = (torch.from_numpy(a) for a in make_last_write(512, T, seed=999))
    with torch.no_grad():
        test = ((model(x) - y) ** 2).mean(dim=(1, 2, 3)).numpy()
    n_params = count_params(model)
    return [RunResult(kind, s, forget_bias, n_params, losses[:, j].copy(), float(test[j])) for j, s in enumerate(seeds)]


def compare_variants(kinds: tuple[str, ...] = VARIANTS, seeds: tuple[int, ...] = (0, 1, 2), **kwargs) -> list[RunResult]:
    """:func:`train_variant` for every kind, same seeds and budget (``kwargs``) for all."""
    return [r for kind in kinds for r in train_variant(kind, seeds=seeds, **kwargs)]


def summarize(results: list[RunResult]) -> dict[str, dict[str, float]]:
    """Per kind: parameter count, mean and worst test MSE over seeds, and how many seeds solved the task."""
    out: dict[str, dict[str, float]] = {}
    for kind in dict.fromkeys(r.kind for r in results):
        rs = [r for r in results if r.kind == kind]
        mses = np.array([r.test_mse for r in rs])
        out[kind] = {
            "params": rs[0].n_params, "mean_mse": float(mses.mean()), "worst_mse": float(mses.max()),
            "solved": sum(r.solved for r in rs), "seeds": len(rs),
        }
    return out


def parameter_counts(input_size: int, hidden_size: int) -> dict[str, int]:
    """Trainable scalars of one layer of each variant (no readout), and of ``torch.nn.LSTM``.

    The article's cell has 4 gate layers of H·(H+D) weights and H biases: 4H(H+D) + 4H.
    ``torch.nn.LSTM`` stores two bias vectors per gate (4H more, the same function); peepholes
    add 3H; CIFG and the 1997 cell drop one gate layer; the GRU has 3 of PyTorch's double-bias layers.
    """
    from ..variants import make_layer

    counts = {kind: sum(p.numel() for p in make_layer(kind, input_size, hidden_size).parameters()) for kind in VARIANTS}
    counts["torch.nn.LSTM"] = sum(p.numel() for p in torch.nn.LSTM(input_size, hidden_size).parameters())
    return counts
