"""Checks of a built Jupyter Book that only read its HTML files: no browser needed.

``tests/test_site.py`` runs them on every page of the course's ``_build/html`` (they
always run, also where no Chromium is installed) and on the broken fixture book.
:func:`check_page` returns a list of :class:`Problem` (empty when the page is fine):

- every ``<img>`` names a file that exists (or is a ``data:`` image);
- every figure is described: a content image's ``alt`` is not missing, empty or a file
  path (myst-nb's default, which a screen reader reads aloud), and every animation
  player has alt text on its frame image and a name on its slider;
- every internal link reaches a built file, and its ``#fragment`` an id there;
- every code cell that must show an output has one (:func:`expected_output`), and no
  output shows a memory address;
- on chapter pages, a launch link for each service of ``_config.yml`` that opens this
  chapter;
- the page is light: its HTML at most ``tools.site.MAX_HTML`` bytes, a first visit at
  most ``tools.site.MAX_TRANSFER`` bytes with gzip (:func:`tools.site.page_weight`).

``tests/site_browser.py`` checks what needs a browser (scripts, math, axe, keyboard).
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

from bs4 import BeautifulSoup

from tools import book, site

# `<torch._C.Generator at 0x7f30c907ca50>`: the echo of a call whose result nobody
# wanted. It tells the reader nothing and changes on every build.
MEMORY_ADDRESS = re.compile(r"<[\w.]+(?: object)? at 0x[0-9a-fA-F]+>")
# An alt text that is really a file name: "../_images/7d76...png", "figure.svg".
PATH_LIKE_ALT = re.compile(
    r"(^|[/\\])_images[/\\]|\.(png|jpe?g|gif|svg|webp|pdf)$|^[\w./\\-]+/[\w.-]+$", re.IGNORECASE
)


@dataclass(frozen=True)
class Page:
    """One page of a book: its name in ``_toc.yml`` and its source file."""

    docname: str  # "book/regression": the toc entry, also the HTML path without ".html"
    source: Path

    @property
    def is_notebook(self) -> bool:
        """True for a chapter: an ``.ipynb`` or a MyST-markdown notebook."""
        return self.source.suffix == ".ipynb" or book.is_chapter(self.source)

    @property
    def html_path(self) -> str:
        return f"{self.docname}.html"


@dataclass(frozen=True)
class Problem:
    """Something a reader of the page would trip over. ``kind`` groups them for tests."""

    kind: str  # image, alt, link, output, address, launch, weight (static); more in the browser
    detail: str

    def __str__(self) -> str:
        return f"[{self.kind}] {self.detail}"


def toc_pages(root: Path) -> list[Page]:
    """Every page of the book at ``root`` in reading order (``tools.book`` reads the toc)."""
    return [Page(book.docname(path, root), path) for path in book.toc_pages(root)]


def launch_urls(root: Path) -> dict[str, str]:
    """The launch services the book's ``_config.yml`` turns on, e.g. {"Colab": url}."""
    buttons = book.config(root).get("launch_buttons") or {}
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


# ---------------------------------------------------------------------- the checks


@functools.cache
def _ids_in_file(path: Path, mtime: float) -> frozenset[str]:
    soup = BeautifulSoup(path.read_text(encoding="utf-8", errors="replace"), "html.parser")
    ids = {tag["id"] for tag in soup.find_all(id=True)}
    ids |= {tag["name"] for tag in soup.find_all("a", attrs={"name": True})}
    return frozenset(ids)


def _text(tag, limit: int = 80) -> str:
    return " ".join(tag.get_text(" ").split())[:limit]


def alt_problem(alt: str | None) -> str | None:
    """What is wrong with an image's alt text, or None when it describes something."""
    if alt is None:
        return "has no alt text"
    if not alt.strip():
        return "has an empty alt text"
    if PATH_LIKE_ALT.search(alt.strip()):
        return "has a file path for alt text"
    return None


def check_page(
    html_dir: Path, page: Page, *, launch: dict[str, str] | None = None
) -> list[Problem]:
    """Everything wrong with ``page`` that its HTML file (and the files it links) shows."""
    html_dir = Path(html_dir)
    problems: list[Problem] = []
    add = lambda kind, detail: problems.append(Problem(kind, detail))  # noqa: E731
    file = html_dir / page.html_path
    if not file.is_file():
        add("link", f"{page.html_path} was not built (is _build/html older than _toc.yml?)")
        return problems
    soup = BeautifulSoup(file.read_text(encoding="utf-8"), "html.parser")
    main = soup.find("main") or soup

    _check_images(soup, main, file, add)
    _check_links(soup, file, html_dir, add)
    if page.is_notebook:
        _check_cells(main, add)
        _check_launch_links(soup, page, launch or {}, add)
    for problem in site.page_weight(html_dir, page.html_path).problems():
        add("weight", f"{page.html_path}: {problem}")
    return problems


