"""Do the built pages render in a real browser, offline: title, math, images, widgets, no console errors?

Opens every page of ``_build/html`` (the pages listed in ``_toc.yml``) in headless Chromium over a
localhost HTTP server started here, and saves a screenshot of each to
``test-artifacts/screenshots/``. Chromium gets no network beyond localhost (background
networking off, and the book serves MathJax and the widget manager from ``_static``), so a page
that still needed a CDN would log a failed request and fail the console check.

Where the book is built: ``_build/html`` (``python3 dev.py test`` builds it first), or the folder
named by ``LSTM_COURSE_BOOK_HTML``. Outside CI a missing build or a missing Chromium skips these
tests, saying why; under ``CI=true`` they must run.
"""
from __future__ import annotations

import functools
import hashlib
import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("LSTM_COURSE_BOOK_HTML", ROOT / "_build" / "html"))
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
SHOTS = ROOT / "test-artifacts" / "screenshots"
IN_CI = os.environ.get("CI", "").lower() == "true"


def _toc_pages() -> list[str]:
    """Every page of the book, as its path without suffix (book/intro, book/01_why_lstms, ...)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]

    def walk(entries):
        for e in entries or []:
            if "file" in e:
                pages.append(e["file"])
            walk(e.get("sections"))
            walk(e.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return pages


PAGES = _toc_pages()


def _need(ok: bool, why: str) -> None:
    if not ok:
        if IN_CI:
            pytest.fail(f"{why} (CI=true: the browser tests must run; dev.py installs Chromium and builds the book)")
        pytest.skip(why)


@pytest.fixture(scope="module")
def site() -> Path:
    if not (SITE / "index.html").exists() and IN_CI:
        subprocess.run([sys.executable, str(ROOT / "dev.py"), "book"], cwd=ROOT, check=True)
    _need((SITE / "index.html").exists(), f"no built book at {SITE}: run `python3 dev.py book` first")
    return SITE


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output readable
        pass

    def do_GET(self):
        # The book has no favicon; answer Chromium's automatic request with "no content" rather
        # than a 404 that would show up as a console error on every page.
        if self.path == "/favicon.ico":
            self.send_response(204)
            self.end_headers()
            return
        super().do_GET()


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def driver(tmp_path_factory, server):
    _need(CHROMIUM.exists() and CHROMEDRIVER.exists(),
          "Chromium not installed: `apt-get install chromium chromium-driver` (dev.py does it as root)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--window-size=1280,1600", f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    drv.set_page_load_timeout(60)
    drv.set_script_timeout(60)
    yield drv
    drv.quit()


def _open(driver, server: str, page: str) -> list[dict]:
    """Load a page, wait for MathJax and the widgets, return the console messages it logged."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("browser")  # drop what an earlier page left
    driver.get(f"{server}/{page}.html")
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
    # MathJax 3 resolves startup.promise once the first typeset pass is done.
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "if (window.MathJax && MathJax.startup && MathJax.startup.promise) {"
        "  MathJax.startup.promise.then(() => done(true), () => done(false)); } else { done(null); }"
    )
    n_views = driver.execute_script(
        "return document.querySelectorAll('script[type=\"application/vnd.jupyter.widget-view+json\"]').length")
    if n_views:
        WebDriverWait(driver, 30).until(lambda d: d.execute_script(
            "return document.querySelectorAll('.widget-subarea .jupyter-widgets').length") > 0)
    WebDriverWait(driver, 30).until(lambda d: d.execute_script(
        "return Array.from(document.images).every(i => i.complete)"))
    return driver.get_log("browser")


