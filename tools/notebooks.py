"""Launch notebooks and student notebooks: the chapters as Jupyter and Colab show them.

A chapter's one source is MyST markdown, ``book/<name>.md``. What students open (the Colab,
Binder and JupyterHub buttons, the page's download button, ``make student``) is its **launch
notebook**: the chapter rendered for Jupyter, with no MyST-only syntax left.

- ``{glue:text}`` roles become the value the site shows (myst-nb's own formatting of the
  executed build's glue data);
- an ``exercise`` becomes a heading "Exercise N", numbered as on the site;
- a solution is folded where students run it: its code cells are hidden in JupyterLab
  (``metadata.jupyter.source_hidden``) and a titled, collapsed form in Colab (``#@title``
  and ``metadata.cellView = "form"``); its prose sits inside ``<details>``;
- admonitions become block quotes with a bold title, cross-references (``{ref}``,
  ``{numref}``, ``{doc}``, ``{eq}``) links to the page on the published site (``html.baseurl``
  in ``_config.yml``), definition lists bullet lists; ``(label)=`` targets, ``%`` comments
  and directive options go; ``literalinclude`` becomes the included code;
- cells tagged ``remove-cell`` (the authors' checks and glue) are dropped, except the Colab
  setup cell; ``hide-input``, ``remove-input`` and ``hide-cell`` cells keep their code, folded.

The launch notebooks are build products: ``make book`` renders them at the end of the build
(``_ext/launch_notebooks.py``) into ``_build/launch/book/<name>.ipynb`` and over the page's
``.ipynb`` download (``_build/html/_sources/book/<name>.ipynb``); the deploy workflow
publishes them on the ``notebooks`` branch that the launch buttons open. They carry no
outputs and no jupytext pairing, so opening one never rewrites a ``.md`` file.

Usage, from the repository root (``make book`` / ``make sync`` / ``make student``)::

    python -m tools.notebooks launch           # re-render the launch notebooks from the last build
    python -m tools.notebooks check            # exit 1, in one line, when they are missing or stale
    python -m tools.notebooks student [DIR]    # solution-free copies (default _build/student)
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import nbformat
from jupytext.myst import parse_directive_options

from tools import book

ROOT = book.ROOT
BOOK_DIR = "book"
LAUNCH = "launch"  # _build/launch/<docname>.ipynb
SITE_RECORD = "site.json"  # _build/launch/site.json: what the renderer read from the build
GLUE_PREFIX = "application/papermill.record/"
SOLUTION_TAG = "solution"
# Tags whose cells keep their code in the notebook but show it folded.
FOLDED_INPUT_TAGS = {"hide-input", "remove-input", "hide-cell"}
ADMONITIONS = {
    "note": "Note",
    "warning": "Warning",
    "tip": "Tip",
    "hint": "Hint",
    "important": "Important",
    "caution": "Caution",
    "attention": "Attention",
    "danger": "Danger",
    "error": "Error",
    "seealso": "See also",
    "todo": "To do",
    "margin": "",
    "sidebar": "",
    "topic": "",
    "epigraph": "",
    "pull-quote": "",
    "admonition": "",
}
CODE_DIRECTIVES = {"code-block", "code", "sourcecode"}
DROPPED_DIRECTIVES = {"tableofcontents", "contents", "index", "bibliography"}
LANGUAGES = {".py": "python", ".sh": "bash", ".yml": "yaml", ".yaml": "yaml", ".json": "json"}


class RenderError(ValueError):
    """A chapter uses a construct the launch notebook cannot show (the message says where)."""


# --------------------------------------------------------------------------------- chapters


def chapter_sources(root: Path = ROOT) -> list[Path]:
    """Every chapter page (a MyST-markdown notebook), in book order."""
    return book.chapters(root)


def launch_dir(build: Path = book.BUILD) -> Path:
    return build / LAUNCH


def launch_path(md_path: Path, build: Path = book.BUILD, root: Path = ROOT) -> Path:
    """Where the launch notebook of a chapter is written: ``_build/launch/book/<name>.ipynb``."""
    return launch_dir(build) / f"{book.docname(md_path, root)}.ipynb"


def download_path(md_path: Path, build: Path = book.BUILD, root: Path = ROOT) -> Path:
    """Where the page's ``.ipynb`` download button points (the same notebook)."""
    return build / "html" / "_sources" / f"{book.docname(md_path, root)}.ipynb"


# --------------------------------------------------------------------------------- the site


