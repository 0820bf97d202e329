"""Grade one exercise's code in this process, without a sandbox: for measuring the checks.

The fairness test (``tests/grader/test_fairness.py``) and the mutation benchmark
(``benchmarks/mutants.py``) grade thousands of variants of a function under many learner ids;
starting a sandbox for each would measure the sandbox, not the checks. This module runs the
same checks, inputs, oracles, comparison and scoring as a real run (:mod:`.checks`), with the
runner's calling conventions and a :mod:`.wire` round trip of everything that would cross the
sandbox boundary. It runs the code it is given with no isolation at all: never use it on a
learner's submission (``lstm-course grade`` does that, sandboxed).

    points, records = grade_source("forget_gate", source, learner="ann")
"""
from __future__ import annotations

import builtins
import math
import struct
from typing import Any

import numpy as np

from .. import course
from . import wire
from .checks import ORACLE_FUNCTIONS, SPECS, checks_for, error_feedback, evaluate, make_inputs, score

_IMPORTS = {  # what each notebook's setup cell imports for its graded code (see exercises.sync)
    nb: None for nb in course.NOTEBOOKS
}


def _roundtrip(value: Any) -> Any:
    frame = wire.encode(value)
    (n,) = struct.unpack(">Q", frame[:8])
    return wire.decode(frame[8:8 + n])


def _imports(notebook: str) -> list[str]:
    if _IMPORTS.get(notebook) is None:
        from ..exercises import sync

        lines = [line for line in sync.setup_source(notebook).splitlines()
                 if line.startswith(("import ", "from ")) and "lstm_course.exercises" not in line]
        _IMPORTS[notebook] = lines
    return _IMPORTS[notebook]


class _Error(Exception):
    """The learner function raised: ``message`` is what the runner would have sent."""


def _describe(exc: BaseException) -> str:
    msg = str(exc)
    line = ""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.startswith("<your "):
            line = f" (line {tb.tb_lineno} of your cell)"
        tb = tb.tb_next
    return f"{type(exc).__name__}: {msg[:600]}{line}"


def load_function(name: str, source: str):
    """Execute ``source`` as the runner does (numpy, the notebook's imports, prerequisites bound to
    oracles, other graded names blocked) and return the function ``name`` it defines."""
    spec = SPECS[name]
    ns: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins, "np": np, "numpy": np, "math": math}
    for line in _imports(course.get(name).notebook):
        exec(compile(line, "<your notebook's imports>", "exec"), ns)  # noqa: S102 - the course's own imports
    allowed = set(course.get(name).requires) | set(spec.oracles)
    for g in [e.name for e in course.EXERCISES] + ["loss_and_grads"]:
        if g == name:
            continue
        ns[g] = _oracle(g) if g in allowed else _blocked(g, name)
    exec(compile(source, f"<your {name} cell>", "exec"), ns)  # noqa: S102 - instructor-supplied variants only
    return ns[name]


def _oracle(fname: str):
    def call(*args, **kwargs):
        args, kwargs = _roundtrip(list(args)), _roundtrip(kwargs)
        try:
            with np.errstate(all="ignore"):
                value = ORACLE_FUNCTIONS[fname](*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - as the sandbox's oracle: the reference's error, by type
            kind = type(e) if type(e).__name__ in ("ValueError", "TypeError", "KeyError", "IndexError") else RuntimeError
            raise kind(f"{fname}: {e}") from None
        if fname == "lstm_forward":
            value = (value[0], value[1], list(value[2]))
        return _roundtrip(value)
    call.__name__ = fname
    return call


def _blocked(fname: str, current: str):
    def call(*args, **kwargs):
        raise NameError(f"{fname} is not available while grading {current}: write it with NumPy")
    return call


class _SGD:
    def __init__(self, lr: float) -> None:
        self.lr = lr

    def step(self, params, grads) -> None:
        for k, g in grads.items():
            params[k] -= self.lr * g


def run_one(name: str, fn, inputs: dict) -> tuple[str, Any]:
    """("ok", value) or ("error", message): one call, as the runner makes it and the grader receives it."""
    spec = SPECS[name]
    args, kwargs = _roundtrip(list(inputs["args"])), _roundtrip(dict(inputs["kwargs"]))
    try:
        with np.errstate(all="ignore"):
            if spec.kind == "train_step":
                params = args[0]
                loss = fn(params, args[1], args[2], _SGD(inputs["lr"]), **kwargs)
                value = {"loss": loss, "params": params}
            elif spec.kind == "echo_args":
                value = {"value": fn(*args, **kwargs), "args": args}
            else:
                value = fn(*args, **kwargs)
        return "ok", _roundtrip(value)
    except wire.WireError as e:
        return "error", f"WireError: your function returned something the grader cannot read: {e}"
    except Exception as e:  # noqa: BLE001 - the learner's error
        return "error", _describe(e)


def grade_function(name: str, fn, learner: str = "learner", which: str = "all",
                   explain: bool = True) -> tuple[float, list[dict]]:
    """(points, check records) of ``fn`` on the checks of exercise ``name`` for ``learner``:
    ``which`` = "all", "public" or "hidden" (the points are meaningful for "all" only);
    ``explain=False`` skips the feedback (the verdicts are the same)."""
    spec = SPECS[name]
    records = []
    for check in checks_for(name):
        if which != "all" and check.public != (which == "public"):
            continue
        rec = {"name": check.name, "public": check.public, "edge": check.edge, "passed": True}
        draws = make_inputs(spec, check, learner)
        for k, inputs in enumerate(draws):
            kind, value = run_one(name, fn, inputs)
            draw = f"draw {k + 1} of {len(draws)}" if len(draws) > 1 else ""
            j = error_feedback(spec, check, value, draw) if kind == "error" else \
                evaluate(spec, check, inputs, value, draw, explain)
            if not j.passed:
                rec.update(passed=False, detail=j.detail, hint=j.hint)
                break
        records.append(rec)
    return score(records, course.get(name).points), records


def grade_source(name: str, source: str, learner: str = "learner", which: str = "all",
                 explain: bool = True) -> tuple[float, list[dict]]:
    """:func:`grade_function` of the function ``source`` defines (0 points if it does not run)."""
    try:
        fn = load_function(name, source)
    except Exception as e:  # noqa: BLE001
        return 0.0, [{"name": "load", "public": True, "edge": False, "passed": False, "detail": _describe(e)}]
    return grade_function(name, fn, learner, which, explain)

