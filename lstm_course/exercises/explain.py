"""Say where a wrong result goes wrong: named outputs, the first time step, the gate.

Shared by the notebook's public checks (:mod:`.checks`) and the grader, so both describe the
same mistake with the same words. It only compares values the check already has (the expected
leaves and the learner's result); it holds no reference code and runs in the student edition.

    output_name("lstm_cell_backward", "3/b_f")     -> 'grads["b_f"]'
    shape_text((3, 2, 5), ("T", "N", "H"), dims)   -> '(T-1, N, H)'  (dims: T = 4, N = 2, H = 5)
    diagnose(name, expected, got, rtol, atol)      -> Diagnosis(lines=[...], hint=key or None)

``expected`` is ``{path: value}`` as in :mod:`.checkdata` (``"1/0"`` is h_T of
``(h, (h_T, c_T), cache)``). Every sentence is written so that it can be shown for a hidden
check too: no value of the hidden inputs, shapes in the legend's letters (N, D, H, T).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .checkdata import get_path

# What each exercise returns, item by item (a nested tuple for nested tuples); a leaf inside a
# named item is indexed as name[i] or name["key"].
OUTPUTS: dict[str, Any] = {
    "rnn_forward": ("h", "h_T", "cache"),
    "forget_gate": "f_t", "input_gate": "i_t", "candidate_memory": "c_tilde_t", "cell_state": "c_t",
    "output_gate": "o_t", "hidden_state": "h_t",
    "lstm_cell_forward": ("h_t", "c_t", "cache"),
    "lstm_forward": ("h", ("h_T", "c_T"), "cache"),
    "lstm_cell_backward": ("dx_t", "dh_prev", "dc_prev", "grads"),
    "lstm_backward": ("dx", "dh0", "dc0", "grads"),
    "clip_grad_norm": ("clipped", "total_norm"),
    "train_step": ("loss", "params"),  # the returned loss, and params as the step left them
}

# Shapes in the legend's letters, by output name (and by key, for dicts of parameters).
SHAPES: dict[str, tuple[str, ...]] = {
    **{n: ("N", "H") for n in ("f_t", "i_t", "c_tilde_t", "c_t", "o_t", "h_t", "h_T", "c_T", "dh_prev", "dc_prev",
                               "dh0", "dc0", "h_prev", "c_prev", "tanh_c_t")},
    "dx_t": ("N", "D"), "x_t": ("N", "D"), "h": ("T", "N", "H"), "dx": ("T", "N", "D"),
    **{f"W_{g}": ("H", "H+D") for g in "fiCo"}, **{f"b_{g}": ("H",) for g in "fiCo"},
    "W": ("H", "H+D"), "b": ("H",), "W_y": ("O", "H"), "b_y": ("O",),
}
GATE_NAMES = {"f": "forget gate's", "i": "input gate's", "C": "candidate's (C̃_t)", "o": "output gate's"}
GATE_DZ = {
    "f": "dz_f = dC_t ⊙ C_{t-1} ⊙ f_t ⊙ (1 - f_t)",
    "i": "dz_i = dC_t ⊙ C̃_t ⊙ i_t ⊙ (1 - i_t)",
    "C": "dz_C = dC_t ⊙ i_t ⊙ (1 - C̃_t²) (tanh' for the candidate, not σ')",
    "o": "dz_o = dh_t ⊙ tanh(C_t) ⊙ o_t ⊙ (1 - o_t)",
}


@dataclass
class Diagnosis:
    lines: list[str] = field(default_factory=list)  # where the result goes wrong, most useful first
    hint: str | None = None  # a key of hints.HINTS recognised from the pattern, if any


def output_name(exercise: str, path: str) -> str:
    """The name of the leaf at ``path`` of ``exercise``'s result, as the learner wrote it."""
    segs = [s for s in path.split("/") if s]
    node: Any = OUTPUTS.get(exercise, "result")
    while isinstance(node, tuple) and segs and segs[0].isdigit() and int(segs[0]) < len(node):
        node = node[int(segs.pop(0))]
    name = node if isinstance(node, str) else "result"
    return name + "".join(f"[{s}]" if s.isdigit() else f'["{s}"]' for s in segs)


def symbolic_shape(exercise: str, path: str) -> tuple[str, ...] | None:
    """The leaf's shape in letters (``("T", "N", "H")``), when the legend fixes it."""
    segs = [s for s in path.split("/") if s]
    if exercise == "rnn_forward" and segs == ["2", "h"]:
        return ("T+1", "N", "H")
    for key in reversed([output_name(exercise, "/".join(segs[:i])).split("[")[0] for i in range(len(segs) + 1)] + segs):
        if key in SHAPES:
            return SHAPES[key]
    return None