def _check_images(soup, main, file: Path, add) -> None:
    for img in soup.find_all("img"):
        src = img.get("src") or ""
        if src.startswith("data:") or (not src and img.find_parent("div", class_="animation")):
            continue  # embedded, or a player's frame that its script fills in
        target = (file.parent / unquote(urlsplit(src).path)).resolve()
        if not src or urlsplit(src).scheme in ("http", "https") or not target.is_file():
            add("image", f"image file missing: {src[:100]!r}")
    cells = main.select("div.cell")
    for img in main.find_all("img"):
        if img.find_parent("div", class_="animation"):
            continue
        if reason := alt_problem(img.get("alt")):
            name = Path(urlsplit(img.get("src") or "").path).name
            name = name if len(name) < 24 else f"{name[:8]}...{name[-8:]}"
            cell = img.find_parent("div", class_="cell")
            if cell is not None:
                code = cell.select_one(".cell_input pre")
                first = code.get_text().strip().splitlines()[0][:50] if code else ""
                add(
                    "alt",
                    f"the figure {name} of code cell {cells.index(cell) + 1} ({first!r}) "
                    f"{reason}: give the cell `mystnb: image: alt:` metadata",
                )
            else:
                add("alt", f"the image {name} {reason}: write it as ![what it shows]({name})")
    for number, player in enumerate(main.select("div.animation"), start=1):
        img = player.find("img")
        if img is None or alt_problem(img.get("alt")):
            add(
                "alt",
                f"animation player {number} has no alt text on its frame image: show it with "
                "dlcourse.show_animation(animation, alt=...)",
            )
        for control in player.find_all("input", attrs={"type": "range"}):
            if not (control.get("aria-label") or control.get("aria-labelledby")):
                add("alt", f"animation player {number} has a slider without a name (aria-label)")


def _check_links(soup, file: Path, html_dir: Path, add) -> None:
    own_ids = _ids_in_file(file, file.stat().st_mtime)
    for link in soup.find_all("a", href=True):
        href = link["href"]
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or href.startswith(("mailto:", "javascript:")):
            continue  # external (not reachable from here), mailto:, ...
        target, fragment = urldefrag(href)
        path = unquote(urlsplit(target).path)
        dest = (file.parent / path).resolve() if path else file
        if dest.is_dir():
            dest = dest / "index.html"
        where = (
            dest.relative_to(html_dir.resolve())
            if dest.is_relative_to(html_dir.resolve())
            else dest
        )
        if not dest.is_file():
            hint = ": run `make pdf`" if dest.name == "course.pdf" else ""
            add("link", f"link {href!r} ({_text(link)!r}) leads to a missing page /{where}{hint}")
            continue
        if not fragment or dest.suffix != ".html":
            continue
        fragment = unquote(fragment)
        ids = own_ids if dest == file.resolve() else _ids_in_file(dest, dest.stat().st_mtime)
        if fragment not in ids:
            place = "this page" if dest == file.resolve() else f"/{where}"
            add(
                "link",
                f"link {href!r} ({_text(link)!r}) points at #{fragment}, which {place} does not have",
            )


def _check_cells(main, add) -> None:
    for number, cell in enumerate(main.select("div.cell"), start=1):
        outputs = cell.select(".cell_output")
        for output in outputs:
            if match := MEMORY_ADDRESS.search(output.get_text()):
                add(
                    "address",
                    f"an output shows a memory address, {match.group()}: end the cell's "
                    "last line with ';' (or assign the result) so the site shows nothing",
                )
        code = cell.select_one(".cell_input pre")
        if code is None or "tag_remove-output" in cell.get("class", []) or outputs:
            continue
        source = code.get_text()
        try:
            reason = expected_output(source)
        except SyntaxError as error:
            add(
                "output",
                f"code cell {number} is not valid Python ({error.msg}, line {error.lineno})",
            )
            continue
        if reason:
            first = source.strip().splitlines()[0][:70]
            add("output", f"code cell {number} has no output although {reason}: {first!r}")


def _check_launch_links(soup, page: Page, launch: dict[str, str], add) -> None:
    if not launch:
        return
    menu = soup.select_one(".dropdown-launch-buttons")
    if menu is None:
        add("launch", "no launch buttons (the rocket menu) on a chapter page")
        return
    stem = page.docname.rsplit("/", 1)[-1]
    for service, prefix in launch.items():
        links = [a["href"] for a in menu.find_all("a", href=True) if a["href"].startswith(prefix)]
        if not links:
            add("launch", f"no {service} launch button ({prefix}...)")
        elif f"/{stem}." not in links[0]:
            add("launch", f"the {service} launch button does not open this page: {links[0]}")
