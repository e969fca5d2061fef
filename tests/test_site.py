"""The built site, checked in a real browser (headless Chromium) as students read it.

Every page listed in ``_toc.yml`` is opened from ``_build/html``, served on a local
web server, and checked by ``site_checks.check_page``: no JavaScript errors, no
failed or off-site requests (the site works offline), images loaded, math typeset,
icons drawn, internal links and anchors resolving and, on chapter pages, every code
cell that must show an output showing one (the rule is ``expected_output``: a cell
is flagged only when its code certainly displays something, so cells that
legitimately print nothing pass), launch buttons present and exercise solutions
folded until clicked. A full-page screenshot of each page goes to
``_build/screenshots/`` for people to look at.

``_build/html`` is reused when it is up to date and built with ``make book``
otherwise (missing, or older than a page's source, ``_toc.yml``, ``_config.yml``,
``requirements.txt``, ``dlcourse/`` or ``_ext/``).
The browser tests are skipped, saying why, only when no Chromium is installed
(``apt-get install chromium``; ``.ci/run`` installs it). Nothing here is timed:
``make bench`` measures.

``test_checks_fail_on_a_broken_page`` builds the small book in
``tests/fixtures/broken_book`` in a temporary folder and shows that the same checks
pass its good page and fail its broken one (missing image, code cell without
output, dead links, a TeX error, an unfolded solution).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import site_checks
from site_checks import Problem, expected_output

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "broken_book"
CHROMIUM = os.environ.get("CHROMIUM") or next(
    filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
)

PAGES = site_checks.toc_pages(ROOT)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM:
        pytest.skip(
            "no Chromium browser installed: `apt-get install chromium` (or set CHROMIUM=/path) "
            "to run the browser checks of the site"
        )
    with site_checks.launch_chromium(CHROMIUM) as context:
        yield context


# Besides its own source, every page depends on these (the helper package shapes outputs).
SHARED_INPUTS = [
    ROOT / "_toc.yml",
    ROOT / "_config.yml",
    ROOT / "requirements.txt",
    *sorted((ROOT / "dlcourse").glob("*.py")),
    *sorted((ROOT / "_ext").glob("*.py")),
]


def _site_is_stale() -> str | None:
    """Why ``_build/html`` must be (re)built, or None when it can be reused."""
    done = ROOT / "_build" / ".cache-key"  # `make book` writes it after each successful build
    if not (HTML / "index.html").is_file() or not done.is_file():
        return "there is no site from `make book` yet"
    for page in PAGES:
        if not (HTML / page.html_path).is_file():
            return f"{page.html_path} is missing"
    newest = max((page.source for page in PAGES), key=lambda p: p.stat().st_mtime)
    newest = max([newest, *SHARED_INPUTS], key=lambda p: p.stat().st_mtime)
    if newest.stat().st_mtime > done.stat().st_mtime:
        return f"{newest.relative_to(ROOT)} changed after the last `make book`"
    return None


@pytest.fixture(scope="module")
def book_site():
    """The course's built site on a local server: (base URL, html folder)."""
    if reason := _site_is_stale():
        print(f"building the book with `make book`: {reason}")
        build = subprocess.run(
            ["make", "--no-print-directory", "book"], cwd=ROOT, capture_output=True, text=True
        )
        if build.returncode != 0:
            pytest.fail(f"`make book` failed:\n{build.stdout[-4000:]}\n{build.stderr[-4000:]}")
    with site_checks.serve(HTML) as base_url:
        yield base_url, HTML


@pytest.mark.parametrize("page", PAGES, ids=[p.docname for p in PAGES])
def test_page_in_browser(browser, book_site, page):
    base_url, html = book_site
    problems = site_checks.check_page(
        browser,
        base_url,
        html,
        page,
        launch=site_checks.launch_urls(ROOT),
        screenshot=SCREENSHOTS / f"{page.docname}.png",
    )
    assert not problems, f"{page.html_path} in the browser:\n" + "\n".join(
        f"  {p}" for p in problems
    )


def test_toc_lists_the_chapters():
    """The pages come from _toc.yml: the landing page first, and chapters are notebooks."""
    assert PAGES[0].docname == "book/intro" and not PAGES[0].is_notebook
    assert any(p.docname == "book/regression" and p.is_notebook for p in PAGES)


# ------------------------------------------------------ the checks can fail


