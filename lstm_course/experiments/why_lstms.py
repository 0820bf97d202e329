"""Chapter 1, why LSTMs: vanishing gradients in a plain RNN, and a long-range task only the LSTM learns.

Gradient with distance. A loss L that reads only the last hidden state h_T reaches the input
x_{T-k} through k steps of the recurrence. For a tanh RNN each step multiplies the gradient by

    ∂h_t/∂h_{t-1} = diag(1 - h_t²) · W_h,

so ‖∂L/∂x_{T-k}‖ shrinks roughly geometrically in k whenever that Jacobian's norm is below 1
(Bengio et al. 1994). In an LSTM the cell state gives the gradient another path,

    ∂C_t/∂C_{t-1} = diag(f_t)  (plus terms through h_{t-1} and the gates' weights),

whose factor per step is the forget gate itself: a gate the network learns and can hold near 1.

The adding problem (Hochreiter & Schmidhuber 1997). Each sequence has two channels: a value
uniform in [0, 1] and a marker that is 1 at exactly two steps (one in each half) and 0 elsewhere.
The target is the sum of the two marked values. Predicting the mean (1.0) gives MSE 1/6 ≈ 0.167;
success means a test MSE below :data:`SUCCESS_MSE`, which needs the first marked value to be
carried across up to T steps.

Nothing here rests on one run: the gradient is measured on :data:`INIT_SEEDS` random networks, and
the stored sweep (:data:`RESULTS_FILE`) trains every (cell, T) from each of :data:`SWEEP_SEEDS`.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..fast import gate_trace, lstm_forward_fast
from ..params import init_lstm_params, init_rnn_params
from ..rnn import rnn_backward, rnn_forward
from ..sequence import lstm_backward, lstm_forward
from .seeds import SEEDS, Spread

#: Test MSE that counts as solving the adding problem: 1/16 of the mean-prediction baseline (1/6).
SUCCESS_MSE = 0.01
#: MSE of always predicting E[y] = 1 (the variance of a sum of two U(0, 1) values: 2/12).
BASELINE_MSE = 1.0 / 6.0
#: Where `python -m lstm_course.experiments.why_lstms` stores the long runs the notebook cannot afford.
RESULTS_FILE = Path(__file__).resolve().parent.parent / "data" / "why_lstms" / "adding_problem.json"


# ---------------------------------------------------------------------------------------------
# Gradient norm against distance
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradientDecay:
    """‖∂L/∂x_{T-k}‖ for k = 0 .. T-1, for a tanh RNN and an LSTM on the same inputs and sizes.

    ``rnn[k]`` and ``lstm[k]`` are the norms averaged over the batch; ``forget_mean`` is the mean
    forget-gate activation f_t over the whole run (the LSTM's expected factor per step).
    """

    k: np.ndarray
    rnn: np.ndarray
    lstm: np.ndarray
    forget_mean: float
    rnn_scale: float
    forget_bias: float

    def ratio(self, which: str, k: int) -> float:
        """‖∂L/∂x_{T-k}‖ / ‖∂L/∂x_T‖: how much of the gradient survives k steps."""
        g = getattr(self, which)
        return float(g[k] / g[0])

    def factor_per_step(self, which: str, k_min: int = 5, k_max: int | None = None) -> float:
        """The geometric decay factor per step: exp of the log-linear slope fitted over k_min..k_max.

        The first few steps are left out because the direct path x_T -> h_T is not yet the
        repeated Jacobian product the fit describes.
        """
        g = getattr(self, which)
        k_max = len(g) - 1 if k_max is None else k_max
        ks = self.k[k_min : k_max + 1]
        slope = np.polyfit(ks, np.log(g[k_min : k_max + 1]), 1)[0]
        return float(np.exp(slope))


#: Seeds of the measurements at initialization (no training: five random networks are cheap).
INIT_SEEDS = (0, 1, 2, 3, 4)


def _probe(T: int, N: int, D: int, H: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The shared inputs x (T, N, D), the zero dh (T, N, H) and ∂L/∂h_T (N, H) = w for L = Σ_n w·h_T[n]."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((T, N, D))
    w = rng.standard_normal(H)
    w /= np.linalg.norm(w)
    return x, np.zeros((T, N, H)), np.broadcast_to(w, (N, H)).copy()


def probe_networks(
    T: int = 60, N: int = 32, D: int = 4, H: int = 32, seed: int = 0, *, rnn_scale: float = 1.0, forget_bias: float = 1.0
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The inputs x (T, N, D) and the two initialized networks that :func:`gradient_vs_distance` measures.

    Returns ``(x, rnn_params, lstm_params)``: the RNN's W_h (the first H columns of W) scaled by
    ``rnn_scale``, the LSTM's b_f raised by ``forget_bias``. Chapter 6 measures the same networks
    along one path only (:func:`lstm_course.experiments.math.gradient_measures`).
    """
    if rnn_scale <= 0:
        raise ValueError(f"rnn_scale must be positive (it scales W_h), got {rnn_scale}")
    x, _, _ = _probe(T, N, D, H, seed)
    rnn_params = init_rnn_params(D, H, seed=seed + 1)
    rnn_params["W"][:, :H] *= rnn_scale
    return x, rnn_params, init_lstm_params(D, H, forget_bias=forget_bias, seed=seed + 2)


def _by_distance(dx: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(dx, axis=2).mean(axis=1)  # (T,): mean over the batch of ‖∂L/∂x_t[n]‖
    return norms[::-1].copy()  # index k = T-1-t


def rnn_gradient_norms(rnn_scale: float = 1.0, T: int = 60, N: int = 32, D: int = 4, H: int = 32, seed: int = 0) -> np.ndarray:
    """‖∂L/∂x_{T-k}‖ for k = 0..T-1 through a tanh RNN whose recurrent weights W_h are scaled by ``rnn_scale``."""
    x, params, _ = probe_networks(T, N, D, H, seed, rnn_scale=rnn_scale)
    _, dh, dh_T = _probe(T, N, D, H, seed)
    _, _, cache = rnn_forward(x, params)
    return _by_distance(rnn_backward(dh, cache, dh_T=dh_T)[0])


def lstm_gradient_norms(
    forget_bias: float = 1.0, T: int = 60, N: int = 32, D: int = 4, H: int = 32, seed: int = 0
) -> tuple[np.ndarray, float]:
    """‖∂L/∂x_{T-k}‖ for k = 0..T-1 through an LSTM with ``forget_bias`` added to b_f, and the mean f_t."""
    x, _, params = probe_networks(T, N, D, H, seed, forget_bias=forget_bias)
    _, dh, dh_T = _probe(T, N, D, H, seed)
    _, _, cache = lstm_forward(x, params)
    norms = _by_distance(lstm_backward(dh, cache, dh_T=dh_T)[0])
    forget_mean = float(gate_trace(lstm_forward_fast(x, params)[2])["f"].mean())
    return norms, forget_mean


def gradient_vs_distance(
    T: int = 60,
    N: int = 32,
    D: int = 4,
    H: int = 32,
    *,
    rnn_scale: float = 1.0,
    forget_bias: float = 1.0,
    seed: int = 0,
) -> GradientDecay:
    """Measure ‖∂L/∂x_{T-k}‖ for a tanh RNN and an LSTM by backpropagation through time.

    Both models get the same inputs x ~ N(0, 1) of shape (T, N, D), the same hidden size H and
    PyTorch's initialization U(-1/√H, 1/√H); the loss is L = Σ_n w · h_T[n] for one fixed random
    unit vector w, so only the final state carries gradient in. Uses the package's own
    ``rnn_forward``/``rnn_backward`` and ``lstm_forward``/``lstm_backward``.

    Args:
        T, N, D, H: sequence length, batch, input size, hidden size.
        rnn_scale: multiplies the RNN's recurrent weights W_h (the first H columns of W).
        forget_bias: added to b_f of the LSTM (1.0 is the package's default).
        seed: seeds the inputs, w and both models' weights.
    Returns:
        :class:`GradientDecay` with k = 0 .. T-1 (k = 0 is the last input x_T).
    """
    rnn = rnn_gradient_norms(rnn_scale, T, N, D, H, seed)
    lstm, forget_mean = lstm_gradient_norms(forget_bias, T, N, D, H, seed)
    return GradientDecay(np.arange(T), rnn, lstm, forget_mean, rnn_scale, forget_bias)


def plot_gradient_decay(result: GradientDecay | list[GradientDecay], ax=None, ylim: tuple[float, float] | None = None):
    """Plot ‖∂L/∂x_{T-k}‖ against k on a log scale, RNN and LSTM. Returns the Axes.

    ``result`` is one measurement, or a list of them (one per seed, same knobs): then every seed
    gets its own thin line, so the spread over random networks shows. ``ylim`` fixes the axis (explorers).
    """
    import matplotlib.pyplot as plt

    from ..viz import PARTS

    results = result if isinstance(result, list) else [result]
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 3.4))
    many = len(results) > 1
    first = results[0]
    for which, colour, name in (("rnn", "#555555", f"tanh RNN ($W_h$ × {first.rnn_scale:g})"),
                                ("lstm", PARTS["cell"], f"LSTM ($b_f$ + {first.forget_bias:g})")):
        for j, r in enumerate(results):
            label = (f"{name}, {len(results)} seeds" if many else name) if j == 0 else None
            ax.semilogy(r.k, getattr(r, which), color=colour, lw=1.2 if many else 2, alpha=0.8 if many else 1, label=label)
    ax.set_xlabel("distance $k$ (steps back from the last input)")
    ax.set_ylabel(r"$\|\partial L / \partial x_{T-k}\|$")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="lower left", fontsize=10)
    return ax


