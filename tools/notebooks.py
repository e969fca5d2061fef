"""Paired ``.ipynb`` notebooks and solution-free student notebooks, from the chapters' ``.md``.

The chapters' one source is MyST markdown, ``book/<name>.md``. Two things are made from it:

- the committed, output-free **paired notebook** ``book/<name>.ipynb``, which the site's
  Colab and Binder buttons open (Colab cannot open ``.md``), and
- **student notebooks** without the exercises' solutions, for instructors to hand out.

Usage, from the repository root (or through ``make sync`` / ``make student``)::

    python -m tools.notebooks sync             # rewrite the .ipynb pairs that differ from their .md
    python -m tools.notebooks check            # exit 1 and name the pairs that are out of sync
    python -m tools.notebooks student [DIR]    # write student notebooks (default _build/student)

A chapter is any ``.md`` file under ``book/`` whose front matter is jupytext's and names a
kernel; no list of chapters is kept anywhere. The ``.ipynb`` is a pure function of the
``.md``: no outputs, and cell ids derived from the cells' contents, so that regenerating it
changes nothing unless the ``.md`` changed, and an edited cell changes only its own lines.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from pathlib import Path

import jupytext
import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
BOOK_DIR = "book"
PAIRED_FORMATS = "ipynb,md:myst"

# A MyST directive opens with three or more backticks or colons: ```{name} or :::{name}.
_DIRECTIVE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w-]+)\}")


class SolutionMarkupError(ValueError):
    """The solution markers of a chapter do not pair up."""


def front_matter(path: Path) -> dict:
    """The YAML front matter of a markdown file ({} when it has none)."""
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        return {}
    end = text.find("\n---", 4)
    if end < 0:
        return {}
    meta = yaml.safe_load(text[4:end])
    return meta if isinstance(meta, dict) else {}


def is_chapter(path: Path) -> bool:
    """True for a MyST-markdown notebook: jupytext front matter that names a kernel."""
    if path.suffix != ".md":
        return False
    meta = front_matter(path)
    return "jupytext" in meta and "kernelspec" in meta


def chapter_sources(root: Path = ROOT) -> list[Path]:
    """Every chapter's ``.md`` under ``book/``, sorted."""
    return sorted(p for p in (root / BOOK_DIR).rglob("*.md") if is_chapter(p))


def paired_path(md_path: Path) -> Path:
    """Where the paired notebook of a chapter lives: beside it, with ``.ipynb``."""
    return md_path.with_suffix(".ipynb")


def book_config(root: Path = ROOT) -> dict:
    """The parsed ``_config.yml``."""
    return yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))


def repository_url(root: Path = ROOT) -> str:
    """``repository.url`` from ``_config.yml``: where the course lives (no trailing slash)."""
    url = (book_config(root).get("repository") or {}).get("url")
    if not url:
        raise ValueError(f"{root / '_config.yml'} has no repository.url")
    return str(url).rstrip("/")


def _set_cell_ids(nb: nbformat.NotebookNode) -> None:
    """Give every cell an id computed from its type and source.

    Identical cells are told apart by how often the same content came before, so the ids
    are unique and do not move when other cells are added, removed or edited.
    """
    seen: dict[str, int] = {}
    for cell in nb.cells:
        digest = hashlib.sha256(f"{cell.cell_type}\0{cell.source}".encode()).hexdigest()
        count = seen.get(digest, 0)
        seen[digest] = count + 1
        cell["id"] = digest[:12] if count == 0 else f"{digest[:12]}-{count}"


