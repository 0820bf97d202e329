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

PYTHON = "python3.11"  # the package needs Python >= 3.11 (pyproject.toml); Ubuntu 22.04 ships it as python3.11

SETUP_SH = """#!/usr/bin/env bash
# Gradescope image set-up (runs once, as root, with network): Python 3.11, bubblewrap, the course
# package with the versions pinned in constraints.txt (the ones the course is tested with).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends {python} {python}-venv python3-pip bubblewrap
{python} -m venv /autograder/venv
/autograder/venv/bin/pip install --quiet -c /autograder/source/course/constraints.txt "/autograder/source/course[grade]"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# One submission: grade it as the learner the metadata names (their hidden inputs, their due date)
# and hand Gradescope its results.json.
set -uo pipefail
start=$(date +%s)
root=/autograder
work=$(mktemp -d)
meta=$root/submission_metadata.json
learner=$($root/venv/bin/python -c 'import sys; from lstm_course.grading.gradescope import learner_id; print(learner_id(sys.argv[1]))' \\
    "$meta") || learner=submission
mkdir -p "$work/subs" $root/results
shopt -s nullglob
files=($root/submission/*)
if [ ${{#files[@]}} -eq 1 ] && [[ "${{files[0]}}" == *.zip ]]; then
    cp "${{files[0]}}" "$work/subs/$learner.zip"   # a raw .zip upload: read as a learner's zip
else
    mkdir -p "$work/subs/$learner" && cp -r $root/submission/. "$work/subs/$learner/"
fi
$root/venv/bin/lstm-course grade "$work/subs" --out "$work/out" --format gradescope,feedback \\
    --workers 1 --time-limit {time_limit} --no-progress --hidden-visibility {hidden_visibility} \\
    --gradescope-metadata "$meta" --late-policy '{late_policy}'
status=$?
if [ -f "$work/out/gradescope/$learner/results.json" ]; then
    $root/venv/bin/python -c 'import json, sys, time
r = json.load(open(sys.argv[1])); r["execution_time"] = int(time.time()) - int(sys.argv[2])
json.dump(r, open(sys.argv[3], "w"), indent=2)' "$work/out/gradescope/$learner/results.json" "$start" $root/results/results.json
else
    printf '{{"score": 0, "output": "The autograder failed (exit status %s); your instructor has been told.", "output_format": "md"}}\\n' \\
        "$status" > $root/results/results.json
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
    files = [(ROOT / "pyproject.toml", "course/pyproject.toml"), (ROOT / "README.md", "course/README.md"),
             (ROOT / "constraints.txt", "course/constraints.txt")]
    for path in sorted((ROOT / "lstm_course").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".tmp"):
            files.append((path, "course/" + path.relative_to(ROOT).as_posix()))
    return files


def write_bundle(output: Path, time_limit: float = 120.0, workers: int = 1, hidden_visibility: str = "visible",
                 late_policy: str = "per-day:10,cap:50") -> Path:
    """Write the autograder zip to ``output`` (atomically) and return its path."""
    from .late import Policy

    Policy.parse(late_policy)  # a bad policy fails here, not on Gradescope
    run = RUN_AUTOGRADER.format(time_limit=time_limit, hidden_visibility=hidden_visibility, late_policy=late_policy)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in (("setup.sh", SETUP_SH.format(python=PYTHON)), ("run_autograder", run)):
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