@dataclass
class Site:
    """What the launch notebooks take from the build: glue values, numbers, labels, URLs.

    Made by ``_ext/launch_notebooks.py`` from Sphinx's environment (:meth:`from_sphinx`) and
    saved next to the notebooks (:meth:`save`), so that ``python -m tools.notebooks launch``
    and the tests can read it without Sphinx.
    """

    baseurl: str = ""  # the published site, e.g. https://owner.github.io/name/
    title: str = ""  # the book's title
    glue: dict = field(default_factory=dict)  # docname -> glue key -> mime bundle
    labels: dict = field(default_factory=dict)  # label -> [docname, anchor, title]
    numbers: dict = field(default_factory=dict)  # docname -> figtype -> anchor -> "2.1"
    numfig_format: dict = field(default_factory=dict)  # figtype -> "Exercise %s"
    equations: dict = field(default_factory=dict)  # label -> [docname, number]
    titles: dict = field(default_factory=dict)  # docname -> page title
    images: dict = field(default_factory=dict)  # source path (posix, from root) -> _images/ name

    def page_url(self, docname: str, anchor: str = "") -> str:
        base = self.baseurl.rstrip("/") + "/" if self.baseurl else ""
        return f"{base}{docname}.html" + (f"#{anchor}" if anchor else "")

    def number(self, docname: str, anchor: str, figtype: str | None = None) -> tuple[str, str]:
        """(figtype, number) of an enumerated object of a page ("" when it has none)."""
        for kind, numbers in (self.numbers.get(docname) or {}).items():
            if (figtype is None or kind == figtype) and anchor in numbers:
                return kind, numbers[anchor]
        return figtype or "", ""

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=1, sort_keys=True), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Site:
        return cls(**json.loads(path.read_text(encoding="utf-8")))

    @classmethod
    def from_sphinx(cls, app, docnames: list[str]) -> Site:
        """Read the site's facts from a finished Sphinx build (``app``)."""
        env = app.env
        std = env.get_domain("std")
        labels = {name: [str(x) for x in value] for name, value in std.labels.items()}
        for name, (doc, anchor) in std.anonlabels.items():
            labels.setdefault(name, [str(doc), str(anchor), ""])
        math = env.get_domain("math")
        equations = {name: [doc, str(num)] for name, (doc, num) in math.equations.items()}
        numbers = {
            doc: {
                kind: {anchor: ".".join(map(str, num)) for anchor, num in found.items()}
                for kind, found in kinds.items()
            }
            for doc, kinds in env.toc_fignumbers.items()
        }
        images = {Path(path).as_posix(): unique for path, (_docs, unique) in env.images.items()}
        jupyter_execute = Path(app.outdir).parent / "jupyter_execute"
        return cls(
            baseurl=app.config.html_baseurl or "",
            title=str(app.config.html_title or app.config.project or ""),
            glue={doc: read_glue(jupyter_execute, doc) for doc in docnames},
            labels=labels,
            numbers=numbers,
            numfig_format=dict(app.config.numfig_format or {}),
            equations=equations,
            titles={doc: env.titles[doc].astext() for doc in env.titles},
            images=images,
        )


def read_glue(jupyter_execute: Path, docname: str) -> dict:
    """The glue data myst-nb saved for a page (``<docname>.glue.json``), prefixes removed."""
    path = jupyter_execute / f"{docname}.glue.json"
    if not path.is_file():
        return {}
    glue = json.loads(path.read_text(encoding="utf-8"))
    for output in glue.values():
        output["data"] = {k.removeprefix(GLUE_PREFIX): v for k, v in output["data"].items()}
    return glue


# --------------------------------------------------------------------------------- rendering


def _fence_for(text: str, char: str = "`") -> str:
    """A code fence longer than any run of ``char`` in ``text``."""
    longest = max((len(m) for m in re.findall(f"{re.escape(char)}+", text)), default=0)
    return char * max(3, longest + 1)


def _quote(text: str, prefix: str = "> ") -> str:
    return "\n".join(
        prefix.rstrip() if not line.strip() else prefix + line for line in text.split("\n")
    )


def _split_info(info: str) -> tuple[str, str]:
    """``{name} argument`` of a directive fence -> (name, argument)."""
    name, _, argument = info.strip()[1:].partition("}")
    return name.strip(), argument.strip()


def _options_and_body(content: str, where: str) -> tuple[dict, str]:
    try:
        body, options = parse_directive_options(content, where)
    except Exception as err:  # noqa: BLE001 - reported with the place
        raise RenderError(f"{where}: the directive's options do not parse ({err})") from None
    while body and not body[0].strip():
        body = body[1:]
    return options or {}, "\n".join(body)


