"""The multi-seed helpers every claim uses: the worst seed, the spread, the "k/n seeds" text."""
from __future__ import annotations

import math

import pytest

from lstm_course.experiments.seeds import SEEDS, Spread, count, out_of, over_seeds


def test_does_over_seeds_run_once_per_seed_in_order():
    assert list(over_seeds(lambda s: s * 10)) == list(SEEDS) and len(SEEDS) >= 3
    assert over_seeds(lambda s: s + 1, seeds=(5, 7)) == {5: 6, 7: 8}
    with pytest.raises(ValueError, match="at least one seed"):
        over_seeds(lambda s: s, seeds=())


def test_is_the_worst_seed_the_low_end_for_scores_and_the_high_end_for_errors():
    acc = Spread.of({0: 0.99, 1: 0.95, 2: 0.97})
    assert (acc.worst_seed, acc.worst, acc.lo, acc.hi) == (1, 0.95, 0.95, 0.99)
    assert math.isclose(acc.mean, 0.97)
    err = Spread.of({0: 0.02, 1: 0.05, 2: 0.01}, higher_is_better=False)
    assert (err.worst_seed, err.worst) == (1, 0.05)


def test_does_the_text_quote_mean_range_and_worst_seed():
    acc = Spread.of({0: 0.992, 1: 0.984, 2: 1.0})
    assert acc.text(".1%") == "99.2 % (98.4–100.0 % over 3 seeds; worst seed 1)"
    assert acc.range_text(".1%") == "98.4–100.0 %"
    assert Spread.of({0: 0.5}).text(".2f") == "0.50 (one seed)"
    assert Spread.of({0: 2.0, 1: 4.0}, higher_is_better=False).text(".1f", unit=" h") == "3.0 h (2.0–4.0 h over 2 seeds; worst seed 1)"


def test_does_the_text_say_so_when_every_seed_gives_the_same_number():
    assert Spread.of({0: 1.0, 1: 1.0, 2: 0.99996}).text(".1%") == "100.0 % on all 3 seeds"


def test_does_a_diverged_run_get_a_clear_error():
    with pytest.raises(ValueError, match="seeds \\[1\\]"):
        Spread.of({0: 0.1, 1: float("nan")})
    with pytest.raises(ValueError, match="one value per seed"):
        Spread.of({})


def test_does_count_say_on_how_many_seeds_a_statement_holds():
    runs = {0: 0.004, 1: 0.02, 2: 0.001}
    assert count(runs, lambda mse: mse < 0.01) == 2
    assert out_of(runs, lambda mse: mse < 0.01) == "2/3 seeds"
