"""Chapter 8 (the landing page of the applications): what the LSTM reads in each application.

Every application feeds the same cell a sequence of vectors x_1..x_T; only their meaning,
size D and length T change. :func:`data_overview` measures those facts from the data the four
pages use, so the landing page's table is computed, not typed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..datasets import load_japanese_vowels, load_shakespeare, load_sunspots, make_negation_reviews, make_patient_vitals
from .healthcare import COHORT


@dataclass
class ApplicationData:
    page: str
    data: str
    real: bool  # real measurements (True) or generated (False)
    x_t: str  # what one input vector is
    D: int  # input size (before any embedding)
    sequences: int
    T_range: tuple[int, int]
    readout: str  # where the prediction is read: every h_t or the last h_T


def data_overview() -> list[ApplicationData]:
    """One row per application page, measured from its data."""
    years, _ = load_sunspots()
    text = load_shakespeare()
    vowels = load_japanese_vowels("train")[0] + load_japanese_vowels("test")[0]
    v_len = [len(u) for u in vowels]
    reviews, _ = make_negation_reviews(2000, seed=0)
    r_len = [len(r) for r in reviews]
    vitals = make_patient_vitals(2000, seed=0, **COHORT)  # 8d's 1,500 training + 500 test patients
    return [
        ApplicationData("08a time series", "yearly sunspot numbers", True, "one year's value", 1, 1,
                        (len(years), len(years)), "every h_t: next year"),
        ApplicationData("08b NLP (a)", "Shakespeare, four tragedies", True, "one character", len(set(text)), 1,
                        (len(text), len(text)), "every h_t: next character"),
        ApplicationData("08b NLP (b)", "reviews with negation", False, "one word", len({w for r in reviews for w in r}),
                        len(reviews), (min(r_len), max(r_len)), "last h_T: sentiment"),
        ApplicationData("08c speech", "Japanese Vowels", True, "12 cepstrum coefficients of a frame",
                        vowels[0].shape[1], len(vowels), (min(v_len), max(v_len)), "last h_T: speaker"),
        ApplicationData("08d healthcare", "ICU vitals (simulated)", False, "5 vitals of one hour",
                        vitals.x.shape[2], vitals.x.shape[0], (vitals.x.shape[1], vitals.x.shape[1]), "every h_t: risk"),
    ]


def example_inputs(seed: int = 0) -> dict[str, np.ndarray]:
    """A short stretch of x_t from each application, (T, D) arrays, for the landing page's explorer."""
    years, spots = load_sunspots()
    vowels, _ = load_japanese_vowels("train")
    vitals = make_patient_vitals(1, seed=seed, event_rate=1.0, **COHORT)
    text = load_shakespeare()[:40]
    vocab = sorted(set(load_shakespeare()))
    one_hot = np.eye(len(vocab))[[vocab.index(c) for c in text]]
    return {
        "time series": spots[-60:, None],
        "text": one_hot,
        "speech": vowels[0],
        "healthcare": (vitals.x[0] - vitals.x[0].mean(0)) / vitals.x[0].std(0),
    }
