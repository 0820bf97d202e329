"""Pictures for the book: the LSTM cell diagram, drawn by code so every chapter can highlight its part.

The diagram is the classic one. The cell-state line runs along the top, carrying the long-term
memory from C_{t-1} to C_t through one multiplication (the forget gate) and one addition (the
input gate's write). Below it sit the four layers that read [h_{t-1}, x_t]:

    f_t = σ(W_f·[h_{t-1}, x_t] + b_f)          forget gate
    i_t = σ(W_i·[h_{t-1}, x_t] + b_i)          input gate
    C̃_t = tanh(W_C·[h_{t-1}, x_t] + b_C)        candidate memory
    o_t = σ(W_o·[h_{t-1}, x_t] + b_o)          output gate
    C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t              cell state
    h_t = o_t ⊙ tanh(C_t)                       hidden state

Parts that can be highlighted: ``"forget"``, ``"input"``, ``"candidate"``, ``"cell"``,
``"output"``, ``"hidden"`` (see :data:`PARTS`).
"""
from __future__ import annotations

from collections.abc import Iterable

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.patches import Circle, Ellipse, FancyArrowPatch, FancyBboxPatch

#: Figures on a book page are drawn at this many CSS pixels per inch and stored at twice that
#: (IPython's "retina" PNG), so they stay sharp on high-DPI screens. With matplotlib's sizes in
#: points, text of 10 pt is then at least 10 pt on the page, as long as a figure is no wider than
#: the text (676 px at a 1280 px window; a figure up to 7.0 in keeps 10 pt text at 10 CSS pt).
BOOK_DPI = 100
BOOK_RC = {
    "figure.dpi": BOOK_DPI, "savefig.dpi": 2 * BOOK_DPI,
    "font.size": 11, "axes.titlesize": 11, "axes.labelsize": 11, "figure.titlesize": 12,
    "xtick.labelsize": 10, "ytick.labelsize": 10, "legend.fontsize": 10,
}


def use_book_style() -> None:
    """The book's figure style (:data:`BOOK_RC`); every chapter's setup cell calls it once."""
    plt.rcParams.update(BOOK_RC)
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python (tests, scripts): only the rcParams matter
        return
    shell = get_ipython()
    if shell is not None:
        shell.run_line_magic("config", "InlineBackend.figure_formats = ['retina']")


#: Each highlightable part and its colour (colour-blind-safe Okabe-Ito palette).
PARTS: dict[str, str] = {
    "forget": "#D55E00",     # vermillion
    "input": "#009E73",      # bluish green
    "candidate": "#E69F00",  # orange
    "cell": "#0072B2",       # blue
    "output": "#CC79A7",     # reddish purple
    "hidden": "#56B4E9",     # sky blue
}
_DIM = "#c8c8c8"   # parts not highlighted
_INK = "#404040"   # the inputs [h_{t-1}, x_t], shared by every gate, always legible
_LW = 2.2

# Layout (data coordinates). Gate columns, the bus carrying [h_{t-1}, x_t], and the cell-state line.
_Y_CELL, _Y_BUS, _Y_GATE = 5.5, 0.9, 2.4
_X_F, _X_I, _X_C, _X_O, _X_H = 2.2, 3.6, 4.9, 6.6, 8.0


def _parse_highlight(highlight: str | Iterable[str]) -> tuple[str, ...]:
    parts = (highlight,) if isinstance(highlight, str) else tuple(highlight)
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        raise ValueError(
            f"draw_cell(highlight=...) got unknown part(s) {unknown}; "
            f"use one of {list(PARTS)} or a tuple of them, e.g. highlight=('input', 'candidate')"
        )
    return parts


