"""Helpers for autoencoders: noise, per-image errors, interpolation and latent-space plots.

The autoencoder chapter writes each of these once by hand; later chapters (and
the reader's own experiments) call them from here. Images may be given as
``(N, H, W)``, ``(N, 1, H, W)`` or flattened ``(N, H*W)`` tensors, as in
:func:`dlcourse.show_images`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from dlcourse.plots import _as_images
from dlcourse.training import predict


def add_noise(
    images: torch.Tensor, std: float, *, seed: int = 0, clip: bool = True
) -> torch.Tensor:
    """``images`` plus Gaussian noise of standard deviation ``std``, as a new tensor.

    The noise is drawn from its own generator seeded with ``seed``, so the same
    call always gives the same noisy images. With ``clip`` (the default) the
    result is clipped back to the pixel range ``[0, 1]``.
    """
    if not isinstance(images, torch.Tensor) or not images.is_floating_point():
        raise TypeError(
            "images must be a floating-point torch.Tensor, got "
            + (str(images.dtype) if isinstance(images, torch.Tensor) else type(images).__name__)
        )
    if (
        isinstance(std, bool)
        or not isinstance(std, (int, float))
        or not std >= 0
        or not math.isfinite(std)
    ):
        raise ValueError(f"std must be a finite number >= 0, got {std!r}")
    generator = torch.Generator().manual_seed(seed)
    noisy = torch.randn(images.shape, generator=generator, dtype=images.dtype)
    noisy = noisy.to(images.device).mul_(std).add_(images)  # in place: one new tensor, not four
    return noisy.clamp_(0.0, 1.0) if clip else noisy


def reconstruction_errors(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor | None = None,
    *,
    batch_size: int = 250,
) -> torch.Tensor:
    """The mean squared error of each reconstruction, one number per image.

    ``model(inputs)`` is compared with ``targets`` (default: the inputs
    themselves; give the clean images when the inputs are noisy). Returns a
    CPU tensor of shape ``(N,)``; its mean is the usual MSE loss.
    """
    if targets is None:
        targets = inputs
    if not isinstance(inputs, torch.Tensor) or not isinstance(targets, torch.Tensor):
        raise TypeError("inputs and targets must be torch tensors")
    if len(inputs) != len(targets) or len(inputs) == 0:
        raise ValueError(
            f"inputs and targets must be non-empty and of the same length, got "
            f"{len(inputs)} and {len(targets)}"
        )
    outputs = predict(model, inputs, batch_size=batch_size)
    targets = targets.cpu()
    if outputs.shape != targets.shape:
        raise ValueError(
            f"the model's outputs have shape {tuple(outputs.shape)} but the targets "
            f"have shape {tuple(targets.shape)}; an autoencoder's output must have "
            f"the shape of its target"
        )
    return (outputs - targets).pow(2).flatten(1).mean(dim=1)


def interpolate(start: torch.Tensor, end: torch.Tensor, steps: int = 8) -> torch.Tensor:
    """``steps`` points on the straight line from ``start`` to ``end``, both included.

    Returns a tensor of shape ``(steps, *start.shape)``: row ``i`` is
    ``(1 - t) * start + t * end`` with ``t = i / (steps - 1)``.
    """
    if not isinstance(start, torch.Tensor) or not isinstance(end, torch.Tensor):
        raise TypeError("start and end must be torch tensors")
    if start.shape != end.shape:
        raise ValueError(
            f"start and end must have the same shape, got {tuple(start.shape)} "
            f"and {tuple(end.shape)}"
        )
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 2:
        raise ValueError(f"steps must be an int >= 2 (it includes both ends), got {steps!r}")
    t = torch.linspace(0.0, 1.0, steps, device=start.device, dtype=torch.float32)
    t = t.reshape(steps, *([1] * start.ndim))
    return (1 - t) * start.float() + t * end.float()


def show_image_rows(
    rows: Mapping[str, torch.Tensor | np.ndarray],
    *,
    titles: Mapping[str, Sequence[str]] | None = None,
    size: float = 1.2,
    suptitle: str | None = None,
    cmap: str = "gray_r",
) -> plt.Figure:
    """Rows of grey-scale images, each row named at its left.

    ``rows`` maps a row's name to its images, for example
    ``{"original": x[:8], "reconstruction": model(x[:8])}``; rows may have
    different lengths. ``titles`` optionally maps a row's name to one title per
    image of that row. Returns the figure.
    """
    if not isinstance(rows, Mapping) or len(rows) == 0:
        raise ValueError("rows must be a non-empty mapping {row name: images}")
    arrays = {name: _as_images(images) for name, images in rows.items()}
    for name, arr in arrays.items():
        if len(arr) == 0:
            raise ValueError(f"row {name!r} has no images")
    titles = dict(titles or {})
    for name, seq in titles.items():
        if name not in arrays:
            raise ValueError(
                f"titles names the row {name!r}, which is not in rows "
                f"({', '.join(map(repr, arrays))})"
            )
        if len(seq) != len(arrays[name]):
            raise ValueError(
                f"titles for row {name!r} has {len(seq)} entries for {len(arrays[name])} images"
            )
    ncols = max(len(arr) for arr in arrays.values())
    label_width = 0.12 * max(len(name) for name in arrays)
    fig, axes = plt.subplots(
        len(arrays),
        ncols,
        squeeze=False,
        figsize=(size * ncols + label_width, size * len(arrays) * 1.15),
    )
    for ax_row, (name, arr) in zip(axes, arrays.items(), strict=True):
        for j, ax in enumerate(ax_row):
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= len(arr):
                ax.axis("off")
                continue
            for spine in ax.spines.values():
                spine.set_visible(False)
            ax.imshow(arr[j], cmap=cmap)
            if name in titles:
                ax.set_title(titles[name][j], fontsize=8)
        ax_row[0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=10)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def _check_range(r, name: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in r)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair of numbers (low, high), got {r!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"{name} must be finite with low < high, got ({lo}, {hi})")
    return lo, hi


def decode_latent_grid(
    decoder: Callable[[torch.Tensor], torch.Tensor],
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    n: int = 12,
) -> torch.Tensor:
    """Decode an ``n`` x ``n`` grid of points of a 2-D latent space into images.

    The grid spans ``x_range`` left to right and ``y_range`` *top to bottom
    from high to low*, like a plot's axes. Returns images of shape
    ``(n * n, H, W)``, row by row (the first ``n`` are the top row).
    """
    x_lo, x_hi = _check_range(x_range, "x_range")
    y_lo, y_hi = _check_range(y_range, "y_range")
    if not isinstance(n, int) or isinstance(n, bool) or n < 2:
        raise ValueError(f"n must be an int >= 2, got {n!r}")
    xs = torch.linspace(x_lo, x_hi, n)
    ys = torch.linspace(y_hi, y_lo, n)  # top row first
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    grid = torch.stack([xx, yy], dim=-1).reshape(-1, 2)  # (z1, z2), row by row
    if isinstance(decoder, nn.Module):
        images = predict(decoder, grid)
    elif callable(decoder):
        with torch.no_grad():
            images = torch.as_tensor(decoder(grid)).cpu()
    else:
        raise TypeError(
            f"decoder must be a torch module or a function, got {type(decoder).__name__}"
        )
    if len(images) != len(grid):
        raise ValueError(
            f"the decoder turned {len(grid)} latent points into {len(images)} "
            f"outputs; it must return one image per point"
        )
    try:
        return torch.as_tensor(_as_images(images))
    except ValueError as err:
        raise ValueError(
            f"the decoder's outputs (shape {tuple(images.shape)}) are not images: {err}"
        ) from None


def plot_latent_grid(
    decoder: Callable[[torch.Tensor], torch.Tensor],
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    n: int = 12,
    *,
    ax: plt.Axes | None = None,
    title: str = "Digits decoded from a grid of latent points",
    cmap: str = "gray_r",
) -> plt.Axes:
    """Draw the images that ``decoder`` makes from a grid over a 2-D latent space.

    The axes are labelled in latent coordinates, so the picture can be laid
    next to a scatter plot of the codes (:func:`plot_latent_space`).
    """
    images = decode_latent_grid(decoder, x_range, y_range, n).numpy()
    h, w = images.shape[1:]
    mosaic = images.reshape(n, n, h, w).transpose(0, 2, 1, 3).reshape(n * h, n * w)
    (x0, x1), (y0, y1) = _check_range(x_range, "x_range"), _check_range(y_range, "y_range")
    # put each small image's centre on its grid point
    dx, dy = (x1 - x0) / (n - 1) / 2, (y1 - y0) / (n - 1) / 2
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 6))
    ax.imshow(mosaic, cmap=cmap, extent=(x0 - dx, x1 + dx, y0 - dy, y1 + dy), aspect="auto")
    ax.set_xlabel("latent dimension 1, $z_1$")
    ax.set_ylabel("latent dimension 2, $z_2$")
    ax.set_title(title)
    return ax


def plot_latent_space(
    codes: torch.Tensor | np.ndarray,
    labels: torch.Tensor | np.ndarray,
    *,
    ax: plt.Axes | None = None,
    title: str = "The latent space, coloured by digit",
    size: float = 3.0,
) -> plt.Axes:
    """Scatter 2-D codes, one colour per label (the labels only colour the points)."""
    codes = codes.detach().cpu().numpy() if isinstance(codes, torch.Tensor) else np.asarray(codes)
    labels = (
        labels.detach().cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
    )
    if codes.ndim != 2 or codes.shape[1] != 2:
        raise ValueError(
            f"codes must have shape (N, 2), one 2-D point per image, got {codes.shape}"
        )
    if labels.shape != (len(codes),):
        raise ValueError(
            f"labels must have shape ({len(codes)},), one per code, got {labels.shape}"
        )
    if len(codes) == 0:
        raise ValueError("codes is empty")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 5))
    classes = np.unique(labels)
    cmap = plt.get_cmap("tab10" if len(classes) <= 10 else "tab20")
    for i, c in enumerate(classes):
        points = codes[labels == c]
        ax.scatter(
            points[:, 0], points[:, 1], s=size, color=cmap(i % cmap.N), label=str(c), alpha=0.7
        )
    ax.set_xlabel("latent dimension 1, $z_1$")
    ax.set_ylabel("latent dimension 2, $z_2$")
    ax.set_title(title)
    ax.legend(
        title="label", markerscale=3, fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5)
    )
    return ax
