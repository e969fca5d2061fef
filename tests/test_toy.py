"""Tests for dlcourse.toy: toy datasets, stacked networks and their training."""

import matplotlib

matplotlib.use("Agg")

import math  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from dlcourse.toy import (  # noqa: E402
    StackedMLPs,
    damped_sine,
    draw_unit_lines,
    make_damped_sine,
    make_rings,
    stacked_losses,
    train_stacked,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# ---- datasets -------------------------------------------------------------------------------


def test_make_rings_shapes_radii_and_reproducibility():
    x, labels = make_rings(100, inner=(0.0, 1.0), outer=(2.0, 3.0), seed=1)
    assert x.shape == (200, 2) and x.dtype == torch.float32
    assert labels.dtype == torch.int64 and labels.tolist() == [0] * 100 + [1] * 100
    r = x.norm(dim=1)
    assert r[:100].max() <= 1.0 + 1e-6 and r[100:].min() >= 2.0 - 1e-6 and r.max() <= 3.0 + 1e-6
    # uniform in area: about a quarter of the disc's points lie within half its radius
    assert 0.15 < (r[:100] < 0.5).float().mean() < 0.35
    x2, _ = make_rings(100, seed=1)
    assert torch.equal(x, x2)
    assert not torch.equal(x, make_rings(100, seed=2)[0])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_per_class": 0}, "n_per_class must be a positive int"),
        ({"n_per_class": 2.5}, "n_per_class must be a positive int"),
        ({"inner": (1.0, 0.5)}, "0 <= low < high"),
        ({"outer": 3.0}, "pair"),
        ({"inner": (0.0, 2.5), "outer": (2.0, 3.0)}, "overlap"),
    ],
)
def test_make_rings_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_rings(**kwargs)


def test_damped_sine_and_its_samples():
    x = torch.tensor([0.0, math.pi / 6, -8.0])
    expected = torch.tensor([0.0, math.exp(-math.pi / 48), math.sin(-24.0) * math.e])
    assert torch.allclose(damped_sine(x), expected, atol=1e-6)
    xs, ys = make_damped_sine(11, low=-1.0, high=1.0)
    assert xs.shape == ys.shape == (11, 1)
    assert torch.allclose(xs[:, 0], torch.linspace(-1, 1, 11))
    assert torch.allclose(ys, damped_sine(xs))
    _, flipped = make_damped_sine(11, low=-1.0, high=1.0, flip=True)
    assert torch.allclose(flipped, ys.flip(0), atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n": 1}, "at least 2"),
        ({"n": 0}, "positive int"),
        ({"low": 1.0, "high": 1.0}, "low must be smaller"),
    ],
)
def test_make_damped_sine_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_damped_sine(**kwargs)


# ---- stacked networks -----------------------------------------------------------------------


def test_stacked_networks_match_their_sequential_copies():
    model = StackedMLPs(2, [1, 3, 5], n_out=2, activation="tanh", seed=0)
    x = torch.randn(7, 2)
    out = model(x)
    assert out.shape == (3, 7, 2) and model.hidden(x).shape == (3, 7, 5)
    for k, h in enumerate([1, 3, 5]):
        net = model.network(k)
        assert isinstance(net, nn.Sequential) and net[0].out_features == h
        assert isinstance(net[1], nn.Tanh)
        assert torch.allclose(net(x), out[k], atol=1e-6)
    # the padding units are switched off
    assert torch.all(model.hidden(x)[0, :, 1:] == 0)
    # one set of inputs per network works too
    xs = torch.randn(3, 7, 2)
    assert torch.allclose(model(xs)[1], model.network(1)(xs[1]), atol=1e-6)


def test_stacked_initialisation_has_the_ranges_of_nn_linear():
    model = StackedMLPs(2, [4, 16], seed=3)
    assert model.w1.abs().max() <= 1 / math.sqrt(2)
    assert model.w2[0].abs().max() <= 1 / math.sqrt(4) and model.w2[1].abs().max() <= 0.25
    assert torch.all(model.w2[0, 4:] == 0), "padding weights start at zero"
    assert not torch.equal(model.w1, StackedMLPs(2, [4, 16], seed=4).w1)


