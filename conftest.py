"""Let nbval run the chapters straight from their MyST-markdown source; give the tests the
built site without building it.

- Each chapter in ``book/`` (``tools.book.is_chapter``) is read with jupytext and handed to
  nbval, which runs it top to bottom in a fresh kernel, one test per code cell. The launch
  notebooks (``book/<name>.ipynb`` on the ``notebooks`` branch) and anything under ``_build/``
  are not collected, so each chapter runs once.
  After a failed cell, the summary names its line in the ``.md`` file (``tools.hints``).
- Tests never build the book. A test that needs ``_build/html`` takes the ``built_site``
  fixture: it fails with one line naming ``make book`` when the site is missing or older than
  its inputs (``tools.book.site_problem``). Such tests are marked ``site``; plain ``make test``
  builds the book first, ``make test CHAPTER=<name>`` leaves them out (``-m "not site"``).
"""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import jupytext
import nbval.plugin
import pytest

from tools import book
from tools.hints import nbval_hint

collect_ignore_glob = ["book/*.ipynb", "_build/*"]


class MystNotebook(nbval.plugin.IPyNbFile):
    """nbval's notebook file, read from MyST markdown instead of ``.ipynb``."""

    def collect(self):
        nb = jupytext.read(self.path, fmt="md:myst")
        with mock.patch.object(nbval.plugin.nbformat, "read", lambda *args, **kwargs: nb):
            yield from super().collect()


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path.parent.name == "book" and book.is_chapter(file_path):
        return MystNotebook.from_parent(parent, path=file_path)
    return None


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "site: reads the built site (_build/html); make test CHAPTER= leaves it out"
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    for item in items:
        if "built_site" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.site)


@pytest.fixture(scope="session")
def built_site() -> Path:
    """``_build/html`` as the last ``make book`` left it; the test fails when it is stale."""
    problem = book.site_problem()
    if problem:
        pytest.fail(problem, pytrace=False)
    return book.HTML


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """After a chapter cell failed, name its line in the .md file and say what to do next."""
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
