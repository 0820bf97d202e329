"""Does the built site give away no solution, anywhere: pages, _downloads, _sources, search index, archives?

Reads every file of ``_build/html`` (``python3 dev.py book`` builds it; or the folder named by
``LSTM_COURSE_BOOK_HTML``), and every member of every archive in it, as text: HTML with its tags
removed, notebooks as the strings of their JSON. None may hold an nbgrader solution marker, a
reference cell, a line of a solution body (``solutions.solution_lines``: the solution lines that
appear nowhere public) or a module of the instructor edition only. Every download of a notebook
must be the released student notebook, and the archive the release itself. Outside CI a missing
build skips, saying why; under ``CI=true`` the book is built first.
"""
from __future__ import annotations

import html
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath

import pytest

from lstm_course import course
from lstm_course.exercises.cells import BEGIN, END
from lstm_course.exercises.release import ARCHIVE, release
from lstm_course.exercises.solutions import INSTRUCTOR_ONLY, PACKAGE_DIR, instructor_only, solution_lines

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("LSTM_COURSE_BOOK_HTML", ROOT / "_build" / "html"))
IN_CI = os.environ.get("CI", "").lower() == "true"
BINARY = {".png", ".jpg", ".jpeg", ".gif", ".ico", ".woff", ".woff2", ".ttf", ".eot", ".otf", ".pdf"}
REFERENCE_CELL = "Instructor edition only (the release removes this cell)"


@pytest.fixture(scope="module")
def site() -> Path:
    if not (SITE / "index.html").exists() and IN_CI:
        subprocess.run([sys.executable, str(ROOT / "dev.py"), "book"], cwd=ROOT, check=True)
    if not (SITE / "index.html").exists():
        pytest.skip(f"no built book at {SITE}: run `python3 dev.py book` first")
    return SITE


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def texts(name: str, data: bytes):
    """(where, text) for every piece of text a site file holds, archives opened member by member."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix == ".zip":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                yield f"{name}!{info.filename}", info.filename  # the member's name is text too
                if not info.is_dir():
                    yield from texts(f"{name}!{info.filename}", zf.read(info))
        return
    if suffix in BINARY:
        return
    text = data.decode("utf-8", errors="replace")
    if suffix == ".ipynb":
        try:
            yield from ((name, s) for s in _strings(json.loads(text)))
            return
        except ValueError:
            pass
    if suffix in (".html", ".htm", ".xml", ".svg"):
        # Highlighted code is split into <span>s; without the tags each code line is one line again.
        yield name, html.unescape(re.sub(r"<[^>]+>", "", text))
    yield name, text


def site_texts(site: Path):
    for path in sorted(site.rglob("*")):
        if path.is_file():
            yield from texts(path.relative_to(site).as_posix(), path.read_bytes())


@pytest.fixture(scope="module")
def all_texts(site) -> list[tuple[str, str]]:
    return list(site_texts(site))


def test_does_no_file_of_the_site_hold_a_solution_marker_reference_cell_or_solution_line(all_texts):
    """Does no file of the site (archives opened) hold a solution marker, a reference cell or a solution line?"""
    secrets = solution_lines()
    assert len(secrets) > 50  # the test would be empty if the markers were not found
    # A marker is a line of its own; the package's code names the markers (cells.BEGIN) without being one.
    reference = re.compile(r"^(# " + re.escape(REFERENCE_CELL) + r"|from lstm_course\.[\w.]+ import \w+ as reference_\w+)")
    leaks = []
    for where, text in all_texts:
        for line in text.splitlines():
            s = line.strip()
            if s in (BEGIN, END) or reference.match(s) or s in secrets:
                leaks.append(f"{where}: {s}")
    assert leaks == []
    assert any("!" in where for where, _ in all_texts), "the site holds no archive: where is the student edition?"


def test_is_no_reference_cell_in_any_notebook_of_the_site(site):
    """Is no cell of any notebook of the site (archives opened) tagged as a reference cell?"""
    found = []
    for path in sorted(site.rglob("*")):
        if path.suffix not in (".ipynb", ".zip"):
            continue
        members = [(path.name, path.read_bytes())]
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                members = [(i.filename, zf.read(i)) for i in zf.infolist() if i.filename.endswith(".ipynb")]
        for name, data in members:
            for cell in json.loads(data).get("cells", []):
                meta = cell.get("metadata", {})
                if "reference" in meta.get("tags", []) or meta.get("lstm_course", {}).get("reference"):
                    found.append(f"{path.relative_to(site)}!{name}: cell {cell.get('id')}")
    assert found == []


def _distinctive_lines(rel: str) -> set[str]:
    """Lines of an instructor-only module that no released module holds (long enough to mean something)."""
    public = set()
    for path in PACKAGE_DIR.rglob("*.py"):
        if not instructor_only(path.relative_to(PACKAGE_DIR).as_posix()):
            public.update(line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    paths = [PACKAGE_DIR / rel] if not rel.endswith("/") else sorted((PACKAGE_DIR / rel).rglob("*.py"))
    own = {line.strip() for p in paths if p.is_file() for line in p.read_text(encoding="utf-8").splitlines()}
    return {s for s in own - public if len(s) >= 40 and not s.startswith("#")}


def test_does_no_file_of_the_site_hold_an_instructor_only_module(all_texts):
    """Does no file of the site hold a module of the instructor edition only (the check generator, the grader, ...)?"""
    for rel in INSTRUCTOR_ONLY:
        lines = _distinctive_lines(rel)
        assert len(lines) > 10, rel
        for where, text in all_texts:
            assert "lstm_course/" + rel.rstrip("/") not in where, f"{where} is instructor-only"
            shared = lines & {line.strip() for line in text.splitlines()}
            assert len(shared) < 3, f"{where} holds {len(shared)} lines of lstm_course/{rel}, e.g. {sorted(shared)[:3]}"


def _site_downloads(site: Path) -> dict[str, Path]:
    """{file name: path} of every download the site's pages link."""
    found = {}
    for page in site.rglob("*.html"):
        for href in re.findall(r'href="([^"#?]*_downloads/[^"#?]+)"', page.read_text(encoding="utf-8")):
            path = (page.parent / href).resolve()
            assert path.is_file(), f"{page.relative_to(site)} links {href}, which is not in the site"
            found.setdefault(path.name, path)
    return found


