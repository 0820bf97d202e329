"""Generate the public-check data from the reference (instructor edition only; never released).

For every exercise: a few small fixed-seed cases (N, D, H all different, so a transposed or
mis-summed array shows up as a shape error), the reference outputs, and what each typical
mistake computes on the same inputs (the "wrong variants" that let a check name the mistake).
``lstm-course sync-exercises`` calls :func:`write_all`; a test regenerates and compares.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from .. import course
from ..activations import sigmoid, tanh
from ..model import init_model, loss_and_grads
from ..optim import SGD
from ..params import init_lstm_params, init_rnn_params
from .checkdata import DATA_DIR, path_for, save

RTOL, ATOL = 1e-6, 1e-9
Case = dict[str, Any]


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _gate_cases(act: Callable, wrong_act: tuple[str, Callable]) -> list[Case]:
    """A gate σ/tanh(W·[h_{t-1}, x_t] + b); wrong variants: no bias, [x, h] order, the other activation."""
    cases = []
    for cid, (N, D, H), seed in (("small", (3, 2, 4), 1), ("single", (1, 5, 3), 2)):
        r = _rng(seed)
        h, x = r.normal(size=(N, H)), r.normal(size=(N, D))
        Wm, bv = r.normal(size=(H, H + D)), r.normal(size=H)
        z = np.concatenate([h, x], 1) @ Wm.T
        zxh = np.concatenate([x, h], 1) @ Wm.T
        cases.append({
            "id": cid, "about": f"N={N}, D={D}, H={H}", "rtol": RTOL, "atol": ATOL,
            "args": [h, x, Wm, bv],
            "expected": {"": act(z + bv)},
            "wrong": {"bias_missing": {"": act(z)}, "xh_order": {"": act(zxh + bv)}, wrong_act[0]: {"": wrong_act[1](z + bv)}},
        })
    return cases


def _cell_state_cases() -> list[Case]:
    cases = []
    for cid, (N, H), seed in (("small", (3, 4), 3), ("single", (1, 2), 4)):
        r = _rng(seed)
        f, i = sigmoid(r.normal(size=(N, H))), sigmoid(r.normal(size=(N, H)))
        c_prev, ct = r.normal(size=(N, H)) * 2, tanh(r.normal(size=(N, H)))
        cases.append({
            "id": cid, "about": f"N={N}, H={H}", "rtol": RTOL, "atol": ATOL,
            "args": [f, c_prev, i, ct],
            "expected": {"": f * c_prev + i * ct},
            "wrong": {"c_prev_forgotten": {"": i * ct}, "gates_swapped": {"": i * c_prev + f * ct}},
        })
    return cases


def _hidden_state_cases() -> list[Case]:
    cases = []
    for cid, (N, H), seed in (("small", (3, 4), 5), ("single", (1, 2), 6)):
        r = _rng(seed)
        o, c = sigmoid(r.normal(size=(N, H))), r.normal(size=(N, H)) * 2
        cases.append({
            "id": cid, "about": f"N={N}, H={H}", "rtol": RTOL, "atol": ATOL,
            "args": [o, c], "expected": {"": o * tanh(c)},
            "wrong": {"tanh_missing": {"": o * c}, "sigmoid_for_tanh": {"": o * sigmoid(c)}},
        })
    return cases


def _swap(params: dict, a: str, b: str) -> dict:
    p = dict(params)
    p[f"W_{a}"], p[f"W_{b}"] = params[f"W_{b}"], params[f"W_{a}"]
    p[f"b_{a}"], p[f"b_{b}"] = params[f"b_{b}"], params[f"b_{a}"]
    return p


def _no_bias(params: dict) -> dict:
    return {k: (np.zeros_like(v) if k.startswith("b_") else v) for k, v in params.items()}


def _lstm_params(D: int, H: int, seed: int) -> dict:
    p = init_lstm_params(D, H, seed=seed)
    r = _rng(seed + 100)
    return {k: v + 0.3 * r.normal(size=v.shape) for k, v in p.items()}  # nonzero biases, so a missing bias shows


def _cell_forward_cases() -> list[Case]:
    ref = course.reference("lstm_cell_forward")
    cases = []
    for cid, (N, D, H), seed in (("small", (3, 2, 4), 7), ("single", (1, 3, 2), 8)):
        r = _rng(seed)
        x, h, c = r.normal(size=(N, D)), r.normal(size=(N, H)), r.normal(size=(N, H))
        p = _lstm_params(D, H, seed)
        out = lambda pp: dict(zip(("0", "1"), ref(x, h, c, pp)[:2]))  # noqa: E731
        # the cache is compared too: the learner's lstm_cell_backward (notebook 06) reads these keys
        _, _, cache = ref(x, h, c, p)
        expected = {**out(p), **{f"2/{k}": v for k, v in cache.items()}}
        cases.append({
            "id": cid, "about": f"N={N}, D={D}, H={H}", "rtol": RTOL, "atol": ATOL,
            "args": [x, h, c, p], "expected": expected,
            "wrong": {"gate_order": out(_swap(p, "f", "i")), "bias_missing": out(_no_bias(p)),
                      "c_prev_forgotten": dict(zip(("0", "1"), ref(x, h, np.zeros_like(c), p)[:2]))},
        })
    return cases


def _sequence_cases(name: str) -> list[Case]:
    ref = course.reference(name)
    cell_ref = course.reference("lstm_cell_forward") if name == "lstm_forward" else None
    cases = []
    for cid, (T, N, D, H), seed, with_state in (("zeros", (4, 3, 2, 5), 9, False), ("given_state", (3, 2, 3, 4), 10, True)):
        r = _rng(seed)
        x = r.normal(size=(T, N, D))
        if name == "rnn_forward":
            p = init_rnn_params(D, H, seed=seed)
            p["b"] = p["b"] + 0.3 * r.normal(size=H)
        else:
            p = _lstm_params(D, H, seed)
        state = [r.normal(size=(N, H)) for _ in range(1 if name == "rnn_forward" else 2)] if with_state else []
        res = ref(x, p, *state)
        if name == "rnn_forward":
            expected = {"0": res[0], "1": res[1], "2/h": res[2]["h"]}  # rnn_backward reads cache["h"] (h_0..h_T)
            no_bias = ref(x, {"W": p["W"], "b": np.zeros(H)}, *state)
            wrong = {"bias_missing": {"0": no_bias[0], "1": no_bias[1]}}
            hs = []
            h_stuck = state[0] if state else np.zeros((N, H))
            for t in range(T):
                hs.append(np.tanh(np.concatenate([h_stuck, x[t]], 1) @ p["W"].T + p["b"]))
            wrong["state_not_carried"] = {"0": np.stack(hs), "1": hs[-1]}
            h_t, hs = (state[0] if state else np.zeros((N, H))), []
            for t in range(T):  # [x_t, h_{t-1}] instead of [h_{t-1}, x_t]
                h_t = np.tanh(np.concatenate([x[t], h_t], 1) @ p["W"].T + p["b"])
                hs.append(h_t)
            wrong["xh_order"] = {"0": np.stack(hs), "1": h_t}
        else:
            expected = {"0": res[0], "1/0": res[1][0], "1/1": res[1][1], "2/0/c_prev": res[2][0]["c_prev"], f"2/{T - 1}/c_t": res[2][-1]["c_t"]}
            h_t, c_t = state if state else (np.zeros((N, H)), np.zeros((N, H)))
            hs = []
            for t in range(T):  # every step from the initial state: the state is never carried
                hs.append(cell_ref(x[t], h_t, c_t, p)[0])
            wrong = {"state_not_carried": {"0": np.stack(hs)}}
        if with_state:
            ign = ref(x, p)
            wrong["h0_ignored"] = {"0": ign[0]}
        cases.append({
            "id": cid, "about": f"T={T}, N={N}, D={D}, H={H}" + (", initial state given" if with_state else ", zero initial state"),
            "rtol": RTOL, "atol": ATOL, "args": [x, p, *state], "expected": expected, "wrong": wrong,
        })
    return cases


def _grads_paths(grads: dict, prefix: str) -> dict:
    return {f"{prefix}/{k}": v for k, v in grads.items()}


def _cell_backward_cases() -> list[Case]:
    fwd, bwd = course.reference("lstm_cell_forward"), course.reference("lstm_cell_backward")
    cases = []
    for cid, (N, D, H), seed in (("small", (3, 2, 4), 11), ("single", (1, 3, 2), 12)):
        r = _rng(seed)
        x, h, c = r.normal(size=(N, D)), r.normal(size=(N, H)), r.normal(size=(N, H))
        p = _lstm_params(D, H, seed)
        _, _, cache = fwd(x, h, c, p)
        dh, dc = r.normal(size=(N, H)), r.normal(size=(N, H))
        dx, dh_prev, dc_prev, grads = bwd(dh, dc, cache)
        expected = {"0": dx, "1": dh_prev, "2": dc_prev, **_grads_paths(grads, "3")}
        # the path through tanh(C_t) forgotten: as if dC_t came only from later steps
        o = cache["o_t"]
        dh_only = bwd(dh, dc - dh * o * (1 - cache["tanh_c_t"] ** 2), cache)
        wrong = {
            "dh_from_output_only": {"0": dh_only[0], "1": dh_only[1], "2": dh_only[2]},
            "wrong_sum_axis": {"3/b_f": _dz_f(dh, dc, cache).sum(axis=1)},  # (N,) instead of (H,)
        }
        cases.append({"id": cid, "about": f"N={N}, D={D}, H={H}", "rtol": RTOL, "atol": ATOL,
                      "args": [dh, dc, cache], "expected": expected, "wrong": wrong})
    return cases


def _dz_f(dh, dc, cache) -> np.ndarray:
    """dz_f of the forget gate, (N, H): what a bias gradient sums over the batch."""
    f, o, tc = cache["f_t"], cache["o_t"], cache["tanh_c_t"]
    return (dc + dh * o * (1 - tc**2)) * cache["c_prev"] * f * (1 - f)


def _backward_cases() -> list[Case]:
    fwd, bwd = course.reference("lstm_forward"), course.reference("lstm_backward")
    cell_bwd = course.reference("lstm_cell_backward")
    cases = []
    for cid, (T, N, D, H), seed, final in (("all_steps", (4, 3, 2, 5), 13, False), ("final_state_grads", (3, 2, 3, 4), 14, True)):
        r = _rng(seed)
        x = r.normal(size=(T, N, D))
        p = _lstm_params(D, H, seed)
        _, _, cache = fwd(x, p)
        dh = r.normal(size=(T, N, H))
        kw = {"dh_T": r.normal(size=(N, H)), "dc_T": r.normal(size=(N, H))} if final else {}
        dx, dh0, dc0, grads = bwd(dh, cache, **kw)
        expected = {"0": dx, "1": dh0, "2": dc0, **_grads_paths(grads, "3")}
        # grads assigned (=) instead of summed (+=): what is left is the last step the loop visits (t = 0)
        step_grads = _bwd_variant(cell_bwd, dh, cache, kw, carry_h=True)
        no_carry = _bwd_variant(cell_bwd, dh, cache, kw, carry_h=False)
        wrong = {"not_accumulated": _grads_paths(step_grads[3], "3"),
                 "recurrent_grad_dropped": {"0": no_carry[0], **_grads_paths(no_carry[3], "3")}}
        cases.append({"id": cid, "about": f"T={T}, N={N}, D={D}, H={H}" + (", with dh_T and dc_T" if final else ""),
                      "rtol": RTOL, "atol": ATOL, "args": [dh, cache], "kwargs": kw, "expected": expected, "wrong": wrong})
    return cases


def _bwd_variant(cell_bwd, dh, cache, kw, carry_h: bool):
    T, N, H = dh.shape
    dh_next = kw.get("dh_T", np.zeros((N, H))).copy()
    dc_next = kw.get("dc_T", np.zeros((N, H))).copy()
    dx = np.zeros((T, N, cache[0]["x_t"].shape[1]))
    last: dict = {}
    acc: dict = {}
    for t in reversed(range(T)):
        dx[t], dh_prev, dc_next, g = cell_bwd(dh[t] + dh_next, dc_next, cache[t])
        dh_next = dh_prev if carry_h else np.zeros_like(dh_prev)
        last = g
        acc = {k: acc.get(k, 0) + v for k, v in g.items()}
    return dx, dh_next, dc_next, (last if carry_h else acc)


def _clip_cases() -> list[Case]:
    ref = course.reference("clip_grad_norm")
    cases = []
    for cid, scale, max_norm, seed in (("clipped", 3.0, 1.0, 15), ("under_threshold", 0.1, 5.0, 16)):
        r = _rng(seed)
        grads = {"W_f": scale * r.normal(size=(3, 5)), "b_f": scale * r.normal(size=3), "W_y": scale * r.normal(size=(2, 3))}
        clipped, norm = ref(grads, max_norm)
        expected = {"1": norm, **{f"0/{k}": v for k, v in clipped.items()}}
        per_array = {f"0/{k}": v * min(1.0, max_norm / (np.linalg.norm(v) + 1e-12)) for k, v in grads.items()}
        wrong = {"per_array_clip": per_array}
        if scale > 1:
            wrong["norm_after_clip"] = {"1": max_norm}
        cases.append({"id": cid, "about": f"global norm {'above' if scale > 1 else 'below'} max_norm={max_norm}",
                      "rtol": RTOL, "atol": ATOL, "args": [grads, max_norm], "expected": expected, "wrong": wrong})
    return cases


def _train_step_cases() -> list[Case]:
    ref = course.reference("train_step")
    fwd, bwd = course.reference("lstm_forward"), course.reference("lstm_backward")
    cases = []
    for cid, (T, N, D, H, O), seed, max_norm in (("clipped", (5, 3, 2, 4, 1), 17, 0.05), ("not_clipped", (3, 2, 1, 3, 2), 18, 100.0)):
        r = _rng(seed)
        params = init_model(D, H, O, seed=seed)
        x, y = r.normal(size=(T, N, D)), r.normal(size=(T, N, O))
        lr = 0.1
        after = {k: v.copy() for k, v in params.items()}
        loss = ref(after, x, y, SGD(lr), max_norm=max_norm, forward=fwd, backward=bwd)
        expected = {"0": loss, **{f"1/{k}": v for k, v in after.items()}}
        _, grads = loss_and_grads(params, x, y, forward=fwd, backward=bwd)
        wrong = {"not_in_place": {f"1/{k}": v for k, v in params.items()}}
        if max_norm < 1:
            wrong["not_clipped"] = {f"1/{k}": params[k] - lr * grads[k] for k in params}
        after_loss, _ = loss_and_grads(after, x, y, forward=fwd, backward=bwd)
        wrong["loss_after_update"] = {"0": after_loss}
        cases.append({"id": cid, "about": f"T={T}, N={N}, D={D}, H={H}, O={O}, SGD lr={lr}, max_norm={max_norm}",
                      "rtol": RTOL, "atol": ATOL, "args": [params, x, y], "kwargs": {"lr": lr, "max_norm": max_norm},
                      "expected": expected, "wrong": wrong})
    return cases


GENERATORS: dict[str, Callable[[], list[Case]]] = {
    "rnn_forward": lambda: _sequence_cases("rnn_forward"),
    "forget_gate": lambda: _gate_cases(sigmoid, ("tanh_for_sigmoid", tanh)),
    "input_gate": lambda: _gate_cases(sigmoid, ("tanh_for_sigmoid", tanh)),
    "candidate_memory": lambda: _gate_cases(tanh, ("sigmoid_for_tanh", sigmoid)),
    "cell_state": _cell_state_cases,
    "output_gate": lambda: _gate_cases(sigmoid, ("tanh_for_sigmoid", tanh)),
    "hidden_state": _hidden_state_cases,
    "lstm_cell_forward": _cell_forward_cases,
    "lstm_forward": lambda: _sequence_cases("lstm_forward"),
    "lstm_cell_backward": _cell_backward_cases,
    "lstm_backward": _backward_cases,
    "clip_grad_norm": _clip_cases,
    "train_step": _train_step_cases,
}


def cases_for(name: str) -> list[Case]:
    return GENERATORS[name]()


def write_all(data_dir: Path | None = None) -> list[Path]:
    """Regenerate every exercise's check file; return the paths written."""
    missing = [e.name for e in course.EXERCISES if e.name not in GENERATORS]
    if missing:
        raise RuntimeError(f"no public-check generator for {missing}: add one to {__name__}.GENERATORS")
    written = []
    for e in course.EXERCISES:
        p = path_for(e.name, data_dir or DATA_DIR)
        save(p, e.name, cases_for(e.name))
        written.append(p)
    return written
