"""Fixes to the built site: offline, free of console errors, accessible, light.

Loaded by ``_config.yml`` (``sphinx.local_extensions``); ``tests/site_static.py`` and
``tests/site_browser.py`` check the result.

1. Matplotlib's animation player (``to_jshtml``) links Font Awesome 4 from a CDN for
   the icons of its buttons. The link is dropped: the site draws those icons itself
   (see 3), also offline, and no page asks the network for anything. Frames it embeds
   as PNG are stored as lossless WebP instead (a third of the bytes), as
   ``dlcourse.show_animation`` does itself.
2. Sphinx before 8.2 writes an inline ``<script>`` (one added with a body and no
   file) twice (sphinx-doc/sphinx#13402). sphinx-thebe adds one that declares
   ``const THEBE_JS_URL``, so the second copy throws a SyntaxError on every page.
   Exact duplicates are dropped from each page's list of scripts. A page without
   formulas loads no MathJax (Sphinx loads it on the root page when any page has math).
   Pages with formulas load MathJax's ``startup.js`` and the parts they need
   (:data:`MATHJAX_PARTS`), not sphinx-mathjax-offline's ``tex-chtml.js`` bundle
   (264 kB gzipped, 108 kB of it the right-click menu).
3. The theme draws its icons with Font Awesome's JavaScript, ``fontawesome.js``: all
   2,000 icons, 1.5 MB (540 kB gzipped), loaded before the page can render. After the
   build, :func:`write_icon_subset` writes ``_static/icons.js`` with only the icons the
   pages and scripts name (about 30; a few kB) and a small replacement of Font Awesome's
   ``<i class="fa-...">`` to inline ``<svg>`` conversion, and the pages load it instead.
   The few icons the stylesheets draw with Font Awesome's web fonts come from subsets of
   those fonts (:func:`write_font_subsets`, ``_static/fa-subset.css``).
4. Figures are stored as 256-colour PNGs (:func:`shrink_figures`): a third of the bytes.
   Every page's HTML gets small accessibility and weight fixes (:func:`fix_page`): the
   table of contents' fold buttons (``<summary>`` with only an icon) get a name; figures
   in the content load lazily (``loading="lazy"``), so a phone fetches only those it
   shows.
5. ``_static/site.css`` and ``_static/site.js`` (added to every page): the code column
   holds 80 characters at 1280 px; solutions show where the keyboard focus is; code blocks
   that scroll sideways get a tab stop also once a reader unfolds them (the theme only
   sets those on load).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx

# What matplotlib.animation.HTMLWriter puts in front of every player.
CDN_FONT_AWESOME = re.compile(
    r'<link\s+rel="stylesheet"\s+href="https://maxcdn\.bootstrapcdn\.com/font-awesome/[^"]*"\s*/?>\s*'
)


# A frame of matplotlib's player: frames[3] = "data:image/png;base64,iVBO...\\\n...";
_PNG_FRAME = re.compile(r'(frames\[\d+\] = ")data:image/png;base64,([^"]*)"')


def _webp_frame(match: re.Match) -> str:
    """One embedded PNG frame as lossless WebP (about a third of the bytes)."""
    import base64
    import io

    from PIL import Image

    data = base64.b64decode(match.group(2).replace("\\\n", ""))
    with Image.open(io.BytesIO(data)) as image:
        buffer = io.BytesIO()
        image.save(buffer, "WEBP", lossless=True, method=4)
    if buffer.tell() >= len(data):
        return match.group(0)
    return f'{match.group(1)}data:image/webp;base64,{base64.b64encode(buffer.getvalue()).decode()}"'


def fix_players(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Animation players in raw HTML outputs: drop the CDN stylesheet link, and store
    frames embedded as PNG (``to_jshtml``) as lossless WebP, as ``show_animation`` does."""
    for node in list(doctree.findall(nodes.raw)):
        text = node.astext()
        if "html" not in node.get("format", "").split():
            continue
        fixed = _PNG_FRAME.sub(_webp_frame, CDN_FONT_AWESOME.sub("", text))
        if fixed != text:
            node.replace_self(nodes.raw("", fixed, **node.attributes))


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


