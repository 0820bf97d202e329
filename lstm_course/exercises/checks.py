"""Public checks: run a learner's function on the shipped inputs, compare, explain.

In a notebook, right under a graded cell::

    check("forget_gate", forget_gate)

prints PASS for each public case, or what was called, which outputs are wrong (by name:
``dc_prev``, ``grads["b_f"]``), where the result first goes wrong (which time step, which
gate's gradient), expected and actual values and, when the output matches a typical mistake,
a hint. It runs in well under a second and needs no reference code (the data comes from
:mod:`.checkdata`).

An exercise that builds on earlier ones (``lstm_cell_forward`` calls your gates) is checked the
way the grader checks it: with the *reference* prerequisites, replayed from the calls the
reference made on the same inputs. So the verdict is about this function alone, and the same as
the grader's; when one of your earlier functions fails its own checks, the report says which
one to fix first.

For programs (the grader): ``run_checks(name, fn, **extra) -> list[CheckResult]``,
``judge(...)`` (one result against its expected leaves: the grader's verdict too) and
``compare(expected, got, rtol, atol) -> Mismatch | None``.
"""
from __future__ import annotations

import copy
import inspect
import types
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .. import course
from .checkdata import get_path, load
from .explain import diagnose, leaf_status, output_name
from .hints import hint_for_error, hint_text
from .loader import implemented

PASS, FAIL, ERROR, TODO = "PASS", "FAIL", "ERROR", "NOT IMPLEMENTED"

# Exercises whose inputs must come back unchanged (their docstring promises it), with the
# names of the inputs.
UNTOUCHED: dict[str, tuple[str, ...]] = {"clip_grad_norm": ("grads", "max_norm")}


@dataclass
class Mismatch:
    path: str  # which leaf of the return value
    expected: Any
    got: Any
    why: str  # "shape", "value", "nan", "missing", "type"
    max_diff: float | None = None
    where: tuple[int, ...] | None = None


@dataclass
class Verdict:
    """One call's result judged against the reference's leaves."""

    passed: bool
    mismatch: Mismatch | None = None
    hint: str | None = None  # a key of HINTS
    where: list[str] = field(default_factory=list)  # which outputs, time steps, gates
    changed: str | None = None  # the input the call changed in place (UNTOUCHED exercises)


@dataclass
class CheckResult:
    exercise: str
    case: str
    about: str
    status: str  # PASS, FAIL, ERROR or NOT IMPLEMENTED
    called: str = ""
    mismatch: Mismatch | None = None
    error: str = ""
    hint: str | None = None  # a key of HINTS
    where: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == PASS


def _call_default(fn: Callable, args: list, kwargs: dict, extra: dict) -> Any:
    return fn(*args, **kwargs, **extra)


def _call_train_step(fn: Callable, args: list, kwargs: dict, extra: dict) -> Any:
    # train_step updates params in place through an optimizer object: build a fresh SGD from the
    # stored learning rate, and compare both the returned loss and the updated params.
    from ..optim import SGD

    params, x, y = args
    kwargs = dict(kwargs)
    opt = SGD(lr=kwargs.pop("lr"))
    loss = fn(params, x, y, opt, **kwargs, **extra)
    return (loss, params)


