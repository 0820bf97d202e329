"""Chapter 8d (healthcare): the early-warning claims, over the page's seeds (new cohorts for each)."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_course.datasets import make_patient_vitals
from lstm_course.experiments.healthcare import COHORT, auroc, early_warning_over_seeds, own_baseline_features
from lstm_course.experiments.seeds import SEEDS


def test_is_auroc_the_probability_that_a_positive_outranks_a_negative():
    assert auroc(np.array([0.9, 0.8, 0.1]), np.array([1, 1, 0])) == 1.0
    assert auroc(np.array([0.1, 0.9]), np.array([1, 0])) == 0.0
    assert auroc(np.array([0.5, 0.5]), np.array([1, 0])) == 0.5
    with pytest.raises(ValueError, match="at least one positive"):
        auroc(np.array([0.5]), np.array([0]))


def test_is_the_own_baseline_feature_the_distance_from_the_running_mean():
    x = np.array([[[1.0], [3.0], [8.0]]])  # one patient, three hours, one vital
    f = own_baseline_features(x)
    np.testing.assert_allclose(f[0, :, 0], [1, 3, 8])
    np.testing.assert_allclose(f[0, :, 1], [0, 3 - 2, 8 - 4])  # x_t - mean of hours 1..t


def test_is_the_pages_cohort_harder_than_the_generators_default():
    easy, hard = make_patient_vitals(3000, seed=0), make_patient_vitals(3000, seed=0, **COHORT)
    sick = easy.event == 1
    rise = lambda v: (v.x[:, -4:, 0].mean(1) - v.x[:, :4, 0].mean(1))[sick]
    assert COHORT["drift_sd"] < 1.5 and COHORT["noise"] > 1
    assert rise(hard).mean() < 0.7 * rise(easy).mean()  # a smaller drift ...
    assert hard.x[~sick, :, 0].std(axis=1).mean() > 1.3 * easy.x[~sick, :, 0].std(axis=1).mean()  # ... in noisier hours


@pytest.fixture(scope="module")
def runs():
    return early_warning_over_seeds()


def mean(runs, field, monitor):
    return float(np.mean([getattr(r, field)[monitor] for r in runs.values()]))


@pytest.mark.slow
def test_is_no_monitor_near_perfect_on_the_harder_cohort(runs):
    assert tuple(runs) == SEEDS
    for r in runs.values():
        assert max(r.auroc.values()) < 0.99  # the page: "no monitor is perfect"
        assert r.detected["LSTM"] < 0.9


@pytest.mark.slow
def test_does_the_patients_own_history_beat_the_snapshot_on_every_seed(runs):
    for r in runs.values():
        assert r.auroc["own baseline"] > r.auroc["snapshot"] + 0.03
        assert r.auroc["LSTM"] > r.auroc["snapshot"] + 0.02
        assert r.detected["own baseline"] > r.detected["snapshot"] + 0.05
        assert r.detected["LSTM"] > r.detected["snapshot"] + 0.05
    assert mean(runs, "lead_hours", "LSTM") > mean(runs, "lead_hours", "snapshot") + 0.5


@pytest.mark.slow
def test_does_the_lstm_do_about_as_well_as_the_hand_built_score_or_better(runs):
    # the page: "on average about as well as the hand-built version or a little better"
    assert mean(runs, "auroc", "LSTM") > mean(runs, "auroc", "own baseline") - 0.01
    assert mean(runs, "detected", "LSTM") > mean(runs, "detected", "own baseline") - 0.02
    assert mean(runs, "auroc", "LSTM") < mean(runs, "auroc", "own baseline") + 0.08  # "a little"


@pytest.mark.slow
def test_do_all_monitors_start_at_chance(runs):
    for r in runs.values():
        for m, by_hour in r.auroc_by_hour.items():
            assert abs(by_hour[:12].mean() - 0.5) < 0.05, m  # nobody drifts in the first 12 hours


@pytest.mark.slow
def test_does_cutting_the_lstms_memory_take_its_advantage_away(runs):
    mem = lambda k: float(np.mean([r.memory_auroc[k] for r in runs.values()]))
    assert abs(mem(1) - mean(runs, "auroc", "snapshot")) < 0.05  # one hour of memory: a snapshot
    assert mem(48) > mem(1) + 0.05
    assert min(mem(6), mem(12)) < mem(1) - 0.02  # the dip: a window that starts after the onset
    for r in runs.values():
        assert r.memory_auroc[48] == pytest.approx(r.auroc["LSTM"], abs=1e-6)  # k = 48 is the monitor itself


@pytest.mark.slow
def test_do_the_thresholds_allow_the_stated_false_alarm_rate(runs):
    for r in runs.values():
        stable = r.test.event == 0
        for name, risk in r.risk.items():
            assert abs(np.mean(risk[stable].max(axis=1) > r.threshold[name]) - 0.1) < 0.02


@pytest.mark.slow
def test_is_the_generators_default_cohort_too_easy_to_compare_anything():
    # the page: with the default drift and noise "every monitor ... separates the patients almost perfectly"
    easy = early_warning_over_seeds(cohort={}, memory=(48,))
    for r in easy.values():
        assert min(r.auroc.values()) > 0.94
