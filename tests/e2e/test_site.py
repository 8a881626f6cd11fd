"""The course website (``make html``) in a real browser, offline.

Opt-in with the other browser tests (``make e2e``; see ``conftest.py``). The site is built
into a temporary folder (or taken from ``$SITE_DIR``), served by ``http.server`` on
127.0.0.1 and opened in headless Debian Chromium with every other host blocked twice: the
resolver maps every name but 127.0.0.1 to nothing, and each request to another host is
aborted and recorded. For every page: no console error, no request leaving 127.0.0.1, every
formula typeset by the site's own MathJax, every image loaded, saved widgets rendered. Then
search and the previous/next walk. At phone (390x844), tablet (800x1000) and desktop
(1366x900) widths: the menu and contents buttons open their panels, no page is wider than the
screen, long equations scroll in their own box; axe-core (vendored in ``tests/e2e/vendor/``)
finds no serious or critical violation on any page, in the light and the dark theme; the saved
widgets do not pretend to be live; lesson 04 weighs under 3 MB as served with gzip.
The sites in other languages (``zh/``, ``ru/``, ``ja/``, when their lessons exist): their
landing page, glossary and two lessons work offline like the English pages, the language
switcher moves between the same lesson in two languages, and their search finds a glossary
term in its lesson. Screenshots: ``artifacts/site/``.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import importlib.util
import json
import os
import re
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.e2e.lab import CHROMIUM, CHROMIUM_ARGS, REPO

pytestmark = pytest.mark.e2e

SHOTS = REPO / "artifacts" / "site"
LESSONS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
OFFLINE_ARGS = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
AXE = REPO / "tests" / "e2e" / "vendor" / "axe-core" / "axe.min.js"
VIEWPORTS = {"phone": (390, 844), "tablet": (800, 1000), "desktop": (1366, 900)}
WIDGET_LESSONS = ("01_", "04_", "06_")

# Text a reader sees, minus code, with MathJax's output removed: what is left of a formula
# that was not typeset (its TeX delimiters) must not be there.
UNTYPESET_JS = """() => {
  const body = document.querySelector('main') || document.body;
  const copy = body.cloneNode(true);
  copy.querySelectorAll('pre, code, script, style, textarea, mjx-container, .MathJax')
      .forEach(e => e.remove());
  const text = copy.textContent;
  const hits = [];
  const leftovers = [/\\\\\\(/, /\\\\\\[/, /\\\\begin\\{/, /\\$\\$/,
                     /\\$[^$\\s][^$]*?\\\\[a-zA-Z]+[^$]*\\$/, /\\$[^$\\s]{1,30}\\$/];
  for (const re of leftovers) {
    const m = text.match(re);
    if (m) hits.push(text.slice(Math.max(0, m.index - 40), m.index + 60));
  }
  return hits;
}"""

MATH_JS = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const math = [...document.querySelectorAll('.math')];
  return {
    total: math.length,
    untypeset: math.filter(e => !e.querySelector('mjx-container')).map(e => e.textContent),
    errors: [...document.querySelectorAll('mjx-merror')].map(e => e.textContent),
    mathjax: window.MathJax && MathJax.version || null,
  };
}"""

IMAGES_JS = """async () => {
  const imgs = [...document.querySelectorAll('img')];
  for (const img of imgs) { img.loading = 'eager'; }
  await Promise.all(imgs.map(img => img.decode().catch(() => null)));
  return imgs.map(img => ({src: img.getAttribute('src'), width: img.naturalWidth,
                           alt: img.getAttribute('alt')}));
}"""


def _build_site(out: Path) -> Path:
    spec = importlib.util.spec_from_file_location("build_html", REPO / "scripts" / "build_html.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.build(out)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory) -> Path:
    given = os.environ.get("SITE_DIR")
    if given:
        return Path(given).resolve()
    return _build_site(tmp_path_factory.mktemp("site") / "html")


@pytest.fixture(scope="module")
def server(site_dir):
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """A static server that compresses text with gzip, as any web host does.

    (The size of a page "transferred" is measured over this server; http.server alone sends
    everything uncompressed, which no reader's host does.)
    """

    _cache: dict[str, bytes] = {}
    COMPRESS = (".html", ".js", ".css", ".json", ".svg", ".txt", ".ipynb", ".inv")

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass

    def send_head(self):  # noqa: ANN201 - stdlib signature
        path = Path(self.translate_path(self.path))
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not accepts or not path.is_file() or path.suffix not in self.COMPRESS:
            return super().send_head()
        key = str(path)
        if key not in self._cache:
            self._cache[key] = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
        body = self._cache[key]
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        import io

        return io.BytesIO(body)


@pytest.fixture(scope="module")
def offline_browser(playwright):
    """Chromium whose resolver knows no host but 127.0.0.1 (requests are also routed below)."""
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, *OFFLINE_ARGS],
        headless=True,
        timeout=60_000,
    )
    try:
        yield browser
    finally:
        browser.close()


class Visit:
    """One browser context with the network cut and a log of what the page tried."""

    def __init__(self, browser, viewport: tuple[int, int] = (1400, 1000), **options) -> None:
        width, height = viewport
        self.context = browser.new_context(viewport={"width": width, "height": height}, **options)
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.failed: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda err: self.errors.append(f"pageerror: {err}"))
        self.page.on("requestfailed", lambda req: self.failed.append(req.url))
        self.page.on(
            "response", lambda r: r.status >= 400 and self.failed.append(f"{r.status} {r.url}")
        )

    def _route(self, route) -> None:
        url = route.request.url
        if urlparse(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def _console(self, msg) -> None:
        if msg.type == "error":
            self.errors.append(f"console: {msg.text}")

    def open(self, url: str, wait_until: str = "load") -> None:
        self.page.goto(url, wait_until=wait_until)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(offline_browser):
    v = Visit(offline_browser)
    try:
        yield v
    finally:
        v.close()


# The language sites beside the English one: folder -> (notebooks/ and translations/, lang=).
TRANSLATIONS = {"zh": ("zh_CN", "zh-CN"), "ru": ("ru", "ru"), "ja": ("ja", "ja")}


def _translated(folder: str) -> list[Path]:
    return sorted((REPO / "notebooks" / TRANSLATIONS[folder][0]).glob("[0-9][0-9]_*.ipynb"))


PRESENT = [folder for folder in TRANSLATIONS if _translated(folder)]


def _pages(site_dir: Path) -> list[str]:
    """The English site's pages (the language sites are sampled by their own tests)."""
    return sorted(
        str(p.relative_to(site_dir))
        for p in site_dir.rglob("*.html")
        if not p.relative_to(site_dir).parts[0].startswith("_")
        and p.relative_to(site_dir).parts[0] not in TRANSLATIONS
    )


def test_the_site_has_a_page_per_lesson(site_dir):
    pages = _pages(site_dir)
    assert LESSONS
    for notebook in LESSONS:
        assert f"lessons/{notebook.stem}.html" in pages
    assert {"index.html", "api.html", "search.html"} <= set(pages)


def test_every_page_works_offline(site_dir, server, visit):
    problems: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    for name in _pages(site_dir):
        found = _page_problems(visit, server, name, counts)
        if found:
            problems[name] = found
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)
    # The lessons are mostly derivations: each one has formulas, and they were all checked.
    for notebook in LESSONS:
        assert counts[f"lessons/{notebook.stem}.html"] > 10, counts


def _page_problems(visit, server: str, name: str, counts: dict[str, int]) -> list[str]:
    """What is wrong with one page: errors, requests off 127.0.0.1, math, images, widgets."""
    visit.errors.clear(), visit.outside.clear(), visit.failed.clear()
    visit.open(server + name)
    found: list[str] = []
    math = visit.page.evaluate(MATH_JS)
    counts[name] = math["total"]
    if math["total"] and math["mathjax"] is None:
        found.append("MathJax did not load")
    found += [f"not typeset: {t[:80]}" for t in math["untypeset"]]
    found += [f"TeX error: {t[:80]}" for t in math["errors"]]
    found += [f"raw TeX in the text: {t!r}" for t in visit.page.evaluate(UNTYPESET_JS)]
    for image in visit.page.evaluate(IMAGES_JS):
        if not image["width"]:
            found.append(f"image not loaded: {image['src']}")
        if not image["alt"]:
            found.append(f"image without alt text: {image['src']}")
    found += _widget_problems(visit.page)
    visit.page.wait_for_timeout(100)  # late console messages (fonts, widgets)
    found += visit.errors + [f"left 127.0.0.1: {u}" for u in visit.outside]
    found += [f"failed: {u}" for u in visit.failed]
    return found


@pytest.mark.parametrize("folder", PRESENT)
def test_each_language_site_works_offline(server, visit, folder):
    lessons = _translated(folder)
    sample = [lessons[0], *[nb for nb in lessons if nb.name.startswith("04_")]]
    names = ["index.html", "glossary.html"] + [f"lessons/{nb.stem}.html" for nb in sample]
    counts: dict[str, int] = {}
    problems = {}
    for name in names:
        found = _page_problems(visit, server, f"{folder}/{name}", counts)
        if found:
            problems[name] = found
        lang = visit.page.evaluate("document.documentElement.lang")
        if lang != TRANSLATIONS[folder][1]:
            problems.setdefault(name, []).append(f"lang={lang}")
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)
    for notebook in sample:
        english = f"lessons/{notebook.stem}.html"
        visit.open(server + english)
        assert counts[f"{folder}/{english}"] == visit.page.evaluate(MATH_JS)["total"]


