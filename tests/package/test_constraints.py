"""Do the pinned versions (constraints.txt) resolve on the oldest Python the project claims to support?

pyproject.toml says ``requires-python = ">=3.11"``, and a pin that needs a newer patch release
(soupsieve 4.1.3 needs 3.11.5) breaks the README's set-up on Debian 12's own ``python3`` (3.11.2).
This resolves the README's install (``-c constraints.txt -e .[test]``) with ``pip install --dry-run``
under the oldest supported interpreter on this machine. Nothing is installed.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"
pytestmark = pytest.mark.slow


def _claimed_minimum() -> tuple[int, int]:
    text = (ROOT / "pyproject.toml").read_text()
    m = re.search(r'^requires-python\s*=\s*">=\s*(\d+)\.(\d+)"', text, flags=re.M)
    assert m, "pyproject.toml must state requires-python as \">=X.Y\""
    return int(m.group(1)), int(m.group(2))


def _version(python: str) -> tuple[int, int, int] | None:
    try:
        out = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:3])"], capture_output=True,
                             text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return tuple(map(int, out.stdout.split())) if out.returncode == 0 else None  # type: ignore[return-value]


def _oldest_supported() -> tuple[str, tuple[int, int, int]]:
    lo = _claimed_minimum()
    found = {}
    for cand in ("/usr/bin/python3", shutil.which("python3.11"), shutil.which("python3"), sys.executable):
        if cand and (v := _version(cand)) and v[:2] >= lo:
            found[os.path.realpath(cand)] = v
    return min(found.items(), key=lambda kv: kv[1])


def test_do_the_pins_resolve_on_the_oldest_supported_python(tmp_path):
    python, version = _oldest_supported()
    if _version(python) and subprocess.run([python, "-c", "import venv, ensurepip"], capture_output=True).returncode:
        (pytest.fail if IN_CI else pytest.skip)(f"{python} ({version}) has no venv/ensurepip module (Debian: apt install python3-venv)")
    venv = tmp_path / "venv"
    subprocess.run([python, "-m", "venv", str(venv)], check=True, timeout=300)
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--dry-run", "--quiet", "--disable-pip-version-check",
         "-c", "constraints.txt", "-e", ".[test]"],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    errors = "\n".join(l for l in (proc.stdout + proc.stderr).splitlines() if "ERROR" in l or "requires" in l.lower())
    assert proc.returncode == 0, (
        f"constraints.txt does not resolve on Python {'.'.join(map(str, version))} ({python}), which "
        f"pyproject.toml's requires-python admits. Pin versions that support it, or narrow requires-python "
        f"and say why:\n{errors or proc.stderr[-3000:]}")
