"""The marked solution bodies of the package, found with ``ast`` (instructor side).

A *marked function* is a top-level function of an ``lstm_course`` module whose body holds a
``### BEGIN SOLUTION`` line and a matching ``### END SOLUTION`` line. The code between the
markers is the solution; everything else (signature, docstring, argument validation above
BEGIN) is shared by both editions. Sync, release and the leak test all read this one list.
"""
from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass
from pathlib import Path

from .cells import BEGIN, END

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# Modules of the instructor edition only (they compute wrong variants from the reference);
# the release leaves them out, and their lines do not count as public.
# The grader's package holds the hidden checks: it never reaches learners either.
# Left out of the student edition: the check generator and the grader (they hold or call the
# reference), and the book's own computations (experiments/, torch_models.py, variants.py), which
# no exercise needs, which would not run without the fast path, and whose inline gate arithmetic
# and PyTorch cells would read as worked solutions.
INSTRUCTOR_ONLY = ("exercises/checkgen.py", "grading/", "experiments/", "torch_models.py", "variants.py")


def instructor_only(rel: str) -> bool:
    """Is the package file at ``rel`` (posix, relative to lstm_course/) left out of the student edition?"""
    return any(rel == p or (p.endswith("/") and rel.startswith(p)) for p in INSTRUCTOR_ONLY)


@dataclass(frozen=True)
class MarkedFunction:
    module: str  # "lstm_course.gates"
    name: str  # "forget_gate"
    path: Path
    start: int  # first line of the def (0-based, decorators included)
    end: int  # one past the last line
    begin: int  # line index of ### BEGIN SOLUTION
    stop: int  # line index of ### END SOLUTION

    @property
    def qualname(self) -> str:
        return f"{self.module}.{self.name}"

    def lines(self) -> list[str]:
        return self.path.read_text(encoding="utf-8").splitlines()

    def source(self) -> str:
        """The whole function, dedented, as written in the package."""
        return textwrap.dedent("\n".join(self.lines()[self.start:self.end])) + "\n"

    def body(self) -> list[str]:
        """The solution lines between the markers (markers excluded)."""
        return self.lines()[self.begin + 1:self.stop]

    def indent(self) -> str:
        line = self.lines()[self.begin]
        return line[: len(line) - len(line.lstrip())]


def marked_functions_in(path: Path, module: str) -> list[MarkedFunction]:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    found = []
    for node in ast.parse(text).body:
        if not isinstance(node, ast.FunctionDef):
            continue
        start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
        end = node.end_lineno
        # the AST ends at the last statement; the closing marker is a comment after it
        while end < len(lines) and lines[end].startswith((" ", "\t")) and lines[end].strip().startswith("#"):
            end += 1
        begins = [i for i in range(start, end) if lines[i].strip() == BEGIN]
        stops = [i for i in range(start, end) if lines[i].strip() == END]
        if not begins and not stops:
            continue
        if len(begins) != 1 or len(stops) != 1 or stops[0] < begins[0]:
            raise ValueError(f"{path}:{start + 1}: {node.name} needs exactly one {BEGIN!r} line followed by one {END!r} line")
        found.append(MarkedFunction(module, node.name, path, start, end, begins[0], stops[0]))
    return found


_CACHE: dict[tuple, dict[str, MarkedFunction]] = {}


def marked_functions(package_dir: Path = PACKAGE_DIR) -> dict[str, MarkedFunction]:
    """Every marked function of the package by qualified name (``lstm_course.gates.forget_gate``)."""
    paths = sorted(package_dir.rglob("*.py"))
    key = tuple((str(p), p.stat().st_mtime_ns) for p in paths)  # re-parse only when a file changed
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = _scan(package_dir, paths)
    return dict(_CACHE[key])


def _scan(package_dir: Path, paths: list[Path]) -> dict[str, MarkedFunction]:
    out: dict[str, MarkedFunction] = {}
    for path in paths:
        rel = path.relative_to(package_dir.parent).with_suffix("")
        module = ".".join(rel.parts)
        if module.endswith(".__init__"):
            module = module[: -len(".__init__")]
        for mf in marked_functions_in(path, module):
            out[mf.qualname] = mf
    return out


def solution_lines(package_dir: Path = PACKAGE_DIR) -> set[str]:
    """Stripped solution lines that appear nowhere else in the package: what must never be released.

    A line that also appears outside every solution body (``T, N, H = dh.shape`` in an
    unmarked function, a blank line, ``return h``) gives nothing away, so it is not a secret.
    """
    secret: set[str] = set()
    public: set[str] = set()
    marked = marked_functions(package_dir)
    inside: dict[Path, set[int]] = {}
    for mf in marked.values():
        inside.setdefault(mf.path, set()).update(range(mf.begin, mf.stop + 1))
        secret.update(line.strip() for line in mf.body())
    for path in sorted(package_dir.rglob("*.py")):
        if instructor_only(path.relative_to(package_dir).as_posix()):
            continue
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            if i not in inside.get(path, set()):
                public.add(line.strip())
    return {s for s in secret - public if s and not s.startswith("#") and len(s) > 3}
