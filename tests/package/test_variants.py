"""lstm_course.variants: each cell computes its paper's equations, and batched seeds never mix."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import lstm_course as L
from lstm_course.experiments.variants import train_variant
from lstm_course.variants import VARIANTS, LSTMVariant, build_model, count_params, make_layer, to_article_params

T, N, D, H = 6, 3, 4, 5


def _x(dtype=torch.float64, seed=0):
    return torch.from_numpy(np.random.default_rng(seed).standard_normal((T, N, D))).to(dtype)


def _gate_rows(layer, q):
    j = layer.gates.index(q)
    return slice(j * H, (j + 1) * H)


def test_does_the_lstm_variant_match_the_package_lstm_in_float64():
    layer = LSTMVariant("lstm", D, H, seeds=(3,)).double()
    x = _x()
    h, (h_T, c_T) = layer(x)
    h_ref, (h_T_ref, c_T_ref), _ = L.lstm_forward(x.numpy(), to_article_params(layer))
    np.testing.assert_allclose(h[0].detach().numpy(), h_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(c_T[0].detach().numpy(), c_T_ref, rtol=0, atol=1e-12)


def test_does_the_lstm_variant_match_torch_nn_lstm():
    layer = LSTMVariant("lstm", D, H, seeds=(1,)).double()
    ref = torch.nn.LSTM(D, H).double()
    p = to_article_params(layer)
    # PyTorch stacks (i, f, g, o) and reads x and h with separate matrices
    with torch.no_grad():
        ref.weight_hh_l0.copy_(torch.from_numpy(np.concatenate([p[f"W_{q}"][:, :H] for q in "ifCo"])))
        ref.weight_ih_l0.copy_(torch.from_numpy(np.concatenate([p[f"W_{q}"][:, H:] for q in "ifCo"])))
        ref.bias_ih_l0.copy_(torch.from_numpy(np.concatenate([p[f"b_{q}"] for q in "ifCo"])))
        ref.bias_hh_l0.zero_()
    x = _x()
    out, (h_n, c_n) = ref(x)
    h, (_, c_T) = layer(x)
    torch.testing.assert_close(h[0], out, rtol=0, atol=1e-12)
    torch.testing.assert_close(c_T[0], c_n[0], rtol=0, atol=1e-12)


def _copy_shared(src: LSTMVariant, dst: LSTMVariant, gates: str) -> None:
    with torch.no_grad():
        for q in gates:
            dst.W[:, _gate_rows(dst, q)] = src.W[:, _gate_rows(src, q)]
            dst.b[:, _gate_rows(dst, q)] = src.b[:, _gate_rows(src, q)]


def test_is_the_no_forget_gate_cell_an_lstm_with_f_fixed_at_1():
    nfg = LSTMVariant("nfg", D, H, seeds=(0,)).double()
    lstm = LSTMVariant("lstm", D, H, seeds=(0,)).double()
    _copy_shared(nfg, lstm, "ioC")
    with torch.no_grad():
        lstm.W[:, _gate_rows(lstm, "f")] = 0.0
        lstm.b[:, _gate_rows(lstm, "f")] = 60.0  # σ(60) == 1 in float64
    x = _x()
    torch.testing.assert_close(nfg(x)[0], lstm(x)[0], rtol=0, atol=1e-12)


def test_is_cifg_an_lstm_whose_input_gate_is_one_minus_the_forget_gate():
    cifg = LSTMVariant("cifg", D, H, seeds=(0,)).double()
    lstm = LSTMVariant("lstm", D, H, seeds=(0,)).double()
    _copy_shared(cifg, lstm, "foC")
    with torch.no_grad():  # σ(-z) = 1 - σ(z)
        lstm.W[:, _gate_rows(lstm, "i")] = -cifg.W[:, _gate_rows(cifg, "f")]
        lstm.b[:, _gate_rows(lstm, "i")] = -cifg.b[:, _gate_rows(cifg, "f")]
    x = _x()
    torch.testing.assert_close(cifg(x)[0], lstm(x)[0], rtol=0, atol=1e-12)


def test_is_a_peephole_lstm_with_zero_peepholes_the_standard_lstm_and_do_peepholes_matter():
    peep = LSTMVariant("peephole", D, H, seeds=(0,)).double()
    lstm = LSTMVariant("lstm", D, H, seeds=(0,)).double()
    _copy_shared(peep, lstm, "fioC")
    x = _x()
    assert (peep(x)[0] - lstm(x)[0]).abs().max() > 1e-3  # random peepholes change the output
    with torch.no_grad():
        peep.p.zero_()
    torch.testing.assert_close(peep(x)[0], lstm(x)[0], rtol=0, atol=1e-12)


def test_does_the_peephole_output_gate_read_the_new_cell_state():
    peep = LSTMVariant("peephole", D, H, seeds=(0,)).double()
    with torch.no_grad():
        peep.p[:, :2] = 0.0  # only p_o left
    x = _x()[:1]
    h, (_, c) = peep(x)
    z = x[0] @ peep.W[0, :, H:].T + peep.b[0]
    o = torch.sigmoid(z[:, _gate_rows(peep, "o")] + peep.p[0, 2] * c[0])
    torch.testing.assert_close(h[0, 0], o * torch.tanh(c[0]), rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", VARIANTS)
def test_is_each_member_of_a_batched_model_the_single_seed_model(kind):
    many = build_model(kind, D, H, 2, seeds=(4, 7, 9), readout="all")
    one = build_model(kind, D, H, 2, seeds=(7,), readout="all")
    x = _x(torch.float32)
    torch.testing.assert_close(many(x)[1], one(x)[0], rtol=1e-5, atol=1e-6)
    assert many(x).shape == (3, T, N, 2)
    assert build_model(kind, D, H, 2, seeds=(0, 1))(x).shape == (2, N, 2)  # readout "last"
    assert count_params(many) == count_params(one)


def test_does_per_member_clipping_match_clipping_each_member_alone():
    many = build_model("peephole", D, H, 1, seeds=(0, 1), readout="all")
    x, y = _x(torch.float32), torch.ones(T, N, 1)
    loss = ((many(x) - y) ** 2).mean(dim=(1, 2, 3))
    (loss * torch.tensor([1.0, 100.0])).sum().backward()  # member 1's gradient is huge
    norms = many.clip_grad_norm_(1.0)
    assert norms[1] > 1.0 and norms[0] > 0
    for s in range(2):
        sq = sum(float((p.grad[s] ** 2).sum()) for p in many.parameters())
        assert np.sqrt(sq) == pytest.approx(min(1.0, float(norms[s])), rel=1e-4)


def test_do_batched_seeds_train_exactly_like_separate_runs():
    together = train_variant("cifg", seeds=(0, 1), steps=4, T=8)
    alone = train_variant("cifg", seeds=(1,), steps=4, T=8)
    np.testing.assert_allclose(together[1].losses, alone[0].losses, rtol=1e-5)
    assert together[1].test_mse == pytest.approx(alone[0].test_mse, rel=1e-5)
    gru_together, gru_alone = train_variant("gru", seeds=(0, 1), steps=3, T=8), train_variant("gru", seeds=(1,), steps=3, T=8)
    np.testing.assert_allclose(gru_together[1].losses, gru_alone[0].losses, rtol=1e-5)


def test_do_bad_arguments_get_clear_errors():
    with pytest.raises(ValueError, match="unknown variant 'lstmm'.*'peephole'"):
        make_layer("lstmm", D, H)
    with pytest.raises(ValueError, match=r"x must have shape \(T, N, D=4\)"):
        make_layer("lstm", D, H)(torch.zeros(T, N, 3))
    with pytest.raises(ValueError, match=r"x must have shape \(T, N, D=4\)"):
        make_layer("gru", D, H)(torch.zeros(N, D))
    with pytest.raises(ValueError, match="seeds must be"):
        make_layer("cifg", D, H, seeds=())
    with pytest.raises(ValueError, match="readout must be"):
        build_model("lstm", D, H, 1, readout="first")
    with pytest.raises(ValueError, match="kind 'lstm'"):
        to_article_params(make_layer("gru", D, H))
