"""Write the student edition (``lstm-course release OUTDIR``).

OUTDIR gets:

    exercises/*.ipynb   every exercise notebook through :data:`.transforms.RELEASE`
    lstm_course/        the package with NO working graded function: each marked body (the
                        exercises, and the fast paths of ``course.STUBBED_TOO``) becomes a
                        ``raise NotImplementedError`` naming the exercise and its notebook;
                        instructor-only modules left out; the public-check data and data sets kept
    pyproject.toml      so learners ``pip install OUTDIR`` (the notebooks then import it)
    constraints.txt     the pinned versions of everything that install brings in, JupyterLab included
    README.md           for learners: the set-up commands (:data:`SETUP_COMMANDS`) and how to work

``release_zip`` writes the same edition as one archive, :data:`ARCHIVE`.zip (unpacking into
:data:`ARCHIVE`/): the book's one download for learners (built by ``book/_ext/student_edition.py``).

Everything that is not a graded function keeps working: data, plots, widgets, the training
loop around the learner's functions (``fit(step=...)``, ``loss_and_grads(forward=..., backward=...)``).
"""
from __future__ import annotations

import copy
import importlib.metadata
import json
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

from .. import course
from .cells import read_notebook
from .checkgen import ATOL, RTOL
from .solutions import PACKAGE_DIR, instructor_only, marked_functions
from .sync import EXERCISES_DIR, ROOT, write_notebook
from .transforms import RELEASE, apply

MARKER_FILE = ".lstm-course-student-edition"

ARCHIVE = "lstm-course-exercises"  # the download: ARCHIVE.zip holds one folder, ARCHIVE/

# The learner's set-up, written once: the README, the book's intro and exercise boxes show these
# lines, and tests/book/test_site_download.py runs them on a fresh virtual environment.
# Unpack, a virtual environment, the install at pinned versions, JupyterLab on the notebooks. Each
# line is short, so the book shows it whole on a narrow column.
SETUP_COMMANDS = (
    f"python3 -m zipfile -e {ARCHIVE}.zip .",
    f"cd {ARCHIVE}",
    "python3 -m venv .venv",
    ".venv/bin/pip install -c constraints.txt . jupyterlab",
    ".venv/bin/jupyter lab exercises/",
)
SETUP_NOTES = (
    "Python 3.11 or later. On Windows, type `py` for `python3` and `.venv\\Scripts\\` for `.venv/bin/`; "
    "on Debian and Ubuntu, `python3 -m venv` needs the package `python3-venv`.",
    "`constraints.txt` pins every package the install brings in to the versions the course was tested with; "
    "the first install downloads them from PyPI, everything after that works offline.",
)

README = """# LSTM course: exercises (student edition)

Set up once, from the folder where you saved `{archive}.zip`: unpack it, make a virtual
environment, install the course and JupyterLab into it, and open the notebooks:

{commands}

{notes}

Then work through `exercises/01_why_lstms.ipynb` ... `08_applications.ipynb` in order.

* Write code only in the graded cells, in place of `raise NotImplementedError()`. Keep each
  function's name and signature.
* Run the cell under it: `check(...)` runs the public checks and prints PASS, or what went wrong
  and a hint. Passing them is a good sign, not a guarantee: the grader runs more (hidden) checks.
* Every check accepts any machine's rounding: it compares your numbers with the reference to a
  relative tolerance of {rtol:g} (plus {atol:g} absolute), far above the last-digit differences
  between CPUs (Intel, AMD, ARM laptops) and far below what a wrong formula changes: a function that
  is right on your laptop is right on the grader's machine too.
* Later notebooks use YOUR earlier functions (their setup cell loads them from the sibling
  notebooks as saved on disk): save a notebook after finishing it, and keep all notebooks in the
  same folder under their original names.
* The package `lstm_course` here holds everything else (data, plots, the training loop), but no
  working copy of any function you write: calling one raises NotImplementedError naming the
  exercise and the notebook where it is done.
* Before you submit, save every notebook and run `.venv/bin/lstm-course validate exercises/`
  (or the last cell of each notebook): it says whether every notebook, graded cell and function
  is named as released and whether the public checks run, and exits with 1 if points would be
  lost for the form alone.
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
dependencies = {dependencies}

[project.scripts]
lstm-course = "lstm_course.cli:main"

[tool.setuptools.packages.find]
include = ["lstm_course*"]

[tool.setuptools.package-data]
lstm_course = ["data/**/*"]
"""
DEPENDENCIES = ("numpy>=1.26", "matplotlib>=3.8", "ipywidgets>=8.1", "statsmodels>=0.14", "ipykernel>=6.29")
LEARNER_TOOLS = ("jupyterlab",)  # installed beside the package by SETUP_COMMANDS, pinned like the rest


