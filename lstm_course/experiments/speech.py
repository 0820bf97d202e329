"""Chapter 8c: who is speaking? Speaker recognition on the Japanese Vowels data set.

Each utterance is 7-29 frames x_t of 12 LPC cepstrum coefficients (a compact description of the
spectrum, like MFCCs). Nine speakers; 270 training and 370 test utterances, the split of the
original data set (Kudo et al., 1999).

    LSTM        reads x_1..x_T, classifies from h_T (``readout`` on the final hidden state)
    baseline    multinomial logistic regression on the *mean* frame (1/T) Σ_t x_t: the same
                features with the order of the frames thrown away

Features are standardized with the training set's per-coefficient mean and std.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..datasets import load_japanese_vowels
from .torch_session import torch_session


@dataclass
class SpeakerResult:
    lstm_accuracy: float
    baseline_accuracy: float
    n_train: int
    n_test: int
    confusion: np.ndarray  # (9, 9) LSTM: rows true speaker, columns predicted
    loss_history: list[float]


def _pad(series: list[np.ndarray], mu: np.ndarray, sd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standardize and pad to (N, T_max, 12); also return lengths (N,)."""
    lengths = np.array([len(s) for s in series])
    out = np.zeros((len(series), lengths.max(), series[0].shape[1]), np.float32)
    for k, s in enumerate(series):
        out[k, :len(s)] = (s - mu) / sd
    return out, lengths


def speaker_recognition(*, hidden: int = 64, epochs: int = 15, lr: float = 5e-3, seed: int = 0) -> SpeakerResult:
    """Train an LSTM and a mean-pooled logistic regression on the training split; score both on the test split."""
    train_x, train_y = load_japanese_vowels("train")
    test_x, test_y = load_japanese_vowels("test")
    frames = np.concatenate(train_x)
    mu, sd = frames.mean(axis=0), frames.std(axis=0)
    xtr, ltr = _pad(train_x, mu, sd)
    xte, lte = _pad(test_x, mu, sd)
    n_classes = int(train_y.max()) + 1

    with torch_session(seed) as torch:
        F = torch.nn.functional
        ytr = torch.from_numpy(train_y)

        def mean_frame(x, lengths):
            return torch.from_numpy(x.sum(axis=1) / lengths[:, None].astype(np.float32))

        base = torch.nn.Linear(xtr.shape[2], n_classes)
        opt = torch.optim.Adam(base.parameters(), lr=0.05)
        mtr = mean_frame(xtr, ltr)
        for _ in range(300):  # full batch, convex: converges
            loss = F.cross_entropy(base(mtr), ytr) + 1e-3 * base.weight.pow(2).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            base_pred = base(mean_frame(xte, lte)).argmax(-1).numpy()

        class Listener(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = torch.nn.LSTM(xtr.shape[2], hidden, batch_first=True)
                self.readout = torch.nn.Linear(hidden, n_classes)

            def forward(self, x, lengths):
                # Packing stops the LSTM at each utterance's true end, so h_T is never read after padding.
                packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
                _, (h_T, _) = self.lstm(packed)
                return self.readout(h_T[-1])

        model = Listener()
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        rng = np.random.default_rng(seed)
        xtr_t, ltr_t = torch.from_numpy(xtr), torch.from_numpy(ltr)
        history = []
        for _ in range(epochs):
            losses = []
            for chunk in np.array_split(rng.permutation(len(xtr)), 9):
                idx = torch.from_numpy(chunk)
                loss = F.cross_entropy(model(xtr_t[idx], ltr_t[idx]), ytr[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                losses.append(loss.item())
            history.append(float(np.mean(losses)))
        model.eval()
        with torch.no_grad():
            lstm_pred = model(torch.from_numpy(xte), torch.from_numpy(lte)).argmax(-1).numpy()
    confusion = np.zeros((n_classes, n_classes), np.int64)
    np.add.at(confusion, (test_y, lstm_pred), 1)
    return SpeakerResult(
        lstm_accuracy=float(np.mean(lstm_pred == test_y)), baseline_accuracy=float(np.mean(base_pred == test_y)),
        n_train=len(train_y), n_test=len(test_y), confusion=confusion, loss_history=history,
    )
