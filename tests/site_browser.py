"""Checks of a built Jupyter Book that need a browser: headless Chromium via Playwright.

``tests/test_site.py`` runs them on the course's ``_build/html`` and on the broken fixture
book; ``tests/site_static.py`` has the checks that only read HTML. Here:

- :func:`check_page` opens a page (served with gzip, as GitHub Pages serves it) and lists
  console errors, failed or off-site requests (the site must work offline), images that
  did not load, formulas MathJax did not typeset, icons not drawn, the bytes really
  transferred, launch menus that do not open, solutions not folded, and every critical
  or serious axe-core violation in light and in dark mode. It saves a screenshot of the
  page in each mode.
- :func:`check_navigation` opens and closes the sidebars from their buttons at one window
  width and follows a link in the primary sidebar.
- :func:`check_keyboard` moves through the page with the Tab key alone and operates the
  launch, download, colour-mode, sidebar, hidden-code and solution controls with Enter.

axe-core comes from the ``axe-playwright-python`` package (its bundled ``axe.min.js`` is
put into the page; no CDN).
"""

from __future__ import annotations

from pathlib import Path

from site_static import Page, Problem
from tools import site

AXE_IMPACTS = ("critical", "serious")  # the gate: none of these

# Collected in the page after it has loaded (MathJax and the theme's scripts done).
_PAGE_FACTS_JS = """
async () => {
  await Promise.all(Array.from(document.images).map(img => {
    img.loading = 'eager';
    return img.complete ? null : new Promise(done => {
      img.addEventListener('load', done); img.addEventListener('error', done);
      setTimeout(done, 10000);
    });
  }));
  const text = el => (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 80);
  const main = document.querySelector('main') || document.body;
  return {
    images: Array.from(document.images).map(img => ({
      src: img.getAttribute('src') || '', complete: img.complete, width: img.naturalWidth})),
    math: Array.from(main.querySelectorAll('.math')).map(el => ({
      // typeset, not a lazy placeholder: the container holds the formula's layout
      typeset: el.querySelector('mjx-container mjx-math, mjx-container svg') !== null,
      text: text(el)})),
    mathErrors: Array.from(main.querySelectorAll('mjx-merror')).map(el =>
      el.getAttribute('data-mjx-error') || text(el)),
    hasMathJax: typeof window.MathJax === 'object' && !!window.MathJax.version,
    icons: Array.from(document.querySelectorAll('i.fa, i[class*="fa-"]')).map(el => el.className),
  };
}
"""

_SET_MODE_JS = """
mode => {
  document.documentElement.dataset.mode = mode;
  document.documentElement.dataset.theme = mode;
  // after the theme's colour transitions, so that axe sees the final colours
  return new Promise(done => setTimeout(done, 700));
}
"""


def _axe_script() -> str:
    from axe_playwright_python.base import AXE_SCRIPT

    return AXE_SCRIPT


def run_axe(tab) -> list[dict]:
    """axe-core's critical and serious violations on the page as it is now."""
    if not tab.evaluate("typeof window.axe === 'object'"):
        tab.evaluate(_axe_script())
    # preload: false keeps axe from fetching the stylesheets itself (it resolves their
    # @imports against the page, asks for files that do not exist, and logs 404s).
    result = tab.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations'], preload: false})"
    )
    return [v for v in result["violations"] if v.get("impact") in AXE_IMPACTS]


def _describe_axe(mode: str, violation: dict) -> str:
    node = violation["nodes"][0]
    where = " ".join(node["html"].split())[:120]
    return (
        f"axe ({mode} mode): {violation['id']} ({violation['impact']}) on "
        f"{len(violation['nodes'])} element(s), e.g. {where}: {violation['help']}"
    )


