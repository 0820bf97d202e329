"""Hints for typical mistakes, recognised from the symptom.

Two ways to recognise a mistake:

* by value: the check data ships, next to the expected outputs, what each typical mistake
  computes on the same inputs (``<case>/wrong/<hint>/...``, see :mod:`.checkdata`); a learner's
  output matching one of them gets that hint;
* by error: an exception whose message shows a known symptom (a matmul shape mismatch is
  almost always a transposed weight).

``HINTS`` maps a hint key to its text; ``hint_for_error(exc)`` returns a key or None.
The grader may reuse both.
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
}

_ERROR_SYMPTOMS = (
    ("matmul", "weight_transposed"),
    ("not aligned", "weight_transposed"),
    ("shapes (", "weight_transposed"),
)


def hint_for_error(exc: BaseException) -> str | None:
    """A hint key for an exception's symptom, or None."""
    msg = str(exc)
    if isinstance(exc, ValueError):
        for needle, key in _ERROR_SYMPTOMS:
            if needle in msg:
                return key
    return None
