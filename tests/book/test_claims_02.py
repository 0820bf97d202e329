"""Chapter 2 (the forget gate): the claims its prose states, recomputed with the chapter's seeds."""
from __future__ import annotations

import math

import numpy as np
import pytest

from lstm_course.experiments.forget_gate import (
    agreement_scores, constant_gate_params, decay_curve, memory_lifetimes, number_units, train_agreement_model,
)
from lstm_course.tasks import NOUNS, make_agreement


def test_does_a_memory_fall_below_1_over_e_after_the_closed_form_number_of_steps():
    lifetimes = {l.f: l for l in memory_lifetimes((0.99, 0.9, 0.5))}
    assert [lifetimes[f].simulated for f in (0.99, 0.9, 0.5)] == [100, 10, 2]
    for l in lifetimes.values():
        # the first whole step past the exact crossing -1/ln f ...
        assert l.simulated == math.floor(l.exact) + 1
        # ... and the prose's rule of thumb 1/(1-f), within one step
        assert abs(l.simulated - l.approx) <= 1


def test_is_the_decay_geometric_when_nothing_is_written():
    c = decay_curve(0.9, 30)
    np.testing.assert_allclose(c, 0.9 ** np.arange(31), rtol=1e-12)


def test_does_a_gate_value_outside_0_1_get_a_clear_error():
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        constant_gate_params(1.0)


def test_does_the_grammar_put_attractors_in_clauses_and_no_number_in_clause_verbs():
    data = make_agreement(400, seed=3, p_clause=1.0)
    assert set(np.unique(data.labels)) == {0, 1}
    for s in data.sentences:
        assert "was" not in s and "were" not in s
    # nouns inside clauses have either number, whatever the subject's
    inside = [(lab, w) for s, lab in zip(data.sentences, data.labels) for w in s[2:] if w in NOUNS[1 - lab]]
    assert len(inside) > 50


@pytest.fixture(scope="module")
def run():
    return train_agreement_model()  # the chapter's call, same seeds


def test_does_the_trained_model_get_the_verb_right_across_clauses(run):
    scores = agreement_scores(run.params)
    # prose: "over 98% of held-out sentences, and of those whose latest noun has the other number"
    assert scores["accuracy"] >= 0.98
    assert scores["attractor_accuracy"] >= 0.98
    # prose: the latest-noun shortcut is far worse
    assert scores["shortcut_accuracy"] < 0.7


def test_does_it_still_hold_on_clauses_longer_than_any_in_training(run):
    longer = agreement_scores(run.params, max_extra=8)
    assert longer["longest"] > 14  # training sentences have at most 14 tokens
    assert longer["accuracy"] >= 0.95


def test_do_most_units_carry_the_number_at_every_token(run):
    units = number_units(run.params)
    carriers = units["agreement"] == 1.0
    assert carriers.sum() >= units["agreement"].size // 2
    # those units keep most of their memory from step to step
    assert units["mean_f"][carriers].max() > 0.85


def test_does_some_units_forget_gate_depend_on_the_number_it_holds(run):
    units = number_units(run.params)
    hi = np.maximum(units["f_singular"], units["f_plural"])
    lo = np.minimum(units["f_singular"], units["f_plural"])
    assert np.any((hi > 0.9) & (lo < 0.35))