@pytest.mark.parametrize("page", PAGES)
def test_does_the_page_render_offline_with_math_images_and_widgets(driver, server, page):
    if not (SITE / f"{page}.html").exists():
        pytest.fail(f"{page}.html was not built (it is in _toc.yml)")
    logs = _open(driver, server, page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    # A full-page screenshot: grow the window to the page's height first (capped: very long pages).
    height = driver.execute_script("return Math.min(document.documentElement.scrollHeight, 12000)")
    driver.set_window_size(1280, max(900, height))
    driver.save_screenshot(str(SHOTS / f"{page.replace('/', '__')}.png"))
    driver.set_window_size(1280, 1600)

    h1 = driver.execute_script("const h = document.querySelector('main h1, article h1'); return h ? h.textContent : ''")
    h1 = h1.replace("#", "").strip()
    assert h1, f"{page}: no <h1> heading"
    assert driver.title.startswith(h1), f"{page}: <title> {driver.title!r} does not start with the heading {h1!r}"

    # Math: every math node Sphinx wrote has been typeset, and no raw $$ is left in the prose.
    math = driver.execute_script(
        "return [document.querySelectorAll('.math').length,"
        " document.querySelectorAll('.math mjx-container, mjx-container').length]")
    if math[0]:
        assert math[1] >= math[0], f"{page}: {math[0]} math nodes but only {math[1]} typeset by MathJax"
    prose = driver.execute_script(
        "const b = document.querySelector('main').cloneNode(true);"
        "b.querySelectorAll('pre, code, script, style, .cell_input, mjx-container').forEach(e => e.remove());"
        "return b.textContent;")
    assert "$$" not in prose, f"{page}: raw $$ in the rendered text (math not parsed)"

    broken = driver.execute_script(
        "return Array.from(document.images).filter(i => !(i.naturalWidth > 0)).map(i => i.src.slice(0, 120))")
    assert not broken, f"{page}: images failed to load: {broken}"

    views, rendered = driver.execute_script(
        "const s = document.querySelectorAll('script[type=\"application/vnd.jupyter.widget-view+json\"]');"
        "let ok = 0; s.forEach(e => { const p = e.previousElementSibling;"
        "  if (p && p.classList.contains('widget-subarea') && p.querySelector('.jupyter-widgets')) ok++; });"
        "return [s.length, ok];")
    assert rendered == views, f"{page}: {views} widget views in the page, {rendered} rendered"
    if (SITE / f"{page}.html").read_text().count("widget-view+json"):
        assert views > 0

    errors = [e["message"] for e in logs if e["level"] == "SEVERE"]
    assert not errors, f"{page}: console errors:\n" + "\n".join(errors)


def _visible_picture(driver) -> str:
    """A hash of the pixels of the explorer picture currently shown (hidden Stack children excluded)."""
    return driver.execute_script(
        "const img = Array.from(document.querySelectorAll('.lstm-explorer img'))"
        "  .find(i => i.offsetParent !== null && i.naturalWidth > 0);"
        "if (!img) return null;"
        "const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;"
        "c.getContext('2d').drawImage(img, 0, 0); return c.toDataURL();")


def test_does_moving_a_slider_change_the_picture_without_a_kernel(driver, server):
    from selenium.webdriver.common.keys import Keys

    page = "book/01_why_lstms"
    if not (SITE / f"{page}.html").exists():
        pytest.fail(f"{page}.html was not built")
    _open(driver, server, page)
    before = _visible_picture(driver)
    assert before, "no visible explorer picture on the page"
    handle = driver.find_elements("css selector", ".lstm-explorer .noUi-handle")
    assert handle, "no slider handle in the explorer"
    readout = driver.find_elements("css selector", ".lstm-explorer .widget-readout")[0].text
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", handle[0])
    handle[0].send_keys(Keys.ARROW_RIGHT)
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 10).until(lambda d: _visible_picture(d) not in (None, before))
    after = _visible_picture(driver)
    assert hashlib.sha256(after.encode()).digest() != hashlib.sha256(before.encode()).digest()
    assert driver.find_elements("css selector", ".lstm-explorer .widget-readout")[0].text != readout
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, "console errors after moving the slider:\n" + "\n".join(errors)


def test_is_nothing_loaded_from_a_cdn():
    """The pages reference MathJax, RequireJS and the widget manager from _static only."""
    _need((SITE / "index.html").exists(), f"no built book at {SITE}: run `python3 dev.py book` first")
    offenders = []
    for page in PAGES:
        path = SITE / f"{page}.html"
        if path.exists():
            html = path.read_text()
            for cdn in ("cdn.jsdelivr.net", "cdnjs.cloudflare.com", "unpkg.com", "polyfill.io"):
                if f'src="https://{cdn}' in html:
                    offenders.append(f"{page}: {cdn}")
    assert not offenders, offenders
