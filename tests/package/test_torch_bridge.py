"""Does the bridge map PyTorch's (i, f, g, o) layout to the article's W_f, b_f, ... and back, losslessly?

PyTorch stacks gates as (i, f, g, o), splits each gate's weight into ``weight_ih`` (4H, D) and
``weight_hh`` (4H, H) and has two biases; the article has one (H, H+D) matrix per gate reading
``[h_{t-1}, x_t]`` and one bias. The tests check the mapping entry by entry, then check that
modules built either way compute the same function as our ``lstm_forward``.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lstm_course import LSTM_KEYS, init_lstm_params, lstm_cell_forward, lstm_forward, torch_bridge
from lstm_course.torch_bridge import from_torch, params_from_torch_weights, to_torch

# Forward outputs only, float64: see test_torch_equivalence.py for the choice of tolerances.
CLOSE = dict(rtol=1e-10, atol=1e-13)


def _lstm(D, H, num_layers=1, seed=0, **kw):
    torch.manual_seed(seed)
    return torch.nn.LSTM(D, H, num_layers=num_layers, dtype=torch.float64, **kw)


def test_layout_entry_by_entry():
    """Is W_q = [W_hq | W_iq] with PyTorch's gate order (i, f, g→C, o), and b_q = b_iq + b_hq?"""
    D, H = 3, 2
    m = _lstm(D, H)
    (p,) = from_torch(m)
    w_ih, w_hh = m.weight_ih_l0.detach().numpy(), m.weight_hh_l0.detach().numpy()
    b = (m.bias_ih_l0 + m.bias_hh_l0).detach().numpy()
    for k, q in enumerate(("i", "f", "C", "o")):
        rows = slice(k * H, (k + 1) * H)
        assert p[f"W_{q}"].shape == (H, H + D)
        np.testing.assert_array_equal(p[f"W_{q}"][:, :H], w_hh[rows])  # hidden columns first
        np.testing.assert_array_equal(p[f"W_{q}"][:, H:], w_ih[rows])
        np.testing.assert_array_equal(p[f"b_{q}"], b[rows])
    assert list(p) == list(LSTM_KEYS)
    assert all(a.dtype == np.float64 for a in p.values())


@pytest.mark.parametrize("num_layers", [1, 3])
def test_lstm_round_trip_and_stacked_forward(num_layers):
    """Does from_torch(nn.LSTM) reproduce the module's output, layer k's h feeding layer k+1?"""
    T, N, D, H = 5, 2, 3, 4
    m = _lstm(D, H, num_layers=num_layers, seed=num_layers)
    layers = from_torch(m)
    assert isinstance(layers, list) and len(layers) == num_layers
    assert layers[0]["W_f"].shape == (H, H + D)
    for p in layers[1:]:
        assert p["W_f"].shape == (H, 2 * H), "layer k > 0 reads the previous layer's h: D = H"

    r = np.random.default_rng(num_layers)
    x = r.normal(size=(T, N, D))
    h0, c0 = r.normal(size=(num_layers, N, H)), r.normal(size=(num_layers, N, H))
    out, (hn, cn) = m(torch.tensor(x), (torch.tensor(h0), torch.tensor(c0)))

    inp = x
    for k, p in enumerate(layers):
        inp, (h_T, c_T), _ = lstm_forward(inp, p, h0[k], c0[k])
        np.testing.assert_allclose(h_T, hn[k].detach().numpy(), err_msg=f"h_T of layer {k}", **CLOSE)
        np.testing.assert_allclose(c_T, cn[k].detach().numpy(), err_msg=f"C_T of layer {k}", **CLOSE)
    np.testing.assert_allclose(inp, out.detach().numpy(), **CLOSE)

    # ... and back: to_torch(from_torch(m)) computes the same function (biases re-split, sum kept).
    m2 = to_torch(layers)
    assert isinstance(m2, torch.nn.LSTM) and m2.num_layers == num_layers and m2.weight_ih_l0.dtype == torch.float64
    out2, _ = m2(torch.tensor(x), (torch.tensor(h0), torch.tensor(c0)))
    np.testing.assert_allclose(out2.detach().numpy(), out.detach().numpy(), **CLOSE)
    for p, p2 in zip(layers, from_torch(m2)):
        for k in LSTM_KEYS:
            np.testing.assert_array_equal(p2[k], p[k])


