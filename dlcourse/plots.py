"""Figures that chapters draw again and again: image grids and training curves."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

from dlcourse.training import History


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
    size: float = 1.4,
    suptitle: str | None = None,
    cmap: str = "gray_r",
    title_colors: Sequence[str] | None = None,
) -> plt.Figure:
    """Draw a grid of grey-scale images, each with an optional title.

    ``images`` may be a tensor or array of shape ``(N, H, W)``, ``(N, 1, H, W)``
    or flattened ``(N, H*W)``. ``title_colors`` colours each title (for example
    red for a wrong prediction). Returns the figure.
    """
    arr = _as_images(images)
    n = len(arr)
    if n == 0:
        raise ValueError("show_images got no images")
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
            ax.imshow(arr[i], cmap=cmap)
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
