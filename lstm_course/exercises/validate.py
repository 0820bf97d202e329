"""Before submitting: is a folder of exercise notebooks in the form the grader reads?

``lstm-course validate DIR`` (and the generated last cell of every exercise notebook, for that
notebook) checks the notebooks *as saved on disk*, in the order the grader reads them:

1. every released notebook is there under its released name; a near miss
   (``02_forget_gate (1).ipynb``, ``02_Forget_Gate.ipynb``) is named with the name to give it;
2. each is a readable notebook;
3. every graded cell is present, once, with its nbgrader ``grade_id``;
4. each graded cell parses and defines the function under its released name with its released
   signature (the grader's rule: the released parameters first, in order, and nothing else required);
5. the function loads as the notebook's later cells load it, and its public checks run.

Problems with 1-5 cost points whatever the code computes, so they make the command exit 1.
An exercise not done yet, or a public check that fails, is reported but is not a problem of form:
the grader scores it as it scores any answer (and runs more, hidden, checks).

The public checks run in this process, as the notebook's check cells do: validate your own work,
not someone else's. API: ``validate(directory, notebook=None) -> Report``, ``Report.text()``,
``Report.ok``; ``validate_here(notebook)`` prints the report of one notebook (the generated cell).
"""
from __future__ import annotations

import ast
import copy
import difflib
import inspect
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .. import course
from .cells import NotebookError, graded_cells, nbgrader_meta, read_notebook, solution_done, source

PROBLEM, NOTE, OK = "PROBLEM", "note", "ok"


@dataclass
class Finding:
    level: str  # PROBLEM (costs points for its form), note, or ok
    notebook: str
    exercise: str | None
    text: str


