"""The data sets of the application chapters, loaded from disk (nothing downloads).

Real data:

    load_sunspots          yearly sunspot numbers 1700-2008 (ships inside statsmodels' wheel; public domain)
    load_shakespeare       four tragedies as plain text (lstm_course/data/shakespeare; public domain)
    load_japanese_vowels   12 LPC cepstrum coefficients per frame, 9 speakers (lstm_course/data/japanese_vowels; CC BY 4.0)

Generated data (said so wherever it is used):

    make_negation_reviews  short reviews from a small grammar where "not" flips the adjective after it
    make_patient_vitals    synthetic ICU vitals, some patients deteriorating towards an event

Sources and licences: ``lstm_course/data/README.md``.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np

SHAKESPEARE_PLAYS = ("macbeth", "hamlet", "king-lear", "othello")
VITAL_NAMES = ("heart rate (bpm)", "systolic BP (mmHg)", "resp. rate (/min)", "SpO2 (%)", "temperature (°C)")


def _data_file(*parts: str):
    return resources.files("lstm_course").joinpath("data", *parts)


# ---------------------------------------------------------------------------------------------
# Time series
# ---------------------------------------------------------------------------------------------
def load_sunspots() -> tuple[np.ndarray, np.ndarray]:
    """Yearly mean sunspot numbers, 1700-2008, from the copy statsmodels ships in its wheel.

    Returns:
        (years, values): two float64 arrays of shape (309,).
    """
    try:
        from statsmodels.datasets import sunspots
    except ImportError as err:  # statsmodels is in the [book] extra, not the core install
        raise ImportError("load_sunspots needs statsmodels: pip install 'lstm-course[book]'") from err
    frame = sunspots.load_pandas().data
    return frame["YEAR"].to_numpy(np.float64), frame["SUNACTIVITY"].to_numpy(np.float64)


# ---------------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------------
def load_shakespeare(plays: tuple[str, ...] = SHAKESPEARE_PLAYS) -> str:
    """The plain text of the given tragedies, joined in the order given.

    Args:
        plays: names among ``SHAKESPEARE_PLAYS``.
    """
    unknown = [p for p in plays if p not in SHAKESPEARE_PLAYS]
    if unknown:
        raise ValueError(f"unknown play(s) {unknown}; choose among {list(SHAKESPEARE_PLAYS)}")
    return "\n".join(_data_file("shakespeare", f"{p}.txt").read_text(encoding="utf-8") for p in plays)


# The grammar of make_negation_reviews: adjectives with their polarity (+1 positive, -1 negative).
POSITIVE = ("good", "great", "fine", "fun", "moving", "clever", "charming", "brilliant")
NEGATIVE = ("bad", "dull", "awful", "boring", "weak", "clumsy", "tedious", "poor")
NOUNS = ("film", "movie", "plot", "cast", "script", "ending", "story", "score")
INTENSIFIERS = ("", "very", "really", "at all")


def make_negation_reviews(n: int, *, seed: int = 0) -> tuple[list[list[str]], np.ndarray]:
    """Reviews where word order decides the label: "the film was not good and dull" vs "good and not dull".

    Every review holds one positive adjective, one negative adjective and exactly one "not",
    so every review has the same *bag* of sentiment words. "not" flips the adjective it
    precedes (possibly through an intensifier: "not very good"); the label is positive when
    both clauses end up positive, negative when both end up negative:

        the plot was not really dull and clever   -> positive (1)
        the plot was dull and not clever          -> negative (0)

    Returns:
        (reviews, labels): a list of ``n`` token lists and an int64 array (n,) of 0/1.
    """
    if n < 1:
        raise ValueError(f"n must be a positive number of reviews, got {n}")
    rng = np.random.default_rng(seed)
    reviews, labels = [], np.empty(n, np.int64)
    for k in range(n):
        pos, neg = rng.choice(POSITIVE), rng.choice(NEGATIVE)
        first_is_pos = rng.random() < 0.5
        negate_first = rng.random() < 0.5
        words = ["the", rng.choice(NOUNS), "was"]
        for slot, adj in enumerate((pos, neg) if first_is_pos else (neg, pos)):
            if slot == 1:
                words.append(rng.choice(("and", "yet", "but also")))
            intens = rng.choice(INTENSIFIERS)
            if (slot == 0) == negate_first:
                words += ["not"] + intens.split() + [adj] if intens != "at all" else ["not", adj, "at", "all"]
            else:
                words += ([intens] if intens in ("very", "really") else []) + [adj]
        reviews.append(" ".join(words).split())
        negated_pos = (negate_first and first_is_pos) or (not negate_first and not first_is_pos)
        labels[k] = 0 if negated_pos else 1  # "not pos" + neg -> negative; pos + "not neg" -> positive
    return reviews, labels


# ---------------------------------------------------------------------------------------------
# Speech
# ---------------------------------------------------------------------------------------------
def _read_ts(name: str) -> tuple[list[np.ndarray], np.ndarray]:
    """Parse a multivariate, unequal-length sktime/UEA ``.ts`` file: dims split by ':', label last."""
    series, labels, in_data = [], [], False
    for line in _data_file("japanese_vowels", name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not in_data:
            in_data = line.lower() == "@data"
            continue
        *dims, label = line.split(":")
        series.append(np.array([[float(v) for v in d.split(",")] for d in dims]).T)  # (T_i, 12)
        labels.append(int(label) - 1)  # speakers 1..9 -> classes 0..8
    return series, np.array(labels, np.int64)


def load_japanese_vowels(split: str) -> tuple[list[np.ndarray], np.ndarray]:
    """Nine male speakers saying the vowel /ae/; each utterance is 7-29 frames of 12 LPC cepstrum coefficients.

    Args:
        split: "train" (270 utterances, 30 per speaker) or "test" (370 utterances).
    Returns:
        (utterances, speakers): a list of float64 arrays (T_i, 12) and an int64 array of speaker ids 0..8.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return _read_ts(f"JapaneseVowels_{split.upper()}.ts")