def dims_of(exercise: str, expected: dict[str, Any]) -> dict[str, int]:
    """The letters' values (T, N, D, H, O) read off the expected leaves' shapes."""
    dims: dict[str, int] = {}
    for path, value in expected.items():
        sym = symbolic_shape(exercise, path)
        shape = np.shape(value)
        if sym is None or len(sym) != len(shape):
            continue
        for s, n in zip(sym, shape):
            if s.isalpha():
                dims.setdefault(s, int(n))
    for path, value in expected.items():  # D from the H+D columns of a weight
        sym = symbolic_shape(exercise, path)
        if sym and "H+D" in sym and "H" in dims and len(np.shape(value)) == len(sym):
            dims.setdefault("D", int(np.shape(value)[sym.index("H+D")]) - dims["H"])
    return dims


def _letter(n: int, want: str, dims: dict[str, int]) -> str:
    value = {**dims, **({"H+D": dims["H"] + dims["D"]} if {"H", "D"} <= dims.keys() else {})}
    if "T+1" == want and "T" in dims:
        value["T+1"] = dims["T"] + 1
    if value.get(want) == n:
        return want
    near = None
    if want in value and want.isalpha() and abs(n - value[want]) == 1:
        near = f"{want}{'+' if n > value[want] else '-'}1"
    if want == "T" and near:  # a time axis one step off is an off-by-one loop, whatever N is
        return near
    others = [k for k, v in value.items() if v == n and k != want]
    if len(others) == 1:
        return others[0]
    return near or str(n)


def shape_text(shape: tuple[int, ...], symbolic: tuple[str, ...] | None, dims: dict[str, int]) -> str:
    """``shape`` written in the legend's letters where they fit, e.g. ``(T-1, N, H)``."""
    if symbolic is None or not dims:
        return str(tuple(shape))
    want = list(symbolic) + [""] * (len(shape) - len(symbolic))
    return "(" + ", ".join(_letter(int(n), w, dims) for n, w in zip(shape, want)) + ("," if len(shape) == 1 else "") + ")"


# --------------------------------------------------------------------------- comparing leaf by leaf
def leaf_status(want: Any, have: Any, rtol: float, atol: float) -> str:
    """"ok", or why ``have`` is not ``want``: "type", "shape", "nan" or "value"."""
    want_a = np.asarray(want)
    if want_a.ndim == 0:
        if isinstance(have, np.ndarray) and have.ndim == 0:
            have = have[()]
        if isinstance(have, bool) or not isinstance(have, (int, float, np.integer, np.floating)):
            return "type"
        have_a = np.asarray(float(have))
    else:
        if not isinstance(have, np.ndarray) or have.dtype.kind not in "fiu":
            return "type"
        have_a = have
    if have_a.shape != want_a.shape:
        return "shape"
    with np.errstate(all="ignore"):
        finite = np.isfinite(have_a)
        if not finite.all() and np.isfinite(want_a[~finite]).any():
            return "nan"
        close = np.abs(have_a - want_a) <= atol + rtol * np.abs(want_a)
    return "ok" if bool(np.all(close | (have_a == want_a))) else "value"


def statuses(expected: dict[str, Any], got: Any, rtol: float, atol: float) -> dict[str, str]:
    """Every expected leaf's status; "missing" when the result has no such leaf."""
    out = {}
    for path, want in expected.items():
        try:
            have = get_path(got, path)
        except LookupError:
            out[path] = "missing"
            continue
        out[path] = leaf_status(want, have, rtol, atol)
    return out


_GROUP_WORDS = {"grads": "gradient", "params": "parameter", "clipped": "array"}


def _names(exercise: str, paths: list[str], every: list[str], other: bool = False) -> str:
    """The leaves ``paths`` by name; a dict output whose every leaf is listed reads "every gradient
    in grads" (``other``: the rest of a partly listed one reads "the other 6 gradients")."""
    parts: list[str] = []
    groups: dict[str, list[str]] = {}
    for p in paths:
        head = output_name(exercise, p.split("/")[0])
        if head in _GROUP_WORDS and "/" in p:
            groups.setdefault(head, []).append(p)
        else:
            parts.append(output_name(exercise, p))
    for head, members in groups.items():
        total = [q for q in every if output_name(exercise, q.split("/")[0]) == head and "/" in q]
        word = _GROUP_WORDS[head]
        if len(members) == len(total) and len(total) > 1:
            parts.append(f"every {word} in {head}")
        elif other and len(members) > 3:
            parts.append(f"the other {len(members)} {word}s")
        else:
            parts += [output_name(exercise, q) for q in members]
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] if parts else ""


