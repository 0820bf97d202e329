"""Public checks: the reference passes; each typical mistake fails with its own hint."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_course import course
from lstm_course.activations import sigmoid, tanh
from lstm_course.exercises.checks import ERROR, FAIL, PASS, TODO, check, run_checks
from lstm_course.exercises.hints import HINTS

ref = course.reference
LSTM_EXTRA = {"forward": ref("lstm_forward"), "backward": ref("lstm_backward")}


def extra(name):
    return LSTM_EXTRA if name == "train_step" else {}


@pytest.mark.parametrize("name", [e.name for e in course.EXERCISES])
def test_does_the_reference_pass_every_public_check(name):
    """Does the reference pass every public check?"""
    results = run_checks(name, ref(name), **extra(name))
    assert results and all(r.status == PASS for r in results), [(r.case, r.status, r.mismatch) for r in results]


# --- mistaken implementations, each written the way a learner would get it wrong -------------

def _hx(h, x):
    return np.concatenate([h, x], axis=1)


def _swap_fi(p):
    q = dict(p)
    q["W_f"], q["W_i"], q["b_f"], q["b_i"] = p["W_i"], p["W_f"], p["b_i"], p["b_f"]
    return q


def _clip_each(grads, max_norm):
    out = {k: g * min(1.0, max_norm / (np.linalg.norm(g) + 1e-12)) for k, g in grads.items()}
    return out, float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))


def _clip_reports_after(grads, max_norm):
    clipped, _ = ref("clip_grad_norm")(grads, max_norm)
    return clipped, float(np.sqrt(sum(np.sum(g * g) for g in clipped.values())))


def _rnn_no_carry(x, params, h0=None):
    H = params["b"].shape[0]
    h_start = np.zeros((x.shape[1], H)) if h0 is None else h0
    hs = np.stack([np.tanh(_hx(h_start, x[t]) @ params["W"].T + params["b"]) for t in range(x.shape[0])])
    return hs, hs[-1], {}


def _rnn_xh(x, params, h0=None):
    h_t = np.zeros((x.shape[1], params["b"].shape[0])) if h0 is None else h0
    hs = [h_t]
    for t in range(x.shape[0]):
        h_t = np.tanh(_hx(x[t], h_t) @ params["W"].T + params["b"])
        hs.append(h_t)
    return np.stack(hs[1:]), h_t, {"x": x, "h": np.stack(hs), "W": params["W"]}


def _cell_renamed_cache(x, h, c, p):
    h_t, c_t, cache = ref("lstm_cell_forward")(x, h, c, p)
    cache["c_tilde"] = cache.pop("c_tilde_t")
    return h_t, c_t, cache


def _lstm_no_carry(x, params, h0=None, c0=None):
    N, H = x.shape[1], params["b_f"].shape[0]
    h0 = np.zeros((N, H)) if h0 is None else h0
    c0 = np.zeros((N, H)) if c0 is None else c0
    hs = np.stack([ref("lstm_cell_forward")(x[t], h0, c0, params)[0] for t in range(x.shape[0])])
    return hs, (hs[-1], c0), []


def _cell_bwd_forgets_tanh_path(dh_t, dc_t, cache):
    # dC_t taken as dc_t alone: feed the reference a dc_t that cancels the term through tanh(C_t)
    o, tc = cache["o_t"], cache["tanh_c_t"]
    return ref("lstm_cell_backward")(dh_t, dc_t - dh_t * o * (1 - tc**2), cache)


def _cell_bwd_sum_axis1(dh_t, dc_t, cache):
    dx, dh_prev, dc_prev, grads = ref("lstm_cell_backward")(dh_t, dc_t, cache)
    f, o, tc = cache["f_t"], cache["o_t"], cache["tanh_c_t"]
    dz_f = (dc_t + dh_t * o * (1 - tc**2)) * cache["c_prev"] * f * (1 - f)
    grads["b_f"] = dz_f.sum(axis=1)
    return dx, dh_prev, dc_prev, grads


def _bptt(dh, cache, dh_T=None, dc_T=None, *, accumulate=True, carry=True):
    T, N, H = dh.shape
    dh_next = np.zeros((N, H)) if dh_T is None else dh_T
    dc_next = np.zeros((N, H)) if dc_T is None else dc_T
    dx = np.zeros((T, N, cache[0]["x_t"].shape[1]))
    grads = None
    for t in reversed(range(T)):
        dx[t], dh_prev, dc_next, g = ref("lstm_cell_backward")(dh[t] + dh_next, dc_next, cache[t])
        dh_next = dh_prev if carry else np.zeros_like(dh_prev)
        grads = g if (grads is None or not accumulate) else {k: grads[k] + g[k] for k in g}
    return dx, dh_next, dc_next, grads


def _train_no_clip(params, x, y, optimizer, max_norm=1.0, **kw):
    from lstm_course.model import loss_and_grads
    value, grads = loss_and_grads(params, x, y, **kw)
    optimizer.step(params, grads)
    return value


def _train_copy(params, x, y, optimizer, max_norm=1.0, **kw):
    params = {k: v.copy() for k, v in params.items()}
    return ref("train_step")(params, x, y, optimizer, max_norm, **kw)


def _train_loss_after(params, x, y, optimizer, max_norm=1.0, **kw):
    from lstm_course.model import loss_and_grads
    ref("train_step")(params, x, y, optimizer, max_norm, **kw)
    return loss_and_grads(params, x, y, **kw)[0]


MISTAKES = [
    ("forget_gate", "bias_missing", lambda h, x, W, b: sigmoid(_hx(h, x) @ W.T)),
    ("forget_gate", "xh_order", lambda h, x, W, b: sigmoid(_hx(x, h) @ W.T + b)),
    ("forget_gate", "tanh_for_sigmoid", lambda h, x, W, b: tanh(_hx(h, x) @ W.T + b)),
    ("forget_gate", "weight_transposed", lambda h, x, W, b: sigmoid(_hx(h, x) @ W + b)),
    ("input_gate", "bias_missing", lambda h, x, W, b: sigmoid(_hx(h, x) @ W.T)),
    ("output_gate", "xh_order", lambda h, x, W, b: sigmoid(_hx(x, h) @ W.T + b)),
    ("candidate_memory", "sigmoid_for_tanh", lambda h, x, W, b: sigmoid(_hx(h, x) @ W.T + b)),
    ("cell_state", "c_prev_forgotten", lambda f, c, i, ct: i * ct),
    ("cell_state", "gates_swapped", lambda f, c, i, ct: i * c + f * ct),
    ("hidden_state", "tanh_missing", lambda o, c: o * c),
    ("hidden_state", "sigmoid_for_tanh", lambda o, c: o * sigmoid(c)),
    ("lstm_cell_forward", "gate_order", lambda x, h, c, p: ref("lstm_cell_forward")(x, h, c, _swap_fi(p))),
    ("lstm_cell_forward", "bias_missing",
     lambda x, h, c, p: ref("lstm_cell_forward")(x, h, c, {k: v * 0 if k[0] == "b" else v for k, v in p.items()})),
    ("lstm_cell_forward", "c_prev_forgotten", lambda x, h, c, p: ref("lstm_cell_forward")(x, h, c * 0, p)),
    ("rnn_forward", "state_not_carried", _rnn_no_carry),
    ("rnn_forward", "xh_order", _rnn_xh),
    ("lstm_cell_forward", "cache_keys", _cell_renamed_cache),
    ("rnn_forward", "bias_missing", lambda x, p, h0=None: ref("rnn_forward")(x, {"W": p["W"], "b": p["b"] * 0}, h0)),
    ("lstm_forward", "state_not_carried", _lstm_no_carry),
    ("lstm_forward", "h0_ignored", lambda x, p, h0=None, c0=None: ref("lstm_forward")(x, p)),
    ("lstm_cell_backward", "dh_from_output_only", _cell_bwd_forgets_tanh_path),
    ("lstm_cell_backward", "wrong_sum_axis", _cell_bwd_sum_axis1),
    ("lstm_backward", "not_accumulated", lambda *a, **k: _bptt(*a, **k, accumulate=False)),
    ("lstm_backward", "recurrent_grad_dropped", lambda *a, **k: _bptt(*a, **k, carry=False)),
    ("clip_grad_norm", "per_array_clip", _clip_each),
    ("clip_grad_norm", "norm_after_clip", _clip_reports_after),
    ("train_step", "not_clipped", _train_no_clip),
    ("train_step", "not_in_place", _train_copy),
    ("train_step", "loss_after_update", _train_loss_after),
]


@pytest.mark.parametrize("name, hint, wrong", MISTAKES, ids=[f"{n}-{h}" for n, h, _ in MISTAKES])
def test_is_the_typical_mistake_recognised(name, hint, wrong):
    """Is the typical mistake recognised?"""
    results = run_checks(name, wrong, **extra(name))
    assert any(r.status in (FAIL, ERROR) for r in results)  # some mistakes only show in one case (h0 ignored)
    if hint == "cache_keys":  # no hint: the report itself names the missing key
        assert any(r.mismatch and r.mismatch.why == "missing" and "c_tilde_t" in r.mismatch.path for r in results)
        return
    assert hint in {r.hint for r in results}, [(r.case, r.status, r.hint) for r in results]


def test_does_a_failure_report_call_expected_got_difference_and_hint(capsys):
    """Does a failure report call expected got difference and hint?"""
    check("forget_gate", MISTAKES[0][2])
    out = capsys.readouterr().out
    assert "forget_gate: 0/2 public checks passed" in out
    for needle in ("FAIL", "called    forget_gate(h=array(3, 4), x=array(3, 2), W=array(4, 6), b=array(4,))",
                   "expected  f_t = array of shape (3, 4)", "got       array of shape (3, 4)", "largest difference",
                   HINTS["bias_missing"]):
        assert needle in out, needle


def test_is_a_stub_reported_in_one_line_without_raising(capsys):
    """Is a stub (not attempted) reported in one line, without the recipe, and without raising?"""
    def forget_gate(h_prev, x_t, W_f, b_f):
        raise NotImplementedError()

    assert {r.status for r in run_checks("forget_gate", forget_gate)} == {TODO}
    check("forget_gate", forget_gate)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("forget_gate: NOT IMPLEMENTED yet (not attempted)"), out


# --- feedback that locates the mistake (issue 12) ----------------------------------------------

def _report(name, fn, capsys, **kw):
    check(name, fn, **kw)
    return capsys.readouterr().out


def test_are_outputs_named_not_numbered(capsys):
    """Does a wrong output read dc_prev, grads["b_f"], not result[2] or result[3][b_f]?"""
    def no_f_on_dc_prev(dh_t, dc_t, cache):
        dx, dh_prev, dc_prev, grads = ref("lstm_cell_backward")(dh_t, dc_t, cache)
        return dx, dh_prev, dc_prev / cache["f_t"], grads

    out = _report("lstm_cell_backward", no_f_on_dc_prev, capsys)
    assert "expected  dc_prev = " in out and "result[" not in out and "only dc_prev is wrong" in out
    assert HINTS["dc_prev_without_f"] in out
    out = _report("lstm_cell_backward", _cell_bwd_sum_axis1, capsys)
    assert 'grads["b_f"] has shape (N,); expected (H,)' in out and 'expected  grads["b_f"]' in out


def test_does_a_backward_failure_say_at_which_step_it_starts(capsys):
    """"dx right at t = T-1 but wrong at t = T-2: the gradient from step t+1 is not carried back"."""
    out = _report("lstm_backward", lambda *a, **k: _bptt(*a, **k, carry=False), capsys)
    assert "dx is right at t = 3 (T-1) but wrong at t = 2 (T-2): the gradient from step t+1" in out
    assert HINTS["recurrent_grad_dropped"] in out
    # also on the case with dh_T and dc_T (each of its cases gets the hint)
    results = run_checks("lstm_backward", lambda *a, **k: _bptt(*a, **k, carry=False))
    assert [r.hint.split("#")[0] for r in results] == ["recurrent_grad_dropped"] * 2


def _skip_first(dh, cache, dh_T=None, dc_T=None):
    dx, dh0, dc0, grads = _bptt(dh[1:], cache[1:], dh_T, dc_T)
    return np.concatenate([np.zeros_like(dx[:1]), dx]), dh0, dc0, grads


def _rnn_shifted(x, params, h0=None):
    h, h_T, cache = ref("rnn_forward")(x, params, h0)
    return np.concatenate([cache["h"][:1], h[:-1]]), h_T, cache


def _lstm_short_loop(x, params, h0=None, c0=None):
    h, (h_T, c_T), cache = ref("lstm_forward")(x[:-1], params, h0, c0)
    return h, (h_T, c_T), cache


def _cell_bwd_sigmoid_for_C(dh_t, dc_t, cache):
    from lstm_course.exercises.checkgen import _cell_backward_with
    return _cell_backward_with(dh_t, dc_t, cache, sigmoid_for_C=True)


def _cell_bwd_split_swapped(dh_t, dc_t, cache):
    dx, dh_prev, dc_prev, grads = ref("lstm_cell_backward")(dh_t, dc_t, cache)
    return dh_prev, dx, dc_prev, grads


def _cell_bwd_mean(dh_t, dc_t, cache):
    dx, dh_prev, dc_prev, grads = ref("lstm_cell_backward")(dh_t, dc_t, cache)
    return dx, dh_prev, dc_prev, {k: v / dh_t.shape[0] if k[0] == "b" else v for k, v in grads.items()}


ISSUE_MISTAKES = [  # the mistakes issue 12 says got only numbers: each must get its hint
    ("cell_state", "f_added", lambda f, c, i, ct: f + i * ct),
    ("cell_state", "forget_gate_missing", lambda f, c, i, ct: c + i * ct),
    ("rnn_forward", "shifted_by_one", _rnn_shifted),
    ("lstm_backward", "skips_first_step", _skip_first),
    ("lstm_cell_backward", "bias_grad_mean", _cell_bwd_mean),
    ("lstm_cell_backward", "sigmoid_grad_for_tanh", _cell_bwd_sigmoid_for_C),
    ("lstm_cell_backward", "dx_dh_split_swapped", _cell_bwd_split_swapped),
    ("lstm_forward", "off_by_one_steps", _lstm_short_loop),
]


@pytest.mark.parametrize("name, hint, wrong", ISSUE_MISTAKES, ids=[f"{n}-{h}" for n, h, _ in ISSUE_MISTAKES])
def test_does_the_mistake_get_its_hint(name, hint, wrong):
    """Does each mistake of issue 12's list get its own hint on every case where it shows?"""
    results = run_checks(name, wrong)
    failed = [r for r in results if not r.passed]
    assert failed and all(r.hint == hint for r in failed), [(r.case, r.hint) for r in results]


