"""The unrolled-in-time diagram (lstm_course.viz.draw_unrolled), checked like the cell diagram."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest
from matplotlib.colors import to_hex
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from lstm_course.viz import GRADIENT, PARTS, draw_unrolled


def _gradient_arrows(ax) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    return [p._posA_posB for p in ax.patches
            if isinstance(p, FancyArrowPatch) and to_hex(p.get_edgecolor()) == to_hex(GRADIENT)]


@pytest.mark.parametrize("steps", [2, 3, 4])
def test_does_it_draw_one_box_per_step_labelled_in_article_notation(steps):
    ax = draw_unrolled(steps)
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch) and to_hex(p.get_facecolor()) == "#f6f6f6"]
    assert len(boxes) == steps
    texts = {t.get_text() for t in ax.texts}
    lags = ["t"] + [f"t-{k}" for k in range(1, steps + 1)]
    for s in lags[:steps]:  # the steps drawn: t-(steps-1) .. t
        assert {f"$x_{{{s}}}$", f"$h_{{{s}}}$", f"$f_{{{s}}}$", f"$\\times f_{{{s}}}$"} <= texts, s
    for s in lags:  # the states between them, from C_{t-steps} to C_t
        assert f"$C_{{{s}}}$" in texts
    assert r"$\partial L / \partial C$" in texts
    plt.close(ax.figure)


def test_does_the_gradient_run_backwards_along_the_cell_state_without_a_gap():
    ax = draw_unrolled(3)
    arrows = sorted(_gradient_arrows(ax), key=lambda ab: -ab[0][0])
    assert len(arrows) == 3
    cell_y = {round(y, 6) for line in ax.lines if to_hex(line.get_color()) == PARTS["cell"].lower() for y in line.get_ydata()}
    for (xa, ya), (xb, yb) in arrows:
        assert xa > xb, "the gradient must point back in time (right to left)"
        assert ya == yb and all(ya > y for y in cell_y), "drawn level, above the cell-state line"
    for (_, right), (left, _) in zip(arrows, arrows[1:]):
        assert right[0] == pytest.approx(left[0]), "one arrow per step, end to end: the path is unbroken"
    plt.close(ax.figure)


def test_does_it_fit_the_text_column_with_legible_text_and_draw_into_a_given_axes():
    ax = draw_unrolled(3, title="Unrolled")
    assert ax.figure.get_figwidth() <= 7.4
    assert min(t.get_fontsize() for t in ax.texts) >= 10
    assert ax.get_title() == "Unrolled"
    plt.close(ax.figure)
    fig, given = plt.subplots()
    assert draw_unrolled(2, ax=given) is given
    plt.close(fig)


@pytest.mark.parametrize("steps", [1, 5, 2.5, True, "3"])
def test_does_a_bad_number_of_steps_say_what_is_allowed(steps):
    with pytest.raises(ValueError, match="from 2 to 4"):
        draw_unrolled(steps)
