"""The checks of every exercise: how to draw inputs, what the reference says, how to compare.

Each exercise has *public* checks: the cases the notebook itself runs, read from the shipped
check data (``lstm_course/data/public_checks``, with their expected outputs and typical-mistake
variants; a built-in public check stands in if the data is missing). Feedback on them gives
expected / got / hint. And it has *hidden* checks: shapes and values drawn per learner and per
check, edge cases such as a zero-length batch or sequence, saturating pre-activations and
all-zero gradients; feedback gives pass/fail and a hint only. Points are split evenly across an
exercise's checks.

Hidden inputs are drawn from ``seed_for(learner, exercise, check)``, so a regrade of the same
submission draws the same inputs and gives the same score. This module runs in the grader
only: the sandbox receives the inputs, never the expected outputs or these functions.
"""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .. import cell, gates, model, optim, rnn, sequence
from ..activations import sigmoid, tanh
from ..gates import concat_hx
from ..params import LSTM_KEYS, init_lstm_params, init_rnn_params

RTOL, ATOL = 1e-6, 1e-9


def seed_for(*parts: str) -> int:
    """A stable 64-bit seed from strings (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.sha256("/".join(parts).encode()).digest()[:8], "big")


@dataclass(frozen=True)
class Check:
    name: str
    public: bool
    make: Callable[[np.random.Generator], dict]  # -> {"args": [...], "kwargs": {...}[, "lr": float]}
    part: str = "main"  # which projection of the output this check compares
    case: dict | None = field(default=None, compare=False, hash=False)  # a shipped public-check case


@dataclass(frozen=True)
class Spec:
    """How one exercise is called, what the reference returns and how an answer is read."""

    name: str
    signature: tuple[str, ...]  # parameter names, in order
    checks: tuple[Check, ...]
    expected: Callable[[dict, str], dict]  # (inputs, part) -> {label: value}
    project: Callable[[Any, dict, str], dict]  # (learner output, inputs, part) -> {label: value}
    hint: str
    mistakes: tuple[tuple[Callable[[dict, str], dict], str], ...] = ()  # (wrong variant, hint)
    kind: str = "plain"
    oracles: tuple[str, ...] = field(default=())  # names bound to the reference besides `requires`


class Mismatch(AssertionError):
    """The learner's output is wrong; the message says how."""


def _rand(rng, *shape, scale=1.0):
    return rng.standard_normal(shape) * scale


def _dims(rng):
    return int(rng.integers(1, 6)), int(rng.integers(1, 5)), int(rng.integers(1, 5))  # N, D, H


def _expect_tuple(out, n: int, what: str):
    if not isinstance(out, (tuple, list)) or len(out) != n:
        got = f"a {type(out).__name__}" + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else "")
        raise Mismatch(f"expected a tuple {what}, got {got}")
    return out


def _array(value, label: str):
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value
    raise Mismatch(f"{label}: expected a float NumPy array, got {type(value).__name__}"
                   + (f" of dtype {value.dtype}" if isinstance(value, np.ndarray) else ""))


def compare(got: dict, expected: dict) -> str | None:
    """None when every value matches (rtol 1e-6); else a sentence about the first difference."""
    for label, exp in expected.items():
        if label not in got:
            return f"{label} is missing"
        g = got[label]
        if isinstance(exp, dict):
            if not isinstance(g, dict):
                return f"{label}: expected a dict, got {type(g).__name__}"
            sub = compare(g, exp)
            if sub:
                return f"{label}: {sub}"
            continue
        if isinstance(exp, float):
            if isinstance(g, np.ndarray) and g.shape == () and g.dtype.kind == "f":
                g = float(g)
            if type(g) not in (float, int):
                return f"{label}: expected a number, got {type(g).__name__}"
            if not np.isfinite(g) or not abs(g - exp) <= ATOL + RTOL * abs(exp):
                return f"{label}: expected {exp:.6g}, got {g:.6g}"
            continue
        if not isinstance(g, np.ndarray) or g.dtype.kind != "f":
            return f"{label}: expected a float array of shape {exp.shape}, got {type(g).__name__}"
        if g.shape != exp.shape:
            return f"{label}: expected shape {exp.shape}, got shape {g.shape}"
        if not np.isfinite(g).all():
            return f"{label}: contains NaN or inf (expected finite values)"
        bad = ~(np.abs(g - exp) <= ATOL + RTOL * np.abs(exp))  # np.isclose's rule, without its overhead
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            return f"{label}: {int(bad.sum())} of {bad.size} entries differ; at index {idx} expected {exp[idx]:.6g}, got {g[idx]:.6g}"
    return None


