"""Chapter 8c (speech): the speaker-identification claims, over the page's five seeds."""
from __future__ import annotations

import math

import numpy as np
import pytest

from lstm_course.experiments.seeds import Spread, count
from lstm_course.experiments.speech import SPEECH_SEEDS, mcnemar_exact, speaker_recognition_over_seeds


def test_is_mcnemars_exact_p_value_the_doubled_binomial_tail():
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(5, 5) == 1.0  # an even split is no evidence at all
    assert mcnemar_exact(10, 0) == pytest.approx(2 / 2**10)
    assert mcnemar_exact(3, 9) == mcnemar_exact(9, 3) == pytest.approx(2 * sum(math.comb(12, k) for k in range(4)) / 2**12)
    with pytest.raises(ValueError, match="discordant counts"):
        mcnemar_exact(-1, 3)


@pytest.fixture(scope="module")
def runs():
    return speaker_recognition_over_seeds()


@pytest.mark.slow
def test_are_all_models_scored_on_the_original_split(runs):
    assert tuple(runs) == SPEECH_SEEDS and len(SPEECH_SEEDS) >= 5
    for r in runs.values():
        assert (r.n_train, r.n_test) == (270, 370)
        assert r.confusion().sum() == 370 and r.confusion().trace() == 370 - r.errors("LSTM")
        b, c = r.discordant("LSTM", "mean frame")
        assert b - c == r.errors("mean frame") - r.errors("LSTM")  # McNemar's b, c are the disagreements
        assert r.loss_history[-1] < 0.05  # the page: the training loss ends near 0


@pytest.mark.slow
def test_is_the_mean_frame_a_strong_baseline(runs):
    acc = Spread.of({s: r.accuracy("mean frame") for s, r in runs.items()})
    assert acc.worst > 0.93  # the page: "a strong baseline" (about 96 %)


@pytest.mark.slow
def test_does_the_lstm_make_fewer_errors_than_the_mean_frame_on_most_seeds(runs):
    lstm = np.mean([r.errors("LSTM") for r in runs.values()])
    base = np.mean([r.errors("mean frame") for r in runs.values()])
    assert lstm < base - 2  # about 10 vs 14 errors of 370
    # the page: "the direction is the same on k/n seeds", read as almost every seed
    assert count(runs, lambda r: r.errors("LSTM") < r.errors("mean frame")) >= len(runs) - 1


@pytest.mark.slow
def test_does_the_gain_come_from_the_order_of_the_frames(runs):
    lstm = np.mean([r.errors("LSTM") for r in runs.values()])
    shuffled = np.mean([r.errors("shuffled LSTM") for r in runs.values()])
    base = np.mean([r.errors("mean frame") for r in runs.values()])
    assert shuffled > lstm + 2  # without the order, the LSTM loses its edge ...
    assert abs(shuffled - base) < 4  # ... and lands "about as many as the mean frame"


@pytest.mark.slow
def test_is_the_gap_not_significant_on_most_seeds(runs):
    # the page: "consistently slightly better, not proven better by any one run"
    p = [mcnemar_exact(*r.discordant("LSTM", "mean frame")) for r in runs.values()]
    assert sum(v < 0.05 for v in p) <= 1
    assert all(sum(r.discordant("LSTM", "mean frame")) < 30 for r in runs.values())  # "a dozen or so" disagreements
