"""Convolution and pooling written out by hand, and pictures of kernels.

The convolutional-networks chapter computes a convolution with two loops
before it lets :class:`torch.nn.Conv2d` do it. The loops live here, with
stride, padding and input checks, so that the chapter and its exercises can
check PyTorch's layers against them:

- :func:`conv_output_size`   -- the output-size formula of a convolution or pooling
- :func:`conv2d_by_hand`     -- a 2-D convolution (as deep learning defines it) by explicit loops
- :func:`max_pool2d_by_hand` -- max pooling by explicit loops
- :func:`plot_kernel`, :func:`plot_convolution`, :func:`plot_filters` -- figures

Like PyTorch, "convolution" here means cross-correlation: the kernel is laid
on the image as it is, not flipped.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

__all__ = [
    "conv2d_by_hand",
    "conv_output_size",
    "max_pool2d_by_hand",
    "plot_convolution",
    "plot_filters",
    "plot_kernel",
]


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    """Side length of the output of a convolution (or pooling) along one axis.

    ``floor((size + 2 * padding - kernel_size) / stride) + 1``, the rule that
    :class:`torch.nn.Conv2d` and :class:`torch.nn.MaxPool2d` follow.

    Raises ``ValueError`` when the kernel does not fit into the padded input.
    """
    size = _check_int("size", size, 1)
    kernel_size = _check_int("kernel_size", kernel_size, 1)
    stride = _check_int("stride", stride, 1)
    padding = _check_int("padding", padding, 0)
    if kernel_size > size + 2 * padding:
        raise ValueError(
            f"a kernel of size {kernel_size} does not fit into an input of size {size} with "
            f"padding {padding} (padded size {size + 2 * padding}); use a smaller kernel or "
            f"more padding"
        )
    return (size + 2 * padding - kernel_size) // stride + 1


def _as_float_tensor(x) -> torch.Tensor:
    t = torch.as_tensor(x)
    if not t.is_floating_point():
        t = t.to(torch.float32)
    return t.detach()


def conv2d_by_hand(
    image,
    kernel,
    *,
    bias: float = 0.0,
    stride: int = 1,
    padding: int = 0,
) -> torch.Tensor:
    """Slide ``kernel`` over ``image`` and return the map of weighted sums.

    Parameters
    ----------
    image:
        one image, shape ``(H, W)`` or ``(C, H, W)`` (tensor or array).
    kernel:
        weights of shape ``(kh, kw)``, or ``(C, kh, kw)`` with the image's
        number of channels ``C``: each channel has its own slice of weights
        and the products over all channels are added.
    bias:
        a number added to every output value.
    stride:
        how many pixels the kernel moves between two outputs.
    padding:
        rows and columns of zeros added around the image first.

    Returns
    -------
    A tensor of shape ``(H_out, W_out)`` with
    ``out[i, j] = sum(padded[:, i*stride : i*stride+kh, j*stride : j*stride+kw] * kernel) + bias``;
    the same numbers as :class:`torch.nn.Conv2d` with one output channel and
    these weights.
    """
    x = _as_float_tensor(image)
    k = _as_float_tensor(kernel).to(x.dtype)
    if x.ndim == 2:
        x = x.unsqueeze(0)
    if x.ndim != 3:
        raise ValueError(f"image must have shape (H, W) or (C, H, W), got {tuple(x.shape)}")
    if k.ndim == 2:
        k = k.unsqueeze(0)
    if k.ndim != 3:
        raise ValueError(f"kernel must have shape (kh, kw) or (C, kh, kw), got {tuple(k.shape)}")
    if k.shape[0] != x.shape[0]:
        raise ValueError(
            f"the kernel has {k.shape[0]} channel(s) but the image has {x.shape[0]}; a kernel "
            f"of shape (kh, kw) works for a one-channel image, otherwise give (C, kh, kw)"
        )
    stride = _check_int("stride", stride, 1)
    padding = _check_int("padding", padding, 0)
    channels, height, width = x.shape
    kh, kw = k.shape[1:]
    h_out = conv_output_size(height, kh, stride, padding)
    w_out = conv_output_size(width, kw, stride, padding)

    padded = torch.zeros(channels, height + 2 * padding, width + 2 * padding, dtype=x.dtype)
    padded[:, padding : padding + height, padding : padding + width] = x
    out = torch.empty(h_out, w_out, dtype=x.dtype)
    for i in range(h_out):
        for j in range(w_out):
            top, left = i * stride, j * stride
            patch = padded[:, top : top + kh, left : left + kw]
            out[i, j] = (patch * k).sum() + bias
    return out


def max_pool2d_by_hand(image, kernel_size: int = 2, stride: int | None = None) -> torch.Tensor:
    """Max pooling by explicit loops: the largest value of each window.

    ``image`` has shape ``(H, W)`` or ``(C, H, W)``; each channel is pooled on
    its own and the result keeps the input's number of dimensions. ``stride``
    defaults to ``kernel_size`` (windows side by side, not overlapping), as in
    :class:`torch.nn.MaxPool2d`.
    """
    x = _as_float_tensor(image)
    squeeze = x.ndim == 2
    if squeeze:
        x = x.unsqueeze(0)
    if x.ndim != 3:
        raise ValueError(f"image must have shape (H, W) or (C, H, W), got {tuple(x.shape)}")
    kernel_size = _check_int("kernel_size", kernel_size, 1)
    stride = kernel_size if stride is None else _check_int("stride", stride, 1)
    channels, height, width = x.shape
    h_out = conv_output_size(height, kernel_size, stride)
    w_out = conv_output_size(width, kernel_size, stride)
    out = torch.empty(channels, h_out, w_out, dtype=x.dtype)
    for i in range(h_out):
        for j in range(w_out):
            window = x[
                :, i * stride : i * stride + kernel_size, j * stride : j * stride + kernel_size
            ]
            out[:, i, j] = window.amax(dim=(1, 2))
    return out[0] if squeeze else out


def _as_2d(array, name: str) -> np.ndarray:
    arr = array.detach().cpu().numpy() if isinstance(array, torch.Tensor) else np.asarray(array)
    arr = np.squeeze(arr)
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be two-dimensional (after dropping axes of length 1), "
            f"got shape {np.shape(array)}"
        )
    return arr


def plot_kernel(
    kernel,
    *,
    ax: plt.Axes | None = None,
    title: str | None = "kernel",
    annotate: bool = True,
    limit: float | None = None,
) -> plt.Axes:
    """Draw a small kernel as coloured squares: red positive, blue negative.

    ``annotate`` writes each weight into its square; ``limit`` fixes the
    colour scale to ``[-limit, limit]`` (default: the largest absolute weight).
    """
    k = _as_2d(kernel, "kernel")
    if ax is None:
        _, ax = plt.subplots(figsize=(2.5, 2.5))
    if limit is None:
        limit = float(np.abs(k).max()) or 1.0
    elif not limit > 0:
        raise ValueError(f"limit must be a positive number, got {limit!r}")
    ax.imshow(k, cmap="RdBu_r", vmin=-limit, vmax=limit)
    if annotate:
        for (i, j), value in np.ndenumerate(k):
            ax.text(
                j,
                i,
                f"{value:.2g}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if abs(value) > 0.6 * limit else "black",
            )
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax


def plot_convolution(
    image, kernel, *, stride: int = 1, padding: int = 0, title: str | None = None
) -> plt.Figure:
    """Three panels: the image, the kernel, and the feature map
    :func:`conv2d_by_hand` makes of them (shapes in the titles)."""
    img = _as_2d(image, "image")
    k = _as_2d(kernel, "kernel")
    out = conv2d_by_hand(img, k, stride=stride, padding=padding).numpy()
    fig, (ax_in, ax_k, ax_out) = plt.subplots(
        1, 3, figsize=(8, 2.9), gridspec_kw={"width_ratios": [1, 0.6, 1]}
    )
    ax_in.imshow(img, cmap="gray_r")
    ax_in.set_title(f"input {img.shape[0]}x{img.shape[1]}")
    plot_kernel(k, ax=ax_k, title=f"kernel {k.shape[0]}x{k.shape[1]}")
    limit = float(np.abs(out).max()) or 1.0
    shown = ax_out.imshow(out, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax_out.set_title(f"feature map {out.shape[0]}x{out.shape[1]}")
    fig.colorbar(shown, ax=ax_out, fraction=0.046, pad=0.04)
    for ax in (ax_in, ax_out):
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_filters(
    weight, *, ncols: int = 8, size: float = 1.3, title: str = "Filters"
) -> plt.Figure:
    """The kernels of a convolutional layer on one shared colour scale.

    ``weight`` is a layer's weight tensor of shape ``(out_channels, 1, kh, kw)``
    (a first layer, for one-channel images) or a stack ``(N, kh, kw)``. Red is
    positive, blue negative, white zero; the colour bar gives the scale.
    """
    w = weight.detach().cpu().numpy() if isinstance(weight, torch.Tensor) else np.asarray(weight)
    if w.ndim == 4:
        if w.shape[1] != 1:
            raise ValueError(
                f"plot_filters draws one 2-D kernel per filter, but this weight has "
                f"{w.shape[1]} input channels (shape {w.shape}); pick one, e.g. weight[:, 0]"
            )
        w = w[:, 0]
    if w.ndim != 3 or len(w) == 0:
        raise ValueError(
            f"weight must have shape (N, 1, kh, kw) or (N, kh, kw) with N >= 1, got {w.shape}"
        )
    ncols = _check_int("ncols", ncols, 1)
    n = len(w)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    limit = float(np.abs(w).max()) or 1.0
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(size * ncols + 0.8, size * nrows + 0.5), squeeze=False
    )
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            shown = ax.imshow(w[i], cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_title(f"filter {i}", fontsize=9)
    fig.colorbar(shown, ax=axes.ravel().tolist(), shrink=0.8, label="weight")
    fig.suptitle(title)
    return fig
