"""Do the chapters' claims hold for other seeds? Every hidden assert, at several seeds.

Run it with ``make bench-seeds`` (or ``python -m benchmarks.seeds [--seeds 0 1 2] [CHAPTER
...]``). A chapter's claims are the ``assert`` statements of its hidden (``remove-cell``)
cells. Each chapter page is run top to bottom in a fresh kernel once per seed, with
``DLCOURSE_SEED`` set: every seed the chapter uses derives from it
(``SEED = dlcourse.seed_everything()``), so the weights, the shuffles, the synthetic data and
the noise all change.

In those runs every assert of a hidden cell is rewritten so that it records instead of
stopping the chapter: whether it held, and for a comparison ``a < b`` (``<=``, ``>``, ``>=``)
its *margin*, how far the claim is from failing, as a fraction of the bound:
``(b - a) / |b|`` for ``a < b``. A margin of 0.30 means the measured value could move by 30 %
of the bound before the claim breaks; a negative margin is a failed claim. Other asserts
(``np.allclose(...)``, ``x == y``) record only whether they held. An assert inside a loop
reports its smallest margin.

It writes ``_build/bench-seeds.md`` (a table per chapter: each assert, its line in the
``.md`` file, and held/margin per seed; then its key glued results, accuracies, losses, errors
and z-scores, per seed) and ``_build/bench-seeds.json``, prints the table, and
exits with status 1 when an assert fails at any seed. A benchmark, not a test: it takes
about as long as building the book once per seed.
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from benchmarks import finish
from benchmarks.book import KEY_RESULT, glued_values
from tools import book

OUT = book.BUILD / "bench-seeds"
CELL_TIMEOUT_S = 600
RECORDER = "__dlcourse_claim__"

# Defined in the kernel before the chapter runs: appends one JSON line per evaluated assert.
RECORDER_CELL = f"""
import json as _json, math as _math, operator as _op
_CLAIMS = open(CLAIMS_PATH, "a")
_OPS = {{"<": _op.lt, "<=": _op.le, ">": _op.gt, ">=": _op.ge}}


def {RECORDER}(key, op=None, left=None, right=None, held=None):
    margin = None
    if op is not None:
        try:
            left, right = float(left), float(right)
            held = bool(_OPS[op](left, right))
            gap = right - left if op in ("<", "<=") else left - right
            margin = gap / abs(right) if right != 0 else _math.copysign(_math.inf, gap)
        except (TypeError, ValueError):  # arrays: the claim is about every element
            import numpy as _np

            held = bool(_np.all(_OPS[op](left, right)))
    _CLAIMS.write(_json.dumps({{"key": key, "held": bool(held), "margin": margin}}) + "\\n")
    _CLAIMS.flush()
