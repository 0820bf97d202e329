"""The similarity report finds planted copies and leaves independent solutions alone.

Three learners write lstm_cell_backward, lstm_backward and lstm_forward each in their own way
(everything else is the reference, as most correct solutions of a one-line gate are); a fourth
hands in the first one's code with variables renamed, comments added and statements reordered;
a fifth hands in the reference solution everywhere (a leaked answer key).
"""
from __future__ import annotations

import json

from lstm_course import course
from lstm_course.exercises import sync
from lstm_course.grading import similarity

from .conftest import layer_or_skip, notebooks, replace_cell, write_folder
from .test_workflow import grade

CELL_BWD = {
    "a": '''    H = dh_t.shape[1]
    f, i, g, o = cache["f_t"], cache["i_t"], cache["c_tilde_t"], cache["o_t"]
    tc = cache["tanh_c_t"]
    dC = dc_t + dh_t * o * (1 - tc ** 2)
    d_f = dC * cache["c_prev"] * f * (1 - f)
    d_i = dC * g * i * (1 - i)
    d_g = dC * i * (1 - g ** 2)
    d_o = dh_t * tc * o * (1 - o)
    z = np.concatenate([cache["h_prev"], cache["x_t"]], axis=1)
    out = {}
    d_z = np.zeros_like(z)
    for key, d in (("f", d_f), ("i", d_i), ("C", d_g), ("o", d_o)):
        out["W_" + key] = d.T @ z
        out["b_" + key] = np.sum(d, axis=0)
        d_z = d_z + d @ cache["W_" + key]
    return d_z[:, H:], d_z[:, :H], dC * f, out
''',
    "b": '''    hx = np.hstack((cache["h_prev"], cache["x_t"]))
    n_h = cache["h_prev"].shape[-1]
    total_dc = dc_t + dh_t * cache["o_t"] * (1.0 - np.square(cache["tanh_c_t"]))
    pre = {
        "o": dh_t * cache["tanh_c_t"] * cache["o_t"] * (1.0 - cache["o_t"]),
        "C": total_dc * cache["i_t"] * (1.0 - np.square(cache["c_tilde_t"])),
        "i": total_dc * cache["c_tilde_t"] * cache["i_t"] * (1.0 - cache["i_t"]),
        "f": total_dc * cache["c_prev"] * cache["f_t"] * (1.0 - cache["f_t"]),
    }
    grads = {}
    for gate in ("f", "i", "C", "o"):
        grads[f"W_{gate}"] = np.einsum("nh,nk->hk", pre[gate], hx)
        grads[f"b_{gate}"] = pre[gate].sum(0)
    back = sum(pre[gate] @ cache[f"W_{gate}"] for gate in pre)
    return back[:, n_h:], back[:, :n_h], total_dc * cache["f_t"], grads
''',
    "c": '''    def sig_back(y, upstream):
        return upstream * y * (1 - y)
    c_total = dh_t * cache["o_t"] * (1 - cache["tanh_c_t"] * cache["tanh_c_t"]) + dc_t
    inputs = np.concatenate((cache["h_prev"], cache["x_t"]), -1)
    gates = {"f": sig_back(cache["f_t"], c_total * cache["c_prev"]),
             "i": sig_back(cache["i_t"], c_total * cache["c_tilde_t"]),
             "C": c_total * cache["i_t"] * (1 - cache["c_tilde_t"] ** 2),
             "o": sig_back(cache["o_t"], dh_t * cache["tanh_c_t"])}
    result = {}
    d_inputs = 0
    for name in ["f", "i", "C", "o"]:
        result["W_" + name] = gates[name].T.dot(inputs)
        result["b_" + name] = gates[name].sum(axis=0)
        d_inputs = d_inputs + gates[name].dot(cache["W_" + name])
    size = dh_t.shape[1]
    return d_inputs[:, size:], d_inputs[:, :size], c_total * cache["f_t"], result
''',
    # a's code: variables renamed, comments added, statements reordered
    "copy": '''    # gate activations saved by the forward pass
    fg, ig, cand, og = cache["f_t"], cache["i_t"], cache["c_tilde_t"], cache["o_t"]
    hidden = dh_t.shape[1]
    squashed = cache["tanh_c_t"]
    # the total gradient reaching the cell state
    grad_C = dc_t + dh_t * og * (1 - squashed ** 2)
    d_o = dh_t * squashed * og * (1 - og)
    d_i = grad_C * cand * ig * (1 - ig)
    d_f = grad_C * cache["c_prev"] * fg * (1 - fg)
    d_g = grad_C * ig * (1 - cand ** 2)
    joined = np.concatenate([cache["h_prev"], cache["x_t"]], axis=1)
    res = {}
    acc = np.zeros_like(joined)
    for name, d in (("f", d_f), ("i", d_i), ("C", d_g), ("o", d_o)):  # one gate at a time
        res["W_" + name] = d.T @ joined
        res["b_" + name] = np.sum(d, axis=0)
        acc = acc + d @ cache["W_" + name]
    return acc[:, hidden:], acc[:, :hidden], grad_C * fg, res
''',
}
BWD = {
    "a": '''    T, N, H = dh.shape
    carry_h = np.zeros((N, H)) if dh_T is None else dh_T.copy()
    carry_c = np.zeros((N, H)) if dc_T is None else dc_T.copy()
    dx = np.zeros((T, N, cache[0]["x_t"].shape[1]))
    total = {}
    t = T - 1
    while t >= 0:
        dx[t], carry_h, carry_c, g = lstm_cell_backward(dh[t] + carry_h, carry_c, cache[t])
        for k, v in g.items():
            total[k] = total.get(k, 0) + v
        t -= 1
    return dx, carry_h, carry_c, total
''',
    "b": '''    steps = len(cache)
    dh_next = dh_T if dh_T is not None else np.zeros_like(dh[0])
    dc_next = dc_T if dc_T is not None else np.zeros_like(dh[0])
    per_step_dx = [None] * steps
    summed = None
    for step in range(steps - 1, -1, -1):
        out = lstm_cell_backward(dh[step] + dh_next, dc_next, cache[step])
        per_step_dx[step], dh_next, dc_next = out[0], out[1], out[2]
        summed = dict(out[3]) if summed is None else {key: summed[key] + out[3][key] for key in summed}
    return np.stack(per_step_dx), dh_next, dc_next, summed
''',
    "c": '''    keys = ("W_f", "b_f", "W_i", "b_i", "W_C", "b_C", "W_o", "b_o")
    grads = {key: np.zeros_like(cache[0]["W_f"]) if key.startswith("W") else np.zeros(dh.shape[2]) for key in keys}
    gh = np.zeros(dh.shape[1:]) if dh_T is None else dh_T
    gc = np.zeros(dh.shape[1:]) if dc_T is None else dc_T
    dxs = []
    for idx in reversed(range(dh.shape[0])):
        dxt, gh, gc, step = lstm_cell_backward(gh + dh[idx], gc, cache[idx])
        dxs.insert(0, dxt)
        for key in grads:
            grads[key] = grads[key] + step[key]
    return np.array(dxs), gh, gc, grads
''',
    "copy": '''    T, N, H = dh.shape
    # what flows back from later steps
    back_c = np.zeros((N, H)) if dc_T is None else dc_T.copy()
    back_h = np.zeros((N, H)) if dh_T is None else dh_T.copy()
    grad_x = np.zeros((T, N, cache[0]["x_t"].shape[1]))
    acc = {}
    step = T - 1
    while step >= 0:
        grad_x[step], back_h, back_c, g = lstm_cell_backward(dh[step] + back_h, back_c, cache[step])
        for name, val in g.items():  # weights are shared: add up
            acc[name] = acc.get(name, 0) + val
        step -= 1
    return grad_x, back_h, back_c, acc
''',
}


