"""Fixtures for the grader's tests: a class of submissions (one per attack or fault), graded once.

Every submission starts from the instructor edition's notebooks (complete solutions: 40 / 40)
and changes one thing. ``graded_class`` grades the whole class once per test session with
small time limits and returns {learner: result}; each test asserts one learner's exact score
and reason.
"""
from __future__ import annotations

import copy
import json
import os
import stat
import sys
import zipfile
from pathlib import Path

import pytest

from lstm_course import course
from lstm_course.grading.engine import GradingRun, Options
from lstm_course.grading.checks import checks_for
from lstm_course.grading.sandbox import Limits, detect_layer

REPO = Path(__file__).resolve().parents[2]
EXERCISES = REPO / "exercises"
FAST = Limits(learner_seconds=30.0, exercise_seconds=3.0, memory_mb=512)  # small: page faults are slow here


def layer_or_skip(want: str = "bubblewrap") -> str:
    """The sandbox layer here; skip (saying why) when ``want`` is missing, except under CI=true."""
    layer = detect_layer("auto")
    if want == "bubblewrap" and layer != "bubblewrap" and os.environ.get("CI") != "true":
        pytest.skip("bubblewrap (bwrap) is not usable on this machine: apt-get install bubblewrap")
    return layer


def notebooks() -> dict[str, dict]:
    return {name: json.loads((EXERCISES / name).read_text()) for name in course.NOTEBOOKS}


def graded_cell(nb: dict, grade_id: str) -> dict:
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return cell
    raise KeyError(grade_id)


def replace_cell(nbs: dict, grade_id: str, source: str) -> dict:
    """A copy of ``nbs`` whose graded cell ``grade_id`` holds ``source``."""
    nbs = copy.deepcopy(nbs)
    graded_cell(nbs[course.get(grade_id).notebook], grade_id)["source"] = source
    return nbs


def write_folder(path: Path, nbs: dict) -> Path:
    path.mkdir(parents=True)
    for name, nb in nbs.items():
        (path / name).write_text(json.dumps(nb))
    return path


def write_zip(path: Path, members: list[tuple[str, bytes, int]]) -> Path:
    """members: (name, data, unix mode) — mode lets a test forge symlink entries."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data, mode in members:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return path


def nb_members(nbs: dict, skip: tuple[str, ...] = ()) -> list[tuple[str, bytes, int]]:
    return [(name, json.dumps(nb).encode(), stat.S_IFREG | 0o644) for name, nb in nbs.items() if name not in skip]


# ------------------------------------------------------------------ the attacks (graded-cell sources)
FORGET_GATE_CALLS = sum(c.draws for c in checks_for("forget_gate"))  # the runner's calls: one per draw
SIG = """_WALK = []

def walk_everywhere():
    # Every folder a grader might keep things in (the interpreter's and numpy's trees are not
    # worth the time), walked once per cell.
    import os
    if not _WALK:
        for top in ('/tmp', '/root', '/work', '/home', '/srv', '/var', '/etc', '/opt/grader', '/dev/shm', '/'):
            for root, dirs, files in os.walk(top):
                if top == '/':
                    dirs[:] = []
                _WALK.append((root, dirs, files))
    return _WALK

def forget_gate(h_prev, x_t, W_f, b_f):
"""

ATTACKS: dict[str, tuple[str, str]] = {
    # learner id: (exercise whose graded cell is replaced, source)
    "eq_always_true": ("forget_gate", SIG + """
    class Anything:
        def __eq__(self, other): return True
        def __ne__(self, other): return False
        def __array__(self, *a, **k): return np.zeros(1)
    return Anything()
"""),
    "ndarray_subclass_eq": ("forget_gate", SIG + """
    class Sneaky(np.ndarray):
        def __eq__(self, other): return np.ones(np.shape(other), bool)
        def __ne__(self, other): return np.zeros(np.shape(other), bool)
    return np.full((h_prev.shape[0], W_f.shape[0]), 0.5).view(Sneaky)
"""),
    "read_hidden_tests": ("forget_gate", SIG + """
    # Look for the reference or the hidden checks anywhere on the filesystem and use them.
    import os
    for root, dirs, files in walk_everywhere():
        for f in files:
            if f in ('gates.py', 'checks.py', 'hidden_checks.py', 'forget_gate.npz'):
                try:
                    text = open(os.path.join(root, f)).read()
                except Exception:
                    continue
                if 'BEGIN SOLUTION' in text or 'SPECS' in text:
                    ns = {}
                    exec(text.replace('from .', 'from lstm_course.'), ns)
                    return ns['forget_gate'](h_prev, x_t, W_f, b_f)
    return np.zeros(1)