CALLS: dict[str, Callable[[Callable, list, dict, dict], Any]] = {"train_step": _call_train_step}


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array{value.shape}" if value.ndim else repr(value.item())
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_describe(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        if len(value) > 3:
            return f"[{len(value)} × {_describe(value[0])}]"
        return "[" + ", ".join(_describe(v) for v in value) + "]"
    if callable(value):
        return getattr(value, "__name__", "a function")
    return repr(value)


def describe_call(name: str, fn: Callable, args: list, kwargs: dict) -> str:
    try:
        names = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        names = []
    parts = [f"{names[i] if i < len(names) else f'arg{i}'}={_describe(a)}" for i, a in enumerate(args)]
    parts += [f"{k}={_describe(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


# --------------------------------------------------------------------------- comparing
def compare(expected: dict[str, Any], got: Any, rtol: float, atol: float) -> Mismatch | None:
    """The first leaf of ``got`` that differs from ``expected`` ({path: value}), or None.

    Arrays must come back as NumPy arrays of real numbers, numbers as numbers; NaN or inf
    where the reference is finite is its own kind of difference ("nan")."""
    for path, want in expected.items():
        try:
            have = get_path(got, path)
        except LookupError as e:
            return Mismatch(path, want, str(e), "missing")
        why = leaf_status(want, have, rtol, atol)
        if why == "ok":
            continue
        if why != "value":
            return Mismatch(path, want, have, why)
        want_a, have_a = np.asarray(want, dtype=np.float64), np.asarray(have, dtype=np.float64)
        diff = np.abs(have_a - want_a)
        where = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape)) if diff.ndim else None
        return Mismatch(path, want, have, "value", float(diff.max()), where)
    return None


def first_change(before: Any, after: Any, path: str = "") -> str | None:
    """The path of the first leaf of ``after`` that differs from ``before`` (None if untouched)."""
    if isinstance(before, dict):
        if not isinstance(after, dict) or set(before) != set(after):
            return path or "/"
        for k in before:
            p = first_change(before[k], after[k], f"{path}/{k}")
            if p:
                return p
        return None
    if isinstance(before, (list, tuple)):
        if not isinstance(after, (list, tuple)) or len(before) != len(after):
            return path or "/"
        for i, (b, a) in enumerate(zip(before, after)):
            p = first_change(b, a, f"{path}/{i}")
            if p:
                return p
        return None
    if isinstance(before, np.ndarray):
        same = isinstance(after, np.ndarray) and after.shape == before.shape and bool(np.array_equal(after, before, equal_nan=True))
        return None if same else (path or "/")
    return None if before == after else (path or "/")


def input_name(exercise: str, path: str) -> str:
    """``"/0/W_f"`` of clip_grad_norm's arguments -> ``grads["W_f"]``."""
    segs = [s for s in path.split("/") if s]
    names = UNTOUCHED.get(exercise, ())
    head = names[int(segs[0])] if segs and segs[0].isdigit() and int(segs[0]) < len(names) else "an argument"
    return head + "".join(f"[{s}]" if s.isdigit() else f'["{s}"]' for s in segs[1:])


def judge(name: str, expected: dict[str, Any], wrong: dict[str, dict[str, Any]], got: Any, rtol: float, atol: float,
          *, args_before: Any = None, args_after: Any = None, symbolic: bool = False) -> Verdict:
    """The verdict on one result: does it match the reference's leaves, and if not, where and why.

    ``wrong``: {hint key: leaves} of typical mistakes on the same inputs. With ``args_before`` /
    ``args_after`` (UNTOUCHED exercises) a changed input fails too. ``symbolic``: describe
    time steps relative to T (for hidden checks, which keep their inputs to themselves)."""
    changed = None
    if args_before is not None:
        path = first_change(args_before, args_after)
        changed = input_name(name, path) if path else None
    m = compare(expected, got, rtol, atol)
    if m is None and changed is None:
        return Verdict(True)
    d = diagnose(name, expected, got, rtol, atol, symbolic=symbolic) if m is not None else None
    hint = "input_changed" if changed else None
    if hint is None:
        for key, leaves in wrong.items():
            if compare(leaves, got, rtol, atol) is None:
                hint = key
                break
    if hint is None and d is not None:
        hint = d.hint
    if hint is None and m is not None:
        hint = {"type": "not_an_array", "nan": "nan_result"}.get(m.why)
    return Verdict(False, m, hint, d.lines if d else [], changed)


