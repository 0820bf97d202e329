"""Tables for the book's pages, as HTML.

A printed text table wider than the text column (about 68 characters of monospace at 1280 px)
scrolls sideways, and a screen reader reads it as one long string. An HTML table wraps to the
column (and on a phone scrolls inside its own box, never the page), and its ``<th>`` headers tell a screen reader which row and column each number is in::

    html_table(["readout reads", "20 steps", "100 steps"],
               [["h<sub>t</sub>", "0.012", "0.19"], ["C<sub>t</sub>", "0.024", "0.21"]],
               caption="Test MSE, mean over the seeds")
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence


def html_table(header: Sequence[str], rows: Iterable[Sequence[object]], *, caption: str | None = None):
    """An ``IPython.display.HTML`` table: ``header`` as column headers, each row's first cell as its row header.

    Cells are inserted as HTML (``"h<sub>t</sub>"`` shows a subscript), so pass text that is
    already escaped. Numbers are formatted by the caller, as the page should show them.
    """
    from IPython.display import HTML

    header = list(header)
    rows = [list(r) for r in rows]
    bad = [k for k, r in enumerate(rows) if len(r) != len(header)]
    if bad:
        raise ValueError(f"every row needs {len(header)} cells, one per header {header}; rows {bad} have "
                         f"{[len(rows[k]) for k in bad]}")
    pad = 'style="padding: 0.15em 0.7em; text-align: left"'  # the theme gives output tables no padding
    head = "".join(f'<th scope="col" {pad}>{h}</th>' for h in header)
    body = "".join(
        f'<tr><th scope="row" {pad}>{r[0]}</th>' + "".join(f"<td {pad}>{c}</td>" for c in r[1:]) + "</tr>" for r in rows
    )
    cap = f"<caption>{caption}</caption>" if caption else ""
    # On a phone a wide table scrolls inside its own box (display: block), never the page.
    box = 'style="display: block; max-width: 100%; overflow-x: auto"'
    return HTML(f'<table class="lstm-table" {box}>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')