def draw_cell(highlight: str | Iterable[str] = (), ax: Axes | None = None, title: str | None = None) -> Axes:
    """Draw one LSTM cell with the chosen parts in colour and the rest greyed.

    Args:
        highlight: a part name or a tuple of them, from :data:`PARTS`. Empty (the default)
            colours every part, for an overview.
        ax: the Axes to draw in; a new figure (6.4 × 4.0 in) is created if None.
        title: optional title above the diagram.
    Returns:
        The Axes holding the diagram.
    Raises:
        ValueError: an unknown part name (the message lists the valid ones).
    """
    parts = _parse_highlight(highlight)
    everything = not parts

    def colour(*owners: str) -> str:
        for p in owners:
            if everything or p in parts:
                return PARTS[p]
        return _DIM

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.0))
    ax.set_xlim(-1.3, 11.9)
    ax.set_ylim(-1.1, 7.2)
    ax.set_aspect("equal")
    ax.axis("off")

    def wire(points, c, arrow=False, z=1):
        xs, ys = zip(*points)
        if arrow and len(points) >= 2:
            ax.plot(xs[:-1] + (xs[-1],), ys[:-1] + (ys[-1],), color=c, lw=_LW, zorder=z, solid_capstyle="round")
            ax.add_patch(FancyArrowPatch(points[-2], points[-1], arrowstyle="-|>", mutation_scale=14,
                                         color=c, lw=_LW, zorder=z + 0.5, shrinkA=0, shrinkB=0))
        else:
            ax.plot(xs, ys, color=c, lw=_LW, zorder=z, solid_capstyle="round")

    def gate(x, y, label, c):
        ax.add_patch(FancyBboxPatch((x - 0.5, y - 0.3), 1.0, 0.6, boxstyle="round,pad=0.04",
                                    fc=c, ec=c, lw=1.2, zorder=3))
        ax.text(x, y, label, ha="center", va="center", color="white", fontsize=12 if len(label) < 5 else 10, zorder=4, fontweight="bold")

    def op(x, y, symbol, c):
        ax.add_patch(Circle((x, y), 0.25, fc="white", ec=c, lw=_LW, zorder=3))
        ax.text(x, y - 0.02, symbol, ha="center", va="center", color=c, fontsize=13, zorder=4, fontweight="bold")

    def label(x, y, text, c, **kw):
        ax.text(x, y, text, color=c if c != _DIM else "#9a9a9a", fontsize=13, zorder=5, **kw)

    # The cell's body.
    ax.add_patch(FancyBboxPatch((0.6, 0.3), 9.9, 6.0, boxstyle="round,pad=0.1,rounding_size=0.4",
                                fc="#f6f6f6", ec="#b0b0b0", lw=1.2, zorder=0))

    # Inputs: h_{t-1} along the bus, x_t joining it from below; both feed every gate.
    wire([(-0.6, _Y_BUS), (_X_O, _Y_BUS)], _INK)
    wire([(1.3, -0.7), (1.3, _Y_BUS)], _INK)
    label(-1.15, _Y_BUS + 0.25, r"$h_{t-1}$", _INK)
    label(1.45, -0.85, r"$x_t$", _INK)
    for x, owner in ((_X_F, "forget"), (_X_I, "input"), (_X_C, "candidate"), (_X_O, "output")):
        wire([(x, _Y_BUS), (x, _Y_GATE - 0.3)], colour(owner), arrow=True)

    # Cell state: the long-term memory line with its × (forget) and + (write).
    c_cell = colour("cell")
    wire([(-0.6, _Y_CELL), (11.5, _Y_CELL)], c_cell, arrow=True, z=1.5)
    label(-1.15, _Y_CELL + 0.25, r"$C_{t-1}$", c_cell)
    label(11.0, _Y_CELL + 0.25, r"$C_t$", c_cell)

    # Forget gate f_t scales C_{t-1}.
    c_f = colour("forget")
    gate(_X_F, _Y_GATE, r"$\sigma$", c_f)
    wire([(_X_F, _Y_GATE + 0.3), (_X_F, _Y_CELL - 0.25)], c_f, arrow=True)
    op(_X_F, _Y_CELL, r"$\times$", colour("forget", "cell"))
    label(_X_F + 0.12, 3.6, r"$f_t$", c_f)

    # Input gate i_t and candidate C̃_t meet in i_t ⊙ C̃_t, which is added to the cell state.
    c_i, c_c = colour("input"), colour("candidate")
    y_mul = 3.9
    gate(_X_I, _Y_GATE, r"$\sigma$", c_i)
    gate(_X_C, _Y_GATE, "tanh", c_c)
    wire([(_X_I, _Y_GATE + 0.3), (_X_I, y_mul), (_X_C - 0.25, y_mul)], c_i, arrow=True)
    wire([(_X_C, _Y_GATE + 0.3), (_X_C, y_mul - 0.25)], c_c, arrow=True)
    c_ic = colour("input", "candidate")
    op(_X_C, y_mul, r"$\times$", c_ic)
    wire([(_X_C, y_mul + 0.25), (_X_C, _Y_CELL - 0.25)], c_ic, arrow=True)
    op(_X_C, _Y_CELL, "+", colour("cell", "input", "candidate"))
    label(_X_I - 0.55, 3.05, r"$i_t$", c_i)
    label(_X_C + 0.12, 3.05, r"$\tilde{C}_t$", c_c)

    # Output gate o_t filters tanh(C_t) into h_t, the short-term messenger.
    c_o, c_h = colour("output"), colour("hidden")
    y_out = 3.2
    gate(_X_O, _Y_GATE, r"$\sigma$", c_o)
    wire([(_X_O, _Y_GATE + 0.3), (_X_O, y_out), (_X_H - 0.25, y_out)], c_o, arrow=True)
    label(_X_O + 0.25, y_out + 0.12, r"$o_t$", c_o)
    wire([(_X_H, _Y_CELL), (_X_H, 4.65)], c_h, arrow=True)
    ax.add_patch(Ellipse((_X_H, 4.3), 1.15, 0.62, fc=c_h, ec=c_h, zorder=3))
    ax.text(_X_H, 4.3, "tanh", ha="center", va="center", color="white", fontsize=10, zorder=4, fontweight="bold")
    wire([(_X_H, 3.99), (_X_H, y_out + 0.25)], c_h, arrow=True)
    op(_X_H, y_out, r"$\times$", colour("output", "hidden"))
    wire([(_X_H, y_out - 0.25), (_X_H, _Y_BUS), (11.5, _Y_BUS)], c_h, arrow=True)
    wire([(9.4, _Y_BUS), (9.4, 7.1)], c_h, arrow=True)
    label(11.0, _Y_BUS + 0.25, r"$h_t$", c_h)
    label(9.55, 6.75, r"$h_t$", c_h)

    if title:
        ax.set_title(title, fontsize=12)
    return ax