@pytest.mark.parametrize("folder", PRESENT)
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_language_switcher_keeps_the_lesson(offline_browser, server, folder, size):
    lesson = _translated(folder)[-1]
    visit = Visit(offline_browser, viewport=VIEWPORTS[size])
    try:
        visit.open(f"{server}lessons/{lesson.stem}.html", wait_until="domcontentloaded")
        tag = TRANSLATIONS[folder][1]
        link = visit.page.locator(f'nav.course-languages a[lang="{tag}"]')
        assert link.is_visible(), f"no visible switcher link to {tag} at {size} width"
        with visit.page.expect_navigation():
            link.click()
        assert visit.page.url == f"{server}{folder}/lessons/{lesson.stem}.html"
        assert visit.page.evaluate("document.documentElement.lang") == tag
        back = visit.page.locator('nav.course-languages a[lang="en"]')
        with visit.page.expect_navigation():
            back.click()
        assert visit.page.url == f"{server}lessons/{lesson.stem}.html"
        assert not visit.errors and not visit.outside, (visit.errors, visit.outside)
    finally:
        visit.close()


@pytest.mark.parametrize("folder", PRESENT)
def test_search_in_each_language_finds_a_glossary_term_in_its_lesson(server, visit, folder):
    import csv

    code = TRANSLATIONS[folder][0]
    with (REPO / "translations" / code / "glossary.csv").open(encoding="utf-8") as handle:
        terms = [row["translation"].split(" (")[0].split("（")[0] for row in csv.DictReader(handle)]
    prose = {
        nb.stem: "".join(
            "".join(c["source"]) for c in json.loads(nb.read_text(encoding="utf-8"))["cells"]
        )
        for nb in _translated(folder)
    }
    term, stem = next(
        ((t, s) for t in terms for s, text in prose.items() if t in text), (None, None)
    )
    assert term, f"no glossary term of {code} in its lessons"
    visit.open(f"{server}{folder}/search.html?q={term}")
    results = visit.page.locator("#search-results ul.search li a")
    results.first.wait_for(timeout=30_000)
    hrefs = [results.nth(i).get_attribute("href") for i in range(results.count())]
    assert any(f"lessons/{stem}.html" in h for h in hrefs), (term, hrefs)
    assert not visit.errors and not visit.outside, (visit.errors, visit.outside)


