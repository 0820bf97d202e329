"""The LSTM's gates, one function each, in the order the article introduces them.

Shapes (batched; a single example is N = 1):

    x_t      (N, D)   input at step t
    h_prev   (N, H)   h_{t-1}, the hidden state ("short-term messenger")
    c_prev   (N, H)   C_{t-1}, the cell state ("long-term memory")
    W_*      (H, H+D) gate weights, reading [h_{t-1}, x_t]
    b_*      (H,)     gate biases

``W·[h_{t-1}, x_t]`` is written ``concat(h_prev, x_t) @ W.T``: each row of the batch is one
column vector of the article, transposed.
"""
from __future__ import annotations

import numpy as np

from .activations import sigmoid, tanh
from .validation import Shapes


def concat_hx(h_prev: np.ndarray, x_t: np.ndarray) -> np.ndarray:
    """``[h_{t-1}, x_t]``: hidden state first, then input, along the feature axis. (N, H+D)."""
    return np.concatenate([h_prev, x_t], axis=-1)


def _check_gate(h_prev, x_t, W, b, w: str, b_name: str) -> None:
    s = Shapes()
    s("x_t", x_t, ("N", "D"))
    s("h_prev", h_prev, ("N", "H"))
    s(w, W, ("H", "H+D"))
    s(b_name, b, ("H",))


def forget_gate(h_prev: np.ndarray, x_t: np.ndarray, W_f: np.ndarray, b_f: np.ndarray) -> np.ndarray:
    """Forget gate: f_t = σ(W_f·[h_{t-1}, x_t] + b_f).

    Each entry of f_t in (0, 1) says how much of the matching entry of C_{t-1} to keep:
    near 1 keeps the memory, near 0 erases it.

    Args:
        h_prev: (N, H) previous hidden state h_{t-1}.
        x_t: (N, D) current input.
        W_f: (H, H+D) forget-gate weights.
        b_f: (H,) forget-gate bias.
    Returns:
        f_t: (N, H), values in (0, 1).
    """
    _check_gate(h_prev, x_t, W_f, b_f, "W_f", "b_f")
    ### BEGIN SOLUTION
    z_f = concat_hx(h_prev, x_t) @ W_f.T + b_f  # (N, H)
    return sigmoid(z_f)
    ### END SOLUTION


def input_gate(h_prev: np.ndarray, x_t: np.ndarray, W_i: np.ndarray, b_i: np.ndarray) -> np.ndarray:
    """Input gate: i_t = σ(W_i·[h_{t-1}, x_t] + b_i).

    Each entry in (0, 1) says how much of the candidate memory C̃_t to write into C_t.

    Args:
        h_prev: (N, H) previous hidden state h_{t-1}.
        x_t: (N, D) current input.
        W_i: (H, H+D) input-gate weights.
        b_i: (H,) input-gate bias.
    Returns:
        i_t: (N, H), values in (0, 1).
    """
    _check_gate(h_prev, x_t, W_i, b_i, "W_i", "b_i")
    ### BEGIN SOLUTION
    z_i = concat_hx(h_prev, x_t) @ W_i.T + b_i  # (N, H)
    return sigmoid(z_i)
    ### END SOLUTION


def candidate_memory(h_prev: np.ndarray, x_t: np.ndarray, W_C: np.ndarray, b_C: np.ndarray) -> np.ndarray:
    """Candidate memory: C̃_t = tanh(W_C·[h_{t-1}, x_t] + b_C).

    The new content proposed for the cell state, in (-1, 1): tanh, not σ, because memory
    must be able to move *down* as well as up. (PyTorch calls this gate g_t.)

    Args:
        h_prev: (N, H) previous hidden state h_{t-1}.
        x_t: (N, D) current input.
        W_C: (H, H+D) candidate weights.
        b_C: (H,) candidate bias.
    Returns:
        c_tilde_t: (N, H), values in (-1, 1).
    """
    _check_gate(h_prev, x_t, W_C, b_C, "W_C", "b_C")
    ### BEGIN SOLUTION
    z_C = concat_hx(h_prev, x_t) @ W_C.T + b_C  # (N, H)
    return tanh(z_C)
    ### END SOLUTION


def cell_state(f_t: np.ndarray, c_prev: np.ndarray, i_t: np.ndarray, c_tilde_t: np.ndarray) -> np.ndarray:
    """Cell-state update: C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t.

    Forget part of the old memory, then add the gated candidate. The update is *additive*:
    this is the path along which gradients travel far back in time.

    Args:
        f_t: (N, H) forget gate.
        c_prev: (N, H) previous cell state C_{t-1}.
        i_t: (N, H) input gate.
        c_tilde_t: (N, H) candidate memory C̃_t.
    Returns:
        c_t: (N, H) new cell state C_t.
    """
    s = Shapes()
    for name, a in (("f_t", f_t), ("c_prev", c_prev), ("i_t", i_t), ("c_tilde_t", c_tilde_t)):
        s(name, a, ("N", "H"))
    ### BEGIN SOLUTION
    return f_t * c_prev + i_t * c_tilde_t
    ### END SOLUTION


def output_gate(h_prev: np.ndarray, x_t: np.ndarray, W_o: np.ndarray, b_o: np.ndarray) -> np.ndarray:
    """Output gate: o_t = σ(W_o·[h_{t-1}, x_t] + b_o).

    Each entry in (0, 1) says how much of the (squashed) memory to reveal as h_t.

    Args:
        h_prev: (N, H) previous hidden state h_{t-1}.
        x_t: (N, D) current input.
        W_o: (H, H+D) output-gate weights.
        b_o: (H,) output-gate bias.
    Returns:
        o_t: (N, H), values in (0, 1).
    """
    _check_gate(h_prev, x_t, W_o, b_o, "W_o", "b_o")
    ### BEGIN SOLUTION
    z_o = concat_hx(h_prev, x_t) @ W_o.T + b_o  # (N, H)
    return sigmoid(z_o)
    ### END SOLUTION


def hidden_state(o_t: np.ndarray, c_t: np.ndarray) -> np.ndarray:
    """Hidden state: h_t = o_t ⊙ tanh(C_t).

    tanh brings the unbounded memory C_t back into (-1, 1); o_t picks what to show.
    h_t is the cell's output and the next step's "short-term messenger".

    Args:
        o_t: (N, H) output gate.
        c_t: (N, H) cell state C_t.
    Returns:
        h_t: (N, H), values in (-1, 1).
    """
    s = Shapes()
    s("o_t", o_t, ("N", "H"))
    s("c_t", c_t, ("N", "H"))
    ### BEGIN SOLUTION
    return o_t * tanh(c_t)
    ### END SOLUTION
