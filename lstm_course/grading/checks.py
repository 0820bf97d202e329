"""The checks of every exercise: which inputs, what the reference says, how a result is judged.

Each exercise has *public* checks: the cases the notebook itself runs, read from the shipped
check data (``lstm_course/data/public_checks``), judged exactly as the notebook judges them
(:func:`lstm_course.exercises.checks.judge`), so notebook and grader agree on every verdict.
Feedback on them gives expected / got / where / hint. And it has *hidden* checks: inputs drawn
per learner (so learners cannot swap expected outputs), each kind of input drawn several times;
feedback names the kind of input and what went wrong, never the inputs or the expected values.

Fairness: a score depends on the code alone, never on the draw. Every hidden check passes only
if all its draws pass, and every draw is built so that each typical mistake shows in it: batch,
input, hidden and time sizes are all different (a transposed weight or a sum over the wrong
axis cannot hide behind equal sizes), N >= 2 (a bias gradient averaged instead of summed
differs), T >= 3 (carrying the state, off-by-one loops), clipping thresholds are set from the
drawn gradients' own norm (so "clipped" inputs really get clipped), and large pre-activations
hold entries beyond exp's overflow. ``tests/grader/test_fairness.py`` grades a bank of mistakes
under 20+ learner ids and ``benchmarks/mutants.py`` measures the share of mutants caught.

Edge cases (an empty batch, an empty sequence, one step, all-zero gradients) are *edge*
checks: they count only once every core check of the exercise passes, so a function that is
wrong everywhere earns nothing from returning an empty array of the right shape (:func:`score`).

Hidden inputs are drawn from ``seed_for(learner, exercise, check, draw)``, so a regrade of the
same submission draws the same inputs and gives the same score. This module runs in the grader
only: the sandbox receives the inputs, never the expected outputs or these functions.
"""
from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .. import cell, gates, model, optim, rnn, sequence
from ..activations import sigmoid
from ..exercises import checkgen
from ..exercises.checks import UNTOUCHED, Verdict, compare, first_change, judge
from ..exercises.explain import output_name
from ..exercises.hints import hint_for_error_text, hint_text
from ..params import init_lstm_params, init_rnn_params

RTOL, ATOL = checkgen.RTOL, checkgen.ATOL
HIDDEN_DRAWS = 3  # draws of each "random shapes" check
# The learner's own LSTM as train_step receives it in **loss_kwargs: names, since functions
# cannot cross the sandbox boundary; the loss_and_grads oracle maps them to the reference.
LSTM_TOKENS = {"forward": "lstm_forward", "backward": "lstm_backward"}


