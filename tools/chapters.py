"""Find the book's chapters and read them into cells that remember their line numbers.

The instructor tools (``lint_chapters``, ``new_chapter``, ``preview``) and the
test hint in ``conftest.py`` all need the same two things: the list of chapters
(from ``_toc.yml``, so a new chapter is picked up without editing any tool) and
a chapter's cells with the line where each starts in its ``.md`` file, so that
a message can point at ``book/<name>.md:<line>``.

A chapter is a MyST-markdown notebook: a ``.md`` file whose front matter names a
kernel (``kernelspec:``). Pages without one (``book/intro.md``) are plain pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

# ```{code-cell} ipython3   (three or more backticks or tildes)
CODE_CELL_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})\{code-cell\}")


def is_notebook(path: Path) -> bool:
    """True for a MyST-markdown notebook (its front matter names a kernel)."""
    if path.suffix != ".md" or not path.is_file():
        return False
    head = path.read_text(encoding="utf-8")[:2000]
    return head.startswith("---") and "kernelspec:" in head


def read_config(root: Path = ROOT) -> dict:
    """The book's ``_config.yml`` as a dictionary."""
    return yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}


def repository_url(root: Path = ROOT) -> str:
    """``repository.url`` from ``_config.yml``: where the course lives (and Colab installs from)."""
    url = (read_config(root).get("repository") or {}).get("url")
    if not url:
        raise ValueError(f"{root / '_config.yml'} has no repository.url")
    return str(url).rstrip("/")


def _toc_entries(node) -> list[tuple[str, list[str]]]:
    """(file, files of its sections, recursively) for each chapter-level entry."""
    entries = []
    for item in node or []:
        if not isinstance(item, dict):
            continue
        if "file" in item:
            entries.append((str(item["file"]), _section_files(item)))
        # a `parts:` entry holds chapters of its own
        entries.extend(_toc_entries(item.get("chapters")))
    return entries


def _section_files(item: dict) -> list[str]:
    files = []
    for section in item.get("sections") or []:
        if isinstance(section, dict) and "file" in section:
            files.append(str(section["file"]))
            files.extend(_section_files(section))
    return files


def toc_groups(root: Path = ROOT) -> list[list[Path]]:
    """The chapters of ``_toc.yml`` in book order, each as the list of its pages.

    A chapter is one top-level entry with, when it is split into pages, the
    pages listed under its ``sections:``. Only notebook pages are returned, so
    the landing page and other plain pages do not appear.
    """
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8")) or {}
    entries = _toc_entries(toc.get("chapters")) + _toc_entries(toc.get("parts"))
    groups = []
    for file, sections in entries:
        pages = [_md_path(root, f) for f in [file, *sections]]
        pages = [p for p in pages if is_notebook(p)]
        if pages:
            groups.append(pages)
    return groups


def toc_files(root: Path = ROOT) -> set[Path]:
    """Every file that ``_toc.yml`` lists (root, chapters and sections), as ``.md`` paths."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8")) or {}
    files = {_md_path(root, str(toc["root"]))} if toc.get("root") else set()
    for file, sections in _toc_entries(toc.get("chapters")) + _toc_entries(toc.get("parts")):
        files.update(_md_path(root, f) for f in [file, *sections])
    return files


def _md_path(root: Path, file: str) -> Path:
    path = root / file
    return path if path.suffix else path.with_suffix(".md")


def unlisted_notebooks(root: Path = ROOT) -> list[Path]:
    """Notebooks in ``book/`` that ``_toc.yml`` does not list (the site leaves them out)."""
    listed = toc_files(root)
    return [p for p in sorted((root / "book").glob("*.md")) if is_notebook(p) and p not in listed]


def chapters(root: Path = ROOT) -> list[Path]:
    """Every chapter page: those of ``_toc.yml`` in book order, then any unlisted ones."""
    pages = [page for group in toc_groups(root) for page in group]
    return pages + [p for p in unlisted_notebooks(root) if p not in pages]


def find_chapter(name: str, root: Path = ROOT) -> Path:
    """``book/<name>.md``, or a ValueError that lists the chapters there are."""
    path = root / "book" / f"{name}.md"
    if name and "/" not in name and is_notebook(path):
        return path
    known = ", ".join(p.stem for p in chapters(root)) or "none yet"
    raise ValueError(f"there is no chapter book/{name}.md. Chapters: {known}.")


@dataclass
class Cell:
    """One cell of a chapter, with where it starts in the ``.md`` file (1-based lines)."""

    kind: str  # "code" or "markdown"
    source: str
    line: int  # first line of the cell: for a code cell, its ```{code-cell} fence
    body_line: int  # line of the first source line
    tags: list[str] = field(default_factory=list)


@dataclass
class Chapter:
    path: Path
    text: str
    front_matter: dict | None
    cells: list[Cell]

    @property
    def code_cells(self) -> list[Cell]:
        return [c for c in self.cells if c.kind == "code"]

    @property
    def markdown_lines(self) -> list[tuple[int, str]]:
        """(line number, text) of every line outside the front matter and the code cells."""
        return [
            (cell.body_line + i, line)
            for cell in self.cells
            if cell.kind == "markdown"
            for i, line in enumerate(cell.source.split("\n"))
        ]


def _parse_options(lines: list[str]) -> tuple[dict, int]:
    """A code cell's options (``:tags: [...]`` lines or a ``---`` YAML block) and their length."""
    if lines and lines[0].strip() == "---":
        for end in range(1, len(lines)):
            if lines[end].strip() == "---":
                options = yaml.safe_load("\n".join(lines[1:end])) or {}
                return (options if isinstance(options, dict) else {}), end + 1
        return {}, 0
    n = 0
    while n < len(lines) and re.match(r"^:[\w-]+:", lines[n]):
        n += 1
    options = {}
    for line in lines[:n]:
        key, _, value = line[1:].partition(":")
        try:
            options[key] = yaml.safe_load(value)
        except yaml.YAMLError:
            options[key] = value.strip()
    return options, n