def _widget_problems(page) -> list[str]:
    """Saved widget views must render as widgets, not as their text placeholder."""
    views = page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count()
    if not views:
        return []
    try:
        page.wait_for_function(
            f"document.querySelectorAll('.jupyter-widgets.widget-vbox, "
            f".jupyter-widgets.widget-box').length >= {views}",
            timeout=15_000,
        )
    except Exception:  # noqa: BLE001 - reported as a problem of the page below
        return [f"{views} saved widget view(s) did not render"]
    if not page.locator(".widget-slider, .widget-hslider").count():
        return ["widgets rendered without their sliders"]
    return []


def test_each_lesson_offers_its_notebook_for_download(site_dir, server, visit):
    for notebook in LESSONS:
        visit.open(f"{server}lessons/{notebook.stem}.html", wait_until="domcontentloaded")
        links = visit.page.locator(f'a[href$="{notebook.name}"]')
        assert links.count(), f"no download link on {notebook.stem}"
        href = links.first.get_attribute("href")
        response = visit.page.request.get(f"{server}lessons/{href}")
        assert response.ok, (href, response.status)
        assert json.loads(response.body()) == json.loads(notebook.read_bytes())


def test_search_finds_kronecker_in_lesson_04(server, visit):
    lesson04 = next(nb for nb in LESSONS if nb.name.startswith("04_"))
    visit.open(server + "search.html?q=Kronecker")
    results = visit.page.locator("#search-results ul.search li a")
    results.first.wait_for(timeout=30_000)
    hrefs = [results.nth(i).get_attribute("href") for i in range(results.count())]
    assert any(f"lessons/{lesson04.stem}.html" in h for h in hrefs), hrefs
    assert not visit.errors and not visit.outside, (visit.errors, visit.outside)