def drop_unused_mathjax(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    """No MathJax (263 kB gzipped) on a page without formulas. Sphinx loads it on the root
    page whenever any page of the book has one (it counts the pages the root's toctree
    includes, for single-page builds)."""
    if doctree is None or "script_files" not in context:
        return
    if any(True for _ in doctree.findall(lambda n: isinstance(n, (nodes.math, nodes.math_block)))):
        return

    def is_mathjax(script: Any) -> bool:
        filename = str(getattr(script, "filename", script) or "")
        body = str(getattr(script, "attributes", {}).get("body", ""))
        return "mathjax" in filename.lower() or "window.MathJax" in body

    context["script_files"] = [s for s in context["script_files"] if not is_mathjax(s)]


# ----------------------------------------------------------------------- 3. icons

FONTAWESOME_JS = "_static/scripts/fontawesome.js"
ICONS_JS = "_static/icons.js"
# An icon in fontawesome.js: name: [width, height, [aliases], "unicode", path(s)].
_FA_ICON = re.compile(
    r'(?:"([a-z0-9-]+)"|\b([a-z0-9]+)):\[(\d+),(\d+),\[([^\]]*)\],"[0-9a-f]+",'
    r'("(?:[^"\\]|\\.)*"|\[(?:"(?:[^"\\]|\\.)*",?)+\])\]'
)
# Each family's icons end where the bundle names the family ("fab", "far", "fas").
_FA_FAMILIES = {'"fab"': "b", '"far"': "r", '"fas"': "s"}
_ICON_NAME = re.compile(r"\bfa-([a-z0-9-]+)")
# Classes that are not icons: families, sizes, transforms.
_FA_NOT_ICONS = {
    "solid", "regular", "brands", "lg", "xs", "sm", "xl", "2x", "3x", "fw", "spin", "pulse",
    "flip-horizontal", "flip-vertical", "rotate-90", "rotate-180", "rotate-270", "inverse",
}  # fmt: skip


def fontawesome_icons(bundle: str) -> dict[str, list]:
    """Every icon of the theme's Font Awesome bundle: {"s:name": [width, height, path]}
    for each name and alias, ``s``/``r``/``b`` for the solid, regular and brands families."""
    ends = sorted(
        (match.start(), family)
        for marker, family in _FA_FAMILIES.items()
        for match in re.finditer(re.escape(marker), bundle)
        if match.start() > 10_000  # the first mentions are in the bundle's own set-up code
    )
    icons: dict[str, list] = {}
    for match in _FA_ICON.finditer(bundle):
        family = next((f for end, f in ends if end > match.start()), None)
        if family is None:
            continue
        names = [match.group(1) or match.group(2)]
        names += [a.strip('"') for a in match.group(5).split(",") if a.startswith('"')]
        path = json.loads(match.group(6))
        path = path if isinstance(path, str) else " ".join(path)  # duotone: both layers
        for name in names:
            icons.setdefault(f"{family}:{name}", [int(match.group(3)), int(match.group(4)), path])
    return icons


# Converts <i class="fa-solid fa-bars"> to an inline SVG, at once and for elements that
# scripts add later, as Font Awesome's own script does; keeps the element's other
# classes and attributes (the theme switch shows one icon per mode through them).
_ICONS_RUNTIME = """\
(() => {
  const ICONS = %s;
  const FAMILY = {"fa-brands": "b", fab: "b", "fa-regular": "r", far: "r"};
  const NS = "http://www.w3.org/2000/svg";
  function draw(el) {
    const classes = Array.from(el.classList);
    const family = classes.map(c => FAMILY[c]).find(Boolean) || "s";
    const icon = classes.filter(c => c.startsWith("fa-"))
      .map(c => ICONS[family + ":" + c.slice(3)] || ICONS["s:" + c.slice(3)]).find(Boolean);
    if (!icon) return;
    const svg = document.createElementNS(NS, "svg");
    for (const attr of el.attributes) if (attr.name !== "class") svg.setAttribute(attr.name, attr.value);
    svg.setAttribute("class", ["svg-inline--fa"].concat(classes.filter(c =>
      !["fa", "fas", "far", "fab", "fa-solid", "fa-regular", "fa-brands"].includes(c))).join(" "));
    svg.setAttribute("viewBox", "0 0 " + icon[0] + " " + icon[1]);
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS(NS, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", icon[2]);
    svg.appendChild(path);
    el.replaceWith(svg);
  }
  const SELECTOR = "i.fa, i.fas, i.far, i.fab, i[class*='fa-'], span[class*='fa-']";
  const drawAll = root => root.querySelectorAll(SELECTOR).forEach(draw);
  // The script is deferred: the page is parsed. Draw its icons, then those scripts add.
  drawAll(document);
  new MutationObserver(records => records.forEach(r => r.addedNodes.forEach(n => {
    if (n.nodeType !== 1) return;
    if (n.matches(SELECTOR)) draw(n); else drawAll(n);
  }))).observe(document.body, {childList: true, subtree: true});
})();
"""


def icon_names(text: str) -> set[str]:
    """The icon names a page or script mentions (``fa-bars`` -> ``bars``)."""
    return {name for name in _ICON_NAME.findall(text) if name not in _FA_NOT_ICONS}


def write_icon_subset(outdir: Path, pages: list[Path]) -> str | None:
    """Write ``_static/icons.js`` with the icons that ``pages`` and the site's scripts name;
    return its digest (for the pages' links), or None when the theme ships no Font Awesome."""
    bundle_file = outdir / FONTAWESOME_JS
    if not bundle_file.is_file():
        return None
    icons = fontawesome_icons(bundle_file.read_text(encoding="utf-8"))
    wanted: set[str] = set()
    for file in [*pages, *sorted((outdir / "_static").rglob("*.js"))]:
        if file.name in ("fontawesome.js", "icons.js") or "mathjax" in file.parts:
            continue
        wanted |= icon_names(file.read_text(encoding="utf-8", errors="replace"))
    subset = {key: value for key, value in icons.items() if key.split(":", 1)[1] in wanted}
    script = _ICONS_RUNTIME % json.dumps(subset, sort_keys=True, separators=(",", ":"))
    (outdir / ICONS_JS).write_text(script, encoding="utf-8")
    return hashlib.sha256(script.encode()).hexdigest()[:16]


# The theme's stylesheets also draw a few icons with Font Awesome's web fonts (admonition
# titles, the "on this page" arrow): each font is 120-160 kB. Subsets with only the glyphs
# the stylesheets name (a few kB) are written next to them and declared after the theme's.
FONT_DIR = "_static/vendor/fontawesome/webfonts"
FONT_SUBSET_CSS = "_static/fa-subset.css"
_FONTS = {  # file stem: (family, weight)
    "fa-solid-900": ("Font Awesome 6 Free", 900),
    "fa-regular-400": ("Font Awesome 6 Free", 400),
    "fa-brands-400": ("Font Awesome 6 Brands", 400),
}
_PUA = re.compile(r"[\ue000-\uf8ff]|\\(f[0-9a-f]{3})")
_PST_ICON = re.compile(r'--pst-icon-[a-z-]+:"([^"]*)"')


def css_icon_codepoints(static: Path) -> set[int]:
    """Private-use code points (icon glyphs) the site's stylesheets put in ``content``:
    the theme's ``--pst-icon-*`` variables and every other stylesheet's escapes. Font
    Awesome's own class list in the theme's stylesheet (2,000 icons) is left out: the
    pages' icons are SVGs (see 3)."""
    found: set[int] = set()
    for css in sorted(static.rglob("*.css")):
        text = css.read_text(encoding="utf-8", errors="replace")
        if css.name == "pydata-sphinx-theme.css":
            text = " ".join(_PST_ICON.findall(text))
        for match in _PUA.finditer(text):
            found.add(int(match.group(1), 16) if match.group(1) else ord(match.group()))
    return found


def write_font_subsets(outdir: Path) -> None:
    """Subset the theme's Font Awesome fonts to the glyphs its stylesheets use."""
    from fontTools import subset  # fontTools comes with matplotlib

    folder = outdir / FONT_DIR
    codepoints = css_icon_codepoints(outdir / "_static")
    rules = []
    for stem, (family, weight) in _FONTS.items():
        source = folder / f"{stem}.ttf"
        if not source.is_file() or not codepoints:
            continue
        options = subset.Options()
        options.flavor = "woff"  # zlib: woff2 would need the brotli package
        options.ignore_missing_unicodes = True
        font = subset.load_font(str(source), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=codepoints)
        subsetter.subset(font)
        subset.save_font(font, str(folder / f"{stem}.subset.woff"), options)
        rules.append(
            f'@font-face {{ font-family: "{family}"; font-style: normal; font-weight: {weight};'
            f' font-display: block; src: url("vendor/fontawesome/webfonts/{stem}.subset.woff")'
            ' format("woff"); }'
        )
    (outdir / FONT_SUBSET_CSS).write_text(
        "/* Written by _ext/site_fixes.py: Font Awesome with only the glyphs the stylesheets"
        " use. */\n" + "\n".join(rules) + "\n",
        encoding="utf-8",
    )


# ----------------------------------------------------------------------- figures


def shrink_figures(outdir: Path) -> None:
    """Store the figures (``_images/*.png``) as 256-colour PNGs where that saves at least a
    tenth: a plot has few colours, and its PNG shrinks to a third or so, with no visible
    change. Figures with transparency, and those already with a palette, stay as they are."""
    import io

    from PIL import Image

    for png in sorted((outdir / "_images").glob("*.png")):
        with Image.open(png) as image:
            if image.mode in ("P", "L", "1"):
                continue
            rgba = image.convert("RGBA")
        if rgba.getextrema()[3][0] < 255:
            continue  # transparent somewhere
        palette = rgba.convert("RGB").quantize(256, dither=Image.Dither.FLOYDSTEINBERG)
        buffer = io.BytesIO()
        palette.save(buffer, "PNG", optimize=True)
        if buffer.tell() < 0.9 * png.stat().st_size:
            png.write_bytes(buffer.getvalue())


# ----------------------------------------------------------------------- 4. pages

_FONTAWESOME_SCRIPT = re.compile(r'<script src="((?:\.\./)*)_static/scripts/fontawesome\.js[^"]*"')
# The table of contents: <a ...>Title</a><details><summary><span ...><i ...></i></span></summary>
_TOC_FOLD = re.compile(
    r'(<a class="[^"]*\breference internal\b[^"]*" href="[^"]*">([^<]*)</a><details[^>]*>)<summary>'
)
_IMG = re.compile(r"<img (?![^>]*\bloading=)(?![^>]*\bsrc=\"data:)")


def fix_page(html: str, icons_digest: str | None) -> str:
    """The page with the icon script swapped, named fold buttons and lazy figures.
    Running it again changes nothing."""
    if icons_digest:
        html = _FONTAWESOME_SCRIPT.sub(rf'<script defer src="\1{ICONS_JS}?v={icons_digest}"', html)
    html = _TOC_FOLD.sub(r'\1<summary aria-label="Sections of \2">', html)
    start = html.find('<article class="bd-article"')
    if start >= 0:
        html = html[:start] + _IMG.sub('<img loading="lazy" decoding="async" ', html[start:])
    return html


def fix_built_pages(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    pages = sorted(outdir.rglob("*.html"))
    digest = write_icon_subset(outdir, pages)
    write_font_subsets(outdir)
    shrink_figures(outdir)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        fixed = fix_page(text, digest)
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")


def _fingerprint(app: Sphinx) -> str:
    """A hash of this extension and of the book's own static files."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for file in sorted((Path(app.srcdir) / "_static").rglob("*")):
        if file.is_file():
            digest.update(file.name.encode() + file.read_bytes())
    return digest.hexdigest()


def reread_when_fixes_change(app: Sphinx, env, added, changed, removed) -> list[str]:
    """Every page, when this extension or ``_static/`` changed since the last build: Sphinx
    would otherwise rewrite only the pages whose source changed, and the others would keep
    the old fixes (their outputs come from the execution cache, so nothing runs again)."""
    fingerprint = _fingerprint(app)
    if getattr(env, "site_fixes_fingerprint", None) == fingerprint:
        return []
    env.site_fixes_fingerprint = fingerprint
    return sorted(env.found_docs)


# TeX input, HTML output, the hidden MathML that screen readers read, and ui/lazy, which
# typesets the formulas a reader scrolls to (printing typesets them all). Not loaded: the
# right-click menu (ui/menu, 108 kB of the bundle's 264 kB gzipped).
MATHJAX_PARTS = ["input/tex", "output/chtml", "a11y/assistive-mml", "ui/lazy"]


def load_mathjax_in_parts(app: Sphinx, config) -> None:
    """MathJax's loader (``startup.js``) and :data:`MATHJAX_PARTS`, instead of the bundle
    that sphinx-mathjax-offline sets in its ``setup`` (after the book's config is read, so
    the config cannot). Other ``mathjax3_config`` settings of the book are kept."""
    if config.mathjax_path != "mathjax/tex-chtml.js":
        return
    config.mathjax_path = "mathjax/startup.js"
    settings = dict(config.mathjax3_config or {})
    loader = dict(settings.get("loader", {}))
    loader["load"] = MATHJAX_PARTS + [p for p in loader.get("load", []) if p not in MATHJAX_PARTS]
    config.mathjax3_config = {**settings, "loader": loader}


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", load_mathjax_in_parts)
    app.connect("env-get-outdated", reread_when_fixes_change)
    app.connect("doctree-resolved", fix_players)
    app.connect("html-page-context", drop_duplicate_scripts)
    app.connect("html-page-context", drop_unused_mathjax, priority=900)  # after mathjax's
    app.connect("build-finished", fix_built_pages)
    app.add_css_file("site.css")
    app.add_css_file("fa-subset.css")  # written after the build: see write_font_subsets
    app.add_js_file("site.js", loading_method="defer")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
