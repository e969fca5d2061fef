"""Toy problems for looking inside small networks, and a way to train many of them at once.

- :func:`make_rings` -- two classes in the plane, a disc inside a ring: not linearly separable.
- :func:`damped_sine` / :func:`make_damped_sine` -- ``y = sin(3x) exp(-x/8)``, a regression
  target whose amplitude changes by a factor of ten across the interval.
- :class:`StackedMLPs` -- many independent one-hidden-layer networks, of different widths,
  evaluated in one batched pass, and :func:`train_stacked`, which trains them together.
  Comparing widths and random starts then costs one training run instead of dozens.
- :func:`draw_unit_lines` -- the line ``w . x + b = 0`` of each hidden unit of a 2-D layer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import torch
from torch import nn

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}


def _positive_int(value, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def _radius_range(value, name: str) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high) of radii, got {value!r}") from None
    if not 0.0 <= low < high:
        raise ValueError(f"{name} must satisfy 0 <= low < high, got {value!r}")
    return low, high


def make_rings(
    n_per_class: int = 500,
    *,
    inner: tuple[float, float] = (0.0, 1.0),
    outer: tuple[float, float] = (2.0, 3.0),
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Points of two classes in the plane: class 0 fills a disc, class 1 a ring around it.

    Each class has ``n_per_class`` points, spread evenly over the area of the annulus
    whose radii lie in ``inner`` (class 0) or ``outer`` (class 1). No straight line
    separates the classes, but a closed curve between the radii does.

    Returns ``(x, labels)``: ``float32`` points of shape ``(2 * n_per_class, 2)`` and
    ``int64`` labels 0/1 of shape ``(2 * n_per_class,)``, the class-0 points first.
    """
    n = _positive_int(n_per_class, "n_per_class")
    (a0, a1), (b0, b1) = _radius_range(inner, "inner"), _radius_range(outer, "outer")
    if b0 < a1:
        raise ValueError(
            f"the rings overlap: inner={inner!r} reaches past the start of "
            f"outer={outer!r}; the outer ring must begin at or beyond the inner one"
        )
    g = torch.Generator().manual_seed(seed)

    def annulus(r0: float, r1: float) -> torch.Tensor:
        # uniform in area: the squared radius is uniform between r0**2 and r1**2
        r = (r0**2 + (r1**2 - r0**2) * torch.rand(n, generator=g)).sqrt()
        angle = 2 * math.pi * torch.rand(n, generator=g)
        return torch.stack([r * angle.cos(), r * angle.sin()], dim=1)

    x = torch.cat([annulus(a0, a1), annulus(b0, b1)])
    labels = torch.cat([torch.zeros(n, dtype=torch.int64), torch.ones(n, dtype=torch.int64)])
    return x, labels


def damped_sine(x: torch.Tensor) -> torch.Tensor:
    """``sin(3x) * exp(-x / 8)``: an oscillation whose amplitude shrinks from left to right."""
    return torch.sin(3 * x) * torch.exp(-x / 8)


