"""Do the built pages render in a real browser, offline: title, math, images, widgets, no console errors?
Are they accessible (WCAG 2 A/AA, axe-core) and laid out within the column at 1280 and 400 px?

Opens every page of ``_build/html`` (the pages listed in ``_toc.yml``) in headless Chromium over a
localhost HTTP server started here, and saves a screenshot of each to
``test-artifacts/screenshots/`` (at 1280 px, and ``*-400.png`` at phone width). Chromium gets no network beyond localhost (background
networking off, and the book serves MathJax and the widget manager from ``_static``), so a page
that still needed a CDN would log a failed request and fail the console check.

axe-core is vendored in ``book/_static/axe-core`` (VENDORED.md) and injected into each page by
these tests, so the accessibility check runs offline too; readers' pages never load it.

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
AXE = ROOT / "book" / "_static" / "axe-core" / "axe.min.js"
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
    new_readout = driver.find_elements("css selector", ".lstm-explorer .widget-readout")[0].text
    assert new_readout != readout
    # What a screen reader announces (book/_static/widget-labels.js): the slider's visible label as its
    # name, and the value shown in the readout rather than the index of the value.
    WebDriverWait(driver, 5).until(lambda d: handle[0].get_attribute("aria-valuetext") == new_readout)
    label = driver.execute_script(
        "const id = arguments[0].getAttribute('aria-labelledby'); const l = id && document.getElementById(id);"
        "return l ? l.textContent : null;", handle[0])
    assert label and label.strip(), "the slider handle has no accessible name (aria-labelledby)"
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


# --- Layout and accessibility: measured once per page and width, asserted by the tests below ---------

#: What each page's layout looks like in the browser: the column, what sticks out of it, what scrolls,
#: images without alt text, and the explorers' and widgets' marks. Runs in the page; returns plain data.
_LAYOUT_JS = r"""
const BOOK_DPI = arguments[0];
const col = document.querySelector('article.bd-article') || document.querySelector('main');
// The text's box: the article without its padding (676 of 740 px at a 1280 px window).
const colS = getComputedStyle(col), box = col.getBoundingClientRect();
const colR = {left: box.left + parseFloat(colS.paddingLeft), right: box.right - parseFloat(colS.paddingRight)};
colR.width = colR.right - colR.left;
const root = document.documentElement;
const describe = e => {
  const text = (e.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 70);
  return `${e.tagName.toLowerCase()}${e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : ''}`
         + ` (${Math.round(e.getBoundingClientRect().width)} px${text ? ': ' + text : ''})`;
};
const scrollsX = e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX) && e.scrollWidth > e.clientWidth + 1;
const shown = e => e.checkVisibility();  // false inside a closed <details> or a hidden Stack child
const out = {column: Math.round(colR.width), viewport: root.clientWidth, page: root.scrollWidth,
             wide_math: [], unscrolled_math: [], wide_blocks: [], scrolled_blocks: [], scaled_figures: [], culprits: [],
             no_alt: [], empty_widgets: [], small_text: []};
