"""A bank of plausible mistakes: each a learner's graded cell, written as one edit of the reference.

Every entry is (exercise, label, [(old, new), ...]): the reference solution (the package's own
function, as the notebooks hold it) with each ``old`` text replaced by ``new``. The bank covers
the hint catalogue's typical mistakes (checkgen.MISTAKES, hints.HINTS) and the ones issue 12
lists: activation swapped, operands swapped, bias dropped, sign flipped, a factor dropped, a time
index off by one, clipping skipped, a bias gradient averaged, f_t missing on dc_prev, σ′ for C̃,
the dx / dh split swapped, f + i⊙C̃, C_{t-1} + i⊙C̃, h shifted by one step, BPTT skipping t = 0,
the gradient through h_{t-1} dropped, **loss_kwargs ignored, an input changed in place.
"""
from __future__ import annotations

from lstm_course import course
from lstm_course.exercises import sync

GATE_MISTAKES = [
    ("bias dropped", [("@ W_{g}.T + b_{g}", "@ W_{g}.T")]),
    ("operands swapped: [x, h]", [("concat_hx(h_prev, x_t)", "concat_hx(x_t, h_prev)")]),
    ("weight not transposed", [("@ W_{g}.T", "@ W_{g}")]),
    ("sign flipped", [("return {act}(z_{g})", "return {act}(-z_{g})")]),
    ("other activation", [("return {act}(z_{g})", "return {other}(z_{g})")]),
    ("bias subtracted", [("@ W_{g}.T + b_{g}", "@ W_{g}.T - b_{g}")]),
    ("h_prev only", [("concat_hx(h_prev, x_t) @ W_{g}.T", "h_prev @ W_{g}[:, :h_prev.shape[1]].T")]),
]
NAIVE = {  # activations written from the textbook formula: right for small z, NaN once exp overflows
    "sigmoid": "np.exp(z_{g}) / (1 + np.exp(z_{g}))",
    "tanh": "(np.exp(z_{g}) - np.exp(-z_{g})) / (np.exp(z_{g}) + np.exp(-z_{g}))",
}


def _gate_bank():
    out = []
    for name, g, act, other in (("forget_gate", "f", "sigmoid", "tanh"), ("input_gate", "i", "sigmoid", "tanh"),
                                ("candidate_memory", "C", "tanh", "sigmoid"), ("output_gate", "o", "sigmoid", "tanh")):
        for label, edits in GATE_MISTAKES:
            if name == "forget_gate" or label in ("bias dropped", "operands swapped: [x, h]", "other activation"):
                out.append((name, label, [(a.format(g=g, act=act, other=other), b.format(g=g, act=act, other=other))
                                          for a, b in edits]))
        out.append((name, "naive activation overflows", [(f"return {act}(z_{g})", "return " + NAIVE[act].format(g=g))]))
    return out


