"""Hints for typical mistakes, recognised from the symptom.

Two ways to recognise a mistake:

* by value: the check data ships, next to the expected outputs, what each typical mistake
  computes on the same inputs (``<case>/wrong/<hint>/...``, see :mod:`.checkdata`); a learner's
  output matching one of them gets that hint;
* by error: an exception whose message shows a known symptom (a matmul shape mismatch is
  almost always a transposed weight; a broadcast error is not a matmul);
* by pattern (:mod:`.explain`): a time axis one step off, h shifted by one step, only the bias
  gradients wrong by a factor N, dx_t and dh_prev swapped.

``HINTS`` maps a hint key to its text (``hint_text(key)`` also reads a key with a ``#n``
suffix, a second variant of one mistake); ``hint_for_error(exc)`` and
``hint_for_error_text(type_name, message)`` return a key or None. The grader uses all three.
"""
from __future__ import annotations

HINTS: dict[str, str] = {
    "bias_missing": "Your result matches the computation WITHOUT the bias: add b (…+ b_f) before the activation.",
    "weight_transposed": "A shape mismatch in a matrix product: W has shape (H, H+D) and reads the column [h_{t-1}, x_t]; "
                         "with rows of a batch write concat_hx(h_prev, x_t) @ W.T, not @ W.",
    "xh_order": "Your result matches [x_t, h_{t-1}]: the article (and W's columns) put h_{t-1} FIRST: use concat_hx(h_prev, x_t).",
    "tanh_for_sigmoid": "Your result matches tanh where σ (sigmoid) belongs: a gate is a fraction in (0, 1), so it uses σ.",
    "sigmoid_for_tanh": "Your result matches σ (sigmoid) where tanh belongs: the candidate memory and the squashed C_t "
                        "must be able to go negative, so they use tanh, values in (-1, 1).",
    "c_prev_forgotten": "Your result matches C_t computed without the old memory: C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t keeps f_t ⊙ C_{t-1}.",
    "gates_swapped": "Your result matches the two gates swapped: f_t multiplies C_{t-1}, i_t multiplies C̃_t.",
    "tanh_missing": "Your result matches h_t = o_t ⊙ C_t: squash the memory first, h_t = o_t ⊙ tanh(C_t).",
    "gate_order": "Your result matches the gates' weights used in the wrong order: each gate has its own W and b "
                  "(W_f for f_t, W_i for i_t, W_C for C̃_t, W_o for o_t); check which one each line reads.",
    "h0_ignored": "Your result matches a run that ignores the given initial state: start from h0 (and c0) when they are passed.",
    "state_not_carried": "Your result matches a run that restarts from the initial state at every step: "
                         "feed each step the h_t (and C_t) of the step before.",
    "wrong_sum_axis": "A bias gradient of the wrong shape or value: the bias is shared by every row of the batch, "
                      "so db sums dz over the batch axis (axis=0) and has shape (H,).",
    "dh_from_output_only": "Your result matches a backward pass that forgets the path through tanh(C_t): "
                           "dC_t also receives dh_t ⊙ o_t ⊙ (1 - tanh²(C_t)).",
    "not_accumulated": "Your weight gradients match those of a single step: weights are shared over time, "
                       "so their gradients are SUMMED over every step (+=, not =).",
    "recurrent_grad_dropped": "Your result matches a backward pass that drops the gradient flowing back through h_{t-1}: "
                              "the gradient reaching h_t is dh[t] plus what step t+1 sent back.",
    "per_array_clip": "Your result matches clipping each array on its own: clip by the GLOBAL norm of all arrays together, "
                      "so the update keeps its direction.",
    "norm_after_clip": "You returned the norm after clipping; return the norm BEFORE clipping (it is what you would log).",
    "not_clipped": "Your result matches an update without gradient clipping: clip the gradients (clip_grad_norm) before optimizer.step.",
    "not_in_place": "The parameters did not change: optimizer.step(params, grads) updates the dict in place; "
                    "do not rebind params to a copy.",
    "loss_after_update": "The loss returned is the one AFTER the update; return the batch loss computed before stepping.",
    # recognised from the values
    "f_added": "Your result matches f_t + i_t ⊙ C̃_t: f_t must MULTIPLY the old memory, C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t.",
    "forget_gate_missing": "Your result matches C_{t-1} + i_t ⊙ C̃_t: the old memory passes through the forget gate, "
                           "C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t.",
    "candidate_not_gated": "Your result matches f_t ⊙ C_{t-1} + i_t: the input gate scales the candidate, i_t ⊙ C̃_t.",
    "tanh_outside": "Your result matches tanh(o_t ⊙ C_t): squash C_t first, then gate it, h_t = o_t ⊙ tanh(C_t).",
    "dc_prev_without_f": "Your dc_prev matches dC_t without f_t: C_{t-1} reaches C_t as f_t ⊙ C_{t-1}, so dC_{t-1} = dC_t ⊙ f_t.",
    "sigmoid_grad_for_tanh": "Your gradient matches σ′ = s(1-s) used for the candidate C̃_t: it is a tanh, so dz_C uses "
                             "tanh′ = 1 - C̃_t².",
    "dx_dh_split_swapped": "Your dx_t and dh_prev are swapped: d[h_{t-1}, x_t] puts h first, so dh_prev is its first H "
                           "columns and dx_t the remaining D.",
    "bias_grad_mean": "Your bias gradients are the MEAN over the batch: the loss adds up every row's contribution, so db "
                      "sums dz over the batch axis (np.sum(dz, axis=0), not np.mean).",
    "grad_transposed": "A weight gradient of shape (H+D, H): dW = dzᵀ · [h_{t-1}, x_t] has the shape of W, (H, H+D).",
    "off_by_one_steps": "Your result has one time step too many or too few: the loop must visit t = 0, 1, …, T-1 once "
                        "each (for t in range(T)).",
    "shifted_by_one": "Your h is shifted by one step: h[t] is the state AFTER step t reads x[t] (h[0] is h_1), not the "
                      "state step t starts from.",
    "skips_first_step": "Your backward loop skips t = 0: walk t = T-1, T-2, …, 0 (reversed(range(T))); "
                        "range(T-1, 0, -1) stops before 0.",
    "loss_kwargs_dropped": "Your train_step does not pass **loss_kwargs on to loss_and_grads: they carry forward= and "
                           "backward= (your own LSTM) and loss=, readout=; call loss_and_grads(params, x, y, **loss_kwargs).",
    "input_changed": "Your function changed its input in place: build a new dict ({k: g * scale for k, g in "
                     "grads.items()}) and leave grads as it was; the caller may still need the unclipped gradients.",
    "overflow": "Your result holds NaN or inf where the correct one is finite: for large |z|, np.exp overflows "
                "(inf / inf is NaN). Use the stable sigmoid and tanh of lstm_course.activations (or np.tanh).",
    "nan_result": "Your result holds NaN or inf where the correct one is finite: look for a division by zero or an "
                  "exp of a large number.",
    "not_an_array": "Return NumPy float arrays where the docstring says so (np.stack a list of steps), not lists or "
                    "other types.",
    # recognised from an exception
    "broadcast_mismatch": "Two arrays of different shapes were combined elementwise (+, *, +=): print the shapes on that "
                          "line. Every gate and state is (N, H), every bias (H,), every weight (H, H+D).",
    "empty_stack": "np.stack (or np.concatenate) got an empty list: with T = 0 there is no step to stack; return an "
                   "empty (0, N, H) array (np.zeros((0, N, H))) and the initial states.",
    "empty_axis": "Your code reads an element of an empty axis: with N = 0 (or T = 0) there is none; write the "
                  "computation with whole-array operations that work for any size.",
    "zero_division": "A division by zero: guard it (when every gradient is zero, ‖g‖ = 0 and there is nothing to clip).",
    "key_missing": "A dict has no such key: params holds W_f, b_f, W_i, b_i, W_C, b_C, W_o, b_o; the cache holds x_t, "
                   "h_prev, c_prev, f_t, i_t, c_tilde_t, c_t, o_t, tanh_c_t and the four W_*.",
    "name_missing": "Your cell uses a name that is neither defined nor imported where the grader runs it: define helpers "
                    "inside the graded cell, and use np for NumPy.",
}

