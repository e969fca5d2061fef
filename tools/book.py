"""The book as every tool sees it: one home for each fact about it.

- **Where things are**: :data:`ROOT`, :data:`BUILD`, :data:`HTML`, :func:`config` (``_config.yml``)
  and :func:`repository_url`.
- **Which pages there are, in book order**: :func:`toc_pages`, :func:`chapter_groups`,
  :func:`chapters`, :func:`find_chapter`, read from ``_toc.yml`` with sphinx-external-toc (the
  parser Jupyter Book itself uses). A *chapter* is a MyST-markdown notebook: a ``.md`` file whose
  front matter is jupytext's and names a kernel (:func:`is_chapter`).
- **What a chapter holds**: :func:`parse` splits it into cells exactly as jupytext does and keeps
  the line where each starts in the ``.md`` file, so that every message can point at
  ``book/<name>.md:<line>``. The MyST constructs (directives, roles, targets) come from the
  markdown-it-py tokens of myst-parser, the parser the site is built with.
- **Whether the built site is current**: :func:`site_problem`.

Every tool imports these; none reads ``_toc.yml`` or splits a chapter on its own.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from jupytext.myst import parse_directive_options

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
HTML = BUILD / "html"
# `make book` touches this file after every successful build (see the Makefile).
BUILT_STAMP = "_build/.book-built"
CODE_CELL = "{code-cell}"
# Directives whose body is code or math, not prose with roles of its own.
LITERAL_DIRECTIVES = {"code-block", "code", "literalinclude", "math", "raw", "glue:math"}


# ------------------------------------------------------------------------------ settings


def config(root: Path = ROOT) -> dict:
    """The book's ``_config.yml`` as a dictionary."""
    return yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}


def repository_url(root: Path = ROOT) -> str:
    """``repository.url`` of ``_config.yml`` (no trailing slash): where the course lives."""
    url = (config(root).get("repository") or {}).get("url")
    if not url:
        raise ValueError(f"{root / '_config.yml'} has no repository.url")
    return str(url).rstrip("/")


def relative(path: Path | str, root: Path = ROOT) -> str:
    """``path`` relative to the repository root when it is inside it (for messages)."""
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


# ------------------------------------------------------------------------------ pages


def front_matter(text: str) -> dict | None:
    """The YAML front matter at the top of a markdown text; None when there is none."""
    if not text.startswith("---"):
        return None
    end = text.find("\n---", 3)
    if end < 0:
        return None
    try:
        meta = yaml.safe_load(text[3:end])
    except yaml.YAMLError:
        return {}
    return meta if isinstance(meta, dict) else {}


def is_chapter(path: Path | str) -> bool:
    """True for a MyST-markdown notebook: a ``.md`` file with jupytext front matter and a kernel."""
    path = Path(path)
    if path.suffix != ".md" or not path.is_file():
        return False
    meta = front_matter(path.read_text(encoding="utf-8")) or {}
    return "jupytext" in meta and "kernelspec" in meta


def docname(path: Path | str, root: Path = ROOT) -> str:
    """The page's name in ``_toc.yml`` and on the site: ``book/cnn`` for ``book/cnn.md``."""
    return Path(path).resolve().relative_to(root.resolve()).with_suffix("").as_posix()


def _source(root: Path, name: str) -> Path:
    for suffix in (".md", ".ipynb"):
        if (root / f"{name}{suffix}").is_file():
            return root / f"{name}{suffix}"
    return root / f"{name}.md"


def _site_map(root: Path):
    from sphinx_external_toc.parsing import parse_toc_yaml

    return parse_toc_yaml(root / "_toc.yml")


def _children(site_map, name: str) -> list[str]:
    from sphinx_external_toc.api import FileItem

    return [
        item
        for tree in site_map[name].subtrees
        for item in tree.items
        if isinstance(item, FileItem | str)
    ]


def toc_groups(root: Path = ROOT) -> list[list[Path]]:
    """Every page of ``_toc.yml`` in book order, grouped: the root page alone, then each
    chapter-level entry with the pages listed under it (its ``sections:``), recursively."""
    site_map = _site_map(root)

    def below(name: str) -> list[str]:
        return [n for child in _children(site_map, name) for n in (str(child), *below(str(child)))]

    groups = [[_source(root, site_map.root.docname)]]
    for top in _children(site_map, site_map.root.docname):
        groups.append([_source(root, n) for n in (str(top), *below(str(top)))])
    return groups


def toc_pages(root: Path = ROOT) -> list[Path]:
    """Every page of ``_toc.yml`` (plain pages too) in book order."""
    return [page for group in toc_groups(root) for page in group]


def chapter_groups(root: Path = ROOT) -> list[list[Path]]:
    """The chapters in book order, each as the list of its notebook pages (a chapter may be
    split into pages listed under its first page). Plain pages do not appear."""
    groups = [[p for p in group if is_chapter(p)] for group in toc_groups(root)]
    return [group for group in groups if group]


