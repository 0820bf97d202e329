"""Running one learner's code: a bounded process per learner, and the grader's side of the talk.

Layers, strongest available first (:func:`detect_layer`; the summary names the one used):

``bubblewrap``  bwrap from Debian: new mount, pid, net, ipc and uts namespaces. The sandbox
                sees /usr, the Python interpreter, numpy and the generated helper library
                read-only, a private 64 MiB /tmp as scratch, and nothing else: not the course's
                repository, not the submissions, not the gradebook.
``unshare``     util-linux unshare (root only): new pid, net, ipc and uts namespaces, no
                private mounts (world-readable files stay readable).
``rlimits``     no namespaces: the limits and the privilege drop below only.

On every layer the runner (trusted, before any learner code) sets rlimits, soft = hard:
address space, CPU seconds, processes, file size, open files, no core dumps; when the grader
runs as root it then drops to an unprivileged uid of its own (one per worker slot, so one
learner's fork bomb cannot starve another's, and a kill of that uid ends every process it
left). The environment is empty apart from pinning BLAS to one thread. The grader keeps a
wall-clock deadline per exercise and per learner, caps the bytes it reads, and kills the
whole process tree when any of these trips.

Each worker slot keeps one sandboxed *zygote* (:mod:`.runner`): a Python that imported numpy
once and forks a fresh child per learner; the limits and the privilege drop happen in the
child, before any learner code. After each learner the zygote kills whatever the child left
running (by uid) and empties the scratch space (/tmp and /dev/shm), so nothing carries over to
the next learner; after any failure the grader throws the whole zygote away and starts another.

Protocol (all frames :mod:`wire`): the zygote says ``zygote`` once; per learner the grader
sends one job and the child answers ``ready``,
then per exercise ``begin``, any number of oracle ``call``s (each answered with ``ret`` or
``err``), a ``result`` per check in order (or one ``load_error``), ``end``; finally ``done``,
after which the zygote reports the child's exit status (``exited``).
Anything else, out of order, or for an exercise or oracle it was not asked about, is a
protocol violation: the grader stops that process. A crash, hang or violation costs only the
exercise that was running (the checks already answered keep their result); the grader starts
a fresh sandbox for the exercises that remain.
"""
from __future__ import annotations

import os
import pwd
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import sandbox_lib, wire
from .checks import ORACLE_FUNCTIONS

LAYERS = ("bubblewrap", "unshare", "rlimits")
UID_BASE = 61000  # worker slot k runs as uid/gid UID_BASE + k (must be unused on the machine)


@dataclass(frozen=True)
class Limits:
    """Bounds on one learner's process. Times in seconds, sizes in MiB."""

    learner_seconds: float = 60.0  # wall clock for all of a learner's exercises
    exercise_seconds: float = 10.0  # wall clock for one exercise (all its checks)
    memory_mb: int = 1024  # address space; numpy itself needs ~300 MiB of it
    processes: int = 16  # per sandbox uid (threads count too)
    file_mb: int = 16  # largest file the learner may write in its scratch directory
    output_mb: int = 32  # bytes the grader reads from one learner in total
    scratch_mb: int = 64  # size of the private /tmp (bubblewrap)


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
    """The sandbox must be stopped; the message is the learner-facing reason."""


