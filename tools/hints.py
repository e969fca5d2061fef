"""Turn a failed test or build into one line that says where, and one that says what next.

nbval names a failing cell by its number ("book/cnn.md::Cell 7") and myst-nb by its
source; an instructor wants the line of the ``.md`` file to go to. These helpers find
it. ``conftest.py`` prints :func:`nbval_hint` after a failed ``make test`` and
``python -m tools.preview`` prints :func:`build_hint` after a failed ``make preview``.
"""

from __future__ import annotations

import re
from pathlib import Path

from tools.book import ROOT, Cell, parse, relative

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# IPython names the cell being run "Cell In[7]" and gives the line inside it
CELL_LINE = re.compile(r"Cell In\[\d+\], line (\d+)")
NODEID = re.compile(r"^(?P<file>[^:]+\.md)::Cell (?P<number>\d+)$")


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)


def failing_line(cell: Cell, traceback_text: str) -> int:
    """Line in the ``.md`` file where ``cell`` failed: the first ``Cell In[..], line N`` of
    the traceback (the cell being run), else the cell's first line."""
    match = CELL_LINE.search(strip_ansi(traceback_text))
    lines = cell.source.split("\n")
    if match and 1 <= int(match.group(1)) <= len(lines):
        return cell.body_line + int(match.group(1)) - 1
    return cell.body_line


def _where(path: Path, cell: Cell, traceback_text: str) -> tuple[str, str]:
    line = failing_line(cell, traceback_text)
    text = path.read_text(encoding="utf-8").split("\n")[line - 1].strip()
    return f"{relative(path)}:{line}", text


def nbval_hint(nodeid: str, report_text: str, root: Path = ROOT) -> str | None:
    """What to do about a failed nbval cell ``book/<name>.md::Cell N``; None for other tests."""
    match = NODEID.match(nodeid)
    if not match:
        return None
    path = root / match.group("file")
    if not path.is_file():
        return None
    cells = parse(path).code_cells
    number = int(match.group("number"))
    if number >= len(cells):
        return None
    where, text = _where(path, cells[number], report_text)
    name = path.stem
    return (
        f"{where}: code cell {number} of {name} failed at: {text}\n"
        f"  Next: fix it there and run `make test CHAPTER={name}` again (later failures of "
        "the same chapter are often consequences of this one). To explore, run the chapter "
        f"up to this cell in Jupyter: `make lab`, then open {path.name} (it opens as a "
        "notebook)."
    )


def build_hint(log: str, root: Path = ROOT) -> str:
    """What to do after a failed book build, from the build's output."""
    log = strip_ansi(log)
    failed = re.search(r"(?P<path>\S+\.md): (?:WARNING: )?Executing notebook failed", log)
    if failed:
        path = Path(failed.group("path"))
        path = path if path.is_absolute() else root / path
        after = log[failed.end() :]
        source = re.search(r"-{6,}\n(?P<source>.*?)\n-{6,}", after, re.DOTALL)
        hint = f"{relative(path)} failed to run."
        if source and path.is_file():
            wanted = source.group("source").strip()
            cell = next((c for c in parse(path).code_cells if c.source.strip() == wanted), None)
            if cell is not None:
                where, text = _where(path, cell, after)
                hint = f"{where}: {path.stem} failed at: {text}"
        return (
            f"{hint}\n  Next: the traceback is above; fix the cell, run "
            f"`make test CHAPTER={path.stem}` (only that chapter), then `make preview` again."
        )
    # Sphinx's own lines ("file:line: WARNING: ..."), not a kernel's chatter on stderr
    warnings = [line for line in log.split("\n") if re.search(r": (WARNING|ERROR|CRITICAL):", line)]
    if warnings:
        listed = "\n".join(f"  {w.strip()}" for w in warnings[:10])
        return (
            f"The build stopped on {len(warnings)} warning(s) or error(s), each with its "
            f"file:line:\n{listed}\n"
            "  Next: fix them (common causes: a glue name that no cell glues, a duplicate "
            "label, a chapter missing from _toc.yml), then run `make preview` again."
        )
    return "The build failed: read the output above, fix the cause, and run `make preview` again."
