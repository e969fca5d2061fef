"""Tests for dlcourse.landscapes: loss surfaces, their gradients, and the path plots."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from dlcourse.landscapes import (  # noqa: E402
    QuadraticBowl,
    RuggedValley,
    Surface,
    plot_contours,
    plot_paths,
)

SURFACES = [
    QuadraticBowl(),
    QuadraticBowl(a=2.0, b=0.5),
    RuggedValley(),
    RuggedValley(steepness=3.0, depth=0.5, pit=(0.2, -0.3), width=0.2),
]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("surface", SURFACES, ids=repr)
def test_gradient_matches_finite_differences(surface):
    rng = np.random.default_rng(0)
    h = 1e-6
    for point in rng.uniform(-1.5, 1.5, size=(10, 2)):
        numeric = [
            (surface(*(point + h * e)) - surface(*(point - h * e))) / (2 * h) for e in np.eye(2)
        ]
        assert np.allclose(surface.grad(point), numeric, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("surface", SURFACES, ids=repr)
def test_value_accepts_tensors_and_autograd_agrees_with_the_gradient(surface):
    point = torch.tensor([-0.7, 0.4], dtype=torch.float64, requires_grad=True)
    value = surface(point[0], point[1])
    assert isinstance(value, torch.Tensor)
    value.backward()
    assert np.allclose(point.grad.numpy(), surface.grad([-0.7, 0.4]), rtol=1e-10)


def test_value_works_on_grids():
    w1, w2, z = RuggedValley().grid(30)
    assert w1.shape == w2.shape == z.shape == (30, 30)
    assert z[0, 0] == pytest.approx(RuggedValley()(w1[0, 0], w2[0, 0]))
    assert w1.min() == -2.0 and w2.max() == 3.0


def test_bowl_hessian_and_minimum():
    bowl = QuadraticBowl(a=1.0, b=4.0)
    assert np.allclose(bowl.hessian((0.3, -2.0)), np.diag([1.0, 4.0]), atol=1e-6)
    assert np.allclose(bowl.critical_point((3.0, -1.0)), 0.0, atol=1e-9)
    assert bowl(0.0, 0.0) == 0.0


def test_rugged_valley_has_a_global_minimum_a_pit_and_a_saddle():
    surface = RuggedValley()
    best = surface.critical_point((1.0, 1.0))
    pit = surface.critical_point((-0.6, 0.45))
    saddle = surface.critical_point((-0.4, 0.2))
    assert np.allclose(best, (1.0, 1.0), atol=1e-6)
    assert np.all(np.linalg.eigvalsh(surface.hessian(pit)) > 0)
    eig = np.linalg.eigvalsh(surface.hessian(saddle))
    assert eig[0] < 0 < eig[1]
    assert surface(*best) < surface(*pit) < surface(*saddle)
    # the valley floor at the minimum is long and flat: a large condition number
    eig_best = np.linalg.eigvalsh(surface.hessian(best))
    assert eig_best[1] / eig_best[0] > 100


def test_losses_along_a_path():
    bowl = QuadraticBowl(a=2.0, b=2.0)
    assert np.allclose(bowl.losses([[0.0, 0.0], [1.0, 1.0]]), [0.0, 2.0])


def test_critical_point_gives_up_with_a_clear_error():
    with pytest.raises(RuntimeError, match="no critical point"):
        RuggedValley().critical_point((1.9, -0.9), max_iter=0)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: QuadraticBowl(a=0.0), "a must be a positive finite number"),
        (lambda: QuadraticBowl(b=-1.0), "b must be"),
        (lambda: QuadraticBowl(a=True), "a must be"),
        (lambda: QuadraticBowl(extent=float("inf")), "extent must be"),
        (lambda: RuggedValley(width=0.0), "width must be"),
        (lambda: RuggedValley(pit=(1.0,)), "two finite numbers"),
        (lambda: QuadraticBowl().grad((1.0, 2.0, 3.0)), "two finite numbers"),
        (lambda: QuadraticBowl().grad((np.nan, 0.0)), "two finite numbers"),
        (lambda: QuadraticBowl().losses(np.zeros((3, 3))), r"shape \(n, 2\)"),
        (lambda: QuadraticBowl().grid(1), "n >= 2"),
    ],
)
def test_bad_input_is_rejected(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_base_class_is_abstract():
    with pytest.raises(NotImplementedError):
        Surface()(0.0, 0.0)


def test_plot_paths_draws_labelled_paths_within_the_surface_limits():
    surface = RuggedValley()
    paths = {"a": np.array([[-1.5, 2.5], [-1.0, 1.0]]), "b": np.array([[-1.5, 2.5], [5.0, 9.0]])}
    ax = plot_paths(surface, paths, title="t")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["a", "b", "start"]
    assert ax.get_title() == "t" and ax.get_xlabel() == "$w_1$"
    assert ax.get_xlim() == surface.xlim and ax.get_ylim() == surface.ylim


def test_plot_contours_levels():
    ax = plot_contours(QuadraticBowl(), levels=5)
    assert ax.get_title() == "Contours of the quadratic bowl"
    assert len(ax.collections[0].levels) == 5
    ax = plot_contours(QuadraticBowl(), levels=[0.5, 1.0, 2.0])
    assert list(ax.collections[0].levels) == [0.5, 1.0, 2.0]
    ax = plot_contours(RuggedValley())  # the surface's own levels
    assert np.allclose(ax.collections[0].levels, RuggedValley.levels)


def test_plot_paths_without_paths_draws_only_contours():
    ax = plot_paths(QuadraticBowl(), {})
    assert ax.get_legend() is None and not ax.lines


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: plot_contours("bowl"), TypeError, "dlcourse Surface"),
        (lambda: plot_contours(QuadraticBowl(), levels=1), ValueError, "at least 2 lines"),
        (lambda: plot_contours(QuadraticBowl(), levels=[2.0, 1.0]), ValueError, "increasing"),
        (lambda: plot_paths(QuadraticBowl(), [np.zeros((2, 2))]), TypeError, "map labels"),
        (lambda: plot_paths(QuadraticBowl(), {"x": np.zeros((2, 3))}), ValueError, "path 'x'"),
        (lambda: plot_paths(QuadraticBowl(), {"x": np.zeros((0, 2))}), ValueError, "n >= 1"),
    ],
)
def test_plots_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
