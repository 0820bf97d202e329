"""Chapter 8 (applications landing page): the data facts its table and prose state."""
from __future__ import annotations

from lstm_course.experiments.applications import data_overview, example_inputs


def test_does_the_overview_count_the_data_the_pages_use():
    rows = {r.page: r for r in data_overview()}
    assert rows["08a time series"].T_range == (309, 309)
    assert rows["08b NLP (a)"].T_range[0] > 500_000  # "over half a million characters"
    speech = rows["08c speech"]
    assert (speech.sequences, speech.D, speech.T_range) == (640, 12, (7, 29))
    assert rows["08d healthcare"].D == 5
    # the prose says three of five data sets are real and names the two generated ones
    assert sum(r.real for r in rows.values()) == 3
    assert {p for p, r in rows.items() if not r.real} == {"08b NLP (b)", "08d healthcare"}


def test_are_the_example_inputs_time_by_features():
    for name, x in example_inputs().items():
        assert x.ndim == 2 and x.shape[0] >= 20, name
    assert example_inputs()["text"].sum(axis=1).tolist() == [1.0] * 40  # one-hot: one character per step
