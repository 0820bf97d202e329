"""LSTM variants as small PyTorch layers, for the book's comparisons (chapters 6 and 9a).

Every layer reads x (T, N, D) time-major and holds S independent members, one per seed, that
run side by side (S seeds cost about as much as one); it returns h (S, T, N, H) and (h_T, C_T).
The LSTM-family cells share one code path and differ only where the papers differ:

    "lstm"      the article's cell (Gers et al., 2000: the forget gate added)
                    f_t = σ(W_f·[h_{t-1}, x_t] + b_f)        i_t = σ(W_i·[h_{t-1}, x_t] + b_i)
                    C̃_t = tanh(W_C·[h_{t-1}, x_t] + b_C)    o_t = σ(W_o·[h_{t-1}, x_t] + b_o)
                    C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t          h_t = o_t ⊙ tanh(C_t)
    "nfg"       no forget gate, Hochreiter & Schmidhuber (1997): C_t = C_{t-1} + i_t ⊙ C̃_t
                (f_t ≡ 1: the constant error carousel with nothing to reset it)
    "peephole"  Gers & Schmidhuber (2000): the gates also see the cell state, one weight per unit,
                    f_t = σ(W_f·[h_{t-1}, x_t] + p_f ⊙ C_{t-1} + b_f), i_t likewise with p_i,
                    o_t = σ(W_o·[h_{t-1}, x_t] + p_o ⊙ C_t + b_o)      (o_t looks at the *new* C_t)
    "cifg"      coupled input and forget gate (Greff et al., 2017): i_t = 1 - f_t, no W_i
    "gru"       Cho et al. (2014), ``torch.nn.GRU``: no cell state, h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}

Weights are drawn like PyTorch's (U(-1/√H, 1/√H)) and ``forget_bias`` is added to b_f, as in
:func:`lstm_course.init_lstm_params`. The LSTM cells keep the article's layout (one (H, H+D)
matrix per gate reading [h_{t-1}, x_t]); :func:`to_article_params` returns them as the NumPy
dict of the package, which is how the tests check "lstm" against :func:`lstm_course.lstm_forward`.

Shapes: S members (seeds), T time, N batch, D input size, H hidden size, O output size.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

VARIANTS = ("lstm", "nfg", "peephole", "cifg", "gru")
VARIANT_NAMES = {
    "lstm": "LSTM (forget gate)",
    "nfg": "no forget gate (1997)",
    "peephole": "peephole LSTM",
    "cifg": "coupled input-forget (CIFG)",
    "gru": "GRU",
}
# Which of the article's gates each LSTM-family cell learns weights for.
# Sigmoid gates first and C̃ last, so one sigmoid call covers a contiguous slab of z.
_GATES = {"lstm": "fioC", "nfg": "ioC", "peephole": "fioC", "cifg": "foC"}


def _check_kind(kind: str) -> str:
    if kind not in VARIANTS:
        raise ValueError(f"unknown variant {kind!r}; choose one of {list(VARIANTS)}")
    return kind


def _check_seeds(seeds) -> tuple[int, ...]:
    seeds = (seeds,) if isinstance(seeds, int) else tuple(seeds)
    if not seeds or not all(isinstance(s, int) for s in seeds):
        raise ValueError(f"seeds must be an int or a non-empty tuple of ints, got {seeds!r}")
    return seeds


def _uniform(gen: torch.Generator, shape: tuple[int, ...], k: float) -> torch.Tensor:
    return (torch.rand(shape, generator=gen, dtype=torch.float64) * 2 - 1) * k


class LSTMVariant(nn.Module):
    """S independent LSTM-family layers ("lstm", "nfg", "peephole" or "cifg"), one per seed, run together.

    Why several at once: the matrices of a small layer are tiny, so a step's cost is the number
    of operations, not their size. Stacking S members along a leading axis (one ``bmm`` per step)
    trains S seeds for about the price of one. The members share no parameter; member s is
    exactly the layer ``LSTMVariant(kind, D, H, seeds=(s,))``.

    Args:
        kind: which cell (module docstring).
        input_size: D.  hidden_size: H.
        seeds: one member per seed; its initial weights depend only on that seed.
        forget_bias: added to b_f (ignored by "nfg", which has no forget gate).

    Parameters (S members, G gates in the order of ``self.gates``):
        W (S, G·H, H+D) reading [h_{t-1}, x_t];  b (S, G·H);  p (S, 3, H) peepholes p_f, p_i, p_o.
    """

    def __init__(self, kind: str, input_size: int, hidden_size: int, *, seeds=(0,), forget_bias: float = 1.0) -> None:
        super().__init__()
        if _check_kind(kind) == "gru":
            raise ValueError("LSTMVariant builds the LSTM-family cells; use make_layer('gru', ...) for the GRU")
        if input_size < 1 or hidden_size < 1:
            raise ValueError(f"input_size and hidden_size must be positive, got D={input_size}, H={hidden_size}")
        self.kind, self.gates, self.seeds = kind, _GATES[kind], _check_seeds(seeds)
        D, H, G = input_size, hidden_size, len(_GATES[kind])
        self.input_size, self.hidden_size = D, H
        k = 1.0 / math.sqrt(H)  # PyTorch's U(-1/√H, 1/√H)
        Ws, bs, ps = [], [], []
        for seed in self.seeds:
            gen = torch.Generator().manual_seed(seed)
            Ws.append(_uniform(gen, (G * H, H + D), k))
            b = _uniform(gen, (G * H,), k)
            if "f" in self.gates:
                j = self.gates.index("f")
                b[j * H:(j + 1) * H] += forget_bias
            bs.append(b)
            ps.append(_uniform(gen, (3, H), k))
        self.W = nn.Parameter(torch.stack(Ws).float())  # (S, G·H, H+D)
        self.b = nn.Parameter(torch.stack(bs).float())  # (S, G·H)
        if kind == "peephole":
            self.p = nn.Parameter(torch.stack(ps).float())  # (S, 3, H)

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None):
        """x (T, N, D), the same for every member -> h (S, T, N, H), (h_T, C_T) each (S, N, H)."""
        if x.dim() != 3 or x.shape[2] != self.input_size:
            raise ValueError(f"x must have shape (T, N, D={self.input_size}), got {tuple(x.shape)}")
        T, N, _ = x.shape
        S, H = len(self.seeds), self.hidden_size
        x = x.to(self.W.dtype)
        if state is None:
            h = x.new_zeros(S, N, H)
            c = x.new_zeros(S, N, H)
        else:
            h, c = state
        W_hT = self.W[:, :, :H].transpose(1, 2)  # (S, H, G·H)
        # The input's share of every step, for every member, in one product: (T, S, N, G·H).
        zx = torch.einsum("tnd,sgd->tsng", x, self.W[:, :, H:]) + self.b[None, :, None, :]
        g = {q: slice(j * H, (j + 1) * H) for j, q in enumerate(self.gates)}
        if self.kind == "peephole":
            p_f, p_i, p_o = (self.p[:, j, None, :] for j in range(3))  # (S, 1, H) each
        hs = []
        n_sig = (len(self.gates) - 1) * H  # the sigmoid slab: every gate but C̃
        for t in range(T):
            z = torch.baddbmm(zx[t], h, W_hT)  # (S, N, G·H)
            c_tilde = torch.tanh(z[..., n_sig:])
            if self.kind == "peephole":
                f = torch.sigmoid(z[..., g["f"]] + p_f * c)  # the gates look at C_{t-1}
                i = torch.sigmoid(z[..., g["i"]] + p_i * c)
                c = f * c + i * c_tilde
                o = torch.sigmoid(z[..., g["o"]] + p_o * c)  # o_t looks at the new C_t
            else:
                sig = torch.sigmoid(z[..., :n_sig])
                o = sig[..., g["o"]]
                if self.kind == "nfg":
                    c = c + sig[..., g["i"]] * c_tilde
                elif self.kind == "cifg":
                    f = sig[..., g["f"]]
                    c = f * c + (1.0 - f) * c_tilde  # what is forgotten is exactly what may be written
                else:
                    c = sig[..., g["f"]] * c + sig[..., g["i"]] * c_tilde
            h = o * torch.tanh(c)
            hs.append(h)
        return torch.stack(hs, dim=1), (h, c)

    def member_grads(self, s: int) -> list[torch.Tensor]:
        """Views of member ``s``'s gradients (empty before a backward pass)."""
        return [p.grad[s] for p in self.parameters() if p.grad is not None]