def test_is_the_matrix_product_hint_kept_for_matrix_products():
    """A broadcast error (a bias summed over the wrong axis) is not "a shape mismatch in a matrix product"."""
    def broadcast_error(dh, cache, dh_T=None, dc_T=None):
        return np.zeros(3) + np.zeros(4), None, None, None

    [r, *_] = run_checks("lstm_backward", broadcast_error)
    assert r.status == ERROR and r.hint == "broadcast_mismatch"
    [r, *_] = run_checks("forget_gate", lambda h, x, W, b: np.concatenate([h, x], 1) @ W + b)
    assert r.hint == "weight_transposed"


def test_is_an_input_changed_in_place_a_failure(capsys):
    """clip_grad_norm must leave its input untouched (its docstring says so)."""
    def in_place(grads, max_norm):
        total = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
        for g in grads.values():
            g *= min(1.0, max_norm / (total + 1e-12))
        return grads, total

    results = run_checks("clip_grad_norm", in_place)
    assert [r.status for r in results] == [FAIL, PASS]  # below the threshold nothing changes
    out = _report("clip_grad_norm", in_place, capsys)
    assert 'your function changed its input grads["W_f"] in place' in out and HINTS["input_changed"] in out


def test_does_a_train_step_that_drops_loss_kwargs_fail_with_its_hint():
    """Not "NOT IMPLEMENTED … lstm_forward_fast": the learner's train_step is written, it drops **loss_kwargs."""
    def drops(params, x, y, optimizer, max_norm=1.0, **loss_kwargs):
        from lstm_course.model import loss_and_grads
        value, grads = loss_and_grads(params, x, y)
        grads, _ = ref("clip_grad_norm")(grads, max_norm)
        optimizer.step(params, grads)
        return value

    results = run_checks("train_step", drops, **LSTM_EXTRA)
    assert [(r.status, r.hint) for r in results] == [(FAIL, "loss_kwargs_dropped")] * 2


