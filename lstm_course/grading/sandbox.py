"""Running one learner's code: a fenced-in process per learner, and the grader's side of the talk.

Layers (:func:`detect_layer`; :func:`describe` says exactly what each guarantees, and every
summary quotes it):

``bubblewrap``  the only layer that isolates, and the default. bwrap from Debian starts one
                sandbox per worker: new pid, net, ipc, uts and mount namespaces (plus a user
                namespace when the grader is not root), seeing the Python interpreter, numpy and
                the generated helper library read-only, and nothing else: not the course's
                repository, not the submissions, not the gradebook, not the grader's home. Each
                learner then runs in pid and mount namespaces of its own inside it (see
                :mod:`.namespaces`): its own /proc, its own size-limited /tmp (/dev/shm links there), no
                capabilities, a seccomp filter; when its turn ends the kernel ends every process
                it started and drops its files.
``rlimits``     no isolation at all: learner code runs with the rlimits below, as an unprivileged
                uid of its own when the grader is root, else as the grader's own user. Refused unless asked for
                with ``unsafe_no_isolation`` (``--unsafe-no-isolation``).

If bubblewrap cannot run here, grading is refused with a message that says what is missing and
how to get it (:data:`HOW_TO_ISOLATE`); there is no silent fallback.

On both layers the learner's process sets rlimits (soft = hard) before any learner code:
address space, CPU seconds, processes, file size, open files, no core dumps; when the grader
runs as root it then drops to an unprivileged uid of its own (one per worker slot, from a range
this run holds a lock on, so two grading runs on one machine never share one). The
environment is empty apart from pinning BLAS to one thread. The grader keeps a wall-clock
deadline per exercise and per learner, caps the bytes it reads, and kills the whole sandbox when
any of these trips.

Each worker slot keeps one sandboxed *zygote* (:mod:`.runner`): a Python that imported numpy
once. Per learner the grader makes a fresh socket pair, passes one end to the zygote over the
zygote's own socket (``SCM_RIGHTS``) and keeps the other: that learner's channel, held by no one
else (the learner's process closes the zygote's socket before anything else, and a process it
leaves behind dies with its pid namespace). The zygote forks the learner's process and, once it
and everything it started have ended, reports ``exited`` with the wait status on its own socket. After a crash the zygote is reused; after a hang or a
protocol violation the grader throws the whole sandbox away and starts another.

Protocol on a learner's channel (all frames :mod:`wire`): the grader sends one job and the
learner's process answers ``ready`` (or ``setup_error``: ours, not the learner's), then per
exercise ``begin``, any number of oracle ``call``s (each answered with ``ret`` or ``err``), a
``result`` per check in order (or one ``load_error``), ``end``; finally ``done``. Anything else,
out of order, or for an exercise or oracle it was not asked about, is a protocol violation: the
grader stops that learner. A crash, hang or violation costs only the exercise that was running
(the checks already answered keep their result); the grader starts a fresh process for the
exercises that remain.
"""
from __future__ import annotations

import glob
import json
import os
import pwd
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import namespaces, sandbox_lib, wire
from .checks import ORACLE_FUNCTIONS

LAYERS = ("bubblewrap", "rlimits")
# As root, learners run as uids from UID_BASE up, a range of UID_RANGE per run; no account may own them.
UID_BASE = int(os.environ.get("LSTM_COURSE_UID_BASE", "61000"))
UID_RANGE, UID_RANGES = 64, 16  # one uid per worker slot within a range; ranges UID_BASE + UID_RANGE * i
UID_LOCKS = "/run/lock" if os.path.isdir("/run/lock") else tempfile.gettempdir()
# The zygote's capabilities: namespaces and mounts (SYS_ADMIN), going back to its own mount namespace
# (SYS_CHROOT) and, as root, the uid drop (SETUID, SETGID). Learner processes drop them all.
ZYGOTE_CAPABILITIES = ("CAP_SYS_ADMIN", "CAP_SYS_CHROOT")
ROOT_CAPABILITIES = ZYGOTE_CAPABILITIES + ("CAP_SETUID", "CAP_SETGID")
# /dev holds these devices only (no devpts: bwrap's --dev would need a second, nested user namespace,
# from which the zygote could not return to its own pid namespace).
DEVICES = ("null", "zero", "full", "random", "urandom")

