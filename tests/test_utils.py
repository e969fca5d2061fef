"""Tests for dlcourse.utils: seeding, device choice, parameter counts, glue."""

import random
import sys

import numpy as np
import pytest
import torch
from torch import nn

from dlcourse.utils import count_parameters, get_device, glue, seed_everything


def test_seed_everything_makes_all_generators_repeat():
    seed_everything(3)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    seed_everything(3)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first


def test_seed_everything_reads_the_seed_knob_from_the_environment(monkeypatch):
    monkeypatch.delenv("DLCOURSE_SEED", raising=False)
    assert seed_everything() == 0
    monkeypatch.setenv("DLCOURSE_SEED", "2")
    assert seed_everything() == 2
    first = torch.rand(1).item()
    seed_everything(2)
    assert torch.rand(1).item() == first
    assert seed_everything(5) == 5  # an explicit seed wins


def test_seed_everything_explains_a_bad_seed_knob(monkeypatch):
    monkeypatch.setenv("DLCOURSE_SEED", "one")
    with pytest.raises(ValueError, match="DLCOURSE_SEED='one'.*whole number"):
        seed_everything()


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_seed_everything_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="non-negative int"):
        seed_everything(bad)


def test_get_device_picks_cuda_only_when_available():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert get_device().type == expected
    assert get_device("cpu") == torch.device("cpu")


def test_get_device_errors():
    with pytest.raises(ValueError, match="'cpu', 'cuda'"):
        get_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="no CUDA GPU"):
            get_device("cuda")


def test_count_parameters():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    assert count_parameters(model) == 4 * 3 + 3 + 3 * 2 + 2
    model[0].weight.requires_grad_(False)
    assert count_parameters(model) == 3 + 3 * 2 + 2
    assert count_parameters(model, trainable_only=False) == 4 * 3 + 3 + 3 * 2 + 2


def test_glue_returns_plain_values(monkeypatch):
    recorded = {}
    import myst_nb

    monkeypatch.setattr(
        myst_nb, "glue", lambda name, value, display: recorded.update({name: value})
    )
    assert glue("acc", np.float32(0.5)) == 0.5
    assert type(recorded["acc"]) is float
    assert glue("n", torch.tensor(7)) == 7 and type(recorded["n"]) is int


def test_glue_works_without_myst_nb(monkeypatch):
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # makes `import myst_nb` fail
    assert glue("x", 1.25) == 1.25


def test_glue_rejects_bad_names():
    with pytest.raises(ValueError, match="identifier"):
        glue("not a name", 1)
