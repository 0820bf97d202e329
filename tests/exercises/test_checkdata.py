"""The public-check data format."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_course import course
from lstm_course.exercises import checkdata


def test_does_a_nested_structure_survive_the_round_trip(tmp_path):
    """Does a nested structure survive the round trip?"""
    cache = [{"x_t": np.ones((2, 3)), "W_f": np.zeros((4, 7))}, {"x_t": np.full((2, 3), 2.0), "W_f": np.ones((4, 7))}]
    case = {"id": "c", "about": "a", "rtol": 1e-6, "atol": 1e-9, "args": [np.arange(3.0), cache, 0.5],
            "kwargs": {"max_norm": 1.0}, "expected": {"0": np.eye(2), "1/W_f": np.ones(3)}, "wrong": {"bias_missing": {"0": np.zeros((2, 2))}}}
    checkdata.save(tmp_path / "ex.npz", "ex", [case])
    [back] = checkdata.load("ex", tmp_path)
    assert back["args"][2] == 0.5 and isinstance(back["args"][2], float)
    np.testing.assert_array_equal(back["args"][1][1]["x_t"], cache[1]["x_t"])
    assert back["kwargs"] == {"max_norm": 1.0}
    assert set(back["expected"]) == {"0", "1/W_f"} and set(back["wrong"]) == {"bias_missing"}


def test_are_shipped_files_loadable_without_pickle():
    """Are shipped files loadable without pickle?"""
    for ex in course.EXERCISES:
        with np.load(checkdata.path_for(ex.name), allow_pickle=False) as z:
            assert all(z[k].dtype != object for k in z.files)
        assert checkdata.load(ex.name), ex.name


def test_does_get_path_say_where_the_result_broke():
    """Does get path say where the result broke?"""
    assert checkdata.get_path((1, (2, 3)), "1/0") == 2
    with pytest.raises(LookupError, match="has 2 items"):
        checkdata.get_path((1, 2), "5")
    with pytest.raises(LookupError, match="no key 'W_f'"):
        checkdata.get_path({"W_g": 1}, "W_f")


def test_does_a_missing_file_say_how_to_regenerate_it(tmp_path):
    """Does a missing file say how to regenerate it?"""
    with pytest.raises(FileNotFoundError, match="sync-exercises"):
        checkdata.load("forget_gate", tmp_path)
