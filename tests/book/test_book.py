"""The book as a reader sees it.

1. The notebook runner, invoked the way ``make book`` invokes it (``make notebooks`` with the Makefile's
   environment, which exports ``MPLBACKEND=Agg``), at the tiny profile: every executed chapter must show
   its figures (at least as many image outputs as the committed notebook, and at least one).
2. The HTML book built from those chapters with the Makefile's ``jupyter-book build -W -n`` command, served
   on 127.0.0.1 and loaded page by page in Debian's headless Chromium: no missing page, no broken internal
   link or anchor, no image that fails to load, a figure on every chapter page, no traceback or error
   output, no citation of a file outside the repository. Screenshots of the landing page and of the Fig 1c
   section land in ``_build/screenshots/``.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SCREENSHOTS = ROOT / "_build" / "screenshots"
#: The reader's browser window (width, height) in CSS pixels.
WINDOW = (1280, 1000)
#: A result figure is drawn at least this wide (CSS pixels).
MIN_FIGURE_WIDTH = 400

#: Text that cites a file a reader of the book does not have.
OUTSIDE_FILE = re.compile(r"methods\.md|paper_numbers\.md|tomtom_fidelity\.md|shared/spec|\.\./shared/")
#: Signs of a failed cell in rendered output.
ERROR_OUTPUT = re.compile(r"Traceback \(most recent call last\)|^\w*(Error|Exception): ", re.MULTILINE)


def _figures(nb_path: Path) -> int:
    nb = json.loads(nb_path.read_text())
    return sum(1 for cell in nb["cells"] for out in cell.get("outputs", []) if "image/png" in out.get("data", {}))


@pytest.fixture(scope="module")
def executed_chapters(tmp_path_factory) -> Path:
    """The chapters executed by ``make notebooks PROFILE=tiny`` into a temporary book folder."""
    book = tmp_path_factory.mktemp("book")
    chapters = book / "book" / "chapters"
    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "PYTEST_CURRENT_TEST")}
    proc = subprocess.run(["make", "--no-print-directory", "notebooks", "PROFILE=tiny", f"CHAPTERS={chapters}"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return chapters


def test_every_chapter_shows_its_figures(executed_chapters):
    sources = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert sources
    for source in sources:
        executed = executed_chapters / source.name
        assert executed.exists(), f"{source.name} was not executed"
        expected = max(1, _figures(source))
        got = _figures(executed)
        assert got >= expected, (f"{source.name}: {got} figure(s) in the executed chapter, the committed notebook "
                                 f"has {expected}; plt.show() drew nothing (matplotlib backend?)")


@pytest.fixture(scope="module")
def built_book(executed_chapters) -> Path:
    """The HTML book built from the executed chapters with the Makefile's build command."""
    project = executed_chapters.parent.parent
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(ROOT / name, project / name)
    shutil.copytree(ROOT / "_static", project / "_static", dirs_exist_ok=True)        # the page layout (CSS)
    for page in (ROOT / "book").glob("*.md"):
        shutil.copy(page, project / "book" / page.name)
    records = [str(p) for p in sorted((ROOT / "benchmarks" / "gpu").glob("*.csv"))]
    for command, extra in (("status", []), ("claims", records)):             # the pages `make html` makes first
        made = subprocess.run([str(BIN / "seqlib"), command, str(executed_chapters), *extra],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert made.returncode == 0, made.stderr
    build = subprocess.run([str(BIN / "jupyter-book"), "build", str(project), "-W", "-n", "--keep-going"],
                           cwd=project, capture_output=True, text=True, timeout=1200)
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    html = project / "_build" / "html"
    assert (html / "index.html").exists()
    return html


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(built_book):
    handler = functools.partial(_QuietHandler, directory=str(built_book))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail("Debian's chromium and chromium-driver are needed for the browser test "
                    "(`make browser` installs them as root)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={WINDOW[0]},{WINDOW[1]}", "--disable-extensions", "--no-first-run"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _pages(html: Path) -> list[str]:
    skip = {"genindex.html", "search.html"}
    return sorted(str(p.relative_to(html)) for p in html.rglob("*.html")
                  if not any(part.startswith("_") for part in p.relative_to(html).parts) and p.name not in skip)


def test_every_page_loads_and_links_resolve(built_book, server, browser):
    pages = _pages(built_book)
    toc = (ROOT / "_toc.yml").read_text()
    expected = ["index.html"] + [f"{m}.html" for m in re.findall(r"file:\s*(\S+)", toc)]
    missing = [p for p in expected if p not in pages and p != "index.html" or not (built_book / p).exists()]
    assert not missing, f"pages in _toc.yml that were not built: {missing}"
    anchors: dict[str, set] = {}
    links: list[tuple[str, str]] = []
    problems: list[str] = []
    for page in pages:
        url = urljoin(server, page)
        browser.get(url)
        state = browser.execute_script("""
            const imgs = Array.from(document.images);
            return {
              ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
              links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
              broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src),
              outputImages: document.querySelectorAll('.cell_output img').length,
              text: document.body.innerText,
              outputs: Array.from(document.querySelectorAll('.cell_output')).map(e => e.innerText).join('\\n'),
            };""")
        anchors[page] = set(state["ids"])
        for href in state["links"]:
            if href.startswith(server):
                links.append((page, href))
        if state["broken"]:
            problems.append(f"{page}: images that do not load: {state['broken']}")
        if page.startswith("book/chapters/") and page.split("/")[-1][:2].isdigit():
            if state["outputImages"] == 0:
                problems.append(f"{page}: a chapter page without an output figure")
            if not any(h.split("#")[0].endswith(".ipynb") for h in state["links"]):
                problems.append(f"{page}: no download link for the executed notebook")
            if "seqlib notebooks " + page.split("/")[-1][:2] not in state["outputs"]:
                problems.append(f"{page}: does not show the command that reruns it")
        if ERROR_OUTPUT.search(state["outputs"]):
            problems.append(f"{page}: error output: {ERROR_OUTPUT.search(state['outputs']).group(0)!r}")
        if OUTSIDE_FILE.search(state["text"]):
            problems.append(f"{page}: cites a file outside the repository: {OUTSIDE_FILE.search(state['text']).group(0)!r}")
    for page, href in links:
        target, fragment = urldefrag(href)
        path = urlparse(target).path.lstrip("/") or "index.html"
        if path.endswith("/"):
            path += "index.html"
        if not (built_book / path).exists():
            problems.append(f"{page}: broken link to {href}")
        elif fragment and path.endswith(".html") and path in anchors and fragment not in anchors[path]:
            problems.append(f"{page}: link to a missing anchor {href}")
    assert not problems, "\n".join(problems)


def test_screenshots_of_landing_page_and_fig1c(built_book, server, browser):
    from selenium.webdriver.common.by import By

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.get(urljoin(server, "index.html"))
    headline = browser.execute_script("return Array.from(document.images).filter("
                                      "i => i.getBoundingClientRect().width >= arguments[0]).length;", MIN_FIGURE_WIDTH)
    assert headline >= 1, f"the landing page does not show this build's headline figure {MIN_FIGURE_WIDTH} px wide"
    landing = browser.execute_script("return document.body.innerText;")
    assert re.search(r"median match fraction of \d\.\d\d with the exponential", landing), "no filter headline"
    assert re.search(r"median AUROC of \d\.\d{3} with the exponential activation against \d\.\d{3}", landing), \
        "no attribution headline from chapter 05 on the landing page"
    assert browser.save_screenshot(str(SCREENSHOTS / "landing.png"))
    browser.get(urljoin(server, "book/chapters/claims.html"))
    text = browser.execute_script("return document.body.innerText;")
    assert "C1" in text and re.search(r"\b(reproduced|direction only|not reproduced|inconclusive)\b", text)
    assert re.search(r"Of the paper[’']s 11 claims, judged by one rule", landing), "no verdict summary on the first page"
    assert browser.save_screenshot(str(SCREENSHOTS / "claims.png"))
    browser.get(urljoin(server, "book/chapters/02_filter_representations.html"))
    sections = browser.find_elements(By.CSS_SELECTOR, "section[id^='fig-1c']")
    assert sections, "no Fig 1c section on the filter chapter"
    browser.execute_script("arguments[0].scrollIntoView();", sections[0])
    images = sections[0].find_elements(By.CSS_SELECTOR, ".cell_output img")
    assert images and browser.execute_script("return arguments[0].naturalWidth;", images[0]) > 0
    assert browser.save_screenshot(str(SCREENSHOTS / "fig1c.png"))
    for name in ("landing.png", "claims.png", "fig1c.png"):
        assert (SCREENSHOTS / name).stat().st_size > 10_000


#: What a reader sees on a page, measured in the browser: elements that run past the right edge of the article (a
#: box that scrolls on purpose, text output and wide tables, may hold wider content), the width of every output
#: figure, where the first one starts, and the text that is visible (closed toggles hide their content).
READER_VIEW = r"""
const article = document.querySelector('article.bd-article') || document.querySelector('main');
const edge = article.getBoundingClientRect().right;
function scrollsOnPurpose(el) {
  for (let e = el.parentElement; e && e !== article.parentElement; e = e.parentElement) {
    const x = getComputedStyle(e).overflowX;
    if (x === 'auto' || x === 'scroll') return true;
  }
  return false;
}
const cut = [];
for (const el of article.querySelectorAll('*')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) continue;
  const x = getComputedStyle(el).overflowX;
  const clipped = el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0 && x !== 'visible'
                  && !el.closest('div.cell_output, .pst-scrollable-table-container, .table-wrapper');
  if ((r.right > edge + 1 || clipped) && !scrollsOnPurpose(el))
    cut.push(el.tagName.toLowerCase() + '.' + String(el.className).split(' ')[0] + ': ' +
             el.innerText.slice(0, 60).replace(/\s+/g, ' '));
}
const figures = Array.from(article.querySelectorAll('div.cell_output img')).filter(i => i.offsetParent !== null);
return {cut: cut.slice(0, 5), nCut: cut.length,
        figures: figures.map(i => [Math.round(i.getBoundingClientRect().width), i.naturalWidth]),
        firstFigure: figures.length ? Math.round(figures[0].getBoundingClientRect().top + window.scrollY) : null,
        screen: window.innerHeight, text: article.innerText};
"""


def test_what_a_reader_sees(built_book, server, browser):
    """Every page at 1280 px: nothing cut at the right edge, no tiny-profile plumbing in view, each chapter's first
    figure within two screen heights, result figures at least 400 px wide; a screenshot of each page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems, seen = [], {}
    for page in _pages(built_book):
        browser.get(urljoin(server, page))
        view = browser.execute_script(READER_VIEW)
        seen[page] = view
        if view["nCut"]:
            problems.append(f"{page}: {view['nCut']} element(s) run past the right edge, e.g. {view['cut']}")
        if 'profile = "tiny"' in view["text"]:
            problems.append(f"{page}: shows the papermill default cell (profile = \"tiny\")")
        if page.startswith("book/chapters/") and page.split("/")[-1][:2].isdigit():
            if view["firstFigure"] is None or view["firstFigure"] > 2 * view["screen"]:
                problems.append(f"{page}: the first figure starts at {view['firstFigure']} px, below two screens "
                                f"({2 * view['screen']} px)")
            narrow = [w for w, natural in view["figures"] if w < MIN_FIGURE_WIDTH]
            if narrow:
                problems.append(f"{page}: result figures narrower than {MIN_FIGURE_WIDTH} px: {narrow}")
        browser.save_screenshot(str(SCREENSHOTS / (page.replace("/", "_").removesuffix(".html") + ".png")))
    assert seen and not problems, "\n".join(problems)
    assert len(list(SCREENSHOTS.glob("*.png"))) >= len(seen)