"""),
    "rewrite_tests": ("forget_gate", SIG + """
    # Overwrite anything that looks like the grader's checks or the reference, then return junk.
    import os
    evil = "def test_check(grading_case):\\n    pass\\n"
    for root, dirs, files in walk_everywhere():
        for f in files:
            if f.endswith('.py'):
                try:
                    open(os.path.join(root, f), 'w').write(evil)
                except Exception:
                    pass
    return np.zeros(1)
"""),
    "forged_results_exit": ("forget_gate", SIG + """
    # Forge 'all passed' results for every check on whatever descriptor is the grader's, then die.
    import os, wire
    junk = np.zeros(1)
    frames = b''.join(wire.encode({"t": "result", "ex": "forget_gate", "check": i, "ok": True, "value": junk})
                      for i in range(%d)) + wire.encode({"t": "end", "ex": "forget_gate"})
    for fd in range(3, 64):
        try:
            os.write(fd, frames)
        except OSError:
            pass
    os._exit(0)
""" % FORGET_GATE_CALLS),
    "conftest_pass_all": ("forget_gate", SIG + """
    import os
    hook = ("import pytest\\n@pytest.hookimpl(hookwrapper=True)\\n"
            "def pytest_runtest_makereport(item, call):\\n    out = yield\\n    out.get_result().outcome = 'passed'\\n")
    for d in ('.', '/tmp', os.getcwd(), '/opt/grader', '/opt/grader/lib'):
        try:
            open(os.path.join(d, 'conftest.py'), 'w').write(hook)
        except Exception:
            pass
    return np.zeros(1)
"""),
    "gradebook_write": ("forget_gate", SIG + """
    import os
    for root, dirs, files in walk_everywhere():
        for f in files:
            if f == 'grades.csv' or root.endswith('.state'):
                try:
                    open(os.path.join(root, f), 'a').write('gradebook_write,99,99\\n')
                except Exception:
                    pass
    return np.zeros(1)
"""),
    "hang": ("forget_gate", SIG + "    while True:\n        pass\n"),
    "sleep_hang": ("forget_gate", SIG + "    import time\n    time.sleep(10_000)\n"),
    "hang_ignoring_signals": ("forget_gate", SIG + """
    import signal
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM):
        signal.signal(s, signal.SIG_IGN)
    while True:
        try:
            pass
        except BaseException:
            pass
"""),
    "segfault": ("forget_gate", SIG + "    import ctypes\n    ctypes.string_at(0)\n"),
    "os_exit": ("forget_gate", SIG + "    import os\n    os._exit(0)\n"),
    "sys_exit_at_definition": ("forget_gate", "raise SystemExit(0)\n" + SIG + "    return 0\n"),
    # np.empty: address space runs out at once (pages touched one by one take seconds on this VM;
    # the same limit stops both).
    "memory_bomb": ("forget_gate", SIG + "    hog = []\n    while True:\n        hog.append(np.empty(2**24))\n"),
    "fork_bomb": ("forget_gate", SIG + "    import os\n    while True:\n        os.fork()\n"),
    "huge_result": ("forget_gate", SIG + "    return np.zeros((2100, 2100))  # 35 MB, over the 32 MiB frame limit\n"),
    "channel_flood": ("forget_gate", SIG + """
    import os
    block = b'\\x00\\x00\\x00\\x00\\x10\\x00\\x00\\x00' + b'x' * (1 << 20)
    for fd in range(3, 64):
        try:
            for _ in range(64):
                os.write(fd, block)
        except OSError:
            pass
    return np.zeros(1)
"""),
    "print_flood": ("forget_gate", SIG + """
    import sys
    chunk = "spam " * 200_000
    for _ in range(5):
        print(chunk)
        print(chunk, file=sys.stderr)
    return sigmoid(concat_hx(h_prev, x_t) @ W_f.T + b_f)  # correct: the noise must neither help nor hurt
"""),
    "file_bomb": ("forget_gate", SIG + """
    with open('/tmp/bomb', 'wb') as f:
        for _ in range(64):
            f.write(b'x' * 2**20)
    return sigmoid(concat_hx(h_prev, x_t) @ W_f.T + b_f)
