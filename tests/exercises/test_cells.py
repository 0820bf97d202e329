"""Finding cells by role in a notebook (what the grader uses on submissions)."""
from __future__ import annotations

import pytest

from lstm_course.exercises.cells import (NotebookError, cells_tagged, graded_cell, graded_cells, is_reference,
                                         read_notebook, solution_done)

from .conftest import graded, make_cell, make_nb, write_nb


def test_are_graded_cells_found_by_grade_id_in_order(tmp_path):
    """Are graded cells found by grade id in order?"""
    nb = make_nb(make_cell("# intro", "markdown"), graded("b", "def b(): pass"), make_cell("x = 1"), graded("a", "def a(): pass"))
    cells = graded_cells(read_notebook(write_nb(tmp_path / "n.ipynb", nb)))
    assert list(cells) == ["b", "a"]
    assert graded_cell(nb, "a")["source"] == "def a(): pass"


def test_does_a_missing_graded_cell_name_those_present():
    """Does a missing graded cell name those present?"""
    nb = make_nb(graded("a", "def a(): pass"))
    with pytest.raises(NotebookError, match=r"no graded cell 'b' \(graded cells found: a\)"):
        graded_cell(nb, "b")


def test_is_a_duplicated_grade_id_an_error():
    """Is a duplicated grade id an error?"""
    with pytest.raises(NotebookError, match="two graded cells"):
        graded_cells(make_nb(graded("a", "1"), graded("a", "2")))


def test_is_a_markdown_cell_with_nbgrader_metadata_not_graded():
    """Is a markdown cell with nbgrader metadata not graded?"""
    md = make_cell("text", "markdown", nbgrader={"grade_id": "a", "solution": True})
    assert graded_cells(make_nb(md)) == {}


@pytest.mark.parametrize("content, match", [(None, "not found"), ("{not json", "not a readable notebook"), ('{"a": 1}', "not a Jupyter notebook")])
def test_does_a_bad_file_give_a_clear_error(tmp_path, content, match):
    """Does a bad file give a clear error?"""
    p = tmp_path / "x.ipynb"
    if content is not None:
        p.write_text(content)
    with pytest.raises(NotebookError, match=match):
        read_notebook(p)


def test_are_setup_and_reference_cells_recognised():
    """Are setup and reference cells recognised?"""
    setup = make_cell("import numpy", tags=["setup"])
    ref = make_cell("r", lstm_course={"reference": True})
    nb = make_nb(setup, ref, make_cell("x"))
    assert cells_tagged(nb, "setup") == [setup]
    assert is_reference(ref) and not is_reference(setup)


def test_does_solution_done_see_the_stub():
    """Does solution done see the stub?"""
    assert not solution_done("def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()")
    assert solution_done("def f():\n    return 1")
