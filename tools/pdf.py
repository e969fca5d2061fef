"""``make pdf``: the whole course as one PDF, ``_build/pdf/course.pdf``.

Jupyter Book 1's own PDF builder downloads a browser of its own and fails with
sphinx-exercise (jupyter-book#2322), so this prints the built site instead: each page of
``_toc.yml``, in book order, is opened in the system's Chromium (through Playwright, no
browser download), made ready for paper, printed, and the pages are joined with pypdf
into one file with a bookmark per chapter (and the chapter's own headings below it).

Ready for paper means: MathJax has typeset every formula; every figure has loaded
(figures load lazily on the site); every solution is unfolded, right after its exercise;
each animation stands still on its first frame, without its buttons; navigation, sidebars,
launch and copy buttons and the "show code" toggles of hidden code are left out.

``python -m tools.pdf`` builds it from ``_build/html`` (run ``make book`` first) and puts a
copy into the site, ``_build/html/course.pdf``, which the landing page offers for download;
:func:`pdf_problem` and :func:`check_pdf` are what ``tests/test_site.py`` uses.
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import time
from pathlib import Path

from tools import book, site

PDF = book.BUILD / "pdf" / "course.pdf"
# The copy the site offers for download (book/intro.md links to it).
SITE_COPY = book.HTML / "course.pdf"

PRINT_CSS = """
@media print {
  .bd-header, .bd-header-article, .header-article, .bd-sidebar-primary,
  .bd-sidebar-secondary, .prev-next-area, .bd-footer, .bd-footer-article, footer,
  #pst-back-to-top, .skip-link, .toggle-button, .anim-controls, .copybtn,
  details.hide > summary, .headerlink { display: none !important; }
  .bd-main .bd-content .bd-article-container, .bd-page-width { max-width: none !important; }
  .bd-main { margin: 0 !important; }
  pre { white-space: pre-wrap !important; overflow-wrap: anywhere; }
  img, .animation { break-inside: avoid; }
}
"""

# Everything the reader would unfold or wait for, done before printing.
PREPARE_JS = """
async () => {
  document.documentElement.dataset.mode = 'light';
  document.documentElement.dataset.theme = 'light';
  document.querySelectorAll('.toggle-hidden').forEach(el => el.classList.remove('toggle-hidden'));
  document.querySelectorAll('div.animation img[id^="_anim_img"]').forEach(img => {
    const player = window['anim' + img.id.slice('_anim_img'.length)];
    if (player) { player.pause_animation(); player.set_frame(0); }
  });
  await Promise.all(Array.from(document.images).map(img => {
    img.loading = 'eager';
    return img.complete ? null : new Promise(done => {
      img.addEventListener('load', done); img.addEventListener('error', done);
      setTimeout(done, 15000);
    });
  }));
}
"""


def page_title(html_file: Path) -> str:
    """The page's ``<h1>``, as the reader sees it (without the ``#`` of its link)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html_file.read_text(encoding="utf-8"), "html.parser")
    heading = soup.select_one("article h1") or soup.find("h1") or soup.find("title")
    for link in heading.select(".headerlink"):
        link.decompose()
    return " ".join(heading.get_text(" ").split())


