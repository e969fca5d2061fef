#!/usr/bin/env python3
"""Time to reach a test accuracy on MNIST: the CNN pages' recipes against a plain loop.

A benchmark, not a test: run it by hand, on a quiet machine if you can,

    DLCOURSE_DATA=/path/to/data .venv/bin/python -m benchmarks.cnn_time_to_accuracy

It trains three networks, in one process, one after the other:

(a) the recipe of ``book/cnn.md``: a LeNet on MNIST as in-memory tensors of bytes from
    ``dlcourse.load_mnist``; mini-batches of 128 cut from those tensors and turned
    into normalised floats as they are used (``fit``'s ``transform``);
    Adam with a one-cycle learning-rate schedule (peak 1e-2) over 1 epoch; target 98.5 %;
(b) the same LeNet in a straightforward loop in the style of the reference
    notebooks: a ``DataLoader`` over ``torchvision.datasets.MNIST`` with
    ``ToTensor`` (every image decoded and converted on every epoch), batches of 64,
    Adam with its default learning rate 1e-3; target 98.5 % (``--baseline-sgd
    --baseline-batch-size 32``: the plain-SGD loop of earlier versions);
(c) the recipe of ``book/cnn_modern.md``: the small CNN (conv-BN-ReLU blocks, global
    average pooling, dropout) on the first 50 000 training digits, each batch
    randomly rotated and shifted on the fly, Adam with a one-cycle schedule over
    4 epochs; target 99.05 % (LeNet-5's published test error, 0.95 %).

Each is evaluated on the 10 000 test digits after every epoch and stops as soon
as the accuracy reaches its target. The clock measures training only: it
includes building the datasets (loading for (a) and (c), the dataset object for
(b)) and is paused while the test set is evaluated, so how often one evaluates
does not matter. It records wall time and the process's CPU time (less disturbed
by other work on the machine; with PyTorch's 2 threads, a quiet machine's wall
time is lower). The baseline is capped (epochs and minutes); when it does not
reach the target within the cap, the reported speed-up of (a) is a lower bound.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

import dlcourse


def lenet() -> nn.Sequential:
    """The network of book/cnn.md: two convolution blocks and a small classifier."""
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 6 x 12 x 12
        nn.Conv2d(6, 16, kernel_size=5),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 16 x 4 x 4
        nn.Flatten(),
        nn.Linear(16 * 4 * 4, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )


def small_cnn() -> nn.Sequential:
    """The final network of book/cnn_modern.md."""

    def conv_bn_relu(c_in: int, c_out: int, kernel_size: int) -> list[nn.Module]:
        return [
            nn.Conv2d(c_in, c_out, kernel_size, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(),
        ]

    return nn.Sequential(
        *conv_bn_relu(1, 8, 5),
        nn.MaxPool2d(2),  # 8 x 12 x 12
        *conv_bn_relu(8, 32, 3),
        nn.MaxPool2d(2),  # 32 x 5 x 5
        *conv_bn_relu(32, 64, 3),  # 64 x 3 x 3
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Dropout(0.2),
        nn.Linear(64, 10),
    )


def random_moves(images: torch.Tensor, degrees: float = 10, pixels: int = 3) -> torch.Tensor:
    """book/cnn_modern.md's augmentation: each image rotated by a random angle up to
    ``degrees`` and shifted by a random whole number of pixels up to ``pixels``."""
    n, device = len(images), images.device
    angle = torch.deg2rad(degrees * (2 * torch.rand(n, device=device) - 1))
    shift = torch.randint(-pixels, pixels + 1, (n, 2), device=device).float() / 14
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack(
        [
            torch.stack([cos, -sin, -shift[:, 0]], dim=1),
            torch.stack([sin, cos, -shift[:, 1]], dim=1),
        ],
        dim=1,
    )
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="nearest", align_corners=False)


@dataclass
class Run:
    name: str
    seconds: float = 0.0  # training clock (wall time), evaluation excluded
    cpu_seconds: float = 0.0  # CPU time of this process over the same stretches
    setup_seconds: float = 0.0  # part of `seconds` spent building the data
    epochs: int = 0
    accuracies: list[float] = field(default_factory=list)
    reached: bool = False

    def end_epoch(self, label: str, epoch: int, accuracy: float, clock: Clock, target: float):
        """Record an epoch's test accuracy and the clock; True once the target is reached."""
        self.epochs, self.seconds, self.cpu_seconds = epoch, clock.wall, clock.cpu
        self.accuracies.append(accuracy)
        print(
            f"  ({label}) epoch {epoch}: test accuracy {accuracy:.4f}, "
            f"training clock {clock.wall:6.1f} s",
            flush=True,
        )
        self.reached = accuracy >= target
        return self.reached


