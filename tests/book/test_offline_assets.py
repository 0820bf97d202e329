"""Is everything the built pages load from _static really in the repository, as recorded?"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "book" / "_static"


def _config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def test_are_mathjax_and_the_widget_manager_served_from_the_book():
    sphinx = _config()["sphinx"]["config"]
    assert sphinx["html_static_path"] == ["book/_static"]
    local = [sphinx["mathjax_path"], *sphinx["nb_ipywidgets_js"]]
    for rel in local:
        assert "://" not in rel, f"{rel} would load from the network"
        assert (STATIC / rel).is_file(), f"{rel} is configured but missing from book/_static"
    # MathJax finds its fonts and on-demand TeX extensions next to itself.
    assert list((STATIC / "mathjax/output/chtml/fonts/woff-v2").glob("*.woff"))
    assert (STATIC / "mathjax/input/tex/extensions/ams.js").is_file()


def test_do_the_vendored_files_match_the_recorded_versions():
    table = (STATIC / "VENDORED.md").read_text()
    recorded = dict(re.findall(r"`([\w./-]+\.js)` ([0-9a-f]{64})", table))
    assert set(recorded) == {"embed-amd.js", "tex-mml-chtml.js", "axe.min.js"}
    files = {"embed-amd.js": STATIC / "jupyter-widgets/embed-amd.js", "tex-mml-chtml.js": STATIC / "mathjax/tex-mml-chtml.js",
             "axe.min.js": STATIC / "axe-core/axe.min.js"}
    for name, path in files.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == recorded[name], f"{path} differs from VENDORED.md"
    require_sha = re.search(r"\| `requirejs/` .*\| ([0-9a-f]{64}) \|", table).group(1)
    assert hashlib.sha256((STATIC / "requirejs/require.js").read_bytes()).hexdigest() == require_sha


def test_does_every_font_the_widget_manager_asks_for_exist():
    """embed-amd.js names its Font Awesome files by hash; the woff2/woff ones must be beside it."""
    js = (STATIC / "jupyter-widgets/embed-amd.js").read_text()
    wanted = set(re.findall(r"([0-9a-f]{20}\.woff2?)", js))
    assert wanted, "no font references found: has the bundle changed?"
    missing = [f for f in wanted if not (STATIC / "jupyter-widgets" / f).is_file()]
    assert not missing, missing


def test_are_the_books_own_css_and_js_loaded_from_static():
    """book.css and widget-labels.js are configured, present, and reference nothing on the network."""
    sphinx = _config()["sphinx"]["config"]
    assert sphinx["html_css_files"] == ["book.css"] and sphinx["html_js_files"] == ["widget-labels.js"]
    for rel in ("book.css", "widget-labels.js"):
        text = (STATIC / rel).read_text()
        assert "://" not in text, f"{rel} refers to the network"
    assert "axe" not in " ".join(sphinx["html_js_files"]), "axe-core is for the tests, not for readers' pages"
