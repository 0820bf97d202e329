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
        assert any(c.public for c in cs) and sum(not c.public for c in cs) >= 3, e.name


def test_hidden_inputs_depend_on_learner_and_are_reproducible():
    spec = checks.SPECS["forget_gate"]
    hidden = [c for c in checks.checks_for("forget_gate") if not c.public][0]
    a1, a2 = checks.make_inputs(spec, hidden, "ann"), checks.make_inputs(spec, hidden, "ann")
    b = checks.make_inputs(spec, hidden, "bob")
    assert all(np.array_equal(x, y) for x, y in zip(a1["args"], a2["args"]))
    assert not all(np.shape(x) == np.shape(y) and np.array_equal(x, y) for x, y in zip(a1["args"], b["args"]))


def test_reference_passes_every_check_and_typical_mistakes_get_their_hint():
    for e in course.EXERCISES:
        spec = checks.SPECS[e.name]
        for c in checks.checks_for(e.name):
            inputs = checks.make_inputs(spec, c, "ann")
            out = _reference_output(e.name, inputs)
            assert checks.evaluate(spec, c, inputs, out)[0], (e.name, c.name)
    spec = checks.SPECS["forget_gate"]
    hidden = [c for c in checks.checks_for("forget_gate") if not c.public][0]
    inputs = checks.make_inputs(spec, hidden, "ann")
    h, x, W, b = inputs["args"]
    swapped = 1 / (1 + np.exp(-(np.concatenate([x, h], axis=-1) @ W.T + b)))
    assert checks.evaluate(spec, hidden, inputs, swapped) == (False, "f_t: " + checks.compare(
        {"f_t": swapped}, {"f_t": spec.expected(inputs, "main")["f_t"]}).split(": ", 1)[1], spec.mistakes[0][1]) \
        or "[x_t, h_{t-1}]" in checks.evaluate(spec, hidden, inputs, swapped)[2]


def _reference_output(name, inputs):
    import copy

    from lstm_course.grading.checks import ORACLE_FUNCTIONS
    from lstm_course.optim import SGD

    args = copy.deepcopy(inputs["args"])
    if name == "train_step":
        loss = ORACLE_FUNCTIONS[name](args[0], args[1], args[2], SGD(inputs["lr"]), **inputs["kwargs"])
        return {"loss": loss, "params": args[0]}
    out = ORACLE_FUNCTIONS[name](*args, **inputs["kwargs"])
    return wire.decode(payload(wire.encode(out if name != "lstm_forward" else (out[0], out[1], list(out[2])))))
