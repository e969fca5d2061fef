"""Interactive figures: sliders and menus that redraw a matplotlib figure.

:func:`interact_figure` does what ``ipywidgets.interact`` does for a function
that draws a figure, with one difference that matters for an executed book.
``interact`` shows its output inside an ``Output`` widget. The notebook
runners behind ``jupyter-book`` and ``nbconvert`` (nbclient) imitate that
widget by sending messages to the kernel while they wait for the cell to
finish, and that now and then stalls the run until the cell's timeout
(https://github.com/jupyter/nbclient/issues/312). Here the figure is an
ordinary output instead, replaced in place (through a display handle) when a
control changes: no ``Output`` widget, nothing to stall.
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt


def interact_figure(draw: Callable[..., plt.Figure], **controls) -> None:
    """Show ``controls`` (ipywidgets) and the figure ``draw(**values)`` below them.

    ``draw`` takes one keyword argument per control, named as the control, and
    returns a matplotlib figure. Whenever a control's value changes, ``draw`` is
    called again and its figure replaces the old one.

    Example::

        def draw(lr=0.1, steps=20):
            fig, ax = plt.subplots()
            ...
            return fig

        interact_figure(draw, lr=widgets.FloatSlider(0.1, min=0.01, max=1.0),
                        steps=widgets.IntSlider(20, min=1, max=100))
    """
    import ipywidgets
    from IPython.display import DisplayHandle, display

    if not callable(draw):
        raise TypeError(f"draw must be a function that returns a figure, got {type(draw).__name__}")
    if not controls:
        raise ValueError(
            "interact_figure needs at least one control, e.g. lr=ipywidgets.FloatSlider(...)"
        )
    for name, control in controls.items():
        if not isinstance(control, ipywidgets.ValueWidget):
            raise TypeError(
                f"control {name!r} must be an ipywidgets control with a value "
                f"(a slider, a dropdown, ...), got {type(control).__name__}"
            )

    def render() -> plt.Figure:
        fig = draw(**{name: control.value for name, control in controls.items()})
        if not isinstance(fig, plt.Figure):
            raise TypeError(f"draw must return a matplotlib Figure, got {type(fig).__name__}")
        plt.close(fig)  # the display handle shows it; keep pyplot from showing it again
        return fig

    first = render()  # fails here, before anything is shown, if draw is broken
    display(ipywidgets.VBox(list(controls.values())))
    handle = DisplayHandle()  # an output that can be replaced in place
    handle.display(first)

    def redraw(change) -> None:
        handle.update(render())

    for control in controls.values():
        control.observe(redraw, names="value")