class Renderer:
    """Renders one chapter (``book/<name>.md``) into its launch notebook."""

    def __init__(self, md_path: Path, site: Site, root: Path = ROOT):
        self.path = Path(md_path)
        self.root = root
        self.site = site
        self.docname = book.docname(self.path, root)
        self.where = book.relative(self.path, root)
        self.chapter = book.parse(self.path)
        self.problems: list[str] = []
        self._attachments: dict = {}
        self._footnotes: dict[str, int] = {}  # label -> its number, in order of appearance

    # ---- problems ----

    def problem(self, line: int, message: str) -> None:
        self.problems.append(f"{self.where}:{line}: {message}")

    # ---- the notebook ----

    def notebook(self) -> nbformat.NotebookNode:
        nb = nbformat.v4.new_notebook()
        meta = self.chapter.front_matter or {}
        nb.metadata["kernelspec"] = meta.get("kernelspec") or {
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            "name": "python3",
        }
        nb.metadata["language_info"] = {"name": "python"}
        nb.cells.append(nbformat.v4.new_markdown_cell(self._header()))
        solution: str | None = None  # the title of the solution being rendered
        first_code = True
        for cell in self.chapter.cells:
            if cell.kind == "code":
                is_setup = first_code and cell.hidden and "google.colab" in cell.source
                first_code = False
                if cell.hidden and not is_setup:
                    continue
                nb.cells.append(self._code_cell(cell, solution, is_setup))
                continue
            for text, first_line, event in self._solution_segments(cell):
                if event is not None:
                    solution = event or None
                    continue
                self._attachments = {}
                rendered = self.markdown(text, first_line).strip("\n")
                if not rendered.strip():
                    continue
                md = nbformat.v4.new_markdown_cell(rendered)
                if cell.metadata:
                    md.metadata.update(copy.deepcopy(cell.metadata))
                if solution:
                    md.source = (
                        f"<details>\n<summary>{solution}</summary>\n\n{rendered}\n\n</details>"
                    )
                    _add_tag(md, SOLUTION_TAG)
                if self._attachments:
                    md["attachments"] = self._attachments
                nb.cells.append(md)
        if solution:
            self.problem(len(self.chapter.text.split("\n")), "a solution-start has no solution-end")
        return nb

    def _header(self) -> str:
        title = self.site.titles.get(self.docname) or self.path.stem
        book_title = f" of *{self.site.title}*" if self.site.title else ""
        return (
            f"> This notebook is [{title}]({self.site.page_url(self.docname)})"
            f"{book_title}, ready to run. The numbers quoted in its text come from the run that built the "
            "site; yours may differ slightly (another PyTorch version, a GPU)."
        )

    def _code_cell(self, cell: book.Cell, solution: str | None, is_setup: bool):
        metadata = copy.deepcopy(cell.metadata)
        tags = [t for t in cell.tags if not (is_setup and t == "remove-cell")]
        if tags:
            metadata["tags"] = tags
        else:
            metadata.pop("tags", None)
        code = nbformat.v4.new_code_cell(cell.source, metadata=metadata)
        if solution:
            fold_solution_code(code, solution)
        elif FOLDED_INPUT_TAGS & set(tags):
            code.metadata.setdefault("jupyter", {})["source_hidden"] = True
        return code

    def _solution_segments(self, cell: book.Cell):
        """The cell's text in pieces around its solution-start/-end directives.

        Yields ``(text, first_line, None)`` for text and ``("", line, title)`` at a
        solution-start (title: "Solution to Exercise N") or ``("", line, "")`` at a
        solution-end.
        """
        lines = cell.source.split("\n")
        start = 0
        for token in book.md_parser().parse(cell.source):
            if token.level != 0 or token.map is None or token.type not in ("fence", "colon_fence"):
                continue
            name, argument = _split_info(token.info) if token.info.startswith("{") else ("", "")
            if name not in ("solution-start", "solution-end"):
                continue
            a, b = token.map
            yield "\n".join(lines[start:a]), cell.line + start, None
            if name == "solution-start":
                yield "", cell.line + a, self._solution_title(argument)
            else:
                yield "", cell.line + a, ""
            start = b
        yield "\n".join(lines[start:]), cell.line + start, None

    def _solution_title(self, label: str) -> str:
        number = self._exercise_number(label)
        return f"Solution to Exercise {number}" if number else "Solution"

    def _exercise_number(self, label: str) -> str:
        return self.site.number(self.docname, label, "exercise")[1] if label else ""

    # ---- markdown ----

    def markdown(self, text: str, first_line: int) -> str:
        """MyST markdown -> Jupyter markdown. ``first_line``: where ``text`` starts in the
        ``.md`` file (for messages)."""
        lines = text.split("\n")
        tokens = book.md_parser().parse(text)
        replace: list[tuple[int, int, list[str]]] = []  # (start, end, new lines)
        roles: list[tuple[int, int, list]] = []
        for token in tokens:
            if token.map is None:
                continue
            a, b = token.map
            line = first_line + a
            if token.type in ("fence", "colon_fence") and token.info.strip().startswith("{"):
                prefix = _container_prefix(lines[a], token.markup)
                rendered = self.directive(token, line)
                new = [prefix + x if x else prefix.rstrip() for x in rendered.split("\n")]
                replace.append((a, b, new if rendered else []))
            elif token.type in ("myst_target", "myst_line_comment"):
                replace.append((a, b, []))
            elif token.type == "math_block_label":
                replace.append((a, b, self._equation(token.content, token.info, line).split("\n")))
            elif token.type in ("substitution_block", "substitution_inline"):
                self.problem(line, "substitutions ({{ ... }}) have no launch-notebook rendering")
            elif token.type == "dt_open":
                lines[a] = _bullet_term(lines[a])
            elif token.type == "dd_open":  # its map may start at the term's line
                marker = re.compile(r"^(\s*(?:>\s*)*)\s{0,3}:(?=\s|$)")
                at = next((k for k in range(a, max(b, a + 1)) if marker.match(lines[k])), None)
                if at is not None:
                    lines[at] = marker.sub(r"\1 ", lines[at], count=1)
            elif token.type == "inline" and any(
                c.type in ("myst_role", "image") for c in token.children or []
            ):
                roles.append((a, max(b, a + 1), token.children))
        for a, b, children in roles:
            span = "\n".join(lines[a:b])
            replace.append((a, b, self._inline(span, children, first_line + a).split("\n")))
        for a, b, new in sorted(replace, key=lambda r: r[0], reverse=True):
            lines[a:b] = new
        return self._footnote_marks("\n".join(lines))

    def _footnote_marks(self, text: str) -> str:
        """Footnotes (``text[^label]`` and a ``[^label]: note`` line) as superscript numbers:
        Jupyter's markdown has no footnotes. The note stays where the author put it."""

        def mark(match: re.Match) -> str:
            n = self._footnotes.setdefault(match["label"], len(self._footnotes) + 1)
            return f"<sup>{n}</sup>"

        text = FOOTNOTE_DEFINITION.sub(lambda m: mark(m) + " ", text)
        return FOOTNOTE_REFERENCE.sub(mark, text)

    def _inline(self, text: str, children, line: int) -> str:
        """Replace the roles of one inline span (a paragraph, heading, list item's text)."""
        out, cursor = [], 0
        for child in children:
            if child.type == "code_inline":
                words = [re.escape(w) for w in child.content.split()]
                pattern = r"(`+)[ \n]?" + r"\s+".join(words) + r"[ \n]?\1"
                match = re.compile(pattern).search(text, cursor)
                if match:
                    out.append(text[cursor : match.end()])
                    cursor = match.end()
                continue
            if child.type != "myst_role":
                continue
            name = child.meta.get("name", "")
            pattern = r"\{" + re.escape(name) + r"\}(`+)" + re.escape(child.content) + r"\1"
            match = re.compile(pattern).search(text, cursor)
            if match is None:  # cannot happen for text the parser read; say so if it does
                self.problem(line, f"could not find the role {{{name}}} in the text")
                continue
            out.append(text[cursor : match.start()])
            out.append(self.role(name, child.content, line + text.count("\n", 0, match.start())))
            cursor = match.end()
        out.append(text[cursor:])
        return "".join(out)

    # ---- roles ----

    def role(self, name: str, content: str, line: int) -> str:
        if name.startswith("glue"):
            return self._glue_role(name, content, line)
        if name in ("ref", "numref", "doc", "eq", "any"):
            return self._reference(name, content, line)
        if name == "math":
            return f"${content}$"
        if name in ("sub", "sup"):
            return f"<{name}>{content}</{name}>"
        if name == "kbd":
            return f"<kbd>{content}</kbd>"
        if name == "abbr":
            return re.sub(r"\s*\(.*\)\s*$", "", content)
        if name in ("code", "literal", "file", "samp", "command", "program", "envvar"):
            return f"`{content}`"
        if name in ("term", "dfn", "emphasis"):
            return f"*{_link_text(content)[0]}*"
        if name == "strong":
            return f"**{content}**"
        self.problem(line, f"the role {{{name}}} has no launch-notebook rendering")
        return content

    def _glue_data(self, key: str, line: int) -> dict | None:
        """The mime bundle glued as ``[doc::]key`` (``doc`` relative to this page)."""
        docname = self.docname
        if "::" in key:
            doc, key = key.split("::", 1)
            docname = _normalise((Path(self.docname).parent / doc).with_suffix("").as_posix())
        bundle = (self.site.glue.get(docname) or {}).get(key)
        if bundle is None:
            self.problem(line, f"no glue value {key!r} in the build of {docname}")
            return None
        return bundle.get("data", {})

    def _glue_role(self, name: str, content: str, line: int) -> str:
        """As myst-nb pastes it: ``glue:text`` formats text/plain with the spec after the
        last colon (myst-nb's own ``format_plain_text``), ``glue:md`` pastes text/markdown."""
        from myst_nb.core.variables import format_plain_text

        if name == "glue:text":
            key, sep, spec = content.rpartition(":")
            key, spec = (key, spec) if sep else (content, "s")
        elif name == "glue:md":
            key, sep, _format = content.rpartition(":")
            key, spec = (key if sep else content), ""
        elif name in ("glue", "glue:any"):
            key, spec = content, ""
        else:
            self.problem(line, f"the role {{{name}}} has no launch-notebook rendering")
            return content
        data = self._glue_data(key, line)
        if data is None:
            return content
        if name == "glue:md":
            return data.get("text/markdown", "")
        if "text/plain" not in data:
            self.problem(line, f"the glue value {key!r} has no text/plain")
            return content
        try:
            return format_plain_text(data["text/plain"], spec)
        except Exception as err:  # noqa: BLE001 - reported with the place
            self.problem(line, f"cannot format the glue value {key!r} with {spec!r}: {err}")
            return content

    def _reference(self, name: str, content: str, line: int) -> str:
        text, target = _link_text(content)
        explicit = text != target
        if name == "doc":
            doc = target.removesuffix(".md").removesuffix(".ipynb")
            doc = (
                doc.lstrip("/")
                if doc.startswith("/")
                else (Path(self.docname).parent / doc).as_posix()
            )
            doc = _normalise(doc)
            if doc not in self.site.titles:
                self.problem(line, f"{{doc}}`{content}`: there is no page {doc}")
                return text
            return f"[{text if explicit else self.site.titles[doc]}]({self.site.page_url(doc)})"
        if name == "eq":
            found = self.site.equations.get(target)
            if not found:
                self.problem(line, f"{{eq}}`{content}`: no equation labelled {target!r}")
                return text
            doc, number = found
            label = text if explicit else f"({number})"
            return f"[{label}]({self.site.page_url(doc, 'equation-' + target)})"
        found = self.site.labels.get(target.lower()) or self.site.labels.get(target)
        if not found:
            self.problem(line, f"{{{name}}}`{content}`: no label {target!r} on the site")
            return text
        doc, anchor, title = found
        if name == "numref":
            kind, number = self.site.number(doc, anchor)
            fmt = self.site.numfig_format.get(kind, "%s")
            if explicit:
                label = text.replace("{number}", number).replace("{name}", title or "")
                label = label.replace("%s", number)
            else:
                label = fmt % number if number else title
        elif explicit:
            label = text
        else:  # sphinx-exercise numbers a {ref} to an exercise as "Exercise N", like numref
            _, number = self.site.number(doc, anchor, "exercise")
            fmt = self.site.numfig_format.get("exercise", "Exercise %s")
            label = fmt % number if number else (title or target)
        return f"[{label}]({self.site.page_url(doc, anchor)})"

    # ---- directives ----

    def directive(self, token, line: int) -> str:
        name, argument = _split_info(token.info)
        where = f"{self.where}:{line}"
        try:
            options, body = _options_and_body(token.content, where)
        except RenderError as err:
            self.problems.append(str(err))
            return ""
        n_content = len(token.content.rstrip("\n").split("\n"))
        body_line = line + 1 + n_content - len(body.split("\n"))
        inner = lambda: self.markdown(body, body_line).strip("\n")  # noqa: E731

        if name == "exercise":
            label = str(options.get("label", ""))
            number = "" if "nonumber" in options else self._exercise_number(label)
            if label and not number and "nonumber" not in options:
                self.problem(line, f"exercise {label!r} has no number in the build")
            heading = f"Exercise {number}".strip() + (f" ({argument})" if argument else "")
            return f"#### {heading}\n\n{inner()}"
        if name == "solution":
            title = self._solution_title(argument)
            return f"<details>\n<summary>{title}</summary>\n\n{inner()}\n\n</details>"
        if name in ("solution-start", "solution-end"):
            self.problem(
                line, f"{name} must stand at the top level of the text, not inside a block"
            )
            return ""
        if name in ADMONITIONS or name in ("dropdown", "toggle"):
            title = argument or ADMONITIONS.get(name, "") or name.capitalize()
            classes = str(options.get("class", "")).split()
            if name in ("dropdown", "toggle") or "dropdown" in classes:
                return f"<details>\n<summary>{title}</summary>\n\n{inner()}\n\n</details>"
            return _quote(f"**{title}**\n\n{inner()}" if title else inner())
        if name in CODE_DIRECTIVES:
            fence = _fence_for(body)
            return f"{fence}{argument}\n{body}\n{fence}"
        if name == "literalinclude":
            return self._literalinclude(argument, options, line)
        if name == "math":
            return self._equation(body, str(options.get("label", "")), line)
        if name in ("figure", "image"):
            return self._image(argument, options, body if name == "figure" else "", line)
        if name == "raw":
            return body if "html" in argument.split() else ""
        if name in DROPPED_DIRECTIVES:
            return ""
        if name.startswith("glue"):
            return self._glue_directive(name, argument, line)
        if name in ("tab-set", "grid", "card-carousel", "div", "container", "only"):
            return inner()
        if name in ("tab-item", "grid-item", "grid-item-card", "card"):
            return f"**{argument}**\n\n{inner()}" if argument else inner()
        self.problem(line, f"the directive {{{name}}} has no launch-notebook rendering")
        return _quote(f"**{argument or name}**\n\n{inner()}")

    def _equation(self, body: str, label: str, line: int) -> str:
        body = body.strip("\n")
        label = label.strip()
        if label:
            number = (self.site.equations.get(label) or ["", ""])[1]
            if number:
                body = f"{body} \\tag{{{number}}}"
            else:
                self.problem(line, f"equation {label!r} has no number in the build")
        return f"$$\n{body}\n$$"

    def _literalinclude(self, argument: str, options: dict, line: int) -> str:
        from sphinx.config import Config
        from sphinx.directives.code import LiteralIncludeReader

        path = (self.path.parent / argument).resolve()
        if argument.startswith("/"):
            path = (self.root / argument.lstrip("/")).resolve()
        if not path.is_file():
            self.problem(line, f"literalinclude: there is no file {argument}")
            return ""
        config = Config({}, {})
        config.source_encoding = "utf-8-sig"
        opts = {k: ("" if v is None else v) for k, v in options.items()}
        try:
            text, _ = LiteralIncludeReader(str(path), opts, config).read()
        except Exception as err:  # noqa: BLE001 - reported with the place
            self.problem(line, f"literalinclude {argument}: {err}")
            return ""
        language = options.get("language") or LANGUAGES.get(path.suffix, "")
        text = text.rstrip("\n")
        fence = _fence_for(text)
        return f"{fence}{language}\n{text}\n{fence}"

    def _image(self, argument: str, options: dict, caption: str, line: int) -> str:
        source = (Path(self.docname).parent / argument).as_posix()
        source = _normalise(source)
        unique = self.site.images.get(source)
        if argument.startswith(("http://", "https://")):
            url = argument
        elif unique:
            url = self.site.baseurl.rstrip("/") + "/_images/" + quote(unique)
        else:
            self.problem(line, f"the image {argument} is not among the site's images")
            return ""
        alt = str(options.get("alt", "")).replace("]", "")
        text = f"![{alt}]({url})"
        caption = caption.strip("\n")
        return f"{text}\n\n*{caption}*" if caption.strip() else text

    def _glue_directive(self, name: str, argument: str, line: int) -> str:
        data = self._glue_data(argument, line)
        if data is None:
            return ""
        if name == "glue:math" and "text/latex" in data:
            latex = data["text/latex"].strip().strip("$").strip()
            return f"$$\n{latex}\n$$"
        if name == "glue:md" and "text/markdown" in data:
            return data["text/markdown"]
        for mime in ("image/png", "image/jpeg"):
            if mime in data:
                file = f"{argument}.{mime.split('/')[1]}"
                payload = data[mime]
                base64.b64decode(payload, validate=False)  # must be base64, as in notebooks
                self._attachments[file] = {mime: payload}
                return f"![{argument}](attachment:{file})"
        if "text/plain" in data:
            return data["text/plain"]
        self.problem(line, f"the glue value {argument!r} has nothing a notebook can show")
        return ""


