"""Tests for dlcourse.autoencoders: noise, errors, interpolation and the latent-space plots."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from dlcourse.autoencoders import (  # noqa: E402
    add_noise,
    decode_latent_grid,
    interpolate,
    plot_latent_grid,
    plot_latent_space,
    reconstruction_errors,
    show_image_rows,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# ---- add_noise -------------------------------------------------------------------------


def test_add_noise_is_reproducible_clipped_and_leaves_the_input_alone():
    x = torch.full((50, 784), 0.5)
    a, b = add_noise(x, 0.3, seed=1), add_noise(x, 0.3, seed=1)
    assert torch.equal(a, b)
    assert not torch.equal(a, add_noise(x, 0.3, seed=2))
    assert a.min() >= 0 and a.max() <= 1
    assert torch.equal(x, torch.full((50, 784), 0.5))
    unclipped = add_noise(x, 0.3, seed=1, clip=False)
    assert (unclipped - x).std().item() == pytest.approx(0.3, rel=0.05)
    assert torch.equal(add_noise(x, 0.0), x)


@pytest.mark.parametrize(
    "images, std, error, match",
    [
        (torch.zeros(2, 4, dtype=torch.uint8), 0.1, TypeError, "floating-point"),
        (np.zeros((2, 4)), 0.1, TypeError, "ndarray"),
        (torch.zeros(2, 4), -0.1, ValueError, "std must be a finite number >= 0"),
        (torch.zeros(2, 4), float("nan"), ValueError, "std"),
        (torch.zeros(2, 4), "0.1", ValueError, "std"),
    ],
)
def test_add_noise_rejects_bad_input(images, std, error, match):
    with pytest.raises(error, match=match):
        add_noise(images, std)


# ---- reconstruction_errors -------------------------------------------------------------


def test_reconstruction_errors_are_per_image_mean_squared_errors():
    model = nn.Identity()
    x = torch.zeros(3, 1, 2, 2)
    target = x.clone()
    target[1] = 1.0
    target[2, 0, 0, 0] = 2.0
    errors = reconstruction_errors(model, x, target, batch_size=2)
    assert errors.tolist() == pytest.approx([0.0, 1.0, 1.0])
    assert reconstruction_errors(model, x).tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize(
    "model, x, target, error, match",
    [
        (nn.Identity(), torch.zeros(3, 4), torch.zeros(2, 4), ValueError, "same length"),
        (nn.Identity(), torch.zeros(0, 4), None, ValueError, "non-empty"),
        (nn.Linear(4, 2), torch.zeros(3, 4), None, ValueError, r"outputs have shape \(3, 2\)"),
        (nn.Identity(), [[0.0]], None, TypeError, "torch tensors"),
    ],
)
def test_reconstruction_errors_reject_bad_input(model, x, target, error, match):
    with pytest.raises(error, match=match):
        reconstruction_errors(model, x, target)


# ---- interpolate -----------------------------------------------------------------------


def test_interpolate_includes_both_ends_and_walks_in_a_straight_line():
    start, end = torch.tensor([0.0, 10.0]), torch.tensor([4.0, 2.0])
    path = interpolate(start, end, steps=5)
    assert path.shape == (5, 2)
    assert torch.equal(path[0], start) and torch.equal(path[-1], end)
    assert torch.allclose(path[2], (start + end) / 2)
    assert interpolate(torch.zeros(1, 28, 28), torch.ones(1, 28, 28), 3).shape == (3, 1, 28, 28)


@pytest.mark.parametrize(
    "start, end, steps, error, match",
    [
        (torch.zeros(2), torch.zeros(3), 4, ValueError, "same shape"),
        (torch.zeros(2), torch.zeros(2), 1, ValueError, "steps must be an int >= 2"),
        (torch.zeros(2), torch.zeros(2), 2.5, ValueError, "steps"),
        ([0.0], torch.zeros(1), 4, TypeError, "torch tensors"),
    ],
)
def test_interpolate_rejects_bad_input(start, end, steps, error, match):
    with pytest.raises(error, match=match):
        interpolate(start, end, steps)


# ---- show_image_rows -------------------------------------------------------------------


def test_show_image_rows_names_rows_and_titles_images():
    fig = show_image_rows(
        {"original": torch.rand(4, 784), "copy": torch.rand(3, 1, 28, 28)},
        titles={"copy": ["a", "b", "c"]},
        suptitle="s",
    )
    axes = np.array(fig.axes).reshape(2, 4)
    assert axes[0, 0].get_ylabel() == "original" and axes[1, 0].get_ylabel() == "copy"
    assert [ax.get_title() for ax in axes[1, :3]] == ["a", "b", "c"]
    assert sum(bool(ax.images) for ax in fig.axes) == 7  # one empty cell in the shorter row
    assert axes[0, 0].images[0].get_cmap().name == "gray_r"
    assert fig._suptitle.get_text() == "s"


@pytest.mark.parametrize(
    "rows, titles, match",
    [
        ({}, None, "non-empty mapping"),
        ([torch.rand(2, 784)], None, "non-empty mapping"),
        ({"a": torch.rand(0, 28, 28)}, None, "row 'a' has no images"),
        ({"a": torch.rand(2, 10)}, None, "square number"),
        ({"a": torch.rand(2, 784)}, {"b": ["x", "y"]}, "names the row 'b'"),
        ({"a": torch.rand(2, 784)}, {"a": ["x"]}, "1 entries for 2 images"),
    ],
)
def test_show_image_rows_rejects_bad_input(rows, titles, match):
    with pytest.raises(ValueError, match=match):
        show_image_rows(rows, titles=titles)


# ---- latent grid and latent space ------------------------------------------------------


def coordinate_decoder(z):
    """A fake decoder whose 2 x 2 'image' shows the latent point it came from."""
    return torch.stack([z[:, 0], z[:, 1], z[:, 0], z[:, 1]], dim=1)


def test_decode_latent_grid_goes_left_to_right_and_top_to_bottom():
    images = decode_latent_grid(coordinate_decoder, (0, 1), (-1, 1), n=3)
    assert images.shape == (9, 2, 2)
    z1, z2 = images[:, 0, 0], images[:, 0, 1]
    assert z1.tolist() == pytest.approx([0, 0.5, 1] * 3)
    assert z2.tolist() == pytest.approx([1, 1, 1, 0, 0, 0, -1, -1, -1])


def test_decode_latent_grid_runs_a_module_decoder():
    decoder = nn.Sequential(nn.Linear(2, 784), nn.Sigmoid())
    images = decode_latent_grid(decoder, (-2, 2), (-2, 2), n=4)
    assert images.shape == (16, 28, 28) and decoder.training  # predict restores train mode


@pytest.mark.parametrize(
    "decoder, x_range, n, error, match",
    [
        (coordinate_decoder, (1, 0), 3, ValueError, "low < high"),
        (coordinate_decoder, (0, float("inf")), 3, ValueError, "finite"),
        (coordinate_decoder, "ab", 3, ValueError, "pair of numbers"),
        (coordinate_decoder, (0, 1), 1, ValueError, "n must be an int >= 2"),
        ("not a decoder", (0, 1), 3, TypeError, "decoder must be"),
        (lambda z: z[:3], (0, 1), 3, ValueError, "one image per point"),
        (lambda z: torch.zeros(len(z), 3), (0, 1), 3, ValueError, "are not images"),
    ],
)
def test_decode_latent_grid_rejects_bad_input(decoder, x_range, n, error, match):
    with pytest.raises(error, match=match):
        decode_latent_grid(decoder, x_range, (0, 1), n)


def test_plot_latent_grid_is_drawn_in_latent_coordinates():
    ax = plot_latent_grid(coordinate_decoder, (-3, 3), (0, 2), n=4, title="grid")
    left, right, bottom, top = ax.images[0].get_extent()
    assert left < -3 and right > 3 and bottom < 0 and top > 2
    assert ax.images[0].get_array().shape == (8, 8)
    assert ax.get_title() == "grid" and "z_1" in ax.get_xlabel()


def test_plot_latent_space_colours_each_label():
    codes = torch.randn(30, 2, generator=torch.Generator().manual_seed(0))
    labels = torch.arange(30) % 3
    ax = plot_latent_space(codes, labels)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["0", "1", "2"]
    assert len(ax.collections) == 3 and "z_2" in ax.get_ylabel()


@pytest.mark.parametrize(
    "codes, labels, match",
    [
        (torch.zeros(5, 3), torch.zeros(5), r"shape \(N, 2\)"),
        (torch.zeros(5, 2), torch.zeros(4), r"shape \(5,\)"),
        (torch.zeros(0, 2), torch.zeros(0), "empty"),
    ],
)
def test_plot_latent_space_rejects_bad_input(codes, labels, match):
    with pytest.raises(ValueError, match=match):
        plot_latent_space(codes, labels)
