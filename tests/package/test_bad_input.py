"""Does every kind of bad input get an error that says what was wrong and how to fix it?

Each test asserts the *message* (``match=``), since a learner reads the message, not the type:
it must name the argument, the expected shape (symbolic and numeric) and the shape given.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from lstm_course import (
    SGD,
    Adam,
    cell_state,
    clip_grad_norm,
    forget_gate,
    init_lstm_params,
    init_model,
    init_rnn_params,
    loss_and_grads,
    lstm_backward,
    lstm_backward_fast,
    lstm_cell_backward,
    lstm_cell_forward,
    lstm_forward,
    lstm_forward_fast,
    mse_loss,
    rnn_backward,
    rnn_forward,
    softmax_cross_entropy,
)

FORWARDS = {"teaching": lstm_forward, "fast": lstm_forward_fast}
T, N, D, H = 5, 2, 3, 4


@pytest.fixture
def p():
    return init_lstm_params(D, H)


@pytest.fixture
def x():
    return np.zeros((T, N, D))


def esc(s: str) -> str:
    return re.escape(s)


# --- shapes --------------------------------------------------------------------------------------


@pytest.mark.parametrize("forward", FORWARDS.values(), ids=FORWARDS.keys())
def test_x_with_wrong_number_of_dimensions(forward, p):
    with pytest.raises(ValueError, match=esc("x must have shape (T, N, D) = (?, ?, ?) (3 dimensions), but got shape (5, 2)")):
        forward(np.zeros((5, 2)), p)


@pytest.mark.parametrize("forward", FORWARDS.values(), ids=FORWARDS.keys())
def test_initial_state_with_wrong_batch_size(forward, p, x):
    """Mismatched batch sizes: the message says where N was learned."""
    with pytest.raises(ValueError, match=esc("h0 must have shape (N, H) = (2, 4), but got shape (3, 4): "
                                             "axis 0 should be N = 2 (N (batch size) is 2 from x)")):
        forward(x, p, h0=np.zeros((3, H)))
    with pytest.raises(ValueError, match=esc("c0 must have shape (N, H) = (2, 4), but got shape (2, 5)")):
        forward(x, p, c0=np.zeros((N, 5)))


def test_x_whose_input_size_disagrees_with_the_weights(p):
    """D from x (2) contradicts W_f's width (H+D = 7): both numbers and their sources are named."""
    with pytest.raises(ValueError, match=esc("params['W_f'] must have shape (H, H+D) = (4, 6), but got shape (4, 7)")
                       + ".*" + esc("D (input size) is 2 from x")):
        lstm_forward(np.zeros((T, N, 2)), p)


def test_cell_with_mismatched_batch_and_hidden_sizes(p, x):
    h, c = np.zeros((N, H)), np.zeros((N, H))
    with pytest.raises(ValueError, match=esc("h_prev must have shape (N, H) = (2, ?), but got shape (3, 4): axis 0 should be N = 2 "
                                             "(N (batch size) is 2 from x_t)")):
        lstm_cell_forward(x[0], np.zeros((3, H)), c, p)
    with pytest.raises(ValueError, match=esc("c_prev must have shape (N, H) = (2, 4), but got shape (2, 5): axis 1 should be H = 4 "
                                             "(H (hidden size) is 4 from h_prev)")):
        lstm_cell_forward(x[0], h, np.zeros((N, 5)), p)


def test_cell_backward_with_gradient_from_another_batch(p, x):
    h = np.zeros((N, H))
    _, _, cache = lstm_cell_forward(x[0], h, h, p)
    with pytest.raises(ValueError, match=esc("dh_t must have shape (N, H) = (2, 4), but got shape (3, 4)") + ".*cache"):
        lstm_cell_backward(np.zeros((3, H)), np.zeros((3, H)), cache)
    with pytest.raises(ValueError, match=esc("dc_t must have shape (N, H) = (2, 4), but got shape (2, 3)")):
        lstm_cell_backward(h, np.zeros((N, 3)), cache)


def test_transposed_gate_weight_is_named():
    h, x_t = np.zeros((N, H)), np.zeros((N, D))
    W = np.zeros((H, H + D))
    with pytest.raises(ValueError, match=esc("W_f must have shape (H, H+D) = (4, 7), but got shape (7, 4): axis 0 should be H = 4")):
        forget_gate(h, x_t, W.T, np.zeros(H))


def test_gate_arguments_of_different_shapes():
    a = np.zeros((N, H))
    with pytest.raises(ValueError, match=esc("c_tilde_t must have shape (N, H) = (2, 4), but got shape (2, 3)")):
        cell_state(a, a, a, np.zeros((N, 3)))