def open_page(context, base_url: str, page: Page, problems: list[Problem] | None = None):
    """A new tab on ``page``, with listeners that add console errors and failed or off-site
    requests to ``problems``; waits for the page, MathJax and the network to settle.
    Returns (tab, transferred): ``transferred`` is the list of (url, bytes received)."""
    add = (
        (lambda kind, detail: problems.append(Problem(kind, detail)))
        if problems is not None
        else (lambda kind, detail: None)
    )

    def is_local(url: str) -> bool:
        return url.startswith(base_url) or url.startswith(("data:", "blob:", "about:"))

    def route(route_, request) -> None:
        if is_local(request.url):
            route_.continue_()
        else:
            add("request", f"request leaves the site (it must work offline): {request.url}")
            route_.abort()

    tab = context.new_page()
    transferred: list[tuple[str, int]] = []
    tab.route("**/*", route)
    tab.on(
        "console", lambda msg: msg.type == "error" and add("console", f"console error: {msg.text}")
    )
    tab.on("pageerror", lambda error: add("console", f"uncaught JavaScript error: {error}"))
    tab.on(
        "requestfailed",
        lambda req: is_local(req.url) and add("request", f"failed: {req.url} ({req.failure})"),
    )
    tab.on(
        "response",
        lambda res: res.status >= 400 and add("request", f"HTTP {res.status}: {res.url}"),
    )

    def received(request) -> None:
        if request.url.startswith(base_url):
            try:
                transferred.append((request.url, request.sizes()["responseBodySize"]))
            except Exception:  # noqa: BLE001 - the tab closed while Playwright asked
                pass

    tab.on("requestfinished", received)
    tab.goto(base_url + page.html_path, wait_until="load")
    tab.evaluate(site.TYPESET_ALL_JS)
    site.settle(tab)
    return tab, transferred


def check_page(
    context,
    base_url: str,
    html_dir: Path,
    page: Page,
    *,
    launch: dict[str, str] | None = None,
    screenshots: Path | None = None,
) -> list[Problem]:
    """Open ``page`` in the browser ``context`` and list everything wrong with it that a
    browser shows. Full-page screenshots go to ``screenshots/<docname>.png`` (light) and
    ``<docname>-dark.png`` (dark mode)."""
    problems: list[Problem] = []
    add = lambda kind, detail: problems.append(Problem(kind, detail))  # noqa: E731
    if not (Path(html_dir) / page.html_path).is_file():
        add("request", f"{page.html_path} was not built (is _build/html older than _toc.yml?)")
        return problems
    tab, transferred = open_page(context, base_url, page, problems)
    try:
        facts = tab.evaluate(_PAGE_FACTS_JS)
        site.settle(tab)
        _check_facts(facts, add)
        total = sum(size for _, size in transferred)
        if total > site.MAX_TRANSFER:
            add(
                "weight",
                f"the browser received {total / 1e6:.2f} MB (gzip on) for {page.html_path}, "
                f"over the {site.MAX_TRANSFER / 1e6:.1f} MB limit",
            )
        if page.is_notebook:
            _check_launch_menu(tab, launch or {}, add)
            _check_solutions(tab, add)
            tab.wait_for_timeout(500)  # the theme updates the tab stops of unfolded code
        for mode in ("light", "dark"):
            tab.evaluate(_SET_MODE_JS, mode)
            for violation in run_axe(tab):
                add("axe", _describe_axe(mode, violation))
            if screenshots is not None:
                suffix = "" if mode == "light" else "-dark"
                path = Path(screenshots) / f"{page.docname}{suffix}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                tab.screenshot(path=str(path), full_page=True)
    finally:
        tab.close()
    return problems


def _check_facts(facts: dict, add) -> None:
    for img in facts["images"]:
        if not img["complete"] or img["width"] == 0:
            add("image", f"image did not load: {img['src'][:100]}")
    untypeset = [m["text"] for m in facts["math"] if not m["typeset"]]
    if facts["math"] and not facts["hasMathJax"]:
        add("math", f"{len(facts['math'])} formulas but MathJax did not load")
    elif untypeset:
        add("math", f"{len(untypeset)} formulas not typeset, e.g. {untypeset[0]!r}")
    for error in facts["mathErrors"]:
        add("math", f"MathJax could not typeset a formula: {error}")
    for icon in facts["icons"]:
        add("icon", f"icon not drawn (no SVG for it in _static/icons.js?): <i class={icon!r}>")


def _check_launch_menu(tab, launch: dict[str, str], add) -> None:
    menu = tab.locator(".dropdown-launch-buttons")
    if not launch or menu.count() == 0:
        return  # the static check reports missing launch buttons
    menu.locator("button").first.click()
    for service, prefix in launch.items():
        links = menu.locator(f'a[href^="{prefix}"]')
        if links.count() and not links.first.is_visible():
            add("launch", f"the {service} launch button does not show when the rocket menu opens")
    tab.keyboard.press("Escape")


