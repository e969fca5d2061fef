"""Tests for dlcourse.plots: image grids, training curves, animations, a classifier's mistakes
and confidence, decision boundaries, and figures redrawn by ipywidgets controls."""

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from dlcourse import plots  # noqa: E402
from dlcourse.training import History  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("shape", [(5, 28, 28), (5, 1, 28, 28), (5, 784)])
def test_show_images_accepts_common_shapes(shape):
    fig = plots.show_images(torch.rand(shape), titles=list("abcde"), ncols=3)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 5 and len(fig.axes) == 6  # a 2 x 3 grid, one left empty
    assert [ax.get_title() for ax in shown] == list("abcde")
    assert shown[0].images[0].get_cmap().name == "gray_r"


def test_show_images_colours_titles():
    fig = plots.show_images(np.zeros((2, 4, 4)), titles=["ok", "wrong"], title_colors=["k", "red"])
    assert matplotlib.colors.same_color(fig.axes[1].title.get_color(), "red")


@pytest.mark.parametrize(
    "images, kwargs, match",
    [
        (torch.rand(3, 3, 28, 28), {}, "expects images of shape"),
        (torch.rand(3, 10), {}, "square number"),
        (torch.rand(0, 28, 28), {}, "no images"),
        (torch.rand(3, 28, 28), {"titles": ["a"]}, "titles has 1 entries for 3 images"),
    ],
)
def test_show_images_rejects_bad_input(images, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plots.show_images(images, **kwargs)


def test_plot_history_draws_losses_and_accuracy():
    h = History(train_loss=[1.0, 0.5], val_loss=[1.1, 0.7], val_accuracy=[0.8, 0.9])
    ax = plots.plot_history(h, title="t")
    assert ax.get_title() == "t" and ax.get_xlabel() == "epoch"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["training loss", "validation loss", "validation accuracy"]


def test_plot_history_rejects_bad_input():
    with pytest.raises(ValueError, match="empty"):
        plots.plot_history(History())


def test_show_images_draws_every_image_on_one_grey_scale():
    faint = torch.full((2, 4, 4), 0.1)
    faint[1] = 0.9
    fig = plots.show_images(faint)
    limits = {ax.images[0].get_clim() for ax in fig.axes if ax.images}
    assert limits == {(0.0, 1.0)}  # a faint image stays faint
    fig = plots.show_images(torch.zeros(2, 4, 4, dtype=torch.uint8))
    assert {ax.images[0].get_clim() for ax in fig.axes if ax.images} == {(0.0, 255.0)}


def test_show_animation_describes_the_player_for_screen_readers():
    from matplotlib.animation import FuncAnimation

    fig, ax = plt.subplots()
    (line,) = ax.plot([0, 1], [0, 0])
    animation = FuncAnimation(fig, lambda i: line.set_ydata([0, i]), frames=3)
    html = plots.show_animation(animation, alt='A line that tilts up, "step" by step').data
    assert 'alt="A line that tilts up, &quot;step&quot; by step"' in html
    assert 'aria-label="Animation frame"' in html
    assert 'role="group" aria-label="Animation"' in html
    assert not plt.fignum_exists(fig.number)  # no still copy below the player


def test_show_animation_embeds_light_frames_and_shows_the_first_without_script():
    import base64
    import io
    import re

    from matplotlib.animation import FuncAnimation
    from PIL import Image

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=150)
    (line,) = ax.plot([0, 1], [0, 0])
    ax.set(title="a tilting line", xlabel="x", ylabel="y")
    animation = FuncAnimation(fig, lambda i: line.set_ydata([0, i / 10]), frames=12)
    html = plots.show_animation(animation, alt="A line that tilts up").data
    frames = re.findall(r'frames\[\d+\] = "data:image/(\w+);base64,', html)
    assert frames == ["webp"] * 12
    src = re.search(r'<img alt="[^"]*" src="data:image/webp;base64,([^"]+)"', html)
    assert src, "the first frame should be the image's src, shown before the script runs"
    first = Image.open(io.BytesIO(base64.b64decode(src.group(1))))
    assert first.format == "WEBP" and first.size == (600, 350)  # capped at 100 dpi
    assert len(html) < 12 * 20_000, "frames should be a few kB each"


def test_show_animation_insists_on_alt_text():
    from matplotlib.animation import FuncAnimation

    fig, ax = plt.subplots()
    animation = FuncAnimation(fig, lambda i: None, frames=2)
    with pytest.raises(ValueError, match="alt text"):
        plots.show_animation(animation, alt=" ")
    with pytest.raises(TypeError, match="matplotlib animation"):
        plots.show_animation(fig, alt="a figure")


# ---- a classifier's mistakes, confidence and decision boundary ----

PROBS = torch.tensor(
    [
        [0.9, 0.05, 0.05],  # right (class 0)
        [0.2, 0.7, 0.1],  # wrong: label 2, confidence 0.7
        [0.1, 0.1, 0.8],  # right (class 2)
        [0.05, 0.05, 0.9],  # wrong: label 0, confidence 0.9
        [0.4, 0.5, 0.1],  # wrong: label 0, confidence 0.5
    ]
)
LABELS = torch.tensor([0, 2, 2, 0, 0])


def test_misclassified_orders_mistakes_by_confidence():
    assert plots.misclassified(PROBS, LABELS).tolist() == [3, 1, 4]
    assert plots.misclassified(PROBS[[0, 2]], LABELS[[0, 2]]).tolist() == []


