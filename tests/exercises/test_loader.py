"""Loading a learner's function from a sibling notebook."""
from __future__ import annotations

import pytest

from lstm_course.exercises.loader import LearnerFunctionError, implemented, load_learner_function

from .conftest import graded, make_cell, make_nb, write_nb


def test_does_a_later_notebook_get_the_learners_own_function(tmp_path):
    """Does a later notebook get the learners own function?"""
    write_nb(tmp_path / "a.ipynb", make_nb(
        make_cell("import math", tags=["setup"]),
        graded("square", "def square(x):\n    return x * x"),
        make_cell("raise RuntimeError('demo cells are not run')"),
        graded("hyp", "def hyp(a, b):\n    return math.sqrt(square(a) + square(b))"),
    ))
    hyp = load_learner_function("a.ipynb", "hyp", tmp_path)
    assert hyp(3, 4) == 5.0 and implemented(hyp)


def test_do_setup_cells_load_earlier_notebooks_recursively(tmp_path):
    """Do setup cells load earlier notebooks recursively?"""
    write_nb(tmp_path / "a.ipynb", make_nb(graded("one", "def one():\n    return 1")))
    write_nb(tmp_path / "b.ipynb", make_nb(
        make_cell("from lstm_course.exercises import load_learner_function\n%matplotlib inline\n"
                  f"one = load_learner_function('a.ipynb', 'one', {str(tmp_path)!r})", tags=["setup"]),
        graded("two", "def two():\n    return one() + 1")))
    assert load_learner_function("b.ipynb", "two", tmp_path)() == 2


def test_does_an_unfinished_cell_load_and_say_where_to_finish_it(tmp_path):
    """Does an unfinished cell load and say where to finish it?"""
    write_nb(tmp_path / "a.ipynb", make_nb(graded("f", "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()")))
    f = load_learner_function("a.ipynb", "f", tmp_path)
    assert not implemented(f)
    with pytest.raises(NotImplementedError, match="f is not done yet: write its body in the graded cell of a.ipynb"):
        f(1)


def test_does_a_missing_notebook_say_to_keep_notebooks_together(tmp_path):
    """Does a missing notebook say to keep notebooks together?"""
    with pytest.raises(LearnerFunctionError, match="cannot find nope.ipynb"):
        load_learner_function("nope.ipynb", "f", tmp_path)


def test_does_a_missing_cell_name_the_cells_found(tmp_path):
    """Does a missing cell name the cells found?"""
    write_nb(tmp_path / "a.ipynb", make_nb(graded("g", "def g(): pass")))
    with pytest.raises(LearnerFunctionError, match=r"no graded cell 'f' \(graded cells found: g\)"):
        load_learner_function("a.ipynb", "f", tmp_path)


def test_does_a_failing_cell_name_the_cell_and_the_error(tmp_path):
    """Does a failing cell name the cell and the error?"""
    write_nb(tmp_path / "a.ipynb", make_nb(graded("f", "def f():\n    return 1\n1 / 0")))
    with pytest.raises(LearnerFunctionError, match="graded cell 'f' of a.ipynb failed with ZeroDivisionError"):
        load_learner_function("a.ipynb", "f", tmp_path)


def test_does_a_renamed_function_say_to_keep_the_name(tmp_path):
    """Does a renamed function say to keep the name?"""
    write_nb(tmp_path / "a.ipynb", make_nb(graded("f", "def my_f():\n    return 1")))
    with pytest.raises(LearnerFunctionError, match="does not define a function named f"):
        load_learner_function("a.ipynb", "f", tmp_path)


def test_is_a_saved_change_picked_up(tmp_path):
    """Is a saved change picked up?"""
    p = write_nb(tmp_path / "a.ipynb", make_nb(graded("f", "def f():\n    return 1")))
    assert load_learner_function("a.ipynb", "f", tmp_path)() == 1
    import os
    write_nb(p, make_nb(graded("f", "def f():\n    return 2")))
    os.utime(p, ns=(p.stat().st_atime_ns, p.stat().st_mtime_ns + 10**9))
    assert load_learner_function("a.ipynb", "f", tmp_path)() == 2