def _check_solutions(tab, add) -> None:
    solutions = tab.locator("div.solution")
    for index in range(solutions.count()):
        solution = solutions.nth(index)
        title = solution.locator(".admonition-title").first
        label = title.inner_text().strip() if title.count() else f"solution {index + 1}"
        body = solution.locator(":scope > :not(.admonition-title)").first
        if body.count() == 0:
            add("solution", f"{label!r} is empty")
            continue
        if body.is_visible():
            add(
                "solution",
                f"{label!r} is shown at once: give it ':class: dropdown' so it starts folded",
            )
            continue
        button = solution.locator("button.toggle-button")  # "Click to show", added by the theme
        (button.first if button.count() else title).click()
        try:
            body.wait_for(state="visible", timeout=5000)
        except Exception:  # playwright's TimeoutError
            add("solution", f"{label!r} does not unfold when its title is clicked")


# ------------------------------------------------------------------ navigation

_PRIMARY_SHOWN_JS = """
() => {
  const dialog = document.querySelector('#pst-primary-sidebar-modal');
  if (dialog && dialog.open) return dialog.querySelector('a.reference') !== null;
  const bar = document.querySelector('#pst-primary-sidebar');
  if (!bar) return false;
  const box = bar.getBoundingClientRect();
  return getComputedStyle(bar).visibility !== 'hidden' && box.width > 0 && box.right > 0;
}
"""
_SECONDARY_SHOWN_JS = _PRIMARY_SHOWN_JS.replace("primary", "secondary").replace("a.reference", "a")


def check_navigation(context, base_url: str, page: Page, width: int) -> list[Problem]:
    """At a window ``width`` px wide: the primary sidebar's button opens and closes it (on
    narrow windows it opens as a dialog, which Escape closes), a link in it leads to its page,
    and the page-contents (secondary) button, where it shows, opens and closes that one."""
    problems: list[Problem] = []
    add = lambda detail: problems.append(Problem("nav", f"{width} px: {detail}"))  # noqa: E731
    tab, _ = open_page(context, base_url, page)
    try:
        tab.set_viewport_size({"width": width, "height": 800})
        tab.wait_for_timeout(300)
        for side, shown_js in (("primary", _PRIMARY_SHOWN_JS), ("secondary", _SECONDARY_SHOWN_JS)):
            button = tab.locator(f"button.{side}-toggle:visible").first
            if tab.locator(f"button.{side}-toggle:visible").count() == 0:
                if side == "primary":
                    add("no visible button for the primary sidebar (site navigation)")
                continue
            before = tab.evaluate(shown_js)
            button.click()
            tab.wait_for_timeout(400)
            if tab.evaluate(shown_js) == before:
                add(f"the {side} sidebar's button does not {'hide' if before else 'show'} it")
                continue
            modal = tab.evaluate(
                f"() => !!document.querySelector('#pst-{side}-sidebar-modal[open]')"
            )
            if modal:
                tab.keyboard.press("Escape")
            else:
                button.click()
            tab.wait_for_timeout(400)
            if tab.evaluate(shown_js) != before:
                add(f"the {side} sidebar does not close again ({'Escape' if modal else 'button'})")
        # Follow a link of the primary sidebar to another page.
        if tab.evaluate(_PRIMARY_SHOWN_JS) is False:
            tab.locator("button.primary-toggle:visible").first.click()
            tab.wait_for_timeout(400)
        links = tab.locator(
            "#pst-primary-sidebar-modal[open] nav a.reference.internal, "
            ".bd-sidebar-primary nav a.reference.internal"
        )
        target = None
        for index in range(links.count()):
            link = links.nth(index)
            href = link.get_attribute("href") or ""
            if (
                link.is_visible()
                and href
                and not href.startswith("#")
                and "current" not in (link.get_attribute("class") or "")
            ):
                target = link
                break
        if target is None:
            add("no link to another page in the open primary sidebar")
        else:
            href = target.get_attribute("href")
            with tab.expect_navigation():
                target.click()
            if not tab.url.split("#")[0].endswith(href.split("#")[0].lstrip("./")):
                add(f"following the sidebar link {href!r} led to {tab.url}")
    finally:
        tab.close()
    return problems


# ------------------------------------------------------------------ keyboard

# Marks the controls a keyboard user must reach; returns their descriptions by mark.
_MARK_CONTROLS_JS = """
() => {
  const wanted = [
    ['launch menu', '.dropdown-launch-buttons > button'],
    ['download menu', '.dropdown-download-buttons > button'],
    ['repository menu', '.dropdown-source-buttons > button'],
    ['colour-mode switch', 'button.theme-switch-button'],
    ['site navigation button', 'button.primary-toggle'],
    ['solution', 'div.solution button.toggle-button'],
    ['hidden code', 'details.hide > summary'],
    ['animation player', 'div.animation button, div.animation input[type=range], div.animation input:checked'],
  ];
  const found = {};
  let n = 0;
  for (const [what, selector] of wanted) {
    document.querySelectorAll(selector).forEach((el, i) => {
      if (!el.getClientRects().length) return;   // not shown at this width
      el.dataset.kbd = String(++n);
      found[n] = what + ' ' + (i + 1);
    });
  }
  return found;
}
"""


