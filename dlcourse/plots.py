"""Figures that several chapters draw: image grids, training curves, a classifier's mistakes
and confidence, animations and interactive explorers.

- :func:`show_images` -- a grid of grey-scale images (dense-MNIST chapter onwards).
- :func:`plot_history` -- loss and accuracy per epoch of :func:`dlcourse.fit`.
- :func:`misclassified`, :func:`plot_predictions`, :func:`true_class_probability_histogram`
  -- what a classifier gets wrong and how sure it is (taught in the dense-MNIST chapter,
  used again for the CNN).
- :func:`plot_decision_boundary` -- the regions a classifier of 2-D points assigns (dense
  networks on the rings).
- :func:`interact_figure` -- sliders and menus that redraw a figure (every explorer).
- :func:`show_animation` -- the explorer's animation for the static page.

The classification helpers take the class probabilities a model assigns, ``probs`` of shape
``(N, classes)`` (for a model that outputs logits: ``predict(model, x).softmax(dim=1)``),
with the true ``labels`` of shape ``(N,)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from dlcourse.training import History, predict

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

    Taught in: book/dense_mnist.md.
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
    when the history has one.

    Taught in: book/dense_mnist.md.
    """
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

    Taught in: book/regression.md.
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

    Taught in: book/dense_mnist.md.
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

    Taught in: book/dense_mnist.md.
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

    Taught in: book/dense_mnist.md.
    """
    probs, labels = _check_probs(probs, labels)
    if not isinstance(cls, (int, np.integer)) or not 0 <= cls < probs.shape[1]:
        raise ValueError(f"cls must be a class index in [0, {probs.shape[1]}), got {cls!r}")
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

    Taught in: book/dense_toy.md.
    """
    x = torch.as_tensor(x).detach().cpu().float()
    labels = torch.as_tensor(labels).detach().cpu()
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(
            f"plot_decision_boundary needs 2-D points of shape (N, 2), got {tuple(x.shape)}"
        )
    if labels.shape != (len(x),):
        raise ValueError(f"labels must have shape ({len(x)},), got {tuple(labels.shape)}")
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


# interact_figure does what ``ipywidgets.interact`` does for a function that draws a figure,
# with one difference that matters for an executed book: ``interact`` shows its output in an
# ``Output`` widget, which the notebook runners behind jupyter-book (nbclient) imitate by
# messaging the kernel while they wait, and that now and then stalls the run until the cell's
# timeout (https://github.com/jupyter/nbclient/issues/312). Here the figure is an ordinary
# output, replaced in place through a display handle when a control changes.


def interact_figure(draw: Callable[..., plt.Figure], **controls) -> None:
    """Show ``controls`` (ipywidgets) and the figure ``draw(**values)`` below them.

    ``draw`` takes one keyword argument per control, named as the control, and
    returns a matplotlib figure. Whenever a control's value changes, ``draw`` is
    called again and its figure replaces the old one.

    Example::

        def draw(lr=0.1, steps=20):
            fig, ax = plt.subplots()
            ...
            return fig

        interact_figure(draw, lr=widgets.FloatSlider(0.1, min=0.01, max=1.0),
                        steps=widgets.IntSlider(20, min=1, max=100))

    Taught in: book/regression.md.
    """
    import ipywidgets
    from IPython.display import DisplayHandle, display

    if not controls:
        raise ValueError(
            "interact_figure needs at least one control, e.g. lr=ipywidgets.FloatSlider(...)"
        )
    for name, control in controls.items():
        if not isinstance(control, ipywidgets.ValueWidget):
            raise TypeError(
                f"control {name!r} must be an ipywidgets control with a value "
                f"(a slider, a dropdown, ...), got {type(control).__name__}"
            )

    def render() -> plt.Figure:
        fig = draw(**{name: control.value for name, control in controls.items()})
        if not isinstance(fig, plt.Figure):
            raise TypeError(f"draw must return a matplotlib Figure, got {type(fig).__name__}")
        plt.close(fig)  # the display handle shows it; keep pyplot from showing it again
        return fig

    first = render()  # fails here, before anything is shown, if draw is broken
    display(ipywidgets.VBox(list(controls.values())))
    handle = DisplayHandle()  # an output that can be replaced in place
    handle.display(first)

    def redraw(change) -> None:
        handle.update(render())

    for control in controls.values():
        control.observe(redraw, names="value")