def test_lstmcell_round_trip():
    """Does from_torch(nn.LSTMCell) give one dict whose lstm_cell_forward equals the cell, and back?"""
    N, D, H = 3, 2, 5
    torch.manual_seed(1)
    cell = torch.nn.LSTMCell(D, H, dtype=torch.float64)
    p = from_torch(cell)
    assert isinstance(p, dict) and list(p) == list(LSTM_KEYS)
    r = np.random.default_rng(2)
    x, h, c = r.normal(size=(N, D)), r.normal(size=(N, H)), r.normal(size=(N, H))
    h_ref, c_ref = cell(torch.tensor(x), (torch.tensor(h), torch.tensor(c)))
    h_t, c_t, _ = lstm_cell_forward(x, h, c, p)
    np.testing.assert_allclose(h_t, h_ref.detach().numpy(), **CLOSE)
    np.testing.assert_allclose(c_t, c_ref.detach().numpy(), **CLOSE)

    back = from_torch(to_torch(p))
    for k in LSTM_KEYS:
        np.testing.assert_array_equal(back[k], p[k])


def test_to_torch_into_existing_module():
    """Does to_torch(params, module) overwrite that very module's weights, bias_hh zeroed?"""
    D, H = 2, 3
    p = init_lstm_params(D, H, seed=5)
    m = _lstm(D, H, seed=9)
    ret = to_torch([p], m)
    assert ret is m
    np.testing.assert_array_equal(m.bias_hh_l0.detach().numpy(), np.zeros(4 * H))
    (back,) = from_torch(m)
    for k in LSTM_KEYS:
        np.testing.assert_array_equal(back[k], p[k])

    cell = torch.nn.LSTMCell(D, H, dtype=torch.float64)
    assert to_torch(p, cell) is cell
    np.testing.assert_array_equal(from_torch(cell)["W_C"], p["W_C"])


def test_to_torch_float32_params_build_float32_module():
    """Do float32 params give a float32 module (no silent upcast)?"""
    p = init_lstm_params(2, 3, dtype=np.float32)
    assert to_torch(p).weight_ih.dtype == torch.float32
    assert to_torch([p]).weight_ih_l0.dtype == torch.float32
    assert from_torch(to_torch(p))["W_f"].dtype == np.float32


def test_bidirectional_is_refused():
    m = torch.nn.LSTM(2, 3, bidirectional=True, dtype=torch.float64)
    with pytest.raises(ValueError, match="bidirectional"):
        from_torch(m)
    with pytest.raises(ValueError, match="bidirectional"):
        to_torch([init_lstm_params(2, 3)] * 2, m)


def test_proj_size_is_refused():
    with pytest.raises(ValueError, match="proj_size"):
        from_torch(torch.nn.LSTM(2, 3, proj_size=2))


def test_wrong_layer_count_is_refused():
    m = _lstm(2, 3, num_layers=2)
    with pytest.raises(ValueError, match=r"num_layers = 2, but 1 parameter dicts"):
        to_torch([init_lstm_params(2, 3)], m)
    with pytest.raises(ValueError, match=r"LSTMCell has one layer, but 2 parameter dicts"):
        to_torch([init_lstm_params(2, 3)] * 2, torch.nn.LSTMCell(2, 3))


def test_size_mismatch_is_refused():
    with pytest.raises(ValueError, match=r"weight_ih_l0: module has shape \(12, 2\), params give \(12, 5\)"):
        to_torch([init_lstm_params(5, 3)], _lstm(2, 3))


def test_module_without_bias_is_refused_by_to_torch_and_read_by_from_torch():
    """bias=False: to_torch must refuse (the article has biases); from_torch reads zero biases."""
    m = torch.nn.LSTM(2, 3, bias=False, dtype=torch.float64)
    with pytest.raises(ValueError, match="bias=False"):
        to_torch([init_lstm_params(2, 3)], m)
    (p,) = from_torch(m)
    np.testing.assert_array_equal(p["b_f"], np.zeros(3))


def test_not_an_lstm_is_refused():
    with pytest.raises(TypeError, match="torch.nn.LSTM or torch.nn.LSTMCell, got GRU"):
        from_torch(torch.nn.GRU(2, 3))
    with pytest.raises(TypeError, match="got Linear"):
        to_torch(init_lstm_params(2, 3), torch.nn.Linear(2, 3))


def test_to_torch_checks_params():
    """A params dict with a PyTorch-style key name gets the article's name suggested."""
    p = init_lstm_params(2, 3)
    p["W_g"] = p.pop("W_C")
    with pytest.raises(ValueError, match=r"'W_g' -> 'W_C'"):
        torch_bridge.to_torch(p)


def test_params_from_torch_weights_accepts_arrays_and_one_bias():
    """Plain arrays and a single bias work too (the gradient of either bias is dL/db)."""
    H, D = 2, 3
    r = np.random.default_rng(0)
    w_ih, w_hh, b = r.normal(size=(4 * H, D)), r.normal(size=(4 * H, H)), r.normal(size=4 * H)
    p = params_from_torch_weights(w_ih, w_hh, b, None)
    np.testing.assert_array_equal(p["b_o"], b[3 * H:])
    np.testing.assert_array_equal(p["W_i"], np.concatenate([w_hh[:H], w_ih[:H]], axis=1))
