"""Time series for sequence models: splitting, scaling, windowing, forecasting.

The recurrent-networks chapter builds each of these by hand once; afterwards it
calls them from here. The series are one-dimensional (one number per time step),
given as NumPy arrays or PyTorch tensors.

- :func:`time_split`      -- the past for training, the future for testing (never shuffled)
- :class:`Standardizer`   -- scale with statistics of the training part only
- :func:`difference`, :func:`undifference` -- changes between steps, and back to levels
- :func:`make_windows`    -- (inputs, targets) pairs for teacher-forced training
- :func:`rolling_origins` -- (context, future) pairs for testing multi-step forecasts
- :func:`autoregressive_forecast` -- forecast by feeding predictions back in
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

Series = np.ndarray | torch.Tensor


def _check_positive_int(value, name: str) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def _as_series(series, name: str = "series", dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A 1-D tensor of finite numbers (a copy when the input is not a tensor)."""
    if isinstance(series, torch.Tensor):
        t = series
    else:
        try:
            t = torch.tensor(np.asarray(series, dtype=np.float64))
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"{name} must be a 1-D array, tensor or sequence of numbers, "
                f"got {type(series).__name__} ({err})"
            ) from err
    if t.ndim != 1:
        raise ValueError(
            f"{name} must be one-dimensional (one value per time step), got shape {tuple(t.shape)}"
        )
    t = t.to(dtype)
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} contains NaN or infinite values; fill or drop them first")
    return t


def time_split(series: Series, test_size: float | int = 0.2) -> tuple[Series, Series]:
    """Split a series in time: the first part for training, the last for testing.

    ``test_size`` is either a fraction of the series strictly between 0 and 1 or
    a number of time steps. Nothing is shuffled: every test step comes after
    every training step, as it does when a model forecasts the future.
    Returns ``(train, test)``, slices of the input along its first axis.
    """
    if not hasattr(series, "__len__") or not hasattr(series, "__getitem__"):
        raise TypeError(f"series must be an array or tensor, got {type(series).__name__}")
    n = len(series)
    if isinstance(test_size, bool) or not isinstance(
        test_size, (int, float, np.integer, np.floating)
    ):
        raise TypeError(
            f"test_size must be a fraction (float) or a number of steps (int), "
            f"got {type(test_size).__name__}"
        )
    if isinstance(test_size, (float, np.floating)):
        if not 0.0 < test_size < 1.0:
            raise ValueError(
                f"a fractional test_size must lie strictly between 0 and 1, got {test_size!r}"
            )
        n_test = int(round(n * test_size))
    else:
        n_test = int(test_size)
    if not 0 < n_test < n:
        raise ValueError(
            f"test_size={test_size!r} of a series of {n} steps leaves an empty "
            f"training or test part"
        )
    return series[: n - n_test], series[n - n_test :]


@dataclass
class Standardizer:
    """Shift and scale values to mean 0 and standard deviation 1.

    Call :meth:`fit` on the training part only, then :meth:`transform` any part
    with those same numbers; statistics of the test part would leak the future
    into the model. Works on NumPy arrays and tensors alike.
    """

    mean: float | None = None
    std: float | None = None

    def fit(self, train: Series) -> Standardizer:
        values = _as_series(train, "train", torch.float64)
        if len(values) < 2:
            raise ValueError(f"Standardizer.fit needs at least 2 values, got {len(values)}")
        std = values.std().item()
        if std == 0.0:
            raise ValueError(
                "the training values are all equal (standard deviation 0): "
                "they cannot be scaled to standard deviation 1"
            )
        self.mean, self.std = values.mean().item(), std
        return self

    def _check_fitted(self) -> None:
        if self.mean is None or self.std is None:
            raise RuntimeError("call Standardizer.fit(train) before transforming values")

    def transform(self, x: Series) -> Series:
        """``(x - mean) / std``, same type and shape as ``x``."""
        self._check_fitted()
        return (x - self.mean) / self.std

    def inverse_transform(self, z: Series) -> Series:
        """Undo :meth:`transform`: ``z * std + mean``."""
        self._check_fitted()
        return z * self.std + self.mean


def difference(x: Series) -> Series:
    """Changes between consecutive values along the last axis: ``x[..., 1:] - x[..., :-1]``.

    A series with a trend becomes one that stays in the same range; for a batch
    of windows of shape ``(N, L)`` the result has shape ``(N, L - 1)``.
    """
    if not isinstance(x, (np.ndarray, torch.Tensor)):
        raise TypeError(f"difference expects a NumPy array or tensor, got {type(x).__name__}")
    if x.ndim == 0 or x.shape[-1] < 2:
        raise ValueError(
            f"difference needs at least 2 values along the last axis, got shape {tuple(x.shape)}"
        )
    return x[..., 1:] - x[..., :-1]


def undifference(diffs: Series, start: Series | float) -> Series:
    """Levels from changes: ``start + cumulative sum of diffs`` along the last axis.

    ``start`` is the last known level (one per row for a batch of shape
    ``(N, L)``); the result has the shape of ``diffs`` and does not include
    ``start`` itself. ``undifference(difference(x), x[..., 0])`` gives ``x[..., 1:]``.
    """
    if not isinstance(diffs, (np.ndarray, torch.Tensor)):
        raise TypeError(f"undifference expects a NumPy array or tensor, got {type(diffs).__name__}")
    if diffs.ndim == 0:
        raise ValueError("undifference needs at least one change, got a scalar")
    if isinstance(diffs, torch.Tensor):
        total = torch.cumsum(diffs, dim=-1)
        start = torch.as_tensor(start, dtype=diffs.dtype, device=diffs.device)
    else:
        total = np.cumsum(diffs, axis=-1)
        start = np.asarray(start, dtype=diffs.dtype)
    if tuple(start.shape) not in ((), tuple(diffs.shape[:-1])):
        raise ValueError(
            f"start must be a single number or have shape {tuple(diffs.shape[:-1])} "
            f"(one per row of diffs {tuple(diffs.shape)}), got {tuple(start.shape)}"
        )
    return start[..., None] + total