def seed_for(*parts: str) -> int:
    """A stable 64-bit seed from strings (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.sha256("/".join(parts).encode()).digest()[:8], "big")


@dataclass(frozen=True)
class Check:
    name: str
    public: bool
    make: Callable[[np.random.Generator], dict]  # -> {"args": [...], "kwargs": {...}[, "lr": float]}
    about: str = ""  # the kind of input, for feedback ("random shapes", "a zero-length batch (N = 0)")
    draws: int = 1  # inputs drawn per learner; the check passes only if every draw does
    edge: bool = False  # counts only when every core (non-edge) check of the exercise passes
    part: str = "main"  # which leaves of the result this check compares (checkgen.expected_leaves)
    large: bool = False  # inputs meant to overflow a naive exp: NaN gets the overflow hint
    case: dict | None = field(default=None, compare=False, hash=False)  # a shipped public-check case


@dataclass(frozen=True)
class Spec:
    """How one exercise is called and what the grader says when nothing more specific fits."""

    name: str
    signature: tuple[str, ...]  # parameter names, in order
    checks: tuple[Check, ...]  # the hidden ones (the public ones come from the check data)
    hint: str  # the equation, for a failure no typical mistake explains
    kind: str = "plain"  # how the runner calls it: plain, train_step, echo_args (inputs sent back)
    oracles: tuple[str, ...] = field(default=())  # names bound to the reference besides `requires`


# --------------------------------------------------------------------------- drawing inputs
def _rand(rng, *shape, scale=1.0):
    return rng.standard_normal(shape) * scale


def _sizes(rng, *names: str, H3: int | None = None, **fixed: int) -> dict[str, int]:
    """Sizes for the letters ``names``, all different from each other and from ``fixed``:
    N >= 2, H >= 2 (H >= 3 with ``H3``), T >= 3, D >= 1, at most 6 (small: fast to grade, and
    still every mistake shows)."""
    low = {"N": 2, "H": 2 if H3 is None else 3, "T": 3, "D": 1, "O": 1}
    while True:
        dims = {n: int(rng.integers(low[n], 7)) for n in names}
        values = list(dims.values()) + list(fixed.values())
        if len(set(values)) == len(values):
            return {**dims, **fixed}


def _gate_inputs(N, D, H, big=False):
    def make(rng):
        h, x = _rand(rng, N, H), _rand(rng, N, D)
        W, b = _rand(rng, H, H + D, scale=0.7), _rand(rng, H)
        if big:
            # Units 0 and 1 far beyond exp's overflow (|z| > 710), of both signs, in every row;
            # the others moderate, so that a mistake which saturation would hide still shows there.
            b[0], b[1] = 900.0, -900.0
        return {"args": [h, x, W, b], "kwargs": {}}
    return make


def _drawn(factory: Callable, *names: str, H3: int | None = None, **fixed: int) -> Callable:
    """A make() drawing fresh sizes first, then the inputs ``factory(**sizes)`` builds."""
    def make(rng):
        dims = _sizes(rng, *names, H3=H3, **fixed)
        return factory(**dims)(rng)
    return make


def _gate_checks() -> tuple[Check, ...]:
    return (
        Check(f"hidden: random shapes, {HIDDEN_DRAWS} draws", False,
              _drawn(lambda N, D, H: _gate_inputs(N, D, H), "N", "D", "H"), "random shapes", HIDDEN_DRAWS),
        Check("hidden: large pre-activations (|z| up to ~1000)", False,
              _drawn(lambda N, D, H: _gate_inputs(N, D, H, big=True), "N", "D", "H", H3=0),
              "large pre-activations (|z| up to ~1000)", large=True),
        Check("hidden: zero-length batch (N=0)", False, _drawn(lambda N, D, H: _gate_inputs(N, D, H), "D", "H", N=0),
              "a zero-length batch (N = 0)", edge=True),
    )


def _elementwise_inputs(kind: str, N, H, big=False):
    def make(rng):
        c = _rand(rng, N, H, scale=2.0)
        if big:  # as for the gates: two units beyond exp's overflow, the others moderate
            c[:, 0], c[:, 1] = 900.0, -900.0
        if kind == "cell_state":
            f, i, ct = sigmoid(_rand(rng, N, H)), sigmoid(_rand(rng, N, H)), np.tanh(_rand(rng, N, H))
            return {"args": [f, c, i, ct], "kwargs": {}}
        return {"args": [sigmoid(_rand(rng, N, H)), c], "kwargs": {}}
    return make


def _elementwise_checks(kind: str) -> tuple[Check, ...]:
    return (
        Check(f"hidden: random shapes, {HIDDEN_DRAWS} draws", False,
              _drawn(lambda N, H: _elementwise_inputs(kind, N, H), "N", "H"), "random shapes", HIDDEN_DRAWS),
        Check("hidden: large values (|C| up to ~1000)", False,
              _drawn(lambda N, H: _elementwise_inputs(kind, N, H, big=True), "N", "H", H3=0),
              "large values (|C| up to ~1000)", large=True),
        Check("hidden: zero-length batch (N=0)", False, _drawn(lambda N, H: _elementwise_inputs(kind, N, H), "H", N=0),
              "a zero-length batch (N = 0)", edge=True),
    )


def _big_units(b: np.ndarray) -> np.ndarray:
    """``b`` with units 0 and 1 pushed far beyond exp's overflow (±900), the others left moderate:
    saturating every unit would make a wrong result equal the right one (both exactly ±1)."""
    b = b.copy()
    b[0], b[1] = 900.0, -900.0
    return b


def _rnn_inputs(T, N, D, H, big=False, with_h0=True):
    def make(rng):
        p = init_rnn_params(D, H, seed=rng)
        p = {"W": p["W"], "b": p["b"] + _rand(rng, H, scale=0.3)}  # a bias that shows
        if big:
            p["b"] = _big_units(p["b"])
        args = [_rand(rng, T, N, D), p]
        if with_h0:
            args.append(_rand(rng, N, H))
        return {"args": args, "kwargs": {}}
    return make


def _lstm_params(rng, D, H):
    p = init_lstm_params(D, H, seed=rng)
    return {k: v + _rand(rng, *v.shape, scale=0.3) for k, v in p.items()}  # nonzero biases


def _cell_inputs(N, D, H, big=False):
    def make(rng):
        p = _lstm_params(rng, D, H)
        if big:
            p = {k: _big_units(v) if k[0] == "b" else v for k, v in p.items()}
        return {"args": [_rand(rng, N, D), _rand(rng, N, H), _rand(rng, N, H), p], "kwargs": {}}
    return make


def _seq_inputs(T, N, D, H, with_states=True):
    def make(rng):
        args = [_rand(rng, T, N, D), _lstm_params(rng, D, H)]
        if with_states:
            args += [_rand(rng, N, H), _rand(rng, N, H)]
        return {"args": args, "kwargs": {}}
    return make


def _cell_bwd_inputs(N, D, H, dc_zero=False):
    def make(rng):
        _, _, cache = cell.lstm_cell_forward(_rand(rng, N, D), _rand(rng, N, H), _rand(rng, N, H), _lstm_params(rng, D, H))
        dc = np.zeros((N, H)) if dc_zero else _rand(rng, N, H)
        return {"args": [_rand(rng, N, H), dc, cache], "kwargs": {}}
    return make


def step_caches(x: np.ndarray, params: dict, h0: np.ndarray, c0: np.ndarray) -> list[dict]:
    """The per-step caches of :func:`lstm_course.sequence.lstm_forward` (what lstm_backward
    reads), built from one fast forward pass: the grader draws many, and the step-by-step
    forward validates every gate's inputs at every step."""
    from ..fast import gate_trace, lstm_forward_fast

    _, _, fc = lstm_forward_fast(x, params, h0, c0)
    g = gate_trace(fc)
    h, c = fc["h"], fc["c"]  # (T+1, N, H): h_0 ... h_T, C_0 ... C_T
    W = {k: params[k] for k in ("W_f", "W_i", "W_C", "W_o")}
    return [{"x_t": x[t], "h_prev": np.array(h[t]), "c_prev": np.array(c[t]), "f_t": np.array(g["f"][t]),
             "i_t": np.array(g["i"][t]), "c_tilde_t": np.array(g["c_tilde"][t]), "c_t": np.array(c[t + 1]),
             "o_t": np.array(g["o"][t]), "tanh_c_t": np.array(g["tanh_c"][t]), **W} for t in range(x.shape[0])]