def _step_label(lag: int) -> str:
    return "t" if lag == 0 else f"t-{lag}"


#: Colour of the backward gradient in :func:`draw_unrolled` (Okabe-Ito black: no part owns it).
GRADIENT = "#000000"


def draw_unrolled(steps: int = 3, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Draw the LSTM unrolled over ``steps`` time steps, with the gradient's path back along C.

    Each step is a box: [h_{s-1}, x_s] feed the gates (f_s, i_s, C̃_s, o_s); the cell-state line
    runs through every box with one × (the forget gate) and one + (the write i_s ⊙ C̃_s); h_s
    leaves to the right and feeds the next step. Above the line, dashed arrows run the other way:
    the gradient ∂L/∂C along the cell-state path, multiplied by f_s at each step,

        ∂L/∂C_{s-1} = ∂L/∂C_s ⊙ f_s + (terms through h_{s-1} and the gates, not drawn).

    The last box is step t, the first t-(steps-1).

    Args:
        steps: how many time steps to draw, 2 to 4.
        ax: the Axes to draw in; a new figure (7.2 in wide) is created if None.
        title: optional title above the diagram.
    Returns:
        The Axes holding the diagram.
    Raises:
        ValueError: ``steps`` outside 2..4 (more would not fit the page at a legible size).
    """
    if not isinstance(steps, int) or isinstance(steps, bool) or not 2 <= steps <= 4:
        raise ValueError(f"draw_unrolled(steps=...) must be an int from 2 to 4, got {steps!r}")
    w, gap = 3.0, 1.4  # one box, and the space between boxes (where C_s and h_s are labelled)
    y_grad, y_cell, y_gates, y_h = 4.3, 3.2, 1.55, 0.35
    x_end = steps * (w + gap) - gap
    x_lim, y_lim = (-1.3, x_end + 1.1), (-1.0, 5.0)
    if ax is None:  # 7.2 in wide (the text column), as tall as the equal-aspect drawing needs
        _, ax = plt.subplots(figsize=(7.2, 7.2 * (y_lim[1] - y_lim[0]) / (x_lim[1] - x_lim[0]) + 0.3))
    ax.set_xlim(*x_lim)
    ax.set_ylim(*y_lim)
    ax.set_aspect("equal")
    ax.axis("off")
    c_cell, c_f, c_h = PARTS["cell"], PARTS["forget"], PARTS["hidden"]

    def arrow(p, q, c, lw=_LW, ls="-", z=2):
        ax.add_patch(FancyArrowPatch(p, q, arrowstyle="-|>", mutation_scale=12, color=c, lw=lw, ls=ls,
                                     zorder=z, shrinkA=0, shrinkB=0))

    def op(x, y, symbol, c):
        ax.add_patch(Circle((x, y), 0.24, fc="white", ec=c, lw=_LW, zorder=4))
        ax.text(x, y - 0.02, symbol, ha="center", va="center", color=c, fontsize=12, zorder=5, fontweight="bold")

    # The cell-state line through every step, and the hidden state from step to step.
    ax.plot([-0.9, x_end + 0.9], [y_cell, y_cell], color=c_cell, lw=_LW + 0.6, zorder=1, solid_capstyle="round")
    arrow((x_end + 0.6, y_cell), (x_end + 0.95, y_cell), c_cell)
    for j in range(steps + 1):
        lag = steps - j  # label C_{t-lag} at the boundary before box j (and after the last)
        x = -0.75 if j == 0 else (j * (w + gap) - gap / 2 if j < steps else x_end + 0.55)
        ax.text(x, y_cell + 0.22, f"$C_{{{_step_label(lag)}}}$", color=c_cell, fontsize=11, ha="center", zorder=5)
    for j in range(steps):
        x0 = j * (w + gap)
        lag = steps - 1 - j
        s = _step_label(lag)
        ax.add_patch(FancyBboxPatch((x0, 0.0), w, 3.75, boxstyle="round,pad=0.06,rounding_size=0.3",
                                    fc="#f6f6f6", ec="#b0b0b0", lw=1.1, zorder=0))
        x_mul, x_add, x_out = x0 + 0.75, x0 + 1.75, x0 + 2.55
        # Gates read [h_{s-1}, x_s]: h enters along the bottom, x from below.
        ax.add_patch(FancyBboxPatch((x0 + 0.3, y_gates - 0.35), 1.85, 0.7, boxstyle="round,pad=0.03",
                                    fc="#666666", ec="#666666", zorder=3))
        ax.text(x0 + 1.22, y_gates, r"$f, i, \tilde{C}, o$", color="white", fontsize=11, ha="center", va="center", zorder=4)
        ax.plot([x0 - gap / 2 if j else -0.9, x0 + 0.6], [y_h, y_h], color=c_h, lw=_LW, zorder=1)
        arrow((x0 + 0.6, y_h), (x0 + 0.6, y_gates - 0.35), c_h)
        arrow((x0 + 1.22, -0.75), (x0 + 1.22, y_gates - 0.35), _INK)
        ax.text(x0 + 1.38, -0.8, f"$x_{{{s}}}$", color=_INK, fontsize=11, zorder=5)
        # f_s scales the memory (×), i_s ⊙ C̃_s is added (+).
        arrow((x_mul, y_gates + 0.35), (x_mul, y_cell - 0.24), c_f)
        ax.text(x_mul - 0.12, 2.3, f"$f_{{{s}}}$", color=c_f, fontsize=11, ha="right", zorder=5)
        arrow((x_add, y_gates + 0.35), (x_add, y_cell - 0.24), PARTS["input"])
        op(x_mul, y_cell, r"$\times$", c_cell)
        op(x_add, y_cell, "+", c_cell)
        # h_s = o_s ⊙ tanh(C_s) leaves the box to the right and feeds the next step.
        ax.plot([x_out, x_out], [y_cell, y_h], color=c_h, lw=_LW, zorder=1)
        arrow((x_out, y_h), (x0 + w + (gap / 2 if j < steps - 1 else 0.9), y_h), c_h)
        x_label = x0 + w + gap / 2 if j < steps - 1 else x_end + 0.55
        ax.text(x_label, y_h - 0.5, f"$h_{{{s}}}$", color=c_h, fontsize=11, ha="center", zorder=5)
        if j == 0:
            ax.text(-0.75, y_h - 0.5, f"$h_{{{_step_label(lag + 1)}}}$", color=c_h, fontsize=11, ha="center", zorder=5)
        # The gradient, backwards along C: one factor f_s per step.
        x_from = x0 + w + (gap / 2 if j < steps - 1 else 0.6)
        arrow((x_from, y_grad), (x0 - (gap / 2 if j else 0.6), y_grad), GRADIENT, lw=1.6, ls=(0, (4, 2)), z=3)
        ax.text(x_mul, y_grad + 0.15, f"$\\times f_{{{s}}}$", color=GRADIENT, fontsize=11, ha="center", zorder=5)
    ax.text(x_end + 0.95, y_grad + 0.12, r"$\partial L / \partial C$", color=GRADIENT, fontsize=11, ha="right", va="bottom")
    if title:
        ax.set_title(title, fontsize=12)
    return ax
