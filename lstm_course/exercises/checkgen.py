"""Generate the public-check data from the reference, and write the typical mistakes down once
(instructor edition only; never released).

For every exercise: a few small fixed-seed cases (N, D, H all different, so a transposed or
mis-summed array shows up as a shape error), the reference outputs, what each typical mistake
computes on the same inputs (the "wrong variants" that let a check name the mistake) and the
calls the reference makes to the exercise's prerequisites (so the notebook can check an
exercise with the reference prerequisites, as the grader does, where no reference exists).
``lstm-course sync-exercises`` calls :func:`write_all`; a test regenerates and compares.

Shared with the grader (``lstm_course.grading.checks``), which applies them to its hidden inputs:

    expected_leaves(name, args, kwargs, part) -> {path: value}   what a check compares
    MISTAKES[name] -> ((hint key, variant), ...)                 variant(args, kwargs) -> {path: value}

``kwargs`` of ``train_step`` carry ``lr`` (the check's SGD learning rate) besides ``max_norm``.
"""
from __future__ import annotations

import copy
import inspect
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .. import course
from ..activations import sigmoid, tanh
from ..model import init_model, loss_and_grads
from ..optim import SGD
from ..params import LSTM_KEYS, init_lstm_params, init_rnn_params
from .checkdata import DATA_DIR, path_for, save

RTOL, ATOL = 1e-6, 1e-9
Case = dict[str, Any]
Variant = Callable[[list, dict], dict]


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _ref(name: str) -> Callable:
    return course.reference(name)


# --------------------------------------------------------------------------- what a check compares
def _train_split(args: list, kwargs: dict):
    params, x, y = args
    kw = dict(kwargs)
    lr, max_norm = kw.pop("lr"), kw.pop("max_norm", 1.0)
    kw.pop("forward", None), kw.pop("backward", None)  # the grader's tokens for the learner's own LSTM
    return params, x, y, lr, max_norm, kw


def _train_reference(args: list, kwargs: dict, fast: bool = False) -> tuple[float, dict]:
    params, x, y, lr, max_norm, kw = _train_split(args, kwargs)
    after = {k: v.copy() for k, v in params.items()}
    lstm = {} if fast else {"forward": _ref("lstm_forward"), "backward": _ref("lstm_backward")}  # fast: the default
    loss = _ref("train_step")(after, x, y, SGD(lr), max_norm=max_norm, **lstm, **kw)
    return loss, after


def expected_leaves(name: str, args: list, kwargs: dict, part: str = "main", fast: bool = False) -> dict[str, Any]:
    """The reference's result on (args, kwargs) as the leaves a check compares.

    ``part``: "main" (the results proper), "cache" (lstm_cell_forward's cache: what the backward
    pass reads) or "public" (main plus the cache entries the notebook's checks also compare).
    ``fast``: compute sequences with the fused fast path (the same numbers to 1e-12, far fewer
    Python calls: the grader computes this for every hidden draw of every learner)."""
    if name == "train_step":
        loss, after = _train_reference(args, kwargs, fast)
        return {"0": loss, **{f"1/{k}": v for k, v in after.items()}}
    if fast and part == "main" and name in ("lstm_forward", "lstm_cell_forward"):
        from ..fast import lstm_forward_fast

        x = args[0] if name == "lstm_forward" else args[0][None]  # one step is a sequence of T = 1
        rest = args[1:] if name == "lstm_forward" else [args[3], args[1], args[2]]
        h, (h_T, c_T), _ = lstm_forward_fast(x, *rest, **kwargs)
        if name == "lstm_cell_forward":
            return {"0": h_T, "1": c_T}
        return {"0": np.array(h), "1/0": h_T, "1/1": c_T}
    res = _ref(name)(*args, **kwargs)
    if name in ("rnn_forward",):
        out = {"0": res[0], "1": res[1]}
        return {**out, "2/h": res[2]["h"]} if part == "public" else out  # rnn_backward reads cache["h"] (h_0..h_T)
    if name == "lstm_cell_forward":
        cache = {f"2/{k}": v for k, v in res[2].items()}
        return cache if part == "cache" else {"0": res[0], "1": res[1], **(cache if part == "public" else {})}
    if name == "lstm_forward":
        out = {"0": res[0], "1/0": res[1][0], "1/1": res[1][1]}
        if part == "public" and res[2]:
            out.update({"2/0/c_prev": res[2][0]["c_prev"], f"2/{len(res[2]) - 1}/c_t": res[2][-1]["c_t"]})
        return out
    if name in ("lstm_cell_backward", "lstm_backward"):
        *arrays, grads = res
        return {**{str(i): a for i, a in enumerate(arrays)}, **{f"3/{k}": grads[k] for k in LSTM_KEYS}}
    if name == "clip_grad_norm":
        clipped, norm = res
        return {"1": float(norm), **{f"0/{k}": v for k, v in clipped.items()}}
    return {"": res}