# --------------------------------------------------------------------------- gates
def _gate_case(N, D, H, scale=1.0):
    def make(rng):
        return {"args": [_rand(rng, N, H), _rand(rng, N, D), _rand(rng, H, H + D, scale=scale), _rand(rng, H, scale=scale)],
                "kwargs": {}}
    return make


def _gate_random(rng):
    N, D, H = _dims(rng)
    return _gate_case(N, D, H)(rng)


def _gate_checks(edge_large=60.0):
    return (
        Check("public: N=2, D=3, H=2", True, _gate_case(2, 3, 2)),
        Check("hidden: random shapes #1", False, _gate_random),
        Check("hidden: random shapes #2", False, _gate_random),
        Check("hidden: zero-length batch (N=0)", False, lambda rng: _gate_case(0, 3, 2)(rng)),
        Check("hidden: large pre-activations (|z| up to ~500)", False, lambda rng: _gate_case(3, 4, 3, edge_large)(rng)),
    )


def _gate_spec(name, act, other, label, sym):
    def z(a, order="hx", bias=True):
        h, x, W, b = a
        hx = concat_hx(h, x) if order == "hx" else np.concatenate([x, h], axis=-1)
        return hx @ W.T + (b if bias else 0)
    ref = getattr(gates, name)
    return Spec(
        name, ("h_prev", "x_t", f"W_{sym}", f"b_{sym}"), _gate_checks(),
        expected=lambda inp, part: {label: ref(*inp["args"])},
        project=lambda out, inp, part: {label: _array(out, label)},
        hint=f"{label} = {act.__name__}(W_{sym}·[h_{{t-1}}, x_t] + b_{sym}): concatenate h_prev then x_t, "
             f"multiply by W_{sym}.T, add b_{sym}, apply {act.__name__} (a stable one: large |z| must not give NaN)",
        mistakes=(
            (lambda inp, part: {label: act(z(inp["args"], order="xh"))},
             "you concatenated [x_t, h_{t-1}]; the article (and W's columns) read [h_{t-1}, x_t]"),
            (lambda inp, part: {label: act(z(inp["args"], bias=False))}, f"the bias b_{sym} is missing"),
            (lambda inp, part: {label: other(z(inp["args"]))},
             f"wrong squashing function: this gate uses {act.__name__}, not {other.__name__}"),
        ),
    )


# --------------------------------------------------------------------------- elementwise steps
def _nh_case(n_arrays, N, H, scale=1.0):
    def make(rng):
        return {"args": [_rand(rng, N, H, scale=scale) for _ in range(n_arrays)], "kwargs": {}}
    return make


def _nh_checks(n_arrays):
    def rnd(rng):
        N, _, H = _dims(rng)
        return _nh_case(n_arrays, N, H)(rng)
    return (
        Check("public: N=2, H=3", True, _nh_case(n_arrays, 2, 3)),
        Check("hidden: random shapes #1", False, rnd),
        Check("hidden: random shapes #2", False, rnd),
        Check("hidden: zero-length batch (N=0)", False, _nh_case(n_arrays, 0, 3)),
        Check("hidden: large values (up to ~200)", False, _nh_case(n_arrays, 3, 4, 60.0)),
    )


