"""The built site as a reader's browser gets it: served, opened in Chromium, weighed.

Used by the site checks (``tests/site_static.py``, ``tests/site_browser.py``), the PDF
(``tools/pdf.py``) and the site benchmark (``benchmarks/site.py``):

- :func:`serve` puts ``_build/html`` on a local web server that compresses text with
  gzip, as GitHub Pages does, so that what the browser receives is what a reader's
  browser would receive;
- :func:`chromium` finds the system's Chromium and :func:`launch_chromium` starts it
  headless through Playwright (never a browser download);
- :func:`page_weight` adds up, without a browser, what a first visit to a page
  transfers: the HTML and every file it loads, gzipped as the server sends them.
  :data:`MAX_TRANSFER` and :data:`MAX_HTML` are the limits a page must keep.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import io
import mimetypes
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

# A page must stay light on a phone on a slow connection (issue #15).
MAX_TRANSFER = 1_500_000  # bytes transferred on a first visit, gzip on
MAX_HTML = 800_000  # bytes of the page's HTML itself, uncompressed

# What GitHub Pages (and most servers) compress. Images and fonts are compressed already.
GZIP_TYPES = (
    "text/",
    "application/javascript",
    "application/json",
    "application/xml",
    "image/svg+xml",
)
GZIP_LEVEL = 6

# Chromium's command line. Playwright adds the fresh profile folder (--user-data-dir).
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


def compressible(path: Path | str) -> bool:
    kind = mimetypes.guess_type(str(path))[0] or "application/octet-stream"
    return kind.startswith(GZIP_TYPES)


@functools.cache
def _gzip_size(path: Path, mtime: float) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=GZIP_LEVEL, mtime=0))


def transfer_size(path: Path) -> int:
    """Bytes the server sends for ``path`` (its gzipped size for text, else its size)."""
    path = Path(path)
    if compressible(path):
        return _gzip_size(path, path.stat().st_mtime)
    return path.stat().st_size


# ------------------------------------------------------------------------------ server


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves files, gzipped when the client accepts it and the type is text."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # the browser's listeners report failed requests

    def handle(self) -> None:
        with contextlib.suppress(ConnectionError):  # the browser may drop a request
            super().handle()

    def send_head(self):  # noqa: ANN201 - http.server's own signature
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (self.server.use_gzip and accepts and path.is_file() and compressible(path)):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=GZIP_LEVEL, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        return io.BytesIO(body)


@contextlib.contextmanager
def serve(html_dir: Path, *, use_gzip: bool = True) -> Iterator[str]:
    """Serve ``html_dir`` on 127.0.0.1 at a free port; yields the base URL (ends in /)."""
    handler = functools.partial(_Handler, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.use_gzip = use_gzip
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


# ------------------------------------------------------------------------------ browser


def chromium() -> str | None:
    """The system's Chromium: ``$CHROMIUM``, else the first of chromium, chromium-browser,
    google-chrome on the PATH; None when there is none."""
    names = ("chromium", "chromium-browser", "google-chrome")
    return os.environ.get("CHROMIUM") or next(filter(None, map(shutil.which, names)), None)


@contextlib.contextmanager
def launch_chromium(executable: str, **options):
    """A headless Chromium (Playwright BrowserContext) with a fresh, temporary profile.
    ``options`` go to ``launch_persistent_context`` (viewport, color_scheme, ...)."""
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile,
        sync_playwright() as pw,
    ):
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=executable, args=CHROMIUM_ARGS, headless=True, **options
        )
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        try:
            yield context
        finally:
            context.close()


# MathJax typesets lazily (the formulas in view, ui/lazy): wait for it to start, then have it
# typeset every formula. At most 30 s: a MathJax that never starts (a part missing) leaves
# its formulas untypeset, which the checks then report, instead of a wait without end.
TYPESET_ALL_JS = """
async () => {
  if (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) return;
  const typeset = (async () => {
    await MathJax.startup.promise;
    const doc = MathJax.startup.document;
    if (doc && doc.lazyTypesetAll) await doc.lazyTypesetAll();
  })();
  await Promise.race([typeset, new Promise(done => setTimeout(done, 30000))]);
}
"""


def settle(tab, timeout_ms: int = 15_000) -> None:
    """Wait until the page's network has been quiet for half a second, or ``timeout_ms``
    (a playing animation player may keep Chromium from ever calling the network idle)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        tab.wait_for_load_state("networkidle", timeout=timeout_ms)
    except PlaywrightTimeout:
        pass