# --------------------------------------------------------------------------- typical mistakes
def _gate_mistakes(act: Callable, other: tuple[str, Callable]) -> tuple[tuple[str, Variant], ...]:
    def z(a, order="hx", bias=True):
        h, x, W, b = a
        hx = np.concatenate([h, x] if order == "hx" else [x, h], axis=-1)
        return hx @ W.T + (b if bias else 0)
    return (
        ("bias_missing", lambda a, k: {"": act(z(a, bias=False))}),
        ("xh_order", lambda a, k: {"": act(z(a, order="xh"))}),
        (other[0], lambda a, k: {"": other[1](z(a))}),
    )


def _swap(params: dict, a: str, b: str) -> dict:
    p = dict(params)
    p[f"W_{a}"], p[f"W_{b}"] = params[f"W_{b}"], params[f"W_{a}"]
    p[f"b_{a}"], p[f"b_{b}"] = params[f"b_{b}"], params[f"b_{a}"]
    return p


def _no_bias(params: dict) -> dict:
    return {k: (np.zeros_like(v) if k.startswith("b_") or k == "b" else v) for k, v in params.items()}


def _cell_fwd_leaves(x, h, c, p) -> dict:
    h_t, c_t, _ = _ref("lstm_cell_forward")(x, h, c, p)
    return {"0": h_t, "1": c_t}


def _states(args: list, n: int, N: int, H: int) -> list[np.ndarray]:
    given = [a for a in args[2:2 + n] if a is not None]
    return given + [np.zeros((N, H)) for _ in range(n - len(given))]


def _rnn_steps(x, p, h0, *, order="hx", carry=True) -> list[np.ndarray]:
    """h_1..h_T of a tanh RNN written with one mistake switched on (never the reference's own code)."""
    h_t, hs = h0, []
    for t in range(x.shape[0]):
        prev = h_t if carry else h0
        hx = np.concatenate([prev, x[t]] if order == "hx" else [x[t], prev], axis=1)
        h_t = np.tanh(hx @ p["W"].T + p["b"])
        hs.append(h_t)
    return hs


def _rnn_mistakes() -> tuple[tuple[str, Variant], ...]:
    def h0(a):
        return _states(a, 1, a[0].shape[1], a[1]["b"].shape[0])[0]

    def stack(hs, a):
        return np.stack(hs) if hs else np.zeros((0,) + h0(a).shape)

    def shifted(a, k):
        hs = _rnn_steps(a[0], a[1], h0(a))
        return {"0": stack([h0(a)] + hs[:-1], a)} if hs else {"0": None}

    return (
        ("bias_missing", lambda a, k: dict(zip(("0", "1"), _ref("rnn_forward")(a[0], _no_bias(a[1]), *a[2:])[:2]))),
        ("state_not_carried", lambda a, k: {"0": stack(_rnn_steps(a[0], a[1], h0(a), carry=False), a)}),
        ("xh_order", lambda a, k: {"0": stack(_rnn_steps(a[0], a[1], h0(a), order="xh"), a)}),
        ("shifted_by_one", shifted),
        ("h0_ignored", lambda a, k: {"0": _ref("rnn_forward")(a[0], a[1])[0]} if len(a) > 2 and a[2] is not None else {"0": None}),
    )


