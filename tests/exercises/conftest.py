"""Fixtures for the exercise tooling tests: tiny notebooks, and one student edition per session."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def make_cell(src: str, cell_type: str = "code", **metadata) -> dict:
    cell = {"cell_type": cell_type, "id": f"c{abs(hash(src)) % 10**8}", "metadata": metadata, "source": src}
    if cell_type == "code":
        cell.update(outputs=[], execution_count=None)
    return cell


def graded(grade_id: str, src: str, points: int = 2) -> dict:
    return make_cell(src, nbgrader={"grade_id": grade_id, "solution": True, "grade": False, "locked": False,
                                    "points": points, "schema_version": 3}, tags=["graded"])


def make_nb(*cells: dict) -> dict:
    return {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def write_nb(path: Path, nb: dict) -> Path:
    path.write_text(json.dumps(nb))
    return path


@pytest.fixture(scope="session")
def student_edition(tmp_path_factory) -> Path:
    """The student edition, released once per session by the real command line."""
    out = tmp_path_factory.mktemp("release") / "student"
    subprocess.run([sys.executable, "-m", "lstm_course.cli", "release", str(out)], check=True, cwd=ROOT,
                   capture_output=True, text=True)
    return out


def student_env(student: Path) -> dict:
    """An environment whose ``import lstm_course`` finds the student package, not the instructor's."""
    return dict(os.environ, PYTHONPATH=str(student), LSTM_COURSE_EXERCISES=str(student / "exercises"))
