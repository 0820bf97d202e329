"""One LSTM step, forward and backward (the article's whole cell, gate by gate).

Equations (the article's notation; PyTorch's g_t is the article's C̃_t)::

    f_t  = σ(W_f·[h_{t-1}, x_t] + b_f)          forget gate
    i_t  = σ(W_i·[h_{t-1}, x_t] + b_i)          input gate
    C̃_t = tanh(W_C·[h_{t-1}, x_t] + b_C)       candidate memory
    C_t  = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t            cell state ("long-term memory")
    o_t  = σ(W_o·[h_{t-1}, x_t] + b_o)          output gate
    h_t  = o_t ⊙ tanh(C_t)                       hidden state ("short-term messenger")

Shapes: x_t (N, D); h_prev, c_prev, h_t, c_t and every gate (N, H); W_* (H, H+D); b_* (H,).

The forward pass returns a ``cache``: a flat dict of the arrays the backward pass needs
(inputs, gate *outputs*, weights). Derivatives of σ and tanh are taken from those outputs.
"""
from __future__ import annotations

import numpy as np

from .activations import sigmoid_grad_from_output, tanh, tanh_grad_from_output
from .gates import candidate_memory, cell_state, concat_hx, forget_gate, hidden_state, input_gate, output_gate
from .params import GATES, check_lstm_params
from .validation import Shapes


def _check_cell_inputs(x_t, h_prev, c_prev, params) -> Shapes:
    s = Shapes()
    s("x_t", x_t, ("N", "D"))
    s("h_prev", h_prev, ("N", "H"))
    s("c_prev", c_prev, ("N", "H"))
    return check_lstm_params(params, s)


def lstm_cell_forward(
    x_t: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray, params: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """One LSTM step: (x_t, h_{t-1}, C_{t-1}) -> (h_t, C_t).

    Args:
        x_t: (N, D) input.
        h_prev: (N, H) previous hidden state h_{t-1}.
        c_prev: (N, H) previous cell state C_{t-1}.
        params: dict with W_f, W_i, W_C, W_o (H, H+D) and b_f, b_i, b_C, b_o (H,).
    Returns:
        h_t: (N, H) new hidden state.
        c_t: (N, H) new cell state.
        cache: dict of arrays for :func:`lstm_cell_backward`: ``x_t``, ``h_prev``, ``c_prev``,
            ``f_t``, ``i_t``, ``c_tilde_t``, ``c_t``, ``o_t``, ``tanh_c_t`` and the four ``W_*``.
    """
    _check_cell_inputs(x_t, h_prev, c_prev, params)
    ### BEGIN SOLUTION
    f_t = forget_gate(h_prev, x_t, params["W_f"], params["b_f"])
    i_t = input_gate(h_prev, x_t, params["W_i"], params["b_i"])
    c_tilde_t = candidate_memory(h_prev, x_t, params["W_C"], params["b_C"])
    c_t = cell_state(f_t, c_prev, i_t, c_tilde_t)
    o_t = output_gate(h_prev, x_t, params["W_o"], params["b_o"])
    h_t = hidden_state(o_t, c_t)
    cache = {
        "x_t": x_t, "h_prev": h_prev, "c_prev": c_prev,
        "f_t": f_t, "i_t": i_t, "c_tilde_t": c_tilde_t, "c_t": c_t, "o_t": o_t,
        "tanh_c_t": tanh(c_t),
        "W_f": params["W_f"], "W_i": params["W_i"], "W_C": params["W_C"], "W_o": params["W_o"],
    }
    return h_t, c_t, cache
    ### END SOLUTION


def lstm_cell_backward(
    dh_t: np.ndarray, dc_t: np.ndarray, cache: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Backward pass of one LSTM step.

    Given the gradients of the loss with respect to the step's outputs, return those with
    respect to its inputs, in the forward's argument order. The chain rule, gate by gate::

        dC_t    += dh_t ⊙ o_t ⊙ (1 - tanh²(C_t))      (C_t reaches the loss through h_t too)
        do_t     = dh_t ⊙ tanh(C_t)
        df_t     = dC_t ⊙ C_{t-1}      di_t = dC_t ⊙ C̃_t      dC̃_t = dC_t ⊙ i_t
        dC_{t-1} = dC_t ⊙ f_t                                  (the additive path)
        dz_* = d*_t ⊙ σ'  (tanh' for C̃)     dW_* = dz_*ᵀ·[h_{t-1}, x_t]     db_* = Σ_N dz_*
        d[h_{t-1}, x_t] = Σ_* dz_*·W_*

    Args:
        dh_t: (N, H) gradient with respect to h_t.
        dc_t: (N, H) gradient with respect to C_t from later steps (zeros at the last step).
        cache: from :func:`lstm_cell_forward`.
    Returns:
        dx_t: (N, D), dh_prev: (N, H), dc_prev: (N, H),
        grads: dict with dW_f... as ``W_f``, ``b_f``, ... (same keys and shapes as params).
    """
    s = Shapes()
    # Bind N and H from the forward step, so a dh_t from another batch is named, not broadcast.
    if isinstance(cache, dict) and "h_prev" in cache:
        s("cache['h_prev']", cache["h_prev"], ("N", "H"))
    s("dh_t", dh_t, ("N", "H"))
    s("dc_t", dc_t, ("N", "H"))
    ### BEGIN SOLUTION
    H = dh_t.shape[1]
    f_t, i_t, c_tilde_t, o_t = cache["f_t"], cache["i_t"], cache["c_tilde_t"], cache["o_t"]
    tanh_c_t = cache["tanh_c_t"]

    dc = dc_t + dh_t * o_t * tanh_grad_from_output(tanh_c_t)
    dz = {
        "f": dc * cache["c_prev"] * sigmoid_grad_from_output(f_t),
        "i": dc * c_tilde_t * sigmoid_grad_from_output(i_t),
        "C": dc * i_t * tanh_grad_from_output(c_tilde_t),
        "o": dh_t * tanh_c_t * sigmoid_grad_from_output(o_t),
    }
    dc_prev = dc * f_t

    hx = concat_hx(cache["h_prev"], cache["x_t"])  # (N, H+D)
    grads = {}
    dhx = np.zeros_like(hx)
    for g in GATES:
        grads[f"W_{g}"] = dz[g].T @ hx  # (H, H+D)
        grads[f"b_{g}"] = dz[g].sum(axis=0)  # (H,): the bias is shared by every row of the batch
        dhx += dz[g] @ cache[f"W_{g}"]  # (N, H+D)
    dh_prev, dx_t = dhx[:, :H], dhx[:, H:]
    return dx_t, dh_prev, dc_prev, {k: grads[k] for k in ("W_f", "b_f", "W_i", "b_i", "W_C", "b_C", "W_o", "b_o")}
    ### END SOLUTION