@pytest.mark.parametrize(
    "probs, labels, match",
    [
        (torch.rand(4), torch.zeros(4, dtype=torch.long), r"shape \(N, classes\)"),
        (torch.rand(4, 3), torch.zeros(3, dtype=torch.long), r"labels must have shape \(4,\)"),
        (torch.rand(4, 3), torch.zeros(4), "integer class indices"),
        (torch.rand(4, 3), torch.tensor([0, 1, 2, 3]), r"labels must lie in \[0, 3\)"),
        (torch.randn(4, 3) * 5, torch.zeros(4, dtype=torch.long), "softmax"),
        (torch.ones(4, 3, dtype=torch.long), torch.zeros(4, dtype=torch.long), "floating-point"),
    ],
)
def test_misclassified_rejects_bad_input(probs, labels, match):
    with pytest.raises(ValueError, match=match):
        plots.misclassified(probs, labels)


def test_plot_predictions_titles_and_colours():
    fig = plots.plot_predictions(torch.rand(5, 1, 4, 4), LABELS, PROBS, ncols=5)
    shown = [ax for ax in fig.axes if ax.images]
    titles = [ax.get_title() for ax in shown]
    assert titles[0] == "0 (90%)"
    assert titles[1] == "1 (70%)\ntrue: 2"
    assert matplotlib.colors.same_color(shown[1].title.get_color(), "red")
    assert matplotlib.colors.same_color(shown[0].title.get_color(), "black")
    named = plots.plot_predictions(torch.rand(5, 16), LABELS, PROBS, class_names=["a", "b", "c"])
    assert [ax for ax in named.axes if ax.images][3].get_title() == "c (90%)\ntrue: a"


def test_plot_predictions_rejects_mismatches():
    with pytest.raises(ValueError, match="got 4 images for 5 rows"):
        plots.plot_predictions(torch.rand(4, 4, 4), LABELS, PROBS)
    with pytest.raises(ValueError, match="class_names has 2 entries for 3 classes"):
        plots.plot_predictions(torch.rand(5, 4, 4), LABELS, PROBS, class_names=["a", "b"])


def test_true_class_probability_histogram_counts_the_class():
    ax = plots.true_class_probability_histogram(PROBS, LABELS, 0, bins=10, log=False)
    heights = [p.get_height() for p in ax.patches]
    assert sum(heights) == 3  # three examples have the label 0
    nonempty = [i for i, h in enumerate(heights) if h]
    assert len(nonempty) == 3 and nonempty[0] == 0  # p = 0.05, 0.4 and 0.9 in three bins
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "p < 0.5: 2 examples" in labels
    assert "true class 0" in ax.get_xlabel()


def test_true_class_probability_histogram_rejects_bad_input():
    with pytest.raises(ValueError, match="cls must be a class index"):
        plots.true_class_probability_histogram(PROBS, LABELS, 3)
    with pytest.raises(ValueError, match="no example has the label 1"):
        plots.true_class_probability_histogram(PROBS, LABELS, 1)


def test_plot_decision_boundary_binary_and_multiclass():
    x = torch.tensor([[-1.0, 0.0], [1.0, 0.0], [-2.0, 1.0], [2.0, -1.0]])
    labels = torch.tensor([0, 1, 0, 1])
    binary = nn.Linear(2, 1)
    with torch.no_grad():  # class 1 where x1 > 0
        binary.weight.copy_(torch.tensor([[5.0, 0.0]]))
        binary.bias.zero_()
    ax = plots.plot_decision_boundary(binary, x, labels, resolution=20, title="t")
    assert ax.get_title() == "t"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1"]
    assert len(ax.figure.axes) == 2  # the axes and its colour bar

    three = nn.Linear(2, 3)
    ax = plots.plot_decision_boundary(
        three, x, torch.tensor([0, 1, 2, 0]), resolution=10, colorbar=False
    )
    assert len(ax.figure.axes) == 1


@pytest.mark.parametrize(
    "x, labels, kwargs, match",
    [
        (torch.zeros(4, 3), torch.zeros(4), {}, r"shape \(N, 2\)"),
        (torch.zeros(4, 2), torch.zeros(3), {}, r"labels must have shape \(4,\)"),
    ],
)
def test_plot_decision_boundary_rejects_bad_input(x, labels, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plots.plot_decision_boundary(nn.Linear(2, 1), x, labels, **kwargs)


# ---- figures redrawn by controls ----


def test_draws_at_once_and_again_when_a_control_changes():
    calls = []

    def draw(lr, method):
        calls.append((lr, method))
        fig, ax = plt.subplots()
        ax.set_title(f"{method} {lr}")
        return fig

    slider = ipywidgets.FloatSlider(value=0.1, min=0.0, max=1.0)
    menu = ipywidgets.Dropdown(options=["gd", "adam"], value="gd")
    plots.interact_figure(draw, lr=slider, method=menu)
    assert calls == [(0.1, "gd")]
    slider.value = 0.5
    menu.value = "adam"
    assert calls == [(0.1, "gd"), (0.5, "gd"), (0.5, "adam")]
    assert plt.get_fignums() == []  # every figure was handed to the display and closed


def test_rejects_bad_input():
    slider = ipywidgets.IntSlider(value=1)
    with pytest.raises(ValueError, match="at least one control"):
        plots.interact_figure(lambda: plt.figure())
    with pytest.raises(TypeError, match="control 'n' must be an ipywidgets control"):
        plots.interact_figure(lambda n: plt.figure(), n=3)
    with pytest.raises(TypeError, match="must return a matplotlib Figure, got Axes"):
        plots.interact_figure(lambda n: plt.subplots()[1], n=slider)