# A footnote's definition line "[^label]: note", and a reference "text[^label]".
FOOTNOTE_DEFINITION = re.compile(r"^\[\^(?P<label>[\w-]+)\]:[ \t]*", re.M)
FOOTNOTE_REFERENCE = re.compile(r"\[\^(?P<label>[\w-]+)\]")


def _normalise(posix: str) -> str:
    parts: list[str] = []
    for part in posix.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)


def _link_text(content: str) -> tuple[str, str]:
    """``text <target>`` -> (text, target); ``target`` -> (target, target)."""
    match = re.fullmatch(r"\s*(.*?)\s*<([^<>]+)>\s*", content, re.S)
    if match and match[1]:
        return match[1], match[2].strip()
    return content.strip(), content.strip()


def _container_prefix(line: str, markup: str) -> str:
    """What stands before a directive's fence on its line: block quote markers or indent."""
    at = line.find(markup[:3]) if markup else -1
    prefix = line[:at] if at > 0 else ""
    return prefix if set(prefix) <= {" ", ">", "\t"} else ""


def _bullet_term(line: str) -> str:
    """The term line of a definition list as the first line of a bullet: ``- **Term**:``."""
    match = re.match(r"^(\s*(?:>\s*)*)(.*?)\s*$", line)
    prefix, term = match[1], match[2]
    if not term.startswith("**"):
        term = f"**{term}**"
    return f"{prefix}- {term}:"


