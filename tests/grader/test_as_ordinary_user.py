"""The hostile suite and the isolation tests again, as an ordinary user (CI runs as root; this test makes one).

Run as root, it creates the account ``lstm-grader-ci`` (when missing) with a home holding a fake
~/.ssh key, then runs :data:`SUITE` as that user through ``setpriv``, inside a private mount
namespace made for it by ``unshare``. There, an interpreter or a worktree that sits under a folder
the user could not enter (pyenv in /root, a clone in a 0700 ``mktemp -d``) is made reachable: a
tmpfs replaces the closed folder and only the interpreter's prefix or the worktree is bound back,
so everything else in that folder stays out of the user's sight. The user's view of the machine is otherwise the same: the grader, bwrap and the learner
code inside it all run with the user's uid and no privilege. Run as anyone else this test skips:
that run is the ordinary user's already.
"""
from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
USER = "lstm-grader-ci"
SUITE = ["tests/grader/test_hostile.py", "tests/grader/test_isolation.py",
         "tests/grader/test_resume_and_cli.py::test_nothing_carries_over_from_one_learner_to_the_next"]


def tool(name: str) -> str:
    path = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/sbin/{name}") if os.path.exists(p)), None)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is missing: it is needed to run the grader's tests as an ordinary user (util-linux, passwd)")
        pytest.skip(f"{name} is missing (util-linux, passwd)")
    return path


def closed_to_others(path: Path) -> Path | None:
    """The topmost folder on the way to ``path`` that a user in no group of its owner cannot traverse."""
    for parent in [*reversed(path.parents), path]:
        if parent.is_dir() and not parent.stat().st_mode & 0o001:
            return parent
    return None


def ordinary_user() -> pwd.struct_passwd:
    try:
        account = pwd.getpwnam(USER)
    except KeyError:
        subprocess.run([tool("useradd"), "--system", "--create-home", "--home-dir", f"/home/{USER}",
                        "--shell", "/usr/sbin/nologin", "--user-group", USER], check=True, capture_output=True)
        account = pwd.getpwnam(USER)
    home = Path(account.pw_dir)
    ssh = home / ".ssh"
    ssh.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = ssh / "id_ed25519"
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nlstm-course canary: no learner may read this\n")
    for p in (home, ssh, key):
        os.chown(p, account.pw_uid, account.pw_gid)
    key.chmod(0o600)
    return account


def reachable_script(paths: list[Path]) -> str:
    """Shell run as root in the new mount namespace: make each of ``paths`` reachable, then exec "$@".

    A path under a folder the user cannot enter (the interpreter under /root, a worktree cloned into a
    0700 ``mktemp -d``) is bound aside, a tmpfs covers the closed folder, and the path alone is bound
    back, so nothing else under that folder comes into the user's sight.
    """
    moves, covers = [], []
    for path in paths:
        closed = closed_to_others(path)
        if closed is not None:
            moves.append(path)
            covers.append(closed)
    covers = [c for c in dict.fromkeys(covers) if not any(o != c and o in c.parents for o in covers)]
    lines = ["set -e"]
    for k, path in enumerate(moves):
        lines += [f"stage{k}=$(mktemp -d)", f'mount --bind {shlex.quote(str(path))} "$stage{k}"']
    lines += [f"mount -t tmpfs -o mode=0755,size=1m tmpfs {shlex.quote(str(c))}" for c in covers]
    for k, path in enumerate(moves):
        p = shlex.quote(str(path))
        lines += [f"mkdir -p {p}", f'mount --move "$stage{k}" {p}', f'rmdir "$stage{k}"']
    return "\n".join(lines + ['exec "$@"'])


def test_isolation_holds_for_an_ordinary_user():
    if os.geteuid() != 0:
        pytest.skip("not root: this run is an ordinary user's already (the hostile suite itself is the check)")
    setpriv, unshare = tool("setpriv"), tool("unshare")
    account = ordinary_user()
    env = {"HOME": account.pw_dir, "PATH": "/usr/local/bin:/usr/bin:/bin", "CI": "true", "LANG": "C.UTF-8",
           "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [unshare, "--mount", "--propagation", "private", "--", "sh", "-c",
           reachable_script([Path(os.path.realpath(sys.base_prefix)), REPO]), "sh",
           setpriv, "--reuid", str(account.pw_uid), "--regid", str(account.pw_gid), "--init-groups", "--",
           "env", "-i", *[f"{k}={v}" for k, v in env.items()],
           sys.executable, "-m", "pytest", *SUITE, "-p", "no:cacheprovider", "-q"]
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=1500)
    tail = (r.stdout + r.stderr)[-6000:]
    assert r.returncode == 0, tail
    last = r.stdout.strip().splitlines()[-1]
    print(f"as {USER} (uid {account.pw_uid}): {last}")
    assert re.search(r"\d+ passed", last) and "skipped" not in last and "error" not in last, tail
