"""The learner-side runner: the only code that executes inside the sandbox next to learner code.

Started as ``python -I -S runner.py UID GID LIBDIR SITEDIR MEM CPU NPROC FSIZE SCRATCH`` in an
empty environment, it is a *zygote* (:func:`main`): it imports numpy once, then forks one child
per learner. The child sets the limits and drops root (to UID/GID) before it touches learner
code, then serves one job (:func:`serve`): for each exercise, the learner's graded-cell source,
the import lines of their notebook, the names to bind to *oracles* and the inputs of every
check. It executes the cell in a fresh namespace, calls the learner's function on each check's
inputs and streams the result back on stdout as plain data (:mod:`wire`). It never receives
expected outputs, checks, hints, or reference code.

Oracles: while grading ``lstm_cell_forward``, the names ``forget_gate`` ... are bound to stubs
that send their arguments to the grader and return the reference's answer, so one early
mistake does not cascade. The grader, not this script, decides which oracle calls it answers.

Imports: numpy, the standard library and ``wire`` only (``lstm_course`` here is the sandbox's
helper-only stand-in, generated without any solution).
"""
import builtins
import os
import resource
import sys

if __name__ == "__main__":
    sys.path.append(sys.argv[4])  # the directory holding numpy (and nothing of the course)
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import wire  # noqa: E402

# Learners' cells often import these; load them before the privilege drop (the interpreter's
# own files may be unreadable afterwards when no mount namespace is available).
import collections  # noqa: E402,F401
import functools  # noqa: E402,F401
import itertools  # noqa: E402,F401
import math  # noqa: E402
import traceback  # noqa: E402

PRELOADED = (collections, functools, itertools)  # kept imported on purpose (see above)

ERRORS = {"ValueError": ValueError, "TypeError": TypeError, "KeyError": KeyError, "IndexError": IndexError}


