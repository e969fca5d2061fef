"""Tests for dlcourse.classification: mistakes, prediction grids, histograms, boundaries."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from dlcourse.classification import (  # noqa: E402
    misclassified,
    plot_decision_boundary,
    plot_predictions,
    true_class_probability_histogram,
)

PROBS = torch.tensor(
    [
        [0.9, 0.05, 0.05],  # right (class 0)
        [0.2, 0.7, 0.1],  # wrong: label 2, confidence 0.7
        [0.1, 0.1, 0.8],  # right (class 2)
        [0.05, 0.05, 0.9],  # wrong: label 0, confidence 0.9
        [0.4, 0.5, 0.1],  # wrong: label 0, confidence 0.5
    ]
)
LABELS = torch.tensor([0, 2, 2, 0, 0])


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_misclassified_orders_mistakes_by_confidence():
    assert misclassified(PROBS, LABELS).tolist() == [3, 1, 4]
    assert misclassified(PROBS[[0, 2]], LABELS[[0, 2]]).tolist() == []


@pytest.mark.parametrize(
    "probs, labels, match",
    [
        (torch.rand(4), torch.zeros(4, dtype=torch.long), r"shape \(N, classes\)"),
        (torch.rand(4, 3), torch.zeros(3, dtype=torch.long), r"labels must have shape \(4,\)"),
        (torch.rand(4, 3), torch.zeros(4), "integer class indices"),
        (torch.rand(4, 3), torch.tensor([0, 1, 2, 3]), r"labels must lie in \[0, 3\)"),
        (torch.randn(4, 3) * 5, torch.zeros(4, dtype=torch.long), "softmax"),
        (torch.ones(4, 3, dtype=torch.long), torch.zeros(4, dtype=torch.long), "floating-point"),
    ],
)
def test_misclassified_rejects_bad_input(probs, labels, match):
    with pytest.raises(ValueError, match=match):
        misclassified(probs, labels)


def test_plot_predictions_titles_and_colours():
    fig = plot_predictions(torch.rand(5, 1, 4, 4), LABELS, PROBS, ncols=5)
    shown = [ax for ax in fig.axes if ax.images]
    titles = [ax.get_title() for ax in shown]
    assert titles[0] == "0 (90%)"
    assert titles[1] == "1 (70%)\ntrue: 2"
    assert matplotlib.colors.same_color(shown[1].title.get_color(), "red")
    assert matplotlib.colors.same_color(shown[0].title.get_color(), "black")
    named = plot_predictions(torch.rand(5, 16), LABELS, PROBS, class_names=["a", "b", "c"])
    assert [ax for ax in named.axes if ax.images][3].get_title() == "c (90%)\ntrue: a"


def test_plot_predictions_rejects_mismatches():
    with pytest.raises(ValueError, match="got 4 images for 5 rows"):
        plot_predictions(torch.rand(4, 4, 4), LABELS, PROBS)
    with pytest.raises(ValueError, match="class_names has 2 entries for 3 classes"):
        plot_predictions(torch.rand(5, 4, 4), LABELS, PROBS, class_names=["a", "b"])


def test_true_class_probability_histogram_counts_the_class():
    ax = true_class_probability_histogram(PROBS, LABELS, 0, bins=10, log=False)
    heights = [p.get_height() for p in ax.patches]
    assert sum(heights) == 3  # three examples have the label 0
    nonempty = [i for i, h in enumerate(heights) if h]
    assert len(nonempty) == 3 and nonempty[0] == 0  # p = 0.05, 0.4 and 0.9 in three bins
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "p < 0.5: 2 examples" in labels
    assert "true class 0" in ax.get_xlabel()


def test_true_class_probability_histogram_rejects_bad_input():
    with pytest.raises(ValueError, match="cls must be a class index"):
        true_class_probability_histogram(PROBS, LABELS, 3)
    with pytest.raises(ValueError, match="no example has the label 1"):
        true_class_probability_histogram(PROBS, LABELS, 1)
    with pytest.raises(ValueError, match="bins must be a positive int"):
        true_class_probability_histogram(PROBS, LABELS, 0, bins=0)


def test_plot_decision_boundary_binary_and_multiclass():
    x = torch.tensor([[-1.0, 0.0], [1.0, 0.0], [-2.0, 1.0], [2.0, -1.0]])
    labels = torch.tensor([0, 1, 0, 1])
    binary = nn.Linear(2, 1)
    with torch.no_grad():  # class 1 where x1 > 0
        binary.weight.copy_(torch.tensor([[5.0, 0.0]]))
        binary.bias.zero_()
    ax = plot_decision_boundary(binary, x, labels, resolution=20, title="t")
    assert ax.get_title() == "t"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1"]
    assert len(ax.figure.axes) == 2  # the axes and its colour bar

    three = nn.Linear(2, 3)
    ax = plot_decision_boundary(three, x, torch.tensor([0, 1, 2, 0]), resolution=10, colorbar=False)
    assert len(ax.figure.axes) == 1


@pytest.mark.parametrize(
    "x, labels, kwargs, match",
    [
        (torch.zeros(4, 3), torch.zeros(4), {}, r"shape \(N, 2\)"),
        (torch.zeros(4, 2), torch.zeros(3), {}, r"labels must have shape \(4,\)"),
        (torch.zeros(4, 2), torch.zeros(4), {"resolution": 1}, "resolution"),
    ],
)
def test_plot_decision_boundary_rejects_bad_input(x, labels, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_decision_boundary(nn.Linear(2, 1), x, labels, **kwargs)