class Clock:
    """A stopwatch for wall and CPU time that can be paused."""

    def __init__(self):
        self.wall = self.cpu = 0.0
        self._start = None

    def __enter__(self):
        self._start = (time.perf_counter(), time.process_time())
        return self

    def __exit__(self, *exc):
        wall, cpu = self._start
        self.wall += time.perf_counter() - wall
        self.cpu += time.process_time() - cpu


def in_memory(
    run: Run,
    label: str,
    model: nn.Module,
    *,
    epochs: int,
    max_lr: float,
    train_limit: int | None,
    augment: bool,
    target: float,
    device: torch.device,
    seed: int,
) -> Run:
    """The CNN pages' recipe: MNIST as in-memory bytes, batches of 128 turned into
    normalised floats (randomly moved first with ``augment``) as they are used, Adam with
    a one-cycle schedule. Evaluated on the test digits after every epoch (the clock
    paused); stops once ``target`` is reached."""
    clock, batch_size = Clock(), 128
    with clock:
        images, labels = dlcourse.load_mnist("train", dtype=torch.uint8)
        train = images[:train_limit], labels[:train_limit]
        test = dlcourse.load_mnist("test", dtype=torch.uint8)
        # the pages' normalisation: pixel statistics of the first 10 000 training digits,
        # from a count of each byte value
        counts = torch.bincount(train[0][:10_000].flatten(), minlength=256).double()
        values = torch.arange(256, dtype=torch.float64) / 255
        mean = (counts @ values / counts.sum()).item()
        std = (counts @ (values - mean) ** 2 / (counts.sum() - 1)).sqrt().item()

        def prepare(images: torch.Tensor) -> torch.Tensor:
            return (dlcourse.bytes_to_float(images) - mean) / std

        def moved(images: torch.Tensor) -> torch.Tensor:
            return (random_moves(dlcourse.bytes_to_float(images)) - mean) / std

        optimizer = torch.optim.Adam(model.parameters())
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=max_lr, total_steps=epochs * math.ceil(len(train[1]) / batch_size)
        )
    run.setup_seconds = clock.wall
    for epoch in range(1, epochs + 1):
        with clock:
            dlcourse.fit(
                model,
                train,
                loss_fn=nn.CrossEntropyLoss(),
                optimizer=optimizer,
                scheduler=scheduler,
                batch_size=batch_size,
                device=device,
                seed=seed + epoch,
                progress=False,
                verbose=False,
                transform=moved if augment else prepare,
            )
        acc = dlcourse.evaluate(model, test, device=device, transform=prepare)["accuracy"]
        if run.end_epoch(label, epoch, acc, clock, target):
            break
    return run


def recipe(target: float, device: torch.device, seed: int) -> Run:
    """(a) book/cnn.md: LeNet, all 60 000 digits, peak learning rate 1e-2, 1 epoch."""
    name = "chapter recipe (in-memory tensors, batch 128, Adam + one-cycle)"
    setup = dict(epochs=1, max_lr=1e-2, train_limit=None, augment=False)
    dlcourse.seed_everything(seed)
    return in_memory(Run(name), "a", lenet(), **setup, target=target, device=device, seed=seed)


def modern(target: float, device: torch.device, seed: int) -> Run:
    """(c) book/cnn_modern.md: small CNN, random moves, 50 000 digits, 4 epochs, peak
    learning rate 2e-2 (the page's BN_LR)."""
    name = "small CNN page (conv-BN-ReLU, GAP, augmentation, 4 epochs)"
    setup = dict(epochs=4, max_lr=2e-2, train_limit=50_000, augment=True)
    dlcourse.seed_everything(seed)
    return in_memory(Run(name), "c", small_cnn(), **setup, target=target, device=device, seed=seed)


def baseline(
    target: float,
    device: torch.device,
    seed: int,
    max_epochs: int,
    max_minutes: float,
    batch_size: int = 64,
    sgd: bool = False,
) -> Run:
    """(b) A reference-style loop: DataLoader + ToTensor, batches of 64, Adam (lr 1e-3);
    with ``sgd``, plain SGD (lr 0.01) instead, the baseline of earlier versions (batch 32)."""
    from torchvision import datasets, transforms

    optimizer_name = "plain SGD" if sgd else "Adam"
    name = f"reference-style loop (DataLoader + ToTensor, batch {batch_size}, {optimizer_name})"
    run, clock = Run(name), Clock()
    root = str(dlcourse.data_root())
    with clock:
        train_set = datasets.MNIST(
            root, train=True, download=False, transform=transforms.ToTensor()
        )
        torch.manual_seed(seed)
        loader = torch.utils.data.DataLoader(train_set, batch_size=batch_size, shuffle=True)
        model = lenet().to(device)
        if sgd:
            optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
        else:
            optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = nn.CrossEntropyLoss()
    run.setup_seconds = clock.wall
    test_set = datasets.MNIST(root, train=False, download=False, transform=transforms.ToTensor())
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=batch_size)
    for epoch in range(1, max_epochs + 1):
        with clock:
            model.train()
            for images, labels in loader:
                images, labels = images.to(device), labels.to(device)
                loss = loss_fn(model(images), labels)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for images, labels in test_loader:
                correct += (model(images.to(device)).argmax(1).cpu() == labels).sum().item()
        acc = correct / len(test_set)
        if run.end_epoch("b", epoch, acc, clock, target):
            break
        if clock.wall > 60 * max_minutes:
            print(f"  (b) stopped: over the cap of {max_minutes:g} minutes", flush=True)
            break
    return run


