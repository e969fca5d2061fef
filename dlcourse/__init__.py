"""What several chapters of the deep-learning course share.

A chapter shows an idea by hand before it calls a helper; what one chapter teaches lives in
that chapter. What is left here is what several chapters need (each docstring names the
chapter that teaches it):

- :mod:`dlcourse.data`     -- MNIST and the CO2 record as in-memory tensors, small synthetic sets
- :mod:`dlcourse.training` -- the training loop, evaluation and prediction (backpropagation chapter)
- :mod:`dlcourse.plots`    -- image grids, training curves, a classifier's mistakes, explorers
- :mod:`dlcourse.utils`    -- the seed knob, the device, parameter counts, glue
"""

from dlcourse.data import (
    DataError,
    bytes_to_float,
    data_root,
    load_co2,
    load_mnist,
    make_rings,
    noisy_polynomial,
)
from dlcourse.plots import (
    interact_figure,
    misclassified,
    plot_decision_boundary,
    plot_history,
    plot_predictions,
    show_animation,
    show_images,
    true_class_probability_histogram,
)
from dlcourse.training import History, accuracy, evaluate, fit, predict
from dlcourse.utils import count_parameters, get_device, glue, seed_everything

__all__ = [
    "DataError",
    "History",
    "accuracy",
    "bytes_to_float",
    "count_parameters",
    "data_root",
    "evaluate",
    "fit",
    "get_device",
    "glue",
    "interact_figure",
    "load_co2",
    "load_mnist",
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
    "true_class_probability_histogram",
]
__version__ = "0.1.0"