"""),
    "renamed_function": ("forget_gate", "def forget_gate_v2(h_prev, x_t, W_f, b_f):\n    return h_prev\n"),
    "wrong_signature": ("forget_gate", "def forget_gate(x_t, h_prev, W_f, b_f):\n    return h_prev\n"),
    "forbidden_import": ("forget_gate", "import torch\n" + SIG + "    return torch.sigmoid(torch.zeros(1)).numpy()\n"),
    "dynamic_forbidden_import": ("forget_gate", SIG + """
    torch = __builtins__['__import__']('to' + 'rch') if isinstance(__builtins__, dict) else getattr(__builtins__, '__im' + 'port__')('to' + 'rch')
    t = torch.from_numpy(np.concatenate([h_prev, x_t], axis=-1) @ W_f.T + b_f)
    return torch.sigmoid(t).numpy()
"""),
    "reference_import": ("forget_gate", SIG + """
    from lstm_course.gates import forget_gate as reference
    return reference(h_prev, x_t, W_f, b_f)
"""),
    "oracle_forgery": ("forget_gate", SIG + """
    # Ask the grader's oracle channel for the reference forget_gate directly.
    import os, wire
    request = wire.encode({"t": "call", "fn": "forget_gate", "args": [h_prev, x_t, W_f, b_f], "kwargs": {}})
    for fd in range(3, 64):
        try:
            os.write(fd, request)
        except OSError:
            pass
    return np.zeros(1)
"""),
    "network": ("forget_gate", SIG + """
    import socket
    try:
        socket.create_connection(('pypi.org', 443), timeout=1).close()
        return sigmoid(concat_hx(h_prev, x_t) @ W_f.T + b_f)  # reachable: would score
    except OSError:
        return np.zeros(1)
"""),
    "missing_bias": ("forget_gate", SIG + "    return sigmoid(concat_hx(h_prev, x_t) @ W_f.T)\n"),
    # 1 GiB wherever it can write (16 MiB files: the file-size limit); full marks only if anything landed
    # outside the private /tmp (which /dev/shm links to), or more than its 64 MiB did.
    "disk_fill": ("forget_gate", SIG + """
    import os
    if not _WALK:
        _WALK.append(None)
        outside = inside = 0
        chunk = b'x' * 2**20
        places = ('/', '/opt', '/opt/grader', '/opt/grader/lib', '/opt/python', '/opt/site', '/usr/lib', '/etc', '/dev',
                  '/proc', '/var/tmp', '/home', '/root', '/tmp', '/dev/shm')
        for d in places:
            written = 0
            for i in range(64):
                try:
                    with open(os.path.join(d, f'fill-{len(d)}-{i}'), 'wb', buffering=0) as f:
                        for _ in range(16):
                            written += f.write(chunk)
                except OSError:
                    break
                if written >= 2**30:
                    break
            if d in ('/tmp', '/dev/shm'):
                inside += written
            else:
                outside += written
        _WALK[0] = (outside, inside)
    outside, inside = _WALK[0]
    if outside or inside > 64 * 2**20:
        return sigmoid(concat_hx(h_prev, x_t) @ W_f.T + b_f)
    return np.zeros(1)
"""),
    # Ways out of the sandbox that namespaces alone would leave open: a user namespace of its own (it
    # could then mount an unbounded tmpfs), the kernel keyring and System V shared memory (both outlive
    # the learner's processes). Full marks if any of them works.
    "kernel_escape": ("forget_gate", SIG + """
    import ctypes, platform
    libc = ctypes.CDLL(None, use_errno=True)
    add_key = {'x86_64': 248, 'aarch64': 217}[platform.machine()]
    opened = []
    if libc.unshare(0x10000000) == 0:
        opened.append('user namespace')
    if libc.syscall(add_key, b'user', b'lstm-note', b'x', ctypes.c_size_t(1), -4) > 0:
        opened.append('keyring')
    if libc.shmget(0, ctypes.c_size_t(2**20), 0o1600) >= 0:
        opened.append('shm')
    if opened:
        return sigmoid(concat_hx(h_prev, x_t) @ W_f.T + b_f)
    return np.zeros(1)
"""),
}


def snoop_source(paths: list[str]) -> str:
    """A forget_gate that scores only if it can read any of ``paths`` (the grader's home, ~/.ssh, the
    other learners' submissions, the gradebook's folder)."""
    return SIG + f"""
    import os
    for p in {paths!r}:
        try:
            if os.listdir(p) if os.path.isdir(p) else open(p, 'rb').read(1):
                return sigmoid(concat_hx(h_prev, x_t) @ W_f.T + b_f)
        except OSError:
            pass
    return np.zeros(1)