def _seq_bwd_inputs(T, N, D, H, final_grads=False):
    def make(rng):
        cache = step_caches(_rand(rng, T, N, D), _lstm_params(rng, D, H), _rand(rng, N, H), _rand(rng, N, H))
        kwargs = {"dh_T": _rand(rng, N, H), "dc_T": _rand(rng, N, H)} if final_grads else {}
        return {"args": [_rand(rng, T, N, H), cache], "kwargs": kwargs}
    return make


def _clip_inputs(scale: float, ratio: float | None, zero: bool = False):
    """Gradients of a small model; max_norm = ``ratio`` × their global norm (so the check's
    "above" or "below" holds for every draw)."""
    def make(rng):
        D, H = _sizes(rng, "D", "H").values()
        shapes = {"W_f": (H, H + D), "b_f": (H,), "W_o": (H, H + D), "W_y": (2, H)}
        # arrays of very different sizes: clipping each by its own norm cannot pass for global clipping
        grads = {k: np.zeros(s) if zero else _rand(rng, *s, scale=scale * (1 + 3 * j)) for j, (k, s) in enumerate(shapes.items())}
        return {"args": [grads, 1.0 if zero else ratio * _global_norm(grads)], "kwargs": {}}
    return make


def _global_norm(grads: dict) -> float:
    return float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))


