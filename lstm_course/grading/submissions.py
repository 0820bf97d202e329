"""Reading a class's submissions without trusting them: entries, zip files, notebooks, graded cells.

``SUBMISSIONS/`` holds one entry per learner: a folder or a ``.zip`` of their exercise notebooks,
named as released; the entry's name (without ``.zip``) is the learner's id. Nothing here runs
learner code; it only reads bytes, with limits:

* a notebook saved under another name ("06_math (1).ipynb", "Copy of 06_math.ipynb") is graded as
  the released one when exactly one file can be it, and the feedback says so; Jupyter's
  checkpoints and macOS resource forks are never taken for notebooks;
* zip members are read into memory, never extracted: names that are absolute or climb out
  (``..``), symlinks, encrypted members, members larger than :data:`MAX_NOTEBOOK` or archives
  whose members add up to more than :data:`MAX_TOTAL` are skipped, each with a note;
* in folders, symbolic links are never followed (a link could point at the hidden checks);
* a notebook that is not valid JSON, a graded cell deleted, duplicated, renamed or with the
  wrong signature, and imports the course forbids are reported per exercise with a reason.
"""
from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from .. import course
from .checks import SPECS

MAX_NOTEBOOK = 5 * 2**20  # bytes per notebook
MAX_TOTAL = 64 * 2**20  # bytes of notebooks read per learner
MAX_MEMBERS = 500  # entries in one zip
MAX_SOURCE = 200_000  # characters in one graded cell
MAX_DEPTH = 3  # folder levels searched for notebooks
# Any printable name (it becomes a file name: no slashes, no leading dot, at most 100 characters).
LEARNER_ID = re.compile(r"^[^./\\\x00-\x1f\x7f][^/\\\x00-\x1f\x7f]{0,99}$")
DEFAULT_FORBIDDEN = ("torch", "tensorflow", "jax", "keras", "sklearn", "scipy")


@dataclass
class Submission:
    learner: str
    notebooks: dict[str, bytes] = field(default_factory=dict)  # released file name -> bytes
    notes: list[str] = field(default_factory=list)  # problems with the entry itself
    rejected: str | None = None  # the whole entry could not be read
    others: dict[str, bytes] = field(default_factory=dict)  # other .ipynb files found (path -> bytes)
    modified: float | None = None  # newest modification time of the notebooks read (epoch seconds)
    missing: dict[str, str] = field(default_factory=dict)  # released name -> why no file could stand in

    def digest(self) -> str:
        h = hashlib.sha256()
        for name in sorted(self.notebooks):
            h.update(name.encode() + b"\0" + hashlib.sha256(self.notebooks[name]).digest())
        h.update(json.dumps([self.notes, self.rejected]).encode())
        return h.hexdigest()


@dataclass
class Exercise:
    """One exercise as found in a submission: the graded cell's source, or why there is none."""

    name: str
    source: str | None = None
    imports: list[str] = field(default_factory=list)
    reason: str | None = None  # set when the exercise cannot be run at all (0 points)
    notes: list[str] = field(default_factory=list)


def discover(root: Path) -> list[tuple[str, Path]]:
    """(learner id, path) for every entry of ``root``, sorted by id; odd names are kept, and
    reported when read."""
    root = Path(root)
    if not root.is_dir():
        raise NotADirectoryError(f"SUBMISSIONS must be a folder with one entry per learner; {root} is not a folder")
    out = []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.name.startswith("."):
            continue
        learner = entry.name[:-4] if entry.name.lower().endswith(".zip") else entry.name
        out.append((learner, Path(entry.path)))
    return out