CELL_STATE = Spec(
    "cell_state", ("f_t", "c_prev", "i_t", "c_tilde_t"), _nh_checks(4),
    expected=lambda inp, part: {"c_t": gates.cell_state(*inp["args"])},
    project=lambda out, inp, part: {"c_t": _array(out, "c_t")},
    hint="C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t: elementwise products (*), not matrix products (@)",
    mistakes=(
        (lambda inp, part: {"c_t": inp["args"][0] * inp["args"][3] + inp["args"][2] * inp["args"][1]},
         "f_t must multiply the old memory C_{t-1} and i_t the candidate C̃_t; you swapped them"),
        (lambda inp, part: {"c_t": inp["args"][0] * inp["args"][1] + inp["args"][2]},
         "the input gate must scale the candidate: i_t ⊙ C̃_t, not i_t alone"),
    ),
)

HIDDEN_STATE = Spec(
    "hidden_state", ("o_t", "c_t"), _nh_checks(2),
    expected=lambda inp, part: {"h_t": gates.hidden_state(*inp["args"])},
    project=lambda out, inp, part: {"h_t": _array(out, "h_t")},
    hint="h_t = o_t ⊙ tanh(C_t): squash the cell state with tanh, then gate it elementwise",
    mistakes=(
        (lambda inp, part: {"h_t": inp["args"][0] * inp["args"][1]}, "tanh(C_t) is missing: h_t = o_t ⊙ tanh(C_t)"),
        (lambda inp, part: {"h_t": inp["args"][0] * sigmoid(inp["args"][1])}, "use tanh on C_t, not σ"),
        (lambda inp, part: {"h_t": np.tanh(inp["args"][0] * inp["args"][1])}, "apply tanh to C_t before multiplying by o_t"),
    ),
)


# --------------------------------------------------------------------------- rnn_forward
def _rnn_case(T, N, D, H, scale=1.0, with_h0=True):
    def make(rng):
        p = init_rnn_params(D, H, seed=rng)
        p = {k: v * scale for k, v in p.items()}
        args = [_rand(rng, T, N, D), p]
        if with_h0:
            args.append(_rand(rng, N, H))
        return {"args": args, "kwargs": {}}
    return make


def _rnn_random(rng):
    N, D, H = _dims(rng)
    return _rnn_case(int(rng.integers(1, 5)), N, D, H)(rng)


RNN_FORWARD = Spec(
    "rnn_forward", ("x", "params", "h0"),
    (
        Check("public: T=3, N=2, D=3, H=2", True, _rnn_case(3, 2, 3, 2)),
        Check("hidden: random shapes", False, _rnn_random),
        Check("hidden: h0 omitted (zeros)", False, _rnn_case(3, 2, 2, 3, with_h0=False)),
        Check("hidden: empty sequence (T=0)", False, _rnn_case(0, 2, 3, 2)),
        Check("hidden: large weights (saturating tanh)", False, _rnn_case(4, 3, 2, 3, scale=40.0)),
    ),
    expected=lambda inp, part: dict(zip(("h", "h_T"), rnn.rnn_forward(*inp["args"])[:2])),
    project=lambda out, inp, part: dict(zip(("h", "h_T"), _expect_tuple(out, 3, "(h, h_T, cache)")[:2])),
    hint="h_t = tanh(W·[h_{t-1}, x_t] + b) at every step, starting from h0 (zeros when None); return "
         "h stacked over time (T, N, H), the last h_t, and a cache",
)


# --------------------------------------------------------------------------- lstm_cell_forward
def _cell_case(N, D, H, scale=1.0):
    def make(rng):
        p = {k: v * scale for k, v in init_lstm_params(D, H, seed=rng).items()}
        return {"args": [_rand(rng, N, D), _rand(rng, N, H), _rand(rng, N, H), p], "kwargs": {}}
    return make


def _cell_random(rng):
    N, D, H = _dims(rng)
    return _cell_case(N, D, H)(rng)


CACHE_KEYS = ("x_t", "h_prev", "c_prev", "f_t", "i_t", "c_tilde_t", "c_t", "o_t", "tanh_c_t")


def _cell_forward_expected(inp, part):
    h_t, c_t, cache = cell.lstm_cell_forward(*inp["args"])
    if part == "cache":
        return {"cache": {k: cache[k] for k in CACHE_KEYS}}
    return {"h_t": h_t, "c_t": c_t}


