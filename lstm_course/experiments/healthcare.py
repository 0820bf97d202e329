"""Chapter 8d: early warning from patient vitals (synthetic cohort, said so in the chapter).

Hourly vitals x_t (heart rate, systolic pressure, respiration, SpO2, temperature) of patients
of whom some deteriorate towards an event (see :func:`lstm_course.datasets.make_patient_vitals`;
this page uses a harder cohort than its defaults, :data:`COHORT`). At every hour t a monitor
outputs a risk score from the hours seen so far:

    snapshot       r_t = σ(w·x_t + b): logistic regression on the current hour alone (a learned
                   version of the early-warning scores used at the bedside)
    own baseline   r_t = σ(w·[x_t, x_t - m_t] + b), m_t = (1/t) Σ_{s≤t} x_s: logistic regression
                   that also sees how far each vital is from the patient's own running mean (the
                   page's thesis, built by hand)
    LSTM           r_t = σ(w·h_t + b): h_t summarizes hours 1..t, trained on "event ahead?" at
                   every hour from the raw (standardized) vitals

Scored on held-out patients by AUROC of the score at every hour (above all the last), and by
*lead time*: with each monitor's alarm threshold set so that 10 % of stable patients raise an
alarm at some hour of their stay, which deteriorating patients get an alarm between their onset
and the event, and how many hours before the event the first such alarm comes. (An alarm before
the onset is a false alarm that happens to hit a patient who later deteriorates: the simulation
knows the onset, so it is not counted as a warning.)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..datasets import make_patient_vitals
from .seeds import SEEDS, over_seeds
from .torch_session import torch_session

#: The page's cohort: a smaller drift and noisier hours than make_patient_vitals' defaults, so that
#: no monitor separates the patients perfectly and the comparison between them means something.
COHORT = {"drift_sd": 0.8, "noise": 1.5}

MONITORS = ("snapshot", "own baseline", "LSTM")


def auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve = P(score of a random positive > score of a random negative), ties count ½."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    if len(pos) == 0 or len(neg) == 0:
        raise ValueError("auroc needs at least one positive and one negative example")
    greater = (pos[:, None] > neg[None, :]).mean()
    ties = (pos[:, None] == neg[None, :]).mean()
    return float(greater + 0.5 * ties)


def own_baseline_features(x: np.ndarray) -> np.ndarray:
    """[x_t, x_t - m_t] with m_t = (1/t) Σ_{s≤t} x_s, the patient's running mean: (N, T, D) -> (N, T, 2D)."""
    running_mean = np.cumsum(x, axis=1) / np.arange(1, x.shape[1] + 1)[None, :, None]
    return np.concatenate([x, x - running_mean], axis=-1).astype(x.dtype)


@dataclass
class EarlyWarningResult:
    """One seed: a training cohort, a held-out cohort, every monitor's risk and scores."""

    auroc: dict[str, float]  # monitor -> AUROC of the risk at the last hour
    auroc_by_hour: dict[str, np.ndarray]  # monitor -> (T,) AUROC of the risk at each hour
    lead_hours: dict[str, float]  # monitor -> mean hours of warning over event patients (0 if missed)
    detected: dict[str, float]  # monitor -> fraction of event patients alarmed between onset and event
    risk: dict[str, np.ndarray]  # monitor -> (N_test, T) risk over time
    test: object  # the held-out Vitals
    threshold: dict[str, float]
    memory_auroc: dict[int, float]  # k -> AUROC at the last hour of the LSTM reading only the last k hours
    n_train: int


