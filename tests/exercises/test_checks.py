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
                   "expected  result = array of shape (3, 4)", "got       array of shape (3, 4)", "largest difference",
                   HINTS["bias_missing"]):
        assert needle in out, needle


def test_is_a_stub_reported_as_not_implemented_without_raising(capsys):
    """Is a stub reported as not implemented without raising?"""
    def forget_gate(h_prev, x_t, W_f, b_f):
        raise NotImplementedError()

    assert {r.status for r in run_checks("forget_gate", forget_gate)} == {TODO}
    check("forget_gate", forget_gate)
    assert "NOT IMPLEMENTED" in capsys.readouterr().out


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