def read(learner: str, path: Path) -> Submission:
    sub = Submission(learner)
    if not LEARNER_ID.fullmatch(learner):
        sub.rejected = (f"the entry name {learner[:60]!r} is not a usable learner id (at most 100 printable "
                        "characters, no slash, not starting with a dot); rename it")
        return sub
    try:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            sub.rejected = "the entry is a symbolic link; links are not followed. Copy the real folder or zip here"
        elif stat.S_ISDIR(st.st_mode):
            _read_folder(Path(path), sub)
        elif stat.S_ISREG(st.st_mode) and path.name.lower().endswith(".zip"):
            _read_zip(Path(path), sub)
        else:
            sub.rejected = "the entry is neither a folder nor a .zip file"
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError) as e:
        sub.rejected = f"the entry could not be read: {type(e).__name__}: {e}"[:500]
    if not sub.rejected:
        match_renamed(sub)
    if not sub.rejected and not sub.notebooks:
        sub.notes.append("no exercise notebook found (expected files named " + ", ".join(course.NOTEBOOKS[:7]) + ")")
    return sub


def _accept(sub: Submission, rel: str, data: bytes) -> None:
    name = PurePosixPath(rel).name
    if name not in course.NOTEBOOKS:
        sub.others.setdefault(rel, data)
        return
    if name in sub.notebooks:
        sub.notes.append(f"{name} appears more than once; graded the first one found ({rel} was ignored)")
        return
    sub.notebooks[name] = data


def _is_notebook_file(rel: str) -> bool:
    """An .ipynb a learner may have saved: not a Jupyter checkpoint, not a macOS resource fork."""
    parts = PurePosixPath(rel.replace("\\", "/")).parts
    return (rel.lower().endswith(".ipynb") and not any(p.startswith((".", "__MACOSX")) for p in parts)
            and not parts[-1].lower().endswith("-checkpoint.ipynb"))


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _names_it(found: str, released: str) -> bool:
    """Could the file ``found`` be the released notebook ``released`` saved under another name?"""
    k = f"_{_key(PurePosixPath(found).stem)}_"
    full = _key(PurePosixPath(released).stem)
    short = re.sub(r"^\d+_", "", full)  # "06_math" -> "math": a prefix dropped or renumbered
    return f"_{full}_" in k or f"_{short}_" in k


def match_renamed(sub: Submission) -> None:
    """Grade a notebook saved under another name as the released one when the match is unambiguous."""
    claims: dict[str, list[str]] = {}
    for rel in sorted(sub.others):
        could = [nb for nb in course.NOTEBOOKS if _names_it(rel, nb)]
        if len(could) == 1:
            claims.setdefault(could[0], []).append(rel)
    for nb, rels in claims.items():
        shown = " and ".join(repr(r) for r in rels)
        if nb in sub.notebooks:
            sub.notes.append(f"found {shown} besides {nb!r}; graded {nb!r}")
        elif len(rels) == 1:
            sub.notebooks[nb] = sub.others[rels[0]]
            sub.notes.append(f"found {rels[0]!r}; expected {nb!r}: graded it as {nb} (save it as {nb} next time)")
        else:
            sub.missing[nb] = (f"found {shown}, which could each be it: submit one of them, named {nb!r}")
    unmatched = sorted(r for r in sub.others if not any(r in rels for rels in claims.values()))
    if unmatched:
        for nb in course.NOTEBOOKS:
            if nb not in sub.notebooks and nb not in sub.missing:
                sub.missing[nb] = "the other notebooks found, " + ", ".join(repr(r) for r in unmatched[:5]) + \
                    (" ...," if len(unmatched) > 5 else "") + " do not look like it"


def _read_folder(root: Path, sub: Submission) -> None:
    total = 0
    stack = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            rel = os.path.relpath(entry.path, root)
            if entry.is_symlink():
                sub.notes.append(f"{rel} is a symbolic link; it was not followed")
            elif entry.is_dir(follow_symlinks=False):
                if depth + 1 < MAX_DEPTH:
                    stack.append((Path(entry.path), depth + 1))
            elif entry.is_file(follow_symlinks=False) and _is_notebook_file(rel):
                size = entry.stat(follow_symlinks=False).st_size
                if size > MAX_NOTEBOOK or total + size > MAX_TOTAL:
                    sub.notes.append(f"{rel} is {size} bytes, over the {MAX_NOTEBOOK // 2**20} MiB limit; skipped")
                    continue
                fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW)
                with os.fdopen(fd, "rb") as f:
                    data = f.read(MAX_NOTEBOOK + 1)
                    mtime = os.fstat(f.fileno()).st_mtime
                total += len(data)
                sub.modified = max(sub.modified or mtime, mtime)
                _accept(sub, rel, data)


