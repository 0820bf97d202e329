#!/usr/bin/env python3
"""Set up and run the course on a fresh machine. Standard library only.

    python3 dev.py book    build the book into _build/html (from a clean _build, warnings are errors)
    python3 dev.py test    run the whole test suite (builds the book first if it is not built)

Both create or reuse the project-local virtual environment ``.venv`` and install the package
with the pinned versions of ``constraints.txt`` (only when those files changed). ``test`` also
installs the system packages the browser and grader tests need (Debian's chromium,
chromium-driver and bubblewrap) when it runs as root and they are missing.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"
STAMP = VENV / ".lstm-course-installed"
SYSTEM_PACKAGES = {"chromium": "/usr/bin/chromium", "chromium-driver": "/usr/bin/chromedriver", "bubblewrap": "/usr/bin/bwrap"}


def run(cmd: list[str], **kw) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, **kw)


def ensure_venv() -> None:
    if not PY.exists():
        run([sys.executable, "-m", "venv", VENV])
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        digest.update((ROOT / name).read_bytes())
    if STAMP.exists() and STAMP.read_text() == digest.hexdigest():
        return
    run([PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    run([PY, "-m", "pip", "install", "--quiet", "-c", "constraints.txt", "-e", ".[test]"])
    # A kernel spec inside the venv, so notebooks execute with this environment's packages.
    run([PY, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3", "--display-name", "Python 3 (lstm-course)"])
    STAMP.write_text(digest.hexdigest())


def ensure_system_packages() -> None:
    missing = [pkg for pkg, path in SYSTEM_PACKAGES.items() if not Path(path).exists()]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print(f"note: {', '.join(missing)} not installed and cannot be installed here (needs root and apt-get); "
              "the tests that need them will be skipped, saying why.", flush=True)
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "update", "-qq"], env=env)
    run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env)


def build_book() -> None:
    shutil.rmtree(ROOT / "_build", ignore_errors=True)
    t0 = time.perf_counter()
    run([VENV / "bin" / "jupyter-book", "build", ".", "-W", "-n", "--keep-going"],
        env=dict(os.environ, PYTHONHASHSEED="0"))
    print(f"book built in {time.perf_counter() - t0:.0f}s: open _build/html/index.html", flush=True)


def main(argv: list[str]) -> int:
    if len(argv) < 1 or argv[0] not in ("book", "test"):
        print(__doc__)
        return 2
    ensure_venv()
    if argv[0] == "book":
        build_book()
        return 0
    ensure_system_packages()
    if not (ROOT / "_build" / "html" / "index.html").exists():
        build_book()
    proc = subprocess.run([PY, "-m", "pytest", *argv[1:]], cwd=ROOT)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
