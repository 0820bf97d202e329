"""Does the site's one download work on a fresh machine, with the commands the site gives?

Takes ``lstm-course-exercises.zip`` from the link on the built intro page, checks that the page shows
the set-up commands of the release (``release.SETUP_COMMANDS``, one source), and runs them in an
empty folder: unpack, a fresh virtual environment, ``pip install -c constraints.txt . jupyterlab``
(PyPI, or pip's cache; nothing else reaches the network), then starts the JupyterLab of the last
command and opens the notebook through its API. Then it writes one exercise as a learner would
and runs its notebook with that environment's own Jupyter: the public checks pass and the
notebook's validate cell says the form is right; ``lstm-course validate`` exits 0.

Slow (a minute or two with a warm pip cache). Outside CI a missing build skips, saying why.
"""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from lstm_course.exercises import sync
from lstm_course.exercises.cells import graded_cells, read_notebook
from lstm_course import course
from lstm_course.exercises.release import ARCHIVE, SETUP_COMMANDS

from .test_site_leak import IN_CI, ROOT, SITE, site  # noqa: F401 - the site fixture

pytestmark = pytest.mark.slow
PYTHON3 = shutil.which("python3") or sys.executable  # "python3" of the commands: the machine's own


def _page_text(path: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))


def _archive_link(site: Path) -> Path:
    intro = site / "book" / "intro.html"
    hrefs = re.findall(r'href="([^"]*/' + re.escape(ARCHIVE) + r'\.zip)"', intro.read_text(encoding="utf-8"))
    assert hrefs, "the intro page does not link the student edition's archive"
    path = (intro.parent / hrefs[0]).resolve()
    assert path.is_file(), hrefs[0]
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bash(cmd: str, cwd: Path, env: dict, timeout: int = 900) -> subprocess.CompletedProcess:
    proc = subprocess.run(["bash", "-c", cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"`{cmd}` failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc


def _learner_env(home: Path) -> dict:
    """The machine's environment without this test run's virtual environment or package paths."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON", "JUPYTER", "LSTM_COURSE"))}
    venv_bin = str(Path(sys.prefix) / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    env["PATH"] = os.pathsep.join([str(Path(PYTHON3).parent), env["PATH"]])
    # A home of its own: JupyterLab writes its settings and runtime files there, not in the developer's.
    # pip's cache stays the machine's (warm), so the install reads PyPI only for what it lacks.
    env["PIP_CACHE_DIR"] = os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))
    env["HOME"] = str(home)
    return env


def test_does_the_download_install_and_run_on_a_fresh_venv_with_the_commands_the_site_gives(site, tmp_path):
    """Does the intro's archive set up with the intro's commands and run an exercise's check there?"""
    shown = _page_text(site / "book" / "intro.html")
    for cmd in SETUP_COMMANDS:
        assert cmd in shown, f"the intro page does not show the set-up command {cmd!r}"
    work = tmp_path / "learner"
    work.mkdir()
    shutil.copyfile(_archive_link(site), work / f"{ARCHIVE}.zip")
    env = _learner_env(tmp_path / "home")
    (tmp_path / "home").mkdir()

    # Every command as shown but the last, in one shell (one of them is a `cd`).
    _bash(" && ".join(SETUP_COMMANDS[:-1]), work, env)
    edition = work / ARCHIVE
    py = edition / ".venv" / "bin" / "python"
    probe = subprocess.run([str(py), "-c", "import lstm_course, numpy, jupyterlab; print(lstm_course.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr[-2000:]
    assert str(edition / ".venv") in probe.stdout, probe.stdout  # the installed student package, not this checkout
    frozen = subprocess.run([str(py), "-m", "pip", "freeze"], env=env, capture_output=True, text=True).stdout
    pins = {line.split("==")[0].lower(): line.strip() for line in (edition / "constraints.txt").read_text().splitlines()
            if "==" in line}
    got = {line.split("==")[0].lower(): line.strip() for line in frozen.splitlines() if "==" in line}
    assert pins["jupyterlab"] == got["jupyterlab"] and pins["numpy"] == got["numpy"]
    assert [n for n in got if n in pins and got[n].lower() != pins[n].lower()] == []

    # The last command starts JupyterLab on the exercises; it must serve the notebook.
    port, token = _free_port(), "test-token"
    cmd = SETUP_COMMANDS[-1] + f" --no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token}"
    if os.geteuid() == 0:  # CI runs as root, a learner does not; JupyterLab refuses root unless told
        cmd += " --allow-root"
    server = subprocess.Popen(["bash", "-c", f"exec {cmd}"], cwd=edition, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}/api/contents/02_forget_gate.ipynb?token={token}"
        deadline, body = time.monotonic() + 120, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:
                    body = json.loads(resp.read())
                break
            except OSError:
                time.sleep(0.5)
        assert body is not None, f"JupyterLab did not serve the notebook: {server.stderr.read()[-2000:] if server.poll() is not None else 'timeout'}"
        assert body["type"] == "notebook" and body["content"]["cells"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=10) as resp:
            assert resp.status == 200 and b"JupyterLab" in resp.read()
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    # A learner writes forget_gate (here: the reference body) and runs the notebook top to bottom.
    path = edition / "exercises" / "02_forget_gate.ipynb"
    nb = read_notebook(path)
    graded_cells(nb)["forget_gate"]["source"] = sync.graded_source(course.get("forget_gate"))
    path.write_text(json.dumps(nb, indent=1) + "\n")
    _bash(".venv/bin/jupyter nbconvert --to notebook --execute --inplace exercises/02_forget_gate.ipynb", edition, env)
    ran = read_notebook(path)
    out = {tuple(c["metadata"].get("tags", [])): "".join("".join(o.get("text", "")) for o in c.get("outputs", []))
           for c in ran["cells"] if c["cell_type"] == "code"}
    assert re.search(r"forget_gate: (\d+)/\1 public checks passed", out[("check",)]), out[("check",)]
    assert "The form is right" in out[("validate",)], out[("validate",)]
    done = _bash(".venv/bin/lstm-course validate exercises/", edition, env).stdout
    assert "form ok; public checks 2/2 pass" in done and "PROBLEM" not in done, done
