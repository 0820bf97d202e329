"""Sphinx extension for the book: each page loads each script once.

sphinx-thebe (always loaded by Jupyter Book, even with Thebe off) registers an inline script
declaring ``const THEBE_JS_URL``, and with Sphinx 7 it reaches every page twice; the second
copy is a JavaScript error ("Identifier 'THEBE_JS_URL' has already been declared") in the
console of every page. This keeps the first of identical script entries (same file, same
inline body) when a page is rendered. Registered in _config.yml under sphinx.local_extensions.
"""
from __future__ import annotations


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        attrs = getattr(js, "attributes", {})
        # Priority is where a copy was registered, not what it is: two copies differ only there.
        # Inline scripts are registered with filename None by one path and "" by the other.
        key = (str(getattr(js, "filename", js) or ""), tuple(sorted((k, str(v)) for k, v in attrs.items() if k != "priority")))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    # In place: script_files is the builder's own list, which later handlers still append to.
    scripts[:] = unique


def setup(app):
    # Early (priority < 500): Sphinx stops calling html-page-context handlers after the first one
    # that returns a template name. The duplicates are site-wide, so they are present already.
    app.connect("html-page-context", _dedupe_scripts, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
