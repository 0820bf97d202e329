"""Explorers that keep working in the static book: every slider state is computed up front.

A live ``ipywidgets.interact`` needs a running kernel, so in the published HTML its sliders are
dead. :func:`precomputed_explorer` instead renders every combination of slider values once, while
the notebook executes, and wires the sliders to the pictures with ``jslink`` (links that run in
the browser's JavaScript). The widget state saved in the notebook then holds every picture, and
the page responds to the sliders with no Python behind it.

How the wiring works: one slider → a ``Stack`` of pictures whose ``selected_index`` is linked to
the slider's ``index``. Several sliders → nested Stacks: the outer Stack is switched by the first
slider, each of its children is a Stack switched by the second slider, and so on. Every link is a
plain equality between two integer traits, which is all ``jslink`` can express.

How a picture is shown: as an ``<img>`` in an HTML widget (ipywidgets' Image widget has no alt
text), stored at twice the book's display density and shown at :data:`lstm_course.viz.BOOK_DPI`
CSS pixels per inch, like the book's other figures: sharp on high-DPI screens, and a figure's
10 pt text is 10 pt on the page as long as the figure fits the text (676 px at a 1280 px window:
at most 7.0 in, allowing for the 100/96 px per pt of the display). Every state has alt
text that names the figure and the slider values. The page's sliders get their accessible names
from book/_static/widget-labels.js.

Example::

    def render(k, scale):
        fig, ax = plt.subplots()
        ...
        return fig

    precomputed_explorer(render, {"k": [1, 2, 4, 8], "scale": [0.5, 1.0, 1.5]},
                         alt="Decay of the cell state over 50 steps")   # + " (k = 1, scale = 0.5)"
"""
from __future__ import annotations

import base64
import html
import io
import itertools
import re
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets

from .viz import BOOK_DPI

#: Most states one explorer may precompute: each is a picture stored in the page.
MAX_STATES = 64


class Explorer(widgets.VBox):
    """The box :func:`precomputed_explorer` returns: a ``VBox`` with a short, stable text repr.

    A plain VBox's repr lists its children, PNG bytes included: megabytes of text in the
    notebook's ``text/plain`` output that would also differ between matplotlib builds.
    """

    def __repr__(self) -> str:
        sliders = ", ".join(f"{n}: {len(w.options)} values" for n, w in self.sliders.items())
        return f"Explorer({self.states} precomputed states; {sliders})"


def _values(name: str, spec: Any) -> list:
    """Turn a slider spec into its list of values.

    A spec is a list/tuple of values, a ``range``, or an ipywidgets slider-like spec given as a
    dict ``{"min": a, "max": b, "step": s}`` (ends included, as ipywidgets does).
    """
    if isinstance(spec, Mapping):
        missing = {"min", "max", "step"} - set(spec)
        if missing:
            raise ValueError(f"slider {name!r}: a dict spec needs keys min, max and step; missing {sorted(missing)}")
        lo, hi, step = spec["min"], spec["max"], spec["step"]
        if step <= 0 or hi < lo:
            raise ValueError(f"slider {name!r}: need step > 0 and max >= min, got min={lo}, max={hi}, step={step}")
        n = int(round((hi - lo) / step)) + 1
        vals = [lo + i * step for i in range(n)]
        # Decimal steps (0.1) accumulate error; round so labels read 0.3, not 0.30000000000000004.
        return [round(v, 10) if isinstance(v, float) else v for v in vals]
    if isinstance(spec, (str, bytes)) or not isinstance(spec, (Sequence, range)):
        raise TypeError(
            f"slider {name!r}: expected a list of values, a range, or a dict(min=, max=, step=); got {type(spec).__name__}"
        )
    vals = list(spec)
    if not vals:
        raise ValueError(f"slider {name!r} has no values; give it at least one")
    return vals


def _label(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


#: Mathtext commands that figure labels use, as the characters a screen reader can say.
_MATH_WORDS = {"sigma": "σ", "tau": "τ", "Delta": "Δ", "delta": "δ", "alpha": "α", "odot": "⊙", "cdot": "·",
               "times": "×", "approx": "≈", "leq": "≤", "geq": "≥", "to": "→"}


def _plain(text: str) -> str:
    r"""Text for an alt attribute: HTML tags and mathtext markup removed ("$\tilde{C}_t$" -> "C̃_t")."""
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"\\tilde\{(\w)\}", "\\1\u0303", text)  # the combining tilde: C̃
    text = re.sub(r"\\([A-Za-z]+)", lambda m: _MATH_WORDS.get(m.group(1), ""), text)
    text = re.sub(r"[$\\{}]", "", html.unescape(text))
    return " ".join(text.split())