@pytest.fixture(scope="module")
def broken_book(tmp_path_factory):
    """tests/fixtures/broken_book, built in a temporary folder: (book folder, html folder)."""
    book = tmp_path_factory.mktemp("fixture") / "book"
    shutil.copytree(FIXTURE, book)
    for shared in ("_ext", "_static"):  # built with the course's own site fixes and favicon
        shutil.copytree(ROOT / shared, book / shared)
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    build = subprocess.run([str(jupyter_book), "build", str(book)], capture_output=True, text=True)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    return book, book / "_build" / "html"


def test_checks_fail_on_a_broken_page(browser, broken_book, tmp_path):
    book, html = broken_book
    found: dict[str, list[Problem]] = {}
    with site_checks.serve(html) as base_url:
        for page in site_checks.toc_pages(book):
            found[page.docname] = site_checks.check_page(
                browser,
                base_url,
                html,
                page,
                launch=site_checks.launch_urls(book),
                screenshot=tmp_path / f"{page.docname}.png",
            )
    report = "\n".join(f"{name}: {p}" for name, problems in found.items() for p in problems)

    # The good pages pass: the checks do not fail everything.
    assert found["intro"] == [] and found["good"] == [], report
    assert (tmp_path / "good.png").stat().st_size > 0

    broken = found["broken"]

    def has(kind: str, *words: str) -> bool:
        return any(p.kind == kind and all(w in p.detail for w in words) for p in broken)

    assert has("image", "missing.png"), report  # a broken image
    assert has("request", "404", "missing.png"), report
    assert has("output", "code cell 1 has no output", "print()"), report  # a cell without output
    assert has("link", "chapter-two.html", "missing page"), report  # a dead link to a page
    assert has("link", "#nowhere.md"), report  # a dead anchor (MyST's dead link)
    assert has("link", "#no-such-section"), report  # a dead anchor on another page
    assert has("math"), report  # a TeX error
    assert has("solution", "shown at once"), report  # a solution not folded
    assert {p.kind for p in broken} <= {
        "image",
        "request",
        "console",
        "output",
        "link",
        "math",
        "solution",
    }, report


# ------------------------------------------ the rule for cells that need output


@pytest.mark.parametrize(
    "source, needs_output",
    [
        ('print("hello")', True),
        ("for k in range(3):\n    print(k)", True),
        ("display(table)", True),
        ("fig, ax = plt.subplots()\nax.plot(x, y)\nax.legend();", True),
        ("plt.imshow(image)", True),
        ("model", True),
        ("x.shape", True),
        ("losses[-1] / 2", True),
        ("HTML(animation.to_jshtml())", True),
        ("%matplotlib inline\nimport numpy as np\nnp.arange(3) * 2", True),
        ("%%time\nprint(1)", True),
        # legitimately silent
        ("import numpy as np\nx = np.arange(3)", False),
        ("def report(x):\n    print(x)", False),
        ("loss.backward()\noptimizer.step()", False),
        ('glue("rg_loss", loss)', False),
        ("fig, ax = plt.subplots()\nanim = make(fig)\nplt.close(fig)", False),
        ("x.shape;", False),
        ("model  ;  # nothing to show", False),
        ("%%capture\nprint('hidden')", False),
        ("!ls\n%pip install x", False),  # magics and shell commands: not judged
    ],
)
def test_expected_output_rule(source, needs_output):
    assert (expected_output(source) is not None) == needs_output


def test_expected_output_rejects_broken_code():
    with pytest.raises(SyntaxError):
        expected_output("def f(:\n    pass")


def test_memory_address_pattern():
    assert site_checks.MEMORY_ADDRESS.search("<torch._C.Generator at 0x7f30c907ca50>")
    assert site_checks.MEMORY_ADDRESS.search("[<matplotlib.lines.Line2D at 0x7f0a>]")
    assert not site_checks.MEMORY_ADDRESS.search("tensor([0.5000, 0.2500])")


def test_toc_pages_reads_nested_entries(tmp_path):
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nparts:\n  - caption: P\n    chapters:\n"
        "      - file: a\n        sections:\n          - file: sub/b.md\n"
        "      - glob: more/*\n      - url: https://example.org\n        title: elsewhere\n"
        "      - file: c\n"
    )
    for name in ("intro.md", "a.md", "sub/b.md", "more/x.md", "more/y.ipynb", "c.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("# page\n")
    docnames = [p.docname for p in site_checks.toc_pages(tmp_path)]
    assert docnames == ["intro", "a", "sub/b", "more/x", "more/y", "c"]
    (tmp_path / "a.md").unlink()
    with pytest.raises(FileNotFoundError, match="lists 'a'"):
        site_checks.toc_pages(tmp_path)
