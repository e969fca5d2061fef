"""Helpers shared by the chapters of the deep-learning course.

Each chapter first shows an idea by hand; once the reader has seen it, the
chapter may call the helper from here instead of repeating the code.

Modules:

- :mod:`dlcourse.data`           -- MNIST as in-memory tensors, small synthetic datasets
- :mod:`dlcourse.training`       -- a device-aware training loop and evaluation
- :mod:`dlcourse.plots`          -- the figures chapters draw again and again
- :mod:`dlcourse.utils`          -- seeding, device choice, parameter counting, ``glue``
- :mod:`dlcourse.regression`     -- polynomial design matrix and mean squared error
- :mod:`dlcourse.optimizers`     -- gradient descent, momentum and Adam written by hand
- :mod:`dlcourse.landscapes`     -- 2-D loss surfaces and plots of optimisers' paths
- :mod:`dlcourse.interactive`    -- ipywidgets controls that redraw a figure
- :mod:`dlcourse.classification` -- a classifier's mistakes, confidence and decision boundary
- :mod:`dlcourse.toy`            -- toy datasets (rings, a damped sine) and many small networks at once
- :mod:`dlcourse.convolution`    -- convolution and max pooling by hand, pictures of kernels
- :mod:`dlcourse.sequences`      -- time series: split, scale, window, forecast step by step
- :mod:`dlcourse.autoencoders`   -- noise, reconstruction errors, latent-space plots
- :mod:`dlcourse.similarity`     -- cosine similarities and top-k similarity search
"""

from dlcourse.autoencoders import (
    add_noise,
    decode_latent_grid,
    interpolate,
    plot_latent_grid,
    plot_latent_space,
    reconstruction_errors,
    show_image_rows,
)
from dlcourse.classification import (
    misclassified,
    plot_decision_boundary,
    plot_predictions,
    true_class_probability_histogram,
)
from dlcourse.convolution import (
    conv2d_by_hand,
    conv_output_size,
    max_pool2d_by_hand,
    plot_convolution,
    plot_filters,
    plot_kernel,
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
from dlcourse.landscapes import (
    QuadraticBowl,
    RuggedValley,
    Surface,
    plot_contours,
    plot_paths,
)
from dlcourse.optimizers import (
    adam_step,
    descend,
    gd_step,
    momentum_step,
)
from dlcourse.plots import (
    plot_history,
    show_animation,
    show_images,
)
from dlcourse.regression import (
    design_matrix,
    mse,
)
from dlcourse.sequences import (
    Standardizer,
    autoregressive_forecast,
    difference,
    make_windows,
    rolling_origins,
    time_split,
    undifference,
)
from dlcourse.similarity import (
    cosine_similarity_matrix,
    label_agreement,
    normalize_rows,
    top_k_similar,
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
    "QuadraticBowl",
    "RuggedValley",
    "StackedMLPs",
    "Standardizer",
    "Surface",
    "accuracy",
    "adam_step",
    "add_noise",
    "autoregressive_forecast",
    "bytes_to_float",
    "conv2d_by_hand",
    "conv_output_size",
    "cosine_similarity_matrix",
    "count_parameters",
    "damped_sine",
    "data_root",
    "decode_latent_grid",
    "descend",
    "design_matrix",
    "difference",
    "draw_unit_lines",
    "evaluate",
    "fit",
    "gd_step",
    "get_device",
    "glue",
    "interact_figure",
    "interpolate",
    "label_agreement",
    "load_co2",
    "load_mnist",
    "make_damped_sine",
    "make_rings",
    "make_windows",
    "max_pool2d_by_hand",
    "misclassified",
    "momentum_step",
    "mse",
    "noisy_polynomial",
    "normalize_rows",
    "plot_contours",
    "plot_convolution",
    "plot_decision_boundary",
    "plot_filters",
    "plot_history",
    "plot_kernel",
    "plot_latent_grid",
    "plot_latent_space",
    "plot_paths",
    "plot_predictions",
    "predict",
    "reconstruction_errors",
    "rolling_origins",
    "seed_everything",
    "show_animation",
    "show_image_rows",
    "show_images",
    "time_split",
    "top_k_similar",
    "train_stacked",
    "train_val_split",
    "true_class_probability_histogram",
    "undifference",
]
__version__ = "0.1.0"
