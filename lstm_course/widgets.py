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

Example::

    def render(k, scale):
        fig, ax = plt.subplots()
        ...
        return fig

    precomputed_explorer(render, {"k": [1, 2, 4, 8], "scale": [0.5, 1.0, 1.5]})
"""
from __future__ import annotations

import base64
import io
import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets

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


def _to_widget(out: Any, dpi: int, width: str | None) -> widgets.Widget:
    """Turn what ``render`` returned (a matplotlib Figure or an HTML string) into a widget."""
    if isinstance(out, str):
        return widgets.HTML(value=out)
    if hasattr(out, "savefig"):
        import matplotlib.pyplot as plt

        buf = io.BytesIO()
        # Fixed metadata: PNG bytes must not change between runs (no software/date chunks).
        out.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
        plt.close(out)
        layout = widgets.Layout(width=width) if width else widgets.Layout(max_width="100%")
        return widgets.Image(value=buf.getvalue(), format="png", layout=layout)
    raise TypeError(
        f"render(...) returned {type(out).__name__}; it must return a matplotlib Figure or an HTML string"
    )


def precomputed_explorer(
    render: Callable[..., Any],
    sliders: Mapping[str, Any],
    *,
    dpi: int = 80,
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
        dpi: resolution of the stored PNGs (keep it modest: every state is stored in the page).
        width: CSS width of the pictures (e.g. ``"600px"``); default fits the page.
        description: optional HTML line shown above the sliders.
        initial: starting value per slider (default: each slider's first value).
        max_states: refuse more combinations than this (the page would get heavy).
    Returns:
        An :class:`Explorer` (a ``VBox``): [description], one ``SelectionSlider`` per name, then the pictures. Its
        ``.states`` attribute is the number of precomputed states, ``.sliders`` maps names to
        the slider widgets, ``.views`` maps each value tuple to its picture widget and ``.links``
        lists the ``jslink`` objects (slider ``index`` → Stack ``selected_index``).
    Raises:
        ValueError: no sliders, a slider without values, too many states, or a bad ``initial``.
        TypeError: ``render`` returned neither a Figure nor a string.
    """
    if not sliders:
        raise ValueError("precomputed_explorer needs at least one slider, e.g. {'k': [1, 2, 4]}")
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
            options=labels, index=start[n], description=n, continuous_update=True,
            style={"description_width": "initial"}, layout=widgets.Layout(width="420px"),
        )

    views: dict[tuple, widgets.Widget] = {}
    for combo in itertools.product(*(values[n] for n in names)):
        views[combo] = _to_widget(render(**dict(zip(names, combo))), dpi, width)

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
    box.links = links
    return box