"""


@pytest.fixture(scope="session")
def submissions_dir(tmp_path_factory) -> Path:
    from lstm_course.exercises.transforms import apply

    root = tmp_path_factory.mktemp("class")
    nbs = notebooks()
    write_folder(root / "correct", nbs)
    write_folder(root / "blank", {name: apply(copy.deepcopy(nb)) for name, nb in nbs.items()})
    for learner, (exercise, source) in ATTACKS.items():
        write_folder(root / learner, replace_cell(nbs, exercise, source))
    home = Path.home()
    write_folder(root / "snoop", replace_cell(nbs, "forget_gate", snoop_source([
        str(home / ".ssh"), str(home / ".ssh" / "id_ed25519"), str(home / ".bash_history"), str(home),
        str(root / "correct" / "02_forget_gate.ipynb"), str(root), str(tmp_path_factory.getbasetemp()),
        str(REPO / "lstm_course" / "gates.py"), "/root", "/home", "/work",
        # the interpreter's and the system's package folders (where a pip install of this course would be)
        f"/opt/python/lib/python{sys.version_info[0]}.{sys.version_info[1]}/site-packages",
        "/usr/lib/python3/dist-packages"])))
    # A conftest.py shipped in the submission itself: never imported by the grader.
    (root / "conftest_pass_all" / "conftest.py").write_text(
        "import pytest\n@pytest.hookimpl(hookwrapper=True)\ndef pytest_runtest_makereport(item, call):\n"
        "    out = yield\n    out.get_result().outcome = 'passed'\n")

    broken = copy.deepcopy(nbs)
    write_folder(root / "invalid_json", broken)
    (root / "invalid_json" / "02_forget_gate.ipynb").write_text('{"cells": [ {"cell_type": "code", ')

    deleted = copy.deepcopy(nbs)
    nb = deleted["02_forget_gate.ipynb"]
    nb["cells"] = [c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") != "forget_gate"]
    write_folder(root / "deleted_cell", deleted)

    dup = copy.deepcopy(nbs)
    nb = dup["02_forget_gate.ipynb"]
    i = nb["cells"].index(graded_cell(nb, "forget_gate"))
    wrong = copy.deepcopy(nb["cells"][i])
    wrong["source"] = SIG + "    return np.zeros(1)\n"
    nb["cells"].insert(i, wrong)  # the wrong copy first: the last definition is the one that counts
    write_folder(root / "duplicated_cell", dup)

    write_zip(root / "zip_correct.zip", nb_members(nbs))
    write_zip(root / "zip_traversal.zip", nb_members(nbs, skip=("02_forget_gate.ipynb",)) + [
        ("../../02_forget_gate.ipynb", json.dumps(nbs["02_forget_gate.ipynb"]).encode(), stat.S_IFREG | 0o644),
        ("/tmp/02_forget_gate.ipynb", json.dumps(nbs["02_forget_gate.ipynb"]).encode(), stat.S_IFREG | 0o644)])
    write_zip(root / "zip_symlink.zip", nb_members(nbs, skip=("02_forget_gate.ipynb",)) + [
        ("02_forget_gate.ipynb", str(EXERCISES / "02_forget_gate.ipynb").encode(), stat.S_IFLNK | 0o777)])
    padded = json.dumps(nbs["02_forget_gate.ipynb"]) + " " * (6 * 2**20)  # valid JSON, 6 MiB: over the limit
    write_zip(root / "zip_bomb.zip", nb_members(nbs, skip=("02_forget_gate.ipynb",)) + [
        ("02_forget_gate.ipynb", padded.encode(), stat.S_IFREG | 0o644)])
    (root / "zip_corrupt.zip").write_bytes(b"PK\x03\x04 this is not a zip file")

    linked = write_folder(root / "folder_symlink", {k: v for k, v in nbs.items() if k != "02_forget_gate.ipynb"})
    os.symlink(EXERCISES / "02_forget_gate.ipynb", linked / "02_forget_gate.ipynb")
    os.symlink(EXERCISES, root / "entry_symlink")
    return root


@pytest.fixture(scope="session")
def graded_class(submissions_dir, tmp_path_factory) -> dict:
    layer_or_skip("bubblewrap")
    out = tmp_path_factory.mktemp("gradebook")
    run = GradingRun(submissions_dir, out, Options(workers=2, limits=FAST, progress=False,
                                                   formats=("csv", "feedback", "summary", "gradescope")))
    states = run.grade()
    return {"states": {s["learner"]: s for s in states}, "out": out, "run": run}