def _t(t: int, T: int, symbolic: bool) -> str:
    """A time step; near the end written from T (``t = T-2``), which hidden checks keep to themselves."""
    if symbolic and t >= 2 and T - t <= 2:
        return f"t = T-{T - t}"
    if not symbolic and t >= 2 and T - t <= 2:
        return f"t = {t} (T-{T - t})"
    return f"t = {t}"


# --------------------------------------------------------------------------- the diagnosis
def diagnose(exercise: str, expected: dict[str, Any], got: Any, rtol: float, atol: float,
             symbolic: bool = False) -> Diagnosis:
    """Where ``got`` differs from ``expected`` (named outputs, time steps, gates) and, when the
    pattern is a known mistake, its hint key. ``symbolic``: write time steps relative to T (hidden checks)."""
    st = statuses(expected, got, rtol, atol)
    wrong = [p for p, s in st.items() if s != "ok"]
    d = Diagnosis()
    if not wrong:
        return d
    dims = dims_of(exercise, expected)
    for p in wrong:  # shapes first: a wrong shape explains everything that follows from it
        if st[p] == "shape":
            _shape_line(exercise, p, expected, got, dims, d)
    right = [p for p in expected if st[p] == "ok"]
    every = list(expected)
    if len(expected) > 1 and right:
        d.lines.append(f"wrong: {_names(exercise, wrong, every)}; right: {_names(exercise, right, every, other=True)}")
    elif len(expected) > 1:
        d.lines.append(f"every output is wrong ({_names(exercise, wrong, every)})")
    if exercise in ("rnn_forward", "lstm_forward") and st.get("0") == "value":
        _forward_steps(np.asarray(expected["0"]), get_path(got, "0"), rtol, atol, symbolic, d)
    if exercise in ("rnn_forward", "lstm_forward") and st.get("0") == "ok" and any(
            st.get(p) not in (None, "ok") for p in ("1", "1/0", "1/1")):
        d.lines.append("h is right at every step, but the final state is not: return the h_t (and C_t) of the last step")
    if exercise == "lstm_backward" and st.get("0") == "value":
        _backward_steps(np.asarray(expected["0"]), get_path(got, "0"), rtol, atol, symbolic, d)
    elif exercise == "lstm_backward" and st.get("0") == "ok" and any(st.get(f"3/{k}") != "ok" for k in _grad_keys(expected)):
        d.lines.append("dx is right at every step, so every step's backward pass is right and the gradient is carried "
                       "back correctly; the weight gradients are not: add up every step's gradients (+=) over t")
        d.hint = d.hint or "not_accumulated"
    if exercise == "lstm_cell_backward":  # (in lstm_backward the step is the reference's: time, not gates)
        _gates(exercise, st, expected, got, d)
    return d


def _grad_keys(expected) -> list[str]:
    return [p.split("/", 1)[1] for p in expected if p.startswith("3/")]


def _shape_line(exercise, path, expected, got, dims, d: Diagnosis) -> None:
    want, have = np.asarray(expected[path]), np.asarray(get_path(got, path))
    sym = symbolic_shape(exercise, path)
    name = output_name(exercise, path)
    d.lines.append(f"{name} has shape {shape_text(have.shape, sym, dims)}; expected {shape_text(want.shape, sym, dims)}")
    if sym and sym[0] == "T" and have.ndim == want.ndim and abs(have.shape[0] - want.shape[0]) == 1 \
            and have.shape[1:] == want.shape[1:]:
        d.hint = d.hint or "off_by_one_steps"
    if exercise == "lstm_cell_backward" and path in ("0", "1"):
        other = "1" if path == "0" else "0"
        try:
            swapped = np.shape(get_path(got, other)) == want.shape and have.shape == np.shape(expected[other])
        except LookupError:
            swapped = False
        if swapped:
            d.hint = "dx_dh_split_swapped"
    if sym == ("H",) and have.shape == (dims.get("N"),) and dims.get("N") != dims.get("H"):
        d.hint = d.hint or "wrong_sum_axis"
    if sym == ("H", "H+D") and have.shape == want.shape[::-1] and want.shape[0] != want.shape[1]:
        d.hint = d.hint or "grad_transposed"


def _close(a, b, rtol, atol) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    with np.errstate(all="ignore"):
        return a.shape == b.shape and bool(np.all(np.abs(a - b) <= atol + rtol * np.abs(b)))