def make_damped_sine(
    n: int = 200, *, low: float = -10.0, high: float = 10.0, flip: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` evenly spaced samples of :func:`damped_sine` on ``[low, high]``, without noise.

    ``flip=True`` mirrors the targets left to right (``y(x)`` becomes ``y(low + high - x)``),
    so that the large oscillations are on the right instead.

    Returns ``(x, y)``, both ``float32`` of shape ``(n, 1)``, ready for a network with one
    input and one output.
    """
    n = _positive_int(n, "n")
    if n < 2:
        raise ValueError(f"n must be at least 2 to span an interval, got {n}")
    if not low < high:
        raise ValueError(f"low must be smaller than high, got low={low!r}, high={high!r}")
    x = torch.linspace(low, high, n)
    y = damped_sine(low + high - x) if flip else damped_sine(x)
    return x.unsqueeze(1), y.unsqueeze(1)


class StackedMLPs(nn.Module):
    """Many independent networks ``input -> hidden layer -> output``, computed together.

    Network ``k`` has ``widths[k]`` hidden units with the given activation. All networks
    share the input size, the output size and the activation; they share no weights.
    Their weights are stacked along a first axis of length ``K = len(widths)``, and the
    hidden layer is padded to the largest width with units that are switched off
    (multiplied by zero), so they neither contribute nor learn.

    Each network starts from the same distribution of weights as
    ``nn.Sequential(nn.Linear(n_in, h), activation, nn.Linear(h, n_out))``, and since
    the loss of :func:`train_stacked` is a sum of the networks' own losses and Adam
    updates every weight on its own, each network trains exactly as it would alone:
    only the arithmetic is batched. :meth:`network` returns network ``k`` as an ordinary
    ``nn.Sequential`` with a copy of its weights.
    """

    def __init__(
        self,
        n_in: int,
        widths: Sequence[int],
        n_out: int = 1,
        *,
        activation: str = "sigmoid",
        seed: int = 0,
    ):
        super().__init__()
        self.n_in = _positive_int(n_in, "n_in")
        self.n_out = _positive_int(n_out, "n_out")
        widths = list(widths)
        if not widths:
            raise ValueError("widths is empty: give at least one hidden-layer width")
        self.widths = [_positive_int(h, "every width") for h in widths]
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        self.activation = activation
        k, h_max = len(self.widths), max(self.widths)
        g = torch.Generator().manual_seed(seed)

        def uniform(shape, bound):
            return (2 * torch.rand(shape, generator=g) - 1) * bound

        # the ranges nn.Linear uses by default: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        fan_in_out = torch.tensor(self.widths, dtype=torch.float32).view(k, 1, 1)
        mask = (torch.arange(h_max).view(1, 1, h_max) < fan_in_out).float()  # (K, 1, H)
        self.register_buffer("mask", mask)
        self.w1 = nn.Parameter(uniform((k, n_in, h_max), 1 / math.sqrt(n_in)) * mask)
        self.b1 = nn.Parameter(uniform((k, 1, h_max), 1 / math.sqrt(n_in)) * mask)
        self.w2 = nn.Parameter(
            uniform((k, h_max, n_out), 1.0) / fan_in_out.sqrt() * mask.transpose(1, 2)
        )
        self.b2 = nn.Parameter(uniform((k, 1, n_out), 1.0) / fan_in_out.sqrt())
        self.act = ACTIVATIONS[activation]()

    def __len__(self) -> int:
        return len(self.widths)

    def _inputs(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim == 2 and x.shape[1] == self.n_in:
            return x.unsqueeze(0).expand(len(self), -1, -1)
        if x.ndim == 3 and x.shape[0] == len(self) and x.shape[2] == self.n_in:
            return x
        raise ValueError(
            f"StackedMLPs expects inputs of shape (N, {self.n_in}) or "
            f"({len(self)}, N, {self.n_in}), got {tuple(x.shape)}"
        )

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        """The hidden-layer activations, shape ``(K, N, max(widths))`` (padding is zero)."""
        return self.act(torch.baddbmm(self.b1, self._inputs(x), self.w1)) * self.mask

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Outputs of all networks, shape ``(K, N, n_out)``, for inputs ``(N, n_in)``
        (the same for every network) or ``(K, N, n_in)`` (one set per network)."""
        return torch.baddbmm(self.b2, self.hidden(x), self.w2)

    def network(self, k: int) -> nn.Sequential:
        """Network ``k`` as ``nn.Sequential(Linear, activation, Linear)``, with copied weights."""
        if not isinstance(k, int) or not -len(self) <= k < len(self):
            raise IndexError(f"network index must be an int in [0, {len(self)}), got {k!r}")
        h = self.widths[k]
        net = nn.Sequential(
            nn.Linear(self.n_in, h), ACTIVATIONS[self.activation](), nn.Linear(h, self.n_out)
        )
        with torch.no_grad():
            net[0].weight.copy_(self.w1[k, :, :h].T)
            net[0].bias.copy_(self.b1[k, 0, :h])
            net[2].weight.copy_(self.w2[k, :h, :].T)
            net[2].bias.copy_(self.b2[k, 0])
        return net.to(self.w1.device)


LOSSES = ("bce", "mse")


def stacked_losses(outputs: torch.Tensor, targets: torch.Tensor, loss: str) -> torch.Tensor:
    """The loss of each network, shape ``(K,)``, for outputs ``(K, N, n_out)``.

    ``targets`` has shape ``(N, n_out)`` (the same for all) or ``(K, N, n_out)``.
    ``"bce"``: binary cross-entropy on logits (targets 0/1); ``"mse"``: mean squared error.
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    if targets.shape != outputs.shape[1:] and targets.shape != outputs.shape:
        raise ValueError(
            f"targets must have shape {tuple(outputs.shape[1:])} or "
            f"{tuple(outputs.shape)} to match the outputs, got {tuple(targets.shape)}"
        )
    targets = targets.to(outputs.dtype).expand_as(outputs)
    if loss == "bce":
        each = nn.functional.binary_cross_entropy_with_logits(outputs, targets, reduction="none")
    else:
        each = (outputs - targets) ** 2
    return each.flatten(1).mean(dim=1)


def train_stacked(
    model: StackedMLPs,
    x: torch.Tensor,
    targets: torch.Tensor,
    *,
    loss: str = "bce",
    steps: int = 500,
    lr: float = 0.1,
    device: str | torch.device | None = None,
) -> torch.Tensor:
    """Train every network of ``model`` with full-batch Adam on the same ``x``.

    ``targets``: ``(N, n_out)`` for all networks, or ``(K, N, n_out)`` for a different
    target per network. ``loss`` is ``"bce"`` (binary classification, targets 0/1,
    outputs are logits) or ``"mse"`` (regression).

    Returns the loss of each network before each step, a CPU tensor of shape
    ``(steps, K)``. The model stays on ``device`` (default: where its weights are).
    """
    if not isinstance(model, StackedMLPs):
        raise TypeError(f"train_stacked expects a StackedMLPs model, got {type(model).__name__}")
    steps = _positive_int(steps, "steps")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    if device is not None:
        model.to(device)
    device = model.w1.device
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    model._inputs(x)  # checks the shape of the inputs
    shapes = [(len(x), model.n_out), (len(model), len(x), model.n_out)]
    if tuple(targets.shape) not in shapes:
        raise ValueError(
            f"targets must have shape {shapes[0]} (the same for every network) "
            f"or {shapes[1]} (one per network), got {tuple(targets.shape)}"
        )
    x, targets = x.to(device), targets.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = torch.empty(steps, len(model), device=device)
    for step in range(steps):
        losses = stacked_losses(model(x), targets, loss)
        optimizer.zero_grad()
        losses.sum().backward()
        optimizer.step()
        history[step] = losses.detach()
    return history.cpu()


UNIT_COLORS = (
    "tab:green",
    "tab:purple",
    "tab:orange",
    "tab:brown",
    "tab:pink",
    "tab:olive",
    "tab:cyan",
    "tab:gray",
)


def draw_unit_lines(
    ax: plt.Axes, layer: nn.Linear, *, colors: Sequence[str] | None = None, label: str = "unit"
) -> list:
    """Draw, for each unit of a layer with two inputs, the line ``w . x + b = 0``
    where its input changes sign: the middle of a sigmoid's step, a ReLU's kink.

    The lines span the current limits of ``ax`` (set them first). Returns the lines.
    """
    if not isinstance(layer, nn.Linear) or layer.in_features != 2:
        raise ValueError(
            "draw_unit_lines needs an nn.Linear layer with 2 inputs, got "
            f"{layer if not isinstance(layer, nn.Linear) else layer.in_features}"
        )
    w = layer.weight.detach().cpu().double()
    b = layer.bias.detach().cpu().double() if layer.bias is not None else torch.zeros(len(w))
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    # by default avoid blue and red, the colours of the two classes in the course's plots
    colors = colors or [UNIT_COLORS[i % len(UNIT_COLORS)] for i in range(len(w))]
    if len(colors) < len(w):
        raise ValueError(f"colors has {len(colors)} entries for {len(w)} units")
    lines = []
    for i, ((wx, wy), bias) in enumerate(zip(w.tolist(), b.tolist(), strict=True)):
        if abs(wy) >= abs(wx):  # solve for y: better conditioned for non-steep lines
            xs = torch.tensor([x0, x1], dtype=torch.float64)
            ys = -(bias + wx * xs) / wy
        else:
            ys = torch.tensor([y0, y1], dtype=torch.float64)
            xs = -(bias + wy * ys) / wx
        (line,) = ax.plot(
            xs.tolist(), ys.tolist(), "--", color=colors[i], lw=1.5, label=f"{label} {i + 1}"
        )
        lines.append(line)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    return lines
