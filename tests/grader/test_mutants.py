"""Does the mutation benchmark still run, and does it tell caught mutants from missed ones?"""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "mutants.py"


def load():
    spec = importlib.util.spec_from_file_location("mutants", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["mutants"] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def test_the_script_prints_a_row_per_exercise_and_the_score():
    out = subprocess.run([sys.executable, str(SCRIPT), "--exercise", "hidden_state", "--exercise", "clip_grad_norm",
                          "--learners", "2"], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert re.search(r"^hidden_state\s+\d+\s+\d+\s+0\s+\d+\s+0\s+100\.0%$", out.stdout, re.M), out.stdout
    assert re.search(r"^mutation score: 100\.0% of \d+ non-equivalent mutants caught under each of 2 learner ids", out.stdout, re.M)


def test_a_weaker_grader_lets_mutants_survive():
    """With the public checks alone, the zero-norm guard of clip_grad_norm goes untested: a survivor."""
    from lstm_course.grading import checks, direct

    mutants = load()
    saved = direct.checks_for
    direct.checks_for = lambda name: tuple(c for c in checks.checks_for(name) if c.public)
    try:
        rows = mutants.measure("clip_grad_norm", ["a"])
    finally:
        direct.checks_for = saved
    assert any("1e-12" in m.what or "drop right operand" in m.what for m in rows["survived"]), rows["survived"]
    assert rows["equivalent"]  # e.g. min(a, b) -> min(b, a)
