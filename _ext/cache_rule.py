"""Run a chapter again when what its outputs depend on changes, and only that chapter.

myst-nb's execution cache (jupyter-cache, ``execute_notebooks: cache``) knows a chapter by its
code cells: edit a cell and the chapter runs again, and only it. A chapter's outputs also depend
on the ``dlcourse`` functions it runs, on the pinned versions and on the seed knob
(``tools.book.dependencies`` works them out from the chapter's code). This extension keeps, beside
the cache, what each chapter was last executed with (``dependencies.json``). When Sphinx looks
for outdated pages (``env-get-outdated``), every chapter whose dependencies changed loses its
cache records and is read again, so myst-nb executes it again; the other chapters keep their
outputs. A chapter with cache records but no entry in the file (a cache from before this rule)
runs again once.

It reads the book through ``tools/book.py`` of its own checkout (loaded from beside ``_ext/``,
so that a copy of the book is judged by its own tools, whatever ``sys.path`` holds).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

KEYS_FILE = "dependencies.json"
logger = logging.getLogger(__name__)


def _load_book():
    path = Path(__file__).resolve().parent.parent / "tools" / "book.py"
    spec = importlib.util.spec_from_file_location("_cache_rule_book", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


book = _load_book()


def what_changed(old: dict[str, str] | None, new: dict[str, str]) -> str:
    """What differs between two :func:`tools.book.dependencies` records ("" when nothing)."""
    if old is None:
        return "its dependencies were not recorded with the cache"
    changed = sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name))
    return f"{', '.join(changed)} changed" if changed else ""


def remove_records(cache, source: Path, root: Path) -> int:
    """Forget the cache's executed notebooks of one chapter (by its path in the book, so a
    cache made in another checkout counts as well); how many there were."""
    from jupyter_cache.cache.db import NbCacheRecord

    tail = Path(book.relative(source, root)).parts
    stale = [r for r in cache.list_cache_records() if Path(r.uri).parts[-len(tail) :] == tail]
    for record in stale:
        try:
            cache.remove_cache(record.pk)
        except KeyError:  # its notebook is already gone
            NbCacheRecord.remove_records([record.pk], cache.db)
    return len(stale)


def outdated(app: Sphinx, env, added, changed, removed) -> list[str]:
    config = env.mystnb_config
    if config.execution_mode != "cache":
        return []
    from jupyter_cache import get_cache

    root = Path(app.srcdir)
    folder = Path(config.execution_cache_path)
    folder.mkdir(parents=True, exist_ok=True)
    keys_file = folder / KEYS_FILE
    recorded = json.loads(keys_file.read_text()) if keys_file.is_file() else {}
    cache = get_cache(folder)
    current, again = {}, []
    for docname in sorted(env.found_docs):
        source = Path(env.doc2path(docname))
        if not book.is_chapter(source):
            continue
        current[docname] = book.dependencies(source, root)
        why = what_changed(recorded.get(docname), current[docname])
        if why and remove_records(cache, source, root):
            again.append(docname)
            logger.info(f"cache rule: {book.relative(source, root)} runs again: {why}")
    keys_file.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
    return again


def setup(app: Sphinx) -> dict:
    app.connect("env-get-outdated", outdated)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
