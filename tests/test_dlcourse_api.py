"""dlcourse holds only what the chapters share: every public name is used by a chapter, names
the chapter that teaches it, and the package stays small.

``python -m pytest tests/test_dlcourse_api.py -s`` prints, for every public name, the chapters
that use it.
"""

from __future__ import annotations

import inspect
import re

import dlcourse
from tools import book

# Public names a chapter meets without writing them: the error a used function raises, the
# type it returns. Each is kept only while that function is used.
MET_THROUGH = {"DataError": "load_mnist", "History": "fit"}
MAX_MODULES, MAX_LINES = 7, 1300


def usage() -> dict[str, list[str]]:
    """Public name -> the chapter pages that use it, in book order."""
    uses: dict[str, list[str]] = {name: [] for name in dlcourse.__all__}
    for page in book.chapters():
        for name in book.dlcourse_uses(book.parse(page)):
            uses.setdefault(name, []).append(page.stem)
    return uses


def test_every_public_name_is_used_by_a_chapter():
    uses = usage()
    table = "\n".join(f"{name:34} {', '.join(uses[name]) or '-'}" for name in dlcourse.__all__)
    print(table)
    unused = [
        name
        for name in dlcourse.__all__
        if not uses[name] and not uses.get(MET_THROUGH.get(name, ""), [])
    ]
    assert not unused, (
        f"no chapter uses {unused}: move the code into the chapter that needs it, or delete "
        f"it (dlcourse holds only what chapters share)\n{table}"
    )


def test_chapters_use_only_public_names():
    unknown = sorted(set(usage()) - set(dlcourse.__all__))
    assert not unknown, f"chapters use dlcourse names that are not public: {unknown}"


def test_every_public_name_names_the_chapter_that_teaches_it():
    pages = {book.docname(page) for page in book.toc_pages()}
    for name in dlcourse.__all__:
        doc = inspect.getdoc(getattr(dlcourse, name)) or ""
        match = re.search(r"Taught in: (book/\w+)\.md", doc)
        assert match, f"dlcourse.{name}: its docstring must say 'Taught in: book/<page>.md.'"
        assert match[1] in pages, f"dlcourse.{name}: {match[1]}.md is not a page of _toc.yml"


def test_the_package_stays_small():
    files = sorted((book.ROOT / "dlcourse").glob("*.py"))
    lines = sum(len(f.read_text(encoding="utf-8").splitlines()) for f in files)
    assert len(files) <= MAX_MODULES and lines <= MAX_LINES, (
        f"dlcourse has {len(files)} modules and {lines} lines (at most {MAX_MODULES} and "
        f"{MAX_LINES}): keep only what several chapters share"
    )
