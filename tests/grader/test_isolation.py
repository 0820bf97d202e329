"""One learner never reaches another, the instructor, or the time after the run; the layer is stated truthfully.

These hold whatever the grader's uid: CI runs them as root and again as an ordinary user
(test_as_ordinary_user.py). Each attack here would have worked on the sandbox of issue 15.
"""
from __future__ import annotations

import glob
import json
import os
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from lstm_course.grading.engine import GradingRun, Options
from lstm_course.grading.sandbox import Limits, Sandbox, describe

from .conftest import layer_or_skip, notebooks, replace_cell, write_folder

LIMITS = Limits(learner_seconds=30.0, exercise_seconds=5.0, memory_mb=512)
CORRECT = "    return sigmoid(concat_hx(h_prev, x_t) @ W_f.T + b_f)\n"

# A correct forget_gate that leaves a process behind: it waits until its own learner's process is
# gone, then for 20 s writes forged frames ("all checks passed", "end", "exited", junk) to every
# descriptor it holds, i.e. whatever channel it inherited.
FORGER = '''_SPAWNED = []

def forget_gate(h_prev, x_t, W_f, b_f):
    import os, time, wire
    if not _SPAWNED:
        _SPAWNED.append(1)
        runner = os.getpid()
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                try:
                    while True:
                        os.kill(runner, 0)
                        time.sleep(0.002)
                except OSError:
                    pass
                junk = np.zeros(1)
                frames = b"".join(wire.encode({"t": "result", "ex": e, "check": i, "ok": True, "value": junk})
                                  for e in ("forget_gate", "input_gate", "lstm_cell_forward") for i in range(8))
                frames += wire.encode({"t": "end", "ex": "forget_gate"}) + wire.encode({"t": "exited", "status": 9})
                frames += b"\\xff" * 64
                end = time.time() + 20
                while time.time() < end:
                    for fd in range(64):
                        try:
                            os.write(fd, frames)
                        except OSError:
                            pass
                    time.sleep(0.005)
            os._exit(0)
''' + CORRECT

# A correct forget_gate that leaves a process named lstm-lingerer sleeping; HANG_AFTER also hangs
# its own learner (so that the grader can be killed while the lingerer's learner is running).
LINGERER = '''_SPAWNED = []

def forget_gate(h_prev, x_t, W_f, b_f):
    import ctypes, os, time
    if not _SPAWNED:
        _SPAWNED.append(1)
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                ctypes.CDLL(None).prctl(15, b"lstm-lingerer", 0, 0, 0)  # PR_SET_NAME
                time.sleep(600)
            os._exit(0)
        HANG_AFTER
''' + CORRECT


def lingerers() -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "lstm-lingerer":
                found.append(pid)
        except OSError:
            pass
    return found


def cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from lstm_course.cli import main; sys.exit(main(sys.argv[1:]))", *args]


@pytest.fixture(scope="module")
def forger_class(tmp_path_factory) -> Path:
    layer_or_skip("bubblewrap")
    root = tmp_path_factory.mktemp("forger-class")
    nbs = notebooks()
    write_folder(root / "a_forger", replace_cell(nbs, "forget_gate", FORGER))
    for name in ("b_honest", "c_honest", "d_honest", "e_honest", "f_honest"):
        write_folder(root / name, nbs)
    return root


def grade(subs: Path, out: Path, workers: int) -> dict[str, dict]:
    run = GradingRun(subs, out, Options(workers=workers, limits=LIMITS, progress=False, fresh=True))
    return {s["learner"]: s for s in run.grade()}


def test_a_process_left_behind_cannot_forge_anything_for_later_learners(forger_class, tmp_path):
    """Honest learners graded after the forger on the same worker (1 worker) or on either (2) get full
    marks, and regrading gives the same gradebook byte for byte."""
    books = []
    for workers, name in ((1, "w1"), (2, "w2"), (2, "w2-regrade")):
        states = grade(forger_class, tmp_path / name, workers)
        assert {k: s["total"] for k, s in states.items()} == {k: 40 for k in states}, \
            {k: [c.get("detail") for r in s["exercises"].values() for c in r["checks"] if not c["passed"]][:3]
             for k, s in states.items() if s["total"] != 40}
        assert all(not s["internal_errors"] for s in states.values())
        books.append((tmp_path / name / "grades.csv").read_bytes())
    assert books[0] == books[1] == books[2]


