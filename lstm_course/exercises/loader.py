"""Use a learner's own function from another exercise notebook.

Later notebooks build on earlier ones: notebook 05's ``lstm_cell_forward`` calls the learner's
own gates from notebooks 02-04, not the reference. ::

    forget_gate = load_learner_function("02_forget_gate.ipynb", "forget_gate")

reads the sibling notebook (as saved on disk), runs its cells tagged ``setup`` (imports, and the
functions *it* loads from earlier notebooks), then its graded cells up to the one whose nbgrader
``grade_id`` is asked for, in a fresh namespace, and returns the function that cell defines.
Nothing else of that notebook runs (no plots, no training).

Errors are :class:`LearnerFunctionError` with a sentence saying what to do: notebook missing,
graded cell missing, the cell fails to execute, or it does not define the function. A cell
still holding ``raise NotImplementedError()`` loads fine; calling the function then raises
``NotImplementedError`` naming the notebook to finish first, and ``implemented(fn)`` is False.

Notebooks are looked up in ``directory``, else ``$LSTM_COURSE_EXERCISES``, else the current
directory (Jupyter and nbval run a notebook in its own folder, next to its siblings).
"""
from __future__ import annotations

import functools
import inspect
import os
from pathlib import Path
from typing import Any, Callable

from .cells import NotebookError, cells_tagged, graded_cells, read_notebook, solution_done, source

_CACHE: dict[tuple[str, int, str], Callable] = {}
_LOADING: list[str] = []


class LearnerFunctionError(RuntimeError):
    """A learner's function could not be loaded from its notebook; the message says why and what to do."""


def _locate(notebook: str, directory: str | Path | None) -> Path:
    base = Path(directory) if directory is not None else Path(os.environ.get("LSTM_COURSE_EXERCISES", "."))
    path = base / notebook
    if not path.is_file():
        raise LearnerFunctionError(f"cannot find {notebook} in {base.resolve()}: keep every exercise notebook in one folder, "
                                   "with the file names they were released under")
    return path


def _strip_magics(code: str) -> str:
    # setup cells may hold IPython magics (%matplotlib); plain exec does not understand them
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in code.splitlines())


def load_learner_function(notebook: str, grade_id: str, directory: str | Path | None = None) -> Callable:
    """The function defined by graded cell ``grade_id`` of ``notebook`` (see the module docstring)."""
    path = _locate(notebook, directory)
    key = (str(path.resolve()), path.stat().st_mtime_ns, grade_id)
    if key in _CACHE:
        return _CACHE[key]
    if str(path.resolve()) in _LOADING:
        raise LearnerFunctionError(f"{notebook} loads itself through its setup cells; load only from EARLIER notebooks")
    try:
        nb = read_notebook(path)
        graded = graded_cells(nb)
    except NotebookError as e:
        raise LearnerFunctionError(str(e)) from None
    if grade_id not in graded:
        have = ", ".join(graded) or "none"
        raise LearnerFunctionError(f"{notebook} has no graded cell {grade_id!r} (graded cells found: {have}); "
                                   "if you deleted it or its metadata, copy the cell back from a fresh copy of the notebook")
    ns: dict[str, Any] = {"__name__": f"learner_{Path(notebook).stem}"}
    _LOADING.append(str(path.resolve()))
    try:
        for i, cell in enumerate(cells_tagged(nb, "setup")):
            _run(_strip_magics(source(cell)), f"<{notebook} setup cell {i + 1}>", ns, notebook, "a setup cell")
        for gid, cell in graded.items():
            _run(source(cell), f"<{notebook} graded cell {gid}>", ns, notebook, f"the graded cell {gid!r}")
            if gid == grade_id:
                break
    finally:
        _LOADING.pop()
    fn = ns.get(grade_id)
    if not callable(fn):
        raise LearnerFunctionError(f"the graded cell {grade_id!r} of {notebook} does not define a function named {grade_id}: "
                                   "keep the function's name and signature as given")
    wrapped = _wrap(fn, notebook, grade_id, solution_done(source(graded[grade_id])))
    _CACHE[key] = wrapped
    return wrapped


def _run(code: str, filename: str, ns: dict, notebook: str, what: str) -> None:
    try:
        exec(compile(code, filename, "exec"), ns)  # noqa: S102 - running the learner's own cell is the point
    except LearnerFunctionError:
        raise
    except Exception as e:
        raise LearnerFunctionError(f"running {what} of {notebook} failed with {type(e).__name__}: {e}; "
                                   f"open {notebook}, fix that cell and save the notebook") from e


def _wrap(fn: Callable, notebook: str, grade_id: str, done: bool) -> Callable:
    @functools.wraps(fn)
    def learner_function(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except NotImplementedError as e:
            if str(e):
                raise
            raise NotImplementedError(f"{grade_id} is not done yet: write its body in the graded cell of {notebook}, "
                                      "save that notebook, then re-run this one") from None

    learner_function.__learner_done__ = done
    learner_function.__learner_notebook__ = notebook
    return learner_function


def implemented(*fns: Callable) -> bool:
    """True when none of ``fns`` still holds the released stub (``raise NotImplementedError()``).

    Works for loaded functions (they carry a flag) and for functions defined in the running
    notebook (their source is read back); lets a demo cell wait politely for the learner.
    """
    for f in fns:
        done = getattr(f, "__learner_done__", None)
        if done is None:
            try:
                done = solution_done(inspect.getsource(f))
            except (OSError, TypeError):
                done = True
        if not done:
            return False
    return True