def make_windows(series: Series, length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Cut a series into overlapping windows for next-step prediction.

    Row ``i`` of ``inputs`` is ``series[i : i + length]`` and row ``i`` of
    ``targets`` is the same window one step later, ``series[i + 1 : i + length + 1]``:
    at every position the target is the value that comes next (teacher forcing).
    ``targets[:, -1]`` is the value right after each input window.

    Returns two ``float32`` tensors of shape ``(len(series) - length, length)``.
    """
    x = _as_series(series)
    length = _check_positive_int(length, "length")
    if len(x) < length + 1:
        raise ValueError(
            f"a series of {len(x)} steps is too short for windows of length "
            f"{length} (it needs at least {length + 1} steps)"
        )
    windows = x.unfold(0, length + 1, 1)  # (N, length + 1), every start position
    return windows[:, :-1].clone(), windows[:, 1:].clone()


def rolling_origins(
    series: Series, start: int, context: int, horizon: int, stride: int = 1
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pairs (what was known, what came next) for testing forecasts from many origins.

    For every forecast origin ``t = start, start + stride, ...`` (the index of
    the first value to forecast) with ``t + horizon <= len(series)``, row ``i``
    of ``contexts`` is ``series[t - context : t]`` and row ``i`` of ``futures``
    is ``series[t : t + horizon]``. With ``start`` at the first test index,
    every forecast target lies in the test part, while the contexts may reach
    back into the training part (the past is known when forecasting).

    Returns ``float32`` tensors of shapes ``(N, context)`` and ``(N, horizon)``.
    """
    x = _as_series(series)
    context = _check_positive_int(context, "context")
    horizon = _check_positive_int(horizon, "horizon")
    stride = _check_positive_int(stride, "stride")
    if not isinstance(start, (int, np.integer)) or isinstance(start, bool):
        raise TypeError(f"start must be an int index, got {type(start).__name__}")
    if start < context:
        raise ValueError(
            f"start={start} leaves fewer than context={context} earlier values; "
            f"use start >= {context}"
        )
    last_origin = len(x) - horizon
    if start > last_origin:
        raise ValueError(
            f"no forecast origin fits: from start={start}, a horizon of {horizon} "
            f"steps runs past the end of the series ({len(x)} steps)"
        )
    origins = torch.arange(int(start), last_origin + 1, stride)
    span = torch.arange(-context, horizon)
    rows = x[origins[:, None] + span]  # (N, context + horizon)
    return rows[:, :context].clone(), rows[:, context:].clone()


def autoregressive_forecast(
    predict_next: Callable[[torch.Tensor], torch.Tensor],
    context: torch.Tensor,
    steps: int,
    *,
    window: int | None = None,
) -> torch.Tensor:
    """Forecast ``steps`` values by feeding each prediction back in as the newest input.

    ``predict_next`` maps a batch of sequences of shape ``(N, L)`` to the next
    value of each, shape ``(N,)`` (or ``(N, 1)``). ``context`` holds the known
    past, shape ``(N, L)`` (or ``(L,)`` for a single sequence). With ``window``
    only the latest ``window`` values are passed on each step (for models with a
    fixed input size); by default the whole growing sequence is.

    Runs under :func:`torch.no_grad`. Returns the forecasts, shape
    ``(N, steps)`` (or ``(steps,)`` for a single sequence).
    """
    if not callable(predict_next):
        raise TypeError(f"predict_next must be callable, got {type(predict_next).__name__}")
    if not isinstance(context, torch.Tensor):
        raise TypeError(f"context must be a tensor, got {type(context).__name__}")
    single = context.ndim == 1
    seq = context.unsqueeze(0) if single else context
    if seq.ndim != 2 or seq.shape[1] == 0:
        raise ValueError(
            f"context must have shape (N, L) or (L,) with L >= 1, got {tuple(context.shape)}"
        )
    steps = _check_positive_int(steps, "steps")
    if window is not None:
        window = _check_positive_int(window, "window")
        if seq.shape[1] < window:
            raise ValueError(f"the context has {seq.shape[1]} steps, fewer than window={window}")
    forecasts = []
    with torch.no_grad():
        for _ in range(steps):
            inputs = seq if window is None else seq[:, -window:]
            nxt = predict_next(inputs)
            if not isinstance(nxt, torch.Tensor) or nxt.reshape(-1).shape != (len(seq),):
                shape = tuple(nxt.shape) if isinstance(nxt, torch.Tensor) else type(nxt).__name__
                raise ValueError(
                    f"predict_next must return one value per sequence, shape "
                    f"({len(seq)},) or ({len(seq)}, 1), got {shape}"
                )
            nxt = nxt.reshape(-1, 1).to(seq.dtype)
            forecasts.append(nxt)
            seq = torch.cat([seq, nxt], dim=1)
    out = torch.cat(forecasts, dim=1)
    return out[0] if single else out