# (exception type, text in its message, hint key): the first match wins, so specific before general.
_ERROR_SYMPTOMS = (
    ("ValueError", "matmul", "weight_transposed"),
    ("ValueError", "not aligned", "weight_transposed"),
    ("ValueError", "could not be broadcast", "broadcast_mismatch"),
    ("ValueError", "need at least one array", "empty_stack"),
    ("IndexError", "with size 0", "empty_axis"),
    ("ZeroDivisionError", "", "zero_division"),
    ("KeyError", "", "key_missing"),
    ("NameError", "", "name_missing"),
    ("ValueError", "pass **loss_kwargs on", "loss_kwargs_dropped"),  # the grader's loss_and_grads, called without them
)


def hint_text(key: str) -> str:
    """The text of hint ``key`` (a key may carry a ``#n`` suffix: a second variant of the same mistake)."""
    return HINTS[key.split("#")[0]]


def hint_for_error_text(type_name: str, message: str) -> str | None:
    """A hint key for an exception given as its type's name and message (what the grader receives)."""
    for kind, needle, key in _ERROR_SYMPTOMS:
        if type_name == kind and needle in message:
            return key
    return None


def hint_for_error(exc: BaseException) -> str | None:
    """A hint key for an exception's symptom, or None."""
    return hint_for_error_text(type(exc).__name__, str(exc))