def _add_tag(cell, tag: str) -> None:
    tags = list(cell.metadata.get("tags", []))
    if tag not in tags:
        cell.metadata["tags"] = [*tags, tag]


def fold_solution_code(cell, title: str = "Solution") -> None:
    """Fold a solution's code cell: hidden in JupyterLab, a titled collapsed form in Colab."""
    lines = cell.source.split("\n")
    at = 1 if lines and lines[0].startswith("%%") else 0  # a cell magic must stay first
    if not any(line.startswith("#@title") for line in lines):
        lines.insert(at, f"#@title {title}")
    cell.source = "\n".join(lines)
    cell.metadata["cellView"] = "form"
    cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
    _add_tag(cell, SOLUTION_TAG)


def is_folded(cell) -> bool:
    """Whether a code cell opens folded in JupyterLab and in Colab."""
    return (
        cell.metadata.get("jupyter", {}).get("source_hidden") is True
        and cell.metadata.get("cellView") == "form"
        and re.search(r"^#@title \S", cell.source, re.M) is not None
    )


def _set_cell_ids(nb: nbformat.NotebookNode) -> None:
    """Give every cell an id computed from its type and source (stable across renders)."""
    seen: dict[str, int] = {}
    for cell in nb.cells:
        digest = hashlib.sha256(f"{cell.cell_type}\0{cell.source}".encode()).hexdigest()
        count = seen.get(digest, 0)
        seen[digest] = count + 1
        cell["id"] = digest[:12] if count == 0 else f"{digest[:12]}-{count}"


