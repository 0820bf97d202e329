"""Chapter 8c (speech): the speaker-recognition claims, recomputed with the chapter's seed."""
from __future__ import annotations

import pytest

from lstm_course.experiments.speech import speaker_recognition


@pytest.mark.slow
def test_does_the_lstm_beat_the_mean_frame_baseline_on_the_original_test_split():
    res = speaker_recognition()
    assert (res.n_train, res.n_test) == (270, 370)
    assert res.baseline_accuracy > 0.9  # "a strong baseline"
    assert res.lstm_accuracy > res.baseline_accuracy  # fewer mistakes, as the prose says
    assert res.lstm_accuracy > 0.96
    assert res.confusion.sum() == 370 and res.confusion.trace() == round(res.lstm_accuracy * 370)