class GRULayer(nn.Module):
    """S ``torch.nn.GRU`` layers (one per seed) behind the same interface as :class:`LSTMVariant`.

    A GRU has no cell state; the returned "C_T" is h_T. PyTorch's fused GRU is fast already, so
    the members simply run one after the other.
    """

    def __init__(self, input_size: int, hidden_size: int, *, seeds=(0,)) -> None:
        super().__init__()
        self.kind, self.seeds = "gru", _check_seeds(seeds)
        self.input_size, self.hidden_size = input_size, hidden_size
        grus = []
        for seed in self.seeds:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                grus.append(nn.GRU(input_size, hidden_size))
        self.grus = nn.ModuleList(grus)

    def forward(self, x: torch.Tensor, state=None):
        """x (T, N, D) -> h (S, T, N, H), (h_T, h_T) each (S, N, H)."""
        if x.dim() != 3 or x.shape[2] != self.input_size:
            raise ValueError(f"x must have shape (T, N, D={self.input_size}), got {tuple(x.shape)}")
        outs = [gru(x, None if state is None else state[0][s][None])[0] for s, gru in enumerate(self.grus)]
        h = torch.stack(outs)
        return h, (h[:, -1], h[:, -1])

    def member_grads(self, s: int) -> list[torch.Tensor]:
        """Member ``s``'s gradients (empty before a backward pass)."""
        return [p.grad for p in self.grus[s].parameters() if p.grad is not None]