// Display equations: wider than their own box (the reader must scroll) or than the column.
col.querySelectorAll('mjx-container[display="true"]').forEach(m => {
  const r = m.getBoundingClientRect();
  const tex = (m.closest('.math') || m).textContent.replace(/\s+/g, ' ').trim().slice(0, 70);
  if (m.scrollWidth > m.clientWidth + 1 || r.right > colR.right + 1)
    out.wide_math.push(`${Math.max(m.scrollWidth, Math.round(r.width))} px > ${out.column} px: ${tex}`);
  if (m.scrollWidth > m.clientWidth + 1 && !['auto', 'scroll'].includes(getComputedStyle(m).overflowX))
    out.unscrolled_math.push(tex);
});
// Blocks of the column: code, tables, cell outputs, widgets, figures.
col.querySelectorAll('pre, table, .cell_output, .widget-subarea, img, svg').forEach(e => {
  if (!shown(e) || e.closest('mjx-container')) return;
  const r = e.getBoundingClientRect();
  let inScroller = false;
  for (let p = e.parentElement; p && p !== col; p = p.parentElement)
    if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX) && p.getBoundingClientRect().right <= colR.right + 1) inScroller = true;
  if (r.right > colR.right + 1 && !inScroller) out.wide_blocks.push(describe(e));
  // Code may scroll inside its box (the repository's lines are up to 120 characters); what a cell
  // prints, a table or a code block in the prose must fit without scrolling.
  if (scrollsX(e) && !e.closest('.cell_input')) out.scrolled_blocks.push(describe(e));
});
// Figures in cell outputs are drawn at BOOK_DPI px per inch (stored at 2x, "retina"); one wider than
// the text (676 px: 6.7 in) is scaled down with its text, and 10 pt becomes less than 10 pt.
col.querySelectorAll('.cell_output img').forEach(i => {
  if (!shown(i) || i.closest('.widget-subarea') || !(i.naturalWidth > 0)) return;
  const intended = parseFloat(i.getAttribute('width')) || i.naturalWidth / 2;
  const b = i.getBoundingClientRect();
  if (b.width < 0.96 * intended)
    out.scaled_figures.push(`${(intended / BOOK_DPI).toFixed(1)} in figure shown at ${Math.round(100 * b.width / intended)} %: ${(i.alt || i.src).slice(0, 60)}`);
});
col.querySelectorAll('.pst-scrollable-table-container').forEach(e => { if (scrollsX(e)) out.scrolled_blocks.push(describe(e.querySelector('table') || e)); });
// What makes the page wider than the window (for the failure message).
if (root.scrollWidth > root.clientWidth + 1)
  document.querySelectorAll('body *').forEach(e => {
    const r = e.getBoundingClientRect();
    if (out.culprits.length < 8 && shown(e) && r.right > root.clientWidth + 1 && r.width < root.scrollWidth
        && !(e.parentElement && e.parentElement.getBoundingClientRect().right > root.clientWidth + 1)) out.culprits.push(describe(e));
  });
document.querySelectorAll('img').forEach(i => {
  if (!(i.getAttribute('alt') || '').trim()) out.no_alt.push((i.closest('.cell') ? 'cell output ' : '') + i.src.slice(0, 50));
});
// Widgets: every rendered widget has a size; an explorer's shown picture has a size and text of at
// least 10 pt as displayed; an HTML view that draws coloured shapes (bars) shows at least one.
document.querySelectorAll('.widget-subarea').forEach((area, k) => {
  const r = area.getBoundingClientRect();
  if (r.width < 2 || r.height < 2) out.empty_widgets.push(`widget ${k}: ${Math.round(r.width)} x ${Math.round(r.height)} px`);
  area.querySelectorAll('img').forEach(img => {
    if (!shown(img)) return;
    const b = img.getBoundingClientRect();
    if (!(img.naturalWidth > 0) || b.width < 2 || b.height < 2) out.empty_widgets.push(`widget ${k}: picture ${Math.round(b.width)} x ${Math.round(b.height)} px`);
    const pt = parseFloat(img.dataset.smallestTextPt), w = parseFloat(img.getAttribute('width'));
    if (pt > 0 && w > 0) {
      const shownPt = pt * BOOK_DPI / 96 * (b.width / w);
      if (shownPt < 9.95) out.small_text.push(`widget ${k}: ${pt} pt in the figure, ${shownPt.toFixed(1)} pt as shown (${Math.round(b.width)} of ${w} px)`);
    }
  });
  area.querySelectorAll('.widget-html-content').forEach(view => {
    if (!shown(view)) return;
    const painted = Array.from(view.querySelectorAll('*')).filter(e => {
      const bg = getComputedStyle(e).backgroundColor;
      return bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent';
    });
    const vr = view.getBoundingClientRect();
    if (vr.width < 2 || vr.height < 2) out.empty_widgets.push(`widget ${k}: HTML view ${Math.round(vr.width)} x ${Math.round(vr.height)} px`);
    else if (painted.length && !painted.some(e => { const b = e.getBoundingClientRect(); return b.width >= 1 && b.height >= 1; }))
      out.empty_widgets.push(`widget ${k}: its ${painted.length} coloured shapes all have zero size`);
  });
});
return out;
"""

_AXE_JS = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})
  .then(r => done(r.violations.filter(v => ['serious', 'critical'].includes(v.impact)).map(v => ({
      id: v.id, impact: v.impact, help: v.help, n: v.nodes.length,
      nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + '  ' + n.html.slice(0, 100))}))),
        e => done([{id: 'axe-error', impact: 'critical', help: String(e), n: 1, nodes: []}]));
"""

_MEASURED: dict[tuple[str, int], dict] = {}


