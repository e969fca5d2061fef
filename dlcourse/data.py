"""Datasets for the chapters, as in-memory tensors: MNIST (the dense-MNIST chapter onwards), the
CO2 record (recurrent networks), and the small synthetic sets of the first chapters.

MNIST lives in torchvision's layout, ``<root>/MNIST/raw/``; the root folder is
taken from the environment variable ``DLCOURSE_DATA``, else ``~/.cache/dlcourse``.
With internet access missing files are downloaded there on first use by
:class:`torchvision.datasets.MNIST`, as usual. Files that are present are
checked and read with NumPy, so a chapter that only reads MNIST never imports
torchvision (which costs about 170 MB of memory).
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
from pathlib import Path

import numpy as np
import torch

ENV_VAR = "DLCOURSE_DATA"

# name -> (size in bytes, IDX magic number, number of items, MD5 of the file)
MNIST_FILES = {
    "train-images-idx3-ubyte": (47_040_016, 2051, 60_000, "6bbc9ace898e44ae57da46a324031adb"),
    "train-labels-idx1-ubyte": (60_008, 2049, 60_000, "a25bea736e30d166cdddb491f175f624"),
    "t10k-images-idx3-ubyte": (7_840_016, 2051, 10_000, "2646ac647ad5339dbf082846283269ea"),
    "t10k-labels-idx1-ubyte": (10_008, 2049, 10_000, "27ae3e4e09519cfbb04c329615203637"),
}
SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


class DataError(RuntimeError):
    """A dataset is missing, incomplete or corrupt; the message says how to fix it.

    Taught in: book/dense_mnist.md.
    """


def data_root() -> Path:
    """The folder datasets are read from (and downloaded to).

    ``$DLCOURSE_DATA`` when set, else ``$XDG_CACHE_HOME/dlcourse`` (by default
    ``~/.cache/dlcourse``).

    Taught in: book/dense_mnist.md.
    """
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME", "").strip() or Path.home() / ".cache"
    return Path(cache) / "dlcourse"


def _missing_help(root: Path, reason: str) -> str:
    names = "\n".join(f"    {root / 'MNIST' / 'raw' / n}" for n in MNIST_FILES)
    return (
        f"{reason}\n"
        f"dlcourse reads MNIST from {root} and expects these four uncompressed IDX files:\n"
        f"{names}\n"
        f"Fix: connect to the internet so torchvision can download them, or copy the four "
        f"files there, or set the environment variable {ENV_VAR} to the folder that holds "
        f"MNIST/raw/ (for example: export {ENV_VAR}=/path/to/data)."
    )


def _check_file(path: Path, root: Path) -> None:
    stat = path.stat()
    _check_file_once(path, root, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _check_file_once(path: Path, root: Path, actual: int, mtime_ns: int) -> None:
    """Check the size and MD5 of ``path``; a file that passed is not hashed again until it
    changes (its size or modification time)."""
    size, _, _, md5 = MNIST_FILES[path.name]
    if actual != size:
        raise DataError(
            _missing_help(root, f"MNIST file {path} is corrupt: {actual} bytes, expected {size}.")
        )
    with path.open("rb") as f:
        digest = hashlib.file_digest(f, "md5").hexdigest()
    if digest != md5:
        raise DataError(
            _missing_help(root, f"MNIST file {path} is corrupt: MD5 {digest}, expected {md5}.")
        )


def _ensure_mnist(root: Path, split: str, download: bool) -> None:
    """Make sure the files of ``split`` are present and intact, downloading if allowed."""
    raw = root / "MNIST" / "raw"
    missing = [n for n in SPLIT_FILES[split] if not (raw / n).is_file()]
    if missing and download:
        import torchvision

        try:
            torchvision.datasets.MNIST(str(root), train=(split == "train"), download=True)
        except Exception as err:  # network errors come in many types
            reason = f"{type(err).__name__}: {err}"
        else:
            reason = ""
        if reason:  # raised outside the except block: no chained torchvision traceback
            raise DataError(
                _missing_help(root, f"MNIST is not in {raw} and downloading it failed ({reason}).")
            )
        missing = [n for n in SPLIT_FILES[split] if not (raw / n).is_file()]
    if missing:
        raise DataError(
            _missing_help(
                root,
                f"MNIST files missing from {raw}: {', '.join(missing)}"
                + ("." if download else " (and download=False)."),
            )
        )
    for name in SPLIT_FILES[split]:
        _check_file(raw / name, root)


def _read_idx(path: Path) -> np.ndarray:
    """The array in an (already checked) uncompressed IDX file of unsigned bytes."""
    with path.open("rb") as f:
        magic = int.from_bytes(f.read(4), "big")
        shape = [int.from_bytes(f.read(4), "big") for _ in range(magic & 0xFF)]
        return np.fromfile(f, dtype=np.uint8).reshape(shape)


def _read_mnist(root: Path, split: str, download: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Fresh tensors of one split: images uint8 (N, 28, 28), labels int64 (N,)."""
    _ensure_mnist(root, split, download)
    raw = root / "MNIST" / "raw"
    image_file, label_file = SPLIT_FILES[split]
    images = torch.from_numpy(_read_idx(raw / image_file))
    labels = torch.from_numpy(_read_idx(raw / label_file)).long()
    return images, labels