def _cell_forward_project(out, inp, part):
    h_t, c_t, cache = _expect_tuple(out, 3, "(h_t, c_t, cache)")
    if part == "cache":
        if not isinstance(cache, dict):
            raise Mismatch(f"cache: expected a dict, got {type(cache).__name__}")
        return {"cache": cache}
    return {"h_t": h_t, "c_t": c_t}


LSTM_CELL_FORWARD = Spec(
    "lstm_cell_forward", ("x_t", "h_prev", "c_prev", "params"),
    (
        Check("public: N=2, D=3, H=2", True, _cell_case(2, 3, 2)),
        Check("hidden: random shapes #1", False, _cell_random),
        Check("hidden: random shapes #2", False, _cell_random),
        Check("hidden: large pre-activations", False, _cell_case(3, 2, 4, 40.0)),
        Check("hidden: the cache holds what lstm_cell_backward reads", False, _cell_random, part="cache"),
    ),
    expected=_cell_forward_expected, project=_cell_forward_project,
    hint="call your gates in the article's order (f_t, i_t, C̃_t, C_t, o_t, h_t) with params['W_f'], params['b_f'], ...; "
         "the cache needs x_t, h_prev, c_prev, f_t, i_t, c_tilde_t, c_t, o_t, tanh_c_t and the four W_*",
)


# --------------------------------------------------------------------------- lstm_forward
def _seq_case(T, N, D, H, with_states=True):
    def make(rng):
        p = init_lstm_params(D, H, seed=rng)
        args = [_rand(rng, T, N, D), p]
        if with_states:
            args += [_rand(rng, N, H), _rand(rng, N, H)]
        return {"args": args, "kwargs": {}}
    return make


def _seq_random(rng):
    N, D, H = _dims(rng)
    return _seq_case(int(rng.integers(2, 5)), N, D, H)(rng)


def _lstm_forward_project(out, inp, part):
    h, final, _ = _expect_tuple(out, 3, "(h, (h_T, c_T), cache)")
    h_T, c_T = _expect_tuple(final, 2, "(h_T, c_T) as the second item")
    return {"h": h, "h_T": h_T, "c_T": c_T}


def _lstm_forward_expected(inp, part):
    h, (h_T, c_T), _ = sequence.lstm_forward(*inp["args"])
    return {"h": h, "h_T": h_T, "c_T": c_T}


LSTM_FORWARD = Spec(
    "lstm_forward", ("x", "params", "h0", "c0"),
    (
        Check("public: T=3, N=2, D=3, H=2", True, _seq_case(3, 2, 3, 2)),
        Check("hidden: random shapes", False, _seq_random),
        Check("hidden: h0, c0 omitted (zeros)", False, _seq_case(3, 2, 2, 3, with_states=False)),
        Check("hidden: one step (T=1)", False, _seq_case(1, 3, 2, 2)),
        Check("hidden: empty sequence (T=0)", False, _seq_case(0, 2, 3, 2)),
    ),
    expected=_lstm_forward_expected, project=_lstm_forward_project,
    hint="loop t = 0..T-1 calling lstm_cell_forward(x[t], h, c, params), carry h and C forward, stack every h_t "
         "into h (T, N, H); with T = 0 return an empty (0, N, H) array and the initial states",
)


# --------------------------------------------------------------------------- backward
def _cell_bwd_case(N, D, H, dc_zero=False):
    def make(rng):
        p = init_lstm_params(D, H, seed=rng)
        _, _, cache = cell.lstm_cell_forward(_rand(rng, N, D), _rand(rng, N, H), _rand(rng, N, H), p)
        dc = np.zeros((N, H)) if dc_zero else _rand(rng, N, H)
        return {"args": [_rand(rng, N, H), dc, cache], "kwargs": {}}
    return make


def _cell_bwd_random(rng):
    N, D, H = _dims(rng)
    return _cell_bwd_case(N, D, H)(rng)


def _grads_expected(values, names):
    *arrays, grads = values
    out = dict(zip(names, arrays))
    out["grads"] = {k: grads[k] for k in LSTM_KEYS}
    return out


def _grads_project(out, names, what):
    *arrays, grads = _expect_tuple(out, len(names) + 1, what)
    return {**dict(zip(names, arrays)), "grads": grads}


