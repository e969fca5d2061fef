"""A small, device-aware training loop for models trained on in-memory tensors.

Chapters write this loop by hand first; afterwards :func:`fit` saves them from
repeating it. It is deliberately the plain loop -- shuffle, forward, loss,
backward, step -- with a progress bar and a history of the numbers.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from dlcourse.utils import get_device

Data = tuple[torch.Tensor, torch.Tensor]
PROGRESS_ENV_VAR = "DLCOURSE_PROGRESS"  # "auto" (default), "text" or "off"


@dataclass
class History:
    """What happened during :func:`fit`, one entry per epoch.

    Taught in: book/backprop.md.
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def extend(self, other: History) -> History:
        """Append a later run of :func:`fit` (for training a model further)."""
        for name in ("train_loss", "val_loss", "train_accuracy", "val_accuracy"):
            getattr(self, name).extend(getattr(other, name))
        self.seconds += other.seconds
        return self


def _check_data(data: Data, name: str) -> Data:
    if not (
        isinstance(data, (tuple, list))
        and len(data) == 2
        and all(isinstance(t, torch.Tensor) for t in data)
    ):
        raise TypeError(
            f"{name} must be a pair of tensors (inputs, targets), got {type(data).__name__}"
        )
    x, y = data
    if len(x) != len(y):
        raise ValueError(
            f"{name}: inputs and targets must have the same length, "
            f"got {len(x)} inputs and {len(y)} targets"
        )
    if len(x) == 0:
        raise ValueError(f"{name} is empty")
    return x, y


Transform = Callable[[torch.Tensor], torch.Tensor]


def _model_inputs(x: torch.Tensor, transform: Transform | None) -> torch.Tensor:
    """A batch of inputs as the model will see it: through ``transform`` when given."""
    if transform is not None:
        return transform(x)
    if x.dtype == torch.uint8:
        raise TypeError(
            "the inputs are uint8 bytes (for images: pixel values 0-255), which a model cannot "
            "take. Pass transform=dlcourse.bytes_to_float to turn each batch into floats in "
            "[0, 1], or load the data as floats (the default of dlcourse.load_mnist)."
        )
    return x


def _is_classification(outputs: torch.Tensor, targets: torch.Tensor) -> bool:
    return outputs.ndim == 2 and targets.ndim == 1 and not targets.is_floating_point()


def accuracy(outputs: torch.Tensor, labels: torch.Tensor) -> float:
    """The fraction of rows of ``outputs`` (scores or probabilities, shape
    ``(N, classes)``) whose largest entry is at the index given by ``labels``.

    Taught in: book/dense_mnist.md.
    """
    if outputs.ndim != 2:
        raise ValueError(
            f"accuracy expects outputs of shape (N, classes), got {tuple(outputs.shape)}"
        )
    if labels.shape != (outputs.shape[0],):
        raise ValueError(
            f"accuracy expects labels of shape ({outputs.shape[0]},) to match the "
            f"outputs {tuple(outputs.shape)}, got {tuple(labels.shape)}"
        )
    return (outputs.argmax(dim=1) == labels.to(outputs.device)).float().mean().item()


def _call_loss(loss_fn, outputs, targets):
    if targets.is_floating_point() and outputs.shape != targets.shape:
        # e.g. outputs (N, 1) against targets (N,) would silently broadcast to (N, N)
        raise ValueError(
            f"the model's outputs have shape {tuple(outputs.shape)} but the (real-valued) targets "
            f"have shape {tuple(targets.shape)}; they must match. Reshape the targets (for example "
            f"y.unsqueeze(1)) or the model's last layer."
        )
    try:
        return loss_fn(outputs, targets)
    except (RuntimeError, ValueError, IndexError) as err:
        raise ValueError(
            f"loss_fn could not compare the model's outputs of shape {tuple(outputs.shape)} "
            f"({outputs.dtype}) with targets of shape {tuple(targets.shape)} ({targets.dtype}): "
            f"{err}. Check the model's last layer and the loss function."
        ) from err


def _progress(total: int, desc: str, enabled: bool):
    mode = os.environ.get(PROGRESS_ENV_VAR, "auto").lower()
    if mode == "text":
        from tqdm import tqdm
    else:
        from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, disable=not enabled or mode == "off", leave=False)


@torch.no_grad()
def predict(
    model: nn.Module,
    x: torch.Tensor,
    batch_size: int = 250,
    device: str | torch.device | None = None,
    transform: Transform | None = None,
) -> torch.Tensor:
    """The model's outputs for all of ``x``, in evaluation mode, on the CPU.

    ``transform`` (optional) is applied to each batch of inputs, on the device, before
    the model sees it (for example :func:`dlcourse.bytes_to_float` for images kept as bytes).

    Taught in: book/dense_mnist.md.
    """
    device = (
        torch.device(device)
        if device is not None
        else next((p.device for p in model.parameters()), torch.device("cpu"))
    )
    was_training = model.training
    model.eval()
    try:
        return torch.cat(
            [
                model(_model_inputs(x[i : i + batch_size].to(device), transform)).cpu()
                for i in range(0, len(x), batch_size)
            ]
        )
    finally:
        model.train(was_training)