# --------------------------------------------------------------------------- reference prerequisites
class PrerequisiteCallMismatch(RuntimeError):
    """A prerequisite was called with arguments the reference never passes it on this case."""


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b)
                and all(_same(x, y) for x, y in zip(a, b)))
    if isinstance(a, (np.ndarray, float, int, np.number)) and isinstance(b, (np.ndarray, float, int, np.number)):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or a.dtype.kind not in "fiub" or b.dtype.kind not in "fiub":
            return False
        with np.errstate(all="ignore"):
            return bool(np.all((np.abs(a - b) <= 1e-12 + 1e-9 * np.abs(b)) | (a == b)))
    return a == b


def _bind(params: list[str], args: tuple, kwargs: dict) -> dict[str, Any]:
    bound = {params[i] if i < len(params) else f"arg{i}": a for i, a in enumerate(args)}
    bound.update(kwargs)
    return {k: v for k, v in bound.items() if v is not None}


@dataclass
class _Prerequisite:
    name: str
    fn: Callable | None  # the learner's own, as the notebook uses it
    healthy: bool  # passes its own public checks (with its own prerequisites)
    note: str | None  # what to fix first, when not healthy


class RecordedReference:
    """Stands in for a prerequisite: answers a call the reference made on this case with the
    reference's recorded result; any other call goes to the learner's own function when that one
    passes its checks (else it is refused with a sentence saying why)."""

    def __init__(self, exercise: str, prereq: _Prerequisite, calls: list[dict], params: list[str]) -> None:
        self.exercise, self.prereq, self.params = exercise, prereq, params
        self.calls = [(_bind(params, tuple(c["args"]), c["kwargs"]), c["out"]) for c in calls]
        self.used = 0
        self.__name__ = prereq.name

    def __call__(self, *args, **kwargs):
        self.used += 1
        bound = _bind(self.params, args, kwargs)
        for want, out in self.calls:
            if set(want) == set(bound) and all(_same(bound[k], want[k]) for k in want):
                return copy.deepcopy(out)
        if self.prereq.fn is not None and self.prereq.healthy:
            return self.prereq.fn(*args, **kwargs)
        raise PrerequisiteCallMismatch(
            f"{self.prereq.name} was called with arguments that the reference {self.exercise} never passes it "
            f"on these inputs, and your own {self.prereq.name} cannot stand in (it fails its checks): check what "
            f"you pass to {self.prereq.name} ({', '.join(self.params)})")


def _unwrapped(fn: Callable) -> Callable:
    try:
        return inspect.unwrap(fn)
    except ValueError:
        return fn


def _with_globals(fn: Callable, names: dict[str, Callable]) -> Callable:
    """``fn`` reading ``names`` instead of its own globals of those names (a copy; fn is untouched)."""
    base = _unwrapped(fn)
    if not isinstance(base, types.FunctionType) or not names:
        return fn
    g = dict(base.__globals__)
    g.update(names)
    new = types.FunctionType(base.__code__, g, base.__name__, base.__defaults__, base.__closure__)
    new.__kwdefaults__ = base.__kwdefaults__
    new.__qualname__ = base.__qualname__
    return new


def _found_prerequisite(name: str, p: str, fn: Callable, extra: dict) -> Callable | None:
    if name == "train_step" and p in ("lstm_forward", "lstm_backward"):
        return extra.get("forward" if p == "lstm_forward" else "backward")
    g = getattr(_unwrapped(fn), "__globals__", {})
    found = g.get(p)
    return found if callable(found) else None


def _health(p: str, fn_p: Callable, extra: dict, seen: set[str]) -> _Prerequisite:
    """Does the learner's ``p`` pass its own public checks, as it runs in the notebook (with the
    learner's own earlier functions)? If not, which function to fix first."""
    notebook = course.get(p).notebook
    if not implemented(fn_p):
        return _Prerequisite(p, fn_p, False, f"your {p} ({notebook}) is not written yet: finish it first")
    results = run_checks(p, fn_p, reference_prerequisites=False)
    if all(r.passed for r in results):
        return _Prerequisite(p, fn_p, True, None)
    for q in course.get(p).requires:  # a deeper cause: an earlier function of the learner's
        fn_q = _found_prerequisite(p, q, fn_p, extra)
        if fn_q is not None and q not in seen:
            seen.add(q)
            deeper = _health(q, fn_q, extra, seen)
            if not deeper.healthy:
                return _Prerequisite(p, fn_p, False, deeper.note)
    return _Prerequisite(p, fn_p, False, f"your {p} ({notebook}) fails its checks: fix it first")