def _measured(driver, server, page: str, width: int) -> dict:
    """Load ``page`` in a window ``width`` px wide and measure it (once per page and width)."""
    key = (page, width)
    if key not in _MEASURED:
        from lstm_course.viz import BOOK_DPI

        if not (SITE / f"{page}.html").exists():
            pytest.fail(f"{page}.html was not built (it is in _toc.yml)")
        driver.set_window_size(width, 1600)
        try:
            _open(driver, server, page)
            result = driver.execute_script(_LAYOUT_JS, BOOK_DPI)
            if width == 1280:
                driver.execute_script(AXE.read_text())
                result["axe"] = driver.execute_async_script(_AXE_JS)
            else:
                SHOTS.mkdir(parents=True, exist_ok=True)
                height = driver.execute_script("return Math.min(document.documentElement.scrollHeight, 12000)")
                driver.set_window_size(width, max(900, height))
                driver.save_screenshot(str(SHOTS / f"{page.replace('/', '__')}-{width}.png"))
        finally:
            driver.set_window_size(1280, 1600)
        _MEASURED[key] = result
    return _MEASURED[key]


def _listing(items: list[str]) -> str:
    return "\n  " + "\n  ".join(items)


@pytest.mark.parametrize("page", PAGES)
def test_does_axe_core_find_no_serious_or_critical_violation(driver, server, page):
    """WCAG 2 A/AA as axe-core checks it, page chrome and content, with the widgets drawn (1280 px)."""
    _need(AXE.is_file(), f"axe-core missing at {AXE} (see book/_static/VENDORED.md)")
    found = _measured(driver, server, page, 1280)["axe"]
    lines = [f"{v['id']} ({v['impact']}, {v['n']}x): {v['help']}" + "".join(f"\n      {n}" for n in v["nodes"]) for v in found]
    assert not found, f"{page}: axe-core violations:" + _listing(lines)


@pytest.mark.parametrize("page", PAGES)
def test_does_everything_fit_the_column_at_1280_px(driver, server, page):
    """No display equation, table, output or prose code block wider than the 740 px column or scrolling."""
    m = _measured(driver, server, page, 1280)
    assert not m["wide_math"], f"{page}: display equations wider than the column (break them into lines):" + _listing(m["wide_math"])
    assert not m["wide_blocks"], f"{page}: blocks wider than the column:" + _listing(m["wide_blocks"])
    assert not m["scrolled_blocks"], f"{page}: blocks that scroll sideways at 1280 px:" + _listing(m["scrolled_blocks"])
    assert not m["scaled_figures"], (f"{page}: figures wider than the text, shrunk with their 10 pt text "
                                     "(keep figures at most 7.0 in wide):" + _listing(m["scaled_figures"]))
    assert m["page"] <= m["viewport"] + 1, f"{page}: the page is {m['page']} px wide in a {m['viewport']} px window:" + _listing(m["culprits"])


@pytest.mark.parametrize("page", PAGES)
def test_does_the_page_not_scroll_sideways_at_400_px(driver, server, page):
    """On a phone a wide equation scrolls inside its own box; the page itself never scrolls sideways."""
    m = _measured(driver, server, page, 400)
    assert not m["unscrolled_math"], f"{page}: wide equations that do not scroll in their box:" + _listing(m["unscrolled_math"])
    assert m["page"] <= m["viewport"] + 1, f"{page}: {m['page']} px of page in a {m['viewport']} px window:" + _listing(m["culprits"])


@pytest.mark.parametrize("page", PAGES)
def test_does_every_image_have_alt_text(driver, server, page):
    m = _measured(driver, server, page, 1280)
    assert not m["no_alt"], (f"{page}: {len(m['no_alt'])} images without alt text (cell metadata "
                             '{"mystnb": {"image": {"alt": ...}}}, or precomputed_explorer(alt=...)):' + _listing(m["no_alt"][:10]))


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("width", [1280, 400])
def test_does_every_explorer_and_widget_draw_visible_marks(driver, server, page, width):
    """Every widget has a size, its picture or bars are drawn, and explorer text is at least 10 pt as shown."""
    m = _measured(driver, server, page, width)
    assert not m["empty_widgets"], f"{page} at {width} px: widgets that draw nothing:" + _listing(m["empty_widgets"])
    if width == 1280:  # on a phone every picture shrinks with the page, as it must
        assert not m["small_text"], (f"{page}: explorer text below 10 pt (use the book style's sizes and "
                                     "figures at most 7.0 in wide):" + _listing(m["small_text"]))
