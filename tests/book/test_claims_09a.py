"""Chapter 9a (variants): the claims its prose states, from the same functions and seeds."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_course.experiments.variants import BASELINE_MSE, SOLVED_MSE, compare_variants, make_last_write, summarize


def test_is_the_target_the_last_written_value():
    x, y = make_last_write(40, 30, seed=3)
    assert np.all(x[0, :, 1] == 1)  # step 0 always writes
    for k in range(40):
        last = 0
        for t in range(30):
            if x[t, k, 1]:
                last = t
            assert y[t, k, 0] == x[last, k, 0]
    # the baseline the prose quotes: answering 0 scores about Var U(-1, 1) = 1/3
    assert np.mean(make_last_write(4000, 30, seed=4)[1] ** 2) == pytest.approx(BASELINE_MSE, rel=0.05)


@pytest.mark.slow
def test_does_every_variant_with_a_forget_gate_solve_the_task_and_the_1997_cell_fail():
    table = summarize(compare_variants(seeds=(0, 1, 2), steps=150))
    assert list(table) == ["lstm", "nfg", "peephole", "cifg", "gru"]
    for kind in ("lstm", "peephole", "cifg", "gru"):
        assert table[kind]["solved"] == 3, kind
    assert table["nfg"]["solved"] == 0
    assert table["nfg"]["mean_mse"] > SOLVED_MSE
    means = [table[k]["mean_mse"] for k in ("lstm", "peephole", "cifg", "gru")]
    assert max(means) < 5 * min(means)  # "this run does not rank them": no large gap among the four
    assert table["nfg"]["mean_mse"] > 5 * max(means)
    # the parameter counts the prose compares
    assert table["cifg"]["params"] < table["gru"]["params"] < table["lstm"]["params"] < table["peephole"]["params"]
