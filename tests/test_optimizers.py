"""Tests for dlcourse.optimizers: hand-written gradient descent, momentum and Adam."""

import numpy as np
import pytest
import torch

from dlcourse.optimizers import METHODS, adam_step, descend, gd_step, momentum_step

CURVATURES = np.array([1.0, 4.0])


def bowl_gradient(w):
    return CURVATURES * w


def torch_path(make_optimizer, start, steps):
    """The path of a torch.optim optimiser on the same bowl, for comparison."""
    w = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer([w])
    path = [w.detach().clone()]
    for _ in range(steps):
        optimizer.zero_grad()
        (0.5 * (torch.tensor(CURVATURES) * w**2).sum()).backward()
        optimizer.step()
        path.append(w.detach().clone())
    return torch.stack(path).numpy()


def test_gd_shrinks_each_coordinate_by_its_factor():
    path = descend(bowl_gradient, [-4.0, 2.0], lr=0.1, steps=10)
    assert path.shape == (11, 2)
    k = np.arange(11)[:, None]
    expected = np.array([-4.0, 2.0]) * (1 - 0.1 * CURVATURES) ** k
    assert np.allclose(path, expected)


def test_gd_on_a_parabola_in_one_dimension():
    path = descend(lambda w: 2 * (w - 2), [-1.0], lr=0.5, steps=1)
    assert np.allclose(path[-1], [2.0])  # lr = 1 / curvature: one step to the minimum


def test_momentum_matches_torch_sgd_with_momentum():
    ours = descend(bowl_gradient, [-4.0, 2.0], lr=0.05, steps=40, method="momentum", momentum=0.8)
    theirs = torch_path(lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8), [-4.0, 2.0], 40)
    assert np.allclose(ours, theirs, rtol=0, atol=1e-12)


@pytest.mark.parametrize("hyper", [{}, {"beta1": 0.5, "beta2": 0.9, "eps": 1e-3}])
def test_adam_matches_torch_adam(hyper):
    ours = descend(bowl_gradient, [-4.0, 2.0], lr=0.3, steps=40, method="adam", **hyper)
    kw = {
        "betas": (hyper.get("beta1", 0.9), hyper.get("beta2", 0.999)),
        "eps": hyper.get("eps", 1e-8),
    }
    theirs = torch_path(lambda p: torch.optim.Adam(p, lr=0.3, **kw), [-4.0, 2.0], 40)
    assert np.allclose(ours, theirs, rtol=0, atol=1e-12)


def test_adam_first_step_has_length_lr_in_every_coordinate():
    # whatever the size of the gradient, the bias-corrected first step is lr * sign(gradient)
    theta, state = adam_step(np.zeros(3), np.array([1e-3, -50.0, 3.0]), {}, lr=0.1)
    assert np.allclose(theta, [-0.1, 0.1, -0.1], atol=1e-5)
    assert state["t"] == 1


def test_steps_do_not_modify_their_inputs():
    theta, grad = np.array([1.0, 2.0]), np.array([0.5, -0.5])
    for step in (gd_step, momentum_step, adam_step):
        state = {}
        step(theta, grad, state, lr=0.1)
        assert np.array_equal(theta, [1.0, 2.0]) and np.array_equal(grad, [0.5, -0.5])
        assert state == {}


def test_divergent_run_stops_early_with_finite_points():
    path = descend(bowl_gradient, [-4.0, 2.0], lr=0.6, steps=1000, max_norm=1e3)
    assert len(path) < 1001
    assert np.all(np.isfinite(path)) and np.linalg.norm(path[-1]) <= 1e3


def test_zero_steps_returns_the_start():
    path = descend(bowl_gradient, (1, 2), lr=0.1, steps=0)
    assert path.shape == (1, 2) and path.dtype == float


def test_methods_table():
    assert set(METHODS) == {"gd", "momentum", "adam"}


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"method": "sgd"}, ValueError, "method must be one of"),
        ({"method": "gd", "momentum": 0.9}, ValueError, "takes the settings none"),
        ({"method": "momentum", "beta1": 0.9}, ValueError, r"unknown \['beta1'\]"),
        ({"lr": 0.0}, ValueError, "lr must be a positive finite number"),
        ({"lr": -0.1}, ValueError, "lr must be"),
        ({"lr": float("nan")}, ValueError, "lr must be"),
        ({"lr": True}, ValueError, "lr must be"),
        (
            {"method": "momentum", "momentum": 1.0},
            ValueError,
            r"momentum must be a number in \[0, 1\)",
        ),
        ({"method": "adam", "beta2": -0.1}, ValueError, "beta2 must be"),
        ({"method": "adam", "eps": 0}, ValueError, "eps must be"),
        ({"steps": -1}, ValueError, "steps must be a non-negative int"),
        ({"steps": 2.5}, ValueError, "steps must be"),
        ({"start": [[1.0, 2.0]]}, ValueError, "start must be a 1-D sequence"),
        ({"start": [np.nan, 1.0]}, ValueError, "start must be"),
        ({"start": []}, ValueError, "start must be"),
        ({"gradient": "not a function"}, TypeError, "gradient must be a function"),
        ({"gradient": lambda w: np.zeros(3)}, ValueError, r"gradient returned shape \(3,\)"),
    ],
)
def test_descend_rejects_bad_input(kwargs, error, match):
    args = {"gradient": bowl_gradient, "start": [1.0, 1.0], "lr": 0.1, "steps": 3, **kwargs}
    with pytest.raises(error, match=match):
        descend(args.pop("gradient"), args.pop("start"), **args)
