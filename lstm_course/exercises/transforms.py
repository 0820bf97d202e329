"""The release's notebook transforms, one job each, in the style of nbgrader's preprocessors.

Each transform is a small class: ``transform(nb) -> nb`` (it may modify ``nb`` in place).
:data:`RELEASE` is the declared pipeline; the comments say why the order matters.
"""
from __future__ import annotations

from .cells import BEGIN, END, STUB_LINES, Notebook, is_reference, source


class Transform:
    """Base: one job on a notebook dict."""

    def __call__(self, nb: Notebook) -> Notebook:
        nb["cells"] = [c for c in (self.cell(c) for c in nb["cells"]) if c is not None]
        return nb

    def cell(self, cell: dict) -> dict | None:
        return cell


class DropReferenceCells(Transform):
    """Remove every instructor-only reference cell (tag ``reference``); learners never see the reference."""

    def cell(self, cell):
        return None if is_reference(cell) else cell


class ClearSolutions(Transform):
    """Replace each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region by nbgrader's stub.

    The stub keeps the marker's indentation: ``# YOUR CODE HERE`` then ``raise NotImplementedError()``.
    Works on any code cell holding markers, graded or not; unbalanced markers are an error.
    """

    def cell(self, cell):
        if cell.get("cell_type") != "code" or (BEGIN not in source(cell) and END not in source(cell)):
            return cell
        out, inside = [], False
        for line in source(cell).split("\n"):
            stripped = line.strip()
            if stripped == BEGIN:
                if inside:
                    raise ValueError(f"cell {cell.get('id')}: {BEGIN!r} twice without {END!r}")
                inside = True
                indent = line[: len(line) - len(line.lstrip())]
                out += [indent + s for s in STUB_LINES]
            elif stripped == END:
                if not inside:
                    raise ValueError(f"cell {cell.get('id')}: {END!r} without {BEGIN!r}")
                inside = False
            elif not inside:
                out.append(line)
        if inside:
            raise ValueError(f"cell {cell.get('id')}: {BEGIN!r} without {END!r}")
        cell["source"] = "\n".join(out)
        return cell


class ClearOutputs(Transform):
    """Empty every code cell's outputs and execution count: the instructor's outputs show solutions at work."""

    def cell(self, cell):
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
        for key in ("execution", "collapsed", "scrolled"):
            cell.get("metadata", {}).pop(key, None)
        return cell


class StripInstructorMetadata(Transform):
    """Drop instructor-side metadata (``lstm_course.reference``, notebook widget state); keep nbgrader's
    metadata and the ``setup``/``graded``/``check`` tags, which the loader and the grader read."""

    def __call__(self, nb):
        nb.get("metadata", {}).pop("widgets", None)
        return super().__call__(nb)

    def cell(self, cell):
        meta = cell.get("metadata", {}).get("lstm_course")
        if isinstance(meta, dict):
            meta.pop("reference", None)
        return cell


class AssertNoSolutionLeft(Transform):
    """Fail the release if any marker or reference cell survived the transforms before it."""

    def cell(self, cell):
        text = source(cell)
        if BEGIN in text or END in text or is_reference(cell):
            raise ValueError(f"cell {cell.get('id')} still holds instructor content after the release transforms")
        return cell


# Order: reference cells go first (they hold the reference's name, and clearing them would be
# wasted work); solutions before outputs (any order works, but a failure in ClearSolutions should
# stop the release before anything is written); the assertion last, on the final notebook.
RELEASE: tuple[Transform, ...] = (
    DropReferenceCells(),
    ClearSolutions(),
    ClearOutputs(),
    StripInstructorMetadata(),
    AssertNoSolutionLeft(),
)


def apply(nb: Notebook, transforms: tuple[Transform, ...] = RELEASE) -> Notebook:
    for t in transforms:
        nb = t(nb)
    return nb
