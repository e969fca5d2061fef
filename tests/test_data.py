"""Tests for dlcourse.data: MNIST loading (and its error messages), synthetic data, splits."""

import subprocess
import sys
import traceback
import urllib.error

import numpy as np
import pytest
import torch
import torchvision

from dlcourse import data
from dlcourse.data import (
    DataError,
    bytes_to_float,
    data_root,
    load_mnist,
    make_rings,
    noisy_polynomial,
)

RAW_NAMES = list(data.MNIST_FILES)


def _assert_helpful(message: str, folder) -> None:
    """A data error must name the folder, the four files and the environment variable."""
    assert str(folder) in message
    for name in RAW_NAMES:
        assert name in message
    assert "DLCOURSE_DATA" in message


def _write(path, header: bytes, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + bytes(size - len(header)))


def _header(name: str) -> bytes:
    _, magic, count, _ = data.MNIST_FILES[name]
    return magic.to_bytes(4, "big") + count.to_bytes(4, "big")


# ---- data_root -------------------------------------------------------------------------


def test_data_root_follows_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("DLCOURSE_DATA", str(tmp_path))
    assert data_root() == tmp_path


def test_data_root_defaults_to_cache_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DLCOURSE_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert data_root() == tmp_path / "dlcourse"


# ---- load_mnist on the real files --------------------------------------------------------


def test_load_mnist_shapes_types_and_range():
    images, labels = load_mnist("test", limit=100)
    assert images.shape == (100, 1, 28, 28) and images.dtype == torch.float32
    assert labels.shape == (100,) and labels.dtype == torch.int64
    assert 0.0 <= images.min() and images.max() <= 1.0 and images.max() > 0.9
    assert set(labels.tolist()) <= set(range(10))
    # the official test set starts with the digits 7, 2, 1, 0, 4
    assert labels[:5].tolist() == [7, 2, 1, 0, 4]


def test_load_mnist_full_splits_and_flatten():
    x_train, y_train = load_mnist("train", flatten=True)
    x_test, _ = load_mnist("test")
    assert x_train.shape == (60_000, 784) and y_train.shape == (60_000,)
    assert x_test.shape == (10_000, 1, 28, 28)
    assert torch.bincount(y_train).min() > 5000  # every class is well represented


def test_load_mnist_returns_fresh_tensors():
    a, _ = load_mnist("test", limit=5)
    a += 1.0
    b, _ = load_mnist("test", limit=5)
    assert b.max() <= 1.0, "changing a returned tensor must not change the next load"


@pytest.mark.parametrize("split", ["train", "test"])
def test_load_mnist_reads_what_torchvision_reads(split):
    images, labels = load_mnist(split)
    reference = torchvision.datasets.MNIST(str(data_root()), train=(split == "train"))
    assert torch.equal(labels, reference.targets)
    assert torch.equal(images.squeeze(1), reference.data.float() / 255)


def test_load_mnist_as_bytes_is_the_same_data_four_times_smaller():
    floats, labels = load_mnist("test", limit=500)
    raw, raw_labels = load_mnist("test", limit=500, dtype=torch.uint8, flatten=True)
    assert raw.dtype == torch.uint8 and raw.shape == (500, 784) and int(raw.max()) == 255
    assert raw.element_size() * 4 == floats.element_size()
    assert torch.equal(bytes_to_float(raw).view_as(floats), floats)
    assert torch.equal(raw_labels, labels)


def test_bytes_to_float_refuses_what_is_not_bytes():
    with pytest.raises(TypeError, match="floats in \\[0, 1\\] already"):
        bytes_to_float(torch.zeros(2, 3))
    with pytest.raises(TypeError, match="uint8 tensor"):
        bytes_to_float([0, 255])


def test_load_mnist_with_a_limit_keeps_no_view_of_the_whole_file():
    images, labels = load_mnist("train", limit=10, dtype=torch.uint8)
    assert images.untyped_storage().nbytes() == 10 * 784
    assert labels.untyped_storage().nbytes() == 10 * 8


def test_reading_mnist_does_not_import_torchvision():
    # torchvision costs ~170 MB of memory; a chapter that only reads MNIST must not pay it
    code = (
        "import sys, dlcourse; dlcourse.load_mnist('test', limit=3); "
        "assert 'torchvision' not in sys.modules, 'torchvision was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"split": "validation"}, "split must be"),
        ({"limit": 0}, "limit must be"),
        ({"dtype": torch.int64}, "dtype must be"),
        ({"limit": 2.5}, "limit must be"),
    ],
)
def test_load_mnist_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_mnist(**kwargs)


# ---- load_mnist error paths ----------------------------------------------------------------


def test_missing_files_without_download(tmp_path):
    with pytest.raises(DataError) as err:
        load_mnist("test", root=tmp_path, download=False)
    _assert_helpful(str(err.value), tmp_path)
    assert "missing" in str(err.value)