def prerequisites(name: str, fn: Callable, extra: dict | None = None) -> list[_Prerequisite]:
    """The learner's own versions of the functions ``name`` builds on, each with its health."""
    extra = extra or {}
    out = []
    for p in course.get(name).requires:
        fn_p = _found_prerequisite(name, p, fn, extra)
        if fn_p is None or isinstance(fn_p, RecordedReference):
            out.append(_Prerequisite(p, None, True, None))
            continue
        out.append(_health(p, fn_p, extra, {p}))
    return out


# --------------------------------------------------------------------------- running the checks
def run_checks(name: str, fn: Callable, data_dir=None, *, reference_prerequisites: bool = True,
               prereqs: list[_Prerequisite] | None = None, **extra) -> list[CheckResult]:
    """Run every public case of exercise ``name`` on ``fn``. ``extra`` keywords go to every call
    (e.g. ``forward=``/``backward=`` for train_step). With ``reference_prerequisites`` (the
    default, as the grader) the functions ``name`` builds on answer with the reference's results."""
    results = []
    call = CALLS.get(name, _call_default)
    if reference_prerequisites and course.get(name).requires and prereqs is None:
        prereqs = prerequisites(name, fn, extra)
    for case in load(name, data_dir):
        args, kwargs = copy.deepcopy(case["args"]), copy.deepcopy(case["kwargs"])
        called = describe_call(name, fn, args, {k: v for k, v in kwargs.items() if k != "lr"})
        res = CheckResult(name, case["id"], case["about"], PASS, called)
        use_fn, use_extra, oracles = fn, dict(extra), {}
        if reference_prerequisites and prereqs:
            for pr in prereqs:
                oracles[pr.name] = RecordedReference(name, pr, case["calls"].get(pr.name, []),
                                                     case["call_params"].get(pr.name, []))
            if name == "train_step":
                use_extra["forward"], use_extra["backward"] = oracles.pop("lstm_forward"), oracles.pop("lstm_backward")
                oracles_used = (use_extra["forward"],)
            else:
                oracles_used = ()
            use_fn = _with_globals(fn, oracles)
        else:
            oracles_used = ()
        before = copy.deepcopy(args) if name in UNTOUCHED else None
        try:
            with np.errstate(all="ignore"):
                out = call(use_fn, args, kwargs, use_extra)
        except NotImplementedError as e:
            if _raised_by(e, fn):
                res.status, res.error = TODO, str(e) or f"{name} still raises NotImplementedError: write its body in the graded cell"
            else:
                res.status, res.error = ERROR, f"NotImplementedError: {e}"
                if oracles_used and not oracles_used[0].used:
                    res.hint = "loss_kwargs_dropped"
            results.append(res)
            continue
        except Exception as e:  # a learner's bug, reported rather than raised: the other checks still run
            res.status, res.error, res.hint = ERROR, f"{type(e).__name__}: {e}", hint_for_error(e)
            results.append(res)
            continue
        if oracles_used and not oracles_used[0].used:
            # The forward pass handed over in **loss_kwargs was never run: the loss came from elsewhere.
            res.status, res.hint = FAIL, "loss_kwargs_dropped"
            res.error = "your train_step never ran the forward= it received in **loss_kwargs"
            results.append(res)
            continue
        v = judge(name, case["expected"], case["wrong"], out, case["rtol"], case["atol"],
                  args_before=before, args_after=args if before is not None else None)
        if not v.passed:
            res.status, res.mismatch, res.hint, res.where = FAIL, v.mismatch, v.hint, v.where
            if v.changed:
                res.where = [f"your function changed its input {v.changed} in place"] + res.where
        results.append(res)
    return results


