"""The built site and its PDF, checked as students meet them.

Nothing here builds the book: ``make book`` (and ``make pdf``) come first, as ``.ci/run``
does; a test that finds ``_build/html`` missing or older than its sources fails with one
line that says so (``tools.book.site_problem``). Every page listed in ``_toc.yml`` is
checked twice:

- ``test_page_html`` reads its HTML (``site_static``: images, alt texts, links and anchors,
  outputs, launch links, page weight). It needs no browser and always runs.
- ``test_page_in_browser`` opens it in headless Chromium (``site_browser``: console errors,
  offline requests, images, MathJax, icons, bytes transferred, launch menu, folded
  solutions, axe-core in light and dark mode) and saves a light and a dark screenshot to
  ``_build/screenshots/``. ``test_navigation`` opens and closes the sidebars at 390, 768
  and 1280 px; ``test_keyboard`` reaches and operates the page's controls with the keyboard.

The browser tests are skipped, saying why, only when no Chromium is installed
(``apt-get install chromium``; ``.ci/run`` installs it).

``test_pdf`` checks ``_build/pdf/course.pdf`` (``make pdf``): every chapter, with its title
as a bookmark, its text and at least as many images as its page has figures.

The tests of the checks themselves build the small book in ``tests/fixtures/broken_book``
in a temporary folder (the one build allowed here: it is a fixture) and show that each
check passes its good pages and fails its broken ones.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import site_browser
import site_static
from site_static import Problem, expected_output
from tools import site

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "broken_book"
CHROMIUM = site.chromium()
PAGES = site_static.toc_pages(ROOT)
LAUNCH = site_static.launch_urls(ROOT)
WIDTHS = (390, 768, 1280)


def _report(page: str, where: str, problems: list[Problem]) -> str:
    return f"{page} ({where}):\n" + "\n".join(f"  {p}" for p in problems)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM:
        pytest.skip(
            "no Chromium browser installed: `apt-get install chromium` (or set CHROMIUM=/path) "
            "to run the browser checks of the site"
        )
    with site.launch_chromium(CHROMIUM) as context:
        yield context


@pytest.fixture(scope="module")
def served(built_site):
    with site.serve(built_site) as base_url:
        yield base_url


# ------------------------------------------------------------------ the course's site


@pytest.mark.parametrize("page", PAGES, ids=[p.docname for p in PAGES])
def test_page_html(built_site, page):
    problems = site_static.check_page(built_site, page, launch=LAUNCH)
    assert not problems, _report(page.html_path, "its HTML", problems)


@pytest.mark.parametrize("page", PAGES, ids=[p.docname for p in PAGES])
def test_page_in_browser(browser, served, page):
    problems = site_browser.check_page(
        browser, served, HTML, page, launch=LAUNCH, screenshots=SCREENSHOTS
    )
    assert not problems, _report(page.html_path, "in the browser", problems)


@pytest.mark.parametrize("width", WIDTHS)
def test_navigation(browser, served, width):
    """The theme is the same on every page: the first chapter stands for them all."""
    page = next(p for p in PAGES if p.is_notebook)
    problems = site_browser.check_navigation(browser, served, page, width)
    assert not problems, _report(page.html_path, f"navigation at {width} px", problems)


@pytest.mark.parametrize("page", PAGES, ids=[p.docname for p in PAGES])
def test_keyboard(browser, served, page):
    problems = site_browser.check_keyboard(browser, served, page)
    assert not problems, _report(page.html_path, "with the keyboard alone", problems)


def test_toc_lists_the_chapters():
    """The pages come from _toc.yml: the landing page first, and chapters are notebooks."""
    assert PAGES[0].docname == "book/intro" and not PAGES[0].is_notebook
    assert any(p.docname == "book/regression" and p.is_notebook for p in PAGES)


# ------------------------------------------------------------------ the PDF


def test_pdf(built_site):
    from tools import pdf

    if problem := pdf.pdf_problem(ROOT):
        pytest.fail(problem, pytrace=False)
    problems = pdf.check_pdf(pdf.PDF, built_site, PAGES)
    assert not problems, "\n".join(problems)


# ------------------------------------------------------ the checks can fail


@pytest.fixture(scope="module")
def broken_book(tmp_path_factory):
    """tests/fixtures/broken_book, built in a temporary folder: (book folder, html folder)."""
    folder = tmp_path_factory.mktemp("fixture") / "book"
    shutil.copytree(FIXTURE, folder)
    for shared in ("_ext", "_static"):  # built with the course's own site fixes
        shutil.copytree(ROOT / shared, folder / shared)
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    build = subprocess.run(
        [str(jupyter_book), "build", str(folder)], capture_output=True, text=True, cwd=ROOT
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    return folder, folder / "_build" / "html"


def _found(problems: list[Problem], kind: str, *words: str) -> bool:
    return any(p.kind == kind and all(w in p.detail for w in words) for p in problems)


def test_static_checks_fail_on_the_broken_pages(broken_book):
    folder, html = broken_book
    found = {
        page.docname: site_static.check_page(html, page, launch=site_static.launch_urls(folder))
        for page in site_static.toc_pages(folder)
    }
    report = "\n".join(f"{name}: {p}" for name, problems in found.items() for p in problems)
    assert found["intro"] == [] and found["good"] == [], report
    # myst-nb writes the cell's `mystnb: image: alt:` as the figure's alt text
    good = (html / "good.html").read_text(encoding="utf-8")
    assert 'alt="The squares of 0 to 4 against k, a curve that bends upwards."' in good

    broken = found["broken"]
    assert _found(broken, "image", "missing.png"), report
    assert _found(broken, "output", "code cell 1 has no output", "print()"), report
    assert _found(broken, "link", "chapter-two.html", "missing page"), report
    assert _found(broken, "link", "#nowhere.md"), report  # a dead anchor (MyST's dead link)
    assert _found(broken, "link", "#no-such-section"), report  # a dead anchor elsewhere
    assert {p.kind for p in broken} <= {"image", "output", "link"}, report

    undescribed = found["undescribed"]
    assert _found(undescribed, "alt", "file path", "mystnb: image: alt:"), report
    assert _found(undescribed, "alt", "animation player 1", "show_animation"), report
    assert _found(undescribed, "alt", "slider without a name"), report
    assert {p.kind for p in undescribed} == {"alt"}, report

    heavy = found["heavy"]
    assert _found(heavy, "weight", "its HTML is", "800 kB limit"), report
    assert _found(heavy, "weight", "transfers", "1.5 MB limit"), report
    assert {p.kind for p in heavy} == {"weight"}, report


def test_browser_checks_fail_on_the_broken_pages(browser, broken_book, tmp_path):
    folder, html = broken_book
    found: dict[str, list[Problem]] = {}
    with site.serve(html) as base_url:
        pages = site_static.toc_pages(folder)
        for page in pages:
            found[page.docname] = site_browser.check_page(
                browser,
                base_url,
                html,
                page,
                launch=site_static.launch_urls(folder),
                screenshots=tmp_path,
            )
        good = next(p for p in pages if p.docname == "good")
        keyboard = site_browser.check_keyboard(browser, base_url, good)
        navigation = site_browser.check_navigation(browser, base_url, good, 390)
    report = "\n".join(f"{name}: {p}" for name, problems in found.items() for p in problems)

    # The good pages pass, the player made by dlcourse.show_animation included.
    assert found["intro"] == [] and found["good"] == [], report
    assert keyboard == [] and navigation == [], "\n".join(map(str, keyboard + navigation))
    assert (tmp_path / "good.png").stat().st_size > 0
    assert (tmp_path / "good-dark.png").stat().st_size > 0

    broken = found["broken"]
    assert _found(broken, "image", "missing.png"), report
    assert _found(broken, "request", "404", "missing.png"), report
    assert _found(broken, "math"), report  # a TeX error
    assert _found(broken, "solution", "shown at once"), report  # a solution not folded
    assert _found(broken, "axe", "light mode", "label (critical)"), report  # the checkbox
    assert _found(broken, "axe", "dark mode", "label (critical)"), report
    assert {p.kind for p in broken} <= {"image", "request", "console", "math", "solution", "axe"}

    undescribed = found["undescribed"]
    assert _found(undescribed, "axe", "image-alt (critical)"), report  # the old player
    assert _found(undescribed, "axe", "label (critical)"), report  # its slider

    assert _found(found["heavy"], "weight", "the browser received", "1.5 MB limit"), report


# ------------------------------------------ the rules behind the checks


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
    assert site_static.MEMORY_ADDRESS.search("<torch._C.Generator at 0x7f30c907ca50>")
    assert site_static.MEMORY_ADDRESS.search("[<matplotlib.lines.Line2D at 0x7f0a>]")
    assert not site_static.MEMORY_ADDRESS.search("tensor([0.5000, 0.2500])")


@pytest.mark.parametrize(
    "alt, bad",
    [
        (None, True),
        ("", True),
        ("  ", True),
        ("../_images/7d76acf30ab9.png", True),
        ("_images/plot.svg", True),
        ("figure.png", True),
        ("Training and test loss against degree; test loss is lowest near degree 6.", False),
        ("Binder logo", False),
        ("Loss falls, then rises again (see figure 2).", False),
    ],
)
def test_alt_text_rule(alt, bad):
    assert (site_static.alt_problem(alt) is not None) == bad


def test_page_weight_counts_what_a_first_visit_loads(tmp_path):
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "a.css").write_text('@import "b.css";\nbody { color: red }\n')
    (tmp_path / "_static" / "b.css").write_text("p { margin: 0 }\n" * 100)
    (tmp_path / "_static" / "big.png").write_bytes(bytes(range(256)) * 7000)  # 1.8 MB
    (tmp_path / "page.html").write_text(
        '<link rel="stylesheet" href="_static/a.css"><img src="_static/big.png" alt="x">'
        '<img src="_static/big.png" alt="twice, counted once"><script src="gone.js"></script>'
    )
    weight = site.page_weight(tmp_path, "page.html")
    assert set(weight.files) == {"page.html", "_static/a.css", "_static/b.css", "_static/big.png"}
    assert weight.files["_static/big.png"] == 256 * 7000  # images go as they are
    assert weight.files["_static/b.css"] < 1600 / 4  # text goes gzipped
    assert weight.missing == ["gone.js"]
    assert [p.split(",")[0] for p in weight.problems()] == [
        f"a first visit transfers {weight.transferred / 1e6:.2f} MB (gzip on)"
    ]


def _site_fixes():
    spec = importlib.util.spec_from_file_location("site_fixes", ROOT / "_ext" / "site_fixes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_icon_subset_reads_the_font_awesome_bundle():
    fixes = _site_fixes()
    bundle = (
        "x" * 10_001
        + '{github:[496,512,[],"f09b","M1 2z"],"fa-x":[1,1,[],"e000","M0 0z"]}; f("fab",a);'
        + '{sun:[512,512,[9728],"f185","M3 4z"]}; f("far",b);'
        + '"forward-step":[320,512,["step-forward"],"f051",["M5 6z","M7 8z"]]}; f("fas",c);'
    )
    icons = fixes.fontawesome_icons(bundle)
    assert icons["b:github"] == [496, 512, "M1 2z"]
    assert icons["r:sun"] == [512, 512, "M3 4z"]
    assert icons["s:step-forward"] == icons["s:forward-step"] == [320, 512, "M5 6z M7 8z"]
    assert fixes.icon_names('<i class="fa fa-step-forward fa-lg"></i> fa-solid') == {"step-forward"}


def test_page_fixes_name_the_toc_folds_and_are_idempotent():
    fixes = _site_fixes()
    page = (
        '<script src="../_static/scripts/fontawesome.js?digest=1"></script><nav>'
        '<a class="current reference internal" href="#">Dense networks</a><details open="open">'
        '<summary><span><i class="fa-solid fa-chevron-down"></i></span></summary></details>'
        '</nav><article class="bd-article"><img src="a.png" alt="A"><img src="data:x" alt="B">'
    )
    fixed = fixes.fix_page(page, "abc")
    assert '<script defer src="../_static/icons.js?v=abc"' in fixed
    assert '<summary aria-label="Sections of Dense networks">' in fixed
    assert '<img loading="lazy" decoding="async" src="a.png"' in fixed
    assert '<img src="data:x"' in fixed  # embedded frames stay as they are
    assert fixes.fix_page(fixed, "abc") == fixed
