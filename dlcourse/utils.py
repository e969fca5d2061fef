"""Small utilities every chapter needs: seeding, device choice, counting, glue."""

from __future__ import annotations

import os
import random
from typing import Any

import numpy as np
import torch
from torch import nn

SEED_VARIABLE = "DLCOURSE_SEED"


def seed_everything(seed: int | None = None) -> int:
    """Seed Python, NumPy and PyTorch so that a rerun gives the same numbers; return the seed.

    Without an argument the seed comes from the environment variable ``DLCOURSE_SEED``
    (0 when it is not set). Chapters start with ``SEED = dlcourse.seed_everything()`` and
    derive every other seed from ``SEED`` (data, noise, shuffles), so that this one knob
    reruns a whole chapter with other random numbers: a claim that holds only for one
    lucky draw shows up (``DLCOURSE_SEED=1 make test CHAPTER=cnn``).

    Taught in: book/regression.md.
    """
    if seed is None:
        value = os.environ.get(SEED_VARIABLE, "0").strip() or "0"
        try:
            seed = int(value)
        except ValueError:
            raise ValueError(
                f"{SEED_VARIABLE}={value!r}: the seed must be a whole number such as 0, 1 or 2"
            ) from None
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return seed


def get_device(prefer: str | None = None) -> torch.device:
    """The device to compute on: a CUDA GPU when one is present, else the CPU.

    ``prefer`` forces a choice (``"cpu"`` or ``"cuda"``); asking for CUDA on a
    machine without it raises an error that says so.

    Taught in: book/backprop.md.
    """
    if prefer is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if prefer not in ("cpu", "cuda"):
        raise ValueError(f"prefer must be 'cpu', 'cuda' or None, got {prefer!r}")
    if prefer == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            "prefer='cuda' was asked for, but PyTorch sees no CUDA GPU on this "
            "machine; use get_device() to fall back to the CPU."
        )
    return torch.device(prefer)


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """The number of (trainable) scalar parameters of a model.

    Taught in: book/dense_toy.md.
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def glue(name: str, value: Any, display: bool = False) -> Any:
    """Store ``value`` under ``name`` for the book's text to quote, and return it.

    In the book build this is :func:`myst_nb.glue`, so the prose can write
    ``{glue:text}`name:.2f``` and the number always comes from the run. Where
    myst-nb is not installed (Google Colab, a bare Jupyter) it does nothing but
    return the value, so the notebook runs everywhere.

    Taught in: book/intro.md.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"glue name must be a Python identifier-like string, got {name!r}")
    try:
        from myst_nb import glue as _myst_glue
    except ImportError:
        return value
    if isinstance(value, (np.floating, np.integer)):
        value = value.item()
    elif isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    _myst_glue(name, value, display=display)
    return value