LSTM_CELL_BACKWARD = Spec(
    "lstm_cell_backward", ("dh_t", "dc_t", "cache"),
    (
        Check("public: N=2, D=3, H=2", True, _cell_bwd_case(2, 3, 2)),
        Check("hidden: random shapes #1", False, _cell_bwd_random),
        Check("hidden: random shapes #2", False, _cell_bwd_random),
        Check("hidden: no gradient from later steps (dc_t = 0)", False, _cell_bwd_case(3, 2, 3, dc_zero=True)),
    ),
    expected=lambda inp, part: _grads_expected(cell.lstm_cell_backward(*inp["args"]), ("dx_t", "dh_prev", "dc_prev")),
    project=lambda out, inp, part: _grads_project(out, ("dx_t", "dh_prev", "dc_prev"), "(dx_t, dh_prev, dc_prev, grads)"),
    hint="dC_t gets dc_t plus dh_t ⊙ o_t ⊙ (1 - tanh²(C_t)); each gate's dz uses σ' = s(1-s) (tanh' = 1-t² for C̃); "
         "dW_* = dzᵀ·[h_{t-1}, x_t], db_* sums over the batch; split d[h, x] into dh_prev (first H columns) and dx_t",
)


def _seq_bwd_case(T, N, D, H, final_grads=False):
    def make(rng):
        p = init_lstm_params(D, H, seed=rng)
        _, _, cache = sequence.lstm_forward(_rand(rng, T, N, D), p, _rand(rng, N, H), _rand(rng, N, H))
        args = [_rand(rng, T, N, H), cache]
        if final_grads:
            args += [_rand(rng, N, H), _rand(rng, N, H)]
        return {"args": args, "kwargs": {}}
    return make


def _seq_bwd_random(rng):
    N, D, H = _dims(rng)
    return _seq_bwd_case(int(rng.integers(2, 5)), N, D, H)(rng)


LSTM_BACKWARD = Spec(
    "lstm_backward", ("dh", "cache", "dh_T", "dc_T"),
    (
        Check("public: T=3, N=2, D=3, H=2", True, _seq_bwd_case(3, 2, 3, 2)),
        Check("hidden: random shapes", False, _seq_bwd_random),
        Check("hidden: gradients on the final states (dh_T, dc_T)", False, _seq_bwd_case(3, 2, 2, 3, final_grads=True)),
        Check("hidden: one step (T=1)", False, _seq_bwd_case(1, 3, 2, 2)),
    ),
    expected=lambda inp, part: _grads_expected(sequence.lstm_backward(*inp["args"]), ("dx", "dh0", "dc0")),
    project=lambda out, inp, part: _grads_project(out, ("dx", "dh0", "dc0"), "(dx, dh0, dc0, grads)"),
    hint="walk t from T-1 down to 0; the gradient reaching h_t is dh[t] plus what step t+1 sent back; "
         "sum the weight gradients over time (the weights are shared)",
)


# --------------------------------------------------------------------------- clipping and training
def _clip_case(scale, max_norm, zero=False):
    def make(rng):
        p = init_lstm_params(2, 3, seed=rng)
        grads = {k: (np.zeros_like(v) if zero else _rand(rng, *v.shape, scale=scale)) for k, v in p.items()}
        return {"args": [grads, max_norm], "kwargs": {}}
    return make


def _clip_expected(inp, part):
    clipped, norm = optim.clip_grad_norm(*inp["args"])
    return {"clipped": clipped, "norm": float(norm)}


def _clip_project(out, inp, part):
    clipped, norm = _expect_tuple(out, 2, "(clipped, total_norm)")
    return {"clipped": clipped, "norm": norm}


