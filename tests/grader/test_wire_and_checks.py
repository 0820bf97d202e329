"""The boundary format and the check table, alone."""
from __future__ import annotations

import pickle
import struct

import numpy as np
import pytest

from lstm_course import course
from lstm_course.grading import checks, wire


def payload(frame: bytes) -> bytes:
    return frame[8:]


def test_plain_values_round_trip():
    value = {"a": np.arange(6.0).reshape(2, 3), "t": (1, 2.5, None, "s", True), "l": [np.float32(1.5), np.zeros((0, 3))]}
    back = wire.decode(payload(wire.encode(value)))
    assert np.array_equal(back["a"], value["a"]) and back["t"] == (1, 2.5, None, "s", True)
    assert back["l"][0] == 1.5 and back["l"][1].shape == (0, 3)


@pytest.mark.parametrize("bad", [np.array([object()]), object(), {1: 2}, lambda: 0, np.zeros(3).view([("x", "f8")])])
def test_non_plain_values_are_refused(bad):
    with pytest.raises(wire.WireError):
        wire.encode(bad)


def test_decoding_never_unpickles_or_builds_object_arrays():
    header = b'{"__a__": [0, "|O", [1]]}'
    with pytest.raises(wire.WireError, match="malformed array"):
        wire.decode(struct.pack(">I", len(header)) + header + b"\0" * 8)
    with pytest.raises(wire.WireError):
        wire.decode(pickle.dumps({"x": 1}))
    header = b'{"__a__": [0, "<f8", [1000]]}'  # claims more data than sent
    with pytest.raises(wire.WireError, match="beyond"):
        wire.decode(struct.pack(">I", len(header)) + header + b"\0" * 8)


def test_every_exercise_has_public_and_hidden_checks():
    for e in course.EXERCISES:
        cs = checks.checks_for(e.name)
        assert any(c.public for c in cs) and sum(c.draws for c in cs if not c.public) >= 3, e.name
        assert any(not c.public and not c.edge for c in cs), e.name  # a core hidden check, not only edge cases


def test_hidden_inputs_depend_on_learner_and_are_reproducible():
    spec = checks.SPECS["forget_gate"]
    hidden = [c for c in checks.checks_for("forget_gate") if not c.public][0]
    a1, a2 = checks.make_inputs(spec, hidden, "ann"), checks.make_inputs(spec, hidden, "ann")
    b = checks.make_inputs(spec, hidden, "bob")
    assert len(a1) == hidden.draws == 3
    assert all(np.array_equal(x, y) for d1, d2 in zip(a1, a2) for x, y in zip(d1["args"], d2["args"]))
    assert not all(np.shape(x) == np.shape(y) and np.array_equal(x, y) for x, y in zip(a1[0]["args"], b[0]["args"]))


@pytest.mark.parametrize("name", [e.name for e in course.EXERCISES if e.name != "clip_grad_norm"])
def test_every_draw_has_all_sizes_different(name):
    """In every core hidden draw N, D, H (and T) differ and N >= 2, T >= 3: a transposed weight, a sum
    over the wrong axis, a mean for a sum or an off-by-one loop shows whoever the learner is."""
    from lstm_course.exercises import checkgen, explain

    spec = checks.SPECS[name]
    for c in checks.checks_for(name):
        if c.public or c.edge:
            continue
        for learner in ("ann", "bob", "carl", "dora", "emil"):
            for inputs in checks.make_inputs(spec, c, learner):
                kw = {**inputs["kwargs"], **({"lr": inputs["lr"]} if "lr" in inputs else {})}
                leaves = checkgen.expected_leaves(name, inputs["args"], kw, "main")
                if name == "train_step":  # the readout's O may repeat; the LSTM's sizes may not
                    leaves = {p: v for p, v in leaves.items() if p[2:4] in ("W_", "b_") and "y" not in p}
                    leaves["x"] = inputs["args"][1]
                dims = explain.dims_of(name, leaves) if name != "train_step" else {
                    "H": leaves["1/b_f"].shape[0], "T": inputs["args"][1].shape[0], "N": inputs["args"][1].shape[1],
                    "D": inputs["args"][1].shape[2]}
                if name in ("forget_gate", "input_gate", "candidate_memory", "output_gate"):
                    dims["D"] = inputs["args"][1].shape[1]
                if name in ("lstm_cell_forward", "lstm_forward", "rnn_forward"):
                    dims["D"] = inputs["args"][0].shape[-1]
                assert dims.get("N", 2) >= 2 and dims.get("T", 3) >= 3, (c.name, dims)
                assert len(set(dims.values())) == len(dims) >= 2, (c.name, dims)


def test_reference_passes_every_check_under_several_learners():
    from lstm_course.exercises import sync
    from lstm_course.grading import direct

    for e in course.EXERCISES:
        for learner in ("ann", "bob"):
            points, records = direct.grade_source(e.name, sync.graded_source(e), learner)
            assert points == e.points, (e.name, learner, [r for r in records if not r["passed"]])


def test_edge_checks_count_only_with_every_core_check():
    recs = [{"passed": False}, {"passed": True}, {"passed": True, "edge": True}]
    assert checks.score(recs, 3) == 1.0  # the edge case's point is withheld
    recs[0]["passed"] = True
    assert checks.score(recs, 3) == 3.0


def test_a_typical_mistake_gets_its_hint_on_hidden_inputs():
    from lstm_course.grading import direct

    src = "def forget_gate(h_prev, x_t, W_f, b_f):\n    return sigmoid(np.concatenate([x_t, h_prev], axis=-1) @ W_f.T + b_f)\n"
    points, records = direct.grade_source("forget_gate", src, "ann")
    hidden = [r for r in records if not r["public"] and not r["passed"]]
    assert points == 0 and hidden
    assert all("[x_t, h_{t-1}]" in r["hint"] for r in hidden)
