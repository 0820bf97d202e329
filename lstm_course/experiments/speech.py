"""Chapter 8c: who is speaking? Speaker identification on the Japanese Vowels data set.

Each utterance is 7-29 frames x_t of 12 LPC cepstrum coefficients (a compact description of the
spectrum, like MFCCs). Nine speakers, each saying the vowel pair /ae/; 270 training and 370 test
utterances, the split of the original data set (Kudo et al., 1999). Three models, all trained on
the training split and scored on the test split:

    mean frame      multinomial logistic regression on the mean frame (1/T) Σ_t x_t: the same
                    features with the order of the frames thrown away
    LSTM            reads x_1..x_T in order and classifies from h_T (the hidden state at the
                    utterance's own last frame)
    shuffled LSTM   the same LSTM, trained and tested on frames in a random order: what an LSTM
                    gets from the frames without their order (the control for "order matters")

Features are standardized with the training set's per-coefficient mean and std. Each seed
retrains everything; :func:`mcnemar_exact` compares two models' errors on the same utterances.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..datasets import load_japanese_vowels
from .seeds import SEEDS, over_seeds
from .torch_session import torch_session

#: Seeds of this page: one seed is a few seconds, so more than the book's default three.
SPEECH_SEEDS: tuple[int, ...] = SEEDS + (3, 4)


@dataclass
class SpeakerResult:
    """One seed. Predictions are speaker ids 0..8 of the 370 test utterances, in file order."""

    test_y: np.ndarray  # (370,) true speakers
    predictions: dict[str, np.ndarray]  # model -> (370,) predicted speakers
    n_train: int
    loss_history: list[float]  # LSTM: mean training loss per epoch

    @property
    def n_test(self) -> int:
        return len(self.test_y)

    def errors(self, model: str) -> int:
        return int(np.sum(self.predictions[model] != self.test_y))

    def accuracy(self, model: str) -> float:
        return float(np.mean(self.predictions[model] == self.test_y))

    def discordant(self, a: str, b: str) -> tuple[int, int]:
        """(utterances only ``a`` gets right, utterances only ``b`` gets right): McNemar's b and c."""
        ra, rb = self.predictions[a] == self.test_y, self.predictions[b] == self.test_y
        return int(np.sum(ra & ~rb)), int(np.sum(~ra & rb))

    def confusion(self, model: str = "LSTM") -> np.ndarray:
        """(9, 9) counts: rows the true speaker, columns the predicted one."""
        out = np.zeros((9, 9), np.int64)
        np.add.at(out, (self.test_y, self.predictions[model]), 1)
        return out


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar test: P-value of b vs c discordant pairs under "both models err alike".

    Two models scored on the same test items differ only on the items one gets right and the
    other wrong (b of one kind, c of the other). If neither model is better, each of those n = b + c
    items is a fair coin, so min(b, c) ~ Binomial(n, ½); the P-value doubles its lower tail:

        p = min(1, 2 · Σ_{k ≤ min(b, c)} C(n, k) / 2^n)          (p = 1 when n = 0)
    """
    if b < 0 or c < 0:
        raise ValueError(f"discordant counts must be >= 0, got b={b}, c={c}")
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(b, c) + 1))
    return min(1.0, 2 * tail / 2**n)


def _pad(series: list[np.ndarray], mu: np.ndarray, sd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standardize and pad at the end to (N, T_max, 12); also return lengths (N,)."""
    lengths = np.array([len(s) for s in series])
    out = np.zeros((len(series), lengths.max(), series[0].shape[1]), np.float32)
    for k, s in enumerate(series):
        out[k, :len(s)] = (s - mu) / sd
    return out, lengths


def _shuffle_frames(x: np.ndarray, lengths: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each utterance's own frames in a random order (padding stays at the end)."""
    out = x.copy()
    for k, n in enumerate(lengths):
        out[k, :n] = x[k, rng.permutation(n)]
    return out


def speaker_recognition(
    *, hidden: int = 64, epochs: int = 30, lr: float = 1e-2, seed: int = 0, shuffled_control: bool = True,
) -> SpeakerResult:
    """Train the mean-frame baseline and the LSTM (and its shuffled-frame control) on one seed.

    Args:
        hidden: H of the LSTM.
        epochs: passes over the 270 training utterances in 9 mini-batches of 30 (Adam, learning
            rate ``lr`` annealed to 0 on a cosine); the training loss ends near 0.
        seed: seeds the initializations, the batch order and the shuffles.
        shuffled_control: also train the shuffled-frame LSTM.
    """
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
            predictions = {"mean frame": base(mean_frame(xte, lte)).argmax(-1).numpy()}

        class Listener(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = torch.nn.LSTM(xtr.shape[2], hidden, batch_first=True)
                self.readout = torch.nn.Linear(hidden, n_classes)

            def forward(self, x, lengths):
                # Padding sits after each utterance's end, so the states up to its last frame never
                # see it: h_T is h at index length-1 (the same h_T as packing, and several times faster).
                h, _ = self.lstm(x)  # (N, T_max, H)
                return self.readout(h[torch.arange(len(lengths)), lengths - 1])

        def train_lstm(shuffle: bool):
            model = Listener()
            opt = torch.optim.Adam(model.parameters(), lr=lr)
            steps_per_epoch = 9
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * steps_per_epoch)
            rng = np.random.default_rng(seed)
            ltr_t = torch.from_numpy(ltr)
            history = []
            for _ in range(epochs):
                x = torch.from_numpy(_shuffle_frames(xtr, ltr, rng) if shuffle else xtr)
                losses = []
                for chunk in np.array_split(rng.permutation(len(xtr)), steps_per_epoch):
                    idx = torch.from_numpy(chunk)
                    loss = F.cross_entropy(model(x[idx], ltr_t[idx]), ytr[idx])
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    sched.step()
                    losses.append(loss.item())
                history.append(float(np.mean(losses)))
            model.eval()
            x = _shuffle_frames(xte, lte, np.random.default_rng(seed + 1000)) if shuffle else xte
            with torch.no_grad():
                return model(torch.from_numpy(x), torch.from_numpy(lte)).argmax(-1).numpy(), history

        predictions["LSTM"], history = train_lstm(shuffle=False)
        if shuffled_control:
            predictions["shuffled LSTM"], _ = train_lstm(shuffle=True)
    return SpeakerResult(test_y=test_y, predictions=predictions, n_train=len(train_y), loss_history=history)


def speaker_recognition_over_seeds(seeds: tuple[int, ...] = SPEECH_SEEDS, **kwargs) -> dict[int, SpeakerResult]:
    """:func:`speaker_recognition` under every seed: ``{seed: SpeakerResult}``."""
    return over_seeds(lambda s: speaker_recognition(seed=s, **kwargs), seeds)
