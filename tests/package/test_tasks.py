"""The synthetic tasks of lstm_course.tasks: shapes, determinism, and what each task guarantees."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_course.tasks import (
    AGREEMENT_VOCAB, NOUNS, encode_tokens, last_noun_number, make_agreement, make_recall, make_store,
)


def test_is_the_agreement_data_the_same_for_the_same_seed_and_different_otherwise():
    a, b, c = make_agreement(50, seed=1), make_agreement(50, seed=1), make_agreement(50, seed=2)
    assert a.sentences == b.sentences and np.array_equal(a.labels, b.labels)
    assert a.sentences != c.sentences


def test_does_every_sentence_start_with_its_subject_and_mark_its_clause():
    data = make_agreement(300, seed=0, max_extra=3)
    for words, label, clause in zip(data.sentences, data.labels, data.has_clause):
        assert words[0] == "the" and words[1] in NOUNS[label]
        assert clause == (len(words) > 2)
        if clause:
            assert words[2] == "," and words[-1] == ","
    assert 2 <= min(map(len, data.sentences)) and max(map(len, data.sentences)) <= 8 + 3 * 3


def test_do_batches_hold_one_length_each_and_cover_every_sentence_once_per_epoch():
    data = make_agreement(200, seed=0)
    batches = data.batches(16, seed=0)
    seen = 0
    for x, y in batches(0):
        assert x.ndim == 3 and x.shape[2] == len(AGREEMENT_VOCAB) and x.shape[1] == y.shape[0] <= 16
        np.testing.assert_array_equal(x.sum(axis=2), 1.0)  # one-hot, no padding
        seen += y.shape[0]
    assert seen == len(data)
    first = [y.tolist() for _, y in batches(0)]
    assert first == [y.tolist() for _, y in batches(0)]  # same epoch, same order
    assert first != [y.tolist() for _, y in batches(1)]  # reshuffled per epoch


def test_does_encode_tokens_name_unknown_tokens_and_unequal_lengths():
    with pytest.raises(ValueError, match=r"unknown tokens \['mat', 'on', 'sat'\]"):
        encode_tokens("the cat sat on the mat")
    with pytest.raises(ValueError, match="equal length"):
        encode_tokens(["the cat", "the cat , which looked hungry ,"])
    x = encode_tokens("the cats")
    assert x.shape == (2, 1, len(AGREEMENT_VOCAB))


def test_is_the_last_noun_the_shortcut_it_claims_to_be():
    assert last_noun_number(("the", "cat", ",", "which", "saw", "the", "dogs", ",")) == 1
    assert last_noun_number(("the", "cats")) == 1
    with pytest.raises(ValueError, match="no noun"):
        last_noun_number(("the", ","))


def test_is_the_store_target_the_value_at_the_last_write():
    x, y = make_store(100, 12, seed=0)
    assert x.shape == (12, 100, 2) and y.shape == (100, 1)
    for k in range(100):
        writes = np.flatnonzero(x[:, k, 1])
        assert 1 <= writes.size <= 2 and writes[0] < 6
        assert y[k, 0] == x[writes[-1], k, 0]


def test_is_the_recall_target_silent_until_the_query():
    x, y = make_recall(64, 10, seed=0)
    assert x.shape == (10, 64, 2) and y.shape == (10, 64, 1)
    np.testing.assert_array_equal(y[:-1], 0.0)
    np.testing.assert_array_equal(y[-1, :, 0], x[0, :, 0])
    np.testing.assert_array_equal(x[:, :, 1].sum(axis=0), 1.0)
    assert np.all(x[-1, :, 1] == 1) and np.all(np.abs(x[0, :, 0]) >= 0.5)


@pytest.mark.parametrize("call, match", [
    (lambda: make_agreement(0), "n >= 1"),
    (lambda: make_store(5, 1), "T >= 2"),
    (lambda: make_recall(5, 1), "T >= 2"),
    (lambda: make_agreement(5).batches(0), "batch_size"),
])
def test_does_bad_input_get_a_clear_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()
