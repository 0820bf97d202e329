"""``lstm-course validate DIR``: does it tell a learner, before submitting, what would cost points for form?

Each test copies the student edition's notebooks (released once per session by the real command),
shapes them into a submission, and runs the student edition's own command line on it.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lstm_course import course
from lstm_course.exercises import sync
from lstm_course.exercises.cells import graded_cells, read_notebook

from .conftest import student_env, write_nb


def _validate(student: Path, folder: Path) -> tuple[int, str]:
    proc = subprocess.run([sys.executable, "-m", "lstm_course.cli", "validate", str(folder)], env=student_env(student),
                          cwd=folder, capture_output=True, text=True, timeout=300)
    assert not proc.stderr.strip(), proc.stderr[-3000:]
    return proc.returncode, proc.stdout


def _rows(out: str) -> dict[tuple[str, str], tuple[str, str]]:
    """{(notebook, exercise): (level, text)} from the report's table."""
    rows = {}
    for line in out.splitlines()[1:-1]:
        level, rest = line[:7].strip(), line[9:]
        notebook, exercise, text = rest[:26].strip(), rest[27:45].strip(), rest[46:]
        rows[(notebook, exercise)] = (level, text)
    return rows


@pytest.fixture
def submission(student_edition, tmp_path) -> Path:
    """The released notebooks with every graded cell filled with the reference's body: a good submission."""
    folder = tmp_path / "submission"
    shutil.copytree(student_edition / "exercises", folder)
    for name in course.NOTEBOOKS:
        nb = read_notebook(folder / name)
        for ex in course.in_notebook(name):
            graded_cells(nb)[ex.grade_id]["source"] = sync.graded_source(ex)
        write_nb(folder / name, nb)
    return folder


def test_does_a_good_submission_validate_with_every_public_check_passing(student_edition, submission):
    """Does a good submission validate, exit 0, with every public check reported passing?"""
    code, out = _validate(student_edition, submission)
    assert code == 0, out
    rows = _rows(out)
    for ex in course.EXERCISES:
        level, text = rows[(ex.notebook, ex.name)]
        assert level == "ok" and "form ok; public checks" in text and text.split()[4].split("/")[0] == text.split()[4].split("/")[1], (ex.name, text)
    assert "PROBLEM" not in out and out.rstrip().endswith("where the grader looks for it.")


def test_is_the_released_edition_itself_in_the_right_form_but_not_done(student_edition, tmp_path):
    """Is the untouched student edition in the right form (exit 0), with every exercise 'not done yet'?"""
    folder = tmp_path / "fresh"
    shutil.copytree(student_edition / "exercises", folder)
    code, out = _validate(student_edition, folder)
    assert code == 0, out
    rows = _rows(out)
    assert all(rows[(e.notebook, e.name)] == ("ok", "form ok; not done yet (the cell still raises NotImplementedError)")
               for e in course.EXERCISES), out


def test_does_a_misnamed_notebook_fail_validation_and_name_the_fix(student_edition, submission):
    """Does a notebook saved under another name ('02_forget_gate (1).ipynb') fail, naming the rename?"""
    (submission / "02_forget_gate.ipynb").rename(submission / "02_forget_gate (1).ipynb")
    shutil.copyfile(submission / "03_input_gate.ipynb", submission / "03_input_gate-Copy1.ipynb")
    code, out = _validate(student_edition, submission)
    assert code == 1, out
    rows = _rows(out)
    level, text = rows[("02_forget_gate.ipynb", "")]
    assert level == "PROBLEM" and "'02_forget_gate (1).ipynb' is here: rename it to 02_forget_gate.ipynb" in text
    assert rows[("03_input_gate-Copy1.ipynb", "")][0] == "note"  # ignored by the grader, costs nothing
    # Later notebooks load forget_gate from 02: they cannot run their checks, but lose no points for it.
    assert rows[("05_hidden_vs_cell.ipynb", "lstm_cell_forward")][0] == "note"
    assert sum(line.startswith("PROBLEM") for line in out.splitlines()) == 1, out


