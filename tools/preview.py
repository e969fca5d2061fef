"""Build the site the way `make book` does and say where to look at one chapter.

Usage (``make preview CHAPTER=<name>`` runs this)::

    python tools/preview.py <name>

The build re-executes only the chapters whose code changed since the last build:
the others come from the execution cache (``_build/.jupyter_cache``). The cache is
cleared only when ``dlcourse/``, ``requirements.txt`` or ``pyproject.toml`` changed
(see the Makefile's ``book`` target), since then every chapter's outputs may change.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python tools/preview.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.chapters import ROOT, find_chapter, relative, toc_files
from tools.hints import build_hint, strip_ansi
from tools.lint_chapters import lint_book

EXECUTED = re.compile(r"^(?P<path>\S+\.md): Executing notebook")
FROM_CACHE = re.compile(r"^(?P<path>\S+\.md): Using cached notebook")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    name = args[0].strip() if args else ""
    page = None
    if name:
        try:
            page = find_chapter(name, ROOT)
        except ValueError as err:
            print(f"make preview: {err}", file=sys.stderr)
            return 2
        if page not in toc_files(ROOT):
            print(
                f"make preview: book/{name}.md is not in _toc.yml, so the site leaves it out. "
                f"Add the line `  - file: book/{name}` to _toc.yml.",
                file=sys.stderr,
            )
            return 2

    if page is not None:
        # The lint is quick, and catches some build failures (a mistyped glue name) sooner.
        remarks = lint_book(ROOT, only=[page])
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
    print()
    print(f"make preview: build {'failed' if status else 'finished'} in {seconds:.0f} s.")
    print(f"  re-executed: {', '.join(executed) or 'none'}")
    if cached:
        print(f"  re-read, outputs from the execution cache: {', '.join(cached)}")
    if "clearing the execution cache" in log:
        print("  (a first build, or dlcourse/ or the requirements changed: every chapter ran)")
    else:
        print("  every other page: unchanged since the last build")
    if status:
        print(build_hint(log, ROOT))
        return status
    if page is None:
        print(f"The site: {relative(ROOT / '_build/html/index.html')}")
        return 0
    html = ROOT / "_build" / "html" / "book" / f"{name}.html"
    if relative(page) not in executed + cached and "clearing the execution cache" not in log:
        print(f"  ({relative(page)} did not change since the last build: the page is as it was.)")
    print(f"Your page: {relative(html)}")
    print(f"  open file://{html} in a browser, or run `make serve` and open")
    print(f"  http://localhost:{os.environ.get('PORT', '8000')}/book/{name}.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
