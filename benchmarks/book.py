"""Benchmark the whole book: how long each chapter runs, how much memory it needs.

Run it with ``make bench`` (or ``python -m benchmarks.book [CHAPTER ...]``). For each
page of each chapter listed in ``_toc.yml``, in book order, the script

- runs the chapter top to bottom in a fresh Jupyter kernel (nbclient), in the
  chapter's folder as the book build does, and records the wall time from starting
  the kernel to the end of the last cell;
- records the CPU time the kernel used (less sensitive to other work on the machine);
- records the peak resident memory of the kernel: the largest sum of the kernel's
  RSS and the unique memory (USS) of its child processes, sampled every 50 ms with
  psutil, or the kernel's own high-water mark (Linux ``VmHWM``) when that is larger;
- notes its slowest cells (in the JSON file), to show where a slow chapter spends its time;
- reads the chapter's results from its glued values (the outputs ``glue`` makes,
  named in their ``scrapbook`` metadata); the table shows the accuracies, losses and
  errors, the JSON file every glued value.

Then it makes sure the site and its execution cache are up to date (``make book``,
not timed) and times a warm rebuild: every page re-rendered from the execution
cache (``make book BOOK_ARGS=--all``), nothing executed.

Memory has a floor that no chapter controls: with the pinned (CUDA) build of PyTorch, a kernel
that imports torch and matplotlib, builds one ``torch.optim`` optimizer (which imports
TorchDynamo) and glues a number (which imports myst-nb) already holds 850 MB to 1 GB of
resident memory, depending on how many of the libraries' pages the machine maps. So the script
first runs a *floor* notebook that does only that, and budgets a chapter's **own memory**: its
peak of anonymous memory (Linux ``RssAnon``: its data, models and computations, without the
libraries' code pages, which are shared and which the machine maps more or less of) above the
floor's. A chapter may use ``budget - REFERENCE_FLOOR_MB`` of its own, where the reference floor
is the one measured on the course's reference machine when the 1 GB budgets were set. The table
shows the peak resident memory too.

Own memory varies from run to run: the C allocator (glibc) keeps part of what PyTorch frees,
and how much differs between two runs of the same page by up to 30 MB, mostly upwards. One
unlucky run near the budget should not decide, so a page whose own memory comes within
``MEMORY_RECHECK_MB`` of its budget, or over it, runs ``MEMORY_RUNS - 1`` more times and its
own memory is the **median** of its runs; the table lists every run. A page that is over its
budget in most runs still fails. Times are those of the first run.

It writes ``_build/bench.md`` and ``_build/bench.json``, prints the table, and exits
with status 1, naming the chapter, when a budget below is broken. The budgets are
for the course's reference machine, 2 CPU cores; the machine's load is recorded
with the figures, since other work on the machine inflates them. A budget is a
chapter's, and holds for each of its pages: a chapter split into pages (``sections:`` in
``_toc.yml``) may take its time budget on every page (the table also gives the sum), and its
memory is that of its hungriest page.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import os
import platform
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import jupytext
import psutil
from nbclient import NotebookClient

from benchmarks import finish
from tools.book import BUILD, ROOT, chapter_groups

# Budgets, on 2 CPU cores: chapter -> (seconds of wall time, MB of peak kernel memory).
# A chapter not listed here gets DEFAULT_BUDGET.
BUDGETS = {
    "regression": (30, 1000),
    "gradient_descent": (30, 1000),
    "backprop": (30, 1000),
}
DEFAULT_BUDGET = (90, 1000)
# The floor of the reference machine when the budgets were set (torch imported, one optimizer).
REFERENCE_FLOOR_MB = 850
FLOOR_NOTEBOOK = """\
```{code-cell} ipython3
%matplotlib inline
import matplotlib.pyplot as plt
import torch
from torch import nn

import dlcourse
```