def readme() -> str:
    commands = "\n".join(f"    {c}" for c in SETUP_COMMANDS)
    notes = "\n".join(f"* {n}" for n in SETUP_NOTES)
    return README.format(archive=ARCHIVE, commands=commands, notes=notes, rtol=RTOL, atol=ATOL)


def _name(requirement: str) -> str:
    from packaging.requirements import Requirement

    return re.sub(r"[-_.]+", "-", Requirement(requirement).name).lower()


def student_constraints(constraints: Path = ROOT / "constraints.txt") -> str:
    """The pins of ``constraints`` that a learner's install uses: the student package's dependencies
    and JupyterLab, and everything they require, followed through the installed distributions'
    metadata. A requirement for another platform (pywinpty on Windows) is pinned too when
    ``constraints`` lists it, else left to pip."""
    from packaging.markers import UndefinedEnvironmentName
    from packaging.requirements import Requirement

    pins = {}
    for line in constraints.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            pins[_name(line.split("==")[0])] = line
    seen: set[str] = set()
    todo = [_name(r) for r in DEPENDENCIES + LEARNER_TOOLS]
    missing = [n for n in todo if n not in pins]
    if missing:
        raise RuntimeError(f"{constraints} pins no version of {', '.join(missing)}: add them, so learners get tested versions")
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue  # not installed here (another platform's dependency): its pin, if any, is kept below
        for text in requires:
            req = Requirement(text)
            try:
                wanted = req.marker is None or req.marker.evaluate({"extra": ""})
            except UndefinedEnvironmentName:
                wanted = False
            platform_only = req.marker is not None and "extra" not in str(req.marker)
            if wanted or platform_only:
                todo.append(_name(req.name))
    lines = ["# Generated by `lstm-course release` from the course's constraints.txt: the versions the course",
             "# was tested with, for everything `pip install -c constraints.txt . jupyterlab` brings in."]
    return "\n".join(lines + sorted((pins[n] for n in seen if n in pins), key=str.lower)) + "\n"


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

    write("pyproject.toml", PYPROJECT.format(version=lstm_course.__version__, dependencies=json.dumps(list(DEPENDENCIES))))
    write("constraints.txt", student_constraints())
    write("README.md", readme())
    write(MARKER_FILE, "Generated by `lstm-course release`; never edit by hand.\n")
    return written


def zip_edition(folder: Path, zip_path: str | Path) -> Path:
    """Write the student edition in ``folder`` as one archive holding the folder :data:`ARCHIVE`/.

    Entries are sorted and dated 1980-01-01, so the same edition gives the same bytes.
    """
    zip_path = Path(zip_path)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    partial = zip_path.with_name(zip_path.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo(f"{ARCHIVE}/{path.relative_to(folder).as_posix()}", (1980, 1, 1, 0, 0, 0))
                info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
                zf.writestr(info, path.read_bytes())
    partial.replace(zip_path)  # a half-written archive is never left under the real name
    return zip_path


def release_zip(zip_path: str | Path, *, exercises_dir: Path = EXERCISES_DIR) -> Path:
    """Write the student edition as one archive (see :func:`zip_edition`); return its path."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / ARCHIVE
        release(folder, exercises_dir=exercises_dir)
        return zip_edition(folder, zip_path)