def test_no_process_of_a_learner_outlives_the_run(tmp_path):
    """The lingerer's double-forked, setsid process is gone when its learner's turn ends, and so also
    once the grader exits."""
    layer_or_skip("bubblewrap")
    assert not lingerers(), "a lingerer from elsewhere is already running"
    nbs = notebooks()
    write_folder(tmp_path / "subs" / "a_lingerer", replace_cell(nbs, "forget_gate", LINGERER.replace("HANG_AFTER", "pass")))
    write_folder(tmp_path / "subs" / "b_honest", nbs)
    r = subprocess.run(cli("grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--workers", "1",
                           "--no-progress"), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert ",40,40" in (tmp_path / "out" / "grades.csv").read_text().split("a_lingerer", 1)[1].splitlines()[0]
    assert not lingerers()


def test_killing_the_grader_ends_every_learner_process(tmp_path):
    """kill -9 of the grader while a learner (with a lingerer of its own) is running leaves nothing behind."""
    layer_or_skip("bubblewrap")
    assert not lingerers(), "a lingerer from elsewhere is already running"
    nbs = notebooks()
    source = LINGERER.replace("HANG_AFTER", "time.sleep(60)")
    write_folder(tmp_path / "subs" / "a_lingerer", replace_cell(nbs, "forget_gate", source))
    proc = subprocess.Popen(cli("grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--no-progress",
                                "--exercise-time-limit", "60", "--time-limit", "120"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not lingerers():
            assert time.monotonic() < deadline and proc.poll() is None, "the lingerer never started"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 10
    while lingerers() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not lingerers()


def test_the_layer_and_its_guarantees_are_stated_everywhere(tmp_path):
    """At the start (stderr), in summary.md, summary.json and each learner's state: the same sentence,
    naming the uid learner code really runs as."""
    layer_or_skip("bubblewrap")
    write_folder(tmp_path / "subs" / "ann", notebooks())
    r = subprocess.run(cli("grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--no-progress"),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    first = r.stderr.splitlines()[0]
    assert first.startswith("sandbox: bubblewrap: each learner runs as ")
    if os.geteuid() == 0:
        assert "never root" in first
    else:
        assert f"as uid {os.geteuid()} (the grader's own user" in first
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    [stated] = summary["sandbox"]
    assert stated.startswith("bubblewrap: each learner runs as")
    assert ("never root" in stated) == (os.geteuid() == 0)
    assert stated in (tmp_path / "out" / "summary.md").read_text()
    state = json.loads((tmp_path / "out" / ".state" / "ann.json").read_text())
    assert state["sandbox"] == stated
    for words in ("pid and mount namespaces of its own", "without network", "/tmp of its own (64 MiB, /dev/shm included",
                  "no file of the grader's user, the course, the gradebook or another learner is visible"):
        assert words in stated


def test_describe_is_truthful_per_layer_and_uid():
    limits = Limits()
    assert "as uid 1000 (the grader's own user, mapped into a user namespace)" in describe("bubblewrap", limits, uid=1000)
    assert "as uid 61064+worker (never root) without capabilities" in describe("bubblewrap", limits, uid=0, uid_base=61064)
    plain = describe("rlimits", limits, uid=1000)
    assert plain.startswith("rlimits only, NO ISOLATION") and "can read and change every file that user can" in plain
    assert "~/.ssh" in plain and "leave processes running after the run" in plain
    as_root = describe("rlimits", limits, uid=0, uid_base=61000)
    assert "world-readable file" in as_root and "killed by uid" in as_root


def test_no_isolation_is_refused_unless_asked_for_alarmingly(tmp_path):
    write_folder(tmp_path / "subs" / "ann", notebooks())
    out = tmp_path / "out"
    r = subprocess.run(cli("grade", str(tmp_path / "subs"), "--out", str(out), "--sandbox", "rlimits"),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "--unsafe-no-isolation" in r.stderr and "does not isolate learners" in r.stderr
    assert not out.exists()
    r = subprocess.run(cli("grade", str(tmp_path / "subs"), "--out", str(out), "--sandbox", "unshare"),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "invalid choice: 'unshare'" in r.stderr
    r = subprocess.run(cli("grade", str(tmp_path / "subs"), "--out", str(out), "--sandbox", "rlimits",
                           "--unsafe-no-isolation", "--no-progress"), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stderr.startswith("WARNING: sandbox: rlimits only, NO ISOLATION")
    assert "rlimits only, NO ISOLATION" in (out / "summary.md").read_text()


def test_a_machine_without_bubblewrap_is_told_what_to_do(tmp_path):
    """No silent downgrade: without bwrap on PATH the grader refuses, names what is missing and the ways out."""
    write_folder(tmp_path / "subs" / "ann", notebooks())
    out = tmp_path / "out"
    (tmp_path / "bin").mkdir()
    r = subprocess.run(cli("grade", str(tmp_path / "subs"), "--out", str(out)), capture_output=True, text=True,
                       timeout=300, env={**os.environ, "PATH": str(tmp_path / "bin")})
    assert r.returncode == 2, r.stderr
    for words in ("refusing to run learner code without isolation", "bubblewrap (bwrap) is not installed",
                  "apt-get install bubblewrap", "container/Dockerfile", "gradescope-bundle", "--unsafe-no-isolation"):
        assert words in r.stderr
    assert not out.exists()


def test_python_package_folders_are_masked_in_the_sandbox():
    """site-packages of the interpreter and the system's dist-packages (a pip install of this course, its
    reference included) are empty in the sandbox, wherever they are bound from."""
    stdlib = os.path.realpath(sysconfig.get_path("stdlib"))
    hidden = Sandbox._hidden([(stdlib, "/opt/python/lib/python3.11"), ("/usr/lib", "/usr/lib")])
    if os.path.isdir(os.path.join(stdlib, "site-packages")):
        assert "/opt/python/lib/python3.11/site-packages" in hidden
    for d in glob.glob("/usr/lib/python3*/*-packages"):
        assert os.path.realpath(d) in hidden
    repo = os.path.realpath(Path(__file__).resolve().parents[2])  # the folder holding lstm_course
    assert Sandbox._hidden([(repo, "/x")]) == ["/x/lstm_course"]
