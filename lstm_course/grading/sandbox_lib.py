"""The sandbox's stand-in for ``lstm_course``: the package's helpers without a single solution.

Learner cells import helpers the notebooks use (``from lstm_course.gates import _check_gate,
concat_hx``, ``from lstm_course.activations import sigmoid`` ...). Inside the sandbox those
imports resolve to a generated package holding, for each module, only its imports, constants
and the functions and classes that are not graded: any definition whose name is an exercise,
that computes an exercise's result some other way (the fused fast path, the model's forward
and backward), or whose body carries a ``### BEGIN SOLUTION`` marker is left out. A module-level
``__getattr__`` turns every missing name into a function that raises a clear error, and the
runner rebinds exercise names to oracles or to that error, exercise by exercise.

:func:`build` writes the package with the runner, :mod:`wire` and :mod:`namespaces` next to it; :func:`leaks`
is what the tests use to prove nothing graded went in.
"""
from __future__ import annotations

import ast
import compileall
import shutil
from pathlib import Path

from .. import course

PACKAGE = Path(__file__).resolve().parent.parent
# Modules whose helpers learner cells may import. Others (torch bridge, plots, widgets,
# data sets, the exercise tooling) are not needed by graded code and stay out.
MODULES = ("activations", "validation", "params", "gates", "cell", "sequence", "rnn", "optim", "losses",
           "model", "gradcheck")
EMPTY_MODULES = ("fast",)  # every name in it does an exercise's work
# Not exercises, but they compute one's result: never in the sandbox (train_step's checks get
# loss_and_grads as an oracle instead).
WITHHELD = ("lstm_forward_fast", "lstm_backward_fast", "gate_trace", "model_forward", "model_backward",
            "loss_and_grads", "predict", "fit", "rnn_backward")
MARKER = "### BEGIN SOLUTION"

_GETATTR = '''

def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)

    def unavailable(*args, **kwargs):
        raise NameError(f"{name} is not available in the grader's sandbox: graded code must compute it with NumPy")
    unavailable.__name__ = name
    return unavailable
'''


def withheld_names() -> tuple[str, ...]:
    """Every name the sandbox never defines from the package: the exercises and :data:`WITHHELD`."""
    return tuple(e.name for e in course.EXERCISES) + WITHHELD


def helpers_only(source: str, withheld: set[str]) -> str:
    """The module ``source`` with every withheld or solution-bearing definition removed."""
    tree = ast.parse(source)
    keep = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            segment = ast.get_source_segment(source, node) or ""
            if node.name in withheld or MARKER in segment:
                continue
        keep.append(node)
    return ast.unparse(ast.Module(body=keep, type_ignores=[])) + _GETATTR


def build(dest: Path) -> Path:
    """Write ``dest/runner.py``, ``dest/wire.py``, ``dest/namespaces.py`` and ``dest/lib/lstm_course/``; return ``dest``."""
    here = Path(__file__).resolve().parent
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("runner.py", "wire.py", "namespaces.py"):
        shutil.copyfile(here / name, dest / name)
    pkg = dest / "lib" / "lstm_course"
    pkg.mkdir(parents=True, exist_ok=True)
    withheld = set(withheld_names())
    for mod in MODULES:
        (pkg / f"{mod}.py").write_text(helpers_only((PACKAGE / f"{mod}.py").read_text(), withheld))
    for mod in EMPTY_MODULES:
        (pkg / f"{mod}.py").write_text('"""Withheld in the grader\'s sandbox."""' + _GETATTR)
    (pkg / "__init__.py").write_text(
        '"""lstm_course inside the grader\'s sandbox: helpers only, no solutions."""\n'
        + "\n".join(f"from . import {m}" for m in MODULES + EMPTY_MODULES) + "\n" + _GETATTR)
    leaked = leaks(pkg)
    if leaked:
        raise RuntimeError(f"refusing to grade: the sandbox library would hold graded code: {leaked}")
    # Bytecode now: the sandbox mounts this read-only, and compiling on every learner's start costs
    # more CPU than importing numpy.
    compileall.compile_dir(str(dest), quiet=1)
    return dest


def leaks(pkg: Path) -> list[str]:
    """Solution markers or withheld definitions found in the generated package (should be [])."""
    found = []
    withheld = set(withheld_names())
    for path in sorted(pkg.glob("*.py")):
        text = path.read_text()
        if MARKER in text:
            found.append(f"{path.name}: {MARKER}")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in withheld:
                found.append(f"{path.name}: def {node.name}")
    return found