@pytest.mark.parametrize("key, bad, expect", [
    ("W_i", np.zeros((H, 5)), "params['W_i'] must have shape (H, H+D) = (4, 7), but got shape (4, 5)"),
    ("b_C", np.zeros(5), "params['b_C'] must have shape (H,) = (4,), but got shape (5,)"),
    ("b_o", np.zeros((1, H)), "params['b_o'] must have shape (H,) = (4,) (1 dimensions), but got shape (1, 4)"),
])
def test_parameter_with_wrong_shape(p, x, key, bad, expect):
    p[key] = bad
    with pytest.raises(ValueError, match=esc(expect)):
        lstm_forward(x, p)


@pytest.mark.parametrize("backward, forward, message", [
    (lstm_backward, lstm_forward, "cache must hold one entry per step: dh has T = 4 steps, cache has 5"),
    (lstm_backward_fast, lstm_forward_fast, "dh has shape (4, 2, 4) but the cache is for (T, N, H) = (5, 2, 4)"),
], ids=["teaching", "fast"])
def test_backward_with_wrong_number_of_steps(backward, forward, message, p, x):
    _, _, cache = forward(x, p)
    with pytest.raises(ValueError, match=esc(message)):
        backward(np.zeros((4, N, H)), cache)
    with pytest.raises(ValueError, match=esc("dc_T must have shape (N, H) = (2, 4), but got shape (2, 3)")):
        backward(np.zeros((T, N, H)), cache, dc_T=np.zeros((N, 3)))


def test_rnn_shapes_and_cache_mismatch():
    params = init_rnn_params(D, H)
    with pytest.raises(ValueError, match=esc("h0 must have shape (N, H) = (2, 4), but got shape (2, 3)")):
        rnn_forward(np.zeros((T, N, D)), params, np.zeros((N, 3)))
    _, _, cache = rnn_forward(np.zeros((T, N, D)), params)
    with pytest.raises(ValueError, match=esc("dh has shape (5, 3, 4) but the cache is for (T, N, H) = (5, 2, 4)")):
        rnn_backward(np.zeros((T, 3, H)), cache)


# --- dtypes, non-arrays, non-finite values ------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_, np.float16, np.complex128])
def test_non_float_dtype_is_a_type_error(p, dtype):
    with pytest.raises(TypeError, match=esc(f"x must have dtype float32 or float64, but got {np.dtype(dtype)}; "
                                            "convert it with x.astype(np.float64)")):
        lstm_forward(np.zeros((T, N, D), dtype), p)


def test_non_float_parameter_is_named(p, x):
    p["b_f"] = p["b_f"].astype(np.float16)
    with pytest.raises(TypeError, match=esc("params['b_f'] must have dtype float32 or float64, but got float16")):
        lstm_forward(x, p)


@pytest.mark.parametrize("bad", [[[[0.0] * D] * N] * T, 3.0, None, "x"], ids=["list", "float", "None", "str"])
def test_non_array_input_is_a_type_error(p, bad):
    with pytest.raises(TypeError, match=esc("x must be a NumPy array of float32 or float64, but got ")
                       + ".*" + esc("np.asarray(x, dtype=np.float64)")):
        lstm_forward(bad, p)


def test_non_array_state_in_the_cell(p, x):
    with pytest.raises(TypeError, match="h_prev must be a NumPy array of float32 or float64, but got list"):
        lstm_cell_forward(x[0], [[0.0] * H] * N, np.zeros((N, H)), p)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("forward", FORWARDS.values(), ids=FORWARDS.keys())
def test_nan_or_inf_is_a_value_error(forward, p, x, value):
    x[1, 0, 2] = value
    with pytest.raises(ValueError, match=esc(f"x contains NaN or inf (first at index (1, 0, 2), value {value})")
                       + ".*must be finite"):
        forward(x, p)


def test_nan_in_a_parameter_is_named(p, x):
    p["W_o"][0, 0] = np.nan
    with pytest.raises(ValueError, match=esc("params['W_o'] contains NaN or inf (first at index (0, 0)")):
        lstm_forward(x, p)


# --- parameter dicts -------------------------------------------------------------------------------


@pytest.mark.parametrize("old, new", [("W_C", "W_g"), ("b_C", "b_g"), ("W_C", "W_c"), ("W_f", "W_F")])
def test_alias_key_gets_a_hint(p, x, old, new):
    p[new] = p.pop(old)
    with pytest.raises(ValueError, match=esc(f"missing ['{old}']; unexpected ['{new}'] (did you mean '{new}' -> '{old}'?)")):
        lstm_forward(x, p)


def test_missing_and_unexpected_keys(p, x):
    del p["b_o"]
    with pytest.raises(ValueError, match=esc("params must have exactly the keys ['W_f', 'b_f', 'W_i', 'b_i', 'W_C', 'b_C', "
                                             "'W_o', 'b_o']; missing ['b_o']")):
        lstm_forward(x, p)
    p["b_o"], p["gamma"] = np.zeros(H), np.zeros(H)
    with pytest.raises(ValueError, match=esc("unexpected ['gamma']")):
        lstm_forward(x, p)


