"""Check a built Jupyter Book the way a student meets it: in a browser.

``tests/test_site.py`` runs these checks on the course's ``_build/html`` and on a
deliberately broken fixture book. The module has three parts:

- finding the pages: :func:`toc_pages` reads a book's ``_toc.yml``, so new chapters
  are checked without anyone listing them;
- the browser: :func:`serve` puts a built site on a local web server and
  :func:`launch_chromium` starts headless Chromium through Playwright;
- the checks: :func:`check_page` opens one page and returns a list of
  :class:`Problem` (empty when the page is fine). The rule that decides which code
  cells must show an output is :func:`expected_output`.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import http.server
import re
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import yaml
from sphinx_external_toc.api import FileItem, GlobItem
from sphinx_external_toc.parsing import parse_toc_yaml

# Chromium's command line, as the issue asks. Playwright adds the fresh profile
# folder (--user-data-dir) from launch_chromium's temporary directory.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGE_TIMEOUT_MS = 120_000  # generous: the tests share two CPU cores with the chapters

# `<torch._C.Generator at 0x7f30c907ca50>`: the echo of a call whose result nobody
# wanted. It tells the reader nothing and changes on every build.
MEMORY_ADDRESS = re.compile(r"<[\w.]+(?: object)? at 0x[0-9a-fA-F]+>")


@dataclass(frozen=True)
class Page:
    """One page of a book: its name in ``_toc.yml`` and its source file."""

    docname: str  # "book/regression": the toc entry, also the HTML path without ".html"
    source: Path

    @property
    def is_notebook(self) -> bool:
        """True for a chapter: an ``.ipynb`` or a MyST-markdown notebook (names a kernel)."""
        if self.source.suffix == ".ipynb":
            return True
        head = self.source.read_text(encoding="utf-8")[:2000]
        return self.source.suffix == ".md" and head.startswith("---") and "kernelspec:" in head

    @property
    def html_path(self) -> str:
        return f"{self.docname}.html"


@dataclass(frozen=True)
class Problem:
    """Something a reader of the page would trip over. ``kind`` groups them for tests."""

    kind: str  # console, request, image, math, icon, output, address, link, launch, solution
    detail: str

    def __str__(self) -> str:
        return f"[{self.kind}] {self.detail}"


# --------------------------------------------------------------------------- pages


def toc_pages(book_root: Path) -> list[Page]:
    """Every page of the book in reading order (root first), as its ``_toc.yml`` lists them.

    The toc is read with the parser Jupyter Book itself uses (sphinx-external-toc),
    so parts, chapters, sections and globs all count; external URLs are not pages.
    """
    book_root = Path(book_root)
    toc_file = book_root / "_toc.yml"
    site_map = parse_toc_yaml(str(toc_file))
    names: list[str] = []

    def visit(entry: str) -> None:
        names.append(entry)
        for subtree in site_map[entry].subtrees:
            for item in subtree.items:
                if isinstance(item, GlobItem):
                    names.extend(
                        str(p.relative_to(book_root).with_suffix(""))
                        for p in sorted(book_root.glob(str(item)))
                        if p.suffix in (".md", ".ipynb")
                    )
                elif isinstance(item, FileItem):
                    visit(item)

    visit(site_map.root.docname)
    pages = []
    for name in names:
        name = name.removesuffix(".md").removesuffix(".ipynb")
        found = [book_root / f"{name}{suffix}" for suffix in (".md", ".ipynb")]
        found = [f for f in found if f.exists()]
        if not found:
            raise FileNotFoundError(
                f"{toc_file} lists {name!r} but there is no {name}.md or .ipynb"
            )
        pages.append(Page(name, found[0]))
    return pages


def launch_urls(book_root: Path) -> dict[str, str]:
    """The launch services the book's ``_config.yml`` turns on, e.g. {"Colab": url}."""
    config = yaml.safe_load((Path(book_root) / "_config.yml").read_text(encoding="utf-8"))
    buttons = config.get("launch_buttons") or {}
    services = {"Colab": buttons.get("colab_url"), "Binder": buttons.get("binderhub_url")}
    return {name: url.rstrip("/") for name, url in services.items() if url}


# ---------------------------------------------------------- which cells need output


