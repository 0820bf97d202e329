"""The learner-side runner: the only code that executes inside the sandbox next to learner code.

Started as ``python -I -S runner.py CONFIG`` (CONFIG: JSON, see :mod:`.sandbox`) in an empty
environment, with a Unix socket to the grader on stdin, it is a *zygote* (:func:`main`): it
imports numpy once, then per learner receives from the grader a fresh socket of that learner's
own (``SCM_RIGHTS``) and forks the learner's process (:func:`learner`). Inside bubblewrap that
process is pid 1 of new pid and mount namespaces (:mod:`namespaces`): when it ends, every
process it started ends with it, and its private /proc and /tmp vanish. Before it touches
learner code it closes the zygote's socket, sets the limits, drops root (to UID/GID) and its
capabilities, and installs the seccomp filter; then it serves one job (:func:`serve`): for each
exercise, the learner's graded-cell source, the import lines of their notebook, the names to
bind to *oracles* and the inputs of every check. It executes the cell in a fresh namespace, calls the learner's function on each
check's inputs and streams the result back on the learner's socket as plain data (:mod:`wire`).
It never receives expected outputs, checks, hints, or reference code. The zygote, which never
runs learner code, reports the exit status on its own socket once the learner's namespaces are
empty.

Oracles: while grading ``lstm_cell_forward``, the names ``forget_gate`` ... are bound to stubs
that send their arguments to the grader and return the reference's answer, so one early
mistake does not cascade. The grader, not this script, decides which oracle calls it answers.

Imports: numpy, the standard library, ``wire`` and ``namespaces`` only (``lstm_course`` here is
the sandbox's helper-only stand-in, generated without any solution).
"""
import builtins
import json
import os
import resource
import socket
import sys

if __name__ == "__main__":
    CONFIG = json.loads(sys.argv[1])
    sys.path.append(CONFIG["site"])  # the directory holding numpy (and nothing of the course)
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import namespaces  # noqa: E402
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
LEARNER_FD = 3  # the learner's socket, once the learner's process has closed everything else


def set_limits(mem_bytes: int, cpu_s: int, nproc: int, fsize: int) -> None:
    """Soft = hard, so learner code cannot raise them again. Address space counts from here on."""
    for what, value in ((resource.RLIMIT_AS, mem_bytes), (resource.RLIMIT_CPU, cpu_s),
                        (resource.RLIMIT_NPROC, nproc), (resource.RLIMIT_FSIZE, fsize),
                        (resource.RLIMIT_NOFILE, 64), (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(what, (value, value))


def end_strays(how: str | None) -> None:
    """Kill every other process the learner started ("ns": we are pid 1 of the learner's own pid
    namespace; "uid": the uid is this learner's alone, as root without namespaces) and reap them.

    Never otherwise: kill(-1) as the grader's own uid would hit the instructor's processes."""
    if how:
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
            raise OSError("could not drop privileges")


class Channel:
    """Frames over one socket: the zygote's (to the grader) or a learner's own."""

    def __init__(self, fd: int) -> None:
        self.pid = os.getpid()  # a forked copy of the runner (learner's os.fork) must stay silent
        self.fd = fd

    def _read(self, n: int) -> bytes:
        if os.getpid() != self.pid:
            os._exit(0)
        buf = bytearray()
        while len(buf) < n:
            chunk = os.read(self.fd, n - len(buf))
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
            view = view[os.write(self.fd, view):]


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
    """From the (root) zygote, without namespaces: kill every process of ``uid``, i.e. whatever a learner left running."""
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
    """The zygote: import numpy once, then per learner fork the learner's process for the socket it is sent.

    It never runs learner code and never holds a learner's socket longer than the fork takes.
    With namespaces it unshares new pid and mount namespaces just for that fork and returns to
    its own at once, so the child is pid 1 of namespaces of its own and the zygote is in none of
    them. It reports the child's wait status once the child has ended: with namespaces the kernel
    has then killed and reaped everything the child started. Each learner pays for a fork, not
    for starting Python and importing numpy."""
    zygote = socket.socket(fileno=os.dup(0))
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # learner output (print, stray writes to 0/1/2) goes nowhere
        os.dup2(null, fd)
    os.close(null)
    chan = Channel(zygote.fileno())
    sys.path.insert(0, CONFIG["lib"])
    __import__("lstm_course")  # the helper-only stand-in, loaded while its files are surely readable
    isolate = CONFIG["isolate"]
    fence = namespaces.Fence(CONFIG["scratch"], CONFIG["scratch_bytes"])
    chan.send({"t": "zygote"})
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(zygote, 1, 1)
        except OSError:
            return
        if not data:
            return  # the grader hung up
        if len(fds) != 1:
            for fd in fds:
                os.close(fd)
            continue
        pid, status, error = None, None, None
        try:
            if isolate:
                fence.unshare()
            pid = os.fork()
            if pid == 0:
                code = 70  # an exception of ours, not the learner's (theirs are caught in serve)
                try:
                    learner(zygote, fds[0], fence)
                    code = 0
                finally:
                    os._exit(code)
        except OSError as e:
            error = str(e)
        finally:
            os.close(fds[0])
            if isolate:
                fence.return_home()  # if this fails the zygote dies, and the grader starts another
        if pid is not None:
            _, status = os.waitpid(pid, 0)
        if not isolate:
            if CONFIG["uid"] > 0 and os.getuid() == 0:
                kill_uid(CONFIG["uid"])
            for d in CONFIG["scratch"]:
                if os.path.isdir(d):
                    wipe(d)
        chan.send({"t": "exited", "status": status, "error": error})


def learner(zygote: socket.socket, fd: int, fence: "namespaces.Fence") -> None:
    """The learner's process: fence itself in, then serve the job that arrives on its own socket."""
    zygote.close()  # first of all: nothing the learner runs may reach the zygote's socket
    if fd != LEARNER_FD:
        os.dup2(fd, LEARNER_FD)
        os.close(fd)
    os.closerange(LEARNER_FD + 1, 1 << 16)
    chan = Channel(LEARNER_FD)
    isolate, (mem, cpu, nproc, fsize) = CONFIG["isolate"], CONFIG["limits"]
    try:
        if isolate:
            fence.private_scratch()
        set_limits(mem, cpu, nproc, fsize)
        drop_privileges(CONFIG["uid"], CONFIG["gid"])
        fence.drop_capabilities()
        fence.forbid_escapes()
        os.chdir(CONFIG["scratch"][0])
    except OSError as e:
        chan.send({"t": "setup_error", "error": str(e)})
        return
    strays = "ns" if isolate else "uid" if CONFIG["uid"] > 0 and os.getuid() == CONFIG["uid"] else None
    serve(chan, chan.recv(), strays)


def serve(chan: Channel, job: dict, strays: str | None) -> None:
    """Run one learner's job (in the learner's process, fenced in)."""
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
            end_strays(strays)
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
        end_strays(strays)
        chan.send({"t": "end", "ex": name})
    usage = resource.getrusage(resource.RUSAGE_SELF)
    chan.send({"t": "done", "cpu": usage.ru_utime + usage.ru_stime})  # for the benchmark's accounting only


if __name__ == "__main__":
    main()