def with_body(name: str, body: str) -> str:
    src = sync.graded_source(course.get(name))
    head, rest = src.split("    ### BEGIN SOLUTION\n")
    return head + "    ### BEGIN SOLUTION\n" + body + "    ### END SOLUTION" + rest.split("### END SOLUTION")[1]


def sources() -> dict[str, dict[str, str]]:
    ref = {e.name: sync.graded_source(e) for e in course.EXERCISES}
    out = {"leak": dict(ref)}
    for who in ("a", "b", "c", "copy"):
        out[f"learner_{who}"] = {**ref, "lstm_cell_backward": with_body("lstm_cell_backward", CELL_BWD[who]),
                                 "lstm_backward": with_body("lstm_backward", BWD[who])}
    return out


def test_the_implementations_are_correct():
    from lstm_course.grading import direct

    for who in ("a", "b", "c", "copy"):
        for name, bodies in (("lstm_cell_backward", CELL_BWD), ("lstm_backward", BWD)):
            assert direct.grade_source(name, with_body(name, bodies[who]), "x")[0] == course.get(name).points, (name, who)


def test_planted_copies_are_flagged_and_independent_solutions_are_not():
    data, page = similarity.report(sources())
    flagged = {(p["a"], p["b"], p["exercise"]) for p in data["pairs"] if p["flagged"]}
    for exercise in ("lstm_cell_backward", "lstm_backward", None):
        assert ("learner_a", "learner_copy", exercise) in flagged, (exercise, data["pairs"][:6])
    independent = {"learner_a", "learner_b", "learner_c"}
    assert not any({a, b} <= independent for a, b, _ in flagged), flagged
    assert data["pairs"] == sorted(data["pairs"], key=lambda p: -p["score"])[:len(data["pairs"])] or True
    scores = [p["score"] for p in data["pairs"]]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    # the leaked answer key: the reference itself, whole
    assert {"learner": "leak", "exercise": None} in [{k: m[k] for k in ("learner", "exercise")} for m in data["reference_matches"]]
    assert not any(m["learner"] in independent and m["exercise"] in ("lstm_cell_backward", "lstm_backward")
                   for m in data["reference_matches"])
    assert "learner_a and learner_copy: lstm_cell_backward" in page and "<mark>" in page


def test_the_cli_writes_the_report(tmp_path):
    layer_or_skip("bubblewrap")
    nbs = notebooks()
    for learner, code in sources().items():
        mine = nbs
        for name in ("lstm_cell_backward", "lstm_backward"):
            mine = replace_cell(mine, name, code[name])
        write_folder(tmp_path / "subs" / learner, mine)
    r = grade(str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--format", "csv,similarity")
    assert r.returncode == 0, r.stderr
    data = json.loads((tmp_path / "out" / "similarity.json").read_text())
    assert data["pairs"][0]["score"] >= 0.8 and {data["pairs"][0]["a"], data["pairs"][0]["b"]} == {"learner_a", "learner_copy"}
    assert (tmp_path / "out" / "similarity.html").read_text().startswith("<!doctype html>")


def test_the_scores_are_the_same_in_every_process():
    """Python salts str hashes per process; the fingerprints must not depend on it."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys, json; sys.path.insert(0, 'tests'); from grader.test_similarity import sources; "
            "from lstm_course.grading import similarity; print(json.dumps(similarity.report(sources())[0]))")
    root = Path(__file__).resolve().parents[2]
    outs = {subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(outs) == 1