def _bwrap_works() -> bool:
    if not shutil.which("bwrap"):
        return False
    args = ["bwrap", "--ro-bind", "/", "/", "--unshare-pid", "--unshare-net", "true"]
    if os.geteuid() != 0:
        args.insert(1, "--unshare-user")
    try:
        return subprocess.run(args, capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def detect_layer(preference: str = "auto") -> str:
    """The sandbox layer to use: ``preference`` if it works here, else the strongest that does."""
    if preference not in ("auto",) + LAYERS:
        raise ValueError(f"sandbox must be one of auto, {', '.join(LAYERS)}; got {preference!r}")
    works = {
        "bubblewrap": _bwrap_works(),
        "unshare": os.geteuid() == 0 and shutil.which("unshare") is not None,
        "rlimits": True,
    }
    if preference != "auto":
        if not works[preference]:
            raise RuntimeError(f"sandbox layer {preference!r} is not available on this machine")
        return preference
    return next(layer for layer in LAYERS if works[layer])


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"


class Sandbox:
    """Builds the sandbox's files once per run; :meth:`run` grades one learner's exercises."""

    def __init__(self, workdir: Path, limits: Limits, layer: str = "auto", forbidden: tuple[str, ...] = ()) -> None:
        self.limits = limits
        self.layer = detect_layer(layer)
        self.forbidden = list(forbidden)
        self.root = os.geteuid() == 0
        taken = [u for u in range(UID_BASE, UID_BASE + 64) if not uid_free(u)]
        if self.root and taken:
            raise RuntimeError(f"uids {taken} belong to accounts on this machine; the sandbox needs "
                               f"{UID_BASE}..{UID_BASE + 63} unused (change sandbox.UID_BASE)")
        self.files = sandbox_lib.build(Path(workdir) / "sandbox")
        os.chmod(workdir, 0o755)
        for path in [self.files, *self.files.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        self.python = os.path.realpath(sys.executable)
        self.reported_cpu = 0.0  # CPU seconds the runners say they used (benchmarks; not trusted for grading)
        self._zygotes: dict[int, tuple] = {}  # slot -> (process, channel, scratch dir)
        self.site = os.path.dirname(os.path.dirname(np.__file__))

    def describe(self) -> str:
        who = f"setuid to uid {UID_BASE}+slot" if self.root else f"as uid {os.geteuid()} (the grader is not root)"
        extra = {
            "bubblewrap": "bubblewrap (mount, pid, net, ipc, uts namespaces; read-only interpreter and numpy, private /tmp)",
            "unshare": "unshare (pid, net, ipc, uts namespaces; no private mounts)",
            "rlimits": "rlimits only (no namespaces available)",
        }[self.layer]
        limits = self.limits
        return (f"{extra} + setrlimit (address space {limits.memory_mb} MiB, {limits.processes} processes, "
                f"files {limits.file_mb} MiB, CPU) + {who}; empty environment; wall clock "
                f"{limits.exercise_seconds:g} s per exercise, {limits.learner_seconds:g} s per learner")

    # ------------------------------------------------------------------ process
    def _command(self, slot: int, scratch: str | None) -> list[str]:
        uid = UID_BASE + slot if self.root else 0
        L = self.limits
        runner_args = [str(uid), str(uid), "LIB", "SITE", str(L.memory_mb * 2**20),
                       str(int(L.learner_seconds) + 2), str(L.processes), str(L.file_mb * 2**20),
                       "/tmp:/dev/shm" if self.layer == "bubblewrap" else str(scratch)]
        env = ["OPENBLAS_NUM_THREADS", "1", "OMP_NUM_THREADS", "1", "MKL_NUM_THREADS", "1"]
        if self.layer == "bubblewrap":
            # The interpreter's own prefix may sit under a private home (pyenv in /root): mount it at
            # /opt/python, where the unprivileged uid can read it. bwrap creates missing parents 0700,
            # hence the explicit --perms.
            prefix = os.path.dirname(os.path.dirname(self.python))
            cmd = ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
                   "--die-with-parent", "--new-session", "--hostname", "sandbox",
                   "--ro-bind", "/usr", "/usr", "--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]
            for d in ("lib", "lib64", "bin"):
                p = Path("/" + d)
                if p.is_symlink():
                    cmd += ["--symlink", os.readlink(p), "/" + d]
                elif p.is_dir():
                    cmd += ["--ro-bind", str(p), "/" + d]
            cmd += ["--perms", "0755", "--dir", "/opt", "--ro-bind", prefix, "/opt/python",
                    "--perms", "0755", "--dir", "/opt/site"]
            for d in ("numpy", "numpy.libs"):
                if os.path.isdir(os.path.join(self.site, d)):
                    cmd += ["--ro-bind", os.path.join(self.site, d), f"/opt/site/{d}"]
            cmd += ["--ro-bind", str(self.files), "/opt/grader", "--proc", "/proc", "--dev", "/dev",
                    "--size", str(L.scratch_mb * 2**20), "--perms", "1777", "--tmpfs", "/tmp", "--chdir", "/tmp", "--clearenv"]
            if not self.root:
                cmd.insert(1, "--unshare-user")
            for k, v in zip(env[::2], env[1::2]):
                cmd += ["--setenv", k, v]
            runner_args[2:4] = ["/opt/grader/lib", "/opt/site"]
            python = "/opt/python/" + os.path.relpath(self.python, prefix)
            return cmd + [python, "-I", "-S", "/opt/grader/runner.py", *runner_args]
        runner_args[2:4] = [str(self.files / "lib"), self.site]
        cmd = ["env", "-i", *[f"{k}={v}" for k, v in zip(env[::2], env[1::2])],
               self.python, "-I", "-S", str(self.files / "runner.py"), *runner_args]
        if self.layer == "unshare":
            cmd = ["unshare", "--pid", "--fork", "--kill-child", "--net", "--ipc", "--uts"] + cmd
        return cmd

    def _kill(self, proc: subprocess.Popen, slot: int) -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.root:
            # Whatever escaped the process group (setsid, double fork) still runs as the slot's uid.
            pid = os.fork()
            if pid == 0:
                try:
                    os.setgid(UID_BASE + slot)
                    os.setuid(UID_BASE + slot)
                    os.kill(-1, signal.SIGKILL)
                finally:
                    os._exit(0)
            os.waitpid(pid, 0)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    # ------------------------------------------------------------------ grading one learner
    def run(self, jobs: list[ExerciseJob], slot: int, blocked: list[str]) -> dict[str, ExerciseRun]:
        """Run every exercise of ``jobs``; restart after a crash; never raise for learner faults."""
        runs = {j.name: ExerciseRun(results=[None] * len(j.inputs)) for j in jobs}
        pending = list(jobs)
        if not pending:
            return runs
        try:
            self._zygote(slot)
        except _Stop as e:
            for j in pending:
                runs[j.name].stopped = f"the sandbox could not start: {e}"
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

    def _zygote(self, slot: int) -> "_Channel":
        """The slot's zygote (started if needed): a sandboxed Python with numpy imported, waiting for jobs."""
        if slot in self._zygotes:
            proc, chan, scratch = self._zygotes[slot]
            if proc.poll() is None:
                return chan
            self._end_zygote(slot)
        scratch = None
        if self.layer != "bubblewrap":
            scratch = tempfile.mkdtemp(prefix=f"lstm-grade-slot{slot}-")
            if self.root:
                os.chown(scratch, UID_BASE + slot, UID_BASE + slot)
        proc = subprocess.Popen(self._command(slot, scratch), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, cwd=scratch or "/", start_new_session=True)
        chan = _Channel(proc, self.limits.output_mb * 2**20)
        self._zygotes[slot] = (proc, chan, scratch)
        chan.limit_text = "30 s to start the sandbox"
        try:
            chan.expect(chan.recv(time.monotonic() + 30), "zygote")
        except (_Stop, _Died) as e:
            self._end_zygote(slot)
            raise _Stop(str(e) or f"the sandbox process {self._death(proc)}") from None
        return chan

    def _end_zygote(self, slot: int) -> None:
        proc, chan, scratch = self._zygotes.pop(slot)
        self._kill(proc, slot)
        chan.close()
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)

    def close(self) -> None:
        """Stop every zygote (end of the run)."""
        for slot in list(self._zygotes):
            self._end_zygote(slot)

    def _session(self, pending, runs, slot, blocked, deadline) -> set[str]:
        """One child of the zygote for ``pending``; returns the exercises it finished or that failed in it."""
        finished: set[str] = set()
        current = None  # the exercise whose "begin" arrived and whose "end" has not
        last = None  # the exercise finished most recently in this process
        try:
            chan = self._zygote(slot)
        except _Stop as e:
            for j in pending:
                runs[j.name].stopped = f"the sandbox could not start: {e}"
            return {j.name for j in pending}
        proc = self._zygotes[slot][0]
        chan.reset(self.limits.output_mb * 2**20, f"limits: {self.limits.exercise_seconds:g} s per exercise, "
                   f"{self.limits.learner_seconds:g} s for all of a learner's exercises")
        healthy = False
        try:
            job = {"forbidden": self.forbidden, "graded": blocked, "exercises": [
                {"name": j.name, "source": j.source, "imports": j.imports, "oracles": j.oracles, "kind": j.kind,
                 "checks": j.inputs} for j in pending]}
            start_by = min(deadline, time.monotonic() + 30)
            chan.send(job, start_by)
            chan.expect(chan.recv(start_by), "ready")
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
            chan.expect_exit = True
            exited = chan.recv(time.monotonic() + 10)
            chan.expect(exited, "exited", status=0)
            healthy = True
        except (_Stop, _Died) as e:
            reason = str(e) if isinstance(e, _Stop) else f"the process {self._death(proc, e.status)}"
            if current is not None:
                runs[current.name].stopped = reason + ("" if isinstance(e, _Stop) else " while running this exercise")
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
            if not healthy:  # whatever went wrong, the next learner gets a fresh zygote
                self._end_zygote(slot)
        return finished

    def _death(self, proc, status: int | None = None) -> str:
        if status is not None:  # the zygote's report of its child: a waitpid status
            rc = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        else:
            rc = _wait(proc)
        if rc is None:
            return "closed the grader's channel before finishing"
        sig = rc - 128 if status is None and self.layer == "bubblewrap" and rc > 128 else -rc if rc < 0 else 0
        if sig:
            return {signal.SIGSEGV: "crashed with a segmentation fault", signal.SIGXCPU: "ran out of CPU time",
                    signal.SIGXFSZ: "wrote a file larger than the limit",
                    signal.SIGKILL: "was killed (memory, process or time limit)"}.get(sig, f"died of {_signal_name(sig)}")
        return f"exited with status {rc} before finishing (sys.exit or os._exit in your code?)"

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


def _names(v) -> list[str]:
    return [str(x)[:100] for x in v[:20]] if isinstance(v, list) else []


def _wait(proc) -> int | None:
    try:
        return proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        return None


class _Died(Exception):
    """The learner's process ended; ``status`` is its waitpid status when the zygote reported it."""

    def __init__(self, status: int | None = None) -> None:
        super().__init__()
        self.status = status


class _Channel:
    """Frames to and from one sandbox with deadlines and a cap on the bytes read."""

    def __init__(self, proc: subprocess.Popen, cap: int) -> None:
        self.proc, self.cap, self.total = proc, cap, 0
        self.rfd, self.wfd = proc.stdout.fileno(), proc.stdin.fileno()
        os.set_blocking(self.wfd, False)
        self.buf = bytearray()
        self.limit_text = "wall-clock limit"
        self.child_running = False  # a learner's child is running: "exited" means it ended
        self.expect_exit = False

    def reset(self, cap: int, limit_text: str) -> None:
        """A new learner on the same zygote: fresh byte budget."""
        self.cap, self.total, self.limit_text = cap, 0, limit_text
        self.child_running, self.expect_exit = True, False

    def _fill(self, n: int, deadline: float) -> None:
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Stop(f"did not finish in time ({self.limit_text}); the grader stopped it")
            ready, _, _ = select.select([self.rfd], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.rfd, min(1 << 20, n - len(self.buf)))
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
            msg = wire.decode(payload)
        except wire.WireError as e:
            raise _Stop(f"sent malformed data ({e}); the grader stopped it") from None
        if self.child_running and isinstance(msg, dict) and msg.get("t") == "exited":
            self.child_running = False
            if self.expect_exit:
                return msg
            status = msg.get("status")
            raise _Died(status if isinstance(status, int) and not isinstance(status, bool) else None)
        return msg

    def send(self, obj, deadline: float) -> None:
        view = memoryview(wire.encode(obj))
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Stop("stopped reading the grader's replies in time; the grader stopped it")
            _, ready, _ = select.select([], [self.wfd], [], left)
            if ready:
                try:
                    view = view[os.write(self.wfd, view):]
                except (BrokenPipeError, ConnectionResetError):
                    raise _Died() from None

    @staticmethod
    def expect(msg, kind: str, **fields) -> None:
        if not (isinstance(msg, dict) and msg.get("t") == kind and all(msg.get(k) == v for k, v in fields.items())):
            raise _Stop("sent data out of order (tampering with the grader's channel?); the grader stopped it")

    def close(self) -> None:
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass


def uid_free(uid: int) -> bool:
    """True when no account uses ``uid`` (the sandbox's uids must belong to nobody else)."""
    try:
        pwd.getpwuid(uid)
        return False
    except KeyError:
        return True