def test_failed_download_gets_a_clear_error(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("no internet")

    monkeypatch.setattr(torchvision.datasets, "MNIST", offline)
    with pytest.raises(DataError) as err:
        load_mnist("train", root=tmp_path)
    message = str(err.value)
    _assert_helpful(message, tmp_path)
    assert "downloading it failed" in message and "no internet" in message


def test_a_failed_download_raises_a_short_unchained_error(tmp_path, monkeypatch):
    """What a notebook shows: the message under the caller's frame and load_mnist's, without
    the helpers' frames or torchvision's traceback chained to it."""

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no internet")

    monkeypatch.setattr(torchvision.datasets, "MNIST", offline)
    with pytest.raises(DataError) as err:
        load_mnist("train", root=tmp_path)
    assert err.value.__cause__ is None and err.value.__suppress_context__
    frames = [frame.name for frame in traceback.extract_tb(err.value.__traceback__)]
    assert frames == [
        "test_a_failed_download_raises_a_short_unchained_error",
        "load_mnist",
    ]


def test_file_of_wrong_size_is_reported_corrupt(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    _write(raw / "t10k-images-idx3-ubyte", _header("t10k-images-idx3-ubyte"), 1000)
    _write(raw / "t10k-labels-idx1-ubyte", _header("t10k-labels-idx1-ubyte"), 10_008)
    with pytest.raises(DataError, match="corrupt: 1000 bytes, expected 7840016") as err:
        load_mnist("test", root=tmp_path, download=False)
    _assert_helpful(str(err.value), tmp_path)


def test_file_with_wrong_checksum_is_reported_corrupt(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        _write(raw / name, _header(name), data.MNIST_FILES[name][0])
    with pytest.raises(DataError, match="corrupt: MD5"):
        load_mnist("test", root=tmp_path, download=False)


# ---- synthetic data and splits -----------------------------------------------------------


def test_noisy_polynomial_is_reproducible_and_noisy():
    x, y = noisy_polynomial(np.linspace(0, 1, 11), noise=0.3, seed=1)
    x2, y2 = noisy_polynomial(np.linspace(0, 1, 11), noise=0.3, seed=1)
    assert np.array_equal(y, y2)
    residual = y - data._regression_truth(x)
    assert 0.05 < residual.std() < 1.0


def test_noisy_polynomial_draws_sorted_points_and_zero_noise_is_exact():
    x, y = noisy_polynomial(50, noise=0.0, seed=0)
    assert x.shape == (50,) and np.all(np.diff(x) >= 0) and 0 <= x.min() and x.max() <= 1
    assert np.allclose(y, data._regression_truth(x))


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((0,), {}, "number of points"),
        ((np.zeros((2, 2)),), {}, "one-dimensional"),
        ((5,), {"noise": -1.0}, "noise must be"),
    ],
)
def test_noisy_polynomial_rejects_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        noisy_polynomial(*args, **kwargs)


# ---- load_co2 (the Mauna Loa series that ships with statsmodels) -----------------------


def _has_statsmodels() -> bool:
    import importlib.util

    return importlib.util.find_spec("statsmodels") is not None


needs_statsmodels = pytest.mark.skipif(
    not _has_statsmodels(), reason="statsmodels (which ships the CO2 data) is not installed"
)


@needs_statsmodels
def test_load_co2_monthly_series():
    months, ppm = data.load_co2()
    assert months.dtype == np.dtype("datetime64[M]") and ppm.dtype == np.float64
    assert len(months) == len(ppm) == 526  # March 1958 to December 2001
    assert str(months[0]) == "1958-03" and str(months[-1]) == "2001-12"
    assert np.all(np.diff(months) == np.timedelta64(1, "M")), "one value per month, no gaps"
    assert np.isfinite(ppm).all()
    assert ppm[0] == pytest.approx(316.1) and ppm[-1] == pytest.approx(371.02)
    assert 310 < ppm.min() and ppm.max() < 380


@needs_statsmodels
def test_load_co2_weekly_keeps_missing_weeks_and_matches_the_monthly_means():
    days, weekly = data.load_co2(monthly=False)
    assert days.dtype == np.dtype("datetime64[D]") and len(days) == len(weekly) == 2284
    assert np.isnan(weekly).sum() == 59
    months, ppm = data.load_co2()
    in_april_1958 = days.astype("datetime64[M]") == np.datetime64("1958-04")
    assert ppm[1] == pytest.approx(np.nanmean(weekly[in_april_1958]))


def test_load_co2_without_statsmodels_says_how_to_fix_it(monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None)
    with pytest.raises(DataError, match="pip install statsmodels"):
        data.load_co2()


def test_load_co2_with_a_broken_statsmodels_names_the_missing_file(monkeypatch, tmp_path):
    import importlib.machinery
    import importlib.util

    fake = importlib.machinery.ModuleSpec("statsmodels", None, origin=str(tmp_path / "x.py"))
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: fake)
    with pytest.raises(DataError, match="no CO2 data file"):
        data.load_co2()


def test_make_rings_shapes_radii_and_reproducibility():
    x, labels = make_rings(100, inner=(0.0, 1.0), outer=(2.0, 3.0), seed=1)
    assert x.shape == (200, 2) and x.dtype == torch.float32
    assert labels.dtype == torch.int64 and labels.tolist() == [0] * 100 + [1] * 100
    r = x.norm(dim=1)
    assert r[:100].max() <= 1.0 + 1e-6 and r[100:].min() >= 2.0 - 1e-6 and r.max() <= 3.0 + 1e-6
    # uniform in area: about a quarter of the disc's points lie within half its radius
    assert 0.15 < (r[:100] < 0.5).float().mean() < 0.35
    assert torch.equal(x, make_rings(100, seed=1)[0])
    assert not torch.equal(x, make_rings(100, seed=2)[0])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_per_class": 0}, "n_per_class must be a positive int"),
        ({"n_per_class": 2.5}, "n_per_class must be a positive int"),
        ({"inner": (1.0, 0.5)}, "the radii must grow"),
        ({"inner": (0.0, 2.5), "outer": (2.0, 3.0)}, "the radii must grow"),
    ],
)
def test_make_rings_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_rings(**kwargs)
