"""The Gradescope autograder bundle: the same grader, run on one submission inside Gradescope's image.

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once when building the
image, and ``run_autograder`` per submission with the learner's files in
``/autograder/submission``; it reads ``/autograder/results/results.json``. The bundle holds the
course package (reference, checks and public-check data: it stays on Gradescope's side; the
learner's code still runs in the grader's sandbox there).

Each submission is graded as the learner whose Gradescope user id ``submission_metadata.json``
names (:func:`learner_id`), so learners draw different hidden inputs, as in a class run.
"""
from __future__ import annotations

import io
import json
import os
import re
import stat
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

SETUP_SH = """#!/usr/bin/env bash
# Gradescope image set-up (runs once, as root, with network): Python, bubblewrap, the course package.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends python3 python3-venv python3-pip bubblewrap
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --quiet "/autograder/source/course[grade]"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# One submission: grade it as the learner the metadata names and hand Gradescope its results.json.
set -uo pipefail
work=$(mktemp -d)
learner=$(/autograder/venv/bin/python -c 'import sys; from lstm_course.grading.gradescope import learner_id; print(learner_id(sys.argv[1]))' \\
    /autograder/submission_metadata.json) || learner=submission
mkdir -p "$work/subs/$learner" /autograder/results
cp -r /autograder/submission/. "$work/subs/$learner/"
/autograder/venv/bin/lstm-course grade "$work/subs" --out "$work/out" --format gradescope,feedback \\
    --workers 1 --time-limit {time_limit} --no-progress
status=$?
if [ -f "$work/out/gradescope/$learner/results.json" ]; then
    cp "$work/out/gradescope/$learner/results.json" /autograder/results/results.json
else
    printf '{{"score": 0, "output": "The autograder failed (exit status %s); your instructor has been told."}}\\n' "$status" \\
        > /autograder/results/results.json
fi
"""


def learner_id(metadata_path: str | Path) -> str:
    """The learner a Gradescope submission is graded as: its user's id (a group's ids, sorted and
    joined by "+"), from ``submission_metadata.json``; "submission" when the file says nothing usable."""
    try:
        meta = json.loads(Path(metadata_path).read_text(encoding="utf-8"))
        ids = sorted(str(u["id"]) for u in meta.get("users", []) if isinstance(u, dict) and "id" in u)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return "submission"
    learner = "+".join(re.sub(r"[^A-Za-z0-9_-]", "", i) for i in ids)[:100]
    return learner if learner.strip("+") else "submission"


def _package_files() -> list[tuple[Path, str]]:
    files = [(ROOT / "pyproject.toml", "course/pyproject.toml"), (ROOT / "README.md", "course/README.md")]
    for path in sorted((ROOT / "lstm_course").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".tmp"):
            files.append((path, "course/" + path.relative_to(ROOT).as_posix()))
    return files


def write_bundle(output: Path, time_limit: float = 120.0, workers: int = 1) -> Path:
    """Write the autograder zip to ``output`` (atomically) and return its path."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER.format(time_limit=time_limit))):
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | 0o755) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text)
        for path, arc in _package_files():
            info = zipfile.ZipInfo(arc, date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp{os.getpid()}")
    tmp.write_bytes(buf.getvalue())
    os.replace(tmp, output)
    return output
