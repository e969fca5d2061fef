"""Refuse notebooks (``.ipynb``) that carry outputs: the site makes its own.

Usage: ``python -m tools.check_notebook_outputs [--fix] [NOTEBOOK ...]`` (default:
``book/*.ipynb``); ``--fix`` clears the outputs in place.
The pre-commit hook ``no-notebook-outputs`` runs it on the notebooks being committed.
Outputs in git make diffs unreadable, bloat the repository and go stale; the chapters'
``.md`` files are the source, and the book executes them. Uses only the standard library.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # (standard library only: no tools.book)


def cells_with_outputs(path: Path) -> list[int]:
    """Indices of the code cells that have outputs or an execution count."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return [
        i
        for i, cell in enumerate(notebook.get("cells", []))
        if cell.get("cell_type") == "code"
        and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]


def clear_outputs(path: Path) -> None:
    """Remove outputs and execution counts, writing the file as Jupyter does."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    text = json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    fix = "--fix" in args
    paths = [Path(a) for a in args if a != "--fix"] or sorted((ROOT / "book").glob("*.ipynb"))
    bad = 0
    for path in paths:
        cells = cells_with_outputs(path)
        if cells and fix:
            clear_outputs(path)
            print(f"{path}: cleared the outputs of {len(cells)} code cell(s).")
        elif cells:
            bad += 1
            shown = ", ".join(map(str, cells[:8])) + (" ..." if len(cells) > 8 else "")
            print(f"{path}: code cells {shown} (numbered from 0) have outputs or execution counts.")
    if bad:
        print(
            "Commit notebooks without outputs: clear them with\n"
            "  python -m tools.check_notebook_outputs --fix <notebook>\n"
            "(or in Jupyter: Edit > Clear Outputs of All Cells, then save)."
        )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