def load_mnist(
    split: str = "train",
    *,
    limit: int | None = None,
    flatten: bool = False,
    dtype: torch.dtype = torch.float32,
    root: str | os.PathLike | None = None,
    download: bool = True,
    device: str | torch.device | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST digits as in-memory tensors ``(images, labels)``.

    Parameters
    ----------
    split:
        ``"train"`` (60 000 digits) or ``"test"`` (10 000 digits).
    limit:
        keep only the first ``limit`` digits (the files are in a fixed order,
        so this is the same subset every time).
    flatten:
        images of shape ``(N, 784)`` instead of ``(N, 1, 28, 28)``.
    dtype:
        ``torch.float32`` (default): pixel values in ``[0, 1]``.
        ``torch.uint8``: the bytes as stored, 0 (white) to 255 (black), four
        times smaller (47 MB instead of 188 MB for the training set); turn each
        batch into floats when it is used, with :func:`bytes_to_float` (the
        ``transform`` argument of :func:`~dlcourse.fit` does that).
    root:
        the folder that holds ``MNIST/raw/``; default :func:`data_root`.
    download:
        download missing files with torchvision (needs internet).
    device:
        move both tensors to this device.

    Returns
    -------
    images:
        shape ``(N, 1, 28, 28)`` or ``(N, 784)``, of type ``dtype``.
    labels:
        ``int64`` digit classes 0-9, shape ``(N,)``.

    Every call reads the files afresh and returns new tensors: changing them
    changes nothing for the next call.

    Raises
    ------
    DataError
        when the files are missing and cannot be downloaded, or are corrupt.

    Taught in: book/dense_mnist.md.
    """
    if split not in SPLIT_FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise ValueError(f"limit must be a positive int or None, got {limit!r}")
    if not isinstance(dtype, torch.dtype) or not (dtype == torch.uint8 or dtype.is_floating_point):
        raise ValueError(f"dtype must be torch.uint8 or a floating-point dtype, got {dtype!r}")
    root_path = Path(root).expanduser() if root is not None else data_root()
    try:
        images, labels = _read_mnist(root_path.resolve(), split, download)
    except DataError as err:
        # Raised from here, so that a notebook shows the message under one short frame
        # instead of the helpers' stack: the message says everything needed to fix it.
        raise DataError(str(err)) from None
    if limit is not None:
        images, labels = images[:limit].clone(), labels[:limit].clone()  # free the rest
    if dtype != torch.uint8:
        images = bytes_to_float(images, dtype)
    images = images.reshape(len(images), -1) if flatten else images.unsqueeze(1)
    if device is not None:
        images, labels = images.to(device), labels.to(device)
    return images, labels


def bytes_to_float(images: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Image bytes 0-255 (``uint8``) as floats in ``[0, 1]``: ``images / 255``.

    What torchvision's ``ToTensor`` does to each image. Pass it as
    ``transform=dlcourse.bytes_to_float`` to :func:`~dlcourse.fit`,
    :func:`~dlcourse.evaluate` or :func:`~dlcourse.predict` to keep a dataset
    in memory as bytes and convert one batch at a time.

    Taught in: book/dense_mnist.md.
    """
    if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8:
        got = images.dtype if isinstance(images, torch.Tensor) else type(images).__name__
        raise TypeError(
            f"bytes_to_float expects a uint8 tensor of pixel values 0-255, got {got}. "
            "Images loaded with the default dtype are floats in [0, 1] already: "
            "use them as they are."
        )
    return images.to(dtype).div_(255.0)


def _regression_truth(x: np.ndarray) -> np.ndarray:
    """The hidden rule of the regression chapter: 2x - 10x^5 + 15x^10 on [0, 1]."""
    return 2 * x - 10 * x**5 + 15 * x**10


def noisy_polynomial(
    x: np.ndarray | int,
    *,
    noise: float = 0.3,
    seed: int = 0,
    poly=_regression_truth,
) -> tuple[np.ndarray, np.ndarray]:
    """Noisy samples ``y = poly(x) + noise * N(0, 1)`` of a function (taught in the
    regression chapter; the gradient-descent chapter uses it too).

    ``x`` is either an array of inputs or a number of points, which are then
    drawn uniformly from ``[0, 1]``. ``poly`` is the function (by default the
    regression chapter's ``2x - 10x^5 + 15x^10``). Returns ``(x, y)`` as NumPy arrays.

    Taught in: book/regression.md.
    """
    rng = np.random.default_rng(seed)
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        if x < 1:
            raise ValueError(f"the number of points must be positive, got {x}")
        x = np.sort(rng.uniform(0.0, 1.0, int(x)))
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"x must be one-dimensional, got shape {x.shape}")
    if noise < 0:
        raise ValueError(f"noise must be non-negative, got {noise}")
    return x, poly(x) + noise * rng.standard_normal(x.shape)


