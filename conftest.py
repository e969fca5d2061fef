"""Let nbval run the chapters straight from their MyST-markdown source.

Each ``book/*.md`` file that is a notebook (jupytext front matter with a
kernelspec) is read with jupytext and handed to nbval, which runs it top to
bottom in a fresh kernel, one test per code cell. Paired ``.ipynb`` copies and
anything under ``_build/`` are not collected, so each chapter runs once.
"""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import jupytext
import nbval.plugin
import pytest

collect_ignore_glob = ["book/*.ipynb", "_build/*"]


def is_chapter(path: Path) -> bool:
    """True for a MyST-markdown notebook (it names a kernel in its front matter)."""
    if path.suffix != ".md":
        return False
    head = path.read_text(encoding="utf-8")[:2000]
    return head.startswith("---") and "kernelspec:" in head


class MystNotebook(nbval.plugin.IPyNbFile):
    """nbval's notebook file, read from MyST markdown instead of ``.ipynb``."""

    def collect(self):
        nb = jupytext.read(self.path, fmt="md:myst")
        with mock.patch.object(nbval.plugin.nbformat, "read", lambda *args, **kwargs: nb):
            yield from super().collect()


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path.parent.name == "book" and is_chapter(file_path):
        return MystNotebook.from_parent(parent, path=file_path)
    return None


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """After a chapter cell failed, name its line in the .md file and say what to do next."""
    try:
        from tools.hints import nbval_hint
    except ImportError:  # the instructor tools are not there (e.g. a copy of the chapters only)
        return
    first: dict[str, tuple[int, str]] = {}  # chapter -> its first failed cell
    for report in terminalreporter.stats.get("failed", []):
        file, _, cell = report.nodeid.partition("::Cell ")
        if cell.isdigit() and (file not in first or int(cell) < first[file][0]):
            hint = nbval_hint(report.nodeid, str(report.longrepr))
            if hint:
                first[file] = (int(cell), hint)
    if first:
        terminalreporter.section("where it failed and what to do next")
        for _, hint in first.values():
            terminalreporter.write_line(hint)