"""


class _Rewrite(ast.NodeTransformer):
    """Turn ``assert test, msg`` into recording calls (comparisons keep their two sides)."""

    def __init__(self, cell_line: int):
        self.cell_line = cell_line
        self.claims: list[tuple[str, int, str]] = []  # (key, line in the .md, source)

    def visit_Assert(self, node: ast.Assert):
        line = self.cell_line + node.lineno - 1
        key = f"{line}"
        self.claims.append((key, line, ast.unparse(node.test)))
        test = node.test
        calls = []
        if isinstance(test, ast.Compare) and all(
            isinstance(op, ast.Lt | ast.LtE | ast.Gt | ast.GtE) for op in test.ops
        ):
            symbols = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
            # a < b < c records a < b and b < c, each side evaluated once
            values = [test.left, *test.comparators]
            names = [f"_claim_side_{i}" for i in range(len(values))]
            calls += [
                ast.Assign(targets=[ast.Name(n, ast.Store())], value=v)
                for n, v in zip(names, values, strict=True)
            ]
            for i, op in enumerate(test.ops):
                calls.append(
                    ast.Expr(
                        ast.Call(
                            ast.Name(RECORDER, ast.Load()),
                            [
                                ast.Constant(key),
                                ast.Constant(symbols[type(op)]),
                                ast.Name(names[i], ast.Load()),
                                ast.Name(names[i + 1], ast.Load()),
                            ],
                            [],
                        )
                    )
                )
        else:
            calls.append(
                ast.Expr(
                    ast.Call(
                        ast.Name(RECORDER, ast.Load()),
                        [ast.Constant(key)],
                        [ast.keyword("held", ast.Call(ast.Name("bool", ast.Load()), [test], []))],
                    )
                )
            )
        return [ast.copy_location(call, node) for call in calls]


def _python(source: str) -> str:
    """IPython magics and shell lines become ``pass`` (hidden cells rarely have any)."""
    return "\n".join(
        line[: len(line) - len(line.lstrip())] + "pass" if line.lstrip()[:1] in "%!" else line
        for line in source.split("\n")
    )


def instrumented(path: Path, claims_file: Path) -> tuple[nbformat.NotebookNode, list]:
    """The chapter as a notebook whose hidden asserts record instead of raising."""
    import jupytext

    nb = jupytext.read(path, fmt="md:myst")
    chapter = book.parse(path)
    claims = []
    for cell, parsed in zip(nb.cells, chapter.cells, strict=True):
        if cell.cell_type != "code" or not parsed.hidden:
            continue
        try:
            tree = ast.parse(_python(cell.source))
        except SyntaxError:
            continue
        rewrite = _Rewrite(parsed.body_line)
        tree = ast.fix_missing_locations(rewrite.visit(tree))
        if rewrite.claims:
            cell.source = ast.unparse(tree)
            claims += rewrite.claims
    setup = nbformat.v4.new_code_cell(RECORDER_CELL.replace("CLAIMS_PATH", repr(str(claims_file))))
    nb.cells.insert(0, setup)
    return nb, claims


def run(path: Path, seed: int) -> dict:
    """Run one chapter page at one seed; what each of its claims did."""
    with tempfile.TemporaryDirectory() as tmp:
        claims_file = Path(tmp) / "claims.jsonl"
        claims_file.touch()
        nb, claims = instrumented(path, claims_file)
        env = {**os.environ, "DLCOURSE_SEED": str(seed), "DLCOURSE_PROGRESS": "off"}
        client = NotebookClient(
            nb,
            timeout=CELL_TIMEOUT_S,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        )
        error = None
        start = time.perf_counter()
        try:
            client.execute(env=env)
        except CellExecutionError as err:
            error = str(err).strip().split("\n")[-1][:300]
        seconds = time.perf_counter() - start
        records = [json.loads(line) for line in claims_file.read_text().splitlines() if line]
    results = {}
    for key, line, source in claims:
        mine = [r for r in records if r["key"] == key]
        margins = [r["margin"] for r in mine if r["margin"] is not None]
        results[key] = {
            "line": line,
            "source": source,
            "ran": bool(mine),
            "held": bool(mine) and all(r["held"] for r in mine),
            "margin": min(margins) if margins else None,
        }
    return {"seconds": seconds, "error": error, "claims": results, "glue": glued_values(nb)}


def _fmt(result: dict) -> str:
    if not result["ran"]:
        return "not run"
    mark = "ok" if result["held"] else "FAILS"
    margin = result["margin"]
    if margin is None:
        return mark
    return f"{mark} {margin:+.0%}" if math.isfinite(margin) else f"{mark} (bound 0)"


def _value(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def table(report: dict) -> str:
    seeds = report["seeds"]
    out = [f"# Hidden asserts at seeds {', '.join(map(str, seeds))}", ""]
    out.append(
        "Margin: how far a comparison is from failing, as a fraction of its bound "
        "(negative: it fails). 'ok' alone: an assert that is not a comparison, and held."
    )
    for page, runs in report["pages"].items():
        out += ["", f"## {page}", ""]
        for seed in seeds:
            r = runs[str(seed)]
            if r["error"]:
                out.append(f"- seed {seed}: the run stopped: {r['error']}")
        out.append("| line | claim | " + " | ".join(f"seed {s}" for s in seeds) + " |")
        out.append("|---:|---|" + "---|" * len(seeds))
        keys = runs[str(seeds[0])]["claims"].keys()
        for key in keys:
            first = runs[str(seeds[0])]["claims"][key]
            claim = first["source"].replace("|", "\\|")
            claim = claim if len(claim) <= 70 else claim[:67] + "..."
            cells = [_fmt(runs[str(s)]["claims"][key]) for s in seeds]
            out.append(f"| {first['line']} | `{claim}` | " + " | ".join(cells) + " |")
        names = [
            n
            for n in runs[str(seeds[0])].get("glue", {})
            if KEY_RESULT.search(n) or n.endswith("_z")
        ]
        if names:
            out += ["", "Key results (glued values) at each seed:", ""]
            out.append("| value | " + " | ".join(f"seed {s}" for s in seeds) + " |")
            out.append("|---|" + "---:|" * len(seeds))
            for name in names:
                cells = [_value(runs[str(s)].get("glue", {}).get(name)) for s in seeds]
                out.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.seeds", description=__doc__)
    parser.add_argument("chapters", nargs="*", help="chapter names (default: every chapter)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    args = parser.parse_args(argv)
    pages = [book.find_chapter(name) for name in args.chapters] or book.chapters()
    report = {"seeds": args.seeds, "pages": {}}
    failed = []
    for path in pages:
        runs = {}
        for seed in args.seeds:
            print(f"{book.relative(path)} at seed {seed} ...", flush=True)
            runs[str(seed)] = result = run(path, seed)
            bad = [c for c in result["claims"].values() if not c["held"]]
            print(f"  {result['seconds']:.0f} s, {len(result['claims'])} claims, {len(bad)} failed")
            if bad or result["error"]:
                failed.append(f"{book.relative(path)} at seed {seed}")
        report["pages"][book.relative(path)] = runs
    failed = [f"claims that fail or runs that stopped: {where}" for where in failed]
    return finish(OUT, report, table(report), failed)


if __name__ == "__main__":
    sys.exit(main())
