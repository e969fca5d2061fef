"""Build the site the way `make book` does and say where to look at one chapter.

Usage (``make preview CHAPTER=<name>`` runs this)::

    python -m tools.preview <name>

The build re-executes only the chapters whose code changed since the last build, or whose
``dlcourse`` modules, pins or seed changed (``_ext/cache_rule.py``); the others come from the
execution cache (``_build/.jupyter_cache``). The report names the pages that ran, and why.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from tools import book, lint
from tools.book import ROOT, relative
from tools.hints import build_hint, strip_ansi

EXECUTED = re.compile(r"^(?P<path>\S+\.md): Executing notebook")
FROM_CACHE = re.compile(r"^(?P<path>\S+\.md): Using cached notebook")
RULE = re.compile(r"cache rule: (?P<path>\S+\.md) runs again: (?P<why>.*)$")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    name = args[0].strip() if args else ""
    page = None
    if name:
        try:
            page = book.find_chapter(name, ROOT)
        except ValueError as err:
            print(f"make preview: {err}", file=sys.stderr)
            return 2
        if page not in book.toc_pages(ROOT):
            print(
                f"make preview: book/{name}.md is not in _toc.yml, so the site leaves it out. "
                f"Add the line `  - file: book/{name}` to _toc.yml.",
                file=sys.stderr,
            )
            return 2
        # The lint is quick, and catches some build failures (a mistyped glue name) sooner.
        remarks = lint.lint(ROOT, only=[page])
        if remarks:
            print(f"The chapter lint has {len(remarks)} remark(s) (`make test` fails on them):")
            for remark in remarks:
                print(f"  {remark}")
            print()

    start = time.monotonic()
    command = [os.environ.get("MAKE", "make"), "--no-print-directory", "book"]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        sys.stdout.write(line)
        lines.append(strip_ansi(line.rstrip("\n")))
    status = process.wait()
    seconds = time.monotonic() - start
    log = "\n".join(lines)

    executed = sorted({relative(Path(m["path"])) for m in map(EXECUTED.match, lines) if m})
    cached = sorted({relative(Path(m["path"])) for m in map(FROM_CACHE.match, lines) if m})
    reasons = {m["path"]: m["why"] for m in map(RULE.search, lines) if m}
    print()
    print(f"make preview: build {'failed' if status else 'finished'} in {seconds:.0f} s.")
    print(f"  re-executed: {', '.join(executed) or 'none'}")
    for path, why in sorted(reasons.items()):
        print(f"    {path}: {why}")
    if cached:
        print(f"  re-read, outputs from the execution cache: {', '.join(cached)}")
    print("  every other page: unchanged since the last build")
    if status:
        print(build_hint(log, ROOT))
        return status
    if page is None:
        print(f"The site: {relative(ROOT / '_build/html/index.html')}")
        return 0
    html = ROOT / "_build" / "html" / "book" / f"{name}.html"
    if relative(page) not in executed + cached:
        print(f"  ({relative(page)} did not change since the last build: the page is as it was.)")
    print(f"Your page: {relative(html)}")
    print(f"  open file://{html} in a browser, or run `make serve` and open")
    print(f"  http://localhost:{os.environ.get('PORT', '8000')}/book/{name}.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
