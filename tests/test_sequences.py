"""Tests for dlcourse.sequences: splitting, scaling, differencing, windows, forecasting."""

import numpy as np
import pytest
import torch

from dlcourse.sequences import (
    Standardizer,
    autoregressive_forecast,
    difference,
    make_windows,
    rolling_origins,
    time_split,
    undifference,
)

# --- time_split -------------------------------------------------------------------------


def test_time_split_keeps_the_order_and_cuts_at_the_end():
    series = np.arange(10.0)
    train, test = time_split(series, 0.3)
    assert train.tolist() == [0, 1, 2, 3, 4, 5, 6] and test.tolist() == [7, 8, 9]
    train, test = time_split(torch.arange(10), 4)  # a number of steps, on a tensor
    assert torch.equal(test, torch.tensor([6, 7, 8, 9])) and len(train) == 6


@pytest.mark.parametrize(
    "test_size, error, match",
    [
        (0.0, ValueError, "strictly between 0 and 1"),
        (1.0, ValueError, "strictly between 0 and 1"),
        (0, ValueError, "empty training or test part"),
        (10, ValueError, "empty training or test part"),
        (0.01, ValueError, "empty training or test part"),  # rounds to 0 of 10 steps
        ("20%", TypeError, "fraction"),
        (True, TypeError, "fraction"),
    ],
)
def test_time_split_rejects_bad_sizes(test_size, error, match):
    with pytest.raises(error, match=match):
        time_split(np.arange(10.0), test_size)


def test_time_split_rejects_non_sequences():
    with pytest.raises(TypeError, match="array or tensor"):
        time_split(5, 0.2)


# --- Standardizer -----------------------------------------------------------------------


def test_standardizer_uses_training_statistics_and_inverts():
    train = np.array([1.0, 2.0, 3.0, 4.0])
    scaler = Standardizer().fit(train)
    z = scaler.transform(train)
    assert np.mean(z) == pytest.approx(0.0) and np.std(z, ddof=1) == pytest.approx(1.0)
    later = np.array([10.0, 20.0])  # the future is scaled with the past's numbers
    assert np.allclose(scaler.inverse_transform(scaler.transform(later)), later)
    t = scaler.transform(torch.tensor([2.5]))
    assert isinstance(t, torch.Tensor) and t.item() == pytest.approx(0.0)


def test_standardizer_errors():
    with pytest.raises(RuntimeError, match="fit"):
        Standardizer().transform(np.ones(3))
    with pytest.raises(RuntimeError, match="fit"):
        Standardizer().inverse_transform(np.ones(3))
    with pytest.raises(ValueError, match="standard deviation 0"):
        Standardizer().fit(np.ones(5))
    with pytest.raises(ValueError, match="at least 2"):
        Standardizer().fit(np.array([1.0]))
    with pytest.raises(ValueError, match="NaN"):
        Standardizer().fit(np.array([1.0, np.nan, 2.0]))
    with pytest.raises(ValueError, match="one-dimensional"):
        Standardizer().fit(np.ones((3, 2)))
    with pytest.raises(TypeError, match="sequence of numbers"):
        Standardizer().fit(["a", "b"])


# --- difference and undifference --------------------------------------------------------


def test_difference_and_undifference_are_inverse():
    x = np.array([3.0, 5.0, 4.0, 8.0])
    d = difference(x)
    assert d.tolist() == [2.0, -1.0, 4.0]
    assert np.allclose(undifference(d, x[0]), x[1:])
    batch = torch.tensor([[1.0, 2.0, 4.0], [0.0, -1.0, 1.0]])  # along the last axis, per row
    assert torch.allclose(undifference(difference(batch), batch[:, 0]), batch[:, 1:])


def test_difference_errors():
    with pytest.raises(ValueError, match="at least 2 values"):
        difference(np.array([1.0]))
    with pytest.raises(ValueError, match="at least 2 values"):
        difference(np.array(1.0))
    with pytest.raises(TypeError, match="NumPy array or tensor"):
        difference([1.0, 2.0])


def test_undifference_errors():
    with pytest.raises(ValueError, match="one per row"):
        undifference(torch.zeros(2, 3), torch.zeros(3))
    with pytest.raises(TypeError, match="NumPy array or tensor"):
        undifference([1.0], 0.0)
    with pytest.raises(ValueError, match="scalar"):
        undifference(np.array(1.0), 0.0)


# --- make_windows -----------------------------------------------------------------------


def test_make_windows_shifts_targets_by_one_step():
    inputs, targets = make_windows(np.arange(6), length=3)
    assert inputs.dtype == torch.float32 and inputs.shape == targets.shape == (3, 3)
    assert inputs.tolist() == [[0, 1, 2], [1, 2, 3], [2, 3, 4]]
    assert targets.tolist() == [[1, 2, 3], [2, 3, 4], [3, 4, 5]]
    assert targets[:, -1].tolist() == [3, 4, 5]  # the value right after each window