# ---------------------------------------------------------------------------------------------
# Healthcare
# ---------------------------------------------------------------------------------------------
@dataclass
class Vitals:
    """Synthetic hourly vitals of a cohort.

    Attributes:
        x: (N, T, 5) vitals in the order of ``VITAL_NAMES``.
        event: (N,) 1 if the patient has an event (e.g. septic shock) right after the last hour, else 0.
        onset: (N,) hour at which deterioration starts (-1 for stable patients).
    """

    x: np.ndarray
    event: np.ndarray
    onset: np.ndarray


def make_patient_vitals(
    n: int, *, hours: int = 48, event_rate: float = 0.3, seed: int = 0, drift_sd: float = 1.5, noise: float = 1.0,
) -> Vitals:
    """A synthetic cohort: stable patients, and patients whose vitals drift slowly towards an event.

    Every patient has a personal baseline (heart rate, systolic pressure, respiration, SpO2,
    temperature) drawn from wide normal ranges, a circadian rhythm, and measurement noise.
    A deteriorating patient's vitals drift, from an onset hour 12-30 h before the event, by
    about ``drift_sd`` *between-patient standard deviations* (1.5 by default): heart rate and
    respiration up, pressure and SpO2 down, temperature up. A single snapshot therefore says
    little; the trend within the patient says a lot. That is the situation early-warning scores
    struggle with, and it is why this data set is synthetic: we know the onset, so we can measure
    lead time.

    Args:
        drift_sd: size of the drift by the event, in between-patient standard deviations; smaller
            is harder to detect.
        noise: scale of the hour-to-hour measurement noise (1.0: e.g. 4 bpm of heart rate).
    Returns:
        :class:`Vitals` with x (n, hours, 5) float64.
    """
    if n < 1 or hours < 32:
        raise ValueError(f"need n >= 1 and hours >= 32, got n={n}, hours={hours}")
    if drift_sd < 0 or noise <= 0:
        raise ValueError(f"need drift_sd >= 0 and noise > 0, got drift_sd={drift_sd}, noise={noise}")
    rng = np.random.default_rng(seed)
    base_mean = np.array([80.0, 120.0, 16.0, 97.0, 36.9])
    base_sd = np.array([10.0, 12.0, 2.5, 1.2, 0.35])  # between-patient spread
    noise_sd = noise * np.array([4.0, 6.0, 1.5, 0.8, 0.15])  # hour-to-hour measurement noise
    # total change by the event: about 1.5 base_sd at drift_sd = 1.5
    drift = drift_sd / 1.5 * np.array([14.0, -16.0, 4.0, -1.8, 0.5])
    t = np.arange(hours)
    event = (rng.random(n) < event_rate).astype(np.int64)
    onset = np.where(event == 1, hours - rng.integers(12, 31, size=n), -1)
    base = base_mean + base_sd * rng.standard_normal((n, 5))
    phase = rng.uniform(0, 2 * np.pi, size=(n, 1))
    circadian = np.sin(2 * np.pi * t / 24 + phase)[:, :, None] * (0.3 * noise_sd)
    x = base[:, None, :] + circadian + noise_sd * rng.standard_normal((n, hours, 5))
    for k in np.flatnonzero(event):
        ramp = np.clip((t - onset[k]) / (hours - onset[k]), 0, 1) ** 1.5  # slow start, faster near the event
        x[k] += ramp[:, None] * drift * rng.uniform(0.7, 1.3)
    return Vitals(x=x, event=event, onset=onset)