CLIP_GRAD_NORM = Spec(
    "clip_grad_norm", ("grads", "max_norm"),
    (
        Check("public: norm above max_norm", True, _clip_case(1.0, 1.0)),
        Check("hidden: norm below max_norm (unchanged)", False, _clip_case(0.01, 5.0)),
        Check("hidden: large gradients", False, _clip_case(100.0, 0.5)),
        Check("hidden: all-zero gradients (no division by zero)", False, _clip_case(1.0, 1.0, zero=True)),
    ),
    expected=_clip_expected, project=_clip_project,
    hint="one global norm over every array together: ‖g‖ = sqrt(Σ_k Σ g_k²); scale every array by "
         "min(1, max_norm / ‖g‖) (guard ‖g‖ = 0) and return the norm before clipping",
    mistakes=(
        (lambda inp, part: {"clipped": {k: g * min(1.0, inp["args"][1] / max(np.linalg.norm(g), 1e-12))
                                        for k, g in inp["args"][0].items()}},
         "you clipped each array by its own norm; clip by the global norm of all arrays together"),
    ),
)


def _train_case(T, N, D, H, O, loss, readout, max_norm=1.0):
    def make(rng):
        params = model.init_model(D, H, O, seed=int(rng.integers(2**31)))
        x = _rand(rng, T, N, D)
        if loss == "mse":
            y = _rand(rng, *((T, N, O) if readout == "all" else (N, O)))
        else:
            y = rng.integers(0, O, size=(T, N) if readout == "all" else (N,))
        return {"args": [params, x, y], "kwargs": {"max_norm": max_norm, "loss": loss, "readout": readout}, "lr": 0.1}
    return make


def _train_expected(inp, part):
    params = {k: v.copy() for k, v in inp["args"][0].items()}
    loss = model.train_step(params, inp["args"][1], inp["args"][2], optim.SGD(lr=inp["lr"]), **inp["kwargs"])
    return {"loss": float(loss), "params": params}


def _train_project(out, inp, part):
    return {"loss": out.get("loss"), "params": out.get("params")}


TRAIN_STEP = Spec(
    "train_step", ("params", "x", "y", "optimizer", "max_norm"),
    (
        Check("public: MSE at every step", True, _train_case(3, 2, 2, 3, 1, "mse", "all")),
        Check("hidden: cross-entropy on the last step", False, _train_case(4, 3, 2, 3, 3, "xent", "last")),
        Check("hidden: MSE on the last step", False, _train_case(3, 2, 3, 2, 2, "mse", "last")),
        Check("hidden: tight clipping (max_norm=0.01)", False, _train_case(3, 2, 2, 3, 1, "mse", "all", max_norm=0.01)),
    ),
    expected=_train_expected, project=_train_project, kind="train_step", oracles=("loss_and_grads",),
    hint="loss, grads = loss_and_grads(params, x, y, **loss_kwargs); clip with clip_grad_norm(grads, max_norm); "
         "optimizer.step(params, clipped); return the loss from before the update",
)


SPECS: dict[str, Spec] = {s.name: s for s in (
    RNN_FORWARD,
    _gate_spec("forget_gate", sigmoid, tanh, "f_t", "f"),
    _gate_spec("input_gate", sigmoid, tanh, "i_t", "i"),
    _gate_spec("candidate_memory", tanh, sigmoid, "c_tilde_t", "C"),
    CELL_STATE,
    _gate_spec("output_gate", sigmoid, tanh, "o_t", "o"),
    HIDDEN_STATE,
    LSTM_CELL_FORWARD, LSTM_FORWARD, LSTM_CELL_BACKWARD, LSTM_BACKWARD, CLIP_GRAD_NORM, TRAIN_STEP,
)}

# The reference behind every name an oracle may answer for (prerequisites, and helpers that
# would otherwise need reference code inside the sandbox).
ORACLE_FUNCTIONS: dict[str, Callable] = {
    "rnn_forward": rnn.rnn_forward,
    "forget_gate": gates.forget_gate, "input_gate": gates.input_gate, "candidate_memory": gates.candidate_memory,
    "cell_state": gates.cell_state, "output_gate": gates.output_gate, "hidden_state": gates.hidden_state,
    "lstm_cell_forward": cell.lstm_cell_forward, "lstm_forward": sequence.lstm_forward,
    "lstm_cell_backward": cell.lstm_cell_backward, "lstm_backward": sequence.lstm_backward,
    "clip_grad_norm": optim.clip_grad_norm, "train_step": model.train_step,
    "loss_and_grads": model.loss_and_grads,
}


