"""Chapter 8d: early warning from patient vitals (synthetic cohort, said so in the chapter).

Hourly vitals x_t (heart rate, systolic pressure, respiration, SpO2, temperature) of patients
of whom some deteriorate towards an event (see :func:`lstm_course.datasets.make_patient_vitals`).
At every hour t a model outputs a risk score from the hours seen so far:

    LSTM        risk_t = σ(w·h_t + b): h_t summarizes hours 1..t, trained on "event ahead?" at every hour
    baseline    logistic regression on the current hour's vitals alone (a learned snapshot score,
                like the early-warning scores used at the bedside)

Scored on held-out patients by AUROC of the score at the last hour, and by *lead time*: with
the alarm threshold set so that 10 % of stable patients raise an alarm (the same for both
models), how many hours before the event the first alarm comes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..datasets import make_patient_vitals
from .torch_session import torch_session


def auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve = P(score of a random positive > score of a random negative), ties count ½."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    if len(pos) == 0 or len(neg) == 0:
        raise ValueError("auroc needs at least one positive and one negative example")
    greater = (pos[:, None] > neg[None, :]).mean()
    ties = (pos[:, None] == neg[None, :]).mean()
    return float(greater + 0.5 * ties)


@dataclass
class EarlyWarningResult:
    auroc: dict[str, float]  # model -> AUROC at the last hour
    lead_hours: dict[str, float]  # model -> median hours of warning before the event (0 if never alarmed)
    detected: dict[str, float]  # model -> fraction of event patients alarmed before the event
    risk: dict[str, np.ndarray]  # model -> (N_test, T) risk over time
    test: object  # the held-out Vitals
    threshold: dict[str, float]


def early_warning(
    *, n_train: int = 600, n_test: int = 400, hours: int = 48, hidden: int = 32, epochs: int = 30,
    false_alarm_rate: float = 0.1, seed: int = 0,
) -> EarlyWarningResult:
    """Train both models on one synthetic cohort; score them on a second cohort (another seed)."""
    train = make_patient_vitals(n_train, hours=hours, seed=seed)
    test = make_patient_vitals(n_test, hours=hours, seed=seed + 1)
    mu, sd = train.x.reshape(-1, 5).mean(axis=0), train.x.reshape(-1, 5).std(axis=0)
    xtr = ((train.x - mu) / sd).astype(np.float32)
    xte = ((test.x - mu) / sd).astype(np.float32)
    # Target at every hour: does this patient have an event at the end of the stay?
    ytr = np.repeat(train.event[:, None], hours, axis=1).astype(np.float32)

    with torch_session(seed) as torch:
        bce = torch.nn.functional.binary_cross_entropy_with_logits
        snap = torch.nn.Linear(5, 1)
        opt = torch.optim.Adam(snap.parameters(), lr=0.05)
        X, Y = torch.from_numpy(xtr[:, hours // 2:].reshape(-1, 5)), torch.from_numpy(ytr[:, hours // 2:].reshape(-1))
        for _ in range(200):
            loss = bce(snap(X)[:, 0], Y)
            opt.zero_grad()
            loss.backward()
            opt.step()

        class Monitor(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = torch.nn.LSTM(5, hidden, batch_first=True)
                self.readout = torch.nn.Linear(hidden, 1)  # risk from h_t at every hour

            def forward(self, x):
                h, _ = self.lstm(x)
                return self.readout(h)[..., 0]

        model = Monitor()
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        rng = np.random.default_rng(seed)
        xt, yt = torch.from_numpy(xtr), torch.from_numpy(ytr)
        # Later hours carry more evidence; weighting them more keeps early hours from dominating the loss.
        w = torch.linspace(0.2, 1.0, hours)
        for _ in range(epochs):
            for chunk in np.array_split(rng.permutation(n_train), max(1, n_train // 100)):
                idx = torch.from_numpy(chunk)
                loss = (bce(model(xt[idx]), yt[idx], reduction="none") * w).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
        with torch.no_grad():
            xe = torch.from_numpy(xte)
            risk = {"snapshot score": torch.sigmoid(snap(xe)[..., 0]).numpy(), "LSTM": torch.sigmoid(model(xe)).numpy()}

    stable = test.event == 0
    result = EarlyWarningResult({}, {}, {}, risk, test, {})
    for name, r in risk.items():
        result.auroc[name] = auroc(r[:, -1], test.event)
        # Threshold: the (1 - rate) quantile of stable patients' *highest* risk over the stay.
        thr = float(np.quantile(r[stable].max(axis=1), 1 - false_alarm_rate))
        first = np.where((r > thr).any(axis=1), (r > thr).argmax(axis=1), hours)  # first alarm hour
        lead = np.clip(hours - first[~stable], 0, None)  # hours between alarm and the event (at t = hours)
        result.threshold[name] = thr
        result.lead_hours[name] = float(np.median(lead))
        result.detected[name] = float(np.mean(lead > 0))
    return result
