"""Sphinx extension for the book: the page chrome that Sphinx and its extensions write, made accessible.

axe-core (WCAG 2 A/AA, tests/book/test_browser.py) finds these in HTML the book's own pages do not
write; each is fixed here, where the HTML is produced, not in the built files:

- myst-nb's toggle of a hidden code cell (``hide-input``) is a ``<summary aria-label="Toggle hidden
  content">`` around the visible words "Show code cell source": a label that does not contain the
  visible text (axe ``label-content-name-mismatch``; speech users say what they see). Written
  without the ``aria-label``, its name is the visible text.
- docutils writes each bibliography entry as ``role="doc-biblioentry"`` inside ``role="list"``;
  that role is deprecated in DPUB-ARIA 1.1 (``aria-deprecated-role``), which leaves the list with
  children that are not list items (``aria-required-children``). Each entry becomes a ``listitem``.
- pydata-sphinx-theme's sidebar expands a chapter's sections with a ``<summary>`` holding only a
  chevron icon: a control without a name (``summary-name``). It gets ``aria-label="Sections of
  <chapter>"``.

The search button and the colour-mode switch are fixed by templates (book/_templates/, found before pydata-sphinx-theme's own components/).
Registered in _config.yml under sphinx.local_extensions.
"""
from __future__ import annotations

import types
from html import escape


def _visit_hidden_cell(self, node) -> None:
    # myst_nb.sphinx_.visit_HideCellInput, minus the aria-label (see the module docstring).
    classes = " ".join(node["classes"])
    self.body.append(f'<details class="admonition hide {classes}">\n<summary>\n')
    self.body.append(f'<p class="collapsed admonition-title">{escape(node["prompt_show"])}</p>\n')
    self.body.append(f'<p class="expanded admonition-title">{escape(node["prompt_hide"])}</p>\n')
    self.body.append("</summary>\n")


class _CitationsAsListItems:
    """Translator mixin: a bibliography entry is a ``listitem`` of docutils' ``role="list"``."""

    def visit_citation(self, node) -> None:
        # docutils.writers._html_base.HTMLTranslator.visit_citation, with role="listitem".
        if not isinstance(node.previous_sibling(), type(node)):
            self.body.append('<div role="list" class="citation-list">\n')
        self.body.append(self.starttag(node, "div", classes=[node.tagname], role="listitem"))


def _add_citation_mixin(app) -> None:
    # After pydata-sphinx-theme's own translator set-up (priority 500), in the same way: subclass
    # whatever translator is registered, so the theme's changes are kept.
    if app.builder.format != "html":
        return
    for name, klass in list(app.registry.translators.items()):
        app.set_translator(name, types.new_class("AccessibleHTMLTranslator", (_CitationsAsListItems, klass), {}),
                           override=True)


def _label_sidebar_toggles(nav):
    """Give each chevron-only ``<summary>`` of the sidebar (a BeautifulSoup tree, changed in place)
    the name of the chapter it expands."""
    for summary in nav.select("li > details > summary"):
        if summary.get_text(strip=True) or summary.get("aria-label"):
            continue  # a part caption inside the summary names it already
        link = summary.find_parent("li").find("a", recursive=False)
        title = link.get_text(" ", strip=True) if link else ""
        summary["aria-label"] = f"Sections of {title}" if title else "Sections"
    return nav


def _wrap_toctree(app, pagename, templatename, context, doctree) -> None:
    generate = context.get("generate_toctree_html")
    if generate is None or getattr(generate, "_labels_toggles", False):
        return

    def generate_toctree_html(*args, **kwargs):
        # pydata-sphinx-theme 0.17 returns a BeautifulSoup tree (its docstring says a string for
        # "sidebar"); both are handled, and only the sidebar has the chevron toggles.
        out = generate(*args, **kwargs)
        if hasattr(out, "select"):
            return _label_sidebar_toggles(out)
        if isinstance(out, str) and "<summary" in out:
            from bs4 import BeautifulSoup  # pydata-sphinx-theme's own dependency

            return str(_label_sidebar_toggles(BeautifulSoup(out, "html.parser")))
        return out

    generate_toctree_html._labels_toggles = True
    context["generate_toctree_html"] = generate_toctree_html


def setup(app):
    from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput

    app.add_node(HideCodeCellNode, override=True, html=(_visit_hidden_cell, depart_HideCellInput))
    app.connect("builder-inited", _add_citation_mixin, priority=900)
    # After pydata-sphinx-theme's add_toctree_functions (priority 500), which defines the function.
    app.connect("html-page-context", _wrap_toctree, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
