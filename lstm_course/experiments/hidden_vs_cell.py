"""Chapter 5, hidden state vs cell state: which state carries what, and for how long.

    C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t          h_t = o_t ⊙ tanh(C_t)

The task makes a model do a short-term and a long-term job at once. Every step shows a value
v_t ∈ [-1, 1]; once, in the first half, a "write" flag marks one of them. At every step the model
must output

    ŷ_t[0] = v_t              what is happening *now*                   (short-term)
    ŷ_t[1] = v at the write   what happened long ago, 0 before it       (long-term)

We train the package's LSTM (fast path, :func:`lstm_course.fit`) under several seeds and ask the
article's question three ways:

- **probes**: can a linear map decode "now" and "then" from h_t, and from C_t?
  (:func:`probe_r2`; it answers what each state *holds* at one step);
- **speed**: how far does each unit's C_t and h_t move per step, and what time constant does
  its forget gate give C_t? (:func:`unit_dynamics`);
- **interventions**: swap one state with that of another sequence at step :data:`T_SWAP` and
  watch how much of the other sequence's remembered value the "then" output takes over, with
  both paths running, or with only one path left open (:func:`swap_transfer`; it answers which
  state *carries* the memory forward, causally).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cell import lstm_cell_forward
from ..fast import gate_trace, lstm_forward_fast
from ..model import fit, init_model, predict, split_params
from ..optim import Adam
from ..tasks import make_store

T_TRAIN = 20
HIDDEN = 8
#: The step whose state is swapped: the last step of the first half, so every sequence has
#: already seen its write (make_store writes first in steps 0 .. T/2 - 1).
T_SWAP = T_TRAIN // 2 - 1
#: The four interventions of :func:`swap_transfer`, in the order the page shows them.
SWAPS = ("swap C", "swap h", "C alone", "h alone")


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


def train_now_and_then(*, seed: int = 0, epochs: int = 8, batches: int = 40, batch_size: int = 64) -> dict[str, np.ndarray]:
    """Train an LSTM (H = 8) + linear readout of h_t on :func:`make_now_and_then`; returns the model's params."""
    data = [make_now_and_then(batch_size, seed=1000 * seed + k) for k in range(batches)]
    params = init_model(2, HIDDEN, 2, seed=seed)
    fit(params, lambda epoch: data, Adam(1e-2), epochs=epochs, readout="all", verbose=False)
    return params


def trace(params: dict[str, np.ndarray], x: np.ndarray) -> dict[str, np.ndarray]:
    """The trained LSTM's gates and states on ``x``: (T, N, H) arrays ``f``, ``i``, ``o``, ``c``, ``h``, ..."""
    lstm_params, _ = split_params(params)
    _, _, cache = lstm_forward_fast(x, lstm_params)
    return {k: np.array(v) for k, v in gate_trace(cache).items()}


def after_write(x: np.ndarray) -> np.ndarray:
    """(T, N) mask of the steps from each sequence's write on (where "then" is the written value)."""
    return np.cumsum(x[:, :, 1], axis=0) > 0


def _r2(F: np.ndarray, target: np.ndarray) -> float:
    """R² of the least-squares fit target ≈ [F, 1]·w; F is (rows, k), target (rows,)."""
    A = np.concatenate([F, np.ones((F.shape[0], 1))], axis=1)
    w = np.linalg.lstsq(A, target, rcond=None)[0]
    return float(1.0 - np.mean((A @ w - target) ** 2) / np.var(target))


