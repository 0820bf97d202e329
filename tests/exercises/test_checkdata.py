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


def test_does_the_drift_comparison_accept_another_cpus_rounding_but_not_a_changed_reference():
    """Does the drift comparison accept another CPU's rounding but not a changed reference?"""
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 5))
    ulps = a * (1 + 8 * np.finfo(np.float64).eps)  # what another SIMD kernel or BLAS gives
    assert not np.array_equal(a, ulps) and checkdata.same_up_to_rounding(a, ulps)
    assert checkdata.same_up_to_rounding(a.astype(np.float32), (a * (1 + 8 * np.finfo(np.float32).eps)).astype(np.float32))
    changed = a.copy()
    changed[2, 3] += 1e-6  # the smallest edit to a reference (a changed constant, a dropped term) is far larger
    assert not checkdata.same_up_to_rounding(a, changed)
    assert not checkdata.same_up_to_rounding(a, a[:3])                  # shape
    assert not checkdata.same_up_to_rounding(a, a.astype(np.float32))   # dtype
    assert not checkdata.same_up_to_rounding(np.arange(3), np.arange(3) + 1)  # integers exactly
    assert checkdata.same_up_to_rounding(np.array("abc"), np.array("abc"))
    assert not checkdata.same_up_to_rounding(np.array("abc"), np.array("abd"))


def test_does_drift_detection_flag_a_changed_check_file(tmp_path, monkeypatch):
    """Does drift detection flag a check file that the reference no longer produces?"""
    from lstm_course.exercises import sync

    assert sync.check_data_drift() == []
    name = "forget_gate"
    with np.load(checkdata.path_for(name), allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    key = "small/expected/"  # f_t of the first case
    data[key] = data[key] + 1e-7
    for ex in course.EXERCISES:
        (tmp_path / f"{ex.name}.npz").write_bytes(checkdata.path_for(ex.name).read_bytes())
    np.savez_compressed(tmp_path / f"{name}.npz", **data)
    monkeypatch.setattr(checkdata, "DATA_DIR", tmp_path)
    assert sync.check_data_drift() == [f"{name}: check data"]
