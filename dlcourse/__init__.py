"""Helpers shared by the chapters of the deep-learning course.

Each chapter first shows an idea by hand; once the reader has seen it, the
chapter may call the helper from here instead of repeating the code.

Modules:

- :mod:`dlcourse.data`     -- MNIST as in-memory tensors, small synthetic datasets
- :mod:`dlcourse.training` -- a device-aware training loop and evaluation
- :mod:`dlcourse.plots`    -- the figures chapters draw again and again
- :mod:`dlcourse.utils`    -- seeding, device choice, parameter counting, ``glue``
- :mod:`dlcourse.convolution` -- convolution and max pooling by hand, pictures of kernels
"""

from dlcourse.data import (
    DataError,
    data_root,
    load_mnist,
    noisy_polynomial,
    train_val_split,
)
from dlcourse.plots import plot_history, show_images
from dlcourse.training import History, accuracy, evaluate, fit, predict
from dlcourse.utils import count_parameters, get_device, glue, seed_everything
from dlcourse.convolution import (
    conv2d_by_hand,
    conv_output_size,
    max_pool2d_by_hand,
    plot_convolution,
    plot_filters,
    plot_kernel,
)

__all__ = [
    "DataError",
    "History",
    "accuracy",
    "conv2d_by_hand",
    "conv_output_size",
    "count_parameters",
    "data_root",
    "evaluate",
    "fit",
    "get_device",
    "glue",
    "load_mnist",
    "max_pool2d_by_hand",
    "noisy_polynomial",
    "plot_convolution",
    "plot_filters",
    "plot_history",
    "plot_kernel",
    "predict",
    "seed_everything",
    "show_images",
    "train_val_split",
]
__version__ = "0.1.0"
