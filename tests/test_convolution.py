"""Tests for dlcourse.convolution: the hand-written loops agree with PyTorch's layers."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from dlcourse.convolution import (  # noqa: E402
    conv2d_by_hand,
    conv_output_size,
    max_pool2d_by_hand,
    plot_convolution,
    plot_filters,
    plot_kernel,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize(
    "size, kernel, stride, padding, expected",
    [
        (28, 5, 1, 0, 24),
        (28, 5, 1, 2, 28),
        (28, 3, 2, 1, 14),
        (24, 2, 2, 0, 12),
        (7, 2, 2, 0, 3),  # the last, incomplete window is dropped
        (5, 5, 1, 0, 1),
    ],
)
def test_conv_output_size_matches_the_formula_and_pytorch(size, kernel, stride, padding, expected):
    assert conv_output_size(size, kernel, stride, padding) == expected
    out = nn.Conv2d(1, 1, kernel, stride=stride, padding=padding)(torch.zeros(1, 1, size, size))
    assert out.shape[-1] == expected


@pytest.mark.parametrize(
    "args, match",
    [
        ((0, 3), "size must be an int >= 1"),
        ((28, 0), "kernel_size must be an int >= 1"),
        ((28, 3, 0), "stride must be an int >= 1"),
        ((28, 3, 1, -1), "padding must be an int >= 0"),
        ((28, 2.5), "kernel_size must be an int"),
        ((28, True), "kernel_size must be an int"),
        ((4, 7, 1, 1), "does not fit"),
    ],
)
def test_conv_output_size_rejects_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        conv_output_size(*args)


@pytest.mark.parametrize(
    "channels, kernel_size, stride, padding",
    [
        (1, 3, 1, 0),
        (1, 5, 1, 2),
        (1, 3, 2, 1),
        (3, 3, 1, 1),
        (2, (2, 4), 3, 0),
    ],
)
def test_conv2d_by_hand_equals_nn_conv2d(channels, kernel_size, stride, padding):
    torch.manual_seed(0)
    conv = nn.Conv2d(channels, 1, kernel_size, stride=stride, padding=padding)
    image = torch.randn(channels, 11, 9)
    expected = conv(image.unsqueeze(0))[0, 0]
    kernel = conv.weight[0] if channels > 1 else conv.weight[0, 0]
    got = conv2d_by_hand(
        image if channels > 1 else image[0],
        kernel,
        bias=conv.bias.item(),
        stride=stride,
        padding=padding,
    )
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected.detach(), rtol=1e-5, atol=1e-5)


def test_conv2d_by_hand_small_example_worked_out():
    image = torch.arange(16.0).reshape(4, 4)
    kernel = torch.tensor([[1.0, 0.0], [0.0, -1.0]])  # top-left minus bottom-right
    assert torch.equal(conv2d_by_hand(image, kernel), torch.full((3, 3), -5.0))
    # padding adds zeros: the top-left output sees only image[0, 0] under the -1
    padded = conv2d_by_hand(image, kernel, padding=1)
    assert padded.shape == (5, 5) and padded[0, 0] == -image[0, 0]


def test_conv2d_by_hand_accepts_arrays_and_integers():
    out = conv2d_by_hand(np.ones((3, 3), dtype=int), [[1, 1], [1, 1]], bias=0.5)
    assert out.dtype == torch.float32 and torch.equal(out, torch.full((2, 2), 4.5))


@pytest.mark.parametrize(
    "image, kernel, kwargs, match",
    [
        (torch.zeros(1, 1, 5, 5), torch.zeros(3, 3), {}, r"image must have shape \(H, W\)"),
        (torch.zeros(5, 5), torch.zeros(3), {}, r"kernel must have shape \(kh, kw\)"),
        (torch.zeros(3, 5, 5), torch.zeros(2, 3, 3), {}, "kernel has 2 channel"),
        (torch.zeros(5, 5), torch.zeros(3, 3), {"stride": 0}, "stride must be an int >= 1"),
        (torch.zeros(5, 5), torch.zeros(3, 3), {"padding": -1}, "padding must be an int >= 0"),
        (torch.zeros(5, 5), torch.zeros(7, 7), {}, "does not fit"),
    ],
)
def test_conv2d_by_hand_rejects_bad_input(image, kernel, kwargs, match):
    with pytest.raises(ValueError, match=match):
        conv2d_by_hand(image, kernel, **kwargs)


@pytest.mark.parametrize(
    "shape, kernel_size, stride",
    [
        ((8, 8), 2, None),
        ((3, 9, 7), 2, None),
        ((1, 10, 10), 3, 2),
        ((6, 6), 3, 1),
    ],
)
def test_max_pool2d_by_hand_equals_nn_maxpool2d(shape, kernel_size, stride):
    torch.manual_seed(0)
    image = torch.randn(shape)
    pool = nn.MaxPool2d(kernel_size, stride=stride)
    expected = pool(image.unsqueeze(0))[0] if image.ndim == 3 else pool(image[None, None])[0, 0]
    got = max_pool2d_by_hand(image, kernel_size, stride)
    assert torch.equal(got, expected)


def test_max_pool2d_by_hand_small_example():
    image = torch.tensor([[1.0, 2, 0, 0], [3, 4, 0, 9], [0, 0, 5, 5], [-1, 0, 5, 6]])
    assert torch.equal(max_pool2d_by_hand(image), torch.tensor([[4.0, 9], [0, 6]]))


@pytest.mark.parametrize(
    "image, kwargs, match",
    [
        (torch.zeros(2, 1, 4, 4), {}, r"image must have shape \(H, W\)"),
        (torch.zeros(4, 4), {"kernel_size": 0}, "kernel_size must be an int >= 1"),
        (torch.zeros(4, 4), {"stride": 0}, "stride must be an int >= 1"),
        (torch.zeros(4, 4), {"kernel_size": 5}, "does not fit"),
    ],
)
def test_max_pool2d_by_hand_rejects_bad_input(image, kwargs, match):
    with pytest.raises(ValueError, match=match):
        max_pool2d_by_hand(image, **kwargs)


def test_plot_kernel_writes_the_weights():
    ax = plot_kernel(torch.tensor([[1.0, -1.0], [0.5, 0.0]]), title="edge")
    assert ax.get_title() == "edge"
    assert [t.get_text() for t in ax.texts] == ["1", "-1", "0.5", "0"]
    assert ax.images[0].get_clim() == (-1.0, 1.0)
    with pytest.raises(ValueError, match="limit must be a positive number"):
        plot_kernel(torch.ones(2, 2), limit=0)


def test_plot_convolution_shows_input_kernel_and_feature_map():
    fig = plot_convolution(torch.rand(1, 10, 10), torch.ones(3, 3), stride=2, padding=1, title="t")
    titles = [ax.get_title() for ax in fig.axes[:3]]
    assert titles == ["input 10x10", "kernel 3x3", "feature map 5x5"]
    assert fig.axes[0].images[0].get_cmap().name == "gray_r"
    assert fig._suptitle.get_text() == "t"


def test_plot_filters_draws_one_panel_per_filter_on_a_shared_scale():
    weight = nn.Conv2d(1, 6, 5).weight
    fig = plot_filters(weight, ncols=4)
    panels = [ax for ax in fig.axes if ax.images and ax.get_title()]
    assert len(panels) == 6
    limit = weight.abs().max().item()
    for ax in panels:
        assert ax.images[0].get_clim() == pytest.approx((-limit, limit))


@pytest.mark.parametrize(
    "weight, match",
    [
        (torch.zeros(4, 3, 5, 5), "3 input channels"),
        (torch.zeros(4, 5), r"must have shape \(N, 1, kh, kw\)"),
        (torch.zeros(0, 5, 5), r"must have shape \(N, 1, kh, kw\)"),
    ],
)
def test_plot_filters_rejects_bad_input(weight, match):
    with pytest.raises(ValueError, match=match):
        plot_filters(weight)
