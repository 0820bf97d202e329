"""Each release transform, alone, on a tiny notebook."""
from __future__ import annotations

import pytest

from lstm_course.exercises.transforms import (RELEASE, AssertNoSolutionLeft, ClearOutputs, ClearSolutions,
                                              DropReferenceCells, StripInstructorMetadata, apply)

from .conftest import graded, make_cell, make_nb

SOLVED = "def f(x):\n    x = check(x)\n    ### BEGIN SOLUTION\n    y = x * 2\n    return y\n    ### END SOLUTION"


def test_does_clear_solutions_leave_the_stub_at_the_markers_indentation():
    """Does ClearSolutions put nbgrader's stub where the markers were, at their indentation, keeping the code above?"""
    nb = ClearSolutions()(make_nb(graded("f", SOLVED)))
    assert nb["cells"][0]["source"] == "def f(x):\n    x = check(x)\n    # YOUR CODE HERE\n    raise NotImplementedError()"


def test_does_clear_solutions_keep_cells_without_markers():
    """Does ClearSolutions leave a cell without markers untouched?"""
    cell = make_cell("print(1)")
    assert ClearSolutions()(make_nb(cell))["cells"] == [cell]


@pytest.mark.parametrize("src", ["### BEGIN SOLUTION\nx = 1", "x = 1\n### END SOLUTION", "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION"])
def test_do_unbalanced_markers_stop_the_release(src):
    """Does ClearSolutions stop the release on unbalanced markers rather than guess?"""
    with pytest.raises(ValueError, match="SOLUTION"):
        ClearSolutions()(make_nb(make_cell(src)))


def test_does_drop_reference_cells_remove_only_reference_cells():
    """Does DropReferenceCells remove the reference cells (by tag or metadata) and only them?"""
    keep = make_cell("check('f', f)", tags=["check"])
    nb = DropReferenceCells()(make_nb(keep, make_cell("from x import f", tags=["reference"]),
                                      make_cell("r", lstm_course={"reference": True})))
    assert nb["cells"] == [keep]


def test_does_clear_outputs_empty_outputs_and_counts():
    """Does ClearOutputs empty outputs, execution counts and timing metadata?"""
    cell = make_cell("1")
    cell.update(outputs=[{"output_type": "stream", "name": "stdout", "text": "PASS"}], execution_count=3)
    cell["metadata"]["execution"] = {"iopub.status.busy": "2026"}
    [out] = ClearOutputs()(make_nb(cell))["cells"]
    assert out["outputs"] == [] and out["execution_count"] is None and "execution" not in out["metadata"]


def test_does_strip_instructor_metadata_keep_nbgrader_and_tags():
    """Does StripInstructorMetadata drop the reference flag and widget state but keep nbgrader metadata and tags?"""
    cell = graded("f", "x")
    cell["metadata"]["lstm_course"] = {"role": "graded", "reference": True}
    nb = make_nb(cell)
    nb["metadata"]["widgets"] = {"state": {}}
    out = StripInstructorMetadata()(nb)
    meta = out["cells"][0]["metadata"]
    assert "reference" not in meta["lstm_course"] and meta["nbgrader"]["grade_id"] == "f" and meta["tags"] == ["graded"]
    assert "widgets" not in out["metadata"]


def test_does_the_final_assertion_catch_a_leftover_solution():
    """Does AssertNoSolutionLeft fail on a cell that still holds a solution?"""
    with pytest.raises(ValueError, match="instructor content"):
        AssertNoSolutionLeft()(make_nb(make_cell(SOLVED)))


def test_does_the_declared_pipeline_produce_a_clean_notebook():
    """Does the declared RELEASE pipeline turn a solved notebook into a clean one, ending with the assertion?"""
    ref = make_cell("from m import f as reference_f", tags=["reference"])
    nb = apply(make_nb(graded("f", SOLVED), ref))
    assert [c["source"] for c in nb["cells"]] == ["def f(x):\n    x = check(x)\n    # YOUR CODE HERE\n    raise NotImplementedError()"]
    assert [type(t).__name__ for t in RELEASE][-1] == "AssertNoSolutionLeft"