def _lstm_forward_mistakes() -> tuple[tuple[str, Variant], ...]:
    cell = lambda *a: _ref("lstm_cell_forward")(*a)  # noqa: E731 - the reference cell, looked up late

    def start(a):
        N, H = a[0].shape[1], a[1]["b_f"].shape[0]
        return _states(a, 2, N, H)

    def no_carry(a, k):
        h0, c0 = start(a)
        hs = [cell(a[0][t], h0, c0, a[1])[0] for t in range(a[0].shape[0])]
        return {"0": np.stack(hs)} if hs else {"0": None}

    def shifted(a, k):
        h0, c0 = start(a)
        h, c, hs = h0, c0, []
        for t in range(a[0].shape[0]):
            hs.append(h)
            h, c, _ = cell(a[0][t], h, c, a[1])
        return {"0": np.stack(hs)} if hs else {"0": None}

    return (
        ("state_not_carried", no_carry),
        ("shifted_by_one", shifted),
        ("h0_ignored", lambda a, k: {"0": _ref("lstm_forward")(a[0], a[1])[0]} if len(a) > 2 and a[2] is not None else {"0": None}),
    )


def _dc_total(dh, dc, cache):
    """dC_t: the gradient from later steps plus the path through h_t = o_t ⊙ tanh(C_t)."""
    return dc + dh * cache["o_t"] * (1 - cache["tanh_c_t"] ** 2)


def _cell_backward_with(dh, dc, cache, *, sigmoid_for_C=False) -> tuple:
    """One backward step with the candidate's derivative taken as σ' (a typical mistake)."""
    dC = _dc_total(dh, dc, cache)
    f, i, ct, o = cache["f_t"], cache["i_t"], cache["c_tilde_t"], cache["o_t"]
    dz = {"f": dC * cache["c_prev"] * f * (1 - f), "i": dC * ct * i * (1 - i),
          "C": dC * i * (ct * (1 - ct) if sigmoid_for_C else 1 - ct**2), "o": dh * cache["tanh_c_t"] * o * (1 - o)}
    hx = np.concatenate([cache["h_prev"], cache["x_t"]], axis=1)
    H = dh.shape[1]
    dhx = sum(dz[g] @ cache[f"W_{g}"] for g in "fiCo")
    grads = {}
    for g in "fiCo":
        grads[f"W_{g}"], grads[f"b_{g}"] = dz[g].T @ hx, dz[g].sum(axis=0)
    return dhx[:, H:], dhx[:, :H], dC * f, grads


def _leaves4(res) -> dict:
    *arrays, grads = res
    return {**{str(i): a for i, a in enumerate(arrays)}, **{f"3/{k}": grads[k] for k in LSTM_KEYS}}


def _cell_backward_mistakes() -> tuple[tuple[str, Variant], ...]:
    bwd = lambda *a: _ref("lstm_cell_backward")(*a)  # noqa: E731

    def no_tanh_path(a, k):
        dh, dc, cache = a
        res = bwd(dh, dc - dh * cache["o_t"] * (1 - cache["tanh_c_t"] ** 2), cache)
        return {"0": res[0], "1": res[1], "2": res[2]}

    def axis1(a, k):
        dh, dc, cache = a
        f = cache["f_t"]
        return {"3/b_f": (_dc_total(dh, dc, cache) * cache["c_prev"] * f * (1 - f)).sum(axis=1)}

    def mean(a, k):
        grads = bwd(*a)[3]
        N = a[0].shape[0]
        return {f"3/b_{g}": grads[f"b_{g}"] / N for g in "fiCo"} if N > 1 else {"3/b_f": None}

    def split_swapped(a, k):
        dx, dh_prev, *_ = bwd(*a)
        return {"0": dh_prev, "1": dx}

    return (
        ("dh_from_output_only", no_tanh_path),
        ("wrong_sum_axis", axis1),
        ("bias_grad_mean", mean),
        ("dc_prev_without_f", lambda a, k: {"2": _dc_total(*a)}),
        ("sigmoid_grad_for_tanh", lambda a, k: _leaves4(_cell_backward_with(*a, sigmoid_for_C=True))),
        ("dx_dh_split_swapped", split_swapped),
    )