def unlisted_chapters(root: Path = ROOT) -> list[Path]:
    """Notebooks in ``book/`` that ``_toc.yml`` does not list (the site leaves them out)."""
    listed = {p.resolve() for p in toc_pages(root)}
    return [
        p for p in sorted((root / "book").glob("*.md")) if is_chapter(p) and p.resolve() not in listed
    ]


def chapters(root: Path = ROOT) -> list[Path]:
    """Every chapter page: those of ``_toc.yml`` in book order, then any unlisted ones."""
    return [p for group in chapter_groups(root) for p in group] + unlisted_chapters(root)


def find_chapter(name: str, root: Path = ROOT) -> Path:
    """``book/<name>.md``, or a ValueError that lists the chapters there are."""
    path = root / "book" / f"{name}.md"
    if name and "/" not in name and is_chapter(path):
        return path
    known = ", ".join(p.stem for p in chapters(root)) or "none yet"
    raise ValueError(f"there is no chapter book/{name}.md. Chapters: {known}.")


# ------------------------------------------------------------------------------ a chapter


@functools.cache
def md_parser(extensions: tuple[str, ...] | None = None):
    """myst-parser's markdown-it parser with the extensions ``_config.yml`` enables."""
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    if extensions is None:
        extensions = tuple((config().get("parse") or {}).get("myst_enable_extensions") or ())
    return create_md_parser(MdParserConfig(enable_extensions=set(extensions)), RendererHTML)


@dataclass
class Cell:
    """One cell of a chapter, with where it lies in the ``.md`` file (1-based lines)."""

    kind: str  # "code" or "markdown"
    source: str
    line: int  # first line of the cell: for a code cell its ```{code-cell} fence
    body_line: int  # line of the first source line
    end_line: int  # last line of the cell (a code cell's closing fence)
    metadata: dict = field(default_factory=dict)
    index: int = 0  # position among all cells (as in the notebook jupytext makes)

    @property
    def tags(self) -> list[str]:
        tags = self.metadata.get("tags") or []
        return [str(t) for t in tags] if isinstance(tags, list) else [str(tags)]

    @property
    def hidden(self) -> bool:
        """A cell the page does not show at all (``remove-cell``)."""
        return "remove-cell" in self.tags

    def lines(self) -> list[tuple[int, str]]:
        """(line number, text) of every source line."""
        return [(self.body_line + i, text) for i, text in enumerate(self.source.split("\n"))]


@dataclass
class Directive:
    """A MyST directive outside the code cells: ```{name} argument, options and body."""

    name: str
    argument: str
    options: dict
    body: str
    line: int  # the opening fence
    body_line: int
    end_line: int
    fence: str  # "```" or ":::" (and longer)
    cell: Cell


@dataclass
class Role:
    """An inline role ``{name}`content``` in the prose."""

    name: str
    content: str
    line: int
    cell: Cell


@dataclass
class Target:
    """A ``(label)=`` line."""

    label: str
    line: int
    cell: Cell


@dataclass
class Chapter:
    path: Path
    text: str
    front_matter: dict | None
    cells: list[Cell]
    directives: list[Directive]
    roles: list[Role]
    targets: list[Target]

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def code_cells(self) -> list[Cell]:
        return [c for c in self.cells if c.kind == "code"]

    @property
    def markdown_cells(self) -> list[Cell]:
        return [c for c in self.cells if c.kind == "markdown"]

    @property
    def markdown_lines(self) -> list[tuple[int, str]]:
        """(line number, text) of every line of prose (outside front matter and code cells)."""
        return [line for cell in self.markdown_cells for line in cell.lines()]


def _strip_blank_lines(lines: list[str], start: int) -> tuple[list[str], int]:
    """Drop leading and trailing blank lines (as jupytext does); return the new first line."""
    while lines and not lines[0].strip():
        lines, start = lines[1:], start + 1
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines, start


def _fence(token) -> str:
    return token.markup or "```"