@pytest.mark.parametrize(
    "series, length, error, match",
    [
        (np.arange(3), 3, ValueError, "too short"),
        (np.arange(10), 0, ValueError, "positive int"),
        (np.arange(10), 2.0, ValueError, "positive int"),
        (np.zeros((4, 2)), 2, ValueError, "one-dimensional"),
        (np.array([0.0, np.inf, 1.0, 2.0]), 2, ValueError, "NaN or infinite"),
        ("abc", 2, TypeError, "sequence of numbers"),
    ],
)
def test_make_windows_rejects_bad_input(series, length, error, match):
    with pytest.raises(error, match=match):
        make_windows(series, length)


def test_make_windows_does_not_share_memory_with_the_series():
    series = torch.arange(5.0)
    inputs, _ = make_windows(series, 2)
    inputs[0, 0] = 100.0
    assert series[0] == 0.0


# --- rolling_origins --------------------------------------------------------------------


def test_rolling_origins_pairs_past_and_future():
    contexts, futures = rolling_origins(np.arange(10), start=6, context=3, horizon=2)
    # origins 6, 7, 8: every future lies at index 6 or later
    assert contexts.tolist() == [[3, 4, 5], [4, 5, 6], [5, 6, 7]]
    assert futures.tolist() == [[6, 7], [7, 8], [8, 9]]
    contexts, futures = rolling_origins(np.arange(10), start=3, context=3, horizon=1, stride=3)
    assert futures[:, 0].tolist() == [3, 6, 9]


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(start=2, context=3, horizon=1), ValueError, "fewer than context"),
        (dict(start=8, context=3, horizon=5), ValueError, "no forecast origin fits"),
        (dict(start=5, context=0, horizon=1), ValueError, "context must be a positive int"),
        (dict(start=5, context=3, horizon=0), ValueError, "horizon must be a positive int"),
        (dict(start=5, context=3, horizon=1, stride=-1), ValueError, "stride"),
        (dict(start=5.0, context=3, horizon=1), TypeError, "start must be an int"),
    ],
)
def test_rolling_origins_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        rolling_origins(np.arange(10), **kwargs)


# --- autoregressive_forecast ------------------------------------------------------------


def test_autoregressive_forecast_feeds_predictions_back():
    # "next = last + 1" continues a count; "next = sum of the last two" gives Fibonacci
    count = autoregressive_forecast(lambda s: s[:, -1] + 1, torch.tensor([[0.0, 1.0]]), 3)
    assert count.tolist() == [[2.0, 3.0, 4.0]]
    fib = autoregressive_forecast(
        lambda s: s.sum(dim=1, keepdim=True), torch.tensor([1.0, 1.0]), 4, window=2
    )
    assert fib.tolist() == [2.0, 3.0, 5.0, 8.0]  # a single sequence in, a single one out


def test_autoregressive_forecast_passes_a_fixed_window():
    lengths = []

    def last(s):
        lengths.append(s.shape[1])
        return s[:, -1]

    autoregressive_forecast(last, torch.zeros(2, 5), 3, window=4)
    assert lengths == [4, 4, 4]
    lengths.clear()
    autoregressive_forecast(last, torch.zeros(2, 5), 3)
    assert lengths == [5, 6, 7]


@pytest.mark.parametrize(
    "predict_next, context, steps, kwargs, error, match",
    [
        (lambda s: s[:, -1], [1.0, 2.0], 2, {}, TypeError, "context must be a tensor"),
        (lambda s: s[:, -1], torch.zeros(2, 0), 2, {}, ValueError, r"shape \(N, L\)"),
        (lambda s: s[:, -1], torch.zeros(2, 3, 1), 2, {}, ValueError, r"shape \(N, L\)"),
        (lambda s: s[:, -1], torch.zeros(2, 3), 0, {}, ValueError, "steps"),
        (lambda s: s[:, -1], torch.zeros(2, 3), 2, {"window": 4}, ValueError, "fewer than window"),
        (lambda s: s, torch.zeros(2, 3), 2, {}, ValueError, "one value per sequence"),
        (lambda s: 0.0, torch.zeros(2, 3), 2, {}, ValueError, "one value per sequence"),
        ("model", torch.zeros(2, 3), 2, {}, TypeError, "callable"),
    ],
)
def test_autoregressive_forecast_rejects_bad_input(
    predict_next, context, steps, kwargs, error, match
):
    with pytest.raises(error, match=match):
        autoregressive_forecast(predict_next, context, steps, **kwargs)


def test_autoregressive_forecast_does_not_track_gradients():
    weight = torch.ones(1, requires_grad=True)
    out = autoregressive_forecast(lambda s: s[:, -1] * weight, torch.ones(1, 2), 2)
    assert not out.requires_grad