def _describe(fig: Any) -> str:
    """What a figure shows, in its own words: its titles, then what each axes plots ("" if it has no words)."""
    titles = [fig._suptitle.get_text()] if getattr(fig, "_suptitle", None) else []
    plots = []
    for ax in fig.axes:
        if ax.get_title():
            titles.append(ax.get_title())
        x, y = ax.get_xlabel(), ax.get_ylabel()
        if x and y:
            plots.append(f"{y} against {x}")
        elif x or y:
            plots.append(x or y)
    words = "; ".join(_plain(t) for t in titles if _plain(t))
    what = "plot of " + "; ".join(_plain(p) for p in plots) if plots else ""
    return ": ".join(w for w in (words, what) if w)


def _smallest_text_pt(fig: Any) -> float | None:
    """The font size (pt) of the smallest text the figure draws, or None if it draws none.

    Tick labels of an axis that is switched off are not drawn, so they do not count.
    """
    from matplotlib.text import Text

    hidden = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if not (ax.axison and axis.get_visible()):
                for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                    hidden.update((id(tick.label1), id(tick.label2)))
    sizes = [t.get_fontsize() for t in fig.findobj(Text)
             if t.get_visible() and t.get_text().strip() and id(t) not in hidden]
    return min(sizes) if sizes else None