def early_warning(
    *, n_train: int = 1500, n_test: int = 500, hours: int = 48, hidden: int = 32, epochs: int = 25,
    batch: int = 100, lr: float = 1e-2, false_alarm_rate: float = 0.1, memory: tuple[int, ...] = (1, 3, 6, 12, 24, 48), seed: int = 0,
    cohort: dict | None = None,
) -> EarlyWarningResult:
    """Train the three monitors on one synthetic cohort; score them on a second cohort (another seed).

    Args:
        n_train, n_test: patients in the training and the held-out cohort.
        hidden: H of the LSTM.
        epochs: passes over the training patients in mini-batches of ``batch`` (Adam, learning rate ``lr``).
            The LSTM needs about this much training (375 steps) to learn the comparison with the
            patient's own past at this difficulty (measured while writing the page; not a claim of it).
        false_alarm_rate: share of stable patients allowed an alarm; sets each monitor's threshold.
        memory: window lengths k for the memory test: the trained LSTM starts from zero state k
            hours before the last hour, so it can use at most k hours of history.
        cohort: keyword arguments of make_patient_vitals (default :data:`COHORT`).
    """
    cohort = COHORT if cohort is None else cohort
    train = make_patient_vitals(n_train, hours=hours, seed=seed, **cohort)
    test = make_patient_vitals(n_test, hours=hours, seed=seed + 1000, **cohort)
    mu, sd = train.x.reshape(-1, 5).mean(axis=0), train.x.reshape(-1, 5).std(axis=0)
    xtr = ((train.x - mu) / sd).astype(np.float32)
    xte = ((test.x - mu) / sd).astype(np.float32)
    # Target at every hour: does this patient have an event at the end of the stay?
    ytr = np.repeat(train.event[:, None], hours, axis=1).astype(np.float32)
    features = {"snapshot": (xtr, xte), "own baseline": (own_baseline_features(xtr), own_baseline_features(xte))}

    risk = {}
    with torch_session(seed) as torch:
        bce = torch.nn.functional.binary_cross_entropy_with_logits
        for name, (ftr, fte) in features.items():
            D = ftr.shape[-1]
            linear = torch.nn.Linear(D, 1)
            opt = torch.optim.Adam(linear.parameters(), lr=0.05)
            # Fitted on the second half of each stay, where the drift (if any) has begun for most.
            X = torch.from_numpy(ftr[:, hours // 2:].reshape(-1, D))
            Y = torch.from_numpy(ytr[:, hours // 2:].reshape(-1))
            for _ in range(200):  # full batch, convex: converges
                loss = bce(linear(X)[:, 0], Y)
                opt.zero_grad()
                loss.backward()
                opt.step()
            with torch.no_grad():
                risk[name] = torch.sigmoid(linear(torch.from_numpy(fte))[..., 0]).numpy()

        class Monitor(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = torch.nn.LSTM(5, hidden, batch_first=True)
                self.readout = torch.nn.Linear(hidden, 1)  # risk from h_t at every hour

            def forward(self, x):
                h, _ = self.lstm(x)
                return self.readout(h)[..., 0]

        model = Monitor()
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        rng = np.random.default_rng(seed)
        xt, yt = torch.from_numpy(xtr), torch.from_numpy(ytr)
        # Later hours carry more evidence; weighting them more keeps early hours from dominating the loss.
        w = torch.linspace(0.2, 1.0, hours)
        for _ in range(epochs):
            for chunk in np.array_split(rng.permutation(n_train), max(1, n_train // batch)):
                idx = torch.from_numpy(chunk)
                loss = (bce(model(xt[idx]), yt[idx], reduction="none") * w).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
        with torch.no_grad():
            xe = torch.from_numpy(xte)
            risk["LSTM"] = torch.sigmoid(model(xe)).numpy()
            # The memory test: the same trained LSTM, started from (h, C) = 0 k hours before the end.
            memory_auroc = {k: auroc(model(xe[:, hours - k:])[:, -1].numpy(), test.event) for k in memory}

    stable = test.event == 0
    result = EarlyWarningResult({}, {}, {}, {}, risk, test, {}, memory_auroc, n_train)
    for name in MONITORS:
        r = risk[name]
        result.auroc[name] = auroc(r[:, -1], test.event)
        result.auroc_by_hour[name] = np.array([auroc(r[:, t], test.event) for t in range(hours)])
        # Threshold: the (1 - rate) quantile of stable patients' *highest* risk over the stay.
        thr = float(np.quantile(r[stable].max(axis=1), 1 - false_alarm_rate))
        alarm = (r > thr) & (np.arange(hours)[None, :] >= test.onset[:, None])  # after the onset only
        first = np.where(alarm.any(axis=1), alarm.argmax(axis=1), hours)  # first alarm hour (hours: none)
        lead = hours - first[~stable]  # hours between that alarm and the event (right after the last hour)
        result.threshold[name] = thr
        result.lead_hours[name] = float(np.mean(lead))
        result.detected[name] = float(np.mean(lead > 0))
    return result


def early_warning_over_seeds(seeds: tuple[int, ...] = SEEDS, **kwargs) -> dict[int, EarlyWarningResult]:
    """:func:`early_warning` under every seed (new cohorts and a new training run for each)."""
    return over_seeds(lambda s: early_warning(seed=s, **kwargs), seeds)
