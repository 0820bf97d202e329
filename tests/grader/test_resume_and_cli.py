"""Determinism and resuming: a killed and restarted run writes the same gradebook as an uninterrupted one."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest


from .conftest import ATTACKS, layer_or_skip, notebooks, replace_cell, write_folder  # noqa: F401


def small_class(root: Path) -> Path:
    nbs = notebooks()
    for i in range(3):
        write_folder(root / f"ok{i}", nbs)
    write_folder(root / "bias", replace_cell(nbs, *ATTACKS["missing_bias"]))
    write_folder(root / "crash", replace_cell(nbs, *ATTACKS["os_exit"]))
    write_folder(root / "nocell", replace_cell(nbs, *ATTACKS["renamed_function"]))
    return root


def cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from lstm_course.cli import main; sys.exit(main(sys.argv[1:]))", *args]


def snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and ".state" not in p.parts}


def test_killed_run_resumes_to_the_same_gradebook(tmp_path):
    layer_or_skip("bubblewrap")
    subs = small_class(tmp_path / "subs")
    common = ["--workers", "1", "--time-limit", "30", "--exercise-time-limit", "3", "--no-progress",
              "--format", "csv,feedback,summary,gradescope"]
    # Uninterrupted.
    first = subprocess.run(cli("grade", str(subs), "--out", str(tmp_path / "a"), *common), capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert "ok0" in first.stdout and "40" in first.stdout  # the final table
    # Killed as soon as the first learner is done, then restarted.
    out = tmp_path / "b"
    proc = subprocess.Popen(cli("grade", str(subs), "--out", str(out), *common), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list((out / ".state").glob("*.json")):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(list((out / ".state").glob("*.json")))
    assert 1 <= done_before < 6, "the run finished before it could be killed: nothing was resumed"
    for p in (out / ".state").glob("*.json"):
        json.loads(p.read_text())  # atomic: never a half-written file
    second = subprocess.run(cli("grade", str(subs), "--out", str(out), *common), capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert f"{6 - done_before} graded now, {done_before} unchanged" in second.stdout
    assert snapshot(tmp_path / "a") == snapshot(out)
    grades = (out / "grades.csv").read_text()
    assert "bias," in grades and ",38,40" in grades


def test_a_changed_submission_is_regraded(tmp_path):
    layer_or_skip("bubblewrap")
    nbs = notebooks()
    write_folder(tmp_path / "subs" / "ann", replace_cell(nbs, *ATTACKS["missing_bias"]))
    args = [str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--no-progress", "--exercise-time-limit", "3"]
    assert subprocess.run(cli("grade", *args), capture_output=True).returncode == 0
    assert re.search(r"^ann,2,0,.*,38,40$", (tmp_path / "out" / "grades.csv").read_text(), re.M)
    (tmp_path / "subs" / "ann" / "02_forget_gate.ipynb").write_text(json.dumps(nbs["02_forget_gate.ipynb"]))
    again = subprocess.run(cli("grade", *args), capture_output=True, text=True)
    assert "1 graded now, 0 unchanged" in again.stdout
    assert ",40,40" in (tmp_path / "out" / "grades.csv").read_text()


def test_unisolated_layer_still_grades_and_stops_hangs(tmp_path):
    """--sandbox rlimits (with its alarming flag) isolates nothing, but still bounds time and processes."""
    from lstm_course.grading.engine import GradingRun, Options
    from lstm_course.grading.sandbox import Limits

    nbs = notebooks()
    write_folder(tmp_path / "subs" / "good", nbs)
    write_folder(tmp_path / "subs" / "hang", replace_cell(nbs, *ATTACKS["hang"]))
    write_folder(tmp_path / "subs" / "forkbomb", replace_cell(nbs, *ATTACKS["fork_bomb"]))
    run = GradingRun(tmp_path / "subs", tmp_path / "out", Options(
        sandbox="rlimits", unsafe_no_isolation=True, progress=False,
        limits=Limits(exercise_seconds=3, learner_seconds=30, memory_mb=512)))
    states = {s["learner"]: s for s in run.grade()}
    assert states["good"]["total"] == 40
    assert states["hang"]["total"] == 38 and "did not finish in time" in states["hang"]["exercises"]["forget_gate"]["checks"][0]["detail"]
    assert states["forkbomb"]["total"] == 38
    assert "rlimits only, NO ISOLATION" in (tmp_path / "out" / "summary.md").read_text()


def test_gradescope_bundle(tmp_path):
    out = tmp_path / "autograder.zip"
    assert subprocess.run(cli("gradescope-bundle", str(out)), capture_output=True).returncode == 0
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        assert {"setup.sh", "run_autograder", "course/pyproject.toml", "course/lstm_course/grading/engine.py",
                "course/lstm_course/data/public_checks/forget_gate.npz"} <= names
        assert (zf.getinfo("run_autograder").external_attr >> 16) & 0o111  # executable
        for script in ("setup.sh", "run_autograder"):
            path = tmp_path / script
            path.write_bytes(zf.read(script))
            assert subprocess.run(["bash", "-n", str(path)]).returncode == 0
        run = zf.read("run_autograder").decode()
        assert "root=/autograder" in run and "$root/results/results.json" in run
        assert "python3.11" in zf.read("setup.sh").decode() and "-c /autograder/source/course/constraints.txt" in zf.read("setup.sh").decode()
        assert zf.read("course/constraints.txt") == (Path(__file__).resolve().parents[2] / "constraints.txt").read_bytes()


def test_cli_reports_bad_arguments(tmp_path):
    r = subprocess.run(cli("grade", str(tmp_path / "missing"), "--out", str(tmp_path / "o")), capture_output=True, text=True)
    assert r.returncode == 2 and "must be a folder with one entry per learner" in r.stderr
    r = subprocess.run(cli("grade", str(tmp_path), "--out", str(tmp_path / "o"), "--format", "pdf"), capture_output=True, text=True)
    assert r.returncode == 2 and "unknown output format(s) ['pdf']" in r.stderr


WRITER = ATTACKS["hang"][1].split("def forget_gate")[0] + '''def forget_gate(h_prev, x_t, W_f, b_f):
    # Leave notes for whoever comes next in this sandbox, and a process that keeps writing them.
    import os, time
    for d in ('/tmp', '/dev/shm', os.getcwd()):
        try:
            open(os.path.join(d, 'answer.txt'), 'w').write('copied')
        except OSError:
            pass
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            for _ in range(200):
                for d in ('/tmp', '/dev/shm'):
                    try:
                        open(os.path.join(d, 'answer.txt'), 'w').write('copied')
                    except OSError:
                        pass
                time.sleep(0.05)
        os._exit(0)
    return sigmoid(concat_hx(h_prev, x_t) @ W_f.T + b_f)
'''

READER = '''def forget_gate(h_prev, x_t, W_f, b_f):
    # Full marks only if the previous learner's notes (or its process) survived.
    import os, time
    time.sleep(0.2)
    for d in ('/tmp', '/dev/shm', os.getcwd()):
        if os.path.exists(os.path.join(d, 'answer.txt')):
            return sigmoid(concat_hx(h_prev, x_t) @ W_f.T + b_f)
    return np.zeros(1)
'''


def test_nothing_carries_over_from_one_learner_to_the_next(tmp_path):
    """One worker, so both learners go through the same sandbox slot, one after the other."""
    layer_or_skip("bubblewrap")
    from lstm_course.grading.engine import GradingRun, Options
    from lstm_course.grading.sandbox import Limits

    nbs = notebooks()
    write_folder(tmp_path / "subs" / "a_writer", replace_cell(nbs, "forget_gate", WRITER))
    write_folder(tmp_path / "subs" / "b_reader", replace_cell(nbs, "forget_gate", READER))
    run = GradingRun(tmp_path / "subs", tmp_path / "out", Options(
        workers=1, progress=False, limits=Limits(exercise_seconds=5, learner_seconds=30, memory_mb=512)))
    states = {s["learner"]: s for s in run.grade()}
    assert states["a_writer"]["total"] == 40
    assert states["b_reader"]["total"] == 38, states["b_reader"]["exercises"]["forget_gate"]
