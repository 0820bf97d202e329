"""Shared fixtures for the package tests: seeded random inputs and the PyTorch reference.

The factories are session-scoped and stateless, so Hypothesis tests may use them. Tests run with ``--import-mode=importlib``, so test modules cannot import helpers from each
other; everything shared is a fixture here. Every random draw is seeded, so a failure
reproduces exactly, and Hypothesis is derandomized for the same reason (see ``PROFILE``).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, settings

from lstm_course import init_lstm_params, torch_bridge

# One Hypothesis profile for this folder, fetched by name in the test modules
# (``settings.get_profile("lstm-package")``) rather than loaded globally, so other test
# folders keep their own settings. derandomize: CI sees the same examples on every run;
# no deadline: the first torch call in a process is slow and is not a bug.
settings.register_profile(
    "lstm-package",
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240601)


@pytest.fixture(scope="session")
def lstm_inputs():
    """``make(T, N, D, H, seed, dtype)`` -> (x, h0, c0, params) with non-trivial values.

    ``forget_bias=0.0`` keeps every gate away from saturation, so gradients are O(1) and a
    wrong term cannot hide behind a gate stuck at 0 or 1. States are drawn from N(0, 0.5²).
    """

    def make(T=4, N=3, D=2, H=3, seed=0, dtype=np.float64):
        r = np.random.default_rng(seed)
        params = init_lstm_params(D, H, forget_bias=0.0, seed=r, dtype=dtype)
        x = r.normal(size=(T, N, D)).astype(dtype)
        h0 = (0.5 * r.normal(size=(N, H))).astype(dtype)
        c0 = (0.5 * r.normal(size=(N, H))).astype(dtype)
        return x, h0, c0, params

    return make


@pytest.fixture(scope="session")
def torch_lstm_reference():
    """``run(x, h0, c0, params, dh, dh_T, dc_T)`` through a one-layer ``torch.nn.LSTM`` and autograd.

    ``params`` is an article-notation dict, copied into the module by
    :func:`lstm_course.torch_bridge.to_torch` (the module's dtype follows the arrays). The loss is
    ``L = Σ dh ⊙ h + Σ dh_T ⊙ h_T + Σ dc_T ⊙ C_T``, so its gradients are exactly what
    ``lstm_backward(dh, cache, dh_T, dc_T)`` returns. Returns a dict of numpy arrays
    ``h, h_T, c_T, dx, dh0, dc0`` and ``grads``, torch's parameter gradients converted back to
    the article's keys by :func:`lstm_course.torch_bridge.params_from_torch_weights`.
    """

    def run(x, h0, c0, params, dh, dh_T, dc_T):
        module = torch_bridge.to_torch([params])
        xt = torch.tensor(x, requires_grad=True)
        h0t = torch.tensor(h0[None], requires_grad=True)  # (num_layers=1, N, H)
        c0t = torch.tensor(c0[None], requires_grad=True)
        out, (hn, cn) = module(xt, (h0t, c0t))
        loss = (out * torch.tensor(dh)).sum() + (hn[0] * torch.tensor(dh_T)).sum() + (cn[0] * torch.tensor(dc_T)).sum()
        loss.backward()
        # dL/d(bias_ih) = dL/d(bias_hh) = dL/db: only their sum (the article's b) enters the
        # computation, so either one is the article's bias gradient.
        grads = torch_bridge.params_from_torch_weights(
            module.weight_ih_l0.grad, module.weight_hh_l0.grad, module.bias_ih_l0.grad, None
        )
        return {
            "h": out.detach().numpy(), "h_T": hn[0].detach().numpy(), "c_T": cn[0].detach().numpy(),
            "dx": xt.grad.numpy(), "dh0": h0t.grad[0].numpy(), "dc0": c0t.grad[0].numpy(), "grads": grads,
        }

    return run
