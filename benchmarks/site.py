"""make bench-site: what each page of the built site costs a reader on a phone.

A benchmark, not a test. It serves ``_build/html`` with gzip (as GitHub Pages does) and
records, per page of ``_toc.yml``:

- ``html_kB``: the page's HTML, uncompressed (limit ``tools.site.MAX_HTML``);
- ``sent_kB``: what a first visit transfers with gzip, the page and everything it loads,
  as Chromium received it (the images of the whole page loaded, as when a reader scrolls
  to the end; limit ``tools.site.MAX_TRANSFER``);
- with Lighthouse 12.2.3 (mobile, simulated slow 4G and a 4x slower CPU: its scores
  hardly depend on how busy this machine is): the performance score (target 0.8), first
  and largest contentful paint, total blocking time. Lighthouse is installed with npm
  into ``_build/lighthouse`` on first use and runs the system's Chromium (``CHROME_PATH``).

Writes ``_build/bench-site.md`` and ``_build/bench-site.json``. ``--before DIR`` measures
another built site too (e.g. one from before a change) and puts both in the table;
``--runs N`` keeps the median of N Lighthouse runs; ``--no-lighthouse`` skips the scores;
page names (``cnn``) limit the pages. Exits 1 when a page breaks a byte limit or scores
below 0.8.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import finish
from tools import book, site

LIGHTHOUSE_VERSION = "12.2.3"
LIGHTHOUSE_DIR = book.BUILD / "lighthouse"
TARGET_SCORE = 0.8


def lighthouse() -> Path | None:
    """The lighthouse command, installed with npm on first use; None without npm."""
    command = LIGHTHOUSE_DIR / "node_modules" / ".bin" / "lighthouse"
    if command.exists():
        return command
    if not shutil.which("npm"):
        return None
    LIGHTHOUSE_DIR.mkdir(parents=True, exist_ok=True)
    print(f"installing lighthouse@{LIGHTHOUSE_VERSION} into {book.relative(LIGHTHOUSE_DIR)}")
    subprocess.run(
        ["npm", "install", "--prefix", str(LIGHTHOUSE_DIR), "--no-audit", "--no-fund",
         "--loglevel=error", f"lighthouse@{LIGHTHOUSE_VERSION}"],
        check=True,
    )  # fmt: skip
    return command if command.exists() else None


def run_lighthouse(command: Path, url: str, chromium: str) -> dict:
    """Lighthouse's mobile performance audit of ``url``: score, FCP, LCP (s), TBT (ms)."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        subprocess.run(
            [str(command), url, "--quiet", "--output=json", f"--output-path={report}",
             "--only-categories=performance", "--max-wait-for-load=90000",
             "--chrome-flags=--headless=new --no-sandbox --disable-gpu"],
            check=True, env={**os.environ, "CHROME_PATH": chromium}, capture_output=True,
        )  # fmt: skip
        data = json.loads(report.read_text())
    audits = data["audits"]
    return {
        "score": data["categories"]["performance"]["score"],
        "fcp_s": audits["first-contentful-paint"]["numericValue"] / 1000,
        "lcp_s": audits["largest-contentful-paint"]["numericValue"] / 1000,
        "tbt_ms": audits["total-blocking-time"]["numericValue"],
        "lighthouse_kB": audits["total-byte-weight"]["numericValue"] / 1000,
        # Lighthouse's measure of this machine's speed at the time (higher is faster): its
        # simulated 4x slower CPU is 4x the tasks it observed, so a busy machine scores lower.
        "cpu_index": data["environment"]["benchmarkIndex"],
    }


def browser_transfer(context, base_url: str, page: str) -> int:
    """Bytes Chromium receives for a first visit to ``page``, every image loaded."""
    received: list[int] = []
    tab = context.new_page()
    tab.on(
        "requestfinished",
        lambda req: (
            req.url.startswith(base_url) and received.append(req.sizes()["responseBodySize"])
        ),
    )
    tab.goto(base_url + page, wait_until="load")
    tab.evaluate(site.TYPESET_ALL_JS)
    tab.evaluate(
        """async () => {
          await Promise.all(Array.from(document.images).map(img => {
            img.loading = 'eager';
            return img.complete ? null : new Promise(done => {
              img.addEventListener('load', done); img.addEventListener('error', done); });
          }));
        }"""
    )
    site.settle(tab)
    tab.close()
    return sum(received)


