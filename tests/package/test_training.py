"""Are losses, optimizers, clipping and the model's training loop the same as PyTorch's, and do they train?

Float64 throughout. Losses and optimizers are compared with ``torch.nn.functional`` /
``torch.optim`` on identical parameters and gradients; the optimizers to 1e-12 relative (the
issue's figure: the update formulas are the same up to the order of a few roundings).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lstm_course import (
    LSTM_KEYS,
    SGD,
    Adam,
    check_gradient,
    clip_grad_norm,
    fit,
    init_model,
    loss_and_grads,
    lstm_backward,
    lstm_forward,
    mse_loss,
    predict,
    softmax_cross_entropy,
    train_step,
)

# --- losses ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 5)])
def test_mse_matches_torch_and_finite_differences(shape, rng):
    pred, target = rng.normal(size=shape), rng.normal(size=shape)
    loss, dpred = mse_loss(pred, target)
    pt = torch.tensor(pred, requires_grad=True)
    ref = F.mse_loss(pt, torch.tensor(target))
    ref.backward()
    assert isinstance(loss, float)
    np.testing.assert_allclose(loss, ref.item(), rtol=1e-12)
    np.testing.assert_allclose(dpred, pt.grad.numpy(), rtol=1e-12, atol=1e-15)
    check_gradient(lambda: mse_loss(pred, target)[0], pred, dpred, name="pred", tol=1e-7)


@pytest.mark.parametrize("shape", [(4, 3), (3, 2, 5)])
def test_cross_entropy_matches_torch_and_finite_differences(shape, rng):
    """Same mean loss and dL/dlogits as F.cross_entropy on the flattened positions, even with huge logits."""
    logits = 3 * rng.normal(size=shape)
    logits.flat[0] = 800.0  # exp(800) overflows: the shift by max(z) must prevent it
    targets = rng.integers(0, shape[-1], size=shape[:-1])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # exp(-800) may underflow to 0: fine
        loss, dlogits = softmax_cross_entropy(logits, targets)
    lt = torch.tensor(logits, requires_grad=True)
    ref = F.cross_entropy(lt.reshape(-1, shape[-1]), torch.tensor(targets).reshape(-1))
    ref.backward()
    np.testing.assert_allclose(loss, ref.item(), rtol=1e-12)
    np.testing.assert_allclose(dlogits, lt.grad.numpy(), rtol=1e-10, atol=1e-15)
    moderate = 3 * rng.normal(size=shape)
    _, d = softmax_cross_entropy(moderate, targets)
    # tol 1e-5: relative_error is taken entrywise, and entries as small as 1e-5 meet a rounding
    # noise of ~eps64·|L|/ε ≈ 1e-10 in the difference quotient.
    check_gradient(lambda: softmax_cross_entropy(moderate, targets)[0], moderate, d, name="logits", tol=1e-5)


# --- optimizers and clipping ---------------------------------------------------------------------


def _grad_field(params: dict[str, np.ndarray], step: int) -> dict[str, np.ndarray]:
    """A deterministic gradient that depends on the current parameters (like a real loss's)."""
    return {k: np.sin(3 * v + step) + 0.1 * v**3 for k, v in params.items()}


@pytest.mark.parametrize("make_ours, make_torch", [
    (lambda: SGD(lr=0.1), lambda ps: torch.optim.SGD(ps, lr=0.1)),
    (lambda: SGD(lr=0.05, momentum=0.9), lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9)),
    (lambda: Adam(lr=0.01), lambda ps: torch.optim.Adam(ps, lr=0.01)),
    (lambda: Adam(lr=0.1, betas=(0.8, 0.99), eps=1e-6), lambda ps: torch.optim.Adam(ps, lr=0.1, betas=(0.8, 0.99), eps=1e-6)),
], ids=["sgd", "sgd-momentum", "adam", "adam-custom"])
def test_optimizer_matches_torch_optim(make_ours, make_torch, rng):
    """Six steps on the same parameters and gradients land on the same parameters, to 1e-12."""
    params = {"W": rng.normal(size=(3, 4)), "b": rng.normal(size=3)}
    tparams = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    ours, theirs = make_ours(), make_torch(list(tparams.values()))
    ids = {k: id(v) for k, v in params.items()}
    for step in range(6):
        ours.step(params, _grad_field(params, step))
        tgrads = _grad_field({k: v.detach().numpy() for k, v in tparams.items()}, step)
        for k, v in tparams.items():
            v.grad = torch.tensor(tgrads[k])
        theirs.step()
        for k in params:
            np.testing.assert_allclose(params[k], tparams[k].detach().numpy(), rtol=1e-12, atol=1e-14,
                                       err_msg=f"{k} after step {step + 1}")
    assert {k: id(v) for k, v in params.items()} == ids, "step must update the arrays in place"


