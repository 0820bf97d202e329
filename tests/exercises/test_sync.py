"""The notebooks and the check data are generated from the package; nothing drifts."""
from __future__ import annotations

import copy

from lstm_course import course
from lstm_course.exercises import sync
from lstm_course.exercises.cells import graded_cells, read_notebook, source


def test_are_notebooks_and_check_data_in_sync_with_the_package():
    """Are notebooks and check data in sync with the package?"""
    drift = sync.check_drift()
    assert drift == [], "run `lstm-course sync-exercises --execute`: " + "; ".join(drift)


def test_do_graded_cells_hold_the_package_source_and_course_points():
    """Do graded cells hold the package source and course points?"""
    for name in course.NOTEBOOKS:
        cells = graded_cells(read_notebook(sync.EXERCISES_DIR / name))
        assert list(cells) == [e.grade_id for e in course.in_notebook(name)]
        for ex in course.in_notebook(name):
            assert source(cells[ex.grade_id]) == sync.graded_source(ex)
            meta = cells[ex.grade_id]["metadata"]["nbgrader"]
            assert meta == {"grade": False, "grade_id": ex.grade_id, "locked": False, "points": ex.points,
                            "schema_version": 3, "solution": True, "task": False}


def test_does_sync_detect_an_edited_graded_cell_and_restore_it():
    """Does sync detect an edited graded cell and restore it?"""
    nb = read_notebook(sync.EXERCISES_DIR / "02_forget_gate.ipynb")
    edited = copy.deepcopy(nb)
    graded_cells(edited)["forget_gate"]["source"] = "def forget_gate(h_prev, x_t, W_f, b_f):\n    return 0"
    graded_cells(edited)["forget_gate"]["metadata"]["nbgrader"]["points"] = 99
    changes = sync.sync_notebook(edited, "02_forget_gate.ipynb")
    assert changes == ["forget_gate: graded cell"]
    assert source(graded_cells(edited)["forget_gate"]) == sync.graded_source(course.get("forget_gate"))
    assert graded_cells(edited)["forget_gate"]["metadata"]["nbgrader"]["points"] == 2


def test_does_sync_put_check_and_reference_cells_under_a_new_graded_cell():
    """Does sync put check and reference cells under a new graded cell?"""
    nb = {"cells": [{"cell_type": "markdown", "id": "m", "metadata": {}, "source": "# t"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    sync.sync_notebook(nb, "04_output_gate.ipynb")
    roles = [(c["metadata"].get("lstm_course", {}).get("role"), c["metadata"].get("lstm_course", {}).get("exercise")) for c in nb["cells"]]
    assert roles == [(None, None), ("setup", None), ("graded", "output_gate"), ("check", "output_gate"), ("reference", "output_gate"),
                     ("graded", "hidden_state"), ("check", "hidden_state"), ("reference", "hidden_state"), ("validate", None)]


def test_does_sync_keep_the_validate_cell_last():
    """Does sync move the validate cell back to the end when a cell was added after it, and restore its source?"""
    nb = read_notebook(sync.EXERCISES_DIR / "02_forget_gate.ipynb")
    edited = copy.deepcopy(nb)
    edited["cells"][-1]["source"] = "validate_here('elsewhere.ipynb')"
    edited["cells"].append({"cell_type": "code", "id": "mine", "metadata": {}, "outputs": [], "execution_count": None, "source": "1"})
    changes = sync.sync_notebook(edited, "02_forget_gate.ipynb")
    assert changes == ["validate cell placed last", "validate cell"]
    assert edited["cells"][-2]["id"] == "mine" and source(edited["cells"][-1]) == sync.validate_source("02_forget_gate.ipynb")


def test_does_a_setup_cell_load_earlier_exercises_from_their_notebooks():
    """Does a setup cell load earlier exercises from their notebooks?"""
    src = sync.setup_source("05_hidden_vs_cell.ipynb")
    assert 'forget_gate = load_learner_function("02_forget_gate.ipynb", "forget_gate")' in src
    assert "from lstm_course.gates import forget_gate" not in src  # never the reference


def test_are_the_notebooks_valid_nbgrader_source_notebooks():
    """Are the notebooks valid nbgrader source notebooks?"""
    import nbformat
    import nbgrader.nbgraderformat as nbgrader_format  # in the [test] extra, pinned in constraints.txt
    from nbgrader.preprocessors import CheckCellMetadata, ClearSolutions

    from lstm_course.exercises.transforms import ClearSolutions as OurClearSolutions

    for name in course.NOTEBOOKS:
        path = sync.EXERCISES_DIR / name
        with open(path) as f:
            nb = nbgrader_format.read(f, as_version=4)  # nbgrader's reader validates every cell's metadata
        nbgrader_format.MetadataValidator().validate_nb(nb)
        CheckCellMetadata().preprocess(nb, {})
        theirs, _ = ClearSolutions(enforce_metadata=True).preprocess(nbformat.read(str(path), as_version=4), {})
        ours = OurClearSolutions()(read_notebook(path))
        assert [c.source for c in theirs.cells] == [source(c) for c in ours["cells"]], name
