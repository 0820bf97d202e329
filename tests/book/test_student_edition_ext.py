"""book/_ext/student_edition.py on its own: a tiny Sphinx project, built by sphinx-build (warnings are errors).

Does a ``{download}`` of an instructor notebook serve the released one, do the exercise box and
the set-up directive render what they promise, and does a download of instructor material stop
the build?
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lstm_course.exercises.release import ARCHIVE, SETUP_COMMANDS

ROOT = Path(__file__).resolve().parents[2]
CONF = f"""
import sys
sys.path.insert(0, {str(ROOT / "book" / "_ext")!r})
extensions = ["student_edition"]
exclude_patterns = ["_build", "exercises", "lstm_course"]
"""
PAGE = """
Course
======

.. _student-edition:

Set-up
------

.. student-setup::

Chapter
-------

Get :download:`the exercise <exercises/02_forget_gate.ipynb>` and :student-edition:`everything`.

.. exercise-box:: 02_forget_gate.ipynb

   Now write the gate yourself.
"""


def _project(tmp_path: Path, page: str) -> Path:
    src = tmp_path / "src"
    (src / "exercises").mkdir(parents=True)
    (src / "lstm_course").mkdir()
    shutil.copyfile(ROOT / "exercises" / "02_forget_gate.ipynb", src / "exercises" / "02_forget_gate.ipynb")
    (src / "exercises" / "notes.txt").write_text("instructor notes\n")
    (src / "lstm_course" / "gates.py").write_text("# the reference\n")
    (src / "conf.py").write_text(CONF)
    (src / "index.rst").write_text(page)
    return src


def _build(src: Path, ok: bool = True) -> tuple[Path, str]:
    out = src / "_build"
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", "-d", str(out / "doctrees"), str(src),
                           str(out / "html")], cwd=src.parent, capture_output=True, text=True, timeout=300)
    assert (proc.returncode == 0) == ok, proc.stderr[-3000:]
    return out, proc.stderr


def test_does_a_download_of_the_instructor_notebook_serve_the_released_one(tmp_path):
    """Does {download} of exercises/02 serve the student notebook, and do the box and the set-up render?"""
    out, _ = _build(_project(tmp_path, PAGE))
    html = (out / "html" / "index.html").read_text()
    hrefs = set(re.findall(r'href="(_downloads/[^"]+)"', html))
    assert {h.rsplit("/", 1)[1] for h in hrefs} == {"02_forget_gate.ipynb", f"{ARCHIVE}.zip"}
    released = out / "student" / ARCHIVE / "exercises" / "02_forget_gate.ipynb"
    for href in hrefs:
        served = out / "html" / href
        if served.name.endswith(".ipynb"):
            assert served.read_bytes() == released.read_bytes()
            assert "### BEGIN SOLUTION" not in served.read_text()
        else:
            assert served.read_bytes() == (out / "student" / f"{ARCHIVE}.zip").read_bytes()
    box = html[html.index('class="exercise-box'):]
    box = box[: box.index("</div>")]
    assert "Now write the gate yourself." in box and "02_forget_gate.ipynb" in box and f"{ARCHIVE}.zip" in box
    assert 'href="#student-edition"' in box  # the set-up section, by its label
    text = re.sub(r"<[^>]+>", "", html)
    assert all(c in text for c in SETUP_COMMANDS)


@pytest.mark.parametrize("target, says", [
    ("lstm_course/gates.py", "serves the instructor's package"),
    ("exercises/notes.txt", "is not part of the student edition"),
])
def test_does_a_download_of_instructor_material_stop_the_build(tmp_path, target, says):
    """Does a download of the package or of an unreleased file of exercises/ stop the build, saying why?"""
    out, err = _build(_project(tmp_path, f"Page\n====\n\n:download:`x <{target}>`\n"), ok=False)
    assert says in err
    assert not list((out / "html").rglob("_downloads/*/*"))  # nothing was copied


def test_does_an_exercise_box_for_an_unknown_notebook_fail(tmp_path):
    """Does a misspelt notebook in an exercise box fail the build, naming the known ones?"""
    _, err = _build(_project(tmp_path, "Page\n====\n\n.. exercise-box:: 02_forget.ipynb\n"), ok=False)
    assert "'02_forget.ipynb' is not an exercise notebook; known: 01_why_lstms.ipynb" in err