def notebook_text(nb: nbformat.NotebookNode) -> str:
    """A notebook as deterministic ``.ipynb`` text, without outputs, validated."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.nbformat, nb.nbformat_minor = 4, 5
    _set_cell_ids(nb)
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def render(md_path: Path, site: Site, root: Path = ROOT) -> tuple[nbformat.NotebookNode, list[str]]:
    """The launch notebook of a chapter, and the problems met (``file:line: message``)."""
    renderer = Renderer(md_path, site, root)
    nb = renderer.notebook()
    return nb, renderer.problems


def write_launch_notebooks(
    site: Site, build: Path = book.BUILD, root: Path = ROOT, chapters: list[Path] | None = None
) -> tuple[list[Path], list[str]]:
    """Render every chapter into ``_build/launch`` and over its page's ``.ipynb`` download.
    Returns the notebooks written and the problems met."""
    written, problems = [], []
    for md in chapters if chapters is not None else chapter_sources(root):
        nb, found = render(md, site, root)
        problems += found
        text = notebook_text(nb)
        for target in (launch_path(md, build, root), download_path(md, build, root)):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="\n")
        written.append(launch_path(md, build, root))
    site.save(launch_dir(build) / SITE_RECORD)
    return written, problems


def launch_problem(root: Path = ROOT, build: Path | None = None) -> str | None:
    """Why the launch notebooks in ``_build/launch`` cannot be used as they are (one line that
    names ``make book``), or None when every chapter's is there and current."""
    build = build or root / "_build"
    problem = book.site_problem(root)
    if problem:
        return problem
    renderer = Path(__file__).resolve()
    for md in chapter_sources(root):
        nb = launch_path(md, build, root)
        if not nb.is_file():
            return f"there is no launch notebook {book.relative(nb, root)}: run `make book`"
        for source in (md, renderer):
            if source.stat().st_mtime > nb.stat().st_mtime:
                return (
                    f"{book.relative(source, root)} changed after {book.relative(nb, root)} "
                    "was rendered: run `make book`"
                )
    return None