def gradient_table(decays: dict[int, GradientDecay], k: int = 50) -> str:
    """:func:`gradient_vs_distance` over seeds (``{seed: result}``) as text: lowest-highest of each number."""
    def spread(f) -> Spread:
        return Spread.of({s: f(d) for s, d in decays.items()})

    rows = [
        ("factor per step", ".2f", lambda d, m: d.factor_per_step(m)),
        (f"left after {k} steps", ".0e", lambda d, m: d.ratio(m, k)),
    ]
    lines = [f"{'lowest-highest, ' + str(len(decays)) + ' seeds':<27}{'tanh RNN':<16}LSTM"]
    for name, fmt, f in rows:
        rnn, lstm = (spread(lambda d, m=m: f(d, m)).range_text(fmt) for m in ("rnn", "lstm"))
        lines.append(f"{name:<27}{rnn:<16}{lstm}")
    gap = spread(lambda d: d.ratio("lstm", k) / d.ratio("rnn", k)).range_text(".0e")
    lines.append(f"{'LSTM / RNN after ' + str(k) + ' steps':<27}{gap}")
    lines.append(f"{'mean forget gate f_t':<27}{'':<16}{spread(lambda d: d.forget_mean).range_text('.2f')}")
    return "\n".join(line.rstrip() for line in lines)


