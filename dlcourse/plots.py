"""Figures that chapters draw again and again: image grids, training curves, animations."""

from __future__ import annotations

import re
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

from dlcourse.training import History

# Frames of an embedded animation: enough for a 6-inch figure on any screen, light to send.
ANIMATION_DPI = 100


def _as_images(images) -> np.ndarray:
    """Turn a batch of images into a NumPy array of shape (N, H, W)."""
    arr = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    if arr.ndim == 4 and arr.shape[1] == 1:  # (N, 1, H, W) -> (N, H, W)
        arr = arr[:, 0]
    elif arr.ndim == 2:  # flattened square images (N, H*W)
        side = int(round(np.sqrt(arr.shape[1])))
        if side * side != arr.shape[1]:
            raise ValueError(
                f"flattened images must have a square number of pixels, "
                f"got {arr.shape[1]} per image"
            )
        arr = arr.reshape(len(arr), side, side)
    if arr.ndim != 3:
        raise ValueError(
            f"show_images expects images of shape (N, H, W), (N, 1, H, W) or "
            f"(N, H*W), got {arr.shape}"
        )
    return arr


def show_images(
    images,
    titles: Sequence[str] | None = None,
    *,
    ncols: int = 8,
    size: float = 1.0,
    suptitle: str | None = None,
    cmap: str = "gray_r",
    title_colors: Sequence[str] | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
) -> plt.Figure:
    """Draw a grid of grey-scale images, each with an optional title.

    ``images`` may be a tensor or array of shape ``(N, H, W)``, ``(N, 1, H, W)``
    or flattened ``(N, H*W)``. ``title_colors`` colours each title (for example
    red for a wrong prediction). All images share one grey scale, so that a faint
    image looks faint: 0 to 255 for bytes, 0 to 1 for floats in that range, else the
    batch's smallest and largest value (``vmin``/``vmax`` override it). Returns the figure.
    """
    arr = _as_images(images)
    if len(arr) == 0:
        raise ValueError("show_images got no images")
    if vmin is None:
        vmin = 0.0 if arr.dtype == np.uint8 else min(0.0, float(arr.min()))
    if vmax is None:
        vmax = 255.0 if arr.dtype == np.uint8 else max(1.0, float(arr.max()))
    n = len(arr)
    for name, seq in (("titles", titles), ("title_colors", title_colors)):
        if seq is not None and len(seq) != n:
            raise ValueError(f"{name} has {len(seq)} entries for {n} images")
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(size * ncols, size * nrows * 1.15), squeeze=False
    )
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(arr[i], cmap=cmap, vmin=vmin, vmax=vmax)
            if titles is not None:
                ax.set_title(
                    titles[i],
                    fontsize=9,
                    color=title_colors[i] if title_colors is not None else "black",
                )
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_history(
    history: History,
    *,
    title: str = "Training history",
    logy: bool = False,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Training (and validation) loss against epoch, with accuracy on a second axis
    when the history has one."""
    if not isinstance(history, History):
        raise TypeError(f"plot_history expects a dlcourse History, got {type(history).__name__}")
    if history.epochs == 0:
        raise ValueError("the history is empty: train for at least one epoch first")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    epochs = np.arange(1, history.epochs + 1)
    ax.plot(epochs, history.train_loss, "o-", label="training loss")
    if history.val_loss:
        ax.plot(epochs, history.val_loss, "s-", label="validation loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    if logy:
        ax.set_yscale("log")
    ax.set_title(title)
    handles, labels = ax.get_legend_handles_labels()
    if history.val_accuracy:
        ax2 = ax.twinx()
        ax2.plot(
            epochs, history.val_accuracy, "^--", color="tab:green", label="validation accuracy"
        )
        ax2.set_ylabel("accuracy")
        h2, l2 = ax2.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    ax.legend(handles, labels, loc="best")
    return ax


def show_animation(animation, alt: str, *, loop: bool = True):
    """An animation as a player that works in a notebook and on a static web page.

    ``animation`` is a :class:`matplotlib.animation.Animation`; ``alt`` says what it
    shows, for readers who cannot see it (a screen reader reads it out). The player
    needs no running Python: its frames are embedded in the page, as lossless WebP
    images (about a third of the bytes of PNG) at no more than 100 dpi, and the first
    frame shows even before (or without) its script. Its controls all have names: the
    frame image its alt text, the slider, the buttons, the group itself. Returns an
    :class:`IPython.display.HTML`, so end a cell with it. The figure the animation
    draws on is closed, so that the notebook does not show a still copy as well.
    """
    import tempfile
    from html import escape
    from pathlib import Path

    from IPython.display import HTML
    from matplotlib.animation import Animation, HTMLWriter

    if not isinstance(animation, Animation):
        raise TypeError(
            f"show_animation expects a matplotlib animation (FuncAnimation, ...), "
            f"got {type(animation).__name__}"
        )
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("show_animation needs alt text that says what the animation shows")

    class WebPFrames(HTMLWriter):
        supported_formats = ["webp", *HTMLWriter.supported_formats]

    fig = animation._fig
    writer = WebPFrames(
        fps=1000 / getattr(animation, "_interval", 200),
        embed_frames=True,
        default_mode="loop" if loop else "once",
    )
    writer.frame_format = "webp"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "animation.html"
        animation.save(
            str(path),
            writer=writer,
            dpi=min(fig.dpi, ANIMATION_DPI),
            savefig_kwargs={"pil_kwargs": {"lossless": True}},
        )
        html = path.read_text(encoding="utf-8")
    plt.close(fig)
    text = escape(alt.strip(), quote=True)
    first = re.search(r'frames\[0\] = "(data:image/webp;base64,[^"]*)"', html)
    first_frame = first.group(1).replace("\\\n", "") if first else ""
    html = html.replace(
        '<img id="_anim_img', f'<img alt="{text}" src="{first_frame}" id="_anim_img', 1
    )
    html = html.replace(
        '<div class="animation">', '<div class="animation" role="group" aria-label="Animation">', 1
    )
    html = html.replace(
        '<input id="_anim_slider', '<input aria-label="Animation frame" id="_anim_slider', 1
    )
    return HTML(html)