@pytest.mark.parametrize("max_norm", [0.5, 3.0, 100.0])
def test_clip_grad_norm_matches_torch(max_norm, rng):
    """Same total norm (before clipping) and same clipped gradients as torch.nn.utils.clip_grad_norm_.

    torch divides by (‖g‖ + 1e-6), we by (‖g‖ + 1e-12), so clipped values differ by a relative
    1e-6/‖g‖ (≈ 1e-7 here): that, not rounding, sets rtol. Against the exact definition
    (clipped norm = max_norm) we hold 1e-12.
    """
    grads = {"W": 2 * rng.normal(size=(4, 5)), "b": rng.normal(size=4)}
    before = {k: v.copy() for k, v in grads.items()}
    clipped, norm = clip_grad_norm(grads, max_norm)
    ts = [torch.zeros(v.shape, dtype=torch.float64, requires_grad=True) for v in grads.values()]
    for t, v in zip(ts, grads.values()):
        t.grad = torch.tensor(v.copy())
    tnorm = torch.nn.utils.clip_grad_norm_(ts, max_norm)
    np.testing.assert_allclose(norm, tnorm.item(), rtol=1e-12)
    for t, k in zip(ts, grads):
        np.testing.assert_allclose(clipped[k], t.grad.numpy(), rtol=1.1e-6 / norm + 1e-12, atol=0)
        np.testing.assert_array_equal(grads[k], before[k])  # inputs untouched
    new_norm = np.sqrt(sum(np.sum(v**2) for v in clipped.values()))
    np.testing.assert_allclose(new_norm, min(norm, max_norm), rtol=1e-11)
    if norm <= max_norm:
        for k in grads:
            np.testing.assert_array_equal(clipped[k], grads[k])


# --- the model ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("readout", ["all", "last"])
@pytest.mark.parametrize("loss", ["mse", "xent"])
def test_model_loss_and_grads_gradient_check(loss, readout, rng):
    """Is every gradient of the LSTM + readout model right (finite differences), for each loss/readout?

    tol = 1e-5, not 1e-7: the loss is a mean, so some gradients are ~1e-4 while the difference
    quotient's rounding noise is ~eps64·|L|/ε ≈ 1e-10, i.e. ~1e-6 relative. A wrong term gives 1e-2 or more.
    """
    T, N, D, H, O = 3, 2, 2, 3, 3
    params = init_model(D, H, O, seed=4)
    params["b_y"] = rng.normal(size=O) * 0.1  # non-zero, so a dropped b_y term would show
    x = rng.normal(size=(T, N, D))
    out_shape = (T, N) if readout == "all" else (N,)
    y = rng.normal(size=out_shape + (O,)) if loss == "mse" else rng.integers(0, O, size=out_shape)
    value, grads = loss_and_grads(params, x, y, loss=loss, readout=readout)
    assert set(grads) == set(params)
    f = lambda: loss_and_grads(params, x, y, loss=loss, readout=readout)[0]  # noqa: E731
    for k in params:
        check_gradient(f, params[k], grads[k], name=k, tol=1e-5)
    # The teaching path gives the same gradients as the fast default.
    _, grads_teach = loss_and_grads(params, x, y, loss=loss, readout=readout, forward=lstm_forward, backward=lstm_backward)
    for k in params:
        np.testing.assert_allclose(grads_teach[k], grads[k], rtol=1e-10, atol=1e-13, err_msg=k)


def test_predict_shapes():
    params = init_model(2, 3, 4)
    x = np.zeros((5, 6, 2))
    assert predict(params, x).shape == (5, 6, 4)
    assert predict(params, x, readout="last").shape == (6, 4)