# --------------------------------------------------------------------------------- launch URLs


def launch_url(kind: str, repo_url: str, branch: str, path: str, buttons: dict) -> str:
    """The URL of a launch button (``Binder``, ``JupyterHub`` or ``Colab``) that opens
    ``path`` (from the repository root) on ``branch``, in the form sphinx-book-theme uses."""
    parts = urlsplit(repo_url)
    org, repo = parts.path.strip("/").split("/")[:2]
    ui = {"classic": "tree", "jupyterlab": "lab/tree"}[buttons.get("notebook_interface", "classic")]
    if kind == "Binder":
        hub = buttons["binderhub_url"].strip("/")
        return f"{hub}/v2/gh/{org}/{repo}/{branch}?urlpath={ui}/{path}"
    if kind == "JupyterHub":
        hub = buttons["jupyterhub_url"].strip("/")
        query = urlencode(
            {"repo": repo_url, "urlpath": f"{ui}/{repo}/{path}", "branch": branch}, safe="/"
        )
        return f"{hub}/hub/user-redirect/git-pull?{query}"
    if kind == "Colab":
        return f"{buttons['colab_url'].strip('/')}/github/{org}/{repo}/blob/{branch}/{path}"
    raise ValueError(f"unknown launch button {kind!r}")


def notebooks_branch(config: dict | None = None) -> str:
    """The branch the launch buttons open (``launch_buttons.notebooks_branch``)."""
    config = book.config() if config is None else config
    branch = (config.get("launch_buttons") or {}).get("notebooks_branch")
    if not branch:
        raise ValueError("_config.yml has no launch_buttons.notebooks_branch")
    return str(branch)


