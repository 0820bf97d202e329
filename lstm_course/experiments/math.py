"""Chapter 6, the mathematics: σ and tanh, backpropagation through time, the constant error carousel.

    f_t = σ(W_f·[h_{t-1}, x_t] + b_f)        C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t

Along the additive path the cell state's Jacobian is diagonal,

    ∂C_T/∂C_{T-k} |_(direct path) = Π_{s=T-k+1}^{T} diag(f_s)

while a vanilla RNN's is a product of full matrices, ∂h_T/∂h_{T-k} = Π_s diag(1 - h_s²)·W_h.
The functions here compute both on initialized networks (over :data:`INIT_SEEDS`), compare them
with chapter 1's end-to-end measurement in the same networks (:func:`gradient_measures`), check the
package's BPTT against finite differences, and measure what the forget gate (and its bias) does to
training (:func:`forget_gate_ablation`, over :data:`ABLATION_SEEDS`).
"""
from __future__ import annotations

import numpy as np

from ..activations import sigmoid, sigmoid_grad_from_output, tanh, tanh_grad_from_output
from ..fast import gate_trace, lstm_forward_fast
from ..gradcheck import check_gradient
from ..params import LSTM_KEYS, init_lstm_params, init_rnn_params
from ..rnn import rnn_forward
from ..sequence import lstm_backward, lstm_forward
from .seeds import SEEDS, Spread
# INIT_SEEDS: chapter 6 draws its random networks from the same seeds as chapter 1.
from .why_lstms import INIT_SEEDS, gradient_vs_distance, probe_networks  # noqa: F401


def activation_facts(z_max: float = 10.0, n: int = 20_001) -> dict[str, float]:
    """Ranges and largest derivatives of σ and tanh on a grid of ``n`` points in [-z_max, z_max].

    Returns ``sigmoid_min/max``, ``tanh_min/max`` (values reached on the grid), ``dsigmoid_max``
    (= 1/4 at z = 0) and ``dtanh_max`` (= 1 at z = 0), and ``argmax_dsigmoid``, ``argmax_dtanh``.
    Derivatives come from the outputs, as backprop computes them: σ' = σ(1 - σ), tanh' = 1 - tanh².
    """
    z = np.linspace(-z_max, z_max, n)
    s, t = sigmoid(z), tanh(z)
    ds, dt = sigmoid_grad_from_output(s), tanh_grad_from_output(t)
    return {
        "sigmoid_min": float(s.min()), "sigmoid_max": float(s.max()),
        "tanh_min": float(t.min()), "tanh_max": float(t.max()),
        "dsigmoid_max": float(ds.max()), "dtanh_max": float(dt.max()),
        "argmax_dsigmoid": float(z[np.argmax(ds)]), "argmax_dtanh": float(z[np.argmax(dt)]),
    }


def bptt_gradient_check(*, T: int = 4, N: int = 2, D: int = 3, H: int = 3, seed: int = 0) -> dict[str, float]:
    """Check :func:`lstm_course.lstm_backward` against central differences for every parameter and x.

    The loss is L = Σ_t Σ dh_t ⊙ h_t + Σ dc_T ⊙ C_T with random weights dh, dc_T, so every path
    (through h_t at every step and through the final cell state) is exercised.
    Returns the relative error per parameter name and for ``x``; :func:`check_gradient` raises if any exceeds 1e-6.
    """
    rng = np.random.default_rng(seed)
    params = init_lstm_params(D, H, seed=seed)
    x = rng.standard_normal((T, N, D))
    dh, dc_T = rng.standard_normal((T, N, H)), rng.standard_normal((N, H))

    def loss() -> float:
        h, (_, c_T), _ = lstm_forward(x, params)
        return float(np.sum(dh * h) + np.sum(dc_T * c_T))

    _, _, cache = lstm_forward(x, params)
    dx, _, _, grads = lstm_backward(dh, cache, dc_T=dc_T)
    errors = {k: check_gradient(loss, params[k], grads[k], name=k) for k in LSTM_KEYS}
    errors["x"] = check_gradient(loss, x, dx, name="x")
    return errors


