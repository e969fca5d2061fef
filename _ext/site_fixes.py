"""Small fixes to the built site, so that it works offline without console errors.

Loaded by ``_config.yml`` (``sphinx.local_extensions``); ``tests/test_site.py``
checks the result in a browser.

1. Matplotlib's animation player (``HTML(anim.to_jshtml())``) links Font Awesome 4
   from a CDN for the icons of its buttons. The book's theme already ships Font
   Awesome, as JavaScript that draws every ``<i class="fa fa-play">`` as an inline
   SVG, so the link is dropped: the buttons look the same, also offline, and no
   page asks the network for anything.
2. Sphinx before 8.2 writes an inline ``<script>`` (one added with a body and no
   file) twice (sphinx-doc/sphinx#13402). sphinx-thebe adds one that declares
   ``const THEBE_JS_URL``, so the second copy throws a SyntaxError on every page.
   Exact duplicates are dropped from each page's list of scripts.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx

# What matplotlib.animation.HTMLWriter puts in front of every player.
CDN_FONT_AWESOME = re.compile(
    r'<link\s+rel="stylesheet"\s+href="https://maxcdn\.bootstrapcdn\.com/font-awesome/[^"]*"\s*/?>\s*'
)


def drop_cdn_font_awesome(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Remove the CDN stylesheet link from raw HTML outputs (animation players)."""
    for node in list(doctree.findall(nodes.raw)):
        text = node.astext()
        if "html" in node.get("format", "").split() and CDN_FONT_AWESOME.search(text):
            node.replace_self(nodes.raw("", CDN_FONT_AWESOME.sub("", text), **node.attributes))


def _script_key(script: Any) -> tuple:
    filename = getattr(script, "filename", script) or ""  # Sphinx mixes None and ""
    attributes = getattr(script, "attributes", {})
    return (filename, getattr(script, "priority", None), tuple(sorted(attributes.items())))


def drop_duplicate_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    """Keep the first of each group of identical ``<script>`` entries of a page."""
    if "script_files" not in context:
        return
    seen: set[tuple] = set()
    unique = []
    for script in context["script_files"]:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app: Sphinx) -> dict:
    app.connect("doctree-resolved", drop_cdn_font_awesome)
    app.connect("html-page-context", drop_duplicate_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