def test_next_and_previous_walk_the_lessons_in_order(server, visit):
    expected = [f"lessons/{nb.stem}.html" for nb in LESSONS]
    # Only links are followed here: skip typesetting and widgets (checked above) to save time.
    visit.context.route(re.compile(r".*/_static/(mathjax|html-manager)/.*"), lambda r: r.abort())
    forward = _walk(visit, server, "index.html", "a.right-next")
    lessons_seen = [p for p in forward if p.startswith("lessons/")]
    assert lessons_seen == expected, forward
    start = forward.index(expected[0])
    assert forward[start : start + len(expected)] == expected, forward  # no page in between
    backward = _walk(visit, server, forward[-1], "a.left-prev")
    assert backward == forward[::-1], backward


def _walk(visit: Visit, server: str, first: str, selector: str) -> list[str]:
    seen = [first]
    visit.open(server + first, wait_until="domcontentloaded")
    while True:
        link = visit.page.locator(selector)
        if not link.count():
            return seen
        with visit.page.expect_navigation(wait_until="domcontentloaded"):
            link.first.click()
        path = urlparse(visit.page.url).path.lstrip("/")
        assert path not in seen, f"{selector} loops: {seen + [path]}"
        seen.append(path)


# --- every width ------------------------------------------------------------------------------

WIDEST_JS = """() => {
  const width = document.documentElement.clientWidth;
  const over = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > width + 1 && r.width > 0) {
      let clipped = false;
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const s = getComputedStyle(p);
        if (['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowX)) { clipped = true; break; }
      }
      if (!clipped && getComputedStyle(el).position !== 'fixed') {
        const name = el.tagName.toLowerCase() + '.' + [...el.classList].join('.');
        over.push(name + ' ' + Math.round(r.right));
      }
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, over: over.slice(0, 8)};
}"""


def _lesson(prefix: str) -> str:
    return "lessons/" + next(nb for nb in LESSONS if nb.name.startswith(prefix)).stem + ".html"


def _typeset(page) -> None:
    page.evaluate(MATH_JS)