@dataclass
class Report:
    directory: Path
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing would cost points for its form."""
        return not any(f.level == PROBLEM for f in self.findings)

    def add(self, level: str, notebook: str, exercise: str | None, text: str) -> None:
        self.findings.append(Finding(level, notebook, exercise, text))

    def text(self) -> str:
        lines = []
        for f in self.findings:
            lines.append(f"{f.level:<7}  {f.notebook:<26} {f.exercise or '':<18} {f.text}")
        problems = sum(f.level == PROBLEM for f in self.findings)
        if problems:
            lines.append(f"{problems} problem(s) of form: the grader would take points off for them whatever your code "
                         "computes. Fix each PROBLEM above, save, and validate again.")
        else:
            lines.append("The form is right: every notebook and graded cell is where the grader looks for it.")
        return "\n".join(lines)


def released_signature(name: str) -> inspect.Signature:
    """The signature of exercise ``name`` as released (the student package keeps every signature), without annotations."""
    sig = inspect.signature(course.reference(name))
    return sig.replace(parameters=[p.replace(annotation=p.empty) for p in sig.parameters.values()],
                       return_annotation=sig.empty)


def _unannotated(args: ast.arguments) -> str:
    args = copy.deepcopy(args)
    for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
        if a is not None:
            a.annotation = None
    return ast.unparse(args)


def signature_problem(fn: ast.FunctionDef, name: str) -> str | None:
    """Why the grader would not call ``fn`` as exercise ``name``, or None.

    The grader's rule: the released positional parameters come first, in order, under their names,
    and nothing beyond them is required; and the released keyword-only parameters are still accepted.
    """
    sig = released_signature(name)
    expected = [p.name for p in sig.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    keyword = [p.name for p in sig.parameters.values() if p.kind == p.KEYWORD_ONLY]
    a = fn.args
    positional = [p.arg for p in a.posonlyargs + a.args]
    required = positional[: len(positional) - len(a.defaults)]
    released, yours = f"{name}{sig}", f"{name}({_unannotated(a)})"
    if positional[: len(expected)] != expected or len(required) > len(expected):
        return f"wrong signature: the released one is {released}, yours is {yours}; keep the released parameters"
    missing = [k for k in keyword if k not in {p.arg for p in a.kwonlyargs + a.args} and a.kwarg is None]
    if missing:
        return f"{yours} no longer accepts {', '.join(missing)}=...; the released signature is {released}"
    return None


def _near_miss(missing: str, extra: list[str]) -> str | None:
    stem = missing.removesuffix(".ipynb").lower()
    for name in extra:
        if name.lower().startswith(stem) or name.lower().replace(" ", "_") == missing.lower():
            return name
    close = difflib.get_close_matches(missing.lower(), [n.lower() for n in extra], n=1, cutoff=0.75)
    return next((n for n in extra if close and n.lower() == close[0]), None)


def check_names(directory: Path, report: Report) -> list[str]:
    """Step 1: the released notebooks present in ``directory``; misnamed and missing ones reported."""
    on_disk = sorted(p.name for p in directory.iterdir() if p.suffix == ".ipynb" and p.is_file())
    extra = [n for n in on_disk if n not in course.NOTEBOOKS]
    present = [n for n in course.NOTEBOOKS if n in on_disk]
    for name in course.NOTEBOOKS:
        if name in present:
            continue
        graded = bool(course.in_notebook(name))
        level = PROBLEM if graded else NOTE
        guess = _near_miss(name, extra)
        if guess:
            extra.remove(guess)
            report.add(level, name, None, f"not found, but {guess!r} is here: rename it to {name} (the grader reads "
                                          "the released names only)")
        else:
            report.add(level, name, None, "not found in this folder: submit every notebook under its released name"
                       + ("" if graded else " (this one has no graded cell, so no points hang on it)"))
    for name in extra:
        report.add(NOTE, name, None, "not a released notebook name: the grader ignores it")
    return present


@contextmanager
def _exercises_dir(directory: Path):
    # The setup cells load earlier functions with load_learner_function("02_...ipynb", ...), which
    # looks in $LSTM_COURSE_EXERCISES: point it at the folder being validated, then restore it.
    old = os.environ.get("LSTM_COURSE_EXERCISES")
    os.environ["LSTM_COURSE_EXERCISES"] = str(directory)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("LSTM_COURSE_EXERCISES", None)
        else:
            os.environ["LSTM_COURSE_EXERCISES"] = old


def check_notebook(directory: Path, name: str, report: Report) -> None:
    """Steps 2-5 for one released notebook."""
    try:
        nb = read_notebook(directory / name)
    except NotebookError as e:
        report.add(PROBLEM, name, None, str(e))
        return
    cells = [c for c in nb["cells"] if isinstance(c, dict)]
    exercises = course.in_notebook(name)
    if not exercises:
        report.add(OK, name, None, "present (no graded cell in this notebook)")
        return
    by_id: dict[str, list[dict]] = {}
    for cell in cells:
        gid = nbgrader_meta(cell).get("grade_id") if nbgrader_meta(cell).get("solution") else None
        if isinstance(gid, str) and cell.get("cell_type") == "code":
            by_id.setdefault(gid, []).append(cell)
    for gid in by_id:
        if gid not in {e.grade_id for e in exercises}:
            report.add(NOTE, name, gid, "a graded cell with an unknown grade_id: the grader ignores it")
    for ex in exercises:
        found = by_id.get(ex.grade_id, [])
        if not found:
            elsewhere = [i + 1 for i, c in enumerate(cells) if c.get("cell_type") == "code"
                         and f"def {ex.name}(" in source(c)]
            report.add(PROBLEM, name, ex.name, "the graded cell is missing (deleted, or its metadata was lost)"
                       + (f"; cell {elsewhere[0]} defines {ex.name} but is not the graded cell" if elsewhere else "")
                       + f". Copy the graded cell from a fresh copy of {name} and put your code in it")
            continue
        if len(found) > 1:
            report.add(PROBLEM, name, ex.name, f"the graded cell appears {len(found)} times; the grader grades only "
                                               "the last one. Delete the copies")
            continue
        code = source(found[0])
        try:
            tree = ast.parse(code)
        except SyntaxError as e:
            report.add(PROBLEM, name, ex.name, f"the graded cell has a syntax error on line {e.lineno}: {e.msg}")
            continue
        defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        fn = next((n for n in reversed(defs) if n.name == ex.name), None)
        if fn is None:
            names = ", ".join(n.name for n in defs) or "none"
            report.add(PROBLEM, name, ex.name, f"the graded cell defines no function named {ex.name} (functions "
                                               f"defined: {names}); keep the released name")
            continue
        problem = signature_problem(fn, ex.name)
        if problem:
            report.add(PROBLEM, name, ex.name, problem)
            continue
        if not solution_done(code):
            report.add(OK, name, ex.name, "form ok; not done yet (the cell still raises NotImplementedError)")
            continue
        report.add(*_public_checks(directory, name, ex))


def _public_checks(directory: Path, name: str, ex: course.Exercise) -> tuple[str, str, str, str]:
    from .checks import PASS, TODO, run_checks
    from .loader import LearnerFunctionError, load_learner_function

    try:
        fn = load_learner_function(name, ex.name, directory)
        extra = {}
        if ex.name == "train_step":  # as its check cell: the learner's own forward and backward passes
            extra = {f: load_learner_function(course.get(f).notebook, f, directory) for f in ("lstm_forward", "lstm_backward")}
            extra = {"forward": extra["lstm_forward"], "backward": extra["lstm_backward"]}
    except LearnerFunctionError as e:
        # Only a failure of this exercise's own cell costs its points: the grader runs each graded cell
        # on its own, with the reference standing in for earlier exercises, and reads no setup cell.
        own = f"graded cell {ex.grade_id!r} of {name}" in str(e)
        return (PROBLEM if own else NOTE), name, ex.name, f"the public checks cannot run: {e}"
    results = run_checks(ex.name, fn, **extra)
    passed = sum(r.status == PASS for r in results)
    todo = [r.error for r in results if r.status == TODO]
    text = f"form ok; public checks {passed}/{len(results)} pass"
    if todo:
        text += f" ({todo[0]})"
    elif passed < len(results):
        text += " (run its check cell for what differs)"
    return OK if passed == len(results) else NOTE, name, ex.name, text


def validate(directory: str | Path, notebook: str | None = None) -> Report:
    """Check the notebooks in ``directory`` (all of them, or only ``notebook``) as saved on disk."""
    directory = Path(directory).resolve()
    report = Report(directory)
    if not directory.is_dir():
        report.add(PROBLEM, str(directory), None, "is not a folder: give the folder that holds your exercise notebooks")
        return report
    if notebook is not None and notebook not in course.NOTEBOOKS:
        raise ValueError(f"no exercise notebook {notebook!r}; known: {', '.join(course.NOTEBOOKS)}")
    present = check_names(directory, report)
    if notebook is not None:
        report.findings = [f for f in report.findings if f.notebook == notebook or f.level == PROBLEM]
        present = [n for n in present if n == notebook]
    with _exercises_dir(directory):
        for name in present:
            try:
                check_notebook(directory, name, report)
            except Exception as e:  # a notebook malformed in a way nothing above expects: report it, go on
                report.add(PROBLEM, name, None, f"cannot be read as a notebook ({type(e).__name__}: {e}); "
                                                "re-download it and copy your code back in")
    return report


def validate_here(notebook: str) -> None:
    """The generated last cell of each exercise notebook: validate it (as saved) and its folder's names."""
    report = validate(".", notebook)
    print(f"Validating {notebook} as last saved on disk (save it first), and the names in its folder:")
    print(report.text())
    print("To check all the notebooks at once, run `.venv/bin/lstm-course validate exercises/` in the course's folder.")