def _train_inputs(loss: str, readout: str, ratio: float):
    """A small model and batch; max_norm = ``ratio`` × the gradient's own global norm, so the
    check clips (ratio < 1) or does not (ratio > 1) whatever the draw. With MSE the targets are
    set so that the norm is 3 exactly (the gradient is linear in ŷ - y): a threshold hard-coded
    to the default 1.0 then always shows too."""
    def make(rng):
        T, N, D, H, O = _sizes(rng, "T", "N", "D", "H", "O").values()
        if loss == "xent":
            O = max(O, 2)
        params = model.init_model(D, H, O, seed=int(rng.integers(2**31)))
        params = {k: v + _rand(rng, *v.shape, scale=0.3) for k, v in params.items()}
        x = _rand(rng, T, N, D)
        kw = {"loss": loss, "readout": readout}
        if loss == "mse":
            y = _rand(rng, *((T, N, O) if readout == "all" else (N, O)))
            y_hat = model.predict(params, x, readout=readout)
            y = y_hat + (y - y_hat) * (3.0 / _global_norm(model.loss_and_grads(params, x, y, **kw)[1]))
        else:
            y = rng.integers(0, O, size=(T, N) if readout == "all" else (N,))
        norm = _global_norm(model.loss_and_grads(params, x, y, **kw)[1])
        return {"args": [params, x, y], "kwargs": {"max_norm": ratio * norm, **kw, **LSTM_TOKENS}, "lr": 0.1}
    return make


def _random(factory, draws=HIDDEN_DRAWS, **kw):
    return dict(make=factory, about="random shapes", draws=draws, **kw)


