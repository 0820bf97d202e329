"""The application data sets load from disk, with the shapes and facts the chapters rely on."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_course import datasets as D


def test_are_the_sunspots_the_yearly_series_1700_2008():
    years, spots = D.load_sunspots()
    assert years[0] == 1700 and years[-1] == 2008 and len(spots) == 309
    assert np.all(spots >= 0) and 150 < spots.max() < 200


def test_is_the_shakespeare_text_clean_plain_text():
    text = D.load_shakespeare()
    assert len(text) > 500_000
    assert set(text) <= set("\n !&',-.:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")  # no Markdown left
    macbeth = D.load_shakespeare(("macbeth",))
    assert macbeth.startswith("FIRST WITCH:\nWhen shall we three meet again")
    with pytest.raises(ValueError, match="unknown play"):
        D.load_shakespeare(("hamlet", "tempest"))


def test_do_the_japanese_vowels_match_the_original_split():
    for split, n, per_speaker in (("train", 270, [30] * 9), ("test", 370, [31, 35, 88, 44, 29, 24, 40, 50, 29])):
        x, y = D.load_japanese_vowels(split)
        assert len(x) == n and np.bincount(y).tolist() == per_speaker
        assert all(u.ndim == 2 and u.shape[1] == 12 and 7 <= len(u) <= 29 for u in x)
    with pytest.raises(ValueError, match="'train' or 'test'"):
        D.load_japanese_vowels("validation")


def test_are_the_reviews_reproducible_and_balanced():
    a, ya = D.make_negation_reviews(400, seed=1)
    b, yb = D.make_negation_reviews(400, seed=1)
    assert a == b and np.array_equal(ya, yb)
    assert 0.4 < ya.mean() < 0.6
    with pytest.raises(ValueError, match="positive number"):
        D.make_negation_reviews(0)


def test_do_deteriorating_patients_drift_by_less_than_healthy_people_differ_at_onset():
    v = D.make_patient_vitals(2000, seed=0)
    assert v.x.shape == (2000, 48, 5)
    sick, well = v.event == 1, v.event == 0
    assert 0.25 < sick.mean() < 0.35
    assert np.all(v.onset[well] == -1) and np.all((48 - v.onset[sick] >= 12) & (48 - v.onset[sick] <= 30))
    # heart rate rises for the sick over the stay, not for the well
    rise = v.x[:, -4:, 0].mean(1) - v.x[:, :4, 0].mean(1)
    assert rise[sick].mean() > 10 and abs(rise[well].mean()) < 1
    # yet at the last hour, sick and well heart rates overlap: a snapshot is ambiguous
    assert np.percentile(v.x[well, -1, 0], 95) > np.percentile(v.x[sick, -1, 0], 25)
    with pytest.raises(ValueError, match="hours >= 32"):
        D.make_patient_vitals(10, hours=10)