@pytest.mark.parametrize("size", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_the_menu_and_contents_buttons_open_their_panels(offline_browser, server, size):
    visit = Visit(offline_browser, VIEWPORTS[size])
    try:
        page = visit.page
        visit.open(server + _lesson("04_"))
        for kind, panel_id, link in (
            ("primary", "pst-primary-sidebar", 'a[href$="05_backprop_through_softmax.html"]'),
            ("secondary", "pst-secondary-sidebar", 'a[href^="#"]'),
        ):
            button = page.locator(f".bd-header-article .{kind}-toggle")
            panel = page.locator(f"#{panel_id}")
            dialog = page.locator(f"#{panel_id}-modal")
            if size == "desktop" and not button.is_visible():
                # Wide enough to show the panel beside the text, without a button.
                assert panel.is_visible() and panel.locator(link).first.is_visible(), kind
                continue
            assert button.is_visible(), f"{kind} button hidden at {size}"
            assert button.get_attribute("aria-label"), f"{kind} button has no accessible name"
            if size == "desktop":
                # Beside the text: the button hides the panel and shows it again.
                assert panel.locator(link).first.is_visible(), kind
                button.click()
                page.wait_for_timeout(400)
                assert not panel.locator(link).first.is_visible(), f"{kind} did not close"
                button.click()
                page.wait_for_timeout(400)
                assert panel.locator(link).first.is_visible(), f"{kind} did not reopen"
                continue
            assert not dialog.locator(link).count() or not dialog.is_visible()
            button.click()
            page.wait_for_function(f"document.getElementById('{panel_id}-modal').open")
            assert dialog.locator(link).first.is_visible(), f"{kind} panel empty at {size}"
            page.keyboard.press("Escape")
            page.wait_for_function(f"!document.getElementById('{panel_id}-modal').open")
            assert not dialog.is_visible()
        assert not visit.errors, visit.errors
    finally:
        visit.close()


def test_no_page_is_wider_than_a_phone(offline_browser, server, site_dir):
    visit = Visit(offline_browser, VIEWPORTS["phone"])
    try:
        # Only the layout is measured here: no widgets (math is typeset: it can widen a page).
        visit.context.route(re.compile(r".*/_static/html-manager/.*"), lambda r: r.abort())
        wide = {}
        for name in _pages(site_dir):
            visit.open(server + name)
            _typeset(visit.page)
            visit.page.wait_for_timeout(150)  # course.js marks the scrolling formulas
            found = visit.page.evaluate(WIDEST_JS)
            if found["scrollWidth"] > found["width"] + 1:
                wide[name] = found
        assert not wide, json.dumps(wide, indent=1)
    finally:
        visit.close()


def test_long_equations_scroll_in_their_own_box_with_a_cue(offline_browser, server):
    visit = Visit(offline_browser, VIEWPORTS["phone"])
    try:
        visit.open(server + _lesson("04_"))
        _typeset(visit.page)
        visit.page.wait_for_timeout(300)
        boxes = visit.page.evaluate("""() => [...document.querySelectorAll('div.math')].map(b => {
            const s = b.querySelector('mjx-container') || b;
            return {
              scrolls: s.scrollWidth > s.clientWidth + 1,
              marked: b.classList.contains('math-scrolls'),
              overflow: getComputedStyle(s).overflowX,
              cue: getComputedStyle(b, '::after').content,
              focusable: s.tabIndex === 0,
            };
        })""")
        scrolling = [b for b in boxes if b["scrolls"]]
        assert scrolling, "no formula of lesson 04 is wider than a phone: nothing was checked"
        for box in scrolling:
            assert box["marked"] and box["overflow"] == "auto" and box["focusable"], box
            assert "scroll" in box["cue"], box
    finally:
        visit.close()


# --- widgets ----------------------------------------------------------------------------------

WIDGET_STATE_JS = """() => [...document.querySelectorAll('.course-widget-frozen')].map(w => ({
    note: (w.querySelector('.course-widget-note') || {}).innerText || '',
    readouts: [...w.querySelectorAll('.widget-readout')].map(r => r.textContent.trim()),
    text: [...w.querySelectorAll('.widget-html-content')].map(h => h.textContent.trim()),
    enabled: [...w.querySelectorAll('input, button, select')].filter(c => !c.disabled).length,
    handles: [...w.querySelectorAll('.noUi-handle')].map(h => h.getAttribute('aria-label')),
}))"""


@pytest.mark.parametrize("prefix", WIDGET_LESSONS)
def test_saved_widgets_say_they_need_a_kernel_and_do_not_move(offline_browser, server, prefix):
    visit = Visit(offline_browser, VIEWPORTS["desktop"])
    try:
        page = visit.page
        visit.open(server + _lesson(prefix))
        assert not _widget_problems(page)
        page.wait_for_selector(".course-widget-note")
        before = page.evaluate(WIDGET_STATE_JS)
        assert before
        for widget in before:
            assert "make lab" in widget["note"], widget
            assert widget["enabled"] == 0, widget
            assert widget["handles"] and all(widget["handles"]), widget
        # Try to move every slider: keys on the handle, a drag across the track; press buttons.
        handles = page.locator(".course-widget-frozen .noUi-handle")
        for i in range(handles.count()):
            handle = handles.nth(i)
            handle.scroll_into_view_if_needed()
            box = handle.bounding_box()
            handle.focus()
            page.keyboard.press("ArrowRight")
            page.keyboard.press("End")
            page.mouse.move(box["x"] + 3, box["y"] + 3)
            page.mouse.down()
            page.mouse.move(box["x"] + 150, box["y"] + 3, steps=5)
            page.mouse.up()
        for button in page.locator(".course-widget-frozen button").all():
            button.click(force=True)
        page.wait_for_timeout(300)
        after = page.evaluate(WIDGET_STATE_JS)
        # What is shown is what was saved: no readout moved away from the numbers it explains.
        assert [w["readouts"] for w in after] == [w["readouts"] for w in before]
        assert [w["text"] for w in after] == [w["text"] for w in before]
        assert note_visible(page)
    finally:
        visit.close()


def note_visible(page) -> bool:
    notes = page.locator(".course-widget-note")
    return notes.count() > 0 and all(n.is_visible() for n in notes.all())


# --- accessibility ----------------------------------------------------------------------------

AXE_RUN_JS = """async (rules) => {
  const options = {resultTypes: ['violations']};
  if (rules) options.runOnly = {type: 'rule', values: rules};
  const result = await axe.run(document, options);
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact, count: v.nodes.length,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: ' +
                                                (n.failureSummary || '').slice(0, 160))}));
}"""


def _axe(page, rules: list[str] | None = None) -> list[dict]:
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    return page.evaluate(AXE_RUN_JS, rules)


def _settle(page) -> None:
    _typeset(page)
    if page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count():
        _widget_problems(page)
        page.wait_for_selector(".course-widget-note", timeout=15_000)
    page.wait_for_timeout(300)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_no_serious_accessibility_violation_on_any_page(offline_browser, server, site_dir, size):
    visit = Visit(offline_browser, VIEWPORTS[size])
    try:
        found = {}
        for name in _pages(site_dir):
            visit.open(server + name)
            _settle(visit.page)
            violations = _axe(visit.page)
            if violations:
                found[name] = violations
        assert not found, json.dumps(found, indent=1, ensure_ascii=False)
    finally:
        visit.close()


def test_text_contrast_in_the_dark_theme(offline_browser, server, site_dir):
    visit = Visit(offline_browser, VIEWPORTS["desktop"], color_scheme="dark")
    try:
        found = {}
        for name in _pages(site_dir):
            visit.open(server + name)
            assert visit.page.evaluate("document.documentElement.dataset.theme") == "dark"
            _settle(visit.page)
            violations = _axe(visit.page, ["color-contrast"])
            if violations:
                found[name] = violations
        assert not found, json.dumps(found, indent=1, ensure_ascii=False)
    finally:
        visit.close()


# --- weight, search, version -------------------------------------------------------------------

TRANSFER_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  return {bytes: nav.transferSize + res.reduce((a, r) => a + r.transferSize, 0),
          decoded: nav.decodedBodySize + res.reduce((a, r) => a + r.decodedBodySize, 0),
          requests: 1 + res.length,
          largest: res.map(r => [r.name.split('/').pop().split('?')[0], r.transferSize])
                      .sort((a, b) => b[1] - a[1]).slice(0, 6)};
}"""


def test_lesson_04_weighs_under_3_mb(offline_browser, server, site_dir):
    assert not list(site_dir.rglob("*.map")), "source maps in the site"
    assert not (site_dir / "_downloads").exists(), "notebooks stored twice"
    visit = Visit(offline_browser, VIEWPORTS["desktop"])
    try:
        visit.open(server + _lesson("04_"))
        _settle(visit.page)
        visit.page.wait_for_load_state("networkidle")
        weight = visit.page.evaluate(TRANSFER_JS)
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / "lesson_04_weight.json").write_text(json.dumps(weight, indent=1))
        assert weight["bytes"] < 3_000_000, weight
    finally:
        visit.close()


def test_search_results_show_page_text(server, visit):
    visit.open(server + "search.html?q=Kronecker")
    summaries = visit.page.locator("#search-results ul.search li p.context")
    summaries.first.wait_for(timeout=30_000)
    texts = [summaries.nth(i).inner_text() for i in range(summaries.count())]
    assert texts
    for text in texts:
        assert "System Settings" not in text and "Light Dark" not in text, text
        assert not re.search(r"\\\\[A-Za-z]+|\\\\[()\\[\\]]", text), text
    assert any("Kronecker" in t for t in texts), texts


def test_the_version_is_in_the_footer(server, visit):
    import softmax_course

    visit.open(server + "index.html", wait_until="domcontentloaded")
    footer = visit.page.locator("footer").all_inner_texts()
    assert any(softmax_course.__version__ in text for text in footer), footer


# --- screenshots at each width -------------------------------------------------------------------


@pytest.mark.parametrize("size", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_screenshots_at_each_width(offline_browser, server, size):
    SHOTS.mkdir(parents=True, exist_ok=True)
    shots = [
        ("landing", "index.html", None),
        ("lesson_04", _lesson("04_"), "div.math"),
        ("api", "api/softmax_course.core.html", "dl.py.function"),
    ]
    schemes = [("light", "light"), ("dark", "dark")]
    for scheme_name, scheme in schemes:
        visit = Visit(offline_browser, VIEWPORTS[size], color_scheme=scheme)
        try:
            for name, page, anchor in shots:
                if scheme_name == "dark" and name != "lesson_04":
                    continue
                visit.open(server + page)
                _settle(visit.page)
                if anchor:
                    visit.page.locator(anchor).first.scroll_into_view_if_needed()
                path = SHOTS / f"{name}_{size}{'_dark' if scheme_name == 'dark' else ''}.png"
                visit.page.screenshot(path=path)
                assert path.stat().st_size > 10_000
        finally:
            visit.close()
