"""Tests for dlcourse.plots."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from dlcourse.plots import plot_history, show_animation, show_images  # noqa: E402
from dlcourse.training import History  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("shape", [(5, 28, 28), (5, 1, 28, 28), (5, 784)])
def test_show_images_accepts_common_shapes(shape):
    fig = show_images(torch.rand(shape), titles=list("abcde"), ncols=3)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 5 and len(fig.axes) == 6  # a 2 x 3 grid, one left empty
    assert [ax.get_title() for ax in shown] == list("abcde")
    assert shown[0].images[0].get_cmap().name == "gray_r"


def test_show_images_colours_titles():
    fig = show_images(np.zeros((2, 4, 4)), titles=["ok", "wrong"], title_colors=["k", "red"])
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
        show_images(images, **kwargs)


def test_plot_history_draws_losses_and_accuracy():
    h = History(train_loss=[1.0, 0.5], val_loss=[1.1, 0.7], val_accuracy=[0.8, 0.9])
    ax = plot_history(h, title="t")
    assert ax.get_title() == "t" and ax.get_xlabel() == "epoch"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["training loss", "validation loss", "validation accuracy"]


def test_plot_history_rejects_bad_input():
    with pytest.raises(TypeError, match="History"):
        plot_history({"train_loss": [1.0]})
    with pytest.raises(ValueError, match="empty"):
        plot_history(History())


def test_show_images_draws_every_image_on_one_grey_scale():
    faint = torch.full((2, 4, 4), 0.1)
    faint[1] = 0.9
    fig = show_images(faint)
    limits = {ax.images[0].get_clim() for ax in fig.axes if ax.images}
    assert limits == {(0.0, 1.0)}  # a faint image stays faint
    fig = show_images(torch.zeros(2, 4, 4, dtype=torch.uint8))
    assert {ax.images[0].get_clim() for ax in fig.axes if ax.images} == {(0.0, 255.0)}


def test_show_animation_describes_the_player_for_screen_readers():
    from matplotlib.animation import FuncAnimation

    fig, ax = plt.subplots()
    (line,) = ax.plot([0, 1], [0, 0])
    animation = FuncAnimation(fig, lambda i: line.set_ydata([0, i]), frames=3)
    html = show_animation(animation, alt='A line that tilts up, "step" by step').data
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
    html = show_animation(animation, alt="A line that tilts up").data
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
        show_animation(animation, alt=" ")
    with pytest.raises(TypeError, match="matplotlib animation"):
        show_animation(fig, alt="a figure")