def set_limits(mem_bytes: int, cpu_s: int, nproc: int, fsize: int) -> None:
    """Soft = hard, so learner code cannot raise them again. Address space counts from here on."""
    for what, value in ((resource.RLIMIT_AS, mem_bytes), (resource.RLIMIT_CPU, cpu_s),
                        (resource.RLIMIT_NPROC, nproc), (resource.RLIMIT_FSIZE, fsize),
                        (resource.RLIMIT_NOFILE, 64), (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(what, (value, value))


def end_strays(dropped: bool) -> None:
    """Kill every other process of this sandbox's own uid (what the exercise forked) and reap them.

    Only after the privilege drop: the uid is then this sandbox's alone."""
    if dropped:
        try:
            os.kill(-1, 9)
        except OSError:
            pass
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                break
        except ChildProcessError:
            break


def drop_privileges(uid: int, gid: int) -> None:
    if os.getuid() == 0 and uid > 0:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        if os.getuid() != uid or os.geteuid() != uid:
            raise SystemExit("could not drop privileges")


class Channel:
    """Frames over the two protocol fds (duplicated away from 0/1, which learner output may use)."""

    def __init__(self) -> None:
        self.pid = os.getpid()  # a forked copy of the runner (learner's os.fork) must stay silent
        self.rfd, self.wfd = os.dup(0), os.dup(1)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)

    def _read(self, n: int) -> bytes:
        if os.getpid() != self.pid:
            os._exit(0)
        buf = bytearray()
        while len(buf) < n:
            chunk = os.read(self.rfd, n - len(buf))
            if not chunk:
                raise SystemExit(0)  # the grader hung up
            buf += chunk
        return bytes(buf)

    def recv(self):
        (n,) = wire.struct.unpack(">Q", self._read(8))
        return wire.decode(self._read(n))

    def send(self, obj) -> None:
        if os.getpid() != self.pid:
            os._exit(0)
        data = wire.encode(obj)
        view = memoryview(data)
        while view:
            view = view[os.write(self.wfd, view):]


class ForbiddenImports:
    """A meta-path finder refusing the modules the course forbids in from-scratch exercises."""

    def __init__(self, names) -> None:
        self.names = set(names)
        self.hits: list[str] = []

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in self.names:
            self.hits.append(fullname)
            raise ImportError(f"import of {fullname!r} is not allowed in this exercise")
        return None


def describe(exc: BaseException, filename: str) -> str:
    """'TypeError: ... (line 4 of your cell)': the learner's own frame, never ours."""
    line = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == filename:
            line = f" (line {frame.lineno} of your cell)"
    msg = str(exc)
    if len(msg) > 600:
        msg = msg[:600] + "..."
    return f"{type(exc).__name__}: {msg}{line}"


class SGD:
    """Plain SGD for train_step checks: θ <- θ - lr·g (same as lstm_course.optim.SGD, momentum 0)."""

    def __init__(self, lr: float) -> None:
        self.lr = lr

    def step(self, params, grads) -> None:
        for k, g in grads.items():
            params[k] -= self.lr * g


def kill_uid(uid: int) -> None:
    """From the (root) zygote: kill every process of ``uid``, i.e. whatever a learner left running."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgid(uid)
            os.setuid(uid)
            os.kill(-1, 9)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def wipe(folder: str) -> None:
    """Empty ``folder`` (a learner's scratch space) without following links."""
    for entry in os.scandir(folder):
        try:
            if entry.is_dir(follow_symlinks=False):
                wipe(entry.path)
                os.rmdir(entry.path)
            else:
                os.unlink(entry.path)
        except OSError:
            pass


def main() -> None:
    """The zygote: import numpy once, then fork one child per learner's job.

    A child sets the limits, drops to the sandbox's uid and runs the job; the zygote (never
    running learner code) waits for it, kills what it left behind, empties the scratch space and
    reports the child's exit status, then waits for the next job. Each learner pays for a fork,
    not for starting Python and importing numpy."""
    uid, gid, libdir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    mem, cpu, nproc, fsize = (int(v) for v in sys.argv[5:9])
    scratch_dirs = [d for d in sys.argv[9].split(":") if d]
    chan = Channel()
    sys.path.insert(0, libdir)
    __import__("lstm_course")  # the helper-only stand-in, loaded while its files are surely readable
    chan.send({"t": "zygote"})
    while True:
        job = chan.recv()
        pid = os.fork()
        if pid == 0:
            try:
                chan.pid = os.getpid()
                set_limits(mem, cpu, nproc, fsize)
                drop_privileges(uid, gid)
                if scratch_dirs:
                    os.chdir(scratch_dirs[0])
                serve(chan, job, dropped=uid > 0 and os.getuid() == uid)
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        if uid > 0 and os.getuid() == 0:
            kill_uid(uid)
        for d in scratch_dirs:
            if os.path.isdir(d):
                wipe(d)
        chan.send({"t": "exited", "status": status})


def serve(chan: Channel, job: dict, dropped: bool) -> None:
    """Run one learner's job (in the forked child, after the privilege drop)."""
    blocker = ForbiddenImports(job["forbidden"])
    sys.meta_path.insert(0, blocker)
    chan.send({"t": "ready"})

    def oracle(name):
        def call(*args, **kwargs):
            chan.send({"t": "call", "fn": name, "args": list(args), "kwargs": kwargs})
            reply = chan.recv()
            if reply.get("t") == "ret":
                return reply["value"]
            raise ERRORS.get(reply.get("type"), RuntimeError)(reply.get("msg", "the reference refused the call"))
        call.__name__ = call.__qualname__ = name
        return call

    def blocked(name, current):
        def call(*args, **kwargs):
            raise NameError(f"{name} is not available while grading {current}: write it with NumPy")
        call.__name__ = name
        return call

    for ex in job["exercises"]:
        name, filename = ex["name"], f"<your {ex['name']} cell>"
        chan.send({"t": "begin", "ex": name})
        bindings = {g: (oracle(g) if g in ex["oracles"] else blocked(g, name)) for g in job["graded"]}
        for modname, mod in list(sys.modules.items()):
            if modname == "lstm_course" or modname.startswith("lstm_course."):
                for g, f in bindings.items():
                    setattr(mod, g, f)
        ns = {"__name__": "__main__", "__builtins__": builtins, "np": np, "numpy": np, "math": math}
        for line in ex["imports"]:
            try:
                exec(compile(line, "<your notebook's imports>", "exec"), ns)
            except BaseException:  # noqa: BLE001 - an import that cannot work here is not graded
                pass
        ns.update({g: f for g, f in bindings.items() if g != name})
        try:
            exec(compile(ex["source"], filename, "exec"), ns)
            fn = ns.get(name)
            if not callable(fn):
                raise NameError(f"after running the cell, {name} is not a function")
        except BaseException as e:  # noqa: BLE001 - learner code may raise anything, even SystemExit
            end_strays(dropped)
            chan.send({"t": "load_error", "ex": name, "error": describe(e, filename), "forbidden": blocker.hits})
            chan.send({"t": "end", "ex": name})
            continue
        for i, check in enumerate(ex["checks"]):
            args, kwargs = list(check["args"]), dict(check["kwargs"])
            try:
                if ex["kind"] == "train_step":
                    params = args[0]
                    loss = fn(params, args[1], args[2], SGD(check["lr"]), **kwargs)
                    value = {"loss": loss, "params": params}
                elif ex["kind"] == "echo_args":  # the inputs as the call left them: must they stay untouched?
                    value = {"value": fn(*args, **kwargs), "args": args}
                else:
                    value = fn(*args, **kwargs)
                msg = {"t": "result", "ex": name, "check": i, "ok": True, "value": value}
                try:
                    chan.send(msg)
                    continue
                except wire.WireError as e:
                    error = f"your function returned something the grader cannot read: {e}"
            except BaseException as e:  # noqa: BLE001
                error = describe(e, filename)
            chan.send({"t": "result", "ex": name, "check": i, "ok": False, "error": error,
                       "forbidden": blocker.hits})
        end_strays(dropped)
        chan.send({"t": "end", "ex": name})
    usage = resource.getrusage(resource.RUSAGE_SELF)
    chan.send({"t": "done", "cpu": usage.ru_utime + usage.ru_stime})  # for the benchmark's accounting only


if __name__ == "__main__":
    main()
