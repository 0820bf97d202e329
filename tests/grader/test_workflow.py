"""The instructor's workflow around grading: re-runs, one-learner regrades, due dates and late work,
the Canvas export, what the class got wrong, the terminal table, Gradescope's results.json."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from lstm_course import course

from .conftest import ATTACKS, layer_or_skip, notebooks, replace_cell, write_folder
from .test_resume_and_cli import cli


def grade(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(cli("grade", *args, "--no-progress", "--exercise-time-limit", "10"), capture_output=True,
                          text=True, timeout=600)


def rows(path: Path) -> dict[str, dict]:
    return {r["learner"]: r for r in csv.DictReader(io.StringIO(path.read_text()))}


def touch(folder: Path, when: str) -> None:
    t = datetime.fromisoformat(when).astimezone().timestamp()
    for nb in folder.iterdir():
        os.utime(nb, (t, t))


@pytest.fixture(scope="module")
def klass(tmp_path_factory) -> Path:
    """Three learners with timestamps: on time, two days late, and late with an extension."""
    layer_or_skip("bubblewrap")
    root = tmp_path_factory.mktemp("klass") / "subs"
    nbs = notebooks()
    write_folder(root / "ann", nbs)
    write_folder(root / "bob", replace_cell(nbs, *ATTACKS["missing_bias"]))
    write_folder(root / "cem", nbs)
    touch(root / "ann", "2025-03-01T20:00")
    touch(root / "bob", "2025-03-03T10:00")  # 1.4 days late: 2 started days
    touch(root / "cem", "2025-03-04T09:00")  # late, but cem's extension runs to the 5th
    return root


def test_a_rerun_writes_every_format_asked_for(tmp_path, klass):
    out = tmp_path / "out"
    assert grade(str(klass), "--out", str(out), "--format", "csv").returncode == 0
    assert not (out / "feedback").exists()
    again = grade(str(klass), "--out", str(out), "--format", "csv,feedback,gradescope")
    assert again.returncode == 0 and "0 graded now, 3 unchanged" in again.stdout
    assert "wrote csv, feedback, gradescope" in again.stdout
    assert {p.name for p in (out / "feedback").iterdir()} == {"ann.md", "bob.md", "cem.md"}
    assert (out / "gradescope" / "bob" / "results.json").is_file()


def test_the_table_shows_full_exercise_names(tmp_path, klass):
    r = grade(str(klass), "--out", str(tmp_path / "o"), "--format", "csv")
    header = r.stdout.splitlines()[0]
    assert all(e.name in header for e in course.EXERCISES), header


def test_only_regrades_the_learners_named(tmp_path, klass):
    import shutil

    subs = tmp_path / "subs"
    shutil.copytree(klass, subs)
    out = tmp_path / "out"
    assert grade(str(subs), "--out", str(out)).returncode == 0
    nbs = notebooks()
    (subs / "ann" / "02_forget_gate.ipynb").write_text(json.dumps(replace_cell(nbs, *ATTACKS["missing_bias"])["02_forget_gate.ipynb"]))
    (subs / "bob" / "02_forget_gate.ipynb").write_text(json.dumps(nbs["02_forget_gate.ipynb"]))  # bob fixed it
    r = grade(str(subs), "--out", str(out), "--only", "bob")
    assert r.returncode == 0 and "1 graded now, 2 kept from the last run" in r.stdout, r.stdout + r.stderr
    g = rows(out / "grades.csv")
    assert g["bob"]["raw"] == "40" and g["ann"]["raw"] == "40"  # ann changed too, but was not regraded
    bad = grade(str(subs), "--out", str(out), "--only", "nobody")
    assert bad.returncode == 2 and "--only nobody: no such entry" in bad.stderr


def test_late_work_is_charged_by_the_policy_and_the_feedback_says_so(tmp_path, klass):
    ext = tmp_path / "ext.csv"
    ext.write_text("learner,due\ncem,2025-03-05T23:59\n")
    out = tmp_path / "out"
    r = grade(str(klass), "--out", str(out), "--due", "2025-03-01T23:59", "--extensions", str(ext))
    assert r.returncode == 0, r.stderr
    g = rows(out / "grades.csv")
    assert (g["ann"]["raw"], g["ann"]["penalty"], g["ann"]["total"]) == ("40", "0", "40")
    assert (g["bob"]["raw"], g["bob"]["penalty"], g["bob"]["total"]) == ("38", "7.6", "30.4")  # 2 started days: 20 %
    assert (g["cem"]["penalty"], g["cem"]["total"]) == ("0", "40")  # within the extension
    fb = (out / "feedback" / "bob.md").read_text()
    assert fb.startswith("# Feedback for bob: 30.4 / 40 points")
    assert "after the due date 2025-03-01T23:59" in fb and "20% of the 38 points earned, 7.6 points, taken off" in fb
    assert "10% of the score per started day late, at most 50%" in fb
    summary = json.loads((out / "summary.json").read_text())
    assert summary["late"] == ["bob"]


def test_a_cutoff_policy_and_submission_times_from_the_lms(tmp_path, klass):
    times = tmp_path / "times.csv"
    times.write_text("learner,submitted\nann,2025-03-01T23:00\nbob,2025-03-01T23:30\ncem,2025-03-09T08:00\n")
    out = tmp_path / "out"
    r = grade(str(klass), "--out", str(out), "--due", "2025-03-01T23:59", "--submission-times", str(times),
              "--late-policy", "cutoff:3")
    assert r.returncode == 0, r.stderr
    g = rows(out / "grades.csv")
    assert g["bob"]["penalty"] == "0" and g["ann"]["penalty"] == "0"  # the LMS says on time, whatever the files say
    assert (g["cem"]["penalty"], g["cem"]["total"]) == ("40", "0")
    bad = grade(str(klass), "--out", str(out), "--late-policy", "per-week:3")
    assert bad.returncode == 2 and "'per-week:3' is not one of per-day" in bad.stderr
    bad = grade(str(klass), "--out", str(out), "--due", "March 1st")
    assert bad.returncode == 2 and "--due 'March 1st' is not a date and time" in bad.stderr


def test_canvas_export_maps_through_the_roster_and_lists_the_unmatched(tmp_path, klass):
    roster = tmp_path / "roster.csv"
    roster.write_text("learner,sis_user_id,name\nann,S001,Ann A\nbob,S002,Bob B\ndora,S004,Dora D\n")
    out = tmp_path / "out"
    r = grade(str(klass), "--out", str(out), "--format", "csv,summary,canvas", "--roster", str(roster))
    assert r.returncode == 0, r.stderr
    lines = (out / "canvas.csv").read_text().splitlines()
    assert lines[0] == "Student,ID,SIS User ID,SIS Login ID,Section,LSTM course exercises"
    assert lines[1] == "    Points Possible,,,,,40"
    assert lines[2:] == ["Ann A,,S001,,,40", "Bob B,,S002,,,38", "Dora D,,S004,,,0"]
    assert "graded but not in the roster (left out of canvas.csv): cem" in r.stderr
    assert "in the roster but without a submission (0 in canvas.csv): dora" in r.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["roster"] == {"not_in_roster": ["cem"], "not_submitted": ["dora"]}
    no_roster = grade(str(klass), "--out", str(out), "--format", "canvas")
    assert no_roster.returncode == 2 and "--format canvas needs --roster" in no_roster.stderr


def test_the_summary_says_what_the_class_got_wrong(tmp_path, klass):
    out = tmp_path / "out"
    assert grade(str(klass), "--out", str(out)).returncode == 0
    summary = json.loads((out / "summary.json").read_text())
    failed = summary["failed_checks"]["forget_gate"]
    assert failed["hidden: random shapes, 3 draws"] == 1 and failed["hidden: zero-length batch (N=0)"] == 0
    assert any("WITHOUT the bias" in h and n == 4 for h, n in summary["hints"].items()), summary["hints"]
    text = (out / "summary.md").read_text()
    assert "## What the class got wrong" in text and "| forget_gate | hidden: random shapes, 3 draws | 1 |" in text


def test_gradescope_results_split_public_and_hidden_checks(tmp_path, klass):
    out = tmp_path / "out"
    assert grade(str(klass), "--out", str(out), "--format", "gradescope", "--hidden-visibility", "after_due_date").returncode == 0
    gs = json.loads((out / "gradescope" / "bob" / "results.json").read_text())
    assert gs["output_format"] == "md" and gs["score"] == 38
    tests = {t["name"]: t for t in gs["tests"]}
    assert tests["forget_gate: public checks"]["visibility"] == "visible"
    assert tests["forget_gate: hidden checks"]["visibility"] == "after_due_date"
    assert tests["forget_gate: hidden checks"]["status"] == "failed" and tests["input_gate: hidden checks"]["status"] == "passed"
    assert abs(sum(t["score"] for t in gs["tests"]) - 38) < 0.05