def probe_r2(tr: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> dict[str, dict[str, float]]:
    """How well a linear probe decodes each target from each state, over every step from the write on.

    Returns ``{"h": {"now": R², "then": R²}, "c": {...}}``: the probe reads all H units of h_t
    (or of C_t) at one step, fitted by least squares on the same steps it is scored on (H + 1
    coefficients on thousands of rows, so there is nothing to overfit).
    """
    mask = after_write(x)
    return {s: {"now": _r2(tr[s][mask], y[mask][:, 0]), "then": _r2(tr[s][mask], y[mask][:, 1])} for s in ("h", "c")}


@dataclass(frozen=True)
class UnitDynamics:
    """How each unit's two states move once the write has happened. Every field is an (H,) array.

    Attributes:
        dc, dh: mean |C_t - C_{t-1}| and mean |h_t - h_{t-1}| over the steps after the write.
        tau: the time constant its forget gate gives C_t, τ = -1 / mean(log f_t) steps: on its
            own (i_t = 0) the cell state would shrink by a factor e every τ steps. h_t has no
            such term: it is recomputed from C_t at every step.
    """

    dc: np.ndarray
    dh: np.ndarray
    tau: np.ndarray


def unit_dynamics(tr: dict[str, np.ndarray], x: np.ndarray) -> UnitDynamics:
    """:class:`UnitDynamics` of a trace from :func:`trace` on inputs ``x``."""
    mask = after_write(x)
    pairs = mask[1:] & mask[:-1]  # (T-1, N): both t-1 and t after the write
    dc = np.abs(np.diff(tr["c"], axis=0))[pairs].mean(axis=0)
    dh = np.abs(np.diff(tr["h"], axis=0))[pairs].mean(axis=0)
    tau = -1.0 / np.log(tr["f"][mask]).mean(axis=0)
    return UnitDynamics(dc=dc, dh=dh, tau=tau)


def _run_from(params, x, h, c, *, clean=None, only=None):
    """Run the LSTM on x[t_0+1:] from states (h, c) at step t_0 and return the readout ŷ, (T - t_0 - 1, N, 2).

    ``only="c"``: the gates at every step read the *clean* run's h_{t-1} (``clean["h"]``), so a
    change can travel only along the cell state's own path f_t ⊙ C_{t-1}.
    ``only="h"``: after every step the cell state is reset to the clean run's C_t, so a change can
    travel only through h_{t-1} into the next step's gates (and out through o_t).
    """
    lstm_params, out = split_params(params)
    ys = []
    for k, x_t in enumerate(x):
        h_in = clean["h"][k - 1] if only == "c" and k > 0 else h
        h, c, _ = lstm_cell_forward(x_t, h_in, c, lstm_params)
        ys.append(h @ out["W_y"].T + out["b_y"])
        if only == "h":
            c = clean["c"][k]
    return np.array(ys)


def swap_transfer(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, *, t0: int = T_SWAP, seed: int = 0) -> dict:
    """Interchange interventions: give each sequence another one's state at step ``t0`` and measure the effect.

    Every sequence n gets a donor d(n) (a random permutation). From step t0 + 1 on, the model
    runs on sequence n's own inputs, but from a state with one part taken from the donor:

        "swap C"   C_{t0} from the donor, h_{t0} its own; both paths run freely
        "swap h"   h_{t0} from the donor, C_{t0} its own; both paths run freely
        "C alone"  as "swap C", but the gates keep reading the clean h_{t-1}: only f_t ⊙ C_{t-1} can carry it
        "h alone"  as "swap h", but C_t is reset to its clean value after every step: only h can carry it

    The *transfer* at step t is how far the "then" output moved toward the donor's remembered value,
    the least-squares slope of  ŷ_t[1] (patched) - ŷ_t[1] (clean)  on  v_donor - v_own:
    1 means the output now reports the donor's value, 0 that the swap left it untouched.

    Returns:
        dict with ``steps`` (t0+1 .. T-1), one (T - t0 - 1,) transfer curve per name of :data:`SWAPS`,
        and ``unit_c``: (H,) the mean transfer over those steps when only unit u's C_{t0} is swapped.
    """
    tr = trace(params, x)
    donor = np.random.default_rng(seed).permutation(x.shape[1])
    dv = y[-1, donor, 1] - y[-1, :, 1]  # (N,) how far the donor's remembered value is from the own one
    xs = x[t0 + 1:]
    h_own, c_own, h_don, c_don = tr["h"][t0], tr["c"][t0], tr["h"][t0][donor], tr["c"][t0][donor]
    clean_states = {"h": tr["h"][t0 + 1:], "c": tr["c"][t0 + 1:]}
    clean = _run_from(params, xs, h_own, c_own)

    def transfer(y_hat: np.ndarray) -> np.ndarray:
        return (y_hat - clean)[:, :, 1] @ dv / (dv @ dv)

    out = {
        "steps": np.arange(t0 + 1, x.shape[0]),
        "swap C": transfer(_run_from(params, xs, h_own, c_don)),
        "swap h": transfer(_run_from(params, xs, h_don, c_own)),
        "C alone": transfer(_run_from(params, xs, h_own, c_don, clean=clean_states, only="c")),
        "h alone": transfer(_run_from(params, xs, h_don, c_own, clean=clean_states, only="h")),
    }
    unit_c = []
    for u in range(c_own.shape[1]):
        c = c_own.copy()
        c[:, u] = c_don[:, u]
        unit_c.append(transfer(_run_from(params, xs, h_own, c)).mean())
    out["unit_c"] = np.array(unit_c)
    return out


@dataclass(frozen=True)
class SeedResult:
    """Everything chapter 5 measures on one trained model (held-out sequences).

    Attributes:
        params: the trained model.
        mse_now, mse_then: test mean squared error of the two outputs.
        probes: :func:`probe_r2`.
        units: :func:`unit_dynamics`.
        swaps: :func:`swap_transfer`.
        memory_unit: the unit whose C_t carries the largest share of the memory (``swaps["unit_c"]``).
    """

    params: dict[str, np.ndarray]
    mse_now: float
    mse_then: float
    probes: dict[str, dict[str, float]]
    units: UnitDynamics
    swaps: dict
    memory_unit: int


def analyse(params: dict[str, np.ndarray], *, n: int = 500, seed: int = 999) -> SeedResult:
    """Measure a trained model on ``n`` held-out sequences: errors, probes, unit dynamics and swaps."""
    x, y = make_now_and_then(n, seed=seed)
    mse = np.mean((predict(params, x) - y) ** 2, axis=(0, 1))
    tr = trace(params, x)
    swaps = swap_transfer(params, x, y)
    return SeedResult(
        params=params, mse_now=float(mse[0]), mse_then=float(mse[1]), probes=probe_r2(tr, x, y),
        units=unit_dynamics(tr, x), swaps=swaps, memory_unit=int(np.argmax(swaps["unit_c"])),
    )


def run_seed(seed: int) -> SeedResult:
    """Train under ``seed`` and :func:`analyse` the model: one entry of the chapter's ``over_seeds``."""
    return analyse(train_now_and_then(seed=seed))


def retained(curve: np.ndarray, k: int = 3) -> float:
    """The share of a transfer curve's first value that is left ``k`` steps later."""
    return float(curve[k] / curve[0])
