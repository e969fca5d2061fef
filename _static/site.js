// Code blocks that scroll sideways get a tab stop, so that the keyboard can scroll them.
// The theme sets these when the page loads and when content is added, but not when a
// reader unfolds a solution or hidden code (which is when those blocks first get a width)
// or switches the colour mode.
(() => {
  const update = (root) => {
    root.querySelectorAll("pre, .cell_output > .output").forEach((el) => {
      if (el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight) el.tabIndex = 0;
    });
  };
  // After the unfolding transition (0.3 s), in the part that unfolded.
  const later = (root) => setTimeout(() => update(root), 400);
  // From the load on: the theme has set them then (and parsing fires "toggle" events).
  window.addEventListener("load", () => {
    document.addEventListener("toggle", (event) => later(event.target), true);
    document.addEventListener("click", (event) => {
      const box = event.target.closest && event.target.closest(".admonition.toggle, details");
      if (box) later(box);
    });
    new MutationObserver(() => later(document)).observe(document.documentElement, {
      attributes: true,
      attributeFilter: ["data-theme"],
    });
  });
})();
