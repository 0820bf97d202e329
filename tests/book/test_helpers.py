"""The book's shared helpers: the cell diagram and the kernel-free explorer."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_hex

from lstm_course.viz import PARTS as _PARTS
from lstm_course.viz import draw_cell
from lstm_course.widgets import precomputed_explorer


PARTS = {name: colour.lower() for name, colour in _PARTS.items()}  # to_hex() writes lower case


def _colours(ax) -> set[str]:
    out = {to_hex(l.get_color()) for l in ax.lines}
    out |= {to_hex(p.get_facecolor()) for p in ax.patches} | {to_hex(p.get_edgecolor()) for p in ax.patches}
    return out


@pytest.mark.parametrize("part", list(PARTS))
def test_does_highlighting_one_part_colour_it_and_grey_the_others(part):
    ax = draw_cell(highlight=part)
    used = _colours(ax)
    assert PARTS[part] in used
    for other, colour in PARTS.items():
        if other != part:
            assert colour not in used, f"highlight={part!r} also coloured {other!r}"
    plt.close(ax.figure)


def test_does_the_overview_colour_every_part_and_label_in_article_notation():
    ax = draw_cell(title="LSTM cell")
    assert set(PARTS.values()) <= _colours(ax)
    texts = {t.get_text() for t in ax.texts}
    for symbol in (r"$f_t$", r"$i_t$", r"$\tilde{C}_t$", r"$o_t$", r"$C_t$", r"$h_t$", r"$C_{t-1}$", r"$h_{t-1}$", r"$x_t$"):
        assert symbol in texts
    assert ax.get_title() == "LSTM cell"
    plt.close(ax.figure)


def test_does_a_tuple_highlight_several_parts_and_draw_into_a_given_axes():
    fig, ax = plt.subplots()
    assert draw_cell(("input", "candidate"), ax=ax) is ax
    used = _colours(ax)
    assert {PARTS["input"], PARTS["candidate"]} <= used and PARTS["forget"] not in used
    plt.close(fig)


def test_does_an_unknown_part_name_the_valid_ones():
    with pytest.raises(ValueError, match="forget"):
        draw_cell("forgot")


def _render(a, b=0.0):
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot(np.arange(5), a * np.arange(5) + b)
    return fig


def test_does_the_explorer_precompute_every_state_and_link_each_slider():
    box = precomputed_explorer(_render, {"a": [1, 2, 3], "b": {"min": 0.0, "max": 0.3, "step": 0.1}}, initial={"a": 2})
    assert box.states == 12 and len(box.views) == 12
    assert list(box.sliders["b"].options) == ["0", "0.1", "0.2", "0.3"]
    assert box.sliders["a"].index == 1
    assert all(v.value[:8] == b"\x89PNG\r\n\x1a\n" for v in box.views.values())
    # Distinct states give distinct pictures (the explorer is not showing one image 12 times).
    assert len({v.value for v in box.views.values()}) == 12
    assert plt.get_fignums() == [], "rendered figures must be closed"
    # The wiring is jslink only: an outer Stack switched by slider a, inner Stacks by slider b.
    outer = box.children[-1]
    assert len(outer.children) == 3 and all(len(c.children) == 4 for c in outer.children)
    assert outer.children[2].children[1] is box.views[(3, 0.1)]
    linked = {(l.source[0].model_id, l.source[1], l.target[0].model_id, l.target[1]) for l in box.links}
    assert len(linked) == 1 + 3
    assert (box.sliders["a"].model_id, "index", outer.model_id, "selected_index") in linked
    for inner in outer.children:
        assert (box.sliders["b"].model_id, "index", inner.model_id, "selected_index") in linked


def test_are_pictures_byte_identical_between_runs():
    one = precomputed_explorer(_render, {"a": [1, 2]})
    two = precomputed_explorer(_render, {"a": [1, 2]})
    assert [v.value for v in one.views.values()] == [v.value for v in two.views.values()]


def test_does_an_html_render_become_an_html_widget():
    box = precomputed_explorer(lambda k: f"<b>{k}</b>", {"k": range(3)}, description="pick k")
    assert box.children[0].value == "pick k"
    assert box.views[(2,)].value == "<b>2</b>"


@pytest.mark.parametrize(
    ("sliders", "error", "match"),
    [
        ({}, ValueError, "at least one slider"),
        ({"k": []}, ValueError, "no values"),
        ({"k": range(10), "j": range(10)}, ValueError, "100 states exceed"),
        ({"k": "abc"}, TypeError, "list of values"),
        ({"k": {"min": 0, "max": 1}}, ValueError, "step"),
    ],
)
def test_does_bad_slider_input_get_a_clear_error(sliders, error, match):
    with pytest.raises(error, match=match):
        precomputed_explorer(_render, sliders)


def test_does_a_bad_render_return_say_what_to_return():
    with pytest.raises(TypeError, match="Figure or an HTML string"):
        precomputed_explorer(lambda k: 3, {"k": [1]})


def test_is_the_explorers_text_output_short_and_free_of_image_bytes():
    box = precomputed_explorer(_render, {"a": [1, 2], "b": [0.0, 0.5]})
    assert repr(box) == "Explorer(4 precomputed states; a: 2 values, b: 2 values)"
    assert box._repr_mimebundle_()["text/plain"] == repr(box)
