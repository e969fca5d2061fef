"""Two-dimensional loss surfaces for watching optimisers at work, and plots of their paths.

A surface is a loss ``f(w1, w2)`` of two weights. It can be evaluated on
NumPy arrays (a whole grid at once, for contour plots) and on PyTorch tensors
(so autograd can differentiate it), and it knows its own gradient, written
out by hand.

- :class:`QuadraticBowl`: ``(a w1**2 + b w2**2) / 2``, the simplest loss there is.
- :class:`RuggedValley`: a narrow curved valley with a pit dug into its side:
  a global minimum, a local minimum, and a saddle point between them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import torch


def _exp(z):
    return torch.exp(z) if isinstance(z, torch.Tensor) else np.exp(z)


def _point(point) -> np.ndarray:
    p = np.asarray(point, dtype=float)
    if p.shape != (2,) or not np.all(np.isfinite(p)):
        raise ValueError(f"a point on a surface must be two finite numbers (w1, w2), got {point!r}")
    return p


def _positive(name: str, value) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.floating))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


class Surface:
    """A loss of two weights. Subclasses define :meth:`value` and :meth:`gradient`.

    ``surface(w1, w2)`` is the loss (on numbers, arrays or tensors);
    ``surface.grad(point)`` is its gradient at one point, as an array of two numbers.
    ``xlim`` and ``ylim`` are the part of the plane worth drawing; ``levels``,
    when set, the loss values at which :func:`plot_contours` draws its lines.
    """

    name = "surface"
    xlim: tuple[float, float] = (-1.0, 1.0)
    ylim: tuple[float, float] = (-1.0, 1.0)
    levels: np.ndarray | None = None

    def value(self, w1, w2):
        raise NotImplementedError

    def gradient(self, w1, w2):
        """The partial derivatives ``(df/dw1, df/dw2)``, elementwise."""
        raise NotImplementedError

    def __call__(self, w1, w2):
        return self.value(w1, w2)

    def grad(self, point) -> np.ndarray:
        """The gradient at ``point = (w1, w2)``, as a NumPy array of shape ``(2,)``."""
        w1, w2 = _point(point)
        return np.array(self.gradient(w1, w2), dtype=float)

    def losses(self, path) -> np.ndarray:
        """The loss at every point of a path of shape ``(n, 2)``."""
        path = np.asarray(path, dtype=float)
        if path.ndim != 2 or path.shape[1] != 2:
            raise ValueError(f"a path must have shape (n, 2), one row per point, got {path.shape}")
        return np.asarray(self.value(path[:, 0], path[:, 1]), dtype=float)

    def hessian(self, point, h: float = 1e-5) -> np.ndarray:
        """The 2 x 2 matrix of second derivatives at ``point`` (central differences
        of the exact gradient)."""
        p = _point(point)
        cols = [(self.grad(p + h * e) - self.grad(p - h * e)) / (2 * h) for e in np.eye(2)]
        hess = np.stack(cols, axis=1)
        return (hess + hess.T) / 2

    def critical_point(self, guess, *, tol: float = 1e-10, max_iter: int = 100) -> np.ndarray:
        """The point near ``guess`` where the gradient vanishes (Newton's method).

        It finds minima and saddle points alike: the signs of the eigenvalues of
        :meth:`hessian` there tell them apart.
        """
        p = _point(guess)
        for _ in range(max_iter):
            g = self.grad(p)
            if np.linalg.norm(g) < tol:
                return p
            p = p - np.linalg.solve(self.hessian(p), g)
        raise RuntimeError(
            f"Newton's method found no critical point near {guess!r} in "
            f"{max_iter} steps; start closer to one"
        )

    def grid(self, n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(W1, W2, Z)``: an ``n x n`` grid over ``xlim`` x ``ylim`` and the loss on it."""
        if not isinstance(n, int) or isinstance(n, bool) or n < 2:
            raise ValueError(f"the grid needs an int n >= 2 points per side, got {n!r}")
        w1, w2 = np.meshgrid(np.linspace(*self.xlim, n), np.linspace(*self.ylim, n))
        return w1, w2, np.asarray(self.value(w1, w2), dtype=float)


class QuadraticBowl(Surface):
    """``f(w1, w2) = (a w1**2 + b w2**2) / 2``: a bowl whose curvatures are ``a`` and ``b``.

    Its Hessian is the constant matrix ``diag(a, b)``; its minimum is 0 at the origin.
    """

    name = "quadratic bowl"

    def __init__(self, a: float = 1.0, b: float = 4.0, *, extent: float = 5.0):
        self.a, self.b = _positive("a", a), _positive("b", b)
        extent = _positive("extent", extent)
        self.xlim, self.ylim = (-extent, extent), (-extent / 2, extent / 2)

    def value(self, w1, w2):
        return 0.5 * (self.a * w1**2 + self.b * w2**2)

    def gradient(self, w1, w2):
        return self.a * w1, self.b * w2

    def __repr__(self) -> str:
        return f"QuadraticBowl(a={self.a}, b={self.b})"


class RuggedValley(Surface):
    """A narrow curved valley with a pit beside its path; the global minimum is near (1, 1).

    ``f = (1 - w1)**2 + steepness (w2 - w1**2)**2 - depth exp(-|w - pit|**2 / width)``.

    The first two terms are Rosenbrock's banana-shaped valley, a classic test for
    optimisers: its floor ``w2 = w1**2`` is flat along the valley and steep across it.
    The last term digs a round pit of the given ``depth`` at ``pit``: a local minimum,
    separated from the valley's floor by a saddle point.
    """

    name = "rugged valley"
    xlim, ylim = (-2.0, 2.0), (-1.0, 3.0)
    # geometric: many lines on the valley floor, one ring (1.63) around the pit's bottom
    levels = np.geomspace(0.03, 300.0, 24)

    def __init__(
        self,
        steepness: float = 10.0,
        depth: float = 1.0,
        pit: tuple[float, float] = (-0.6, 0.45),
        width: float = 0.05,
    ):
        self.steepness = _positive("steepness", steepness)
        self.depth = _positive("depth", depth)
        self.width = _positive("width", width)
        self.pit = tuple(_point(pit))

    def _dip(self, w1, w2):
        return self.depth * _exp(-((w1 - self.pit[0]) ** 2 + (w2 - self.pit[1]) ** 2) / self.width)

    def value(self, w1, w2):
        return (1 - w1) ** 2 + self.steepness * (w2 - w1**2) ** 2 - self._dip(w1, w2)

    def gradient(self, w1, w2):
        dip, across = self._dip(w1, w2), w2 - w1**2
        d1 = (
            -2 * (1 - w1)
            - 4 * self.steepness * w1 * across
            + 2 * dip * (w1 - self.pit[0]) / self.width
        )
        d2 = 2 * self.steepness * across + 2 * dip * (w2 - self.pit[1]) / self.width
        return d1, d2

    def __repr__(self) -> str:
        return (
            f"RuggedValley(steepness={self.steepness}, depth={self.depth}, "
            f"pit={self.pit}, width={self.width})"
        )


def plot_contours(
    surface: Surface,
    *,
    ax: plt.Axes | None = None,
    levels=None,
    n: int = 200,
    title: str | None = None,
) -> plt.Axes:
    """Contour lines of ``surface`` over its ``xlim`` x ``ylim``.

    ``levels`` is an increasing sequence of loss values or a number of lines
    (spaced quadratically above the lowest value: evenly spaced rings on a
    bowl). By default the surface's own ``levels``, else 20 lines.
    """
    if not isinstance(surface, Surface):
        raise TypeError(f"plot_contours expects a dlcourse Surface, got {type(surface).__name__}")
    w1, w2, z = surface.grid(n)
    if levels is None:
        levels = surface.levels if surface.levels is not None else 20
    if isinstance(levels, (int, np.integer)) and not isinstance(levels, bool):
        if levels < 2:
            raise ValueError(f"levels must be at least 2 lines, got {levels}")
        # quadratic spacing above the lowest value: evenly spaced rings on a bowl
        low, high = z.min(), np.quantile(z, 0.9)
        levels = low + (high - low) * np.linspace(0.0, 1.0, levels + 1)[1:] ** 2
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    levels = np.asarray(levels, dtype=float)
    if levels.ndim != 1 or len(levels) < 2 or np.any(np.diff(levels) <= 0):
        raise ValueError(
            f"levels must be an increasing sequence of at least 2 loss values, got {levels!r}"
        )
    # one colour step per line, whatever the spacing of the levels; pale, so paths stand out
    colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.9, len(levels)))
    ax.contour(w1, w2, z, levels=levels, colors=colors, linewidths=0.8, alpha=0.55)
    ax.set(
        xlim=surface.xlim,
        ylim=surface.ylim,
        xlabel="$w_1$",
        ylabel="$w_2$",
        title=title if title is not None else f"Contours of the {surface.name}",
    )
    return ax