def test_does_a_deleted_graded_cell_fail_validation(student_edition, submission):
    """Does deleting a graded cell (here hidden_state, whose code the learner moved to a plain cell) fail?"""
    path = submission / "04_output_gate.ipynb"
    nb = read_notebook(path)
    cell = graded_cells(nb)["hidden_state"]
    cell["metadata"] = {}  # what a copy-paste into a new cell gives: same code, no grading metadata
    write_nb(path, nb)
    code, out = _validate(student_edition, submission)
    assert code == 1, out
    level, text = _rows(out)[("04_output_gate.ipynb", "hidden_state")]
    assert level == "PROBLEM" and "graded cell is missing" in text and "defines hidden_state but is not the graded cell" in text
    assert _rows(out)[("04_output_gate.ipynb", "output_gate")][0] == "ok"


@pytest.mark.parametrize("edit, expected", [
    (lambda src: src.replace("def forget_gate(h_prev", "def forget_gate(x_t, h_prev", 1), "wrong signature: the released one is forget_gate(h_prev, x_t, W_f, b_f)"),
    (lambda src: src.replace("def forget_gate(", "def forget(", 1), "defines no function named forget_gate (functions defined: forget)"),
    (lambda src: src + "\n  return (", "syntax error on line"),
    (lambda src: "undefined_helper()\n" + src, "the public checks cannot run: running the graded cell 'forget_gate' of 02_forget_gate.ipynb failed with NameError"),
])
def test_is_each_problem_of_form_in_a_graded_cell_reported(student_edition, submission, edit, expected):
    """Are a changed signature, a renamed function, a syntax error and a cell that fails to run each a PROBLEM?"""
    path = submission / "02_forget_gate.ipynb"
    nb = read_notebook(path)
    cell = graded_cells(nb)["forget_gate"]
    cell["source"] = edit("".join(cell["source"]))
    write_nb(path, nb)
    code, out = _validate(student_edition, submission)
    assert code == 1, out
    level, text = _rows(out)[("02_forget_gate.ipynb", "forget_gate")]
    assert level == "PROBLEM" and expected in text, text


def test_does_a_failing_public_check_stay_a_note_not_a_problem_of_form(student_edition, submission):
    """A wrong answer is scored, not a problem of form: exit 0, with the failing count reported."""
    path = submission / "02_forget_gate.ipynb"
    nb = read_notebook(path)
    cell = graded_cells(nb)["forget_gate"]
    cell["source"] = "".join(cell["source"]).replace("@ W_f.T + b_f", "@ W_f.T", 1)  # the bias forgotten
    write_nb(path, nb)
    code, out = _validate(student_edition, submission)
    level, text = _rows(out)[("02_forget_gate.ipynb", "forget_gate")]
    assert code == 0 and level == "note" and "public checks 0/2 pass" in text, out


def test_is_the_validate_cell_last_in_every_notebook_and_does_it_report_that_notebook(student_edition, submission):
    """Does each released notebook end with the generated validate cell, and does it speak of that notebook only?"""
    for name in course.NOTEBOOKS:
        nb = json.loads((student_edition / "exercises" / name).read_text())
        last = nb["cells"][-1]
        assert last["metadata"]["tags"] == ["validate"] and f'validate_here("{name}")' in "".join(last["source"])
    proc = subprocess.run([sys.executable, "-c", 'from lstm_course.exercises.validate import validate_here; '
                           'validate_here("03_input_gate.ipynb")'], env=student_env(student_edition),
                          cwd=submission, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    body = proc.stdout.splitlines()[1:-2]
    assert len(body) == 3 and all("03_input_gate.ipynb" in line and line.startswith("ok") for line in body), proc.stdout


@pytest.mark.parametrize("data", [b"not json", b'{"cells": "none"}', b'{"cells": [{"cell_type": "code", "metadata": []}]}'])
def test_is_a_broken_notebook_a_problem_and_the_rest_still_validated(student_edition, submission, data):
    """Is a notebook that is not JSON, or not shaped like one, a PROBLEM, while the other notebooks are still checked?"""
    (submission / "03_input_gate.ipynb").write_bytes(data)
    code, out = _validate(student_edition, submission)
    assert code == 1, out
    assert _rows(out)[("03_input_gate.ipynb", "")][0] == "PROBLEM", out
    assert _rows(out)[("02_forget_gate.ipynb", "forget_gate")][0] == "ok"