def test_train_stacked_trains_each_network_as_if_alone():
    """The batched run gives the same weights as training each network separately."""
    x, labels = make_rings(50, seed=0)
    t = labels.float().unsqueeze(1)
    model = StackedMLPs(2, [2, 4], seed=5)
    nets = [model.network(k) for k in range(2)]
    history = train_stacked(model, x, t, steps=30, lr=0.05, device="cpu")
    assert history.shape == (30, 2)
    for k, net in enumerate(nets):
        opt = torch.optim.Adam(net.parameters(), lr=0.05)
        for _ in range(30):
            loss = nn.functional.binary_cross_entropy_with_logits(net(x), t)
            opt.zero_grad()
            loss.backward()
            opt.step()
        trained = model.network(k)
        for p, q in zip(net.parameters(), trained.parameters(), strict=True):
            assert torch.allclose(p, q, atol=1e-5)
    # the padding of the narrow network never learned anything
    assert torch.all(model.w2[0, 2:] == 0) and torch.all(model.w1[0, :, 2:] == 0)


def test_train_stacked_learns_rings_and_regression():
    x, labels = make_rings(100, seed=0)
    model = StackedMLPs(2, [1, 4], activation="sigmoid", seed=0)
    history = train_stacked(model, x, labels.float().unsqueeze(1), steps=300, lr=0.1)
    final = stacked_losses(model(x), labels.float().unsqueeze(1), "bce")
    assert history[0].min() > 0.5 and final[1] < 0.05 < final[0]

    xs, ys = make_damped_sine(50, low=-2.0, high=2.0)
    _, yf = make_damped_sine(50, low=-2.0, high=2.0, flip=True)
    reg = StackedMLPs(1, [8, 8], seed=0)
    h = train_stacked(reg, xs, torch.stack([ys, yf]), loss="mse", steps=400, lr=0.05)
    assert torch.all(h[-1] < 0.2 * h[0])


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_in": 0, "widths": [2]}, ValueError, "n_in must be a positive int"),
        ({"n_in": 2, "widths": []}, ValueError, "widths is empty"),
        ({"n_in": 2, "widths": [2, 0]}, ValueError, "every width must be a positive int"),
        (
            {"n_in": 2, "widths": [2], "activation": "softmax"},
            ValueError,
            "activation must be one of",
        ),
    ],
)
def test_stacked_mlps_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        StackedMLPs(**kwargs)


def test_stacked_errors_on_shapes_indices_and_options():
    model = StackedMLPs(2, [2, 3])
    with pytest.raises(ValueError, match=r"inputs of shape \(N, 2\)"):
        model(torch.zeros(5, 3))
    with pytest.raises(IndexError, match="network index"):
        model.network(2)
    x = torch.zeros(5, 2)
    with pytest.raises(ValueError, match="targets must have shape"):
        train_stacked(model, x, torch.zeros(5), steps=1)
    with pytest.raises(ValueError, match="loss must be one of"):
        train_stacked(model, x, torch.zeros(5, 1), loss="hinge", steps=1)
    with pytest.raises(ValueError, match="steps must be a positive int"):
        train_stacked(model, x, torch.zeros(5, 1), steps=0)
    with pytest.raises(ValueError, match="lr must be positive"):
        train_stacked(model, x, torch.zeros(5, 1), lr=0.0)
    with pytest.raises(TypeError, match="StackedMLPs"):
        train_stacked(nn.Linear(2, 1), x, torch.zeros(5, 1))


# ---- drawing --------------------------------------------------------------------------------


def test_draw_unit_lines_draws_the_zero_lines():
    layer = nn.Linear(2, 2)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[0.0, 1.0], [1.0, 0.0]]))
        layer.bias.copy_(torch.tensor([-1.0, 0.5]))  # the lines y = 1 and x = -0.5
    _, ax = plt.subplots()
    ax.set_xlim(-3, 3)
    ax.set_ylim(-3, 3)
    horizontal, vertical = draw_unit_lines(ax, layer)
    assert list(horizontal.get_ydata()) == [1.0, 1.0]
    assert list(vertical.get_xdata()) == [-0.5, -0.5]
    assert ax.get_xlim() == (-3, 3)
    assert horizontal.get_label() == "unit 1"


def test_draw_unit_lines_rejects_bad_layers():
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="2 inputs"):
        draw_unit_lines(ax, nn.Linear(3, 2))
    with pytest.raises(ValueError, match="colors has 1 entries for 2 units"):
        draw_unit_lines(ax, nn.Linear(2, 2), colors=["red"])