```{code-cell} ipython3
optimizer = torch.optim.Adam(nn.Linear(2, 1).parameters())
fig, ax = plt.subplots()
ax.plot([0, 1], [1, 0])
dlcourse.glue("floor", 1.0);
```
"""
BOOK_BUDGET_S = 6 * 60  # all chapters, one after another
MEMORY_RECHECK_MB = 10  # own memory this close to its budget (or over): measure again
MEMORY_RUNS = 3  # ... in this many runs in all, and take the median
WARM_REBUILD_BUDGET_S = 20

KEY_RESULT = re.compile(r"acc|loss|err|mse|perplexity", re.IGNORECASE)  # glue names for the table
CELL_TIMEOUT_S = 600
MB = 1e6


def budget(name: str) -> tuple[float, float]:
    return BUDGETS.get(name, DEFAULT_BUDGET)


class PeakMemory:
    """Samples the memory of a process and its children in a background thread.

    ``peak`` (bytes) is the largest sample, or the process's own high-water mark if
    that is larger (it also sees spikes shorter than the sampling interval).
    ``peak_anon`` is the largest sample of the kernel's anonymous memory (Linux
    ``RssAnon``: its heap and tensors, without the pages of shared libraries, which
    count in RSS as far as the machine happens to map them).
    """

    def __init__(self, pid: int, interval: float = 0.05):
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self.peak_anon = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.peak = max(self.peak, self.high_water_mark())
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        try:
            kernel = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop.is_set():
            try:
                total = kernel.memory_info().rss
                children = kernel.children(recursive=True)
            except psutil.NoSuchProcess:
                return
            for child in children:
                # Unique memory only: a child just forked from the kernel shares all of
                # the kernel's pages, and counting its RSS would count them twice.
                try:
                    total += child.memory_full_info().uss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass  # a child that just ended
            self.peak = max(self.peak, total)
            self.peak_anon = max(self.peak_anon, self._status_kb("RssAnon") * 1024)
            self._stop.wait(self.interval)

    def _status_kb(self, field: str) -> int:
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return 0
        match = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
        return int(match.group(1)) if match else 0

    def high_water_mark(self) -> int:
        """The kernel's own peak RSS as Linux counts it (0 where /proc is not available)."""
        return self._status_kb("VmHWM") * 1024


def glued_values(nb) -> dict[str, object]:
    """name -> value of everything the notebook glued (numbers parsed, the rest as text)."""
    values: dict[str, object] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            scrapbook = output.get("metadata", {}).get("scrapbook")
            if not scrapbook:
                continue
            text = output.get("data", {}).get(scrapbook.get("mime_prefix", "") + "text/plain")
            if text is None:
                continue
            try:
                value = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                value = text
            values[scrapbook["name"]] = value
    return values