# ---------------------------------------------------------------------------------------------
# The adding problem, trained with PyTorch
# ---------------------------------------------------------------------------------------------


def adding_problem(T: int, N: int, seed: int | np.random.Generator = 0) -> tuple[np.ndarray, np.ndarray]:
    """N sequences of the adding problem, length T.

    Returns:
        x: (T, N, 2) float32; channel 0 the values U(0, 1), channel 1 the markers (two 1s per
        sequence, one in each half). y: (N, 1) float32, the sum of the two marked values.
    """
    if T < 2:
        raise ValueError(f"the adding problem needs T >= 2 (one marker in each half), got T={T}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(T, N))
    first = rng.integers(0, T // 2, size=N)
    second = rng.integers(T // 2, T, size=N)
    markers = np.zeros((T, N))
    markers[first, np.arange(N)] = 1.0
    markers[second, np.arange(N)] = 1.0
    x = np.stack([values, markers], axis=2).astype(np.float32)
    y = (values[first, np.arange(N)] + values[second, np.arange(N)])[:, None].astype(np.float32)
    return x, y


@dataclass(frozen=True)
class AddingRun:
    """One model trained on the adding problem at one sequence length, from one seed."""

    cell: str          # "lstm" or "rnn"
    T: int
    seed: int          # sets the initial weights, the training batches and the test set
    hidden: int
    steps_run: int     # steps taken (training stops early at success)
    test_mse: float    # the best test MSE seen at an evaluation (every `eval_every` steps)
    solved: bool       # test_mse < SUCCESS_MSE


def train_adding(
    cell: str,
    T: int,
    *,
    hidden: int = 32,
    max_steps: int = 1500,
    batch: int = 64,
    lr: float = 1e-2,
    eval_every: int = 50,
    n_test: int = 512,
    seed: int = 0,
) -> AddingRun:
    """Train a ``cell`` ("lstm" or "rnn") + linear readout on the adding problem of length T.

    Adam (lr), gradient norm clipped at 1, fresh batches every step, the same seeds for both
    cells: the same data and the same budget. Stops as soon as the test MSE is below
    :data:`SUCCESS_MSE`. Deterministic for a given seed on a given machine.
    """
    import torch

    from ..torch_models import LastStepRegressor

    # One thread: these matrices are tiny (N=64, H=32), so a second thread only adds
    # synchronisation; on a shared 2-core machine 2 threads measured 25-50x slower per step.
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    model = LastStepRegressor(cell, 2, hidden)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    x_test, y_test = (torch.from_numpy(a) for a in adding_problem(T, n_test, seed=10_000 + seed))
    best, step = float("inf"), 0
    for step in range(1, max_steps + 1):
        x, y = (torch.from_numpy(a) for a in adding_problem(T, batch, rng))
        loss = torch.nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % eval_every == 0:
            with torch.no_grad():
                best = min(best, float(torch.nn.functional.mse_loss(model(x_test), y_test)))
            if best < SUCCESS_MSE:
                break
    return AddingRun(cell, T, seed, hidden, step, round(best, 6), best < SUCCESS_MSE)


def adding_sweep(lengths: tuple[int, ...], seeds: tuple[int, ...] = SEEDS, *, progress=None, **kw) -> list[AddingRun]:
    """:func:`train_adding` for both cells at every length and seed (same seeds and budget for both).

    ``progress``, if given, is called with each finished :class:`AddingRun` (the sweep takes minutes).
    """
    if not seeds:
        raise ValueError("adding_sweep needs at least one seed, e.g. seeds=(0, 1, 2)")
    runs = []
    for T in lengths:
        for cell in ("lstm", "rnn"):
            for seed in seeds:
                runs.append(train_adding(cell, T, seed=seed, **kw))
                if progress is not None:
                    progress(runs[-1])
    return runs


def by_cell(runs: list[AddingRun]) -> dict[tuple[str, int], dict[int, AddingRun]]:
    """The sweep as ``{(cell, T): {seed: run}}``, the shape :mod:`.seeds` counts over (``out_of``)."""
    out: dict[tuple[str, int], dict[int, AddingRun]] = {}
    for r in sorted(runs, key=lambda r: (r.T, r.cell, r.seed)):
        out.setdefault((r.cell, r.T), {})[r.seed] = r
    return out


def save_runs(runs: list[AddingRun], path: Path = RESULTS_FILE, settings: dict | None = None,
              generation: dict | None = None) -> None:
    """Write ``runs`` with the settings that made them and, optionally, what making them cost (``generation``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"success_mse": SUCCESS_MSE, "settings": settings or {}, "runs": [asdict(r) for r in runs]}
    if generation:
        payload["generation"] = generation
    path.write_text(json.dumps(payload, indent=1) + "\n")


def load_runs(path: Path = RESULTS_FILE) -> list[AddingRun]:
    """The precomputed long runs (see :data:`RESULTS_FILE`; regenerate with ``python -m lstm_course.experiments.why_lstms``)."""
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; create it with `python -m lstm_course.experiments.why_lstms`")
    return [AddingRun(**r) for r in json.loads(path.read_text())["runs"]]


def plot_success(runs: list[AddingRun], ax=None):
    """Best test MSE against sequence length: one dot per seed, a line through the median, the threshold."""
    import matplotlib.pyplot as plt

    from ..viz import PARTS

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.0))
    cells = by_cell(runs)
    lengths = sorted({T for (_, T) in cells})
    for cell, colour, name, marker, shift in (("rnn", "#555555", "tanh RNN", "s", 0.012), ("lstm", PARTS["cell"], "LSTM", "o", -0.012)):
        Ts = [T for T in lengths if (cell, T) in cells]
        for T in Ts:
            mses = [r.test_mse for r in cells[(cell, T)].values()]
            # Seeds side by side around T (a few % of the axis), so equal values do not hide each other.
            offsets = np.linspace(-1, 1, len(mses)) * 0.012 * (lengths[-1] - lengths[0])
            ax.semilogy(T + shift * (lengths[-1] - lengths[0]) + offsets, mses, marker, color=colour, ms=5, alpha=0.75,
                        mfc="none" if cell == "rnn" else colour)
        median = [float(np.median([r.test_mse for r in cells[(cell, T)].values()])) for T in Ts]
        n = max(len(cells[(cell, T)]) for T in Ts)
        ax.semilogy(Ts, median, "-", color=colour, lw=2, marker=marker, ms=0, label=f"{name}: {n} seeds (median line)")
    ax.axhline(SUCCESS_MSE, color="#009E73", ls="--", lw=1.4, label=f"solved: MSE < {SUCCESS_MSE:g}")
    ax.axhline(BASELINE_MSE, color="#D55E00", ls=":", lw=1.4, label="predict the mean (1/6)")
    ax.set_xlabel("sequence length $T$")
    ax.set_ylabel("best test MSE")
    ax.set_xticks(lengths)
    ax.set_ylim(1e-3, 0.5)
    ax.legend(fontsize=10, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False)
    ax.grid(True, alpha=0.3)
    return ax


def sweep_table(runs: list[AddingRun]) -> str:
    """The sweep as text, one row per (T, cell): how many seeds solved it, each seed's best test MSE, steps.

    A ``*`` marks a solved run, so a reader sees which side of :data:`SUCCESS_MSE` each value falls on.
    """
    cells = by_cell(runs)
    seeds = sorted({r.seed for r in runs})
    lines = [f"best test MSE per seed; * = solved (below {SUCCESS_MSE:.4f})",
             f"{'T':>4} {'cell':<5}{'solved':<7}" + "".join(f"{'seed ' + str(s):>8}" for s in seeds) + "  steps"]
    for (cell, T), by_seed in sorted(cells.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        mses = "".join(f"{r.test_mse:>7.4f}{'*' if r.solved else ' '}" for r in by_seed.values())
        steps = sorted(r.steps_run for r in by_seed.values())
        span = f"{steps[0]}" if steps[0] == steps[-1] else f"{steps[0]}-{steps[-1]}"
        solved = f"{sum(r.solved for r in by_seed.values())}/{len(by_seed)}"
        lines.append(f"{T:>4} {cell.upper():<5}{solved:<7}{mses}  {span}")
    return "\n".join(line.rstrip() for line in lines)


#: The sweep stored in RESULTS_FILE: lengths too long for the chapter's time budget.
LONG_LENGTHS = (10, 20, 30, 50, 100)
#: Its seeds: more than the book's default three, because the sweep runs offline, and whether the
#: RNN solves a length near its limit differs from seed to seed (and from CPU to CPU).
SWEEP_SEEDS = (0, 1, 2, 3, 4)
LONG_SETTINGS = dict(hidden=32, max_steps=1500, batch=64, lr=1e-2)


def main(argv: list[str] | None = None) -> None:
    """Regenerate :data:`RESULTS_FILE` (here: about 3 minutes of one core per seed, 15 for the five)."""
    import argparse
    import time

    parser = argparse.ArgumentParser(description="Train the adding-problem sweep and store it for chapter 1.")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SWEEP_SEEDS), help="seeds (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=RESULTS_FILE, help="where to write the runs (default: the package's file)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    runs = adding_sweep(LONG_LENGTHS, tuple(args.seeds), progress=lambda r: print(r, flush=True), **LONG_SETTINGS)
    seconds = round(time.perf_counter() - start)
    save_runs(runs, args.out, settings={"lengths": list(LONG_LENGTHS), "seeds": list(args.seeds), **LONG_SETTINGS},
              generation={"seconds": seconds, "how": "python -m lstm_course.experiments.why_lstms (one thread)"})
    print(f"wrote {args.out} ({len(runs)} runs in {seconds} s)")


if __name__ == "__main__":
    main()
