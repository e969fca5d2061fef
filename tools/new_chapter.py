"""Create a new chapter from templates/chapter.md and add it to _toc.yml.

Usage (``make new-chapter NAME=attention TITLE="Attention"`` runs this)::

    python -m tools.new_chapter attention "Attention"

The new ``book/<name>.md`` already follows every convention of the course (front
matter, hidden Colab setup cell, imports, a glued number, hidden asserts, an exercise
with its solution, a summary) and passes ``make test CHAPTER=<name>`` as it is.
"""

from __future__ import annotations

import argparse
import keyword
import re
import subprocess
import sys
from pathlib import Path

from tools import book
from tools.book import ROOT

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_NAME = 40
# Page names Sphinx or the book already uses for something else
RESERVED = {"intro", "index", "genindex", "search", "py-modindex", "template", "templates"}


class ChapterError(ValueError):
    """A chapter cannot be created; the message says why and what to do instead."""


def check_name(name: str, root: Path = ROOT) -> None:
    """Raise ChapterError unless ``name`` can be a new chapter's file name."""
    example = "for example NAME=attention or NAME=graph_networks"
    if not name:
        raise ChapterError(
            f'give the chapter a name: make new-chapter NAME=<name> TITLE="..." ({example})'
        )
    if name.endswith((".md", ".ipynb")) or "/" in name:
        stem = Path(name).stem
        raise ChapterError(f"NAME is the bare file name without folder or extension: NAME={stem}")
    if not NAME.match(name) or len(name) > MAX_NAME:
        raise ChapterError(
            f"the name {name!r} cannot be used: use lower-case letters, digits and underscores, "
            f"starting with a letter, at most {MAX_NAME} characters ({example})"
        )
    if name in RESERVED or keyword.iskeyword(name):
        raise ChapterError(f"the name {name!r} is taken by the book itself: choose another one")
    for suffix in (".md", ".ipynb"):
        existing = root / "book" / f"{name}{suffix}"
        if existing.exists():
            raise ChapterError(
                f"book/{name}{suffix} already exists: choose another NAME, or edit that chapter "
                f"(and check it with: make test CHAPTER={name})"
            )
    if (root / "book" / f"{name}.md") in book.toc_pages(root):
        raise ChapterError(
            f"_toc.yml already lists book/{name}: remove that line or choose another NAME"
        )


def check_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise ChapterError('give the chapter a title: TITLE="Attention and transformers"')
    if title.startswith("#"):
        raise ChapterError("write the title without the leading '#'")
    return title


def render(name: str, title: str, root: Path = ROOT) -> str:
    """The template with this chapter's name, title and the repository's URL filled in."""
    text = (root / "templates" / "chapter.md").read_text(encoding="utf-8")
    values = {
        "NAME": name,
        "LABEL": name.replace("_", "-"),
        "TITLE": title,
        "REPOSITORY_URL": book.repository_url(root),
    }
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    leftover = re.findall(r"\{\{[A-Z_]+\}\}", text)
    if leftover:
        raise ChapterError(
            f"templates/chapter.md has placeholders this tool does not know: {leftover}"
        )
    return text


def add_to_toc(name: str, root: Path = ROOT) -> None:
    """Append ``- file: book/<name>`` as the last chapter of _toc.yml, keeping its comments,
    indented like the entries already there; undone unless the toc then ends with it."""
    toc_path = root / "_toc.yml"
    original = toc_path.read_text(encoding="utf-8")
    entries = re.findall(r"^(\s*)- file: ", original, re.MULTILINE)
    indent = min(entries, key=len) if entries else "  "
    line = f"{indent}- file: book/{name}"
    toc_path.write_text(original.rstrip("\n") + f"\n{line}\n", encoding="utf-8")
    try:
        added = book.toc_groups(root)[-1] == [root / "book" / f"{name}.md"]
    except Exception:  # noqa: BLE001 - sphinx-external-toc refused the new toc
        added = False
    if not added:
        toc_path.write_text(original, encoding="utf-8")
        raise ChapterError(
            f"could not add book/{name} to _toc.yml automatically: add the line "
            f"`{line}` to its chapters by hand"
        )


def create(name: str, title: str, root: Path = ROOT) -> Path:
    """Create ``book/<name>.md`` and list it in _toc.yml. Returns the new file's path."""
    check_name(name, root)
    title = check_title(title)
    text = render(name, title, root)
    path = root / "book" / f"{name}.md"
    add_to_toc(name, root)  # first: it is the step that can still refuse
    path.write_text(text, encoding="utf-8")
    register_with_git([path], root)
    return path


def register_with_git(paths: list[Path], root: Path) -> bool:
    """`git add --intent-to-add` the new files: git lists them (so `git diff` shows the new
    chapter) without staging their content. False outside a git checkout."""
    try:
        subprocess.run(
            ["git", "add", "--intent-to-add", "--", *map(str, paths)],
            cwd=root,
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Create book/<name>.md from the chapter template.")
    parser.add_argument("name", nargs="?", default="", help="file name, e.g. attention")
    parser.add_argument("title", nargs="?", default="", help='title, e.g. "Attention"')
    args = parser.parse_args(argv)
    name = args.name.strip()
    title = args.title.strip() or name.replace("_", " ").capitalize()
    try:
        path = create(name, title, ROOT)
    except ChapterError as err:
        print(f"make new-chapter: {err}", file=sys.stderr)
        return 2
    print(f'Created book/{name}.md ("{check_title(title)}"),')
    print("added the chapter to the end of _toc.yml, and told git about the new file")
    print("(git add --intent-to-add: commit them when you are ready).")
    print("Next:")
    print(
        f"  1. edit {path.relative_to(ROOT)}: replace the example, keep the structure "
        "(see CONTRIBUTING.md);"
    )
    print(f"  2. make test CHAPTER={name}      runs it and checks the conventions;")
    print(f"  3. make preview CHAPTER={name}   builds the site and prints the page to open.")
    print("  To move it in the book, move its line in _toc.yml.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