def parse(path: Path | str, text: str | None = None) -> Chapter:
    """Split a MyST-markdown notebook into cells as jupytext does, keeping line numbers, and
    collect its directives, roles and targets from myst-parser's tokens."""
    path = Path(path)
    text = path.read_text(encoding="utf-8") if text is None else text
    lines = text.split("\n")
    tokens = md_parser().parse(text)
    meta = None
    md_start = 0
    if tokens and tokens[0].type == "front_matter":
        meta = front_matter(text) or {}
        md_start = tokens[0].map[1]

    cells: list[Cell] = []
    md_meta: dict = {}
    blocks: list = []  # the tokens outside code cells, to find directives, roles and targets

    def flush_markdown(end: int) -> None:
        body, start = _strip_blank_lines(lines[md_start:end], md_start)
        if body:
            cells.append(
                Cell(
                    "markdown",
                    "\n".join(body),
                    start + 1,
                    start + 1,
                    start + len(body),
                    dict(md_meta),
                    len(cells),
                )
            )

    level = 0
    for token in tokens[1:] if meta is not None else tokens:
        level += token.nesting
        if token.map is None:
            continue
        if level != 0:  # inside a list, a quote, ...: only its prose matters below
            if token.type in ("inline", "myst_target"):
                blocks.append(token)
            continue
        if token.type == "fence" and token.info.startswith(CODE_CELL):
            flush_markdown(token.map[0])
            body, options = parse_directive_options(token.content, f"{path}:{token.map[0] + 1}")
            content = token.content.split("\n")
            if body and not body[0].strip():
                body = body[1:]
            offset = len(content) - 1 - len(body)  # option lines and the blank line after them
            cells.append(
                Cell(
                    "code",
                    "\n".join(body),
                    token.map[0] + 1,
                    token.map[0] + 2 + offset,
                    token.map[1],
                    options or {},
                    len(cells),
                )
            )
            md_meta, md_start = {}, token.map[1]
        elif token.type == "myst_block_break":
            flush_markdown(token.map[0])
            try:
                md_meta = json.loads(token.content) if token.content.strip() else {}
            except json.JSONDecodeError:
                md_meta = {}
            md_start = token.map[1]
        else:
            blocks.append(token)
    flush_markdown(len(lines))

    markdown = [c for c in cells if c.kind == "markdown"]

    def cell_at(line: int) -> Cell:
        return next((c for c in markdown if c.line <= line <= c.end_line), markdown[-1])

    directives: list[Directive] = []
    roles: list[Role] = []
    targets: list[Target] = []

    def collect(tokens, first_line: int, cell: Cell | None) -> None:
        """Directives, roles and targets of ``tokens`` (parsed from text that starts on
        ``first_line``); directive bodies that hold prose are parsed in turn."""
        for token in tokens:
            if token.map is None:
                continue
            line = first_line + token.map[0]
            owner = cell or cell_at(line)
            if token.type in ("fence", "colon_fence") and token.info.startswith("{"):
                if token.info.startswith(CODE_CELL):
                    continue
                name, _, argument = token.info[1:].partition("}")
                body, options = _directive_body(token.content)
                n_body = len(token.content.rstrip("\n").split("\n")) - len(body.split("\n"))
                directive = Directive(
                    name.strip(),
                    argument.strip(),
                    options,
                    body,
                    line,
                    line + 1 + max(n_body, 0),
                    first_line + token.map[1] - 1,
                    _fence(token),
                    owner,
                )
                directives.append(directive)
                if directive.name not in LITERAL_DIRECTIVES:
                    collect(md_parser().parse(body), directive.body_line, owner)
            elif token.type == "myst_target":
                targets.append(Target(token.content, line, owner))
            elif token.type == "inline":
                row = line
                for child in token.children or []:
                    if child.type == "myst_role":
                        roles.append(Role(child.meta.get("name", ""), child.content, row, owner))
                    row += child.content.count("\n") if child.type == "text" else 0
                    row += child.type in ("softbreak", "hardbreak")

    collect(blocks, 1, None)
    return Chapter(path, text, meta, cells, directives, roles, targets)


def _directive_body(content: str) -> tuple[str, dict]:
    """A directive's body and its options (``:key: value`` lines or a ``---`` YAML block)."""
    try:
        body, options = parse_directive_options(content, "")
    except Exception:  # noqa: BLE001 - malformed options: the lint reports the directive
        return content, {}
    if body and not body[0].strip():
        body = body[1:]
    return "\n".join(body), options or {}


def code_cell_line(path: Path | str, index: int) -> int | None:
    """Line of the ``index``-th code cell's first source line (0-based, as nbval counts)."""
    code = parse(path).code_cells
    return code[index].body_line if 0 <= index < len(code) else None


# ------------------------------------------------------------------------------ the site


def site_inputs(root: Path = ROOT) -> list[Path]:
    """Every file the built site depends on: the pages, the book's settings, the helper
    package the chapters import, the site's extension and static files, the pins."""
    files = [*toc_pages(root), root / "_toc.yml", root / "_config.yml", root / "requirements.txt"]
    for folder in ("dlcourse", "_ext", "_static"):
        files += sorted(p for p in (root / folder).rglob("*") if p.is_file())
    return [f for f in files if f.exists() and "__pycache__" not in f.parts]


def site_problem(root: Path = ROOT) -> str | None:
    """Why ``_build/html`` cannot be checked as it is (one line that names ``make book``), or
    None when it was built after its every input changed."""
    stamp = root / BUILT_STAMP
    html = root / "_build" / "html"
    if not stamp.is_file() or not (html / "index.html").is_file():
        return "there is no built site in _build/html: run `make book` first"
    for page in toc_pages(root):
        if not (html / f"{docname(page, root)}.html").is_file():
            return f"_build/html has no page for {relative(page, root)}: run `make book`"
    newest = max(site_inputs(root), key=lambda p: p.stat().st_mtime)
    if newest.stat().st_mtime > stamp.stat().st_mtime:
        return f"{relative(newest, root)} changed after the last `make book`: run `make book`"
    return None