def test_params_not_a_dict(x):
    with pytest.raises(TypeError, match=esc("params must be a dict with keys ['W_f'") + ".*but got list"):
        lstm_forward(x, [np.zeros((H, H + D))] * 8)


def test_rnn_alias_key(x):
    params = init_rnn_params(D, H)
    params["W_h"] = params.pop("W")
    with pytest.raises(ValueError, match=esc("(did you mean 'W_h' -> 'W'?)")):
        rnn_forward(x, params)


@pytest.mark.parametrize("D_, H_, name", [(0, 3, "input_size"), (3, -1, "hidden_size"), (3, 2.5, "hidden_size"), (True, 3, "input_size")])
def test_init_with_bad_sizes(D_, H_, name):
    with pytest.raises(ValueError, match=f"{name} must be a positive integer, got "):
        init_lstm_params(D_, H_)


def test_model_params_missing_readout(x):
    with pytest.raises(ValueError, match=esc("model params are missing ['W_y', 'b_y']; build them with init_model(D, H, O)")):
        loss_and_grads(init_lstm_params(D, H), x, np.zeros((T, N, 1)))


# --- training utilities -------------------------------------------------------------------------


@pytest.mark.parametrize("max_norm", [0, -1.0, float("nan"), "1", None, True])
def test_clip_grad_norm_rejects_bad_max_norm(max_norm):
    with pytest.raises(ValueError, match=esc(f"max_norm must be a positive number (the largest allowed global gradient norm, "
                                             f"e.g. 1.0), got {max_norm!r}")):
        clip_grad_norm({"W": np.ones(3)}, max_norm)


@pytest.mark.parametrize("max_norm", [np.float32(0.5), np.float64(0.5), 1, float("inf")])
def test_clip_grad_norm_accepts_any_positive_real(max_norm):
    clipped, norm = clip_grad_norm({"W": np.ones(4)}, max_norm)
    assert norm == 2.0
    np.testing.assert_allclose(np.linalg.norm(clipped["W"]), min(2.0, float(max_norm)), rtol=1e-6)


def test_bad_loss_and_readout_names(x):
    params = init_model(D, H, 2)
    y = np.zeros((T, N, 2))
    with pytest.raises(ValueError, match=esc("loss must be 'mse' or 'xent', got 'mae'")):
        loss_and_grads(params, x, y, loss="mae")
    with pytest.raises(ValueError, match=esc("readout must be 'all' or 'last', got 'first'")):
        loss_and_grads(params, x, y, readout="first")


def test_mse_with_mismatched_shapes():
    with pytest.raises(ValueError, match=esc("pred and target must have the same shape, got pred (3,) and target (4,)")):
        mse_loss(np.zeros(3), np.zeros(4))
    with pytest.raises(TypeError, match="target must be a NumPy array"):
        mse_loss(np.zeros(3), [0.0, 0.0, 0.0])


def test_cross_entropy_with_wrong_targets():
    logits = np.zeros((T, N, 3))
    with pytest.raises(TypeError, match=esc("targets must be integer class indices, got dtype float64")):
        softmax_cross_entropy(logits, np.zeros((T, N)))
    with pytest.raises(ValueError, match=esc("targets must have shape (5, 2) (logits without the class axis), got (5, 2, 3)")):
        softmax_cross_entropy(logits, np.zeros((T, N, 3), int))  # one-hot instead of class indices
    with pytest.raises(ValueError, match=esc("targets must lie in [0, 3), got values from 0 to 3")):
        softmax_cross_entropy(logits, np.array([[0, 3]] * T))
    with pytest.raises(ValueError, match=esc("targets must lie in [0, 3), got values from -1 to 0")):
        softmax_cross_entropy(logits, np.array([[-1, 0]] * T))


def test_model_with_wrong_targets_for_cross_entropy(x):
    params = init_model(D, H, 3)
    with pytest.raises(TypeError, match="targets must be integer class indices"):
        loss_and_grads(params, x, np.zeros((T, N, 3)), loss="xent")
    with pytest.raises(ValueError, match=esc("targets must have shape (2,) (logits without the class axis), got (5, 2)")):
        loss_and_grads(params, x, np.zeros((T, N), int), loss="xent", readout="last")


def test_optimizers_reject_bad_hyperparameters():
    with pytest.raises(ValueError, match=esc("need lr > 0 and 0 <= momentum < 1, got lr=-1, momentum=0.0")):
        SGD(lr=-1)
    with pytest.raises(ValueError, match=esc("got lr=0.1, momentum=1")):
        SGD(momentum=1)
    with pytest.raises(ValueError, match=esc("lr must be positive, got 0")):
        Adam(lr=0)