SPECS: dict[str, Spec] = {s.name: s for s in (
    Spec("rnn_forward", ("x", "params", "h0"), (
        Check(f"hidden: random shapes, {HIDDEN_DRAWS} draws", False,
              **_random(_drawn(lambda T, N, D, H: _rnn_inputs(T, N, D, H), "T", "N", "D", "H"))),
        Check("hidden: h0 omitted (zeros)", False, _drawn(lambda T, N, D, H: _rnn_inputs(T, N, D, H, with_h0=False),
                                                          "T", "N", "D", "H"), "h0 omitted"),
        Check("hidden: large pre-activations (saturating tanh)", False,
              _drawn(lambda T, N, D, H: _rnn_inputs(T, N, D, H, big=True), "T", "N", "D", "H", H3=0),
              "large pre-activations (saturating tanh)", large=True),
        Check("hidden: empty sequence (T=0)", False, _drawn(lambda T, N, D, H: _rnn_inputs(T, N, D, H), "N", "D", "H", T=0),
              "an empty sequence (T = 0)", edge=True)),
        hint="h_t = tanh(W·[h_{t-1}, x_t] + b) at every step from h0 (zeros when None); h stacks h_1 … h_T (T, N, H)"),
    Spec("forget_gate", ("h_prev", "x_t", "W_f", "b_f"), _gate_checks(), hint="f_t = σ(W_f·[h_{t-1}, x_t] + b_f)"),
    Spec("input_gate", ("h_prev", "x_t", "W_i", "b_i"), _gate_checks(), hint="i_t = σ(W_i·[h_{t-1}, x_t] + b_i)"),
    Spec("candidate_memory", ("h_prev", "x_t", "W_C", "b_C"), _gate_checks(), hint="C̃_t = tanh(W_C·[h_{t-1}, x_t] + b_C)"),
    Spec("cell_state", ("f_t", "c_prev", "i_t", "c_tilde_t"), _elementwise_checks("cell_state"),
         hint="C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t, every product elementwise"),
    Spec("output_gate", ("h_prev", "x_t", "W_o", "b_o"), _gate_checks(), hint="o_t = σ(W_o·[h_{t-1}, x_t] + b_o)"),
    Spec("hidden_state", ("o_t", "c_t"), _elementwise_checks("hidden_state"), hint="h_t = o_t ⊙ tanh(C_t)"),
    Spec("lstm_cell_forward", ("x_t", "h_prev", "c_prev", "params"), (
        Check(f"hidden: random shapes, {HIDDEN_DRAWS} draws", False,
              **_random(_drawn(lambda N, D, H: _cell_inputs(N, D, H), "N", "D", "H"))),
        Check("hidden: large pre-activations", False, _drawn(lambda N, D, H: _cell_inputs(N, D, H, big=True), "N", "D", "H",
                                                             H3=0), "large pre-activations", large=True),
        Check("hidden: the cache holds what lstm_cell_backward reads", False,
              _drawn(lambda N, D, H: _cell_inputs(N, D, H), "N", "D", "H"), "random shapes (the cache)", part="cache")),
        hint="f_t, i_t, C̃_t, C_t, o_t, h_t in the article's order, each gate with its own params['W_*'], params['b_*']; "
             "the cache holds x_t, h_prev, c_prev, f_t, i_t, c_tilde_t, c_t, o_t, tanh_c_t and the four W_*"),
    Spec("lstm_forward", ("x", "params", "h0", "c0"), (
        Check(f"hidden: random shapes, {HIDDEN_DRAWS} draws", False,
              **_random(_drawn(lambda T, N, D, H: _seq_inputs(T, N, D, H), "T", "N", "D", "H"))),
        Check("hidden: h0, c0 omitted (zeros)", False,
              _drawn(lambda T, N, D, H: _seq_inputs(T, N, D, H, with_states=False), "T", "N", "D", "H"), "h0, c0 omitted"),
        Check("hidden: one step (T=1)", False, _drawn(lambda T, N, D, H: _seq_inputs(T, N, D, H), "N", "D", "H", T=1),
              "a single step (T = 1)", edge=True),
        Check("hidden: empty sequence (T=0)", False, _drawn(lambda T, N, D, H: _seq_inputs(T, N, D, H), "N", "D", "H", T=0),
              "an empty sequence (T = 0)", edge=True)),
        hint="for t in range(T): h, C = lstm_cell_forward(x[t], h, C, params); h stacks every h_t (T, N, H); "
             "T = 0 gives an empty (0, N, H) array and the initial states"),
    Spec("lstm_cell_backward", ("dh_t", "dc_t", "cache"), (
        Check(f"hidden: random shapes, {HIDDEN_DRAWS} draws", False,
              **_random(_drawn(lambda N, D, H: _cell_bwd_inputs(N, D, H), "N", "D", "H"))),
        Check("hidden: no gradient from later steps (dc_t = 0)", False,
              _drawn(lambda N, D, H: _cell_bwd_inputs(N, D, H, dc_zero=True), "N", "D", "H"), "dc_t = 0")),
        hint="dC_t = dc_t + dh_t ⊙ o_t ⊙ (1 - tanh²(C_t)); each gate's dz from its output (σ' = s(1-s), tanh' = 1-t² "
             "for C̃); dW_* = dzᵀ·[h_{t-1}, x_t], db_* = Σ over the batch; d[h, x] = Σ dz·W splits into dh_prev, dx_t"),
    Spec("lstm_backward", ("dh", "cache", "dh_T", "dc_T"), (
        Check(f"hidden: random shapes, {HIDDEN_DRAWS} draws", False,
              **_random(_drawn(lambda T, N, D, H: _seq_bwd_inputs(T, N, D, H), "T", "N", "D", "H"))),
        Check("hidden: gradients on the final states (dh_T, dc_T), 2 draws", False,
              _drawn(lambda T, N, D, H: _seq_bwd_inputs(T, N, D, H, final_grads=True), "T", "N", "D", "H"),
              "gradients on the final states (dh_T, dc_T)", draws=2),
        Check("hidden: one step (T=1)", False, _drawn(lambda T, N, D, H: _seq_bwd_inputs(T, N, D, H), "N", "D", "H", T=1),
              "a single step (T = 1)", edge=True)),
        hint="walk t from T-1 down to 0; step t receives dh[t] plus what step t+1 sent back (and dc from step t+1); "
             "sum every step's weight gradients"),
    Spec("clip_grad_norm", ("grads", "max_norm"), (
        Check("hidden: norm above max_norm, 2 draws", False, _clip_inputs(1.0, 0.5), "a global norm above max_norm",
              draws=2),
        Check("hidden: norm below max_norm (unchanged)", False, _clip_inputs(0.01, 2.0), "a global norm below max_norm"),
        Check("hidden: large gradients", False, _clip_inputs(100.0, 0.001), "large gradients"),
        Check("hidden: all-zero gradients (no division by zero)", False, _clip_inputs(1.0, None, zero=True),
              "all-zero gradients", edge=True)),
        kind="echo_args",
        hint="‖g‖ = sqrt(Σ_k Σ g_k²) over every array together; scale each by min(1, max_norm / ‖g‖) (‖g‖ = 0: "
             "nothing to clip) into a NEW dict; return it and the norm before clipping"),
    Spec("train_step", ("params", "x", "y", "optimizer", "max_norm"), (
        Check("hidden: cross-entropy on the last step (clipped)", False, _train_inputs("xent", "last", 0.5),
              "cross-entropy on the last step, gradients clipped"),
        Check("hidden: MSE on the last step (not clipped)", False, _train_inputs("mse", "last", 3.0),
              "MSE on the last step, gradients under max_norm"),
        Check("hidden: tight clipping", False, _train_inputs("mse", "all", 0.01), "tight clipping")),
        kind="train_step", oracles=("loss_and_grads",),
        hint="loss, grads = loss_and_grads(params, x, y, **loss_kwargs); clip with clip_grad_norm(grads, max_norm); "
             "optimizer.step(params, clipped); return the loss from before the update"),
)}


