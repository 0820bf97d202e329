"""Small PyTorch sequence models for the book's training experiments (torch's fused kernels are
what make training several models inside a chapter's time budget possible).

The NumPy package stays the reference; these models only serve experiments where the result is
a *behaviour* (does the model learn the task?) rather than a number we check against the equations.
"""
from __future__ import annotations

import torch
from torch import nn


class LastStepRegressor(nn.Module):
    """A recurrent layer followed by a linear readout of its last hidden state.

        h_1, ..., h_T = Recurrent(x_1, ..., x_T)        (LSTM or tanh RNN, hidden size H)
        ŷ = W_y · h_T + b_y

    Input x is (T, N, D) time-major, as everywhere in ``lstm_course``; output ŷ is (N, O).
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, output_size: int = 1, forget_bias: float = 1.0):
        super().__init__()
        if cell == "lstm":
            self.rnn = nn.LSTM(input_size, hidden_size)
            # PyTorch stacks the gates (i, f, g, o); the forget gate's bias is the second block.
            # Both b_ih and b_hh are added, so putting forget_bias into one of them is enough.
            with torch.no_grad():
                self.rnn.bias_ih_l0[hidden_size : 2 * hidden_size] += forget_bias
        elif cell == "rnn":
            self.rnn = nn.RNN(input_size, hidden_size, nonlinearity="tanh")
        else:
            raise ValueError(f"cell must be 'lstm' or 'rnn', got {cell!r}")
        self.readout = nn.Linear(hidden_size, output_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.rnn(x)  # (T, N, H)
        return self.readout(h[-1])  # (N, O)
