"""Tests for dlcourse.interactive: figures redrawn by ipywidgets controls."""

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from dlcourse.interactive import interact_figure  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_draws_at_once_and_again_when_a_control_changes():
    calls = []

    def draw(lr, method):
        calls.append((lr, method))
        fig, ax = plt.subplots()
        ax.set_title(f"{method} {lr}")
        return fig

    slider = ipywidgets.FloatSlider(value=0.1, min=0.0, max=1.0)
    menu = ipywidgets.Dropdown(options=["gd", "adam"], value="gd")
    interact_figure(draw, lr=slider, method=menu)
    assert calls == [(0.1, "gd")]
    slider.value = 0.5
    menu.value = "adam"
    assert calls == [(0.1, "gd"), (0.5, "gd"), (0.5, "adam")]
    assert plt.get_fignums() == []  # every figure was handed to the display and closed


def test_rejects_bad_input():
    slider = ipywidgets.IntSlider(value=1)
    with pytest.raises(TypeError, match="must be a function"):
        interact_figure("draw", n=slider)
    with pytest.raises(ValueError, match="at least one control"):
        interact_figure(lambda: plt.figure())
    with pytest.raises(TypeError, match="control 'n' must be an ipywidgets control"):
        interact_figure(lambda n: plt.figure(), n=3)
    with pytest.raises(TypeError, match="must return a matplotlib Figure, got Axes"):
        interact_figure(lambda n: plt.subplots()[1], n=slider)
