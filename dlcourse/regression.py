"""Polynomial least squares, as the regression chapter builds it: features and the loss.

The regression chapter writes these two functions by hand; later chapters
(gradient descent first) import them from here.
"""

from __future__ import annotations

import numpy as np
import torch


def design_matrix(x, degree: int) -> np.ndarray:
    """The matrix whose row ``i`` is ``1, x_i, x_i**2, ..., x_i**degree``.

    A polynomial with coefficients ``theta`` then predicts ``design_matrix(x, d) @ theta``.
    """
    if not isinstance(degree, (int, np.integer)) or isinstance(degree, bool) or degree < 0:
        raise ValueError(f"degree must be a non-negative int, got {degree!r}")
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"x must be one-dimensional (one input per row), got shape {x.shape}")
    return np.stack([x**k for k in range(degree + 1)], axis=1)


def mse(prediction, target):
    """The mean squared error ``mean((prediction - target)**2)``.

    Works on NumPy arrays (returns a NumPy float) and on PyTorch tensors (returns a
    0-d tensor that autograd can differentiate). The two must have the same shape:
    a silent broadcast of ``(N, 1)`` against ``(N,)`` would compare every
    prediction with every target.
    """
    shape_p, shape_t = tuple(np.shape(prediction)), tuple(np.shape(target))
    if shape_p != shape_t:
        raise ValueError(
            f"prediction and target must have the same shape, got {shape_p} and "
            f"{shape_t}; reshape one of them (for example y.reshape(-1, 1))"
        )
    if 0 in shape_p:
        raise ValueError(
            f"mse needs at least one prediction, got an empty array of shape {shape_p}"
        )
    if isinstance(prediction, torch.Tensor) or isinstance(target, torch.Tensor):
        return ((torch.as_tensor(prediction) - torch.as_tensor(target)) ** 2).mean()
    return np.mean((np.asarray(prediction, dtype=float) - np.asarray(target, dtype=float)) ** 2)
