"""The student edition: nothing leaks, stubs say where to work, and the round trip holds."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from lstm_course import course
from lstm_course.exercises import sync
from lstm_course.exercises.cells import BEGIN, END, graded_cells, read_notebook
from lstm_course.exercises.solutions import solution_lines

from .conftest import ROOT, student_env, write_nb


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _texts(path: Path):
    """Every piece of text a released file holds (code, notebook sources, outputs, metadata, check-data keys)."""
    if path.suffix == ".ipynb":
        yield from _strings(json.loads(path.read_text()))
    elif path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as z:
            for k in z.files:
                yield k
                if z[k].dtype.kind == "U":
                    yield str(z[k])
    else:
        try:
            yield path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            yield path.read_bytes().decode("latin-1")


def test_does_no_solution_line_appear_anywhere_in_the_student_edition(student_edition):
    """Does no solution line appear anywhere in the student edition?"""
    secrets = solution_lines()
    assert len(secrets) > 50  # the test would be empty if the markers were not found
    leaks = []
    files = [p for p in student_edition.rglob("*") if p.is_file()]
    for path in files:
        for text in _texts(path):
            for line in text.splitlines():
                s = line.strip()
                if s in secrets or s in (BEGIN, END):
                    leaks.append(f"{path.relative_to(student_edition)}: {s}")
    assert leaks == []
    names = {p.relative_to(student_edition).as_posix() for p in files}
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert "lstm_course/exercises/checkgen.py" not in names
    assert not any(n.startswith("lstm_course/grading/") for n in names)
    assert {f"exercises/{n}" for n in course.NOTEBOOKS} <= names
    assert {f"lstm_course/data/public_checks/{e.name}.npz" for e in course.EXERCISES} <= names


def test_do_student_notebooks_hold_stubs_and_no_reference_cells(student_edition):
    """Do student notebooks hold stubs and no reference cells?"""
    for name in course.NOTEBOOKS:
        nb = read_notebook(student_edition / "exercises" / name)
        assert list(graded_cells(nb)) == [e.grade_id for e in course.in_notebook(name)]
        for cell in graded_cells(nb).values():
            assert cell["source"].endswith("# YOUR CODE HERE\n    raise NotImplementedError()")
        assert not any("reference" in c["metadata"].get("tags", []) or "reference_" in "".join(c["source"]) for c in nb["cells"])
        assert all(c.get("outputs", []) == [] for c in nb["cells"])


def _run_student(student: Path, code: str, timeout: int = 300, exercises: Path | None = None) -> str:
    env = student_env(student)
    if exercises is not None:  # where load_learner_function looks for sibling notebooks
        env["LSTM_COURSE_EXERCISES"] = str(exercises)
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, cwd=student,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_does_every_stub_name_its_exercise_and_notebook(student_edition):
    """Does every stub name its exercise and notebook?"""
    out = _run_student(student_edition, """
        import json, numpy as np, lstm_course
        from lstm_course import course
        from lstm_course.exercises.checks import run_checks
        from lstm_course.fast import lstm_forward_fast
        from lstm_course.params import init_lstm_params
        report = {"file": lstm_course.__file__}
        for ex in course.EXERCISES:
            report[ex.name] = [(r.status, r.error) for r in run_checks(ex.name, course.reference(ex.name))]
        try:
            lstm_forward_fast(np.zeros((2, 1, 3)), init_lstm_params(3, 4))
        except NotImplementedError as e:
            report["fast"] = str(e)
        print(json.dumps(report))
    """)
    report = json.loads(out)
    assert report["file"].startswith(str(student_edition))
    for ex in course.EXERCISES:
        assert report[ex.name] and all(s == "NOT IMPLEMENTED" and ex.notebook in err for s, err in report[ex.name]), ex.name
    assert "05_hidden_vs_cell.ipynb" in report["fast"]
    info = subprocess.run([sys.executable, "-m", "lstm_course.cli", "info"], env=student_env(student_edition),
                          cwd=student_edition, capture_output=True, text=True)
    assert info.returncode == 0 and info.stdout.startswith("lstm_course "), info.stderr[-2000:]


def test_do_reference_bodies_in_the_student_notebooks_pass_every_check_and_train(student_edition, tmp_path):
    """Round trip: fill every graded cell of the released notebooks with the reference; every public check passes,
    and the student package's training loop runs around the learner's functions."""
    filled = tmp_path / "filled"
    shutil.copytree(student_edition / "exercises", filled)
    for name in course.NOTEBOOKS:
        nb = read_notebook(filled / name)
        for ex in course.in_notebook(name):
            graded_cells(nb)[ex.grade_id]["source"] = sync.graded_source(ex)
        write_nb(filled / name, nb)
    out = _run_student(student_edition, f"""
        import json, numpy as np
        from lstm_course import course
        from lstm_course.exercises import load_learner_function, run_checks
        from lstm_course.model import fit, init_model, loss_and_grads
        from lstm_course.optim import Adam
        d = {str(filled)!r}
        fns = {{e.name: load_learner_function(e.notebook, e.name, d) for e in course.EXERCISES}}
        extra = {{"forward": fns["lstm_forward"], "backward": fns["lstm_backward"]}}
        report = {{}}
        for e in course.EXERCISES:
            report[e.name] = [r.status for r in run_checks(e.name, fns[e.name], **(extra if e.name == "train_step" else {{}}))]
        rng = np.random.default_rng(0)
        x = rng.normal(size=(6, 4, 1)); y = np.cumsum(x, axis=0) / 3
        model = init_model(1, 6, 1, seed=0)
        hist = fit(model, lambda epoch: [(x, y)], Adam(0.02), epochs=30, step=fns["train_step"], verbose=False, **extra)
        report["fit"] = [hist[0], hist[-1]]
        print(json.dumps(report))
    """, exercises=filled)
    report = json.loads(out)
    for ex in course.EXERCISES:
        assert report[ex.name] and set(report[ex.name]) == {"PASS"}, (ex.name, report[ex.name])
    first, last = report["fit"]
    assert last < 0.5 * first


def test_do_the_student_notebooks_run_and_report_not_implemented_cleanly(student_edition, tmp_path):
    """Do the student notebooks run and report not implemented cleanly?"""
    work = tmp_path / "run"
    shutil.copytree(student_edition / "exercises", work)
    out = _run_student(student_edition, f"""
        import json, nbformat
        from pathlib import Path
        from nbclient import NotebookClient
        report = {{}}
        for path in sorted(Path({str(work)!r}).glob("*.ipynb")):
            nb = nbformat.read(str(path), as_version=4)
            nb.cells.append(nbformat.v4.new_code_cell("import lstm_course; print(lstm_course.__file__)", metadata={{"tags": ["probe"]}}))
            NotebookClient(nb, timeout=120, kernel_name="python3", resources={{"metadata": {{"path": str(path.parent)}}}}).execute()
            # One entry per cell that printed, its stream outputs joined: a busy kernel may send one
            # print in several stream messages.
            texts = []
            for c in nb.cells:
                if c.get("outputs"):
                    kinds = sorted({{o.output_type for o in c.outputs}})
                    texts.append([c.metadata.get("tags", []), kinds, "".join(o.get("text", "") for o in c.outputs)])
            report[path.name] = texts
        print(json.dumps(report))
    """, timeout=600)
    report = json.loads(out)
    assert set(report) == set(course.NOTEBOOKS)
    for name, outputs in report.items():
        assert all("error" not in kinds for _, kinds, _ in outputs), name  # nothing crashed (nbclient would have raised too)
        checks = [text for tags, _, text in outputs if "check" in tags]
        assert len(checks) == len(course.in_notebook(name))
        validated = [text for tags, _, text in outputs if "validate" in tags]
        assert len(validated) == 1 and "The form is right" in validated[0], (name, validated)
        assert all("NOT IMPLEMENTED" in t and "PASS" not in t.replace("public checks passed", "") for t in checks), name
        probe = [text for tags, _, text in outputs if "probe" in tags]
        assert len(probe) == 1 and probe[0].startswith(str(student_edition)), name  # the student package, not the instructor's


def test_does_release_refuse_to_overwrite_a_foreign_folder(tmp_path):
    """Does release refuse to overwrite a foreign folder?"""
    (tmp_path / "precious.txt").write_text("keep me")
    proc = subprocess.run([sys.executable, "-m", "lstm_course.cli", "release", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2 and "not empty" in proc.stderr
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_does_the_edition_pin_what_a_learner_installs_and_say_how(student_edition):
    """Does the edition pin every package of the learner's install (JupyterLab too) and give the set-up commands?"""
    from lstm_course.exercises.release import DEPENDENCIES, SETUP_COMMANDS

    pins = {}
    for line in (student_edition / "constraints.txt").read_text().splitlines():
        if "==" in line:
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    project = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if "==" in line:
            name, version = line.split("==")
            project[name.lower().replace("_", "-")] = version
    wanted = [d.split(">")[0].split("=")[0] for d in DEPENDENCIES] + ["jupyterlab", "jupyter-server", "ipykernel", "scipy", "pandas"]
    assert all(w in pins for w in wanted), [w for w in wanted if w not in pins]
    assert all(project[n] == v for n, v in pins.items())  # the course's own tested versions, nothing else
    assert "torch" not in pins and "jupyter-book" not in pins and "nbgrader" not in pins  # not the instructor's tools
    readme = (student_edition / "README.md").read_text()
    assert all(f"    {c}\n" in readme for c in SETUP_COMMANDS)
    assert "pip install -c constraints.txt . jupyterlab" in readme and "lstm-course validate" in readme
    from lstm_course.exercises.checkgen import RTOL

    assert "any machine's rounding" in readme and f"{RTOL:g}" in readme  # the tolerance the checks really use
    pyproject = (student_edition / "pyproject.toml").read_text()
    assert 'lstm-course = "lstm_course.cli:main"' in pyproject  # learners get the `lstm-course validate` command


def test_is_the_zip_the_same_edition_and_the_same_bytes_twice(student_edition, tmp_path):
    """Does `release --zip` write the folder's files under lstm-course-exercises/, byte for byte, reproducibly?"""
    import zipfile

    from lstm_course.exercises.release import ARCHIVE, zip_edition

    a, b = zip_edition(student_edition, tmp_path / "a.zip"), zip_edition(student_edition, tmp_path / "b.zip")
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    files = {f"{ARCHIVE}/{p.relative_to(student_edition).as_posix()}": p.read_bytes() for p in student_edition.rglob("*") if p.is_file()}
    assert members == files
    assert not list(tmp_path.glob("*.partial"))