def _bptt_variant(dh, cache, dh_T=None, dc_T=None, *, accumulate=True, carry_h=True, stop=0, keep_dh_T=False):
    """BPTT around the reference cell with one mistake switched on: weight gradients assigned
    instead of summed, the gradient through h_{t-1} (and dh_T) dropped, or the loop stopping
    before t = ``stop``."""
    T, N, H = dh.shape
    dh_next = np.zeros((N, H)) if dh_T is None or not (carry_h or keep_dh_T) else dh_T.copy()
    dc_next = np.zeros((N, H)) if dc_T is None else dc_T.copy()
    dx = np.zeros((T, N, cache[0]["x_t"].shape[1]))
    grads: dict = {k: 0.0 for k in LSTM_KEYS}
    for t in reversed(range(stop, T)):
        dx[t], dh_prev, dc_next, g = _ref("lstm_cell_backward")(dh[t] + dh_next, dc_next, cache[t])
        dh_next = dh_prev if carry_h else np.zeros_like(dh_prev)
        grads = g if not accumulate else {k: grads[k] + g[k] for k in LSTM_KEYS}
    return dx, dh_next, dc_next, grads


def _backward_mistakes() -> tuple[tuple[str, Variant], ...]:
    def leaves(res, which=("0", "1", "2", "3")):
        return {p: v for p, v in _leaves4(res).items() if p.split("/")[0] in which}

    return (
        ("not_accumulated", lambda a, k: leaves(_bptt_variant(*a, **k, accumulate=False), ("3",))),
        ("recurrent_grad_dropped", lambda a, k: leaves(_bptt_variant(*a, **k, carry_h=False), ("0", "3"))),
        # the same mistake, but dh_T still given to the last step (dh_next starts as dh_T, then is reset)
        ("recurrent_grad_dropped#2", lambda a, k: leaves(_bptt_variant(*a, **k, carry_h=False, keep_dh_T=True), ("0", "3"))
         if k.get("dh_T") is not None else {"0": None}),
        ("skips_first_step", lambda a, k: leaves(_bptt_variant(*a, **k, stop=1), ("0", "3"))
         if a[0].shape[0] > 1 else {"0": None}),
    )


def _clip_mistakes() -> tuple[tuple[str, Variant], ...]:
    def per_array(a, k):
        grads, max_norm = a
        return {f"0/{key}": g * min(1.0, max_norm / (np.linalg.norm(g) + 1e-12)) for key, g in grads.items()}

    def norm_after(a, k):
        clipped, norm = _ref("clip_grad_norm")(*a)
        return {"1": float(np.sqrt(sum(np.sum(g * g) for g in clipped.values())))} if norm > a[1] else {"1": None}

    return (("per_array_clip", per_array), ("norm_after_clip", norm_after))


def _train_mistakes() -> tuple[tuple[str, Variant], ...]:
    fwd, bwd = (lambda *a, **k: _ref("lstm_forward")(*a, **k)), (lambda *a, **k: _ref("lstm_backward")(*a, **k))

    def grads_of(a, k):
        params, x, y, lr, max_norm, kw = _train_split(a, k)
        return params, lr, max_norm, loss_and_grads(params, x, y, forward=fwd, backward=bwd, **kw)

    def not_clipped(a, k):
        params, lr, max_norm, (_, grads) = grads_of(a, k)
        return {f"1/{key}": params[key] - lr * grads[key] for key in params}

    def loss_after(a, k):
        params, x, y, lr, max_norm, kw = _train_split(a, k)
        _, after = _train_reference(a, k)
        return {"0": loss_and_grads(after, x, y, forward=fwd, backward=bwd, **kw)[0]}

    return (
        ("not_in_place", lambda a, k: {f"1/{key}": v for key, v in a[0].items()}),
        ("not_clipped", not_clipped),
        ("loss_after_update", loss_after),
    )