def test_train_step_clips_then_updates_in_place(rng):
    """train_step returns the loss *before* the update, clips to max_norm, and updates in place."""
    params = init_model(2, 3, 1, seed=1)
    x, y = rng.normal(size=(4, 2, 2)), 10 * rng.normal(size=(4, 2, 1))
    before = {k: v.copy() for k, v in params.items()}
    ids = {k: id(v) for k, v in params.items()}
    expected_loss, _ = loss_and_grads(params, x, y)
    lr, max_norm = 0.1, 1e-3
    got = train_step(params, x, y, SGD(lr=lr), max_norm=max_norm)
    assert got == expected_loss
    assert {k: id(v) for k, v in params.items()} == ids
    step = np.sqrt(sum(np.sum((params[k] - before[k]) ** 2) for k in params))
    np.testing.assert_allclose(step, lr * max_norm, rtol=1e-8)  # gradient norm here is >> 1e-3
    assert loss_and_grads(params, x, y)[0] < expected_loss


def test_fit_learns_a_tiny_task():
    """Can the model learn to output the running mean of its input? The loss must fall 5x."""
    T, N, D = 8, 16, 1
    r = np.random.default_rng(0)
    data = []
    for _ in range(4):
        x = r.normal(size=(T, N, D))
        y = np.cumsum(x, axis=0) / np.arange(1, T + 1)[:, None, None]
        data.append((x, y))
    params = init_model(D, 8, 1, seed=0)
    history = fit(params, lambda epoch: data, Adam(lr=0.02), epochs=40, verbose=False)
    assert len(history) == 40 and all(np.isfinite(history))
    assert history[-1] < history[0] / 5, f"loss went from {history[0]:.4f} to {history[-1]:.4f}"
    # Reproducible: the same seed gives the same history.
    params2 = init_model(D, 8, 1, seed=0)
    assert fit(params2, lambda epoch: data, Adam(lr=0.02), epochs=3, verbose=False) == history[:3]


def test_fit_prints_progress(capsys):
    params = init_model(1, 2, 1)
    data = [(np.zeros((2, 1, 1)), np.zeros((2, 1, 1)))]
    fit(params, lambda e: data, SGD(lr=0.1), epochs=4, log_every=2)
    out = capsys.readouterr().out
    assert "epoch    2/4  loss" in out and "epoch    4/4  loss" in out and "epoch    1/4" not in out
    assert set(LSTM_KEYS) < set(params)


@pytest.mark.parametrize("readout, y_shape", [("all", (5, 7, 1)), ("last", (7, 2))])
def test_do_shuffled_batches_cover_every_example_once_per_epoch_reproducibly(readout, y_shape):
    from lstm_course import shuffled_batches

    x = np.arange(5 * 7 * 1, dtype=np.float64).reshape(5, 7, 1)
    y = np.arange(np.prod(y_shape), dtype=np.float64).reshape(y_shape)
    batches = shuffled_batches(x, y, 3, readout=readout, seed=4)
    axis = 1 if readout == "all" else 0
    for epoch in (0, 1):
        seen = [(xb, yb) for xb, yb in batches(epoch)]
        assert [xb.shape[1] for xb, _ in seen] == [3, 3, 1]
        cols = np.concatenate([xb[0, :, 0] for xb, _ in seen]).astype(int)  # x[0, n, 0] == n
        assert sorted(cols) == list(range(7))
        for xb, yb in seen:  # targets travel with their inputs
            np.testing.assert_array_equal(yb, np.take(y, xb[0, :, 0].astype(int), axis=axis))
    first = [xb[0, :, 0] for xb, _ in batches(0)]
    again = [xb[0, :, 0] for xb, _ in batches(0)]
    other = [xb[0, :, 0] for xb, _ in batches(1)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))


def test_do_shuffled_batches_name_a_target_of_the_wrong_batch_size():
    from lstm_course import shuffled_batches

    with pytest.raises(ValueError, match=r"batch size N = 7 \(from x\) on axis 0 for readout='last', got shape \(5, 7, 1\)"):
        shuffled_batches(np.zeros((5, 7, 1)), np.zeros((5, 7, 1)), 3, readout="last")