@functools.lru_cache(maxsize=None)
def _public_data_checks(name: str) -> tuple[Check, ...]:
    """The notebook's own public checks (``lstm_course/data/public_checks``), when they are shipped."""
    try:
        from ..exercises import checkdata
        cases = checkdata.load(name)
    except Exception:  # noqa: BLE001 - no data (yet): the built-in public check stands in
        return ()
    out = []
    for case in cases:
        kwargs = dict(case["kwargs"])
        lr = kwargs.pop("lr", None)
        inputs = {"args": case["args"], "kwargs": kwargs, **({"lr": lr} if lr is not None else {})}
        out.append(Check(f"public: {case['id']} ({case['about']})", True, lambda rng, i=inputs: i, case=case))
    return tuple(out)


@functools.lru_cache(maxsize=None)
def checks_for(name: str) -> tuple[Check, ...]:
    """Every check of exercise ``name``, public first: the shipped public cases (or the built-in
    public check when none are shipped), then the hidden ones."""
    spec = SPECS[name]
    public = _public_data_checks(name) or tuple(c for c in spec.checks if c.public)
    return public + tuple(c for c in spec.checks if not c.public)


def evaluate(spec: Spec, check: Check, inputs: dict, out) -> tuple[bool, str, str]:
    """(passed, what differs, hint) for the learner's validated output ``out`` on ``inputs``."""
    if check.case is not None:
        from ..exercises.checks import compare as compare_public
        from ..exercises.hints import HINTS
        got = (out.get("loss"), out.get("params")) if spec.kind == "train_step" and isinstance(out, dict) else out
        m = compare_public(check.case["expected"], got, check.case["rtol"], check.case["atol"])
        if m is None:
            return True, "", ""
        detail = _describe_public(m)
        for key, wrong in check.case["wrong"].items():
            if wrong and compare_public(wrong, got, check.case["rtol"], check.case["atol"]) is None:
                return False, detail, HINTS.get(key, spec.hint)
        return False, detail, spec.hint
    try:
        got = spec.project(out, inputs, check.part)
        want = spec.expected(inputs, check.part)
    except Mismatch as e:
        return False, str(e), spec.hint
    detail = compare(got, want)
    if detail is None:
        return True, "", ""
    return False, detail, diagnose(spec, inputs, check, got)


def _short(v) -> str:
    if isinstance(v, np.ndarray):
        if not v.size:
            return f"empty array {v.shape}"
        return " ".join(np.array2string(v, precision=4, threshold=12, edgeitems=2).split())  # one line
    return repr(v)[:200]


def _describe_public(m) -> str:
    where = f" (output {m.path})" if m.path else ""
    if m.why == "value":
        at = f" largest difference {m.max_diff:.3g} at index {m.where}" if m.max_diff is not None else ""
        return f"wrong values{where}:{at}; expected {_short(m.expected)}, got {_short(m.got)}"
    if m.why == "shape":
        return (f"wrong shape{where}: expected {np.shape(m.expected)}, got "
                f"{np.shape(m.got) if isinstance(m.got, np.ndarray) else type(m.got).__name__}")
    if m.why == "missing":
        return f"missing part of the result{where}" + (f": {m.got}" if isinstance(m.got, str) else "")
    return f"wrong type{where}: expected an array like {_short(m.expected)}, got {type(m.got).__name__}"


def make_inputs(spec: Spec, check: Check, learner: str) -> dict:
    """The inputs of one check: public ones are the same for everyone, hidden ones per learner."""
    key = (spec.name, check.name) if check.public else (learner, spec.name, check.name)
    return check.make(np.random.default_rng(seed_for(*key)))


def diagnose(spec: Spec, inputs: dict, check: Check, got: dict) -> str:
    """The hint for a failed check: a known typical mistake if the output matches one."""
    for variant, hint in spec.mistakes:
        try:
            if compare(got, variant(inputs, check.part)) is None:
                return hint
        except Exception:  # noqa: BLE001 - a variant that does not apply to these inputs
            continue
    return spec.hint