def _without_magics(source: str) -> str:
    """The cell's code with IPython's magics and shell escapes made harmless for ``ast``."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        lines = lines[1:]  # a cell magic: the rest is (usually) Python
    cleaned = []
    for line in lines:
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        cleaned.append(indent + "pass" if stripped[:1] in ("%", "!") else line)
    return "\n".join(cleaned)


def _top_level_calls(tree: ast.Module) -> Iterator[ast.Call]:
    """Calls the cell makes when it runs: not those inside functions or classes it defines."""
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Call):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _is_silenced(source: str, node: ast.stmt) -> bool:
    """True when the statement is followed by ``;``: IPython then shows no value."""
    lines = source.splitlines()
    rest = lines[node.end_lineno - 1][node.end_col_offset :]
    return rest.split("#", 1)[0].strip().startswith(";")


# pyplot functions that do not draw a figure
_PYPLOT_QUIET = {"close", "ioff", "ion", "rc", "rcdefaults", "switch_backend", "get_cmap"}


def expected_output(source: str) -> str | None:
    """Why a code cell must show an output on the site, or None if it may show nothing.

    The rule only claims an output where running the code certainly shows one, so
    a cell that legitimately prints nothing (imports, definitions, assignments, a
    ``glue`` call, ``loss.backward()``) is never flagged. A cell must show output if

    - it calls ``print(...)`` or ``display(...)`` when it runs (calls inside the
      functions or classes it defines do not count);
    - it draws with matplotlib's pyplot (any ``plt.<function>(...)`` call other than
      ``plt.close`` and the like) and does not ``plt.close`` the figure: the inline
      backend shows the figure under the cell;
    - its last statement is an expression that IPython displays: not followed by
      ``;`` and not a call of a lower-case function or method (those often return
      None, e.g. ``optimizer.step()``). Names, attributes, indexing, arithmetic and
      calls of upper-case callables (``HTML(...)``) always show a value.

    A cell starting with ``%%capture`` never needs output. Cells tagged
    ``remove-output`` (or without visible source) are not passed to this function.
    """
    if source.lstrip().startswith("%%capture"):
        return None
    code = _without_magics(source)
    tree = ast.parse(code)
    calls = list(_top_level_calls(tree))
    names = {c.func.id for c in calls if isinstance(c.func, ast.Name)}
    for printer in ("print", "display"):
        if printer in names:
            return f"it calls {printer}()"
    pyplot = {
        c.func.attr
        for c in calls
        if isinstance(c.func, ast.Attribute)
        and isinstance(c.func.value, ast.Name)
        and c.func.value.id == "plt"
    }
    if pyplot - _PYPLOT_QUIET and "close" not in pyplot:
        return f"it draws a figure (plt.{sorted(pyplot - _PYPLOT_QUIET)[0]})"
    if tree.body and isinstance(tree.body[-1], ast.Expr) and not _is_silenced(code, tree.body[-1]):
        value = tree.body[-1].value
        if isinstance(value, ast.Call):
            func = value.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name[:1].isupper():
                return f"its last line shows the object {name}(...) returns"
        elif not isinstance(value, (ast.Await, ast.Yield, ast.YieldFrom)):
            return "its last line is an expression, whose value IPython shows"
    return None


# ------------------------------------------------------------------ server, browser


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # the browser's listeners report failed requests

    def handle(self) -> None:
        with contextlib.suppress(
            ConnectionError
        ):  # the browser may drop a request it no longer needs
            super().handle()


@contextlib.contextmanager
def serve(html_dir: Path) -> Iterator[str]:
    """Serve ``html_dir`` on 127.0.0.1 at a free port; yields the base URL (ends in /)."""
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def launch_chromium(executable: str):
    """A headless Chromium (Playwright BrowserContext) with a fresh, temporary profile."""
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile,
        sync_playwright() as pw,
    ):
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        try:
            yield context
        finally:
            context.close()


# ---------------------------------------------------------------------- the checks


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if key == "id" or (tag == "a" and key == "name"):
                self.ids.add(value or "")


@functools.cache
def _ids_in_file(path: Path) -> frozenset[str]:
    parser = _Ids()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return frozenset(parser.ids)


# Collected in the page after it has loaded (MathJax and the theme's scripts done).
_PAGE_FACTS_JS = """
async () => {
  await Promise.all(Array.from(document.images).map(img => {
    img.loading = 'eager';
    return img.complete ? null : new Promise(done => {
      img.addEventListener('load', done); img.addEventListener('error', done);
      setTimeout(done, 10000);
    });
  }));
  const text = el => (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 80);
  const main = document.querySelector('main') || document.body;
  return {
    images: Array.from(document.images).map(img => ({
      src: img.getAttribute('src') || '', complete: img.complete, width: img.naturalWidth})),
    math: Array.from(main.querySelectorAll('.math')).map(el => ({
      typeset: el.querySelector('mjx-container') !== null, text: text(el)})),
    mathErrors: Array.from(main.querySelectorAll('mjx-merror')).map(el =>
      el.getAttribute('data-mjx-error') || text(el)),
    hasMathJax: typeof window.MathJax === 'object' && !!window.MathJax.version,
    icons: Array.from(document.querySelectorAll('i.fa, i[class*="fa-"]')).map(el => el.className),
    cells: Array.from(main.querySelectorAll('div.cell')).map(cell => {
      const code = cell.querySelector('.cell_input pre');
      return {
        classes: cell.className,
        source: code ? code.textContent : null,
        hasOutput: cell.querySelector('.cell_output') !== null,
        outputText: Array.from(cell.querySelectorAll('.cell_output')).map(o => o.textContent).join('\\n'),
      };
    }),
    links: Array.from(document.querySelectorAll('a[href]')).map(a => ({
      href: a.href, raw: a.getAttribute('href'), text: text(a)})),
    ids: Array.from(document.querySelectorAll('[id]')).map(el => el.id)
      .concat(Array.from(document.querySelectorAll('a[name]')).map(a => a.name)),
  };
}
"""


def check_page(
    context,
    base_url: str,
    html_dir: Path,
    page: Page,
    *,
    launch: dict[str, str] | None = None,
    screenshot: Path | None = None,
) -> list[Problem]:
    """Open ``page`` in the browser ``context`` and list everything wrong with it.

    ``base_url`` serves ``html_dir``. On every page: no console errors or uncaught
    exceptions; no failed request and no request that leaves the local site (the
    site must work offline); every ``<img>`` loaded with a non-zero width; every
    formula typeset by MathJax without TeX errors; every Font Awesome icon drawn;
    no output that shows a memory address; every internal link reaching an
    existing file and, when it has a ``#fragment``, an existing id there. On
    chapter pages (notebooks) also: every code cell that :func:`expected_output`
    says must show something has an output; the launch buttons for each service
    in ``launch`` (name -> URL prefix) open and point at this page's source; each
    exercise solution starts folded and unfolds on a click.
    A full-page screenshot is written to ``screenshot`` (taken on arrival).
    """
    html_dir = Path(html_dir)
    problems: list[Problem] = []
    add = lambda kind, detail: problems.append(Problem(kind, detail))  # noqa: E731

    if not (html_dir / page.html_path).is_file():
        add("request", f"{page.html_path} was not built (is _build/html older than _toc.yml?)")
        return problems

    def is_local(url: str) -> bool:
        return url.startswith(base_url) or url.startswith(("data:", "blob:", "about:"))

    def route(route_, request) -> None:
        if is_local(request.url):
            route_.continue_()
        else:
            add("request", f"request leaves the site (it must work offline): {request.url}")
            route_.abort()

    tab = context.new_page()
    tab.route("**/*", route)
    tab.on(
        "console", lambda msg: msg.type == "error" and add("console", f"console error: {msg.text}")
    )
    tab.on("pageerror", lambda error: add("console", f"uncaught JavaScript error: {error}"))
    tab.on(
        "requestfailed",
        lambda req: is_local(req.url) and add("request", f"failed: {req.url} ({req.failure})"),
    )
    tab.on(
        "response",
        lambda res: res.status >= 400 and add("request", f"HTTP {res.status}: {res.url}"),
    )
    url = base_url + page.html_path
    try:
        tab.goto(url, wait_until="load")
        tab.evaluate(
            "async () => { if (window.MathJax && MathJax.startup && MathJax.startup.promise)"
            " await MathJax.startup.promise; }"
        )
        tab.wait_for_load_state("networkidle")
        facts = tab.evaluate(_PAGE_FACTS_JS)
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(screenshot), full_page=True)

        _check_facts(facts, page, base_url, html_dir, url, add)
        if page.is_notebook:
            _check_cells(facts["cells"], add)
            _check_launch_buttons(tab, page, launch or {}, add)
            _check_solutions(tab, add)
    finally:
        tab.close()
    return problems


def _check_facts(facts: dict, page: Page, base_url: str, html_dir: Path, url: str, add) -> None:
    for img in facts["images"]:
        if not img["complete"] or img["width"] == 0:
            add("image", f"image did not load: {img['src'][:100]}")

    untypeset = [m["text"] for m in facts["math"] if not m["typeset"]]
    if facts["math"] and not facts["hasMathJax"]:
        add("math", f"{len(facts['math'])} formulas but MathJax did not load")
    elif untypeset:
        add("math", f"{len(untypeset)} formulas not typeset, e.g. {untypeset[0]!r}")
    for error in facts["mathErrors"]:
        add("math", f"MathJax could not typeset a formula: {error}")

    for icon in facts["icons"]:
        add("icon", f"icon not drawn (Font Awesome missing?): <i class={icon!r}>")

    for cell in facts["cells"]:
        if match := MEMORY_ADDRESS.search(cell["outputText"]):
            add(
                "address",
                f"an output shows a memory address, {match.group()}: end the cell's "
                "last line with ';' (or assign the result) so the site shows nothing",
            )

    page_ids = set(facts["ids"])
    for link in facts["links"]:
        href = link["href"]
        if not href.startswith(base_url):
            continue  # external (not reachable from here), mailto:, javascript:, ...
        target, fragment = urldefrag(href)
        path = unquote(urlsplit(target).path)[len(urlsplit(base_url).path) :]
        file = html_dir / path
        if file.is_dir():
            file = file / "index.html"
        if not file.is_file():
            add("link", f"link {link['raw']!r} ({link['text']!r}) leads to a missing page /{path}")
            continue
        if not fragment:
            continue
        fragment = unquote(fragment)
        same_page = target.split("?")[0] == url.split("#")[0].split("?")[0]
        ids = page_ids if same_page else _ids_in_file(file)
        if file.suffix == ".html" and fragment not in ids:
            where = "this page" if same_page else f"/{path}"
            add(
                "link",
                f"link {link['raw']!r} ({link['text']!r}) points at #{fragment}, "
                f"which {where} does not have",
            )


def _check_cells(cells: list[dict], add) -> None:
    for number, cell in enumerate(cells, start=1):
        classes = cell["classes"].split()
        if cell["source"] is None or "tag_remove-output" in classes or cell["hasOutput"]:
            continue
        try:
            reason = expected_output(cell["source"])
        except SyntaxError as error:
            add(
                "output",
                f"code cell {number} is not valid Python ({error.msg}, line {error.lineno})",
            )
            continue
        if reason:
            first = cell["source"].strip().splitlines()[0][:70]
            add("output", f"code cell {number} has no output although {reason}: {first!r}")


def _check_launch_buttons(tab, page: Page, launch: dict[str, str], add) -> None:
    if not launch:
        return
    menu = tab.locator(".dropdown-launch-buttons")
    if menu.count() == 0:
        add("launch", "no launch buttons (the rocket menu) on a chapter page")
        return
    menu.locator("button").first.click()
    stem = page.docname.rsplit("/", 1)[-1]
    for service, prefix in launch.items():
        links = menu.locator(f'a[href^="{prefix}"]')
        if links.count() == 0:
            add("launch", f"no {service} launch button ({prefix}...)")
            continue
        if not links.first.is_visible():
            add(
                "launch",
                f"the {service} launch button does not show when the rocket menu is opened",
            )
        href = links.first.get_attribute("href") or ""
        if f"/{stem}." not in href:
            add("launch", f"the {service} launch button does not open this page: {href}")


def _check_solutions(tab, add) -> None:
    solutions = tab.locator("div.solution")
    for index in range(solutions.count()):
        solution = solutions.nth(index)
        title = solution.locator(".admonition-title").first
        label = title.inner_text().strip() if title.count() else f"solution {index + 1}"
        body = solution.locator(":scope > :not(.admonition-title)").first
        if body.count() == 0:
            add("solution", f"{label!r} is empty")
            continue
        if body.is_visible():
            add(
                "solution",
                f"{label!r} is shown at once: give it ':class: dropdown' so it starts folded",
            )
            continue
        button = solution.locator("button.toggle-button")  # "Click to show", added by the theme
        (button.first if button.count() else title).click()
        try:
            body.wait_for(state="visible", timeout=5000)
        except Exception:  # playwright's TimeoutError
            add("solution", f"{label!r} does not unfold when its title is clicked")