def test_does_every_download_serve_the_student_edition(site, tmp_path):
    """Is every linked notebook the released student notebook, and the archive exactly the release?"""
    downloads = _site_downloads(site)
    assert f"{ARCHIVE}.zip" in downloads, "no page links the student edition's archive"
    released = tmp_path / ARCHIVE
    release(released)
    with zipfile.ZipFile(downloads[f"{ARCHIVE}.zip"]) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}
    files = {f"{ARCHIVE}/{p.relative_to(released).as_posix()}": p.read_bytes() for p in released.rglob("*") if p.is_file()}
    stale = sorted(set(members) ^ set(files)) + [m for m in members if m in files and members[m] != files[m]]
    assert stale == [], "the site's archive is not what `lstm-course release` writes now (a build older than the sources? " \
                        "rebuild with `python3 dev.py book`)"
    notebooks = [n for n in downloads if n.endswith(".ipynb")]
    assert notebooks, "no page links an exercise notebook"
    for name in notebooks:
        assert name in course.NOTEBOOKS, name
        assert downloads[name].read_bytes() == files[f"{ARCHIVE}/exercises/{name}"], f"{name} is not the released notebook"
    for name in downloads:
        assert name.endswith((".ipynb", ".zip")), f"an unexpected download: {name}"


def test_does_no_page_link_the_instructor_repository_or_a_launch_service(site):
    """Does no page link the repository (the instructor edition) or open a notebook on Binder, Colab or a hub?"""
    import yaml

    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"].rstrip("/")
    services = ("mybinder.org", "colab.research.google.com", "hub/user-redirect/git-pull")
    found = []
    for page in sorted(site.rglob("*.html")):
        for href in re.findall(r'href="([^"]+)"', page.read_text(encoding="utf-8")):
            if href.startswith(repo) or any(s in href for s in services):
                found.append(f"{page.relative_to(site)}: {href}")
    assert found == []