def load_average() -> str:
    try:
        return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        return "load average unknown"


def warm_up(device: torch.device) -> None:
    """Pay the one-time costs before any clock runs, so that the run that comes first does
    not carry them: ``torch.optim``'s first use (it imports TorchDynamo, about a second),
    the convolution kernels' first call, a one-cycle schedule."""
    model = lenet().to(device)
    optimizer = torch.optim.Adam(model.parameters())
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-3, total_steps=2)
    for _ in range(2):
        loss = nn.functional.cross_entropy(
            model(torch.rand(64, 1, 28, 28, device=device)), torch.zeros(64, dtype=torch.long)
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", type=float, default=0.985, help="for (a) and (b)")
    parser.add_argument("--modern-target", type=float, default=0.9905, help="for (c)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--baseline-max-epochs", type=int, default=15)
    parser.add_argument(
        "--baseline-max-minutes",
        type=float,
        default=30.0,
        help="stop the baseline after this much training time",
    )
    parser.add_argument("--baseline-batch-size", type=int, default=64)
    parser.add_argument(
        "--baseline-sgd",
        action="store_true",
        help="plain SGD (lr 0.01) in the baseline instead of Adam (earlier versions: "
        "--baseline-sgd --baseline-batch-size 32)",
    )
    parser.add_argument("--skip-baseline", action="store_true", help="run (a) and (c) only")
    args = parser.parse_args()
    for name in ("target", "modern_target"):
        if not 0 < getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must lie strictly between 0 and 1")

    device = dlcourse.get_device()
    print(
        f"torch {torch.__version__} on {device}, {torch.get_num_threads()} threads, "
        f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}"
    )
    print(f"{load_average()}", flush=True)
    dlcourse.load_mnist("test", limit=1)  # check the data is there before timing anything
    warm_up(device)

    print(f"(a) chapter recipe, to {args.target:.2%}", flush=True)
    fast = recipe(args.target, device, args.seed)
    print(f"    {load_average()}", flush=True)
    slow = None
    if not args.skip_baseline:
        print(f"(b) reference-style loop, to {args.target:.2%}", flush=True)
        slow = baseline(
            args.target,
            device,
            args.seed,
            args.baseline_max_epochs,
            args.baseline_max_minutes,
            args.baseline_batch_size,
            args.baseline_sgd,
        )
        print(f"    {load_average()}", flush=True)
    print(f"(c) small CNN page, to {args.modern_target:.2%}", flush=True)
    small = modern(args.modern_target, device, args.seed)
    print(f"    {load_average()}", flush=True)

    print()
    print(f"{'':62s} {'target':>7s} {'epochs':>6s} {'accuracy':>8s} {'wall s':>7s} {'CPU s':>7s}")
    rows = [(fast, args.target), (slow, args.target), (small, args.modern_target)]
    for run, target in rows:
        if run is None:
            continue
        status = "" if run.reached else "   (did not reach it)"
        print(
            f"{run.name:62s} {target:7.2%} {run.epochs:6d} {run.accuracies[-1]:8.4f} "
            f"{run.seconds:7.1f} {run.cpu_seconds:7.1f}{status}"
        )
    if slow is not None:
        if not fast.reached:
            print(f"The chapter's recipe did not reach {args.target:.1%}: no speed-up to report.")
        else:
            bound = "" if slow.reached else "at least "
            print(
                f"Speed-up of (a) over (b) to {args.target:.1%}: "
                f"{bound}{slow.seconds / fast.seconds:.1f}x wall time, "
                f"{bound}{slow.cpu_seconds / fast.cpu_seconds:.1f}x CPU time "
                f"(data setup: {fast.setup_seconds:.1f} s vs {slow.setup_seconds:.1f} s)"
            )
    if small.reached:
        print(
            f"(c) reached {args.modern_target:.2%} after {small.seconds:.1f} s of training "
            f"({small.cpu_seconds:.1f} s CPU), {small.epochs} epoch(s)"
        )
    else:
        print(f"(c) did not reach {args.modern_target:.2%}")


if __name__ == "__main__":
    main()