def make_rings(
    n_per_class: int = 500,
    *,
    inner: tuple[float, float] = (0.0, 1.0),
    outer: tuple[float, float] = (2.0, 3.0),
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Points of two classes in the plane: class 0 fills a disc, class 1 a ring around it
    (the backpropagation and dense-network chapters).

    Each class has ``n_per_class`` points, spread evenly over the area of the annulus whose
    radii lie in ``inner`` (class 0) or ``outer`` (class 1). No straight line separates the
    classes; a closed curve between the radii does. Returns ``(x, labels)``: ``float32``
    points of shape ``(2 * n_per_class, 2)`` and ``int64`` labels, the class-0 points first.

    Taught in: book/backprop.md.
    """
    (a0, a1), (b0, b1) = inner, outer
    if not (isinstance(n_per_class, int) and n_per_class > 0):
        raise ValueError(f"n_per_class must be a positive int, got {n_per_class!r}")
    if not 0 <= a0 < a1 <= b0 < b1:
        raise ValueError(
            f"the radii must grow: 0 <= inner[0] < inner[1] <= outer[0] < outer[1], "
            f"got inner={inner!r}, outer={outer!r}"
        )
    g = torch.Generator().manual_seed(seed)

    def annulus(r0: float, r1: float) -> torch.Tensor:
        # uniform in area: the squared radius is uniform between r0**2 and r1**2
        r = (r0**2 + (r1**2 - r0**2) * torch.rand(n_per_class, generator=g)).sqrt()
        angle = 2 * math.pi * torch.rand(n_per_class, generator=g)
        return torch.stack([r * angle.cos(), r * angle.sin()], dim=1)

    x = torch.cat([annulus(a0, a1), annulus(b0, b1)])
    labels = torch.arange(2).repeat_interleave(n_per_class)
    return x, labels


def _co2_csv() -> Path:
    """The CO2 file inside the installed statsmodels package (found without importing it)."""
    import importlib.util

    spec = importlib.util.find_spec("statsmodels")
    if spec is None or spec.origin is None:
        raise DataError(
            "load_co2 reads the Mauna Loa CO2 data that ships with the statsmodels package, "
            "but statsmodels is not installed. Fix: pip install statsmodels "
            "(the course pins its version in requirements.txt)."
        )
    path = Path(spec.origin).parent / "datasets" / "co2" / "co2.csv"
    if not path.is_file():
        raise DataError(
            f"statsmodels is installed but has no CO2 data file at {path}; "
            f"reinstall statsmodels (pip install --force-reinstall statsmodels)."
        )
    return path


def load_co2(monthly: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Atmospheric CO2 at Mauna Loa, Hawaii, in ppm, March 1958 to December 2001.

    The data (weekly averages; Keeling and Whorf, public domain) ship with
    statsmodels as ``statsmodels/datasets/co2/co2.csv``: no download is needed.
    This reads that file with NumPy, without importing statsmodels or pandas;
    ``statsmodels.datasets.co2.load_pandas().data`` holds the same weekly values.

    Returns ``(dates, ppm)`` as NumPy arrays. With ``monthly=True`` (default):
    one value per calendar month (``dates`` of dtype ``datetime64[M]``), the mean
    of that month's weekly values, with the few months that have none filled by
    linear interpolation. With ``monthly=False``: the weekly values as recorded
    (``datetime64[D]``), ``NaN`` for the weeks without measurements.

    Raises
    ------
    DataError
        when statsmodels (and with it the data file) is not installed.

    Taught in: book/rnn.md.
    """
    table = np.genfromtxt(_co2_csv(), delimiter=",", skip_header=1, dtype=float)
    stamps = table[:, 0].astype(np.int64)  # YYYYMMDD
    days = np.array(
        [f"{s // 10000:04d}-{s // 100 % 100:02d}-{s % 100:02d}" for s in stamps],
        dtype="datetime64[D]",
    )
    weekly = table[:, 1]
    if not monthly:
        return days, weekly
    months_of_weeks = days.astype("datetime64[M]")
    months = np.arange(months_of_weeks[0], months_of_weeks[-1] + 1)
    position = (months_of_weeks - months[0]).astype(np.int64)
    measured = ~np.isnan(weekly)
    totals = np.bincount(position[measured], weights=weekly[measured], minlength=len(months))
    counts = np.bincount(position[measured], minlength=len(months))
    ppm = np.full(len(months), np.nan)
    ppm[counts > 0] = totals[counts > 0] / counts[counts > 0]
    gaps = counts == 0
    ppm[gaps] = np.interp(np.flatnonzero(gaps), np.flatnonzero(~gaps), ppm[~gaps])
    return months, ppm