def _forward_steps(want: np.ndarray, have: np.ndarray, rtol, atol, symbolic, d: Diagnosis) -> None:
    T = want.shape[0]
    ok = [_close(have[t], want[t], rtol, atol) for t in range(T)]
    if T >= 2 and _close(have[1:], want[:-1], rtol, atol):
        d.lines.append("your h is shifted by one step: your h[t] is the correct h[t-1]. h[t] is the state AFTER "
                       "step t reads x[t] (h[0] = h_1), not the state it starts from")
        d.hint = "shifted_by_one"
        return
    if T >= 2 and _close(have[:-1], want[1:], rtol, atol):
        d.lines.append("your h is shifted by one step: your h[t] is the correct h[t+1]")
        d.hint = "shifted_by_one"
        return
    k = ok.index(False)
    if k == 0:
        if all(not o for o in ok):
            d.lines.append("h is wrong from the first step (t = 0) on: check one step alone (the cell, fed x[0] and "
                           "the initial state)")
        else:
            d.lines.append(f"h is wrong at t = 0 but right at some later steps: check the first step's initial state")
        return
    again = [t for t in range(k + 1, T) if ok[t]]
    tail = "" if again else " on"
    d.lines.append(f"h is right up to {_t(k - 1, T, symbolic)} but wrong from {_t(k, T, symbolic)}{tail}"
                   + (": the state is not carried from one step to the next (step t must start from the h_t and "
                      "C_t of step t-1)" if k == 1 else ""))


def _backward_steps(want: np.ndarray, have: np.ndarray, rtol, atol, symbolic, d: Diagnosis) -> None:
    T = want.shape[0]
    ok = [_close(have[t], want[t], rtol, atol) for t in range(T)]
    k = max(t for t in range(T) if not ok[t])  # the first wrong step the backward pass reaches
    if k == T - 1:
        d.lines.append(f"dx is wrong already at {_t(T - 1, T, symbolic)}, the step the backward pass starts with: "
                       "that step receives dh[T-1] (+ dh_T) and dc_T (zeros when not given)")
        return
    if k == 0 and not np.any(have[0]):
        d.lines.append("dx is right at every step but t = 0, where it is all zeros: your loop skips t = 0 "
                       "(range(T-1, 0, -1) stops before 0; use reversed(range(T)))")
        d.hint = "skips_first_step"
        return
    d.lines.append(f"dx is right at {_t(T - 1, T, symbolic)}"
                   + (f" … {_t(k + 1, T, symbolic)}" if k + 1 < T - 1 else "")
                   + f" but wrong at {_t(k, T, symbolic)}: the gradient from step t+1 (dh_prev and dc_prev) is not "
                     "carried back into step t correctly")


def _gates(exercise, st, expected, got, d: Diagnosis) -> None:
    keys = _grad_keys(expected)
    bad = {k for k in keys if st[f"3/{k}"] != "ok"}
    if not bad:
        if exercise == "lstm_cell_backward" and st.get("2") != "ok" and st.get("0") == "ok" and st.get("1") == "ok":
            d.lines.append("only dc_prev is wrong: dC_{t-1} = dC_t ⊙ f_t (C_{t-1} reaches C_t through f_t)")
        elif exercise == "lstm_cell_backward" and "ok" not in (st.get("0"), st.get("1")):
            d.lines.append("every weight gradient is right, so every dz is right; dx_t and dh_prev are not: "
                           "d[h_{t-1}, x_t] = Σ dz_* · W_* over the four gates, then dh_prev = its first H "
                           "columns and dx_t the rest")
        return
    gates = sorted({k[2] for k in bad}, key="fiCo".index)
    if all(k.startswith("b_") for k in bad):
        which = "only the bias gradients are" if len(gates) == 4 else f"only grads[\"{sorted(bad)[0]}\"] is" \
            if len(bad) == 1 else "only bias gradients are"
        d.lines.append(f"{which} wrong, the weight gradients are right: db_* sums dz_* over the batch "
                       "(axis 0) and has shape (H,)")
        _bias_mean(exercise, expected, got, d)
        return
    if set(gates) == {"f", "i", "C"} and exercise == "lstm_cell_backward" and st.get("2") != "ok":
        d.lines.append("the gradients that pass through C_t (forget gate, input gate, candidate, and dc_prev) are "
                       "wrong, the output gate's are right: dC_t itself is wrong, dC_t = dc_t + dh_t ⊙ o_t ⊙ "
                       "(1 - tanh²(C_t))")
        return
    if len(gates) < 4:
        names = [GATE_NAMES[g] for g in gates]
        which = ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]
        d.lines.append(f"the {which} gradients are wrong, the other gates' are right: check "
                       + "; ".join(GATE_DZ[g] for g in gates))
        if gates == ["C"]:
            d.hint = d.hint or "sigmoid_grad_for_tanh"


def _bias_mean(exercise, expected, got, d: Diagnosis) -> None:
    dims = dims_of(exercise, expected)
    N = dims.get("N")
    if not N or N < 2:
        return
    try:
        if all(_close(np.asarray(get_path(got, f"3/b_{g}")) * N, expected[f"3/b_{g}"], 1e-6, 1e-9) for g in "fiCo"):
            d.hint = "bias_grad_mean"
    except (LookupError, KeyError, ValueError, TypeError):
        pass
