"""Sphinx extension for the book: readers download the student edition, never the instructor's.

The repository's ``exercises/`` holds the instructor edition (solutions, reference cells). When
the book builds, this extension

* writes the student edition (``lstm-course release``) into ``_build/student/lstm-course-exercises/``
  and the same as one archive, ``_build/student/lstm-course-exercises.zip`` (only files whose bytes
  changed are rewritten, so a cached rebuild re-reads no page);
* makes every ``{download}`` of a file under ``exercises/`` serve the released copy of that file
  (it rewrites the link before Sphinx collects downloads); a link to a file the release does not
  write, or to anything of ``lstm_course/``, is a build error, as is any download still taken
  from the instructor's folders when the pages are written;
* gives the pages three things to say it with:

  ``{student-edition}`text```            a download link to the archive;
  ``{exercise-box} 02_forget_gate.ipynb``  a chapter's exercise box: the chapter's own sentence (the
                                         directive's content), the student notebook, the archive,
                                         and a link to the set-up (the intro's ``student-edition`` label);
  ``{student-setup}``                    the set-up commands, as the student README gives them.

Registered in _config.yml under sphinx.local_extensions.
"""
from __future__ import annotations

import filecmp
import os
import shutil
import tempfile
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective, SphinxRole

SETUP_LABEL = "student-edition"  # the intro's section with the set-up commands


def _paths(app) -> tuple[Path, Path, Path]:
    """(srcdir, the released folder, the archive)."""
    from lstm_course.exercises.release import ARCHIVE

    student = Path(app.outdir).parent / "student"
    return Path(app.srcdir), student / ARCHIVE, student / f"{ARCHIVE}.zip"


def _sync_tree(src: Path, dst: Path) -> None:
    """Make ``dst`` hold exactly the files of ``src``, rewriting only files whose bytes differ."""
    for path in sorted(src.rglob("*")):
        target = dst / path.relative_to(src)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif not (target.is_file() and filecmp.cmp(path, target, shallow=False)):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    for path in sorted(dst.rglob("*"), reverse=True):
        if not (src / path.relative_to(dst)).exists():
            path.unlink() if path.is_file() or path.is_symlink() else path.rmdir()


def build_student_edition(app) -> None:
    from lstm_course.exercises.release import release, zip_edition

    _, folder, archive = _paths(app)
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / folder.name
        release(fresh)
        _sync_tree(fresh, folder)
        zipped = zip_edition(fresh, Path(tmp) / archive.name)
        if not (archive.is_file() and filecmp.cmp(zipped, archive, shallow=False)):
            archive.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(zipped, archive)


def _docpath(app, path: Path) -> str:
    """``path`` as a download target: absolute targets are relative to the source folder."""
    return "/" + os.path.relpath(path, app.srcdir).replace(os.sep, "/")


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def serve_released_downloads(app, doctree) -> None:
    """Point each download of ``exercises/X`` at the released ``X`` (runs before Sphinx collects downloads)."""
    srcdir, folder, _ = _paths(app)
    for node in doctree.findall(addnodes.download_reference):
        target = node["reftarget"]
        if "://" in target:
            continue
        _, filename = app.env.relfn2path(target, app.env.docname)
        filename = Path(filename)
        if _inside(filename, srcdir / "lstm_course"):
            raise ExtensionError(f"{app.env.docname}: the download {target} serves the instructor's package; "
                                 "link the student edition instead ({student-edition}`...`)")
        if _inside(filename, srcdir / "exercises"):
            released = folder / "exercises" / filename.resolve().relative_to((srcdir / "exercises").resolve())
            if not released.is_file():
                raise ExtensionError(f"{app.env.docname}: the download {target} is not part of the student edition "
                                     f"(no {released.relative_to(folder)} was released); link a released notebook")
            node["reftarget"] = _docpath(app, released)


def refuse_instructor_downloads(app, env) -> None:
    """Last guard, when every page has been read: no download may come from the instructor's folders."""
    srcdir = Path(app.srcdir)
    for rel in env.dlfiles:
        path = srcdir / rel
        if _inside(path, srcdir / "exercises") or _inside(path, srcdir / "lstm_course"):
            docs = ", ".join(sorted(env.dlfiles[rel][0]))
            raise ExtensionError(f"{docs}: the download {rel} is instructor material; the site must serve the student edition")


def _download(app, docname: str, target: Path, text: str, literal: bool = False) -> addnodes.download_reference:
    inner = nodes.literal(text, text) if literal else nodes.inline(text, text)
    return addnodes.download_reference("", "", inner, reftarget=_docpath(app, target), refdoc=docname,
                                       refdomain="", reftype="download", refexplicit=True, refwarn=False)


class StudentEditionRole(SphinxRole):
    """``{student-edition}`Download the exercises``: a download link to the archive."""

    def run(self):
        _, _, archive = _paths(self.env.app)
        return [_download(self.env.app, self.env.docname, archive, self.text or archive.name)], []


def _setup_xref(text: str) -> addnodes.pending_xref:
    return addnodes.pending_xref("", nodes.inline(text, text), refdomain="std", reftype="ref",
                                 reftarget=SETUP_LABEL, refexplicit=True, refwarn=True)


class ExerciseBox(SphinxDirective):
    """A chapter's exercise box: ``{exercise-box} 02_forget_gate.ipynb`` with the chapter's sentence as content."""

    required_arguments = 1
    has_content = True
    option_spec = {"class": directives.class_option}

    def run(self):
        from lstm_course import course

        notebook = self.arguments[0]
        if notebook not in course.NOTEBOOKS:
            raise self.error(f"exercise-box: {notebook!r} is not an exercise notebook; known: {', '.join(course.NOTEBOOKS)}")
        app = self.env.app
        _, folder, archive = _paths(app)
        box = nodes.admonition(classes=["exercise-box", "tip"] + self.options.get("class", []))
        box += nodes.title("", "Exercise")
        if self.content:
            self.state.nested_parse(self.content, self.content_offset, box)
        para = nodes.paragraph()
        para += nodes.Text("Download ")
        para += _download(app, self.env.docname, folder / "exercises" / notebook, notebook, literal=True)
        para += nodes.Text(" (this chapter's notebook) or ")
        para += _download(app, self.env.docname, archive, archive.name, literal=True)
        para += nodes.Text(" (every exercise notebook with the course's package, check data and data sets). "
                           "The first time, take the archive and ")
        para += _setup_xref("set it up")
        para += nodes.Text(": five short commands, and the notebook opens in JupyterLab.")
        box += para
        return [box]


class StudentSetup(SphinxDirective):
    """``{student-setup}``: the learner's set-up commands and notes, from the release (one source)."""

    def run(self):
        from lstm_course.exercises.release import SETUP_COMMANDS, SETUP_NOTES

        text = "\n".join(SETUP_COMMANDS)
        block = nodes.literal_block(text, text, language="bash")
        notes = nodes.bullet_list()
        for note in SETUP_NOTES:
            item = nodes.list_item()
            self.state.nested_parse(StringList([note], source="lstm_course.exercises.release.SETUP_NOTES"), 0, item)
            notes += item
        return [block, notes]


def setup(app):
    app.connect("builder-inited", build_student_edition)
    # Before Sphinx's own download collector (priority 500) reads the links.
    app.connect("doctree-read", serve_released_downloads, priority=400)
    app.connect("env-updated", refuse_instructor_downloads)
    app.add_role("student-edition", StudentEditionRole())
    app.add_directive("exercise-box", ExerciseBox)
    app.add_directive("student-setup", StudentSetup)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
