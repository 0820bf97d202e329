"""The instructor notebooks are stored executed, deterministic, with every public check passing.

nbval (configured for exercises/ by the test infrastructure) re-runs them and compares these outputs;
this test reads the stored outputs, so a notebook saved half-run or with a failing check fails fast.
"""
from __future__ import annotations

import re

import pytest

from lstm_course import course
from lstm_course.exercises import sync
from lstm_course.exercises.cells import read_notebook


def _text(output: dict) -> str:
    t = output.get("text", output.get("data", {}).get("text/plain", ""))
    return "".join(t) if isinstance(t, list) else t


@pytest.mark.parametrize("name", course.NOTEBOOKS)
def test_is_the_notebook_stored_executed_with_every_check_passing(name):
    """Is the notebook stored executed with every check passing?"""
    nb = read_notebook(sync.EXERCISES_DIR / name)
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c.get("execution_count") for c in code), "store the notebook executed: lstm-course sync-exercises --execute"
    assert not any(o["output_type"] == "error" for c in code for o in c["outputs"])
    checks = [c for c in code if {"check", "reference"} & set(c["metadata"].get("tags", []))]
    assert len(checks) == 2 * len(course.in_notebook(name))
    for c in checks:
        out = "".join(_text(o) for o in c["outputs"])
        m = re.match(r"(\w+): (\d+)/(\d+) public checks passed", out)
        assert m and m.group(2) == m.group(3), out
    assert not any("execution" in c["metadata"] for c in code)  # no timestamps: outputs and metadata stay stable
