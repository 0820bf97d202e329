"""The book's shared helpers: the cell diagram and the kernel-free explorer."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_hex

from lstm_course.viz import BOOK_DPI, BOOK_RC, draw_cell
from lstm_course.viz import PARTS as _PARTS
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
    assert set(box.pictures) == set(box.views)
    assert all(p.png[:8] == b"\x89PNG\r\n\x1a\n" for p in box.pictures.values())
    # Distinct states give distinct pictures (the explorer is not showing one image 12 times).
    assert len({p.png for p in box.pictures.values()}) == 12
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


def _labelled(variant, seed=0):
    with plt.rc_context(BOOK_RC):
        fig, (left, right) = plt.subplots(1, 2, figsize=(6, 2.5))
        left.plot([0, 1], [seed, 1], label=f"seed {seed}")
        left.set(xlabel="training step", ylabel=r"$\tilde{C}_t$", title=variant)
        left.legend()
        right.axis("off")  # its tick labels are not drawn
        right.text(0.5, 0.5, "note", fontsize=12)
    return fig


def test_does_every_picture_get_alt_text_naming_the_figure_and_the_slider_values():
    box = precomputed_explorer(_labelled, {"variant": ["GRU", "CIFG"], "seed": [0, 1]})
    assert box.pictures[("GRU", 1)].alt == "GRU: plot of C\u0303_t against training step (variant = GRU, seed = 1)"
    assert 'alt="GRU: plot of C\u0303_t against training step (variant = GRU, seed = 1)"' in box.views[("GRU", 1)].value
    # A description names every state; a chapter's own words replace the figure's.
    box = precomputed_explorer(_labelled, {"variant": ["GRU"]}, description="<b>Training curves</b> of a variant")
    assert box.pictures[("GRU",)].alt.startswith("Training curves of a variant: GRU: plot of")
    box = precomputed_explorer(_labelled, {"variant": ["GRU"]}, alt='Loss of the "variant"')
    assert box.pictures[("GRU",)].alt == 'Loss of the "variant" (variant = GRU)'
    assert 'alt="Loss of the &quot;variant&quot; (variant = GRU)"' in box.views[("GRU",)].value
    box = precomputed_explorer(_labelled, {"variant": ["GRU"], "seed": [3]}, alt=lambda variant, seed: f"{variant} run {seed}")
    assert box.pictures[("GRU", 3)].alt == "GRU run 3"
    # A figure with no words at all still says what it is and which state it shows.
    box = precomputed_explorer(_render, {"a": [1]})
    assert box.pictures[(1,)].alt == "Figure (a = 1)"


def test_is_a_bad_alt_refused_with_a_reason():
    with pytest.raises(ValueError, match="must return the picture's alt text"):
        precomputed_explorer(_render, {"a": [1]}, alt=lambda a: "  ")
    with pytest.raises(TypeError, match="alt must be a string or a function"):
        precomputed_explorer(_render, {"a": [1]}, alt=3)
    with pytest.raises(ValueError, match="dpi must be a positive"):
        precomputed_explorer(_render, {"a": [1]}, dpi=0)


def test_are_pictures_stored_at_twice_the_density_they_are_shown_at():
    """Sharp on 2x screens: the PNG has two pixels per CSS pixel, and the page shows BOOK_DPI px per inch."""
    box = precomputed_explorer(_labelled, {"variant": ["GRU"]})
    picture, view = box.pictures[("GRU",)], box.views[("GRU",)].value
    w, h = picture.size
    # bbox_inches="tight" trims the 6 in x 2.5 in figure a little; it stays near 2 x 100 px per inch.
    assert 0.8 * 6 * 2 * BOOK_DPI < w <= 6 * 2 * BOOK_DPI + 2 and 0.8 * 2.5 * 2 * BOOK_DPI < h
    assert f'width="{round(w / 2)}" height="{round(h / 2)}"' in view
    assert 'class="lstm-explorer-figure"' in view and "style=" not in view
    # A chapter that asks for another density still gets the same size on the page.
    low = precomputed_explorer(_labelled, {"variant": ["GRU"]}, dpi=BOOK_DPI).pictures[("GRU",)]
    assert abs(low.size[0] - w / 2) <= 2


def test_does_each_picture_record_its_smallest_text_for_the_browser_test():
    """The legend is at 10 pt (book style), the note at 12; the switched-off axes' tick labels do not count."""
    box = precomputed_explorer(_labelled, {"variant": ["GRU"]})
    assert box.pictures[("GRU",)].smallest_text_pt == BOOK_RC["legend.fontsize"] == 10
    assert 'data-smallest-text-pt="10"' in box.views[("GRU",)].value

    def small(k):
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.plot([0, 1], [0, k], label="tiny")
        ax.legend(fontsize=7)
        return fig

    assert precomputed_explorer(small, {"k": [1]}).pictures[(1,)].smallest_text_pt == 7
    assert precomputed_explorer(lambda k: "<b>text</b>", {"k": [1]}).pictures == {}


def test_do_the_sliders_shrink_with_a_narrow_page_and_carry_their_name():
    box = precomputed_explorer(_render, {"a": [1, 2]})
    slider = box.sliders["a"]
    assert slider.description == "a" and slider.tooltip == "a"
    assert slider.layout.width == "420px" and slider.layout.max_width == "100%"