def _loss_and_grads_oracle(params, x, y, **kwargs):
    """The reference loss_and_grads, with the learner's LSTM as train_step received it."""
    if kwargs.pop("forward", None) != LSTM_TOKENS["forward"] or kwargs.pop("backward", None) != LSTM_TOKENS["backward"]:
        raise ValueError("loss_and_grads was called without the forward= and backward= that train_step received in "
                         "**loss_kwargs: pass **loss_kwargs on to loss_and_grads")
    return model.loss_and_grads(params, x, y, **kwargs)  # the fast path: the same numbers (to 1e-12), sooner


# The reference behind every name an oracle may answer for (prerequisites, and helpers that
# would otherwise need reference code inside the sandbox).
ORACLE_FUNCTIONS: dict[str, Callable] = {
    "rnn_forward": rnn.rnn_forward,
    "forget_gate": gates.forget_gate, "input_gate": gates.input_gate, "candidate_memory": gates.candidate_memory,
    "cell_state": gates.cell_state, "output_gate": gates.output_gate, "hidden_state": gates.hidden_state,
    "lstm_cell_forward": cell.lstm_cell_forward, "lstm_forward": sequence.lstm_forward,
    "lstm_cell_backward": cell.lstm_cell_backward, "lstm_backward": sequence.lstm_backward,
    "clip_grad_norm": optim.clip_grad_norm, "train_step": model.train_step,
    "loss_and_grads": _loss_and_grads_oracle,
}


@functools.lru_cache(maxsize=None)
def _public_checks(name: str) -> tuple[Check, ...]:
    """The notebook's own public checks (``lstm_course/data/public_checks``)."""
    from ..exercises import checkdata

    try:
        cases = checkdata.load(name, calls=False)
    except (OSError, ValueError) as e:
        raise RuntimeError(f"the public checks of {name} cannot be read ({e}); regenerate them with "
                           "`lstm-course sync-exercises`") from None
    out = []
    for case in cases:
        kwargs = dict(case["kwargs"])
        lr = kwargs.pop("lr", None)
        if name == "train_step":
            kwargs.update(LSTM_TOKENS)
        inputs = {"args": case["args"], "kwargs": kwargs, **({"lr": lr} if lr is not None else {})}
        out.append(Check(f"public: {case['id']} ({case['about']})", True, lambda rng, i=inputs: i,
                         about=case["about"], case=case))
    return tuple(out)