MISTAKES: dict[str, tuple[tuple[str, Variant], ...]] = {
    "rnn_forward": _rnn_mistakes(),
    "forget_gate": _gate_mistakes(sigmoid, ("tanh_for_sigmoid", tanh)),
    "input_gate": _gate_mistakes(sigmoid, ("tanh_for_sigmoid", tanh)),
    "candidate_memory": _gate_mistakes(tanh, ("sigmoid_for_tanh", sigmoid)),
    "cell_state": (
        ("c_prev_forgotten", lambda a, k: {"": a[2] * a[3]}),
        ("gates_swapped", lambda a, k: {"": a[2] * a[1] + a[0] * a[3]}),
        ("f_added", lambda a, k: {"": a[0] + a[2] * a[3]}),
        ("forget_gate_missing", lambda a, k: {"": a[1] + a[2] * a[3]}),
        ("candidate_not_gated", lambda a, k: {"": a[0] * a[1] + a[2]}),
    ),
    "output_gate": _gate_mistakes(sigmoid, ("tanh_for_sigmoid", tanh)),
    "hidden_state": (
        ("tanh_missing", lambda a, k: {"": a[0] * a[1]}),
        ("sigmoid_for_tanh", lambda a, k: {"": a[0] * sigmoid(a[1])}),
        ("tanh_outside", lambda a, k: {"": np.tanh(a[0] * a[1])}),
    ),
    "lstm_cell_forward": (
        ("gate_order", lambda a, k: _cell_fwd_leaves(a[0], a[1], a[2], _swap(a[3], "f", "i"))),
        ("bias_missing", lambda a, k: _cell_fwd_leaves(a[0], a[1], a[2], _no_bias(a[3]))),
        ("c_prev_forgotten", lambda a, k: _cell_fwd_leaves(a[0], a[1], np.zeros_like(a[2]), a[3])),
    ),
    "lstm_forward": _lstm_forward_mistakes(),
    "lstm_cell_backward": _cell_backward_mistakes(),
    "lstm_backward": _backward_mistakes(),
    "clip_grad_norm": _clip_mistakes(),
    "train_step": _train_mistakes(),
}