HOW_TO_ISOLATE = (
    "To isolate learners, install bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf "
    "install bubblewrap; Arch: sudo pacman -S bubblewrap), or grade inside the course's container, which works on "
    "macOS and Windows too (docker build -f container/Dockerfile -t lstm-grader . ; its header says how to run it), "
    "or on Gradescope (lstm-course gradescope-bundle). Grading WITHOUT isolation, where learner code runs as you and "
    "can read and change your files, needs --sandbox rlimits --unsafe-no-isolation.")


class SandboxUnavailable(RuntimeError):
    """No layer that may be used is available: the message says what is missing and how to get it."""


@dataclass(frozen=True)
class Limits:
    """Bounds on one learner's process. Times in seconds, sizes in MiB."""

    learner_seconds: float = 60.0  # wall clock for all of a learner's exercises
    exercise_seconds: float = 10.0  # wall clock for one exercise (all its checks)
    memory_mb: int = 1024  # address space; numpy itself needs ~300 MiB of it
    processes: int = 16  # per sandbox uid (threads count too)
    file_mb: int = 16  # largest file the learner may write
    output_mb: int = 32  # bytes the grader reads from one learner in total
    scratch_mb: int = 64  # size of the learner's private /tmp, which /dev/shm links to (bubblewrap)


@dataclass
class ExerciseJob:
    """What the sandbox needs to run one exercise: source and inputs, never expected outputs."""

    name: str
    source: str
    imports: list[str]
    oracles: list[str]
    kind: str
    inputs: list[dict]


@dataclass
class ExerciseRun:
    """What came back: per check ("ok", value) / ("error", message) / None (never answered)."""

    results: list = field(default_factory=list)
    load_error: str | None = None
    stopped: str | None = None  # why the process was stopped during this exercise
    forbidden: list[str] = field(default_factory=list)


class _Stop(Exception):
    """The learner's process must be stopped (or has died: ``died``); the message is the learner-facing reason."""

    def __init__(self, reason: str = "", died: bool = False) -> None:
        super().__init__(reason)
        self.died = died


def _namespace_flags(root: bool) -> list[str]:
    """bwrap's namespaces and capabilities: the zygote keeps just what it needs to fence learners in."""
    flags = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
             "--die-with-parent", "--new-session"]
    if root:
        flags += ["--cap-drop", "ALL"]
        for cap in ROOT_CAPABILITIES:
            flags += ["--cap-add", cap]
    else:
        flags += ["--unshare-user"]
        for cap in ZYGOTE_CAPABILITIES:
            flags += ["--cap-add", cap]
    return flags


def bubblewrap_problem() -> str | None:
    """Why bubblewrap cannot build the sandbox on this machine, for this user (None: it can)."""
    if not shutil.which("bwrap"):
        return "bubblewrap (bwrap) is not installed"
    root = os.geteuid() == 0
    args = ["bwrap", *_namespace_flags(root), "--ro-bind", "/", "/", "--proc", "/proc", "true"]
    try:
        r = subprocess.run(args, capture_output=True, timeout=20)
    except (OSError, subprocess.SubprocessError) as e:
        return f"bwrap could not be run ({e})"
    if r.returncode == 0:
        return None
    said = (r.stderr.decode(errors="replace").strip().splitlines() or [f"exit status {r.returncode}"])[-1]
    why = ("" if root else "; as an ordinary user bwrap needs unprivileged user namespaces (sysctl "
           "kernel.unprivileged_userns_clone=1 and user.max_user_namespaces > 0; on Ubuntu 23.10 and later an "
           "AppArmor profile for bwrap, see kernel.apparmor_restrict_unprivileged_userns)")
    return f"bwrap is installed but cannot create its namespaces here ({said}){why}"


def detect_layer(preference: str = "auto", unsafe_no_isolation: bool = False) -> str:
    """The sandbox layer to use, or :class:`SandboxUnavailable` saying what is missing; never a silent downgrade."""
    if preference not in ("auto",) + LAYERS:
        raise ValueError(f"sandbox must be one of auto, {', '.join(LAYERS)}; got {preference!r}")
    if preference == "rlimits":
        if not unsafe_no_isolation:
            raise SandboxUnavailable(
                "--sandbox rlimits does not isolate learners: their code would run as "
                + ("an unprivileged uid and could read every world-readable file" if os.geteuid() == 0 else
                   f"you (uid {os.geteuid()}) and could read and change your files")
                + ", use the network and leave processes behind. Add --unsafe-no-isolation to grade like that anyway, "
                  "or use --sandbox bubblewrap.")
        return "rlimits"
    problem = bubblewrap_problem()
    if problem:
        raise SandboxUnavailable(f"refusing to run learner code without isolation: {problem}. {HOW_TO_ISOLATE}")
    return "bubblewrap"