def figures_on_page(html_file: Path) -> int:
    """Figures of a page (images in its article, an animation counting as one)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html_file.read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article.bd-article") or soup
    return len(article.find_all("img"))


def print_pages(html_dir: Path, pages: list[str], executable: str) -> list[bytes]:
    """Each page (paths below ``html_dir``) printed to PDF by Chromium, in order."""
    printed = []
    with site.serve(html_dir, use_gzip=False) as base, site.launch_chromium(executable) as ctx:
        for page in pages:
            tab = ctx.new_page()
            tab.goto(base + page, wait_until="load")
            tab.add_style_tag(content=PRINT_CSS)
            tab.evaluate(site.TYPESET_ALL_JS)  # every formula, not only those in view
            tab.evaluate(PREPARE_JS)
            site.settle(tab)
            printed.append(
                tab.pdf(
                    format="A4",
                    print_background=True,
                    margin={"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"},
                    outline=True,
                    tagged=True,
                )
            )
            tab.close()
    return printed


def build(html_dir: Path = book.HTML, out: Path = PDF, root: Path = book.ROOT) -> Path:
    """Print every page of the book at ``root`` (built in ``html_dir``) into ``out``."""
    from pypdf import PdfReader, PdfWriter

    executable = site.chromium()
    if executable is None:
        raise SystemExit("make pdf needs Chromium: `apt-get install chromium` (or set CHROMIUM)")
    pages = [f"{book.docname(p, root)}.html" for p in book.toc_pages(root)]
    writer = PdfWriter()
    for page, data in zip(pages, print_pages(html_dir, pages, executable), strict=True):
        title = page_title(html_dir / page)
        writer.append(PdfReader(io.BytesIO(data)), outline_item=title)
    writer.add_metadata({"/Title": book.config(root).get("title", "Course")})
    writer.page_mode = "/UseOutlines"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as file:
        writer.write(file)
    return out


# ------------------------------------------------------------------------------ checks


def pdf_problem(root: Path = book.ROOT) -> str | None:
    """Why ``_build/pdf/course.pdf`` cannot be checked (one line naming ``make pdf``), or None."""
    pdf = root / "_build" / "pdf" / "course.pdf"
    if not pdf.is_file():
        return "there is no _build/pdf/course.pdf: run `make pdf` (after `make book`)"
    # The pages, not make book's stamp: a build that changes nothing rewrites no page,
    # and then the PDF printed from them is still current.
    pages = (root / "_build" / "html").rglob("*.html")
    newest = max((p.stat().st_mtime for p in pages), default=0.0)
    if pdf.stat().st_mtime < newest:
        return "_build/pdf/course.pdf is older than the site in _build/html: run `make pdf`"
    return None


def _images_on(page) -> set:
    """Image XObjects a PDF page draws (also inside forms), by object number."""
    found: set = set()

    def walk(resources) -> None:
        xobjects = (resources or {}).get("/XObject")
        if not xobjects:
            return
        for ref in xobjects.get_object().values():
            obj = ref.get_object()
            if obj.get("/Subtype") == "/Image":
                found.add(getattr(ref, "idnum", id(obj)))
            elif obj.get("/Subtype") == "/Form":
                walk(obj.get("/Resources"))

    walk(page.get("/Resources"))
    return found


def chapters_in(pdf: Path) -> list[tuple[str, int, int]]:
    """(bookmark title, first page, end page) of each top-level bookmark, in order."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    top = [item for item in reader.outline if not isinstance(item, list)]
    starts = [(item.title, reader.get_destination_page_number(item)) for item in top]
    ends = [start for _, start in starts[1:]] + [len(reader.pages)]
    return [(title, start, end) for (title, start), end in zip(starts, ends, strict=True)]


def check_pdf(pdf: Path, html_dir: Path, pages) -> list[str]:
    """What is missing from the PDF: a page of the book without its bookmark, its title in
    its text, or as many images as its HTML page has figures."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    chapters = {title: (start, end) for title, start, end in chapters_in(pdf)}
    problems = []
    for page in pages:
        html_file = Path(html_dir) / page.html_path
        title = page_title(html_file)
        if title not in chapters:
            problems.append(f"{pdf.name} has no bookmark {title!r} ({page.html_path}): make pdf")
            continue
        start, end = chapters[title]
        text = " ".join(" ".join(reader.pages[i].extract_text() or "" for i in (start,)).split())
        if title.split(":")[0] not in text:
            problems.append(f"{pdf.name}: the first page of {title!r} does not show its title")
        images: set = set()
        for number in range(start, end):
            images |= _images_on(reader.pages[number])
        wanted = figures_on_page(html_file)
        if len(images) < wanted:
            problems.append(
                f"{pdf.name}: {title!r} has {len(images)} images, its page {wanted} figures"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=PDF)
    parser.add_argument("--force", action="store_true", help="print it even when it is current")
    args = parser.parse_args(argv)
    if problem := book.site_problem():
        print(f"make pdf: {problem}", file=sys.stderr)
        return 1
    if args.out == PDF and not args.force and pdf_problem() is None and SITE_COPY.is_file():
        print(f"make pdf: {book.relative(PDF)} is newer than the site: nothing to do")
        return 0
    started, cpu = time.time(), time.process_time()
    out = build(out=args.out)
    shutil.copyfile(out, SITE_COPY)
    chapters = chapters_in(out)
    print(
        f"make pdf: {book.relative(out)}: {chapters[-1][2]} pages, {len(chapters)} chapters, "
        f"{out.stat().st_size / 1e6:.1f} MB, in {time.time() - started:.0f} s "
        f"({time.process_time() - cpu:.0f} s CPU here, the rest in Chromium)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