def median_run(command: Path, url: str, chromium: str, runs: int) -> dict:
    """The run with the median score of ``runs`` Lighthouse runs (as Lighthouse advises:
    single runs vary, most of all on a busy machine)."""
    results = sorted((run_lighthouse(command, url, chromium) for _ in range(runs)),
                     key=lambda r: r["score"])  # fmt: skip
    median = dict(results[len(results) // 2])
    median["scores"] = [r["score"] for r in results]
    return median


def measure(
    html_dir: Path, pages: list[str], *, with_lighthouse: bool, runs: int = 1
) -> dict[str, dict]:
    chromium = site.chromium()
    if chromium is None:
        raise SystemExit("bench-site needs Chromium: `apt-get install chromium`")
    command = lighthouse() if with_lighthouse else None
    if with_lighthouse and command is None:
        print("no npm: the Lighthouse columns stay empty")
    results: dict[str, dict] = {}
    with site.serve(html_dir) as base, site.launch_chromium(chromium) as context:
        for page in pages:
            if not (html_dir / page).is_file():  # a page the other site does not have
                continue
            weight = site.page_weight(html_dir, page)
            row = {
                "html_kB": weight.html / 1000,
                "static_kB": weight.transferred / 1000,
                "sent_kB": browser_transfer(context, base, page) / 1000,
            }
            if command is not None:
                started = time.time()
                row.update(median_run(command, base + page, chromium, runs))
                row["lighthouse_wall_s"] = time.time() - started
            results[page] = row
            print(f"  {page}: {row}", flush=True)
    return results


def _cell(row: dict | None, key: str, fmt: str) -> str:
    return format(row[key], fmt) if row and key in row else "–"


def table(after: dict[str, dict], before: dict[str, dict] | None) -> str:
    columns = [
        ("HTML kB", "html_kB", ",.0f"),
        ("sent kB", "sent_kB", ",.0f"),
        ("score", "score", ".2f"),
        ("FCP s", "fcp_s", ".1f"),
        ("LCP s", "lcp_s", ".1f"),
        ("TBT ms", "tbt_ms", ",.0f"),
        ("CPU index", "cpu_index", ",.0f"),
    ]
    head = ["page"]
    for title, _, _ in columns:
        head += [f"{title} before", title] if before else [title]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for page, row in after.items():
        cells = [page.removeprefix("book/").removesuffix(".html")]
        for _, key, fmt in columns:
            if before:
                cells.append(_cell(before.get(page), key, fmt))
            cells.append(_cell(row, key, fmt))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def over_limits(results: dict[str, dict]) -> list[str]:
    found = []
    for page, row in results.items():
        if row["html_kB"] * 1000 > site.MAX_HTML:
            found.append(f"{page}: HTML {row['html_kB']:,.0f} kB > {site.MAX_HTML / 1000:,.0f} kB")
        if row["sent_kB"] * 1000 > site.MAX_TRANSFER:
            found.append(
                f"{page}: sent {row['sent_kB']:,.0f} kB > {site.MAX_TRANSFER / 1000:,.0f} kB"
            )
        if "score" in row and row["score"] < TARGET_SCORE:
            found.append(
                f"{page}: Lighthouse mobile performance {row['score']:.2f} < {TARGET_SCORE}"
            )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", help="page names (cnn, intro); default: all")
    parser.add_argument("--html", type=Path, default=book.HTML, help="the built site")
    parser.add_argument("--before", type=Path, help="another built site to compare with")
    parser.add_argument("--no-lighthouse", action="store_true")
    parser.add_argument("--runs", type=int, default=1, help="Lighthouse runs per page (median)")
    parser.add_argument("--out", type=Path, default=book.BUILD / "bench-site")
    args = parser.parse_args(argv)
    if args.html == book.HTML and (problem := book.site_problem()):
        print(f"bench-site: {problem}", file=sys.stderr)
        return 1
    pages = [f"{book.docname(p)}.html" for p in book.toc_pages()]
    if args.pages:
        pages = [p for p in pages if Path(p).stem in args.pages]
    started, cpu = time.time(), time.process_time()
    before = None
    if args.before:
        print(f"before: {args.before}")
        before = measure(args.before, pages, with_lighthouse=not args.no_lighthouse, runs=args.runs)
    print(f"after: {book.relative(args.html)}")
    after = measure(args.html, pages, with_lighthouse=not args.no_lighthouse, runs=args.runs)
    problems = over_limits(after)
    text = (
        f"# Site benchmark\n\nServed with gzip; Lighthouse {LIGHTHOUSE_VERSION}, mobile, "
        f"simulated throttling, median of {args.runs} run(s). CPU index: Lighthouse's "
        "benchmarkIndex of this machine during the run (lower: busier, worse TBT and score). "
        f"Limits: HTML {site.MAX_HTML / 1000:,.0f} kB, sent "
        f"{site.MAX_TRANSFER / 1000:,.0f} kB, score {TARGET_SCORE}.\n\n"
        + table(after, before)
        + "\n\n"
        + ("\n".join(f"- over: {p}" for p in problems) or "Every page within the limits.")
        + f"\n\n{time.time() - started:.0f} s ({time.process_time() - cpu:.0f} s CPU in this "
        "process; Chromium and Lighthouse run in their own).\n"
    )
    return finish(args.out, {"after": after, "before": before}, text, problems)


if __name__ == "__main__":
    sys.exit(main())