def _read_zip(path: Path, sub: Submission) -> None:
    total = 0
    with zipfile.ZipFile(path) as zf:
        members = zf.infolist()
        if len(members) > MAX_MEMBERS:
            sub.rejected = f"the zip holds {len(members)} entries (limit {MAX_MEMBERS}); zip only the notebooks"
            return
        for info in members:
            name = info.filename
            parts = PurePosixPath(name.replace("\\", "/")).parts
            if name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", name):
                sub.notes.append(f"zip entry {name[:100]!r} would be written outside the submission; skipped")
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                sub.notes.append(f"zip entry {name[:100]!r} is a symbolic link; skipped")
                continue
            if info.is_dir() or not _is_notebook_file(name):
                continue
            if len(parts) > MAX_DEPTH:
                continue
            if info.flag_bits & 0x1:
                sub.notes.append(f"zip entry {name!r} is encrypted; skipped")
                continue
            if info.file_size > MAX_NOTEBOOK or total + info.file_size > MAX_TOTAL:
                sub.notes.append(f"zip entry {name!r} unpacks to {info.file_size} bytes, over the "
                                 f"{MAX_NOTEBOOK // 2**20} MiB limit; skipped")
                continue
            with zf.open(info) as f:
                data = f.read(MAX_NOTEBOOK + 1)  # never trust the declared size alone
            if len(data) > MAX_NOTEBOOK:
                sub.notes.append(f"zip entry {name!r} unpacks to more than {MAX_NOTEBOOK // 2**20} MiB; skipped")
                continue
            total += len(data)
            try:  # a zip stores local wall-clock times
                mtime = datetime(*info.date_time).astimezone().timestamp()
                sub.modified = max(sub.modified or mtime, mtime)
            except ValueError:
                pass
            _accept(sub, name, data)


# --------------------------------------------------------------------------- notebooks and cells
def _cells(data: bytes, nb_name: str) -> list[dict]:
    try:
        nb = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ValueError(f"{nb_name} is not a valid notebook (not JSON: {str(e)[:120]}); "
                         "re-download the released notebook and copy your code back in") from None
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        raise ValueError(f"{nb_name} is not a valid notebook (no list of cells)")
    return [c for c in cells if isinstance(c, dict)]


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    if isinstance(src, list):
        return "".join(s for s in src if isinstance(s, str))
    return src if isinstance(src, str) else ""


def _grade_id(cell: dict) -> str | None:
    meta = cell.get("metadata")
    nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
    if isinstance(nbg, dict) and nbg.get("solution") and isinstance(nbg.get("grade_id"), str):
        return nbg["grade_id"]
    return None


@functools.lru_cache(maxsize=1024)  # a class's notebooks share most of their non-graded cells
def _import_lines(source: str, forbidden: tuple[str, ...]) -> tuple[str, ...]:
    if "import" not in source:
        return ()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return ()
    lines = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if not any(m.split(".")[0] in forbidden for m in mods):
                lines.append(ast.unparse(node))
    return tuple(lines)


