"""The notebook's self-check and the grader agree on every public verdict for the same code.

Each mistake of the bank is written into its notebook (the other notebooks complete), loaded the
way the notebook's own setup cell loads it, and checked as its check cell does
(``check(name, fn)``, which replays the reference prerequisites); the grader grades the same
cell. Every public case must get the same verdict. A mistake in an earlier exercise must leave a
later, correct one passing in both places, and the notebook must name the function to fix first.
"""
from __future__ import annotations

import json

import pytest

from lstm_course import course
from lstm_course.exercises import load_learner_function, run_checks
from lstm_course.exercises.checks import check, prerequisites
from lstm_course.grading import direct

from .conftest import notebooks, replace_cell
from .mistake_bank import BANK, bank


def notebook_verdicts(folder, exercise: str) -> list[bool]:
    fn = load_learner_function(course.get(exercise).notebook, exercise, folder)
    extra = {}
    if exercise == "train_step":  # as its check cell: check("train_step", train_step, forward=..., backward=...)
        extra = {"forward": load_learner_function("05_hidden_vs_cell.ipynb", "lstm_forward", folder),
                 "backward": load_learner_function("06_math.ipynb", "lstm_backward", folder)}
    return [r.passed for r in run_checks(exercise, fn, **extra)]


def grader_verdicts(exercise: str, source: str) -> list[bool]:
    _, records = direct.grade_source(exercise, source, "anyone", which="public")
    return [r["passed"] for r in records]


@pytest.fixture(autouse=True)
def _notebooks_find_their_siblings(tmp_path, monkeypatch):
    # A setup cell loads earlier notebooks from its own folder (Jupyter's working directory).
    monkeypatch.setenv("LSTM_COURSE_EXERCISES", str(tmp_path / "nb"))


def write(folder, nbs):
    folder.mkdir(parents=True)
    for name, nb in nbs.items():
        (folder / name).write_text(json.dumps(nb))
    return folder


@pytest.mark.parametrize("exercise, label, source", bank(), ids=[f"{e}: {label}" for e, label, _ in BANK])
def test_notebook_and_grader_agree_on_every_public_verdict(tmp_path, exercise, label, source):
    folder = write(tmp_path / "nb", replace_cell(notebooks(), exercise, source))
    assert notebook_verdicts(folder, exercise) == grader_verdicts(exercise, source), label


LATER = {e.name: [later.name for later in course.EXERCISES if e.name in later.requires] for e in course.EXERCISES}


@pytest.mark.parametrize("exercise, label, source", [b for b in bank() if LATER[b[0]]],
                         ids=[f"{e}: {label}" for e, label, _ in BANK if LATER[e]])
def test_an_earlier_mistake_leaves_a_correct_later_exercise_passing_and_is_named(tmp_path, capsys, exercise, label, source):
    folder = write(tmp_path / "nb", replace_cell(notebooks(), exercise, source))
    for later in LATER[exercise]:
        assert all(notebook_verdicts(folder, later)), (later, label)  # the grader: full marks there too
        fn = load_learner_function(course.get(later).notebook, later, folder)
        extra = {"forward": load_learner_function("05_hidden_vs_cell.ipynb", "lstm_forward", folder),
                 "backward": load_learner_function("06_math.ipynb", "lstm_backward", folder)} if later == "train_step" else {}
        notes = [p.note for p in prerequisites(later, fn, extra) if p.note]
        own = run_checks(exercise, load_learner_function(course.get(exercise).notebook, exercise, folder),
                         **({"forward": extra.get("forward"), "backward": extra.get("backward")} if exercise == "train_step" else {}))
        if not all(r.passed for r in own):  # public checks can miss what hidden ones catch: then nothing to name
            assert f"your {exercise} ({course.get(exercise).notebook}) fails its checks: fix it first" in notes, (later, notes)
            check(later, fn, **extra)
            out = capsys.readouterr().out
            assert f"{later}: " in out and "fix it first" in out and "with the reference" in out, out