@dataclass(frozen=True)
class Picture:
    """One precomputed state drawn by matplotlib: its PNG, its alt text and its smallest text (pt)."""

    png: bytes
    alt: str
    smallest_text_pt: float | None
    dpi: int  # pixels per figure inch in ``png``; shown at BOOK_DPI CSS pixels per inch

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the PNG in pixels, read from its header."""
        return struct.unpack(">II", self.png[16:24])

    def html(self, width: str | None) -> str:
        """An ``<img>`` shown at BOOK_DPI CSS pixels per figure inch, never wider than the column (book.css)."""
        w, h = (round(n * BOOK_DPI / self.dpi) for n in self.size)
        style = f' style="width: {html.escape(width)}"' if width else ""
        font = "" if self.smallest_text_pt is None else f' data-smallest-text-pt="{self.smallest_text_pt:g}"'
        return (f'<img class="lstm-explorer-figure" src="data:image/png;base64,{base64.b64encode(self.png).decode()}" '
                f'alt="{html.escape(self.alt)}" width="{w}" height="{h}"{style}{font}>')


def _draw(fig: Any, alt: str, dpi: int) -> Picture:
    """Save a matplotlib Figure as the PNG of one state and close it."""
    import matplotlib.pyplot as plt

    smallest = _smallest_text_pt(fig)
    buf = io.BytesIO()
    # Fixed metadata: PNG bytes must not change between runs (no software/date chunks).
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return Picture(buf.getvalue(), alt, smallest, dpi)


def precomputed_explorer(
    render: Callable[..., Any],
    sliders: Mapping[str, Any],
    *,
    alt: str | Callable[..., str] | None = None,
    dpi: int = 2 * BOOK_DPI,
    width: str | None = None,
    description: str | None = None,
    initial: Mapping[str, Any] | None = None,
    max_states: int = MAX_STATES,
) -> Explorer:
    """Precompute ``render`` at every combination of slider values and link sliders to the results.

    Args:
        render: called as ``render(**values)`` once per combination; returns a matplotlib
            Figure (saved as PNG at ``dpi`` and closed) or an HTML string.
        sliders: slider name → its values: a list, a ``range`` or ``dict(min=, max=, step=)``.
            The name is the keyword passed to ``render`` and the slider's label.
        alt: the pictures' alt text. A string says what the figure shows; each state's alt text
            is that string followed by the slider values, "(k = 2, scale = 0.5)". A function is
            called like ``render`` and returns the whole alt text of that state. Default: the
            figure's titles and axis labels, then the slider values.
        dpi: pixels per figure inch of the stored PNGs; they are shown at BOOK_DPI CSS pixels
            per inch whatever this is, so the default (twice that) is sharp on high-DPI screens.
        width: CSS width of the pictures (e.g. ``"600px"``), rarely needed: by default a figure
            of w inches is shown w × BOOK_DPI pixels wide (at most the column's width).
        description: optional HTML line shown above the sliders.
        initial: starting value per slider (default: each slider's first value).
        max_states: refuse more combinations than this (the page would get heavy).
    Returns:
        An :class:`Explorer` (a ``VBox``): [description], one ``SelectionSlider`` per name, then the pictures. Its
        ``.states`` attribute is the number of precomputed states, ``.sliders`` maps names to
        the slider widgets, ``.views`` maps each value tuple to its widget (an ``HTML``),
        ``.pictures`` maps the value tuples of Figure states to their :class:`Picture` and
        ``.links`` lists the ``jslink`` objects (slider ``index`` → Stack ``selected_index``).
    Raises:
        ValueError: no sliders, a slider without values, too many states, a bad ``initial``, a
            ``dpi`` below 1, or an ``alt`` function that returned no text.
        TypeError: ``render`` returned neither a Figure nor a string, or ``alt`` is neither a string nor callable.
    """
    if not sliders:
        raise ValueError("precomputed_explorer needs at least one slider, e.g. {'k': [1, 2, 4]}")
    if alt is not None and not isinstance(alt, str) and not callable(alt):
        raise TypeError(f"alt must be a string or a function of the slider values, got {type(alt).__name__}")
    if dpi < 1:
        raise ValueError(f"dpi must be a positive number of pixels per inch, got {dpi}")
    names = list(sliders)
    values = {n: _values(n, sliders[n]) for n in names}
    n_states = 1
    for n in names:
        n_states *= len(values[n])
    if n_states > max_states:
        sizes = " × ".join(f"{len(values[n])} ({n})" for n in names)
        raise ValueError(
            f"{sizes} = {n_states} states exceed max_states={max_states}; use fewer values per slider "
            f"(every state is a picture stored in the page) or raise max_states deliberately"
        )
    initial = dict(initial or {})
    unknown = set(initial) - set(names)
    if unknown:
        raise ValueError(f"initial names unknown slider(s) {sorted(unknown)}; sliders are {names}")
    start = {}
    for n in names:
        if n in initial:
            if initial[n] not in values[n]:
                raise ValueError(f"initial[{n!r}] = {initial[n]!r} is not one of the slider's values {values[n]}")
            start[n] = values[n].index(initial[n])
        else:
            start[n] = 0

    controls = {}
    for n in names:
        labels = [_label(v) for v in values[n]]
        if len(set(labels)) != len(labels):
            raise ValueError(f"slider {n!r} has values that print the same: {labels}; make them distinct")
        controls[n] = widgets.SelectionSlider(
            options=labels, index=start[n], description=n, tooltip=n, continuous_update=True,
            style={"description_width": "initial"}, layout=widgets.Layout(width="420px", max_width="100%"),
        )

    views: dict[tuple, widgets.Widget] = {}
    pictures: dict[tuple, Picture] = {}
    for combo in itertools.product(*(values[n] for n in names)):
        state = dict(zip(names, combo))
        out = render(**state)
        if isinstance(out, str):
            views[combo] = widgets.HTML(value=out)
            continue
        if not hasattr(out, "savefig"):
            raise TypeError(
                f"render(...) returned {type(out).__name__}; it must return a matplotlib Figure or an HTML string"
            )
        shown = ", ".join(f"{n} = {_label(v)}" for n, v in state.items())
        if callable(alt):
            text = alt(**state)
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"alt({shown}) returned {text!r}; it must return the picture's alt text")
        else:
            what = alt or ": ".join(w for w in (_plain(description or ""), _describe(out)) if w) or "Figure"
            text = f"{what} ({shown})"
        pictures[combo] = _draw(out, text, dpi)
        views[combo] = widgets.HTML(value=pictures[combo].html(width))

    def build(level: int, prefix: tuple) -> widgets.Widget:
        # Level `level` chooses among the values of slider names[level].
        name = names[level]
        if level == len(names) - 1:
            children = [views[prefix + (v,)] for v in values[name]]
        else:
            children = [build(level + 1, prefix + (v,)) for v in values[name]]
        stack = widgets.Stack(children=children, selected_index=start[name])
        links.append(widgets.jslink((controls[name], "index"), (stack, "selected_index")))
        return stack

    links: list[widgets.Widget] = []
    parts: list[widgets.Widget] = []
    if description:
        parts.append(widgets.HTML(value=description))
    parts.extend(controls[n] for n in names)
    parts.append(build(0, ()))
    box = Explorer(parts)
    box.add_class("lstm-explorer")
    box.states = n_states
    box.sliders = controls
    box.views = views
    box.pictures = pictures
    box.links = links
    return box
