"""Find the cells of an exercise notebook by their role: graded, setup, check, reference.

Notebooks are read as plain JSON (nbformat 4), so this works without Jupyter installed and on
any file a learner submits. Roles, as the instructor notebooks mark them:

    graded     metadata.nbgrader = {"grade_id": <exercise name>, "solution": true, "grade": false,
               "locked": false, "points": <from course.py>, "schema_version": 3}; the source holds
               ``### BEGIN SOLUTION`` / ``### END SOLUTION`` (instructor) or ``# YOUR CODE HERE``
    setup      tag "setup": the imports a graded cell needs, and the learner's earlier functions
    check      tag "check": ``check("<name>", <name>)`` right under the graded cell
    reference  tag "reference" (and metadata.lstm_course.reference = true): instructor edition only

API: ``read_notebook(path)``, ``graded_cells(nb) -> {grade_id: cell}``, ``graded_cell(nb, grade_id)``,
``source(cell)``, ``cells_tagged(nb, tag)``, ``is_reference(cell)``, ``solution_done(code)``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

Cell = dict[str, Any]
Notebook = dict[str, Any]

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB_LINES = ("# YOUR CODE HERE", "raise NotImplementedError()")


class NotebookError(ValueError):
    """A notebook is missing, unreadable, or lacks the cell asked for; the message says which and what to do."""


def read_notebook(path: str | Path) -> Notebook:
    """The notebook at ``path`` as a dict; NotebookError if it is missing or not a notebook."""
    path = Path(path)
    if not path.is_file():
        raise NotebookError(f"notebook {path} not found: keep the exercise notebooks together, with the names they were released under")
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise NotebookError(f"{path} is not a readable notebook ({e}); re-download it or restore it from a checkpoint") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotebookError(f"{path} is not a Jupyter notebook (no list of cells)")
    return nb


def source(cell: Cell) -> str:
    """A cell's source as one string (nbformat allows a string or a list of lines)."""
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def nbgrader_meta(cell: Cell) -> dict[str, Any]:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def is_graded(cell: Cell) -> bool:
    """A solution cell that nbgrader would grade by grade_id (the learner's one place to write code)."""
    m = nbgrader_meta(cell)
    return cell.get("cell_type") == "code" and bool(m.get("solution")) and isinstance(m.get("grade_id"), str)


def graded_cells(nb: Notebook) -> dict[str, Cell]:
    """Every graded cell of ``nb`` by grade_id, in notebook order; a duplicated grade_id is an error."""
    found: dict[str, Cell] = {}
    for cell in nb.get("cells", []):
        if is_graded(cell):
            gid = nbgrader_meta(cell)["grade_id"]
            if gid in found:
                raise NotebookError(f"two graded cells have grade_id {gid!r}; delete the copy you added")
            found[gid] = cell
    return found


def graded_cell(nb: Notebook, grade_id: str, where: str = "the notebook") -> Cell:
    """The graded cell with ``grade_id``; NotebookError naming the ones present if it is missing."""
    cells = graded_cells(nb)
    if grade_id not in cells:
        have = ", ".join(cells) or "none"
        raise NotebookError(f"{where} has no graded cell {grade_id!r} (graded cells found: {have}); "
                            "the cell may have been deleted or its metadata lost: copy it back from a fresh copy of the notebook")
    return cells[grade_id]


def tags(cell: Cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []) or [])


def cells_tagged(nb: Notebook, tag: str) -> list[Cell]:
    return [c for c in nb.get("cells", []) if tag in tags(c)]


def is_reference(cell: Cell) -> bool:
    return "reference" in tags(cell) or bool(cell.get("metadata", {}).get("lstm_course", {}).get("reference"))


def solution_done(code: str) -> bool:
    """False while a graded cell still holds the released stub (``raise NotImplementedError()``)."""
    return "raise NotImplementedError()" not in code