def plot_paths(
    surface: Surface,
    paths: Mapping[str, np.ndarray],
    *,
    ax: plt.Axes | None = None,
    levels=None,
    n: int = 200,
    title: str | None = None,
    markersize: float = 3.0,
) -> plt.Axes:
    """Optimisers' paths over the contour lines of ``surface``, one labelled line each.

    ``paths`` maps a label to an array of shape ``(n, 2)`` (what
    :func:`dlcourse.optimizers.descend` returns). The start is a black square;
    each path ends in a larger dot. Paths that leave the picture are cut at its edge.
    ``levels`` and ``n`` (grid points per side) are passed on to :func:`plot_contours`.
    """
    if not isinstance(paths, Mapping):
        raise TypeError(
            f"paths must map labels to arrays of shape (n, 2), got {type(paths).__name__}"
        )
    checked = {}
    for label, path in paths.items():
        path = np.asarray(path, dtype=float)
        if path.ndim != 2 or path.shape[1] != 2 or len(path) == 0:
            raise ValueError(f"path {label!r} must have shape (n, 2) with n >= 1, got {path.shape}")
        checked[label] = path
    ax = plot_contours(surface, ax=ax, levels=levels, n=n, title=title)
    for label, path in checked.items():
        (line,) = ax.plot(path[:, 0], path[:, 1], "o-", ms=markersize, lw=1.2, label=label)
        ax.plot(*path[-1], "o", ms=2.5 * markersize, color=line.get_color())
    if checked:
        ax.plot(*next(iter(checked.values()))[0], "ks", ms=7, label="start")
        ax.legend(loc="best", fontsize=8)
    return ax