# --------------------------------------------------------------------------------- students


def is_solution(cell) -> bool:
    return SOLUTION_TAG in cell.metadata.get("tags", [])


def is_answer_cell(cell) -> bool:
    """Whether a cell is one of the empty answer cells of a student notebook."""
    return cell.cell_type == "code" and re.fullmatch(r"# Your answer.*", cell.source) is not None


def _solution_title(cell) -> str:
    match = re.search(r"<summary>(.*?)</summary>|^#@title (.*)$", cell.source, re.M)
    return (match[1] or match[2]).strip() if match else "Solution"


def student_notebook(launch: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A launch notebook without the solutions: each becomes one empty answer cell."""
    nb = copy.deepcopy(launch)
    cells, previous = [], None
    for cell in nb.cells:
        if not is_solution(cell):
            cells.append(cell)
            previous = None
            continue
        title = _solution_title(cell)
        if title != previous:
            exercise = title.removeprefix("Solution to ").removeprefix("Solution")
            cells.append(
                nbformat.v4.new_code_cell(f"# Your answer{' to ' + exercise if exercise else ''}")
            )
        previous = title
    nb.cells = cells
    return nb


def write_student_notebooks(
    out_dir: Path, root: Path = ROOT, build: Path | None = None
) -> list[Path]:
    """One solution-free ``.ipynb`` per chapter in ``out_dir``, from the launch notebooks."""
    build = build or root / "_build"
    written = []
    for md in chapter_sources(root):
        launch = nbformat.read(launch_path(md, build, root), as_version=4)
        target = out_dir / f"{md.stem}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(notebook_text(student_notebook(launch)), encoding="utf-8", newline="\n")
        written.append(target)
    return written


# --------------------------------------------------------------------------------- (transition)


# --------------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.notebooks", description=__doc__.split("\n\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("launch", help="re-render the launch notebooks from the last build")
    commands.add_parser("check", help="fail when the launch notebooks are missing or stale")
    student = commands.add_parser("student", help="write solution-free notebooks")
    student.add_argument("out_dir", nargs="?", default=ROOT / "_build" / "student", type=Path)
    args = parser.parse_args(argv)

    if args.command == "launch":
        record = launch_dir() / SITE_RECORD
        problem = book.site_problem() or (
            None if record.is_file() else f"there is no {book.relative(record)}: run `make book`"
        )
        if problem:
            print(problem, file=sys.stderr)
            return 1
        written, problems = write_launch_notebooks(Site.load(record))
        for found in problems:
            print(found, file=sys.stderr)
        print(f"{len(written)} launch notebook(s) in {book.relative(launch_dir())}")
        return 1 if problems else 0
    problem = launch_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    if args.command == "check":
        print(f"the launch notebooks in {book.relative(launch_dir())} are current")
        return 0
    written = write_student_notebooks(args.out_dir)
    print(f"{len(written)} student notebook(s) without solutions in {book.relative(args.out_dir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