def _forbidden_used(tree: ast.AST, forbidden: tuple[str, ...], source: str) -> list[str]:
    if not any(name in source for name in forbidden):
        return []  # no module name even appears: nothing to walk for
    used = []
    for node in ast.walk(tree):
        mods = []
        if isinstance(node, ast.Import):
            mods = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            mods = [node.module]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str) and (
                    (isinstance(node.func, ast.Name) and node.func.id == "__import__")
                    or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")):
            mods = [node.args[0].value]
        used += [m for m in mods if m.split(".")[0] in forbidden]
    return sorted(set(used))


def _signature_problem(fn: ast.FunctionDef, expected: tuple[str, ...]) -> str | None:
    a = fn.args
    positional = [p.arg for p in a.posonlyargs + a.args]
    n_defaults = len(a.defaults)
    required = positional[: len(positional) - n_defaults] if n_defaults else positional
    if positional[: len(expected)] != list(expected) or len(required) > len(expected):
        return (f"wrong signature: expected {fn.name}({', '.join(expected)}), found {fn.name}({', '.join(positional)}); "
                "keep the released signature")
    return None


def exercises(sub: Submission, forbidden: tuple[str, ...] = DEFAULT_FORBIDDEN) -> dict[str, Exercise]:
    """Every course exercise as found in ``sub`` (in course order)."""
    out: dict[str, Exercise] = {}
    parsed: dict[str, list[dict] | str] = {}
    imports: dict[str, list[str]] = {}
    for ex in course.EXERCISES:
        found = Exercise(ex.name)
        out[ex.name] = found
        if sub.rejected:
            found.reason = sub.rejected
            continue
        if ex.notebook not in sub.notebooks:
            why = sub.missing.get(ex.notebook)
            found.reason = f"{ex.notebook} is not in the submission" + (f"; {why}" if why else
                                                                         " (name the file exactly as released)")
            continue
        if ex.notebook not in parsed:
            try:
                parsed[ex.notebook] = _cells(sub.notebooks[ex.notebook], ex.notebook)
            except ValueError as e:
                parsed[ex.notebook] = str(e)
        cells = parsed[ex.notebook]
        if isinstance(cells, str):
            found.reason = cells
            continue
        graded = [c for c in cells if c.get("cell_type") == "code" and _grade_id(c) == ex.name]
        if not graded:
            elsewhere = [i for i, c in enumerate(cells) if c.get("cell_type") == "code"
                         and re.search(rf"^def {re.escape(ex.name)}\s*\(", _source(c), re.M)]
            found.reason = (f"the graded cell {ex.name!r} is missing from {ex.notebook} (deleted, or its metadata was lost)"
                            + (f"; a def {ex.name} in cell {elsewhere[0] + 1} has no grading metadata and was not graded"
                               if elsewhere else "") + ". Copy your code into the released notebook's graded cell")
            continue
        if len(graded) > 1:
            found.notes.append(f"the graded cell {ex.name!r} appears {len(graded)} times in {ex.notebook}; "
                               "the last one was graded (it is the definition that wins when the notebook runs)")
        source = _source(graded[-1])
        if len(source) > MAX_SOURCE:
            found.reason = f"the graded cell is {len(source)} characters long (limit {MAX_SOURCE})"
            continue
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError) as e:
            line = f" on line {e.lineno}" if getattr(e, "lineno", None) else ""
            found.reason = f"the graded cell has a syntax error{line}: {getattr(e, 'msg', e)}"
            continue
        defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        fn = next((n for n in reversed(defs) if n.name == ex.name), None)
        if fn is None:
            names = ", ".join(n.name for n in defs) or "none"
            found.reason = f"the graded cell defines no function named {ex.name} (functions defined: {names}); keep the released name"
            continue
        problem = _signature_problem(fn, SPECS[ex.name].signature)
        if problem:
            found.reason = problem
            continue
        bad = _forbidden_used(tree, forbidden, source)
        if bad:
            found.reason = f"uses {', '.join(bad)}, which this course forbids in graded code (write it with NumPy)"
            continue
        found.source = source
        if ex.notebook not in imports:
            imports[ex.notebook] = [line for c in cells if c.get("cell_type") == "code" and _grade_id(c) is None
                                    for line in _import_lines(_source(c), tuple(forbidden))]
        found.imports = imports[ex.notebook]
    return out