# ------------------------------------------------------------------------------ weight


class _Resources(HTMLParser):
    """The files a page loads on arrival: scripts, stylesheets, images, preloads, icons."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("script", "img", "source", "video", "audio", "iframe") and a.get("src"):
            self.urls.append(a["src"])
        elif tag == "link" and a.get("href"):
            rel = (a.get("rel") or "").lower().split()
            if {"stylesheet", "preload", "icon", "modulepreload"} & set(rel):
                self.urls.append(a["href"])


# A stylesheet's @import is loaded with it; its fonts and images only when the page uses
# them (the browser check counts those).
CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*['"]?([^'")\s;]+)""")


@dataclass
class PageWeight:
    """What a first visit to one page costs (bytes), as :func:`page_weight` counts it."""

    page: str  # its path below the html folder, e.g. "book/cnn.html"
    html: int  # its HTML, uncompressed
    transferred: int  # the HTML and everything it loads, as sent (gzip on)
    files: dict[str, int] = field(default_factory=dict)  # path -> bytes sent, largest first
    missing: list[str] = field(default_factory=list)  # local files it asks for that are absent

    def problems(self) -> list[str]:
        """What is over the limits, each as a sentence; empty when the page is light enough."""
        found = []
        if self.html > MAX_HTML:
            found.append(
                f"its HTML is {self.html / 1e3:,.0f} kB, over the {MAX_HTML / 1e3:,.0f} kB limit"
            )
        if self.transferred > MAX_TRANSFER:
            top = ", ".join(f"{p} {n / 1e3:,.0f} kB" for p, n in list(self.files.items())[:3])
            found.append(
                f"a first visit transfers {self.transferred / 1e6:.2f} MB (gzip on), over "
                f"the {MAX_TRANSFER / 1e6:.1f} MB limit; largest: {top}"
            )
        return found


def _local_file(html_dir: Path, base: Path, url: str) -> Path | None:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith(("data:", "#", "//")) or not parts.path:
        return None
    return (
        (base / unquote(parts.path)).resolve()
        if not parts.path.startswith("/")
        else (html_dir / unquote(parts.path).lstrip("/")).resolve()
    )


def page_weight(html_dir: Path, page: str) -> PageWeight:
    """Bytes a first visit to ``page`` (a path below ``html_dir``) transfers, without a
    browser: the HTML, each file it loads (scripts, stylesheets and what they ``@import``,
    images, preloads), each counted once, gzipped when text. Fonts, and files that scripts
    fetch later (MathJax's fonts), are not seen: the browser check measures the real
    transfer, usually a few kB more."""
    html_dir = Path(html_dir).resolve()
    path = html_dir / page
    text = path.read_text(encoding="utf-8", errors="replace")
    parser = _Resources()
    parser.feed(text)
    files: dict[str, int] = {page: transfer_size(path)}
    missing: list[str] = []
    queue = [(path.parent, url) for url in parser.urls]
    while queue:
        base, url = queue.pop(0)
        file = _local_file(html_dir, base, url)
        if file is None:
            continue
        name = file.relative_to(html_dir).as_posix() if file.is_relative_to(html_dir) else str(file)
        if name in files:
            continue
        if not file.is_file():
            missing.append(name)
            continue
        files[name] = transfer_size(file)
        if file.suffix == ".css":
            css = file.read_text(encoding="utf-8", errors="replace")
            queue += [(file.parent, u) for u in CSS_IMPORT.findall(css)]
    ordered = dict(sorted(files.items(), key=lambda item: -item[1]))
    return PageWeight(page, path.stat().st_size, sum(files.values()), ordered, missing)
