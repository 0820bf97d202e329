"""Write the student edition (``lstm-course release OUTDIR``).

OUTDIR gets:

    exercises/*.ipynb   every exercise notebook through :data:`.transforms.RELEASE`
    lstm_course/        the package with NO working graded function: each marked body (the
                        exercises, and the fast paths of ``course.STUBBED_TOO``) becomes a
                        ``raise NotImplementedError`` naming the exercise and its notebook;
                        instructor-only modules left out; the public-check data and data sets kept
    pyproject.toml      so learners ``pip install -e OUTDIR`` (the notebooks then import it)
    README.md           for learners

Everything that is not a graded function keeps working: data, plots, widgets, the training
loop around the learner's functions (``fit(step=...)``, ``loss_and_grads(forward=..., backward=...)``).
"""
from __future__ import annotations

import copy
import shutil
from pathlib import Path

from .. import course
from .cells import read_notebook
from .solutions import PACKAGE_DIR, instructor_only, marked_functions
from .sync import EXERCISES_DIR, write_notebook
from .transforms import RELEASE, apply

MARKER_FILE = ".lstm-course-student-edition"

README = """# LSTM course: exercises (student edition)

Set up once, in a fresh virtual environment (Python 3.11 or later):

    pip install -e .            # this folder; add jupyterlab if you have no Jupyter yet
    jupyter lab exercises/

Then work through `exercises/01_why_lstms.ipynb` ... `08_applications.ipynb` in order.

* Write code only in the graded cells, in place of `raise NotImplementedError()`. Keep each
  function's name and signature.
* Run the cell under it: `check(...)` runs the public checks and prints PASS, or what went wrong
  and a hint. Passing them is a good sign, not a guarantee: the grader runs more (hidden) checks.
* Later notebooks use YOUR earlier functions (their setup cell loads them from the sibling
  notebooks as saved on disk): save a notebook after finishing it, and keep all notebooks in the
  same folder under their original names.
* The package `lstm_course` here holds everything else (data, plots, the training loop), but no
  working copy of any function you write: calling one raises NotImplementedError naming the
  exercise and the notebook where it is done.
* Submit the notebooks, with their names unchanged.
"""

PYPROJECT = """[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "lstm-course-exercises"
version = "{version}"
description = "Student edition of the LSTM course: exercise notebooks and the companion package without solutions."
requires-python = ">=3.11"
dependencies = ["numpy>=1.26", "matplotlib>=3.8", "ipywidgets>=8.1", "statsmodels>=0.14", "ipykernel>=6.29"]

[tool.setuptools.packages.find]
include = ["lstm_course*"]

[tool.setuptools.package-data]
lstm_course = ["data/**/*"]
"""


def stub_message(qualname: str) -> str:
    """What a stubbed function says when called in the student edition."""
    module, _, name = qualname.rpartition(".")
    if name in course.BY_NAME and course.get(name).module == module:
        ex = course.get(name)
        return (f"{name} is an exercise: write it in the graded cell of exercises/{ex.notebook} "
                "(the student edition holds no working copy)")
    ex = course.get(course.STUBBED_TOO[qualname])
    return (f"{name} is not in the student edition: use your own {ex.name} from exercises/{ex.notebook}, "
            f"e.g. loss_and_grads(..., forward=lstm_forward, backward=lstm_backward)")


def stubbed_package_sources(package_dir: Path = PACKAGE_DIR) -> dict[Path, str]:
    """{relative path: text} for every .py file of the student package, marked bodies replaced."""
    marked = marked_functions(package_dir)
    unknown = [q for q in marked if q.rpartition(".")[2] not in course.BY_NAME and q not in course.STUBBED_TOO]
    if unknown:
        raise RuntimeError(f"marked functions {unknown} are neither exercises nor in course.STUBBED_TOO: list them")
    by_path: dict[Path, list] = {}
    for mf in marked.values():
        by_path.setdefault(mf.path, []).append(mf)
    out: dict[Path, str] = {}
    for path in sorted(package_dir.rglob("*.py")):
        rel = path.relative_to(package_dir)
        if instructor_only(rel.as_posix()) or "__pycache__" in rel.parts:
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for mf in sorted(by_path.get(path, []), key=lambda m: m.begin, reverse=True):
            lines[mf.begin:mf.stop + 1] = [f"{mf.indent()}raise NotImplementedError({stub_message(mf.qualname)!r})"]
        if rel.as_posix() == "cli.py":
            lines = _without_grading_commands(lines)
        out[rel] = "\n".join(lines) + "\n"
    return out


def _without_grading_commands(lines: list[str]) -> list[str]:
    """The CLI's grading block (between ``# --- grading:`` and ``# --- end grading``) with each function
    emptied: the grader stays with the instructor, and ``lstm-course`` must still start for learners."""
    start = next((i for i, l in enumerate(lines) if l.startswith("# --- grading:")), None)
    stop = next((i for i, l in enumerate(lines) if l.startswith("# --- end grading")), None)
    if start is None or stop is None:
        return lines
    kept = [lines[start]]
    for line in lines[start + 1:stop]:
        if line.startswith("def "):
            kept += [line, '    """Not in the student edition: the grader stays with the instructor."""', ""]
    return lines[:start] + kept + lines[stop:]


def release(outdir: str | Path, *, force: bool = False, exercises_dir: Path = EXERCISES_DIR) -> list[Path]:
    """Write the student edition into ``outdir``; return the files written.

    ``outdir`` must be empty, missing, or an earlier student edition (which is replaced);
    ``force`` replaces any folder.
    """
    outdir = Path(outdir)
    if outdir.exists() and any(outdir.iterdir()):
        if not (force or (outdir / MARKER_FILE).exists()):
            raise FileExistsError(f"{outdir} is not empty and holds no earlier student edition; choose another folder or pass --force")
        if outdir.resolve() in (PACKAGE_DIR.parent.resolve(), Path.home().resolve(), Path("/")):
            raise FileExistsError(f"refusing to replace {outdir}")
        shutil.rmtree(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def write(rel: str | Path, text: str) -> None:
        p = outdir / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        written.append(p)

    for name in course.NOTEBOOKS:
        nb = apply(copy.deepcopy(read_notebook(exercises_dir / name)), RELEASE)
        (outdir / "exercises").mkdir(exist_ok=True)
        write_notebook(nb, outdir / "exercises" / name)
        written.append(outdir / "exercises" / name)
    for rel, text in stubbed_package_sources().items():
        write(Path("lstm_course") / rel, text)
    data = PACKAGE_DIR / "data"
    for src in sorted(data.rglob("*")):
        if src.is_file() and "__pycache__" not in src.parts:
            dst = outdir / "lstm_course" / "data" / src.relative_to(data)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
            written.append(dst)
    import lstm_course

    write("pyproject.toml", PYPROJECT.format(version=lstm_course.__version__))
    write("README.md", README)
    write(MARKER_FILE, "Generated by `lstm-course release`; never edit by hand.\n")
    return written