def describe(layer: str, limits: Limits, uid: int | None = None, uid_base: int | None = None) -> str:
    """What ``layer`` guarantees for a grader running as ``uid`` (default: this process's): one truthful sentence.

    ``uid_base``: as root, the first uid of the range the run holds (unknown before the sandbox starts)."""
    uid = os.geteuid() if uid is None else uid
    own = f"uid {uid_base}+worker" if uid_base is not None else f"a uid of its own ({UID_BASE} and up, one per worker)"
    L = limits
    bounds = (f"limits per learner: address space {L.memory_mb} MiB, {L.processes} processes, files of "
              f"{L.file_mb} MiB, {int(L.learner_seconds) + 2} s of CPU, 64 open files, {L.exercise_seconds:g} s "
              f"per exercise and {L.learner_seconds:g} s in all (wall clock); empty environment")
    if layer == "bubblewrap":
        who = (f"as {own} (never root)" if uid == 0 else
               f"as uid {uid} (the grader's own user, mapped into a user namespace)")
        seccomp = ("new user namespaces, kernel keyrings, System V IPC and message queues are blocked (seccomp)"
                   if namespaces.seccomp_program() is not None else
                   "WARNING: no seccomp filter for this CPU architecture, so new user namespaces are not blocked")
        return (f"bubblewrap: each learner runs {who} without capabilities, in pid and mount namespaces of its "
                "own (every process it starts ends when its turn does) and without network; it sees only the Python "
                f"interpreter, numpy and the grader's helper library, read-only, and a /tmp of its own ({L.scratch_mb} "
                "MiB, /dev/shm included, discarded after it); nothing else is writable, and no file of the grader's "
                "user, the course, the gradebook or another learner is visible; it talks to the grader over a socket "
                f"of its own; {seccomp}; {bounds}")
    if uid == 0:
        return (f"rlimits only, NO ISOLATION (--unsafe-no-isolation): each learner runs as {own}, can "
                "read every world-readable file (possibly the course's reference solutions and other learners' "
                "submissions), use the network and see the machine's processes; what it leaves running is killed by "
                f"uid after it; {bounds}")
    return (f"rlimits only, NO ISOLATION (--unsafe-no-isolation): learner code runs as uid {uid}, the grader's own "
            "user, and can read and change every file that user can (the course's reference solutions, other "
            "learners' submissions, the gradebook, ~/.ssh), use the network, and leave processes running after the "
            f"run; {bounds}")


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"


@dataclass
class _Zygote:
    proc: subprocess.Popen
    sock: socket.socket  # the grader's end of the zygote's socket
    chan: "_Channel"
    scratch: str | None  # rlimits: the slot's scratch folder
    log: Path  # bwrap's and the zygote's stderr (before it silences itself)
    sandbox_pidfd: int | None = None  # bwrap: the sandbox's pid 1, which exits only once everything in it has


