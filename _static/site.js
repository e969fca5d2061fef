// Code blocks that scroll sideways get a tab stop, so that the keyboard can scroll them.
// The theme sets these when the page loads and when content is added, but not when a
// reader unfolds a solution or hidden code (which is when those blocks first get a width)
// or switches the colour mode (the dark code style's bold can make a line overflow).
(() => {
  const update = () => {
    document.querySelectorAll("pre, .cell_output > .output").forEach((el) => {
      if (el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight) el.tabIndex = 0;
    });
  };
  let timer = null;
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(update, 400); // after the unfolding transition (0.3 s)
  };
  document.addEventListener("toggle", later, true);
  document.addEventListener("click", later, true);
  window.addEventListener("resize", later);
  window.addEventListener("load", update);
  new MutationObserver(() => requestAnimationFrame(update)).observe(document.documentElement, {
    attributes: true,
    attributeFilter: ["data-theme"],
  });
})();