def parse(path: Path | str, text: str | None = None) -> Chapter:
    """Split a MyST-markdown notebook into cells, the way jupytext does, keeping line numbers."""
    path = Path(path)
    text = path.read_text(encoding="utf-8") if text is None else text
    lines = text.split("\n")
    front_matter, i = None, 0
    if lines and lines[0].strip() == "---":
        for end in range(1, len(lines)):
            if lines[end].strip() == "---":
                try:
                    front_matter = yaml.safe_load("\n".join(lines[1:end])) or {}
                except yaml.YAMLError:
                    front_matter = {}
                i = end + 1
                break

    cells: list[Cell] = []
    markdown: list[str] = []
    markdown_start = i

    def flush_markdown(next_start: int) -> None:
        # jupytext splits markdown cells at `+++` lines; here it is one block per gap
        nonlocal markdown, markdown_start
        if any(line.strip() for line in markdown):
            cells.append(
                Cell("markdown", "\n".join(markdown), markdown_start + 1, markdown_start + 1)
            )
        markdown, markdown_start = [], next_start

    while i < len(lines):
        match = CODE_CELL_FENCE.match(lines[i])
        if not match:
            markdown.append(lines[i])
            i += 1
            continue
        fence = match.group("fence")
        fence_line = i
        end = i + 1
        while end < len(lines) and not (
            lines[end].strip().startswith(fence[0] * len(fence))
            and set(lines[end].strip()) == {fence[0]}
        ):
            end += 1
        body = lines[i + 1 : end]
        options, n_options = _parse_options(body)
        if n_options and n_options < len(body) and not body[n_options].strip():
            n_options += 1  # the blank line after the options
        tags = options.get("tags") or []
        flush_markdown(fence_line)
        cells.append(
            Cell(
                "code",
                "\n".join(body[n_options:]),
                fence_line + 1,
                fence_line + 2 + n_options,
                [str(t) for t in tags] if isinstance(tags, list) else [str(tags)],
            )
        )
        i = end + 1
        markdown_start = i
    flush_markdown(len(lines))
    return Chapter(path, text, front_matter, cells)


def code_cell_line(path: Path | str, index: int) -> int | None:
    """Line of the ``index``-th code cell's first source line (0-based index, as nbval counts)."""
    code = parse(path).code_cells
    return code[index].body_line if 0 <= index < len(code) else None


def relative(path: Path, root: Path = ROOT) -> str:
    """``path`` relative to the repository root when it is inside it (for messages)."""
    try:
        return str(Path(path).resolve().relative_to(root))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    """``python tools/chapters.py check NAME``: is there such a chapter? ``list``: the chapters."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["list"]:
        for page in chapters():
            print(relative(page))
        return 0
    if args[:1] == ["check"]:
        name = args[1].strip() if len(args) > 1 else ""
        try:
            find_chapter(name)
        except ValueError as err:
            print(
                f"CHAPTER={name}: {err} Use the file name without book/ and .md.", file=sys.stderr
            )
            return 2
        return 0
    print("usage: python tools/chapters.py list | check NAME", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