class Sandbox:
    """Builds the sandbox's files once per run; :meth:`run` grades one learner's exercises."""

    def __init__(self, workdir: Path, limits: Limits, layer: str = "auto", forbidden: tuple[str, ...] = (),
                 unsafe_no_isolation: bool = False) -> None:
        self.limits = limits
        self.layer = detect_layer(layer, unsafe_no_isolation)
        self.forbidden = list(forbidden)
        self.root = os.geteuid() == 0
        self.uid_base, self._uid_lock = _claim_uids() if self.root else (0, None)
        self.workdir = Path(workdir)
        self.files = sandbox_lib.build(self.workdir / "sandbox")
        os.chmod(workdir, 0o755)
        for path in [self.files, *self.files.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        self.python = os.path.realpath(sys.executable)
        self.site = os.path.dirname(os.path.dirname(np.__file__))
        self.reported_cpu = 0.0  # CPU seconds the runners say they used (benchmarks; not trusted for grading)
        self._zygotes: dict[int, _Zygote] = {}
        self.description = describe(self.layer, limits, uid_base=self.uid_base if self.root else None)
        self._probe()

    def describe(self) -> str:
        return self.description

    # ------------------------------------------------------------------ process
    def _interpreter_binds(self) -> tuple[list[tuple[str, str]], dict[str, str]]:
        """(host path, sandbox path) pairs for the interpreter under /opt/python, and the environment it needs.

        Only the executable, the standard library and libpython: the prefix's site-packages (and with
        them anything the instructor installed there, this course included) stay out."""
        stdlib = os.path.realpath(sysconfig.get_path("stdlib"))
        version = os.path.basename(stdlib)  # python3.11
        binds = [(self.python, "/opt/python/bin/" + os.path.basename(self.python)),
                 (stdlib, f"/opt/python/lib/{version}")]
        env = {}
        if sysconfig.get_config_var("Py_ENABLE_SHARED"):
            # A shared build finds libpython through an absolute RUNPATH that does not exist in here.
            libdir, soname = sysconfig.get_config_var("LIBDIR"), sysconfig.get_config_var("INSTSONAME")
            if libdir and soname and os.path.isfile(os.path.join(libdir, soname)):
                binds.append((os.path.join(libdir, soname), f"/opt/python/lib/{soname}"))
                env["LD_LIBRARY_PATH"] = "/opt/python/lib"
        return binds, env

    def _bwrap_command(self, config: dict, info_fd: int) -> list[str]:
        L = self.limits
        cmd = ["bwrap", *_namespace_flags(self.root), "--info-fd", str(info_fd), "--hostname", "sandbox", "--clearenv"]
        binds: list[tuple[str, str]] = []
        for d in ("/usr/lib", "/usr/lib64", "/usr/lib32"):  # shared libraries; not /usr/local, /usr/share, /usr/bin
            if os.path.isdir(d) and not os.path.islink(d):
                binds.append((d, d))
        if os.path.isfile("/etc/ld.so.cache"):
            binds.append(("/etc/ld.so.cache", "/etc/ld.so.cache"))
        python, env = self._interpreter_binds()
        binds += python
        binds += [(os.path.join(self.site, d), f"/opt/site/{d}") for d in ("numpy", "numpy.libs")
                  if os.path.isdir(os.path.join(self.site, d))]
        binds.append((str(self.files), "/opt/grader"))
        # bwrap creates missing parents 0700, which the unprivileged uid could not traverse: make them first.
        for d in ("/etc", "/opt", "/opt/python", "/opt/python/bin", "/opt/python/lib", "/opt/site"):
            cmd += ["--perms", "0755", "--dir", d]
        for d in ("lib", "lib64", "lib32", "bin", "sbin"):
            p = Path("/" + d)
            if p.is_symlink() and os.readlink(p).startswith("usr/lib"):
                cmd += ["--symlink", os.readlink(p), "/" + d]
            elif p.is_dir() and not p.is_symlink() and d.startswith("lib"):
                binds.append((str(p), str(p)))
        for src, dest in binds:
            cmd += ["--ro-bind", src, dest]
        for dest in self._hidden(binds):
            cmd += ["--perms", "0755", "--size", "4096", "--tmpfs", dest, "--remount-ro", dest]
        cmd += ["--proc", "/proc", "--perms", "0755", "--tmpfs", "/dev"]
        for d in DEVICES:
            cmd += ["--dev-bind", f"/dev/{d}", f"/dev/{d}"]
        cmd += ["--symlink", "/tmp", "/dev/shm", "--symlink", "/proc/self/fd", "/dev/fd",
                "--perms", "0755", "--dir", "/tmp", "--chdir", "/", "--remount-ro", "/dev", "--remount-ro", "/"]
        env.update({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
        for k, v in env.items():
            cmd += ["--setenv", k, v]
        config.update(lib="/opt/grader/lib", site="/opt/site", scratch=["/tmp"],
                      scratch_bytes=L.scratch_mb * 2**20)
        python_in = python[0][1]
        return cmd + [python_in, "-I", "-S", "/opt/grader/runner.py", json.dumps(config)]

    @staticmethod
    def _hidden(binds: list[tuple[str, str]]) -> list[str]:
        """Sandbox paths of Python package folders the read-only binds would otherwise show.

        The interpreter needs none of them (it runs with -I -S), and one may hold this course, its
        reference solutions included (a system-wide pip install, a Debian package)."""
        package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # lstm_course itself
        candidates = {os.path.realpath(p) for p in glob.glob("/usr/lib*/python3*/*-packages")}
        candidates.add(os.path.realpath(package))
        candidates.add(os.path.join(os.path.realpath(sysconfig.get_path("stdlib")), "site-packages"))
        hidden = []
        for host in sorted(candidates):
            if not os.path.isdir(host):
                continue
            for src, dest in binds:
                src = os.path.realpath(src)
                if host == src or host.startswith(src.rstrip("/") + "/"):
                    hidden.append(dest + host[len(src):])
        return sorted(set(hidden))

    def _command(self, slot: int, scratch: str | None, info_fd: int) -> list[str]:
        if slot >= UID_RANGE:
            raise RuntimeError(f"at most {UID_RANGE} workers")
        uid = self.uid_base + slot if self.root else 0
        L = self.limits
        config = {"uid": uid, "gid": uid, "isolate": self.layer == "bubblewrap",
                  "limits": [L.memory_mb * 2**20, int(L.learner_seconds) + 2, L.processes, L.file_mb * 2**20]}
        if self.layer == "bubblewrap":
            return self._bwrap_command(config, info_fd)
        config.update(lib=str(self.files / "lib"), site=self.site, scratch=[str(scratch)], scratch_bytes=0)
        return ["env", "-i", "OPENBLAS_NUM_THREADS=1", "OMP_NUM_THREADS=1", "MKL_NUM_THREADS=1",
                self.python, "-I", "-S", str(self.files / "runner.py"), json.dumps(config)]

    def _kill(self, zygote: _Zygote, slot: int) -> None:
        proc = zygote.proc
        if proc.returncode is None:  # once reaped, its pid may belong to anyone
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # bwrap's --die-with-parent takes the whole sandbox with it
            except (ProcessLookupError, PermissionError):
                pass
        if zygote.sandbox_pidfd is not None:
            # ... asynchronously: wait until the sandbox's pid 1 has gone, which the kernel lets happen only
            # after every process inside has (so nothing of this sandbox outlives the call, or the run).
            select.select([zygote.sandbox_pidfd], [], [], 10)
            os.close(zygote.sandbox_pidfd)
            zygote.sandbox_pidfd = None
        if self.root and self.layer == "rlimits":
            # Without namespaces whatever escaped the process group still runs as the slot's uid.
            pid = os.fork()
            if pid == 0:
                try:
                    os.setgid(self.uid_base + slot)
                    os.setuid(self.uid_base + slot)
                    os.kill(-1, signal.SIGKILL)
                finally:
                    os._exit(0)
            os.waitpid(pid, 0)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def _probe(self) -> None:
        """Fence in one empty learner before grading anyone: a sandbox that cannot is refused here."""
        try:
            zygote = self._zygote(0)
            chan, sock = self._open_learner(zygote)
            try:
                start_by = time.monotonic() + 30
                chan.send({"forbidden": [], "graded": [], "exercises": []}, start_by)
                self._expect_ready(chan, start_by)
                chan.expect(chan.recv(start_by), "done")
                status = self._exit_status(zygote, time.monotonic() + 10)
                if status != 0:
                    raise _Stop(f"the empty learner {self._death(status)}")
            finally:
                sock.close()
        except (_Stop, _Died) as e:
            log = self._log_tail(0)
            self.close()
            raise SandboxUnavailable(f"the {self.layer} sandbox does not work on this machine: "
                                     f"{e or 'its process died'}{log}. {HOW_TO_ISOLATE}") from None

    def _log_tail(self, slot: int) -> str:
        try:
            lines = (self.workdir / f"zygote{slot}.log").read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return f" ({' / '.join(lines[-3:])})" if lines else ""

    # ------------------------------------------------------------------ grading one learner
    def run(self, jobs: list[ExerciseJob], slot: int, blocked: list[str]) -> dict[str, ExerciseRun]:
        """Run every exercise of ``jobs``; restart after a crash; never raise for learner faults."""
        runs = {j.name: ExerciseRun(results=[None] * len(j.inputs)) for j in jobs}
        pending = list(jobs)
        if not pending:
            return runs
        deadline = time.monotonic() + self.limits.learner_seconds
        while pending:
            if time.monotonic() >= deadline:
                for j in pending:
                    runs[j.name].stopped = (f"not run: the learner's time budget ({self.limits.learner_seconds:g} s "
                                            "for all exercises) ran out before this exercise")
                break
            done = self._session(pending, runs, slot, blocked, deadline)
            pending = [j for j in pending if j.name not in done]
        return runs

    def _zygote(self, slot: int) -> _Zygote:
        """The slot's zygote (started if needed): a sandboxed Python with numpy imported, waiting for learners."""
        if slot in self._zygotes:
            zygote = self._zygotes[slot]
            if zygote.proc.poll() is None:
                return zygote
            self._end_zygote(slot)
        scratch = None
        if self.layer != "bubblewrap":
            scratch = tempfile.mkdtemp(prefix=f"lstm-grade-slot{slot}-")
            if self.root:
                os.chown(scratch, self.uid_base + slot, self.uid_base + slot)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        info_r, info_w = os.pipe()
        log = self.workdir / f"zygote{slot}.log"
        with open(log, "wb") as err, theirs:
            try:
                proc = subprocess.Popen(self._command(slot, scratch, info_w), stdin=theirs.fileno(),
                                        stdout=subprocess.DEVNULL, stderr=err, cwd=scratch or "/",
                                        start_new_session=True, pass_fds=(info_w,))
            finally:
                os.close(info_w)
        zygote = _Zygote(proc, ours, _Channel(ours.fileno(), self.limits.output_mb * 2**20), scratch, log)
        self._zygotes[slot] = zygote
        zygote.chan.limit_text = "30 s to start the sandbox"
        try:
            if self.layer == "bubblewrap":
                zygote.sandbox_pidfd = os.pidfd_open(_read_info(info_r, time.monotonic() + 30)["child-pid"])
            zygote.chan.expect(zygote.chan.recv(time.monotonic() + 30), "zygote")
        except (_Stop, _Died, OSError, ValueError, KeyError) as e:
            reason = str(e) or "its process ended before it was ready"
            self._end_zygote(slot)
            raise _Stop(reason + self._log_tail(slot)) from None
        finally:
            os.close(info_r)
        zygote.chan.limit_text = "its processes went on after it had closed its channel"
        return zygote

    def _open_learner(self, zygote: _Zygote) -> tuple["_Channel", socket.socket]:
        """A fresh socket pair: one end to the zygote for the next learner, the other the grader's channel to it."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        with theirs:
            try:
                socket.send_fds(zygote.sock, [b"L"], [theirs.fileno()])
            except OSError as e:
                ours.close()
                raise _Died() from e
        return _Channel(ours.fileno(), self.limits.output_mb * 2**20), ours

    def _exit_status(self, zygote: _Zygote, deadline: float) -> int | None:
        """The learner process's wait status, from the zygote, once every process it started has ended."""
        msg = zygote.chan.recv(deadline)
        zygote.chan.expect(msg, "exited")
        if msg.get("error"):
            raise _Stop(f"the sandbox could not fence the learner in: {msg['error']}")
        status = msg.get("status")
        return status if isinstance(status, int) and not isinstance(status, bool) else None

    @staticmethod
    def _expect_ready(chan: "_Channel", deadline: float) -> None:
        msg = chan.recv(deadline)
        if isinstance(msg, dict) and msg.get("t") == "setup_error":
            raise _Stop(f"setting up the learner's process failed: {str(msg.get('error'))[:500]}")
        chan.expect(msg, "ready")

    def _end_zygote(self, slot: int) -> None:
        zygote = self._zygotes.pop(slot)
        self._kill(zygote, slot)
        zygote.sock.close()
        if zygote.scratch:
            shutil.rmtree(zygote.scratch, ignore_errors=True)

    def close(self) -> None:
        """Stop every zygote (end of the run) and give the uid range back."""
        for slot in list(self._zygotes):
            self._end_zygote(slot)
        if self._uid_lock is not None:
            os.close(self._uid_lock)
            self._uid_lock = None

    def _session(self, pending, runs, slot, blocked, deadline) -> set[str]:
        """One learner process for ``pending``; returns the exercises it finished or that failed in it."""
        finished: set[str] = set()
        current = None  # the exercise whose "begin" arrived and whose "end" has not
        last = None  # the exercise finished most recently in this process
        try:
            zygote = self._zygote(slot)
            chan, sock = self._open_learner(zygote)
        except (_Stop, _Died) as e:
            if slot in self._zygotes:
                self._end_zygote(slot)
            for j in pending:
                runs[j.name].stopped = f"the sandbox could not start: {str(e) or 'its process died'}"
            return {j.name for j in pending}
        chan.limit_text = (f"limits: {self.limits.exercise_seconds:g} s per exercise, "
                           f"{self.limits.learner_seconds:g} s for all of a learner's exercises")
        healthy = False
        try:
            try:
                job = {"forbidden": self.forbidden, "graded": blocked, "exercises": [
                    {"name": j.name, "source": j.source, "imports": j.imports, "oracles": j.oracles, "kind": j.kind,
                     "checks": j.inputs} for j in pending]}
                start_by = min(deadline, time.monotonic() + 30)
                chan.send(job, start_by)
                self._expect_ready(chan, start_by)
                for j in pending:
                    run = runs[j.name]
                    ex_deadline = min(deadline, time.monotonic() + self.limits.exercise_seconds)
                    chan.expect(chan.recv(ex_deadline), "begin", ex=j.name)
                    current = j
                    answered = 0
                    while True:
                        msg = chan.recv(ex_deadline)
                        kind = msg.get("t") if isinstance(msg, dict) else None
                        if kind == "call":
                            chan.send(self._oracle(j, msg), ex_deadline)
                        elif kind == "load_error" and answered == 0 and run.load_error is None:
                            run.load_error = str(msg.get("error", ""))[:2000]
                            run.forbidden = _names(msg.get("forbidden"))
                        elif kind == "result" and msg.get("ex") == j.name and msg.get("check") == answered \
                                and answered < len(j.inputs) and run.load_error is None:
                            if msg.get("ok") is True:
                                run.results[answered] = ("ok", msg.get("value"))
                            else:
                                run.results[answered] = ("error", str(msg.get("error", ""))[:2000])
                                run.forbidden = sorted(set(run.forbidden) | set(_names(msg.get("forbidden"))))
                            answered += 1
                        elif kind == "end" and msg.get("ex") == j.name and (answered == len(j.inputs) or run.load_error):
                            break
                        else:
                            raise _Stop("sent data out of order or for something it was not asked (tampering with "
                                        "the grader's channel?); the grader stopped it")
                    finished.add(j.name)
                    current, last = None, j
                done = chan.recv(min(deadline, time.monotonic() + 5))
                chan.expect(done, "done")
                if isinstance(done.get("cpu"), float):
                    self.reported_cpu += done["cpu"]
                status = self._exit_status(zygote, time.monotonic() + 10)
                if status != 0:  # after "done" only code the last exercise left running can end it otherwise
                    raise _Died(status, reported=True)
                healthy = True
            except _Died as e:
                if not e.reported:  # the channel closed: the zygote tells how the process ended
                    e.status = self._exit_status(zygote, time.monotonic() + 5)
                healthy = True  # the zygote itself is fine: the next learner can use it
                raise _Stop(f"the process {self._death(e.status)}", died=True) from None
        except (_Stop, _Died) as e:
            died = isinstance(e, _Stop) and e.died
            reason = str(e) if isinstance(e, _Stop) else f"the process {self._death(None)}"
            if isinstance(e, _Died):
                healthy = False  # the zygote did not say how the learner ended: start afresh
            if current is not None:
                runs[current.name].stopped = reason + (" while running this exercise" if died else "")
                finished.add(current.name)
            elif last is not None:
                # Between two exercises only code the previous one left behind (a thread, forged
                # frames) can act: its results cannot be trusted; the next exercise runs afresh.
                runs[last.name].results = [None] * len(last.inputs)
                runs[last.name].load_error = None
                runs[last.name].stopped = (f"{reason} right after this exercise, in code it left running "
                                           "(or it wrote to the grader's channel); its results were discarded")
            else:
                # Before the first exercise began only the runner ran: this is ours, not the learner's.
                for j in pending:
                    runs[j.name].stopped = f"the sandbox could not start: {reason}"
                    finished.add(j.name)
        finally:
            sock.close()
            if not healthy:  # a hang, a violation, a zygote that went silent: the next learner gets a fresh sandbox
                self._end_zygote(slot)
        return finished

    def _death(self, status: int | None) -> str:
        """How a learner's process ended, from its wait status (None: unknown)."""
        if status is None:
            return "closed the grader's channel before finishing"
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            return {signal.SIGSEGV: "crashed with a segmentation fault", signal.SIGXCPU: "ran out of CPU time",
                    signal.SIGXFSZ: "wrote a file larger than the limit",
                    signal.SIGKILL: "was killed (memory, process or time limit)"}.get(sig, f"died of {_signal_name(sig)}")
        return f"exited with status {os.WEXITSTATUS(status)} before finishing (sys.exit or os._exit in your code?)"

    def _oracle(self, job: ExerciseJob, msg: dict) -> dict:
        name = msg.get("fn")
        if name not in job.oracles:
            raise _Stop(f"asked the grader for {name!r}, which is not a prerequisite of {job.name}; the grader stopped it")
        args, kwargs = msg.get("args"), msg.get("kwargs")
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise _Stop("sent a malformed call; the grader stopped it")
        try:
            with np.errstate(all="ignore"):
                value = ORACLE_FUNCTIONS[name](*args, **kwargs)
            if name == "lstm_forward":
                value = (value[0], value[1], list(value[2]))
            return {"t": "ret", "value": value}
        except Exception as e:  # noqa: BLE001 - the reference's own error, passed to the learner's code
            kind = type(e).__name__ if type(e).__name__ in ("ValueError", "TypeError", "KeyError", "IndexError") \
                else "RuntimeError"
            return {"t": "err", "type": kind, "msg": f"{name}: {e}"[:1000]}


def _read_info(fd: int, deadline: float) -> dict:
    """bwrap's --info-fd JSON (it closes the pipe once written)."""
    data = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise _Stop("bwrap did not start in time")
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    if not data:
        raise _Died()
    return json.loads(data)


def _names(v) -> list[str]:
    return [str(x)[:100] for x in v[:20]] if isinstance(v, list) else []


class _Died(Exception):
    """A channel closed; ``status`` is the learner process's wait status once the zygote reported it."""

    def __init__(self, status: int | None = None, reported: bool = False) -> None:
        super().__init__()
        self.status, self.reported = status, reported


class _Channel:
    """Frames to and from one socket (a zygote's or a learner's) with deadlines and a cap on the bytes read."""

    def __init__(self, fd: int, cap: int) -> None:
        self.fd, self.cap, self.total = fd, cap, 0
        os.set_blocking(fd, False)
        self.buf = bytearray()
        self.limit_text = "wall-clock limit"

    def _fill(self, n: int, deadline: float) -> None:
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Stop(f"did not finish in time ({self.limit_text}); the grader stopped it")
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(self.fd, min(1 << 20, n - len(self.buf)))
            except BlockingIOError:
                continue
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise _Died()
            self.total += len(chunk)
            if self.total > self.cap:
                raise _Stop(f"sent more than {self.cap // 2**20} MiB of output; the grader stopped it")
            self.buf += chunk

    def recv(self, deadline: float):
        self._fill(8, deadline)
        (n,) = struct.unpack(">Q", bytes(self.buf[:8]))
        if n > wire.MAX_FRAME:
            raise _Stop(f"sent a message of {n} bytes (more than {wire.MAX_FRAME // 2**20} MiB); the grader stopped it")
        self._fill(8 + n, deadline)
        payload = bytes(self.buf[8:8 + n])
        del self.buf[:8 + n]
        try:
            return wire.decode(payload)
        except wire.WireError as e:
            raise _Stop(f"sent malformed data ({e}); the grader stopped it") from None

    def send(self, obj, deadline: float) -> None:
        view = memoryview(wire.encode(obj))
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Stop("stopped reading the grader's replies in time; the grader stopped it")
            _, ready, _ = select.select([], [self.fd], [], left)
            if ready:
                try:
                    view = view[os.write(self.fd, view):]
                except BlockingIOError:
                    continue
                except (BrokenPipeError, ConnectionResetError):
                    raise _Died() from None

    @staticmethod
    def expect(msg, kind: str, **fields) -> None:
        if not (isinstance(msg, dict) and msg.get("t") == kind and all(msg.get(k) == v for k, v in fields.items())):
            raise _Stop("sent data out of order (tampering with the grader's channel?); the grader stopped it")


def _claim_uids() -> tuple[int, int]:
    """As root: the first uid of a range no account owns, no process uses and no other grading run
    holds, and the fd of the lock that holds it for this run (two runs sharing a uid would share a
    process limit, and one's clean-up could end the other's learners)."""
    import fcntl

    busy = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            busy.add(os.stat(f"/proc/{pid}").st_uid)
        except OSError:
            pass
    for i in range(UID_RANGES):
        base = UID_BASE + UID_RANGE * i
        uids = range(base, base + UID_RANGE)
        if busy.intersection(uids) or not all(uid_free(u) for u in uids):
            continue
        fd = os.open(os.path.join(UID_LOCKS, f"lstm-course-uids-{base}.lock"),
                     os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        return base, fd
    raise RuntimeError(f"no free range of {UID_RANGE} uids from {UID_BASE} to {UID_BASE + UID_RANGE * UID_RANGES - 1}: "
                       "accounts or other grading runs use them all (set LSTM_COURSE_UID_BASE to another first uid)")


def uid_free(uid: int) -> bool:
    """True when no account uses ``uid`` (the sandbox's uids must belong to nobody else)."""
    try:
        pwd.getpwuid(uid)
        return False
    except KeyError:
        return True
