"""Tests for dlcourse.regression: the design matrix and the mean squared error."""

import numpy as np
import pytest
import torch

from dlcourse.regression import design_matrix, mse


def test_design_matrix_rows_are_powers():
    X = design_matrix([0.0, 2.0, -1.0], degree=3)
    assert X.shape == (3, 4)
    assert np.array_equal(X, [[1, 0, 0, 0], [1, 2, 4, 8], [1, -1, 1, -1]])
    theta = np.array([1.0, -2.0, 0.5, 3.0])
    assert np.allclose(X @ theta, np.polynomial.Polynomial(theta)(np.array([0.0, 2.0, -1.0])))


def test_design_matrix_degree_zero_is_a_column_of_ones():
    assert np.array_equal(design_matrix(np.arange(4.0), 0), np.ones((4, 1)))


@pytest.mark.parametrize(
    "x, degree, match",
    [
        (np.zeros((3, 2)), 2, "one-dimensional"),
        (np.zeros(3), -1, "non-negative int"),
        (np.zeros(3), 1.5, "non-negative int"),
        (np.zeros(3), True, "non-negative int"),
    ],
)
def test_design_matrix_rejects_bad_input(x, degree, match):
    with pytest.raises(ValueError, match=match):
        design_matrix(x, degree)


def test_mse_numpy_and_torch_agree():
    p, t = np.array([1.0, 2.0, 4.0]), np.array([1.0, 0.0, 1.0])
    assert mse(p, t) == pytest.approx(13 / 3)
    value = mse(torch.tensor(p), torch.tensor(t))
    assert isinstance(value, torch.Tensor) and value.item() == pytest.approx(13 / 3)
    assert mse(3.0, 1.0) == pytest.approx(4.0)


def test_mse_is_differentiable_in_torch():
    X = torch.tensor(design_matrix(np.linspace(-1, 1, 7), 2))
    y = torch.linspace(0, 1, 7, dtype=torch.float64)
    theta = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    mse(X @ theta, y).backward()
    expected = 2 / 7 * X.T @ (X @ torch.zeros(3, dtype=torch.float64) - y)
    assert torch.allclose(theta.grad, expected)


def test_mse_rejects_mismatched_shapes_instead_of_broadcasting():
    with pytest.raises(ValueError, match=r"same shape, got \(4, 1\) and \(4,\)"):
        mse(np.zeros((4, 1)), np.zeros(4))
    with pytest.raises(ValueError, match="same shape"):
        mse(torch.zeros(4, 1), torch.zeros(4))
    with pytest.raises(ValueError, match="empty"):
        mse(np.zeros(0), np.zeros(0))