def _to_ipynb_text(nb: nbformat.NotebookNode) -> str:
    """Serialise a notebook as an output-free, deterministic ``.ipynb``."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    _set_cell_ids(nb)
    nb.nbformat, nb.nbformat_minor = 4, 5
    text = jupytext.writes(nb, fmt="ipynb")
    nbformat.validate(nbformat.reads(text, as_version=4))
    return text if text.endswith("\n") else text + "\n"


def paired_notebook_text(md_path: Path) -> str:
    """The text the paired ``.ipynb`` of a chapter must have."""
    nb = jupytext.read(md_path, fmt="md:myst")
    nb.metadata.setdefault("jupytext", {})["formats"] = PAIRED_FORMATS
    return _to_ipynb_text(nb)


def out_of_sync(root: Path = ROOT) -> list[str]:
    """One message per problem with the pairs: missing, stale, or left without a source."""
    problems = []
    sources = chapter_sources(root)
    for md in sources:
        ipynb = paired_path(md)
        rel = ipynb.relative_to(root)
        if not ipynb.exists():
            problems.append(f"{rel} is missing")
        elif ipynb.read_text(encoding="utf-8") != paired_notebook_text(md):
            problems.append(f"{rel} differs from {md.relative_to(root)}")
    paired = {paired_path(md) for md in sources}
    for ipynb in sorted((root / BOOK_DIR).rglob("*.ipynb")):
        if ".ipynb_checkpoints" not in ipynb.parts and ipynb not in paired:
            problems.append(
                f"{ipynb.relative_to(root)} has no chapter {ipynb.with_suffix('.md').name} "
                "beside it: remove it (git rm)"
            )
    return problems


def sync(root: Path = ROOT) -> list[Path]:
    """Rewrite each paired ``.ipynb`` whose content differs from its ``.md``; return those."""
    written = []
    for md in chapter_sources(root):
        ipynb = paired_path(md)
        text = paired_notebook_text(md)
        if not ipynb.exists() or ipynb.read_text(encoding="utf-8") != text:
            ipynb.write_text(text, encoding="utf-8", newline="\n")
            written.append(ipynb)
    return written


# --- student version ---------------------------------------------------------------------


def _closes(line: str, fence: str) -> bool:
    """Whether ``line`` closes a block opened with ``fence`` (same character, at least as long)."""
    stripped = line.strip()
    return (
        len(stripped) >= len(fence)
        and set(stripped) == {fence[0]}
        and not line.startswith((" " * 4, "\t"))
    )


def strip_solutions(text: str, name: str = "<chapter>", placeholder: str = "") -> str:
    """Remove every solution from a chapter's MyST-markdown text.

    Removed are the gated solutions of sphinx-exercise, from a ``{solution-start}``
    directive to the end of its ``{solution-end}`` directive, with everything between
    them (markdown and code cells), and any plain ``{solution}`` directive. The exercises
    stay. Each removed solution is replaced by ``placeholder.format(label=...)``, where
    ``label`` is the exercise the solution belongs to. Markers that do not pair up raise
    :class:`SolutionMarkupError` naming the line.
    """
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    i = 0
    while i < len(lines):
        match = _DIRECTIVE.match(lines[i])
        name_ = match["name"] if match else None
        if name_ == "solution-end":
            raise SolutionMarkupError(
                f"{name}, line {i + 1}: solution-end without a solution-start"
            )
        if name_ not in ("solution-start", "solution"):
            kept.append(lines[i])
            i += 1
            continue
        start = i
        label = lines[i][match.end() :].strip()
        if name_ == "solution-start":
            # Skip to the solution-end directive, then past its closing fence.
            i += 1
            while i < len(lines):
                inner = _DIRECTIVE.match(lines[i])
                if inner and inner["name"] == "solution-start":
                    raise SolutionMarkupError(
                        f"{name}, line {i + 1}: a solution-start inside the solution that "
                        f"starts on line {start + 1} (a solution-end is missing)"
                    )
                if inner and inner["name"] == "solution-end":
                    break
                i += 1
            else:
                raise SolutionMarkupError(
                    f"{name}, line {start + 1}: solution-start without a solution-end"
                )
        fence = _DIRECTIVE.match(lines[i])["fence"]
        i += 1
        while i < len(lines) and not _closes(lines[i], fence):
            i += 1
        if i == len(lines):
            raise SolutionMarkupError(
                f"{name}, line {start + 1}: the solution directive is never closed"
            )
        i += 1
        if placeholder:
            kept.append(placeholder.format(label=label or "this exercise"))
        # Drop the blank lines after the solution when blank lines already precede it.
        if not kept or not kept[-1].strip():
            while i < len(lines) and not lines[i].strip():
                i += 1
    return "".join(kept)


# Where a solution was, the student version has an empty code cell to work in.
ANSWER_CELL = "```{{code-cell}} ipython3\n# Your answer ({label})\n```\n"


def is_answer_cell(cell: nbformat.NotebookNode) -> bool:
    """Whether a cell is one of the empty answer cells of a student notebook."""
    return (
        cell.cell_type == "code" and re.fullmatch(r"# Your answer \(.*\)", cell.source) is not None
    )


def student_notebook(md_path: Path) -> nbformat.NotebookNode:
    """The chapter as a notebook without the exercises' solutions.

    Each solution is replaced by an empty code cell (see :data:`ANSWER_CELL`).
    """
    text = strip_solutions(
        md_path.read_text(encoding="utf-8"), name=str(md_path), placeholder=ANSWER_CELL
    )
    nb = jupytext.reads(text, fmt="md:myst")
    nb.metadata.get("jupytext", {}).pop("text_representation", None)
    _set_cell_ids(nb)
    return nb


def write_student_notebooks(out_dir: Path, root: Path = ROOT) -> list[Path]:
    """Write one solution-free ``.ipynb`` per chapter into ``out_dir`` (paths as under book/)."""
    written = []
    for md in chapter_sources(root):
        target = out_dir / paired_path(md).relative_to(root / BOOK_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_to_ipynb_text(student_notebook(md)), encoding="utf-8", newline="\n")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.notebooks", description=__doc__.split("\n\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("sync", help="rewrite the paired .ipynb of every chapter whose .md changed")
    commands.add_parser("check", help="fail when a paired .ipynb is missing or out of sync")
    student = commands.add_parser("student", help="write solution-free notebooks")
    student.add_argument("out_dir", nargs="?", default=ROOT / "_build" / "student", type=Path)
    args = parser.parse_args(argv)

    if args.command == "sync":
        written = sync()
        for path in written:
            print(f"updated {path.relative_to(ROOT)}")
        print(f"{len(chapter_sources())} chapter(s), {len(written)} notebook(s) updated")
    elif args.command == "check":
        problems = out_of_sync()
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("Run `make sync` to regenerate the paired notebooks.", file=sys.stderr)
            return 1
        print("all paired notebooks are in sync")
    else:
        written = write_student_notebooks(args.out_dir)
        print(f"{len(written)} student notebook(s) without solutions in {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