@functools.lru_cache(maxsize=None)
def checks_for(name: str) -> tuple[Check, ...]:
    """Every check of exercise ``name``: the shipped public cases, then the hidden ones."""
    return _public_checks(name) + SPECS[name].checks


def make_inputs(spec: Spec, check: Check, learner: str) -> list[dict]:
    """The inputs of one check, one dict per draw: public ones are the same for everyone,
    hidden ones drawn per learner (and per check and draw)."""
    if check.public:
        return [check.make(np.random.default_rng(0))]
    return [check.make(np.random.default_rng(seed_for(learner, spec.name, check.name, str(k))))
            for k in range(check.draws)]


# --------------------------------------------------------------------------- judging one draw
def _call_kwargs(spec: Spec, inputs: dict) -> dict:
    """The keyword arguments as checkgen's functions take them (train_step's lr among them)."""
    kw = dict(inputs["kwargs"])
    if spec.kind == "train_step":
        kw["lr"] = inputs["lr"]
    return kw


def _result(spec: Spec, out: Any) -> tuple[Any, Any]:
    """(the result proper, the inputs as the call left them or None) from what the runner sent."""
    if spec.kind == "train_step":
        return ((out.get("loss"), out.get("params")) if isinstance(out, dict) else out), None
    if spec.kind == "echo_args":
        return (out.get("value"), out.get("args")) if isinstance(out, dict) else (out, None)
    return out, None


@dataclass
class Judged:
    passed: bool
    detail: str = ""  # what went wrong (for a hidden check: without the inputs or expected values)
    hint: str = ""  # text for the learner


def evaluate(spec: Spec, check: Check, inputs: dict, out: Any, draw: str = "", explain: bool = True) -> Judged:
    """Judge the learner's output ``out`` (plain data from the sandbox) on one draw of ``check``
    (``draw``: which one, e.g. "draw 2 of 3", for the feedback). ``explain=False``: the verdict
    alone, without the feedback (measurements that grade thousands of variants)."""
    got, args_after = _result(spec, out)
    name = spec.name
    if check.case is not None:
        case = check.case
        expected, wrong = case["expected"], case["wrong"]
    else:
        kw = _call_kwargs(spec, inputs)
        expected = checkgen.expected_leaves(name, inputs["args"], kw, check.part, fast=True)
        wrong = {}  # computed below, only when needed
    before = inputs["args"] if name in UNTOUCHED else None
    if before is not None and args_after is None:
        args_after = before  # the runner did not send them back: nothing to compare
    if not explain:
        changed = before is not None and first_change(before, args_after) is not None
        return Judged(compare(expected, got, RTOL, ATOL) is None and not changed)
    v = judge(name, expected, {}, got, RTOL, ATOL, args_before=before, args_after=args_after,
              symbolic=not check.public)
    if v.passed:
        return Judged(True)
    if check.case is None and v.changed is None:
        wrong = checkgen.wrong_variants(name, inputs["args"], _call_kwargs(spec, inputs), expected)
    if wrong and v.changed is None:
        for key, leaves in wrong.items():
            if compare(leaves, got, RTOL, ATOL) is None:
                v.hint = key
                break
    if v.hint == "nan_result" and check.large:
        v.hint = "overflow"
    hint = hint_text(v.hint) if v.hint else spec.hint
    return Judged(False, describe(spec, check, v, draw), hint)


def _about(check: Check, draw: str) -> str:
    return f"{check.about} ({draw})" if draw else check.about


