"""Looking at what a classifier does: its mistakes, its confidence, its decision boundary.

These take the class probabilities a model assigns, ``probs`` of shape ``(N, classes)``
(for a model that outputs logits: ``predict(model, x).softmax(dim=1)``), together with
the true ``labels`` of shape ``(N,)``.

- :func:`misclassified` -- the indices of the wrong predictions, most confident first.
- :func:`plot_predictions` -- a grid of images titled with prediction and confidence.
- :func:`true_class_probability_histogram` -- how sure the model is of the right answer.
- :func:`plot_decision_boundary` -- the regions a classifier of 2-D points assigns.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from dlcourse.plots import show_images
from dlcourse.training import predict


def _check_probs(probs, labels=None) -> tuple[torch.Tensor, torch.Tensor | None]:
    probs = torch.as_tensor(probs).detach().cpu()
    if probs.ndim != 2 or probs.shape[1] < 2:
        raise ValueError(
            f"probs must have shape (N, classes) with at least 2 classes, got {tuple(probs.shape)}"
        )
    if not probs.is_floating_point():
        raise ValueError(f"probs must be floating-point probabilities, got {probs.dtype}")
    if probs.numel() and (probs.min() < -1e-6 or probs.max() > 1 + 1e-6):
        raise ValueError(
            "probs must lie in [0, 1]; for a model that outputs logits (scores), "
            "pass logits.softmax(dim=1)"
        )
    if labels is None:
        return probs, None
    labels = torch.as_tensor(labels).detach().cpu()
    if labels.shape != (len(probs),):
        raise ValueError(
            f"labels must have shape ({len(probs)},) to match probs "
            f"{tuple(probs.shape)}, got {tuple(labels.shape)}"
        )
    if labels.is_floating_point():
        raise ValueError(f"labels must be integer class indices, got {labels.dtype}")
    if len(labels) and (labels.min() < 0 or labels.max() >= probs.shape[1]):
        raise ValueError(
            f"labels must lie in [0, {probs.shape[1]}) for {probs.shape[1]} classes, "
            f"got values from {labels.min().item()} to {labels.max().item()}"
        )
    return probs, labels.long()


def misclassified(probs, labels) -> torch.Tensor:
    """Indices of the examples whose most probable class is not their label.

    They are ordered from the most confident mistake (the largest probability
    given to the wrong class) to the least confident one. Returns an ``int64`` tensor.
    """
    probs, labels = _check_probs(probs, labels)
    confidence, predicted = probs.max(dim=1)
    wrong = torch.nonzero(predicted != labels).flatten()
    order = torch.argsort(confidence[wrong], descending=True, stable=True)
    return wrong[order]


def plot_predictions(
    images,
    labels,
    probs,
    *,
    ncols: int = 8,
    size: float = 1.0,
    suptitle: str | None = None,
    class_names: Sequence[str] | None = None,
) -> plt.Figure:
    """A grid of images, each titled with the predicted class and its probability.

    A wrong prediction is titled in red and also names the true class. ``images`` may
    have any shape :func:`dlcourse.show_images` accepts. Returns the figure.
    """
    probs, labels = _check_probs(probs, labels)
    if len(images) != len(probs):
        raise ValueError(f"got {len(images)} images for {len(probs)} rows of probabilities")
    names = (
        list(class_names) if class_names is not None else [str(c) for c in range(probs.shape[1])]
    )
    if len(names) != probs.shape[1]:
        raise ValueError(f"class_names has {len(names)} entries for {probs.shape[1]} classes")
    confidence, predicted = probs.max(dim=1)
    titles, colors = [], []
    for p, c, t in zip(predicted.tolist(), confidence.tolist(), labels.tolist(), strict=True):
        if p == t:
            titles.append(f"{names[p]} ({100 * c:.0f}%)")
            colors.append("black")
        else:
            titles.append(f"{names[p]} ({100 * c:.0f}%)\ntrue: {names[t]}")
            colors.append("red")
    return show_images(
        images, titles, ncols=ncols, size=size, suptitle=suptitle, title_colors=colors
    )


def true_class_probability_histogram(
    probs,
    labels,
    cls: int,
    *,
    bins: int = 20,
    ax: plt.Axes | None = None,
    log: bool = True,
    class_name: str | None = None,
) -> plt.Axes:
    """Histogram, over the examples whose label is ``cls``, of the probability the model
    gives to ``cls``. A perfect, confident classifier puts them all in the last bin;
    the examples left of 0.5 are (almost always) misclassified.

    ``log`` draws the counts on a logarithmic axis, so that the few doubtful examples
    stay visible next to the many certain ones. Returns the axes.
    """
    probs, labels = _check_probs(probs, labels)
    if not isinstance(cls, (int, np.integer)) or not 0 <= cls < probs.shape[1]:
        raise ValueError(f"cls must be a class index in [0, {probs.shape[1]}), got {cls!r}")
    if not isinstance(bins, int) or bins < 1:
        raise ValueError(f"bins must be a positive int, got {bins!r}")
    p_true = probs[labels == cls, cls].numpy()
    if len(p_true) == 0:
        raise ValueError(f"no example has the label {cls}")
    name = class_name if class_name is not None else str(cls)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    doubtful = int((p_true < 0.5).sum())
    ax.hist(
        p_true,
        bins=np.linspace(0, 1, bins + 1),
        color="tab:blue",
        edgecolor="white",
        log=log,
        label=f"{len(p_true)} examples of class {name}",
    )
    ax.axvline(0.5, color="tab:red", ls="--", label=f"p < 0.5: {doubtful} examples")
    ax.set_xlabel(f"probability the model gives to the true class {name}")
    ax.set_ylabel("number of examples" + (" (log scale)" if log else ""))
    ax.set_title(f"How sure is the model about the examples of class {name}?")
    ax.legend(loc="upper left")
    return ax


def plot_decision_boundary(
    model: nn.Module,
    x,
    labels,
    *,
    ax: plt.Axes | None = None,
    resolution: int = 200,
    padding: float = 0.5,
    title: str | None = None,
    colorbar: bool = True,
) -> plt.Axes:
    """The classes a model assigns over the plane, with the labelled points on top.

    ``x`` holds 2-D points ``(N, 2)`` and ``labels`` their classes. The model may output
    one logit per point (binary classification: shape ``(N, 1)`` or ``(N,)``), in which
    case the background shows the probability of class 1 and the line where it is 0.5;
    or one score per class ``(N, classes)``, in which case the background shows the
    predicted class. ``colorbar=False`` leaves out the colour bar (for example when
    redrawing the axes in an animation). Returns the axes.
    """
    x = torch.as_tensor(x).detach().cpu().float()
    labels = torch.as_tensor(labels).detach().cpu()
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(
            f"plot_decision_boundary needs 2-D points of shape (N, 2), got {tuple(x.shape)}"
        )
    if labels.shape != (len(x),):
        raise ValueError(f"labels must have shape ({len(x)},), got {tuple(labels.shape)}")
    if not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution must be an int >= 2, got {resolution!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    lo, hi = x.min(dim=0).values - padding, x.max(dim=0).values + padding
    gx = torch.linspace(lo[0].item(), hi[0].item(), resolution)
    gy = torch.linspace(lo[1].item(), hi[1].item(), resolution)
    grid_x, grid_y = torch.meshgrid(gx, gy, indexing="xy")
    grid = torch.stack([grid_x.flatten(), grid_y.flatten()], dim=1)
    out = predict(model, grid, batch_size=10_000)
    if out.ndim == 1 or out.shape[1] == 1:
        p1 = torch.sigmoid(out.reshape(-1)).reshape(resolution, resolution)
        image = ax.contourf(gx, gy, p1, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
        ax.contour(gx, gy, p1, levels=[0.5], colors="black", linewidths=1.5)
        if colorbar:
            plt.colorbar(image, ax=ax, label="predicted probability of class 1", shrink=0.8)
    else:
        pred = out.argmax(dim=1).reshape(resolution, resolution)
        n_classes = out.shape[1]
        ax.contourf(
            gx,
            gy,
            pred,
            levels=np.arange(n_classes + 1) - 0.5,
            cmap="tab10",
            vmin=0,
            vmax=9,
            alpha=0.25,
        )
    markers = "o^sPDv*Xph"
    classes = torch.unique(labels).tolist()
    for i, c in enumerate(classes):
        pts = x[labels == c]
        color = ("tab:blue", "tab:red")[i] if len(classes) <= 2 else f"C{i % 10}"
        ax.scatter(
            pts[:, 0],
            pts[:, 1],
            s=8,
            marker=markers[i % len(markers)],
            color=color,
            edgecolors="none",
            label=f"class {c}",
        )
    ax.set(
        xlabel="$x_1$",
        ylabel="$x_2$",
        xlim=(lo[0].item(), hi[0].item()),
        ylim=(lo[1].item(), hi[1].item()),
    )
    ax.set_aspect("equal")
    ax.set_title(title if title is not None else "Decision boundary")
    ax.legend(loc="upper right", fontsize=8)
    return ax