def check_keyboard(context, base_url: str, page: Page, *, max_tabs: int = 1500) -> list[Problem]:
    """Every launch, download, colour-mode, sidebar, hidden-code, solution and player control
    of ``page`` is reached by Tab alone, and Enter operates the menus (and the arrow keys
    move into them), the colour switch, the sidebar button, the hidden code and the
    solutions."""
    problems: list[Problem] = []
    add = lambda detail: problems.append(Problem("keyboard", detail))  # noqa: E731
    tab, _ = open_page(context, base_url, page)
    try:
        tab.set_viewport_size({"width": 1280, "height": 800})
        wanted: dict[str, str] = tab.evaluate(_MARK_CONTROLS_JS)
        reached: set[str] = set()
        first = None
        for _ in range(max_tabs):
            tab.keyboard.press("Tab")
            mark, key = tab.evaluate(
                "() => { const el = document.activeElement;"
                " return [el && el.dataset ? el.dataset.kbd || null : null,"
                " el ? el.outerHTML.slice(0, 200) : null]; }"
            )
            if mark:
                reached.add(mark)
            if reached >= set(wanted):
                break
            if key == first:
                break  # wrapped around the page
            first = first or key
        for mark in sorted(set(wanted) - reached, key=int):
            add(f"Tab never reaches the {wanted[mark]}")
        _operate(tab, wanted, reached, add)
    finally:
        tab.close()
    return problems


def _focus(tab, mark: str) -> None:
    tab.evaluate(f"() => document.querySelector('[data-kbd=\"{mark}\"]').focus()")


def _operate(tab, wanted: dict[str, str], reached: set[str], add) -> None:
    """Press Enter on one control of each kind that Tab reached, and see it act."""
    done: set[str] = set()
    for mark in sorted(reached, key=int):
        kind = wanted[mark].rsplit(" ", 1)[0]
        if kind in done or kind == "animation player":
            continue
        done.add(kind)
        selector = f'[data-kbd="{mark}"]'
        _focus(tab, mark)
        if kind.endswith("menu"):
            tab.keyboard.press("Enter")
            shown = tab.evaluate(
                f"() => {{ const m = document.querySelector('{selector}').parentElement"
                ".querySelector('.dropdown-menu'); return !!m && m.classList.contains('show')"
                " && m.querySelector('a') !== null; }"
            )
            if not shown:
                add(f"Enter on the {kind} does not open it")
            else:
                tab.keyboard.press("ArrowDown")
                inside = tab.evaluate("() => !!document.activeElement.closest('.dropdown-menu')")
                if not inside:
                    add(f"the arrow keys do not move into the open {kind}")
            tab.keyboard.press("Escape")
        elif kind == "site navigation button":
            before = tab.evaluate(_PRIMARY_SHOWN_JS)
            tab.keyboard.press("Enter")
            tab.wait_for_timeout(400)
            if tab.evaluate(_PRIMARY_SHOWN_JS) == before:
                add("Enter on the site navigation button does not show or hide the sidebar")
            _focus(tab, mark)
            tab.keyboard.press("Enter")  # and back
            tab.wait_for_timeout(400)
        elif kind == "colour-mode switch":
            before = tab.evaluate("() => document.documentElement.dataset.mode")
            tab.keyboard.press("Enter")
            if tab.evaluate("() => document.documentElement.dataset.mode") == before:
                add("Enter on the colour-mode switch does not change the colour mode")
        elif kind in ("hidden code", "solution"):
            state_js = (
                f"() => document.querySelector('{selector}').closest('details').open"
                if kind == "hidden code"
                else f"() => {{ const s = document.querySelector('{selector}')"
                ".closest('div.solution'); const body = s.querySelector("
                "':scope > :not(.admonition-title)'); return !!body && "
                "getComputedStyle(body).visibility !== 'hidden' && body.getClientRects().length > 0; }"
            )
            before = tab.evaluate(state_js)
            tab.keyboard.press("Enter")
            tab.wait_for_timeout(300)
            if tab.evaluate(state_js) == before:
                add(f"Enter on a {kind} control does not unfold it")
