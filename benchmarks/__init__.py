"""Benchmarks of the course: ``python -m benchmarks.book`` (``make bench``), ``.seeds``
(``make bench-seeds``) and ``.site`` (``make bench-site``); ``.cnn_time_to_accuracy`` by hand."""

import json
import sys
from pathlib import Path


def finish(stem: Path, data: dict, text: str, problems: list[str]) -> int:
    """What every benchmark does last: write ``stem.md`` (the table, ``text``) and
    ``stem.json`` (``data``), print the table and where both went, and name the
    ``problems`` (budgets broken, claims failed) on stderr. The exit status: 1 when
    there are problems, else 0."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".md").write_text(text, encoding="utf-8")
    stem.with_suffix(".json").write_text(json.dumps(data, indent=2, default=str) + "\n")
    print(f"\n{text}")
    print(f"written: {stem.with_suffix('.md')} and {stem.with_suffix('.json')}")
    if problems:
        print("\nPROBLEMS:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    return 0
