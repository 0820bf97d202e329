"""Fencing one learner in: the Linux calls the runner makes before any learner code runs.

Copied into the sandbox next to :mod:`runner`; standard library only (``ctypes`` reaches libc).
Inside bubblewrap the zygote prepares one :class:`Fence`, then per learner calls
:meth:`Fence.unshare`, forks the learner's process and goes back to its own namespaces
(:meth:`Fence.return_home`). The learner's process is pid 1 of namespaces of its own and, before
it touches learner code, calls :meth:`Fence.private_scratch`, then (after the rlimits and, as
root, the uid change) :meth:`Fence.drop_capabilities` and :meth:`Fence.forbid_escapes`:

=====================  =======================================================================
fresh pid namespace    the learner's process is its init: when it ends, the kernel kills every
                       process it started (double forks and ``setsid`` included) before the
                       zygote hears of the end, so nothing reaches the next learner
fresh mount namespace  a new ``/proc`` showing the learner's processes only, and a new, size-limited
                       tmpfs on ``/tmp`` (``/dev/shm`` links there); they vanish with the namespace
no capabilities        so none of the mounts can be undone or added to
seccomp filter         no new user namespace (it would grant capabilities again, e.g. to mount an
                       unbounded tmpfs), no kernel keyring (the one store the kernel keeps per uid,
                       which would let one learner leave data for the next), no System V IPC and
                       no POSIX message queues (they live in the worker's IPC namespace, past the
                       learner, and shared memory outlives its mapping, past the address-space limit)
=====================  =======================================================================

Everything is built in the zygote: after the fork the learner's process only makes system calls
(each Python object it touched would cost it a copy-on-write page, and every learner pays that).
"""
from __future__ import annotations

import ctypes
import os
import platform
import struct

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID = 0x00020000, 0x10000000, 0x20000000
MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, PR_CAP_AMBIENT = 38, 22, 47
SECCOMP_MODE_FILTER = 2

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


class Fence:
    """The calls that fence one learner in, with every argument built once (in the zygote)."""

    def __init__(self, scratch_dirs: list[str], scratch_bytes: int) -> None:
        inodes = max(64, scratch_bytes // 16384)
        opts = f"size={scratch_bytes},nr_inodes={inodes},mode=1777".encode()
        self.mounts = [(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)]
        self.mounts += [(b"tmpfs", d.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, opts) for d in scratch_dirs]
        self.home = {flag: os.open(f"/proc/self/ns/{name}", os.O_RDONLY | os.O_CLOEXEC)
                     for flag, name in ((CLONE_NEWPID, "pid"), (CLONE_NEWNS, "mnt"))}
        self.cap_header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
        self.no_caps, self.caps_now = (_CapData * 2)(), (_CapData * 2)()
        program = seccomp_program()
        self.seccomp = program is not None
        self._filter = ctypes.create_string_buffer(program or b"", len(program or b""))
        self._fprog = _SockFprog(len(program or b"") // 8, ctypes.cast(self._filter, ctypes.c_void_p))
        self._fprog_address = ctypes.addressof(self._fprog)
        for name in ("unshare", "setns", "mount", "prctl", "capset", "capget"):
            getattr(_libc, name)  # resolved now, not in each learner's process

    def unshare(self) -> None:
        """New mount namespace for the zygote, and a new pid namespace for its next child."""
        _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWPID), "unshare(mount, pid)")

    def return_home(self) -> None:
        """The zygote back in its own namespaces (the learner's stay with the learner's process)."""
        for flag, fd in self.home.items():
            _check(_libc.setns(fd, flag), "setns")

    def private_scratch(self) -> None:
        """In the learner's pid 1 (with CAP_SYS_ADMIN still): its own /proc, and tmpfs on the scratch folders."""
        for source, target, fstype, flags, opts in self.mounts:
            _check(_libc.mount(source, target, fstype, flags, opts), "mount")

    def drop_capabilities(self) -> None:
        """Empty the effective, permitted, inheritable and ambient sets (no_new_privs keeps them empty)."""
        _libc.prctl(PR_CAP_AMBIENT, 4, 0, 0, 0)  # PR_CAP_AMBIENT_CLEAR_ALL
        _check(_libc.capset(ctypes.byref(self.cap_header), self.no_caps), "capset")
        _check(_libc.capget(ctypes.byref(self.cap_header), self.caps_now), "capget")
        if any(d.effective or d.permitted or d.inheritable for d in self.caps_now):
            raise OSError("capabilities are still set after capset")

    def forbid_escapes(self) -> None:
        """no_new_privs, then the seccomp filter (inherited by every process the learner starts)."""
        _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
        if self.seccomp:
            _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, self._fprog_address, 0, 0), "seccomp filter")


# Syscall numbers per architecture: AUDIT_ARCH, clone, clone3, unshare, then the refused ones:
# add_key, request_key, keyctl, shmget, semget, msgget, mq_open.
_SYSCALLS = {
    "x86_64": (0xC000003E, 56, 435, 272, 248, 249, 250, 29, 64, 68, 240),
    "aarch64": (0xC00000B7, 220, 435, 97, 217, 218, 219, 194, 190, 186, 180),
}
_RET_ALLOW, _RET_KILL = 0x7FFF0000, 0x80000000


def _ret_errno(errno: int) -> int:
    return 0x00050000 | errno


def seccomp_program(machine: str | None = None) -> bytes | None:
    """The BPF filter of :meth:`Fence.forbid_escapes` for ``machine`` (default: this one), or None if unknown.

    clone/unshare with CLONE_NEWUSER fail with EPERM; clone3, whose flags a filter cannot read,
    fails with ENOSYS (glibc then falls back to clone, so fork and threads keep working);
    the keyring, System V IPC and message-queue calls fail with EPERM. A system call of another ABI (32-bit int 0x80 or
    x32 on x86_64) kills the process: its numbers would bypass the checks."""
    entry = _SYSCALLS.get(machine or platform.machine())
    if entry is None:
        return None
    arch, clone, clone3, unshare, *refused = entry
    LD, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
    prog = [(LD, 0, 0, 4),  # seccomp_data.arch
            (JEQ, 1, 0, arch), (RET, 0, 0, _RET_KILL),
            (LD, 0, 0, 0)]  # seccomp_data.nr
    if arch == 0xC000003E:
        prog += [(JGE, 0, 1, 0x40000000), (RET, 0, 0, _RET_KILL)]  # x32 ABI
    prog += [(JEQ, 0, 1, clone3), (RET, 0, 0, _ret_errno(38))]  # ENOSYS
    for nr in refused:
        prog += [(JEQ, 0, 1, nr), (RET, 0, 0, _ret_errno(1))]  # EPERM
    # clone and unshare: look at the flags (args[0], low 32 bits on a little-endian machine).
    prog += [(JEQ, 1, 0, clone), (JEQ, 0, 3, unshare),
             (LD, 0, 0, 16), (JSET, 0, 1, CLONE_NEWUSER), (RET, 0, 0, _ret_errno(1)),
             (RET, 0, 0, _RET_ALLOW)]
    return b"".join(struct.pack("=HBBI", *insn) for insn in prog)
