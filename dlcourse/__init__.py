"""Helpers shared by the chapters of the deep-learning course.

Each chapter first shows an idea by hand; once the reader has seen it, the
chapter may call the helper from here instead of repeating the code.

Modules:

- :mod:`dlcourse.data`           -- MNIST as in-memory tensors, small synthetic datasets
- :mod:`dlcourse.training`       -- a device-aware training loop and evaluation
- :mod:`dlcourse.plots`          -- the figures chapters draw again and again
- :mod:`dlcourse.utils`          -- seeding, device choice, parameter counting, ``glue``
- :mod:`dlcourse.interactive`    -- ipywidgets controls that redraw a figure
- :mod:`dlcourse.classification` -- a classifier's mistakes, confidence and decision boundary
- :mod:`dlcourse.toy`            -- toy datasets (rings, a damped sine) and many small networks at once
"""

from dlcourse.classification import (
    misclassified,
    plot_decision_boundary,
    plot_predictions,
    true_class_probability_histogram,
)
from dlcourse.data import (
    DataError,
    bytes_to_float,
    data_root,
    load_co2,
    load_mnist,
    noisy_polynomial,
    train_val_split,
)
from dlcourse.interactive import (
    interact_figure,
)
from dlcourse.plots import (
    plot_history,
    show_animation,
    show_images,
)
from dlcourse.toy import (
    StackedMLPs,
    damped_sine,
    draw_unit_lines,
    make_damped_sine,
    make_rings,
    train_stacked,
)
from dlcourse.training import (
    History,
    accuracy,
    evaluate,
    fit,
    predict,
)
from dlcourse.utils import (
    count_parameters,
    get_device,
    glue,
    seed_everything,
)

__all__ = [
    "DataError",
    "History",
    "StackedMLPs",
    "accuracy",
    "bytes_to_float",
    "count_parameters",
    "damped_sine",
    "data_root",
    "draw_unit_lines",
    "evaluate",
    "fit",
    "get_device",
    "glue",
    "interact_figure",
    "load_co2",
    "load_mnist",
    "make_damped_sine",
    "make_rings",
    "misclassified",
    "noisy_polynomial",
    "plot_decision_boundary",
    "plot_history",
    "plot_predictions",
    "predict",
    "seed_everything",
    "show_animation",
    "show_images",
    "train_stacked",
    "train_val_split",
    "true_class_probability_histogram",
]
__version__ = "0.1.0"