def test_is_an_earlier_exercise_checked_with_the_reference_and_named(capsys):
    """A wrong forget_gate makes a correct lstm_cell_forward pass (as in the grader) and is named."""
    import types

    wrong_gate = lambda h, x, W, b: sigmoid(_hx(h, x) @ W.T)  # noqa: E731 - bias dropped
    wrong_gate.__learner_notebook__ = "02_forget_gate.ipynb"
    cell = ref("lstm_cell_forward")
    learners_cell = types.FunctionType(cell.__code__, {**cell.__globals__, "forget_gate": wrong_gate}, cell.__name__)
    assert all(r.passed for r in run_checks("lstm_cell_forward", learners_cell))
    out = _report("lstm_cell_forward", learners_cell, capsys)
    assert "2/2 public checks passed" in out
    assert "your forget_gate (02_forget_gate.ipynb) fails its checks: fix it first" in out
    # with its own (wrong) gate, as the notebook runs it, the same cell fails: that is what the note explains
    assert not all(r.passed for r in run_checks("lstm_cell_forward", learners_cell, reference_prerequisites=False))


def test_does_a_wrong_shape_say_so(capsys):
    """Does a wrong shape say so?"""
    check("cell_state", lambda f, c, i, ct: (f * c + i * ct)[:, :1])
    assert "shape     expected (3, 4), got (3, 1)" in capsys.readouterr().out