def make_layer(kind: str, input_size: int, hidden_size: int, *, seeds=(0,), forget_bias: float = 1.0) -> nn.Module:
    """The recurrent layer of a variant (see :data:`VARIANTS`), one member per seed."""
    if _check_kind(kind) == "gru":
        return GRULayer(input_size, hidden_size, seeds=seeds)
    return LSTMVariant(kind, input_size, hidden_size, seeds=seeds, forget_bias=forget_bias)


class SequenceModel(nn.Module):
    """A variant's layer and a linear readout of h per member: ŷ = W_y·h_t + b_y.

    Output: (S, N, O) for ``readout="last"`` (from h_T), (S, T, N, O) for ``"all"``.
    """

    def __init__(self, kind: str, input_size: int, hidden_size: int, output_size: int, *,
                 seeds=(0,), forget_bias: float = 1.0, readout: str = "last") -> None:
        super().__init__()
        if readout not in ("last", "all"):
            raise ValueError(f"readout must be 'last' or 'all', got {readout!r}")
        self.layer = make_layer(kind, input_size, hidden_size, seeds=seeds, forget_bias=forget_bias)
        self.readout = readout
        S, k = len(self.layer.seeds), 1.0 / math.sqrt(hidden_size)
        gens = [torch.Generator().manual_seed(10_000 + s) for s in self.layer.seeds]
        self.W_y = nn.Parameter(torch.stack([_uniform(g, (output_size, hidden_size), k) for g in gens]).float())  # (S, O, H)
        self.b_y = nn.Parameter(torch.zeros(S, output_size))  # (S, O)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, (h_T, _) = self.layer(x)
        if self.readout == "last":
            return torch.einsum("snh,soh->sno", h_T, self.W_y) + self.b_y[:, None, :]
        return torch.einsum("stnh,soh->stno", h, self.W_y) + self.b_y[:, None, None, :]

    def clip_grad_norm_(self, max_norm: float) -> torch.Tensor:
        """Clip each member's gradient (layer and readout together) to global norm ``max_norm``.

        Members never mix: clipping their gradients jointly would let one seed's large gradient
        shrink another's step. Returns the (S,) norms before clipping.
        """
        norms = []
        for s in range(len(self.layer.seeds)):
            grads = self.layer.member_grads(s) + [p.grad[s] for p in (self.W_y, self.b_y) if p.grad is not None]
            norm = torch.sqrt(sum((g * g).sum() for g in grads)) if grads else torch.tensor(0.0)
            scale = min(1.0, max_norm / (float(norm) + 1e-6))
            for g in grads:
                g.mul_(scale)
            norms.append(norm)
        return torch.stack(norms)


def build_model(kind: str, input_size: int, hidden_size: int, output_size: int, *, seeds=(0,),
                forget_bias: float = 1.0, readout: str = "last") -> SequenceModel:
    """A :class:`SequenceModel` with one member per seed; each member's initial weights depend only on its seed."""
    return SequenceModel(kind, input_size, hidden_size, output_size, seeds=seeds, forget_bias=forget_bias, readout=readout)


def count_params(model: nn.Module) -> int:
    """Trainable scalars of *one* member."""
    S = len(model.layer.seeds) if isinstance(model, SequenceModel) else len(model.seeds)
    return sum(p.numel() for p in model.parameters() if p.requires_grad) // S


def to_article_params(layer: LSTMVariant, member: int = 0) -> dict[str, np.ndarray]:
    """One member of an "lstm" layer as the package's dict (W_f, b_f, ..., each (H, H+D) / (H,)), float64."""
    if not isinstance(layer, LSTMVariant) or layer.kind != "lstm":
        raise ValueError("to_article_params needs an LSTMVariant of kind 'lstm' (the others have other parameters)")
    H = layer.hidden_size
    W = layer.W[member].detach().to(torch.float64).numpy()
    b = layer.b[member].detach().to(torch.float64).numpy()
    out = {}
    for j, q in enumerate(layer.gates):
        out[f"W_{q}"], out[f"b_{q}"] = W[j * H:(j + 1) * H].copy(), b[j * H:(j + 1) * H].copy()
    return {k: out[k] for k in ("W_f", "b_f", "W_i", "b_i", "W_C", "b_C", "W_o", "b_o")}