def _forget_products(params: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """Mean over sequences and units of Π_{s=T-k+1}^{T} f_s for k = 0..T: shape (T + 1,), starting at 1."""
    f = gate_trace(lstm_forward_fast(x, params)[2])["f"]  # (T, N, H)
    prods = np.cumprod(f[::-1], axis=0)  # prods[k-1] = Π of the last k forget gates, (T, N, H)
    return np.concatenate([[1.0], prods.mean(axis=(1, 2))])


def _rnn_jacobian_norms(params: dict[str, np.ndarray], x: np.ndarray, k_max: int) -> np.ndarray:
    """Mean over sequences of ‖∂h_T/∂h_{T-k}‖₂ for k = 0..k_max: shape (k_max + 1,), starting at 1."""
    T, N, _ = x.shape
    h, _, _ = rnn_forward(x, params)
    H = h.shape[2]
    W_h = params["W"][:, :H]  # (H, H)
    J = np.broadcast_to(np.eye(H), (N, H, H)).copy()  # (N, H, H): ∂h_T/∂h_T
    out = [1.0]
    for t in range(T - 1, T - 1 - k_max, -1):
        # one more step back: J <- J · diag(1 - h_t²) · W_h
        J = (J * (1.0 - h[t] ** 2)[:, None, :]) @ W_h
        out.append(float(np.linalg.norm(J, ord=2, axis=(1, 2)).mean()))
    return np.array(out)


def carousel_decay(forget_bias: float = 1.0, *, k_max: int = 50, H: int = 16, D: int = 2, N: int = 64, seed: int = 0) -> np.ndarray:
    """Mean over units and sequences of Π_{s=T-k+1}^{T} f_s, for k = 0..k_max (an initialized LSTM).

    This is ∂C_T/∂C_{T-k} along the cell-state path, unit by unit (the Jacobian is diagonal there).
    Inputs are standard normal, T = k_max, weights from :func:`init_lstm_params` with ``forget_bias``.
    Returns an array of shape (k_max + 1,), starting at 1.
    """
    params = init_lstm_params(D, H, forget_bias=forget_bias, seed=seed)
    x = np.random.default_rng(seed + 1).standard_normal((k_max, N, D))
    return _forget_products(params, x)


def rnn_jacobian_decay(*, k_max: int = 50, H: int = 16, D: int = 2, N: int = 64, seed: int = 0) -> np.ndarray:
    """Mean over sequences of the spectral norm ‖∂h_T/∂h_{T-k}‖ = ‖Π_s diag(1 - h_s²)·W_h‖, k = 0..k_max.

    Same sizes and inputs as :func:`carousel_decay`, weights from :func:`init_rnn_params`.
    Returns an array of shape (k_max + 1,), starting at 1.
    """
    params = init_rnn_params(D, H, seed=seed)
    x = np.random.default_rng(seed + 1).standard_normal((k_max, N, D))
    return _rnn_jacobian_norms(params, x, k_max)


def gradient_measures(k: int = 50, *, T: int = 60, N: int = 32, D: int = 4, H: int = 32, seed: int = 0) -> dict[str, float]:
    """Chapter 1's measurement and this chapter's, k steps back, in the *same* two initialized networks.

    The networks and inputs are chapter 1's (:func:`~.why_lstms.probe_networks`, forget bias 1):

    - ``lstm_all``, ``rnn_all``: ‖∂L/∂x_{T-k}‖ / ‖∂L/∂x_T‖ for L = w·h_T, by backpropagation
      through every path (chapter 1's :func:`~.why_lstms.gradient_vs_distance`);
    - ``lstm_cell``: the mean of Π f_s over the last k steps, the cell-state path alone;
    - ``rnn_norm``: the mean spectral norm ‖∂h_T/∂h_{T-k}‖₂, the RNN's Jacobian in its most
      favourable direction (this chapter's :func:`carousel_decay` and :func:`rnn_jacobian_decay`).
    """
    if not 1 <= k < T:
        raise ValueError(f"k must be between 1 and T-1 = {T - 1}, got k={k}")
    x, rnn_params, lstm_params = probe_networks(T, N, D, H, seed)
    end_to_end = gradient_vs_distance(T, N, D, H, seed=seed)
    return {
        "lstm_all": end_to_end.ratio("lstm", k), "rnn_all": end_to_end.ratio("rnn", k),
        "lstm_cell": float(_forget_products(lstm_params, x)[k]), "rnn_norm": float(_rnn_jacobian_norms(rnn_params, x, k)[k]),
    }


#: The forget-gate ablation's seeds: the book's three (training is the chapter's slowest cell; five
#: seeds, side by side, measured 1.2-1.5 times the time of three on a shared 2-core machine).
ABLATION_SEEDS = SEEDS
#: The three cells of the ablation, by the name the chapter prints: (variant kind, forget bias).
ABLATION_CELLS = {"f, bias 1": ("lstm", 1.0), "f, bias 0": ("lstm", 0.0), "no f (1997)": ("nfg", 1.0)}


def forget_gate_ablation(*, seeds: tuple[int, ...] = ABLATION_SEEDS, **kwargs) -> dict[str, list]:
    """The "last write" task of :mod:`lstm_course.experiments.variants` for three cells, same budget and seeds.

    Keys (:data:`ABLATION_CELLS`): ``"f, bias 1"`` (the article's LSTM, forget bias 1), ``"f, bias 0"``
    (PyTorch's initialization) and ``"no f (1997)"`` (C_t = C_{t-1} + i_t ⊙ C̃_t). Values: one
    :class:`~.variants.RunResult` per seed (``.test_mse``, ``.solved``, ``.losses``, ``.n_params``).
    """
    from .variants import train_variant  # needs torch; the rest of this module does not

    return {name: train_variant(kind, seeds=seeds, forget_bias=bias, **kwargs) for name, (kind, bias) in ABLATION_CELLS.items()}


def carousel_table(decay: dict[float, dict[int, np.ndarray]], rnn: dict[int, np.ndarray], ks=(20, 50)) -> str:
    """The curves of :func:`plot_carousel` as text: lowest-highest over seeds at each k in ``ks``."""
    rows = {f"LSTM, forget bias {b:g}": by_seed for b, by_seed in decay.items()} | {"tanh RNN ||J||": rnn}
    lines = [f"{'lowest-highest, ' + str(len(rnn)) + ' seeds':<25}" + "".join(f"{'k = ' + str(k):<20}" for k in ks)]
    for label, by_seed in rows.items():
        cols = (Spread.of({s: c[k] for s, c in by_seed.items()}).range_text(".1e") for k in ks)
        lines.append(f"{label:<25}" + "".join(f"{c:<20}" for c in cols))
    return "\n".join(line.rstrip() for line in lines)


#: The rows of :func:`measures_table`: one ratio of :func:`gradient_measures` per row.
MEASURE_RATIOS = {
    "LSTM/RNN, end to end (ch. 1)": lambda m: m["lstm_all"] / m["rnn_all"],
    "LSTM/RNN, cell path vs best dir.": lambda m: m["lstm_cell"] / m["rnn_norm"],
    "LSTM: end to end / cell path": lambda m: m["lstm_all"] / m["lstm_cell"],
    "RNN: best direction / end to end": lambda m: m["rnn_norm"] / m["rnn_all"],
}


def measures_table(measured: dict[str, dict[int, dict[str, float]]], k: int = 50) -> str:
    """``{size name: {seed: gradient_measures(...)}}`` as text: each ratio of :data:`MEASURE_RATIOS`, lowest-highest."""
    n = len(next(iter(measured.values())))
    lines = [f"{f'k = {k}, lowest-highest, {n} seeds':<34}" + "".join(f"{name:<15}" for name in measured)]
    for row, f in MEASURE_RATIOS.items():
        cells = (Spread.of({s: f(m) for s, m in by_seed.items()}).range_text(".0e") for by_seed in measured.values())
        lines.append(f"{row:<34}" + "".join(f"{c:<15}" for c in cells))
    return "\n".join(line.rstrip() for line in lines)


def ablation_table(ablation: dict[str, list]) -> str:
    """:func:`forget_gate_ablation`'s runs as text: parameters, test MSE over seeds (mean, range, worst seed), solved."""
    lines = ["cell         params  test MSE: mean  lowest-highest  worst seed  solved"]
    for name, runs in ablation.items():
        m = Spread.of({r.seed: r.test_mse for r in runs}, higher_is_better=False)
        solved = f"{sum(r.solved for r in runs)}/{len(runs)}"
        lines.append(f"{name:<12}{runs[0].n_params:>7}  {m.mean:>14.4f}  {m.range_text('.4f'):<16}{m.worst_seed:>10}  {solved}")
    return "\n".join(line.rstrip() for line in lines)


def _band(ax, ks, curves, colour, ls, label, alpha=0.2):
    """One curve per seed -> their mean as a line and their range as a shaded band (log y)."""
    curves = np.asarray(curves)  # (seeds, len(ks))
    ax.fill_between(ks, curves.min(axis=0), curves.max(axis=0), color=colour, alpha=alpha, lw=0)
    ax.semilogy(ks, curves.mean(axis=0), color=colour, lw=2, ls=ls, label=label)


def plot_carousel(decay: dict[float, dict[int, np.ndarray]], rnn: dict[int, np.ndarray], ax=None):
    """Π f (per forget bias) and the RNN's ‖∂h_T/∂h_{T-k}‖ against k: mean and range over seeds. Returns the Axes.

    ``decay`` maps forget bias -> {seed: :func:`carousel_decay`}; ``rnn`` maps seed -> :func:`rnn_jacobian_decay`.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.8, 3.8))
    styles = ["#56B4E9", "#0072B2", "#003f66"], [":", "-", "-."]
    for (b, by_seed), c, ls in zip(decay.items(), *styles):
        ks = np.arange(len(next(iter(by_seed.values()))))
        _band(ax, ks, list(by_seed.values()), c, ls, f"LSTM $\\prod f$, forget bias {b:g}")
    ks = np.arange(len(next(iter(rnn.values()))))
    _band(ax, ks, list(rnn.values()), "#D55E00", "--", "tanh RNN $\\|\\prod \\mathrm{diag}(1-h^2)W_h\\|$", alpha=0.15)
    ax.set(xlabel="steps back, k", ylabel="gradient factor", ylim=(1e-16, 3),
           title=f"Mean and range over {len(rnn)} random networks")
    ax.legend(frameon=False, fontsize=10, loc="lower left")
    return ax


def plot_ablation(ablation: dict[str, list], ax=None, smooth: int = 10):
    """Training MSE of each ablation cell against step: mean and range over seeds (a ``smooth``-step moving average)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.8, 3.6))
    for (name, runs), c, ls in zip(ablation.items(), ["#0072B2", "#56B4E9", "#D55E00"], ["-", ":", "--"]):
        curves = [np.convolve(r.losses, np.ones(smooth) / smooth, mode="valid") for r in runs]
        _band(ax, np.arange(len(curves[0])) + smooth, curves, c, ls, name)
    ax.axhline(1 / 3, color="#999999", ls="-.", lw=1, label="answer 0")
    n = len(next(iter(ablation.values())))
    ax.set(xlabel="training step", ylabel=f"training MSE ({n} seeds)")
    ax.legend(frameon=False, fontsize=10, loc="lower left")
    return ax
