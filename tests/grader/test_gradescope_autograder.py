"""Gradescope end to end: the bundle's run_autograder in a simulated /autograder.

bubblewrap binds a temporary folder at /autograder (the rest of the machine as it is, so the
bundle's venv can be this environment's), with a learner's raw .zip upload in submission/ and a
submission_metadata.json naming the user and the due dates; run_autograder must leave a
results.json that Gradescope reads: the score after the late penalty, Markdown output, a status
on every test, the hidden checks shown as the bundle says, the execution time.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from lstm_course.grading.gradescope import write_bundle

from .conftest import ATTACKS, layer_or_skip, nb_members, notebooks, replace_cell, write_zip

VENV = Path(__file__).resolve().parents[2] / ".venv"


def autograder(tmp_path: Path, metadata: dict, members, hidden_visibility="after_published") -> dict:
    if not shutil.which("bwrap"):
        if os.environ.get("CI") == "true":
            pytest.fail("bubblewrap is needed to simulate /autograder")
        pytest.skip("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
    layer_or_skip("bubblewrap")
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "results").mkdir()
    bundle = write_bundle(tmp_path / "autograder.zip", time_limit=120, hidden_visibility=hidden_visibility)
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
    os.chmod(root / "source" / "run_autograder", 0o755)
    os.symlink(VENV, root / "venv")  # setup.sh's venv, already built: this environment
    write_zip(root / "submission" / "my_work.zip", members)
    (root / "submission_metadata.json").write_text(json.dumps(metadata))
    proc = subprocess.run(["bwrap", "--dev-bind", "/", "/", "--bind", str(root), "/autograder",
                           "bash", "/autograder/source/run_autograder"], capture_output=True, text=True, timeout=600)
    results = root / "results" / "results.json"
    assert results.is_file(), proc.stdout + proc.stderr
    return json.loads(results.read_text())


META = {"id": 1, "created_at": "2025-03-03T10:00:00.000000+01:00", "submission_method": "upload",
        "assignment": {"due_date": "2025-03-01T23:59:00.000000+01:00", "late_due_date": None, "title": "LSTM"},
        "users": [{"email": "a@example.com", "id": 4321, "name": "A"}]}


def test_a_late_zip_upload_is_graded_with_the_penalty(tmp_path):
    nbs = replace_cell(notebooks(), *ATTACKS["missing_bias"])
    res = autograder(tmp_path, META, nb_members(nbs))
    assert res["output_format"] == "md" and isinstance(res["execution_time"], int)
    assert res["score"] == 30.4  # 38 earned, 2 started days late: 20 % off under the default policy
    assert "after the due date 2025-03-01T23:59+01:00" in res["output"] and "7.6 points" in res["output"]
    tests = {t["name"]: t for t in res["tests"]}
    assert tests["forget_gate: hidden checks"]["visibility"] == "after_published"
    assert tests["forget_gate: public checks"]["status"] == "failed"
    assert all(t["status"] == "passed" for n, t in tests.items() if not n.startswith("forget_gate"))


def test_an_extension_in_the_metadata_is_honoured(tmp_path):
    meta = json.loads(json.dumps(META))
    meta["users"][0]["assignment"] = {"due_date": "2025-03-05T23:59:00.000000+01:00"}  # the learner's own due date
    res = autograder(tmp_path, meta, nb_members(notebooks()))
    assert res["score"] == 40 and "no late penalty" in res["output"]