def framework_floor() -> dict:
    """Peak memory (MB: ``peak_mb``, ``peak_anon_mb``) of a kernel that only imports the
    libraries, builds an optimizer and glues a number."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "floor.md"
        path.write_text(FLOOR_NOTEBOOK, encoding="utf-8")
        result = run_chapter(path)
    if result["error"]:
        raise RuntimeError(f"the floor notebook failed: {result['error']}")
    return {"peak_mb": result["peak_mb"], "peak_anon_mb": result["peak_anon_mb"]}


def run_chapter(path: Path) -> dict:
    """Execute one chapter in a fresh kernel; its time, peak memory and glued values."""
    nb = jupytext.read(path, fmt="md:myst")
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name=nb.metadata.get("kernelspec", {}).get("name", "python3"),
        resources={"metadata": {"path": str(path.parent)}},
    )
    error = None
    cells: list[dict] = []  # the time of each code cell, to say where a slow chapter spends it
    start = time.perf_counter()
    with client.setup_kernel():
        with PeakMemory(client.km.provisioner.pid) as memory:
            try:
                for index, cell in enumerate(nb.cells):
                    if cell.cell_type != "code":
                        continue
                    cell_start = time.perf_counter()
                    client.execute_cell(cell, index)
                    first_line = (cell.source.strip().splitlines() or [""])[0][:60]
                    cells.append(
                        {
                            "cell": index,
                            "first_line": first_line,
                            "seconds": round(time.perf_counter() - cell_start, 2),
                        }
                    )
            except Exception as exc:  # a failing cell: record it, go on with the next chapter
                error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:200]}"
            seconds = time.perf_counter() - start
            cpu = psutil.Process(client.km.provisioner.pid).cpu_times()
    slowest = sorted(cells, key=lambda c: -c["seconds"])[:3]
    cpu_seconds = cpu.user + cpu.system + cpu.children_user + cpu.children_system
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_mb": memory.peak / MB,
        "peak_anon_mb": memory.peak_anon / MB,
        "glue": glued_values(nb),
        "slowest_cells": slowest,
        "error": error,
    }


def run_page(path: Path, floor: dict, own_budget: float) -> dict:
    """``run_chapter``, and for a page near or over its memory budget the median memory of
    ``MEMORY_RUNS`` runs (``own_runs_mb``: the own memory of every run, in order)."""
    result = run_chapter(path)
    runs = [result]
    if not result["error"]:
        own = result["peak_anon_mb"] - floor["peak_anon_mb"]
        if own > own_budget - MEMORY_RECHECK_MB:
            print(
                f"  {own:.0f} MB of its own, near or over {own_budget:g} MB: "
                f"{MEMORY_RUNS - 1} more runs, for the median",
                flush=True,
            )
            again = [run_chapter(path) for _ in range(MEMORY_RUNS - 1)]
            runs += [r for r in again if not r["error"]]  # a failed run's memory says little
    middle = sorted(runs, key=lambda r: r["peak_anon_mb"])[len(runs) // 2]
    return {
        **result,
        "peak_mb": middle["peak_mb"],
        "peak_anon_mb": middle["peak_anon_mb"],
        "own_runs_mb": [r["peak_anon_mb"] - floor["peak_anon_mb"] for r in runs],
    }


def warm_rebuild() -> dict:
    """Bring site and cache up to date (untimed), then time a rebuild of every page from the cache."""
    env = {**os.environ, "DLCOURSE_PROGRESS": "off"}
    print(
        "bringing the site and its execution cache up to date (make book, not timed)...", flush=True
    )
    subprocess.run(
        ["make", "--no-print-directory", "book"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print("timing a warm rebuild of every page (make book BOOK_ARGS=--all)...", flush=True)
    start = time.perf_counter()
    build = subprocess.run(
        ["make", "--no-print-directory", "book", "BOOK_ARGS=--all"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    executed = re.findall(r"(\S+): Executing notebook", build.stdout)
    return {
        "seconds": seconds,
        "ok": build.returncode == 0,
        "executed": executed,
        "log_tail": "" if build.returncode == 0 else (build.stdout + build.stderr)[-3000:],
    }


def fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def key_results(glue: dict[str, object]) -> dict[str, object]:
    numbers = {
        k: v for k, v in glue.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
    }
    key = {k: v for k, v in numbers.items() if KEY_RESULT.search(k)}
    return key or dict(list(numbers.items())[:6])


def own_text(own_mb: float, pages: list[dict]) -> str:
    """Own memory for the table; with the runs behind a median where a page was re-run."""
    runs = [
        ", ".join(f"{mb:.0f}" for mb in page["own_runs_mb"])
        for page in pages
        if len(page.get("own_runs_mb", [])) > 1
    ]
    return f"{own_mb:.0f}" + (f" (median of {'; '.join(runs)})" if runs else "")


def table(report: dict) -> str:
    machine = report["machine"]
    lines = [
        "# Benchmark of the book",
        "",
        f"{report['date']} on {machine['cpus']} CPU cores ({machine['processor']}), "
        f"GPU: {machine['gpu']}; load average (1, 5, 15 min) before "
        f"{machine['load_before']}, after {machine['load_after']}.",
        "Wall times grow with the machine's load; the kernel's CPU time (user + system, all",
        "threads) does much less, so it tells a slow chapter from a busy machine.",
        f"Memory floor (a kernel with torch, matplotlib, dlcourse, one optimizer and a glued "
        f"number): {report['floor']['peak_mb']:.0f} MB resident here "
        f"({report['floor']['peak_anon_mb']:.0f} MB of it anonymous), {REFERENCE_FLOOR_MB} MB "
        "on the reference machine. A chapter's own memory is its peak anonymous memory above "
        "the floor's: its data, models and computations.",
        "",
        "| chapter | wall time (s) | budget (s) | kernel CPU time (s) | peak memory (MB) "
        "| own memory (MB) | own budget (MB) | key results | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for ch in report["chapters"]:
        results = ", ".join(f"{k} = {fmt(v)}" for k, v in key_results(ch["glue"]).items())
        verdict = "ok" if not ch["broken"] else "; ".join(ch["broken"])
        title = ch["name"] if len(ch["pages"]) == 1 else f"{ch['name']} (all its pages)"
        own = own_text(ch["own_mb"], ch["pages"] if len(ch["pages"]) == 1 else [])
        lines.append(
            f"| {title} | {ch['seconds']:.1f} | {ch['budget_s']:g} | {ch['cpu_seconds']:.1f} | "
            f"{ch['peak_mb']:.0f} | {own} | "
            f"{ch['budget_mb'] - REFERENCE_FLOOR_MB:g} | {results} | {verdict} |"
        )
        if len(ch["pages"]) > 1:
            for page in ch["pages"]:
                lines.append(
                    f"| &nbsp;&nbsp;page {page['name']} | {page['seconds']:.1f} | | "
                    f"{page['cpu_seconds']:.1f} | {page['peak_mb']:.0f} | "
                    f"{own_text(page['peak_anon_mb'] - report['floor']['peak_anon_mb'], [page])}"
                    " | | | |"
                )
    book = report["book"]
    lines.append(
        f"| **whole book** | {book['seconds']:.1f} | {book['budget_s']:g} | {book['cpu_seconds']:.1f} | "
        f"{book['peak_mb']:.0f} | | | | {'ok' if not book['broken'] else book['broken']} |"
    )
    if rebuild := report.get("warm_rebuild"):
        verdict = "ok" if not rebuild["broken"] else rebuild["broken"]
        lines.append(
            f"| warm rebuild (all pages from the cache) | {rebuild['seconds']:.1f} | "
            f"{rebuild['budget_s']:g} | | | | | | {verdict} |"
        )
    return "\n".join(lines) + "\n"


def machine_info() -> dict:
    try:
        import torch

        gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    except ImportError:
        gpu = "unknown"
    return {
        "cpus": os.cpu_count(),
        "processor": platform.machine(),
        "gpu": gpu,
        "python": platform.python_version(),
        "load_before": [round(x, 2) for x in os.getloadavg()],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.book", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "only",
        nargs="*",
        metavar="CHAPTER",
        help="run only these chapters (file names without .md); default: all",
    )
    parser.add_argument("--skip-rebuild", action="store_true", help="do not time the warm rebuild")
    args = parser.parse_args(argv)

    groups = chapter_groups(ROOT)  # a chapter: its first page and the sections under it
    pages = [page.stem for group in groups for page in group]
    unknown = set(args.only) - set(pages)
    if unknown:
        parser.error(
            f"not chapters of _toc.yml: {', '.join(sorted(unknown))}; "
            f"the chapters' pages are {', '.join(pages)}"
        )
    if args.only:
        groups = [[p for p in group if p.stem in args.only] for group in groups]
        groups = [group for group in groups if group]

    report = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": machine_info(),
        "chapters": [],
    }
    print("measuring the memory floor (torch, matplotlib, one optimizer, glue)...", flush=True)
    report["floor"] = floor = framework_floor()
    print(
        f"  floor {floor['peak_mb']:.0f} MB ({floor['peak_anon_mb']:.0f} MB anonymous)", flush=True
    )
    for group in groups:
        results = []
        own_budget = budget(group[0].stem)[1] - REFERENCE_FLOOR_MB
        for path in group:
            print(f"running {path.relative_to(ROOT)} in a fresh kernel...", flush=True)
            result = run_page(path, floor, own_budget)
            results.append({"name": path.stem, "source": str(path.relative_to(ROOT)), **result})
            slowest = ", ".join(
                f"cell {c['cell']} {c['seconds']:.1f} s" for c in result["slowest_cells"]
            )
            print(
                f"  {result['seconds']:.1f} s (slowest: {slowest}), "
                f"peak {result['peak_mb']:.0f} MB "
                f"({result['peak_anon_mb'] - floor['peak_anon_mb']:.0f} MB of its own)",
                flush=True,
            )
        # The budget is the chapter's: all its pages together in time, the worst page in memory.
        name = group[0].stem
        chapter = {
            "name": name,
            "pages": results,
            "seconds": sum(r["seconds"] for r in results),
            "cpu_seconds": sum(r["cpu_seconds"] for r in results),
            "peak_mb": max(r["peak_mb"] for r in results),
            "peak_anon_mb": max(r["peak_anon_mb"] for r in results),
            "glue": {k: v for r in results for k, v in r["glue"].items()},
        }
        budget_s, budget_mb = budget(name)
        broken = [f"{r['name']} failed: {r['error']}" for r in results if r["error"]]
        for r in results:
            if r["seconds"] > budget_s:
                broken.append(f"{r['name']} took {r['seconds']:.1f} s > {budget_s:g} s")
        own_mb = chapter["own_mb"] = chapter["peak_anon_mb"] - floor["peak_anon_mb"]
        if own_mb > own_budget:
            broken.append(
                f"{name} needed {own_mb:.0f} MB above the floor > {own_budget:g} MB "
                f"(peak {chapter['peak_mb']:.0f} MB)"
            )
        chapter.update(budget_s=budget_s, budget_mb=budget_mb, broken=broken)
        report["chapters"].append(chapter)
        if len(results) > 1:
            print(
                f"  chapter {name} ({len(results)} pages): {chapter['seconds']:.1f} s, "
                f"peak {chapter['peak_mb']:.0f} MB",
                flush=True,
            )
        if broken:
            print(f"  BROKEN: {'; '.join(broken)}", flush=True)

    total = sum(ch["seconds"] for ch in report["chapters"])
    book_broken = (
        f"the book took {total:.0f} s > {BOOK_BUDGET_S} s"
        if total > BOOK_BUDGET_S and not args.only
        else ""
    )
    report["book"] = {
        "seconds": total,
        "budget_s": BOOK_BUDGET_S,
        "broken": book_broken,
        "cpu_seconds": sum(ch["cpu_seconds"] for ch in report["chapters"]),
        "peak_mb": max((ch["peak_mb"] for ch in report["chapters"]), default=0),
    }

    if not args.skip_rebuild:
        rebuild = warm_rebuild()
        problems = []
        if not rebuild["ok"]:
            problems.append("the build failed:\n" + rebuild["log_tail"])
        if rebuild["executed"]:
            problems.append(f"not warm: it executed {', '.join(rebuild['executed'])}")
        if rebuild["seconds"] > WARM_REBUILD_BUDGET_S:
            problems.append(
                f"warm rebuild took {rebuild['seconds']:.1f} s > {WARM_REBUILD_BUDGET_S} s"
            )
        report["warm_rebuild"] = {
            **rebuild,
            "budget_s": WARM_REBUILD_BUDGET_S,
            "broken": "; ".join(problems),
        }

    report["machine"]["load_after"] = [round(x, 2) for x in os.getloadavg()]
    broken = [b for ch in report["chapters"] for b in ch["broken"]]
    broken += [
        b for b in (report["book"]["broken"], report.get("warm_rebuild", {}).get("broken")) if b
    ]
    return finish(BUILD / "bench", report, table(report), broken)


if __name__ == "__main__":
    sys.exit(main())