def evaluate(
    model: nn.Module,
    data: Data,
    loss_fn: Callable | None = None,
    batch_size: int = 250,
    device: str | torch.device | None = None,
    transform: Transform | None = None,
) -> dict[str, float]:
    """Loss (when ``loss_fn`` is given) and, for classifiers, accuracy on ``data``.

    Returns a dict with the keys ``"loss"`` and/or ``"accuracy"``. ``transform`` is
    applied to each batch of inputs, as in :func:`predict`.

    Taught in: book/dense_mnist.md.
    """
    x, y = _check_data(data, "data")
    outputs = predict(model, x, batch_size=batch_size, device=device, transform=transform)
    result: dict[str, float] = {}
    if loss_fn is not None:
        result["loss"] = _call_loss(loss_fn, outputs, y.cpu()).item()
    if _is_classification(outputs, y):
        result["accuracy"] = accuracy(outputs, y.cpu())
    return result


def fit(
    model: nn.Module,
    train: Data,
    *,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    epochs: int = 1,
    batch_size: int = 64,
    val: Data | None = None,
    device: str | torch.device | None = None,
    seed: int = 0,
    progress: bool = True,
    verbose: bool = True,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    transform: Transform | None = None,
) -> History:
    """Train ``model`` on the tensors ``train = (inputs, targets)``; return a :class:`History`.

    Each epoch shuffles the data (reproducibly, from ``seed``), runs
    mini-batches of ``batch_size`` through forward, loss, backward and an
    optimizer step, and records the mean training loss. With ``val`` it also
    records the validation loss; for classifiers (2-D outputs, integer
    targets) it records accuracies too. The model moves to ``device``
    (default: a GPU when present) and stays there.

    ``scheduler`` (optional) is a learning-rate scheduler of ``optimizer``,
    stepped once after every optimizer step, that is once per mini-batch
    (for example :class:`torch.optim.lr_scheduler.OneCycleLR` with
    ``total_steps = epochs * ceil(len(train) / batch_size)``).

    ``transform`` (optional) is applied to each mini-batch of inputs (training and
    validation), on the device, before the model sees it. With
    ``transform=dlcourse.bytes_to_float`` images can stay in memory as bytes
    (``load_mnist(..., dtype=torch.uint8)``), a quarter of the memory of floats.

    ``progress`` shows a progress bar while training; ``verbose`` prints one
    line per epoch. Set the environment variable ``DLCOURSE_PROGRESS=off`` to
    hide progress bars everywhere (the book build does), or ``text`` for a
    plain-text bar.

    Taught in: book/backprop.md.
    """
    x, y = _check_data(train, "train")
    if val is not None:
        val = _check_data(val, "val")
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if scheduler is not None and getattr(scheduler, "optimizer", None) is not optimizer:
        raise ValueError(
            "scheduler must be a learning-rate scheduler built on the optimizer "
            "passed to fit (for example OneCycleLR(optimizer, ...)); got "
            f"{type(scheduler).__name__}"
        )
    device = torch.device(device) if device is not None else get_device()
    model.to(device)
    x, y = x.to(device), y.to(device)
    generator = torch.Generator().manual_seed(seed)
    n_batches = -(-len(x) // batch_size)
    history = History()
    start = time.perf_counter()
    with _progress(epochs * n_batches, "training", progress) as bar:
        for epoch in range(1, epochs + 1):
            model.train()
            total_loss, total_correct, is_classifier = 0.0, 0, False
            order = torch.randperm(len(x), generator=generator).to(device)
            for i in range(0, len(x), batch_size):
                idx = order[i : i + batch_size]
                outputs = model(_model_inputs(x[idx], transform))
                loss = _call_loss(loss_fn, outputs, y[idx])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
                total_loss += loss.item() * len(idx)
                if _is_classification(outputs, y):
                    is_classifier = True
                    total_correct += (outputs.argmax(dim=1) == y[idx]).sum().item()
                bar.update(1)
                bar.set_postfix(epoch=epoch, loss=f"{loss.item():.4f}", refresh=False)
            history.train_loss.append(total_loss / len(x))
            if is_classifier:
                history.train_accuracy.append(total_correct / len(x))
            line = f"epoch {epoch}/{epochs}  train loss {history.train_loss[-1]:.4f}"
            if val is not None:
                scores = evaluate(model, val, loss_fn, device=device, transform=transform)
                history.val_loss.append(scores["loss"])
                line += f"  val loss {scores['loss']:.4f}"
                if "accuracy" in scores:
                    history.val_accuracy.append(scores["accuracy"])
                    line += f"  val accuracy {scores['accuracy']:.4f}"
            if verbose:
                bar.clear()
                print(line, flush=True)
    history.seconds = time.perf_counter() - start
    return history