def wrong_variants(name: str, args: list, kwargs: dict, expected: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{hint key: leaves} of every typical mistake that applies to these inputs: not one that
    returns a None leaf or raises, nor one that computes the right answer here (clipping
    skipped when nothing needs clipping)."""
    from .explain import leaf_status

    out = {}
    for key, variant in MISTAKES[name]:
        try:
            with np.errstate(all="ignore"):
                leaves = variant(args, kwargs)
        except Exception:  # noqa: BLE001 - e.g. a variant's shape error on an empty batch
            continue
        if not leaves or any(v is None for v in leaves.values()) or any(p not in expected for p in leaves):
            continue
        if any(leaf_status(expected[p], np.asarray(v) if np.ndim(v) else v, RTOL, ATOL) != "ok" for p, v in leaves.items()):
            out[key] = leaves
    return out


# --------------------------------------------------------------------------- prerequisite calls
PREREQUISITES: dict[str, tuple[str, ...]] = {
    **{e.name: e.requires for e in course.EXERCISES},
}


def call_params(name: str) -> list[str]:
    """The parameter names of exercise ``name`` (to bind a recorded call's keyword arguments)."""
    return list(inspect.signature(_ref(name)).parameters)


def recorded_calls(name: str, args: list, kwargs: dict) -> dict[str, list[dict]]:
    """The calls the reference ``name`` makes to its prerequisites on these inputs:
    {prerequisite: [{"args": [...], "kwargs": {...}, "out": result}, ...]}, in call order."""
    import importlib

    calls: dict[str, list[dict]] = {p: [] for p in PREREQUISITES[name]}
    if not calls:
        return {}

    def recorder(pname, fn):
        def record(*a, **k):
            # copies, taken before the call: train_step updates the params these arrays belong to
            seen = {"args": copy.deepcopy(list(a)), "kwargs": copy.deepcopy(dict(k))}
            out = fn(*a, **k)
            calls[pname].append({**seen, "out": copy.deepcopy(out)})
            return out
        return record

    module = importlib.import_module(course.get(name).module)
    saved = {p: module.__dict__[p] for p in calls if p in module.__dict__}
    try:
        for p, fn in saved.items():
            setattr(module, p, recorder(p, fn))
        if name == "train_step":
            params, x, y, lr, max_norm, kw = _train_split(args, kwargs)
            after = {k: v.copy() for k, v in params.items()}
            module.train_step(after, x, y, SGD(lr), max_norm=max_norm, **kw,
                              forward=recorder("lstm_forward", _ref("lstm_forward")),
                              backward=recorder("lstm_backward", _ref("lstm_backward")))
        else:
            getattr(module, name)(*args, **kwargs)
    finally:
        for p, fn in saved.items():
            setattr(module, p, fn)
    return {p: [_plain(c) for c in cs] for p, cs in calls.items()}


def _plain(call: dict) -> dict:
    """A recorded call as storable nests of lists and dicts (tuples become lists)."""
    def conv(v):
        if isinstance(v, (list, tuple)):
            return [conv(i) for i in v]
        if isinstance(v, dict):
            return {k: conv(i) for k, i in v.items()}
        return v
    args = list(call["args"])
    while args and args[-1] is None:  # h0=None and the like: the same call as leaving them out
        args.pop()
    kwargs = {k: v for k, v in call["kwargs"].items() if v is not None}
    return {"args": conv(args), "kwargs": conv(kwargs), "out": conv(call["out"])}


# --------------------------------------------------------------------------- the public cases
def _case(name: str, cid: str, about: str, args: list, kwargs: dict | None = None) -> Case:
    kwargs = kwargs or {}
    expected = expected_leaves(name, args, kwargs, "public")
    return {"id": cid, "about": about, "rtol": RTOL, "atol": ATOL, "args": args, "kwargs": kwargs,
            "expected": expected, "wrong": wrong_variants(name, args, kwargs, expected),
            "calls": recorded_calls(name, args, kwargs)}


def _gate_cases(name: str) -> list[Case]:
    cases = []
    for cid, (N, D, H), seed in (("small", (3, 2, 4), 1), ("single", (1, 5, 3), 2)):
        r = _rng(seed)
        h, x = r.normal(size=(N, H)), r.normal(size=(N, D))
        Wm, bv = r.normal(size=(H, H + D)), r.normal(size=H)
        cases.append(_case(name, cid, f"N={N}, D={D}, H={H}", [h, x, Wm, bv]))
    return cases


def _cell_state_cases() -> list[Case]:
    cases = []
    for cid, (N, H), seed in (("small", (3, 4), 3), ("single", (1, 2), 4)):
        r = _rng(seed)
        f, i = sigmoid(r.normal(size=(N, H))), sigmoid(r.normal(size=(N, H)))
        c_prev, ct = r.normal(size=(N, H)) * 2, tanh(r.normal(size=(N, H)))
        cases.append(_case("cell_state", cid, f"N={N}, H={H}", [f, c_prev, i, ct]))
    return cases


def _hidden_state_cases() -> list[Case]:
    cases = []
    for cid, (N, H), seed in (("small", (3, 4), 5), ("single", (1, 2), 6)):
        r = _rng(seed)
        o, c = sigmoid(r.normal(size=(N, H))), r.normal(size=(N, H)) * 2
        cases.append(_case("hidden_state", cid, f"N={N}, H={H}", [o, c]))
    return cases


def _lstm_params(D: int, H: int, seed: int) -> dict:
    p = init_lstm_params(D, H, seed=seed)
    r = _rng(seed + 100)
    return {k: v + 0.3 * r.normal(size=v.shape) for k, v in p.items()}  # nonzero biases, so a missing bias shows


def _cell_forward_cases() -> list[Case]:
    cases = []
    for cid, (N, D, H), seed in (("small", (3, 2, 4), 7), ("single", (1, 3, 2), 8)):
        r = _rng(seed)
        x, h, c = r.normal(size=(N, D)), r.normal(size=(N, H)), r.normal(size=(N, H))
        # the cache is compared too: the learner's lstm_cell_backward (notebook 06) reads these keys
        cases.append(_case("lstm_cell_forward", cid, f"N={N}, D={D}, H={H}", [x, h, c, _lstm_params(D, H, seed)]))
    return cases


def _sequence_cases(name: str) -> list[Case]:
    cases = []
    for cid, (T, N, D, H), seed, with_state in (("zeros", (4, 3, 2, 5), 9, False), ("given_state", (3, 2, 3, 4), 10, True)):
        r = _rng(seed)
        x = r.normal(size=(T, N, D))
        if name == "rnn_forward":
            p = init_rnn_params(D, H, seed=seed)
            p["b"] = p["b"] + 0.3 * r.normal(size=H)
        else:
            p = _lstm_params(D, H, seed)
        state = [r.normal(size=(N, H)) for _ in range(1 if name == "rnn_forward" else 2)] if with_state else []
        about = f"T={T}, N={N}, D={D}, H={H}" + (", initial state given" if with_state else ", zero initial state")
        cases.append(_case(name, cid, about, [x, p, *state]))
    return cases


def _cell_backward_cases() -> list[Case]:
    fwd = _ref("lstm_cell_forward")
    cases = []
    for cid, (N, D, H), seed in (("small", (3, 2, 4), 11), ("single", (1, 3, 2), 12)):
        r = _rng(seed)
        x, h, c = r.normal(size=(N, D)), r.normal(size=(N, H)), r.normal(size=(N, H))
        _, _, cache = fwd(x, h, c, _lstm_params(D, H, seed))
        dh, dc = r.normal(size=(N, H)), r.normal(size=(N, H))
        cases.append(_case("lstm_cell_backward", cid, f"N={N}, D={D}, H={H}", [dh, dc, cache]))
    return cases


def _backward_cases() -> list[Case]:
    cases = []
    for cid, (T, N, D, H), seed, final in (("all_steps", (4, 3, 2, 5), 13, False), ("final_state_grads", (3, 2, 3, 4), 14, True)):
        r = _rng(seed)
        x = r.normal(size=(T, N, D))
        _, _, cache = _ref("lstm_forward")(x, _lstm_params(D, H, seed))
        dh = r.normal(size=(T, N, H))
        kw = {"dh_T": r.normal(size=(N, H)), "dc_T": r.normal(size=(N, H))} if final else {}
        about = f"T={T}, N={N}, D={D}, H={H}" + (", with dh_T and dc_T" if final else "")
        cases.append(_case("lstm_backward", cid, about, [dh, cache], kw))
    return cases


def _clip_cases() -> list[Case]:
    cases = []
    for cid, scale, max_norm, seed in (("clipped", 3.0, 1.0, 15), ("under_threshold", 0.1, 5.0, 16)):
        r = _rng(seed)
        grads = {"W_f": scale * r.normal(size=(3, 5)), "b_f": scale * r.normal(size=3), "W_y": scale * r.normal(size=(2, 3))}
        about = f"global norm {'above' if scale > 1 else 'below'} max_norm={max_norm}"
        cases.append(_case("clip_grad_norm", cid, about, [grads, max_norm]))
    return cases


def _train_step_cases() -> list[Case]:
    cases = []
    for cid, (T, N, D, H, O), seed, max_norm in (("clipped", (5, 3, 2, 4, 1), 17, 0.05), ("not_clipped", (3, 2, 1, 3, 2), 18, 100.0)):
        r = _rng(seed)
        params = init_model(D, H, O, seed=seed)
        x, y = r.normal(size=(T, N, D)), r.normal(size=(T, N, O))
        about = f"T={T}, N={N}, D={D}, H={H}, O={O}, SGD lr=0.1, max_norm={max_norm}"
        cases.append(_case("train_step", cid, about, [params, x, y], {"lr": 0.1, "max_norm": max_norm}))
    return cases


GENERATORS: dict[str, Callable[[], list[Case]]] = {
    "rnn_forward": lambda: _sequence_cases("rnn_forward"),
    "forget_gate": lambda: _gate_cases("forget_gate"),
    "input_gate": lambda: _gate_cases("input_gate"),
    "candidate_memory": lambda: _gate_cases("candidate_memory"),
    "cell_state": _cell_state_cases,
    "output_gate": lambda: _gate_cases("output_gate"),
    "hidden_state": _hidden_state_cases,
    "lstm_cell_forward": _cell_forward_cases,
    "lstm_forward": lambda: _sequence_cases("lstm_forward"),
    "lstm_cell_backward": _cell_backward_cases,
    "lstm_backward": _backward_cases,
    "clip_grad_norm": _clip_cases,
    "train_step": _train_step_cases,
}


def cases_for(name: str) -> list[Case]:
    return GENERATORS[name]()


def write_all(data_dir: Path | None = None) -> list[Path]:
    """Regenerate every exercise's check file; return the paths written."""
    missing = [e.name for e in course.EXERCISES if e.name not in GENERATORS]
    if missing:
        raise RuntimeError(f"no public-check generator for {missing}: add one to {__name__}.GENERATORS")
    written = []
    for e in course.EXERCISES:
        p = path_for(e.name, data_dir or DATA_DIR)
        save(p, e.name, cases_for(e.name), {p: call_params(p) for p in PREREQUISITES[e.name]})
        written.append(p)
    return written