def describe(spec: Spec, check: Check, v: Verdict, draw: str = "") -> str:
    """The feedback sentence of a failed draw. Public checks show values; hidden ones the kind of
    input and which outputs are wrong where, never the inputs or the expected values."""
    parts = []
    if v.changed:
        parts.append(f"your function changed its input {v.changed} in place")
    m = v.mismatch
    where = list(v.where)
    if m is not None:
        what = output_name(spec.name, m.path)
        if check.public:
            parts.append(_public_text(what, m))
        else:
            shape_line = next((w for w in where if w.startswith(f"{what} has shape ")), None)
            if m.why == "shape" and shape_line:
                where.remove(shape_line)
            parts.append({"missing": f"{what} is missing from the result ({m.got})",
                          "type": f"{what} is a {type(m.got).__name__}, not a NumPy array of floats"
                                  if np.ndim(m.expected) else f"{what} is a {type(m.got).__name__}, not a number",
                          "shape": shape_line or f"{what} has the wrong shape",
                          "nan": f"{what} holds NaN or inf where the correct values are finite",
                          "value": f"{what} has wrong values"}[m.why] + f" for {_about(check, draw)}"
                         + (": an exp overflowed" if m.why == "nan" and check.large else ""))
    return "; ".join(parts + where)


def _short(v) -> str:
    if isinstance(v, np.ndarray):
        if not v.size:
            return f"empty array {v.shape}"
        return " ".join(np.array2string(v, precision=4, threshold=12, edgeitems=2).split())  # one line
    return repr(v)[:200]


def _public_text(what: str, m) -> str:
    if m.why == "value":
        at = f" at index {m.where}" if m.where else ""
        return f"{what}: wrong values (largest difference {m.max_diff:.3g}{at}); expected {_short(m.expected)}, got {_short(m.got)}"
    if m.why == "shape":
        return f"{what}: wrong shape, expected {np.shape(m.expected)}, got {np.shape(m.got)}"
    if m.why == "nan":
        return f"{what}: NaN or inf where the expected values are finite; expected {_short(m.expected)}, got {_short(m.got)}"
    if m.why == "missing":
        return f"{what} is missing from the result: it {m.got}"
    return f"{what}: expected {'a number' if np.ndim(m.expected) == 0 else 'a NumPy array of floats'} like " \
           f"{_short(m.expected)}, got a {type(m.got).__name__}"


_LINE = re.compile(r" \(line \d+ of your cell\)$")


def error_feedback(spec: Spec, check: Check, message: str, draw: str = "") -> Judged:
    """A draw on which the learner's function raised: ``message`` is the runner's "Type: text (line n of your cell)"."""
    kind, _, text = message.partition(": ")
    line = _LINE.search(message)
    text = _LINE.sub("", text)
    key = hint_for_error_text(kind, text)
    hint = hint_text(key) if key else spec.hint
    if check.public:
        return Judged(False, f"your function raised {message}", hint)
    # A known symptom in words; names (a missing key, an undefined name) as they are; any other
    # message with its numbers masked, since sizes and values would describe the hidden inputs.
    if key in SYMPTOMS:
        shown = SYMPTOMS[key]
    elif kind in ("KeyError", "NameError", "AttributeError", "NotImplementedError", "ImportError"):
        shown = text[:200]
    else:
        shown = re.sub(r"\d+", "…", text)[:160]
    at = line.group(0) if line else ""
    return Judged(False, f"raised {kind}{at} for {_about(check, draw)}" + (f": {shown}" if shown else ""), hint)


SYMPTOMS = {  # what a recognised error means, in words that reveal nothing about the inputs
    "weight_transposed": "the shapes of a matrix product do not fit",
    "broadcast_mismatch": "arrays of different shapes were combined elementwise",
    "empty_stack": "np.stack (or np.concatenate) got an empty list",
    "empty_axis": "an index reached past an empty axis",
    "zero_division": "a division by zero",
    "loss_kwargs_dropped": "loss_and_grads was called without the forward= and backward= of **loss_kwargs",
}


def credits(records: list[dict], points: float) -> list[float]:
    """What each check earns: an equal share of the exercise's points if it passed, an edge
    check's only when every core check passed too."""
    core_ok = all(r["passed"] for r in records if not r.get("edge"))
    share = points / len(records) if records else 0.0
    return [share if r["passed"] and (core_ok or not r.get("edge")) else 0.0 for r in records]


def score(records: list[dict], points: float) -> float:
    """An exercise's points from its check records (:func:`credits`, summed)."""
    return round(sum(credits(records, points)), 2)
