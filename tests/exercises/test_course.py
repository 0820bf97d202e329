"""The exercise table (course.py) is consistent with the package and the notebooks."""
from __future__ import annotations

import pytest

from lstm_course import course
from lstm_course.exercises.solutions import marked_functions


def test_does_every_exercise_have_a_marked_reference():
    """Does every exercise have a marked reference?"""
    marked = marked_functions()
    for ex in course.EXERCISES:
        assert f"{ex.module}.{ex.name}" in marked, f"{ex.module}.{ex.name} lacks solution markers"


def test_is_every_marked_function_an_exercise_or_declared_as_stubbed_too():
    """Is every marked function an exercise or declared as stubbed too?"""
    names = {f"{e.module}.{e.name}" for e in course.EXERCISES} | set(course.STUBBED_TOO)
    assert set(marked_functions()) == names


def test_do_requirements_come_earlier_in_the_course():
    """Do requirements come earlier in the course?"""
    order = [e.name for e in course.EXERCISES]
    for ex in course.EXERCISES:
        for req in ex.requires:
            assert order.index(req) < order.index(ex.name), (ex.name, req)
    for nb, uses in course.USES.items():
        for name in uses:
            assert course.NOTEBOOKS.index(course.get(name).notebook) <= course.NOTEBOOKS.index(nb)


def test_are_grade_ids_unique_and_notebooks_known():
    """Are grade ids unique and notebooks known?"""
    assert len({e.grade_id for e in course.EXERCISES}) == len(course.EXERCISES)
    assert all(e.notebook in course.NOTEBOOKS for e in course.EXERCISES)
    assert all(isinstance(e.points, int) and e.points > 0 for e in course.EXERCISES)
    assert course.total_points() == sum(e.points for e in course.EXERCISES)


def test_does_an_unknown_name_list_the_known_ones():
    """Does an unknown name list the known ones?"""
    with pytest.raises(KeyError, match="forget_gate"):
        course.get("forget_gates")
    with pytest.raises(KeyError, match="01_why_lstms"):
        course.in_notebook("99_nope.ipynb")


def test_does_in_notebook_follow_course_order():
    """Does in notebook follow course order?"""
    assert [e.name for e in course.in_notebook("03_input_gate.ipynb")] == ["input_gate", "candidate_memory", "cell_state"]
    assert course.in_notebook("08_applications.ipynb") == ()
