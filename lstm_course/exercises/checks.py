"""Public checks: run a learner's function on the shipped inputs, compare, explain.

In a notebook, right under a graded cell::

    check("forget_gate", forget_gate)

prints PASS for each public case, or what was called, what was expected, what came back,
the largest difference and, when the output matches a typical mistake, a hint. It runs in
well under a second and needs no reference code (the data comes from :mod:`.checkdata`).

For programs (the grader): ``run_checks(name, fn, **extra) -> list[CheckResult]`` and
``compare(expected, got, rtol, atol) -> Mismatch | None``.
"""
from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .checkdata import get_path, load
from .hints import HINTS, hint_for_error

PASS, FAIL, ERROR, TODO = "PASS", "FAIL", "ERROR", "NOT IMPLEMENTED"


@dataclass
class Mismatch:
    path: str  # which leaf of the return value
    expected: Any
    got: Any
    why: str  # "shape", "value", "missing", "type"
    max_diff: float | None = None
    where: tuple[int, ...] | None = None


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
    return repr(value)


def describe_call(name: str, fn: Callable, args: list, kwargs: dict) -> str:
    try:
        names = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        names = []
    parts = [f"{names[i] if i < len(names) else f'arg{i}'}={_describe(a)}" for i, a in enumerate(args)]
    parts += [f"{k}={_describe(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def compare(expected: dict[str, Any], got: Any, rtol: float, atol: float) -> Mismatch | None:
    """The first leaf of ``got`` that differs from ``expected`` ({path: value}), or None."""
    for path, want in expected.items():
        try:
            have = get_path(got, path)
        except LookupError as e:
            return Mismatch(path, want, str(e), "missing")
        want_a = np.asarray(want)
        try:
            have_a = np.asarray(have, dtype=np.float64)
        except (TypeError, ValueError):
            return Mismatch(path, want, have, "type")
        if have_a.shape != want_a.shape:
            return Mismatch(path, want, have, "shape")
        if not np.allclose(have_a, want_a, rtol=rtol, atol=atol, equal_nan=False):
            diff = np.abs(np.nan_to_num(have_a - want_a, nan=np.inf))
            where = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape)) if diff.ndim else None
            return Mismatch(path, want, have, "value", float(diff.max()), where)
    return None


def run_checks(name: str, fn: Callable, data_dir=None, **extra) -> list[CheckResult]:
    """Run every public case of exercise ``name`` on ``fn``. ``extra`` keywords go to every call
    (e.g. ``forward=``/``backward=`` for train_step)."""
    results = []
    call = CALLS.get(name, _call_default)
    for case in load(name, data_dir):
        args, kwargs = copy.deepcopy(case["args"]), copy.deepcopy(case["kwargs"])
        called = describe_call(name, fn, args, kwargs)
        res = CheckResult(name, case["id"], case["about"], PASS, called)
        try:
            out = call(fn, args, kwargs, extra)
        except NotImplementedError as e:
            res.status, res.error = TODO, str(e) or f"{name} still raises NotImplementedError: write its body in the graded cell"
            results.append(res)
            continue
        except Exception as e:  # a learner's bug, reported rather than raised: the other checks still run
            res.status, res.error, res.hint = ERROR, f"{type(e).__name__}: {e}", hint_for_error(e)
            results.append(res)
            continue
        mismatch = compare(case["expected"], out, case["rtol"], case["atol"])
        if mismatch is not None:
            res.status, res.mismatch = FAIL, mismatch
            for hint, wrong in case["wrong"].items():
                if compare(wrong, out, case["rtol"], case["atol"]) is None:
                    res.hint = hint
                    break
        results.append(res)
    return results


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


def report(results: list[CheckResult]) -> str:
    """The text ``check`` prints."""
    if not results:
        return "no public checks"
    name = results[0].exercise
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
        if r.status == ERROR:
            lines.append(f"        raised    {r.error}")
        elif r.mismatch is not None:
            m = r.mismatch
            what = f"result[{']['.join(m.path.split('/'))}]" if m.path else "result"
            if m.why == "missing":
                lines.append(f"        {what} is missing: the result {m.got or 'has the wrong structure'}")
            else:
                lines.append(f"        expected  {what} = {_fmt(m.expected)}")
                lines.append(f"        got       {_fmt(m.got)}")
                if m.why == "shape":
                    lines.append(f"        shape     expected {np.shape(m.expected)}, got {np.shape(m.got)}")
                elif m.max_diff is not None:
                    at = f" at index {m.where}" if m.where else ""
                    lines.append(f"        largest difference {m.max_diff:.3g}{at}")
        if r.hint:
            lines.append(f"        hint      {HINTS[r.hint]}")
    return "\n".join(lines)


def check(name: str, fn: Callable, **extra) -> None:
    """Run the public checks of exercise ``name`` on ``fn`` and print the report."""
    print(report(run_checks(name, fn, **extra)))
