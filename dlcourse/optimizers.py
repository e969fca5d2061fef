"""Gradient descent, momentum and Adam, written out by hand for NumPy arrays.

Each ``*_step`` function takes the current weights ``theta``, the gradient of
the loss there, and the optimiser's ``state`` (a dict, empty before the first
step); it returns the new weights and the new state. Nothing is modified in
place, so a path of weights is simply the list of what the steps return.

The update rules follow PyTorch's conventions exactly, so that
:func:`descend` with ``method="momentum"`` takes the same steps as
``torch.optim.SGD(..., momentum=mu)`` and ``method="adam"`` the same steps as
``torch.optim.Adam`` (the gradient descent chapter checks this).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

State = dict


def _check_rate(name: str, value: float, *, below: float | None = None) -> None:
    """A positive finite number; with ``below``, a number in ``[0, below)`` instead."""
    ok = (
        isinstance(value, (int, float, np.floating))
        and not isinstance(value, bool)
        and math.isfinite(value)
    )
    ok = ok and (value > 0 if below is None else 0 <= value < below)
    if not ok:
        expected = "a positive finite number" if below is None else f"a number in [0, {below:g})"
        raise ValueError(f"{name} must be {expected}, got {value!r}")


def gd_step(
    theta: np.ndarray, grad: np.ndarray, state: State, *, lr: float
) -> tuple[np.ndarray, State]:
    """Plain gradient descent: a step of size ``lr`` against the gradient."""
    return theta - lr * grad, state


def momentum_step(
    theta: np.ndarray, grad: np.ndarray, state: State, *, lr: float, momentum: float = 0.9
) -> tuple[np.ndarray, State]:
    """Gradient descent with momentum ("heavy ball").

    The velocity is a running sum of past gradients, each older one weighted
    down by another factor ``momentum``; the step follows the velocity.
    """
    velocity = momentum * state.get("velocity", 0.0) + grad
    return theta - lr * velocity, {"velocity": velocity}


def adam_step(
    theta: np.ndarray,
    grad: np.ndarray,
    state: State,
    *,
    lr: float,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
) -> tuple[np.ndarray, State]:
    """Adam: momentum on the gradient, divided by a running size of the gradient.

    ``m`` averages the gradient, ``s`` its square, each coordinate separately;
    both start at zero, so the first steps divide by ``1 - beta**t`` to undo
    that bias. Each coordinate then moves by about ``lr``, however large or
    small its gradient is.
    """
    t = state.get("t", 0) + 1
    m = beta1 * state.get("m", 0.0) + (1 - beta1) * grad
    s = beta2 * state.get("s", 0.0) + (1 - beta2) * grad**2
    m_hat = m / (1 - beta1**t)
    s_hat = s / (1 - beta2**t)
    return theta - lr * m_hat / (np.sqrt(s_hat) + eps), {"t": t, "m": m, "s": s}


#: The methods :func:`descend` knows, by name.
METHODS: dict[str, Callable[..., tuple[np.ndarray, State]]] = {
    "gd": gd_step,
    "momentum": momentum_step,
    "adam": adam_step,
}


def descend(
    gradient: Callable[[np.ndarray], np.ndarray],
    start,
    *,
    lr: float,
    steps: int,
    method: str = "gd",
    max_norm: float = 1e6,
    **hyper: float,
) -> np.ndarray:
    """Run an optimiser from ``start`` and return its path, one row per point.

    Parameters
    ----------
    gradient:
        a function from a point (a 1-D array) to the gradient of the loss
        there (an array of the same shape).
    start:
        the starting point, a 1-D sequence of numbers.
    lr:
        the learning rate (step size), a positive number.
    steps:
        how many steps to take.
    method:
        ``"gd"``, ``"momentum"`` or ``"adam"`` (see :data:`METHODS`).
    max_norm:
        stop early, as diverged, once the point is farther than this from the
        origin (or no longer finite); the path then has fewer rows.
    **hyper:
        the method's other settings: ``momentum`` for ``"momentum"``;
        ``beta1``, ``beta2`` and ``eps`` for ``"adam"``.

    Returns
    -------
    An array of shape ``(n + 1, d)``: the start and the ``n`` points after
    each step, where ``n == steps`` unless the run diverged.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    allowed = {"gd": set(), "momentum": {"momentum"}, "adam": {"beta1", "beta2", "eps"}}[method]
    unknown = set(hyper) - allowed
    if unknown:
        raise ValueError(
            f"method {method!r} takes the settings {sorted(allowed) or 'none'}, "
            f"got unknown {sorted(unknown)}"
        )
    _check_rate("lr", lr)
    _check_rate("max_norm", max_norm)
    if "momentum" in hyper:
        _check_rate("momentum", hyper["momentum"], below=1.0)
    for beta in ("beta1", "beta2"):
        if beta in hyper:
            _check_rate(beta, hyper[beta], below=1.0)
    if "eps" in hyper:
        _check_rate("eps", hyper["eps"])
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 0:
        raise ValueError(f"steps must be a non-negative int, got {steps!r}")
    theta = np.asarray(start, dtype=float)
    if theta.ndim != 1 or theta.size == 0 or not np.all(np.isfinite(theta)):
        raise ValueError(f"start must be a 1-D sequence of finite numbers, got {start!r}")
    if not callable(gradient):
        raise TypeError(f"gradient must be a function of the point, got {type(gradient).__name__}")

    step, state, path = METHODS[method], {}, [theta]
    for _ in range(steps):
        grad = np.asarray(gradient(theta), dtype=float)
        if grad.shape != theta.shape:
            raise ValueError(
                f"gradient returned shape {grad.shape} for a point of shape "
                f"{theta.shape}; it must return one number per coordinate"
            )
        with np.errstate(over="ignore", invalid="ignore"):
            theta, state = step(theta, grad, state, lr=lr, **hyper)
        if not np.all(np.isfinite(theta)) or np.linalg.norm(theta) > max_norm:
            break  # diverged: the last point would be meaningless
        path.append(theta)
    return np.array(path)
