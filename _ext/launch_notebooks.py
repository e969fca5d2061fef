"""Launch notebooks: what the Colab, Binder, JupyterHub and download buttons give students.

Loaded by ``_config.yml`` (``sphinx.local_extensions``). Three things, for chapter pages
(MyST-markdown notebooks) only:

1. **At the end of the build** (``build-finished``), it renders every chapter into its
   launch notebook with ``tools.notebooks`` (glue values, exercise numbers and link targets
   from this build) and writes it to ``_build/launch/<docname>.ipynb`` and over the page's
   ``.ipynb`` download, ``_build/html/_sources/<docname>.ipynb``. A chapter construct the
   renderer cannot show is a warning, so the strict build fails on it.
2. **The download button** offers that ``.ipynb`` (sphinx-book-theme shows the entry when
   the page's context names ``ipynb_source``; this sets it before the theme builds the
   buttons, whatever launch buttons are configured).
3. **The launch buttons** open ``<docname>.ipynb`` on the branch that the deploy workflow
   publishes the launch notebooks to (``launch_buttons.notebooks_branch`` in
   ``_config.yml``), instead of the chapter's ``.md`` on ``repository.branch``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

from tools import book, notebooks  # the repository root is on sys.path (see _config.yml)

logger = logging.getLogger(__name__)
BUTTONS = ("Binder", "JupyterHub", "Colab")


def _chapter_docs(app: Sphinx) -> list[str]:
    """The pages that are MyST-markdown notebooks, sorted."""
    return sorted(d for d in app.env.found_docs if book.is_chapter(app.env.doc2path(d)))


def _is_chapter(app: Sphinx, pagename: str) -> bool:
    return pagename in app.env.found_docs and book.is_chapter(app.env.doc2path(pagename))


def offer_notebook(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Make the theme's download menu list ``<docname>.ipynb`` (written at build-finished)."""
    if doctree is not None and _is_chapter(app, pagename):
        context["ipynb_source"] = f"{pagename}.ipynb"


def _theme_launch_buttons(app: Sphinx) -> dict[str, Any]:
    return (app.config.html_theme_options or {}).get("launch_buttons") or {}


def point_launch_buttons(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree
) -> None:
    """Rewrite the theme's Binder, JupyterHub and Colab links to the launch notebook."""
    if doctree is None or not _is_chapter(app, pagename):
        return
    options = app.config.html_theme_options or {}
    buttons = _theme_launch_buttons(app)
    repo_url = str(options.get("repository_url", "")).rstrip("/")
    branch = buttons.get("notebooks_branch")
    if not repo_url or not branch:
        logger.warning(
            "launch_notebooks: set repository.url and launch_buttons.notebooks_branch "
            "in _config.yml (the launch buttons open the launch notebooks there)",
            location=pagename,
        )
        return
    prefix = str(options.get("path_to_docs", "")).strip("/")
    path = f"{prefix}/{pagename}.ipynb" if prefix else f"{pagename}.ipynb"
    rewrite_launch_buttons(context.get("header_buttons", []), repo_url, branch, path, buttons)


def rewrite_launch_buttons(
    header_buttons: list[dict], repo_url: str, branch: str, path: str, buttons: dict
) -> int:
    """Point each Binder/JupyterHub/Colab entry of the theme's launch menu at ``path`` on
    ``branch``. Returns how many links were rewritten."""
    count = 0
    for group in header_buttons:
        if group.get("label") != "launch-buttons":
            continue
        for button in group.get("buttons", []):
            if button.get("text") in BUTTONS:
                button["url"] = notebooks.launch_url(
                    button["text"], repo_url, branch, path, buttons
                )
                count += 1
    return count


def write_launch_notebooks(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    docs = _chapter_docs(app)
    site = notebooks.Site.from_sphinx(app, docs)
    build = Path(app.outdir).parent
    root = Path(app.srcdir)
    chapters = [Path(app.env.doc2path(d)) for d in docs]
    written, problems = notebooks.write_launch_notebooks(site, build, root, chapters)
    for problem in problems:
        logger.warning(f"launch notebook: {problem}")
    logger.info(f"launch notebooks: {len(written)} in {build / notebooks.LAUNCH}")


def setup(app: Sphinx) -> dict:
    # Before the theme builds its buttons (priority 501), and after (to rewrite its links).
    app.connect("html-page-context", offer_notebook, priority=500)
    app.connect("html-page-context", point_launch_buttons, priority=900)
    app.connect("build-finished", write_launch_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