BANK = _gate_bank() + [
    # cell_state: C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t
    ("cell_state", "C_{t-1} forgotten", [("f_t * c_prev + i_t * c_tilde_t", "i_t * c_tilde_t")]),
    ("cell_state", "gates swapped", [("f_t * c_prev + i_t * c_tilde_t", "i_t * c_prev + f_t * c_tilde_t")]),
    ("cell_state", "f_t + i⊙C̃", [("f_t * c_prev + i_t * c_tilde_t", "f_t + i_t * c_tilde_t")]),
    ("cell_state", "C_{t-1} + i⊙C̃", [("f_t * c_prev + i_t * c_tilde_t", "c_prev + i_t * c_tilde_t")]),
    ("cell_state", "candidate not gated", [("f_t * c_prev + i_t * c_tilde_t", "f_t * c_prev + i_t")]),
    ("cell_state", "sign flipped", [("f_t * c_prev + i_t * c_tilde_t", "f_t * c_prev - i_t * c_tilde_t")]),
    ("cell_state", "matrix products for ⊙", [("f_t * c_prev + i_t * c_tilde_t", "np.dot(f_t, c_prev.T) @ c_prev + i_t * c_tilde_t")]),
    # hidden_state: h_t = o_t ⊙ tanh(C_t)
    ("hidden_state", "tanh missing", [("o_t * tanh(c_t)", "o_t * c_t")]),
    ("hidden_state", "σ for tanh", [("o_t * tanh(c_t)", "o_t * (1 / (1 + np.exp(-c_t)))")]),
    ("hidden_state", "tanh outside", [("o_t * tanh(c_t)", "tanh(o_t * c_t)")]),
    ("hidden_state", "naive tanh overflows", [("o_t * tanh(c_t)", "o_t * (np.exp(c_t) - np.exp(-c_t)) / (np.exp(c_t) + np.exp(-c_t))")]),
    ("hidden_state", "o_t dropped", [("o_t * tanh(c_t)", "tanh(c_t)")]),
    # rnn_forward
    ("rnn_forward", "state not carried", [("hs[t] @ Wh_T", "hs[0] @ Wh_T")]),
    ("rnn_forward", "h shifted by one step", [("return hs[1:].copy()", "return hs[:-1].copy()")]),
    ("rnn_forward", "bias dropped", [("@ Wx_T).reshape(T, N, H) + b", "@ Wx_T).reshape(T, N, H)")]),
    ("rnn_forward", "operands swapped: [x, h]", [("W[:, :H].T, W[:, H:].T", "W[:, D:].T, W[:, :D].T")]),
    ("rnn_forward", "h0 ignored", [("hs[0] = h0", "hs[0] = 0.0")]),
    # np.zeros, not np.empty: with np.empty the step never computed would hold whatever memory was
    # there before, which no grader can judge (the fairness test grades in one process).
    ("rnn_forward", "loop one step short", [("for t in range(T):", "for t in range(T - 1):"),
                                            ("np.empty((T + 1, N, H), dtype)", "np.zeros((T + 1, N, H), dtype)")]),
    ("rnn_forward", "last state off by one", [("hs[T].copy()", "hs[T - 1].copy()")]),
    ("rnn_forward", "cache without h_0", [('"h": hs', '"h": hs[1:]')]),
    # lstm_cell_forward (gates are the reference's: oracles)
    ("lstm_cell_forward", "gates' weights swapped (f, i)",
     [('params["W_f"], params["b_f"]', 'params["W_x"], params["b_x"]'), ('params["W_i"], params["b_i"]', 'params["W_f"], params["b_f"]'),
      ('params["W_x"], params["b_x"]', 'params["W_i"], params["b_i"]')]),
    ("lstm_cell_forward", "C_{t-1} forgotten", [("cell_state(f_t, c_prev, i_t, c_tilde_t)", "cell_state(f_t, 0 * c_prev, i_t, c_tilde_t)")]),
    ("lstm_cell_forward", "h_t from C_{t-1}", [("hidden_state(o_t, c_t)", "hidden_state(o_t, c_prev)")]),
    ("lstm_cell_forward", "cache key renamed", [('"c_tilde_t": c_tilde_t', '"c_tilde": c_tilde_t')]),
    ("lstm_cell_forward", "cache tanh of the old memory", [('"tanh_c_t": tanh(c_t)', '"tanh_c_t": tanh(c_prev)')]),
    ("lstm_cell_forward", "h and x swapped in a gate call", [("forget_gate(h_prev, x_t,", "forget_gate(x_t, h_prev,")]),
    ("lstm_cell_forward", "o_t from the candidate's weights", [('output_gate(h_prev, x_t, params["W_o"], params["b_o"])',
                                                                'output_gate(h_prev, x_t, params["W_C"], params["b_C"])')]),
    # lstm_forward (lstm_cell_forward is the reference's)
    ("lstm_forward", "state not carried", [("lstm_cell_forward(x[t], h_t, c_t, params)", "lstm_cell_forward(x[t], h0, c0, params)")]),
    ("lstm_forward", "h shifted by one step", [("        h_t, c_t, step_cache = lstm_cell_forward(x[t], h_t, c_t, params)\n        hs.append(h_t)\n",
                                                 "        hs.append(h_t)\n        h_t, c_t, step_cache = lstm_cell_forward(x[t], h_t, c_t, params)\n")]),
    ("lstm_forward", "loop one step short", [("for t in range(T):", "for t in range(T - 1):")]),
    ("lstm_forward", "c0 ignored", [("h_t, c_t = h0, c0", "h_t, c_t = h0, np.zeros_like(c0)")]),
    ("lstm_forward", "initial states returned", [("return h, (h_t, c_t), cache", "return h, (h0, c0), cache")]),
    ("lstm_forward", "T = 0 not handled", [("np.stack(hs) if hs else np.zeros((0,) + h0.shape, h0.dtype)", "np.stack(hs)")]),
    ("lstm_forward", "C passed as h", [("lstm_cell_forward(x[t], h_t, c_t, params)", "lstm_cell_forward(x[t], c_t, c_t, params)")]),
    # lstm_cell_backward
    ("lstm_cell_backward", "f_t missing on dc_prev", [("dc_prev = dc * f_t", "dc_prev = dc")]),
    ("lstm_cell_backward", "σ′ for C̃", [('"C": dc * i_t * tanh_grad_from_output(c_tilde_t)', '"C": dc * i_t * sigmoid_grad_from_output(c_tilde_t)')]),
    ("lstm_cell_backward", "dx / dh split swapped", [("dh_prev, dx_t = dhx[:, :H], dhx[:, H:]", "dx_t, dh_prev = dhx[:, :H], dhx[:, H:]")]),
    ("lstm_cell_backward", "bias gradient as a mean", [("dz[g].sum(axis=0)", "dz[g].mean(axis=0)")]),
    ("lstm_cell_backward", "bias gradient over the wrong axis", [("dz[g].sum(axis=0)", "dz[g].sum(axis=1)")]),
    ("lstm_cell_backward", "path through tanh(C_t) forgotten", [("dc = dc_t + dh_t * o_t * tanh_grad_from_output(tanh_c_t)", "dc = dc_t")]),
    ("lstm_cell_backward", "later steps' dc_t ignored", [("dc = dc_t + dh_t", "dc = dh_t")]),
    ("lstm_cell_backward", "weight gradient transposed", [("dz[g].T @ hx", "hx.T @ dz[g]")]),
    ("lstm_cell_backward", "tanh' on C_t itself", [("tanh_grad_from_output(tanh_c_t)", "tanh_grad_from_output(cache['c_t'])")]),
    ("lstm_cell_backward", "dz_f from C_t, not C_{t-1}", [('dc * cache["c_prev"]', 'dc * cache["c_t"]')]),
    ("lstm_cell_backward", "sign flipped", [("dc_prev = dc * f_t", "dc_prev = -dc * f_t")]),
    ("lstm_cell_backward", "output gate's σ′ dropped", [('"o": dh_t * tanh_c_t * sigmoid_grad_from_output(o_t)', '"o": dh_t * tanh_c_t')]),
    # lstm_backward (lstm_cell_backward is the reference's)
    ("lstm_backward", "gradients not summed over time", [("grads[k] += step_grads[k]", "grads[k] = step_grads[k]")]),
    ("lstm_backward", "gradient through h_{t-1} dropped", [("lstm_cell_backward(dh[t] + dh_next, dc_next, cache[t])", "lstm_cell_backward(dh[t], dc_next, cache[t])")]),
    ("lstm_backward", "skips t = 0", [("for t in reversed(range(T)):", "for t in range(T - 1, 0, -1):")]),
    ("lstm_backward", "walks forwards in time", [("for t in reversed(range(T)):", "for t in range(T):")]),
    ("lstm_backward", "dc not carried", [("lstm_cell_backward(dh[t] + dh_next, dc_next, cache[t])", "lstm_cell_backward(dh[t] + dh_next, 0 * dc_next, cache[t])")]),
    ("lstm_backward", "dh_T ignored", [("np.zeros((N, H), dh.dtype) if dh_T is None else dh_T.copy()", "np.zeros((N, H), dh.dtype)")]),
    ("lstm_backward", "dc_T ignored", [("np.zeros((N, H), dh.dtype) if dc_T is None else dc_T.copy()", "np.zeros((N, H), dh.dtype)")]),
    ("lstm_backward", "time index off by one", [("dh[t] + dh_next, dc_next, cache[t]", "dh[t - 1] + dh_next, dc_next, cache[t]")]),
    # clip_grad_norm
    ("clip_grad_norm", "each array clipped alone", [("return {k: g * scale for k, g in grads.items()}, total_norm",
                                                     "return {k: g * min(1.0, max_norm / (np.linalg.norm(g) + 1e-12)) for k, g in grads.items()}, total_norm")]),
    ("clip_grad_norm", "norm after clipping", [("}, total_norm", "}, min(total_norm, max_norm)")]),
    ("clip_grad_norm", "always rescaled to max_norm", [("min(1.0, max_norm / (total_norm + 1e-12))", "max_norm / (total_norm + 1e-12)")]),
    ("clip_grad_norm", "changes its input", [("return {k: g * scale for k, g in grads.items()}, total_norm",
                                              "for g in grads.values():\n        g *= scale\n    return grads, total_norm")]),
    ("clip_grad_norm", "squared norm", [("total_norm = math.sqrt(", "total_norm = (")]),
    ("clip_grad_norm", "no guard against a zero norm", [("max_norm / (total_norm + 1e-12)", "max_norm / total_norm")]),
    ("clip_grad_norm", "min and max swapped", [("min(1.0,", "max(1.0,")]),
    # train_step
    ("train_step", "clipping skipped", [("    grads, _ = clip_grad_norm(grads, max_norm)\n", "")]),
    ("train_step", "**loss_kwargs ignored", [("loss_and_grads(params, x, y, **loss_kwargs)", "loss_and_grads(params, x, y)")]),
    ("train_step", "loss after the update", [("    return value\n", "    return loss_and_grads(params, x, y, **loss_kwargs)[0]\n")]),
    ("train_step", "params rebound to a copy", [("    optimizer.step(params, grads)\n", "    params = {k: v.copy() for k, v in params.items()}\n    optimizer.step(params, grads)\n")]),
    ("train_step", "clipped at 1.0, not max_norm", [("clip_grad_norm(grads, max_norm)", "clip_grad_norm(grads, 1.0)")]),
    ("train_step", "step with the unclipped gradients", [("    grads, _ = clip_grad_norm(grads, max_norm)\n    optimizer.step(params, grads)\n",
                                                         "    clipped, _ = clip_grad_norm(grads, max_norm)\n    optimizer.step(params, grads)\n")]),
]


def mistaken_source(exercise: str, edits: list[tuple[str, str]]) -> str:
    """The reference graded cell of ``exercise`` with ``edits`` applied (each must apply once)."""
    src = sync.graded_source(course.get(exercise))
    for old, new in edits:
        assert src.count(old) == 1, f"{exercise}: {old!r} found {src.count(old)} times in the reference"
        src = src.replace(old, new)
    return src


def bank() -> list[tuple[str, str, str]]:
    """(exercise, label, graded-cell source) for every mistake of :data:`BANK`."""
    return [(ex, label, mistaken_source(ex, edits)) for ex, label, edits in BANK]