def test_does_a_crash_become_a_report_not_an_exception():
    """Does a crash become a report not an exception?"""
    [r, *_] = run_checks("hidden_state", lambda o, c: {}["oops"])
    assert r.status == ERROR and "KeyError" in r.error


def test_are_the_inputs_protected_from_a_mutating_learner():
    """Are the inputs protected from a mutating learner?"""
    def mutating(f, c, i, ct):
        c += 1.0
        return f * c + i * ct

    assert all(r.status == FAIL for r in run_checks("cell_state", mutating))
    assert all(r.status == PASS for r in run_checks("cell_state", ref("cell_state")))


def test_in_the_student_edition_a_dropped_loss_kwargs_is_named_not_not_implemented(monkeypatch):
    """There loss_and_grads' default forward is a stub raising NotImplementedError: still the same verdict and hint."""
    from lstm_course import model

    def stub(*a, **k):
        raise NotImplementedError("lstm_forward_fast is not in the student edition: use your own lstm_forward")

    monkeypatch.setattr(model.loss_and_grads, "__kwdefaults__", {**model.loss_and_grads.__kwdefaults__, "forward": stub})

    def drops(params, x, y, optimizer, max_norm=1.0, **loss_kwargs):
        value, grads = model.loss_and_grads(params, x, y)
        optimizer.step(params, grads)
        return value

    results = run_checks("train_step", drops, **LSTM_EXTRA)
    assert [(r.status, r.hint) for r in results] == [(ERROR, "loss_kwargs_dropped")] * 2
    assert all("NotImplementedError" in r.error for r in results)