def _raised_by(exc: BaseException, fn: Callable) -> bool:
    """Did ``fn``'s own body raise ``exc`` (the released stub), rather than something it called?"""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return False
    code = tb.tb_frame.f_code
    return code in (getattr(_unwrapped(fn), "__code__", None), getattr(fn, "__code__", None))


def _fmt(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, np.ndarray) or isinstance(value, (float, int, np.number)):
        a = np.asarray(value)
        if a.ndim == 0:
            return f"{float(a):.6g}"
        body = np.array2string(a, precision=4, suppress_small=True, threshold=12, edgeitems=2, max_line_width=88)
        return f"array of shape {a.shape}:\n" + "\n".join("              " + line for line in body.splitlines())
    return f"{type(value).__name__} {value!r}"[:200]


def report(results: list[CheckResult], notes: list[str] | tuple[str, ...] = ()) -> str:
    """The text ``check`` prints."""
    if not results:
        return "no public checks"
    name = results[0].exercise
    if all(r.status == TODO for r in results):
        return f"{name}: NOT IMPLEMENTED yet (not attempted): {results[0].error}"
    n_ok = sum(r.passed for r in results)
    lines = [f"{name}: {n_ok}/{len(results)} public checks passed"]
    for r in results:
        lines.append(f"  {r.status}  {r.about}")
        if r.passed:
            continue
        if r.status == TODO:
            lines.append(f"        {r.error}")
            continue
        lines.append(f"        called    {r.called}")
        if r.status == ERROR or (r.error and r.mismatch is None):
            lines.append(f"        {'raised   ' if r.status == ERROR else 'problem  '} {r.error}")
        for i, w in enumerate(r.where):
            lines.append(f"        {'where' if i == 0 else '     '}     {w}")
        if r.mismatch is not None:
            m = r.mismatch
            what = output_name(name, m.path)
            if m.why == "missing":
                lines.append(f"        {what} is missing: the result {m.got or 'has the wrong structure'}")
            elif m.why == "type":
                lines.append(f"        expected  {what} = {_fmt(m.expected)}")
                lines.append(f"        got       {type(m.got).__name__}"
                             + (f" of dtype {m.got.dtype}" if isinstance(m.got, np.ndarray) else "")
                             + ": return a NumPy array of floats" + (" (a number)" if np.ndim(m.expected) == 0 else ""))
            else:
                lines.append(f"        expected  {what} = {_fmt(m.expected)}")
                lines.append(f"        got       {_fmt(m.got)}")
                if m.why == "shape":
                    lines.append(f"        shape     expected {np.shape(m.expected)}, got {np.shape(m.got)}")
                elif m.why == "nan":
                    lines.append("        NaN or inf where the expected values are finite")
                elif m.max_diff is not None:
                    at = f" at index {m.where}" if m.where else ""
                    lines.append(f"        largest difference {m.max_diff:.3g}{at}")
        if r.hint:
            lines.append(f"        hint      {hint_text(r.hint)}")
    for note in notes:
        lines.append(f"  note  {note}")
    return "\n".join(lines)


def check(name: str, fn: Callable, **extra) -> None:
    """Run the public checks of exercise ``name`` on ``fn`` and print the report."""
    prereqs = prerequisites(name, fn, extra) if course.get(name).requires and implemented(fn) else []
    results = run_checks(name, fn, prereqs=prereqs, **extra)
    notes = [p.note for p in prereqs if p.note] if not all(r.status == TODO for r in results) else []
    if notes:
        ref = ", ".join(p.name for p in prereqs)
        notes.append(f"the checks above ran {name} with the reference {ref} in their place (as the grader does), "
                     f"so they judge {name} alone; in this notebook it still runs with your own")
    print(report(results, notes))
