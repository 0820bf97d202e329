"""Interventions on a trained LSTM: hold a gate fixed on chosen units and see what breaks.

A correlation ("this unit's C_t tracks the subject") says where information sits; an
intervention says whether the model *uses* it. :func:`forward_with_clamped_gates` runs the
package's gate functions step by step, but replaces the gates named in ``clamp`` by a constant
on the chosen units, at every step:

    f_t[u] = 0.5 for u in units        (say) while every other entry follows the article:
    f_t = σ(W_f·[h_{t-1}, x_t] + b_f)   C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t   h_t = o_t ⊙ tanh(C_t)

Chapters 2-4 clamp f_t, i_t and o_t of trained models this way (at inference only: the weights
are the trained ones).

Shapes: T time, N batch, D input size, H hidden size.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from ..gates import candidate_memory, cell_state, forget_gate, hidden_state, input_gate, output_gate

#: The gates that can be clamped, by the article's letter.
CLAMPABLE = ("f", "i", "o")

Clamp = Mapping[str, tuple[Iterable[int], float]]


def _check_clamp(clamp: Clamp, H: int) -> dict[str, tuple[np.ndarray, float]]:
    out = {}
    for gate, (units, value) in clamp.items():
        if gate not in CLAMPABLE:
            raise ValueError(f"can clamp only the gates {list(CLAMPABLE)}, got {gate!r}")
        units = np.asarray(list(units), dtype=int)
        if units.size and (units.min() < 0 or units.max() >= H):
            raise ValueError(f"clamp[{gate!r}] names units {units.tolist()}, but the layer has units 0..{H - 1}")
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"a gate is a fraction: clamp[{gate!r}] value must lie in [0, 1], got {value}")
        out[gate] = (units, float(value))
    return out


def forward_with_clamped_gates(
    x: np.ndarray, params: dict[str, np.ndarray], clamp: Clamp, *, from_step: int = 0
) -> dict[str, np.ndarray]:
    """Run an LSTM layer with some gates held at a constant on some units.

    Args:
        x: (T, N, D) inputs.
        params: LSTM params (``W_f``, ``b_f``, ...; a model's dict works too: the readout is ignored).
        clamp: ``{gate: (units, value)}``, e.g. ``{"f": ([0, 3], 0.5)}`` holds f_t = 0.5 on units
            0 and 3 at every step. An empty mapping runs the unchanged LSTM.
        from_step: clamp only from this step on (0-based; 0 = every step).
    Returns:
        dict of (T, N, H) arrays: ``f``, ``i``, ``o`` (the gates as used), ``c`` (C_1..C_T), ``h`` (h_1..h_T).
    """
    T, N, _ = x.shape
    H = params["b_f"].shape[0]
    clamp = _check_clamp(clamp, H)
    h, c = np.zeros((N, H)), np.zeros((N, H))
    out = {k: np.empty((T, N, H)) for k in ("f", "i", "o", "c", "h")}
    for t in range(T):
        gates = {
            "f": forget_gate(h, x[t], params["W_f"], params["b_f"]),
            "i": input_gate(h, x[t], params["W_i"], params["b_i"]),
            "o": output_gate(h, x[t], params["W_o"], params["b_o"]),
        }
        for gate, (units, value) in clamp.items():
            if t >= from_step:
                gates[gate][:, units] = value
        c = cell_state(gates["f"], c, gates["i"], candidate_memory(h, x[t], params["W_C"], params["b_C"]))
        h = hidden_state(gates["o"], c)
        for k in ("f", "i", "o"):
            out[k][t] = gates[k]
        out["c"][t], out["h"][t] = c, h
    return out
