"""Helpers shared by the chapters of the deep-learning course.

Each chapter first shows an idea by hand; once the reader has seen it, the
chapter may call the helper from here instead of repeating the code.

Modules:

- :mod:`dlcourse.data`     -- MNIST as in-memory tensors, small synthetic datasets
- :mod:`dlcourse.training` -- a device-aware training loop and evaluation
- :mod:`dlcourse.plots`    -- the figures chapters draw again and again
- :mod:`dlcourse.utils`    -- seeding, device choice, parameter counting, ``glue``
- :mod:`dlcourse.autoencoders` -- noise, reconstruction errors, latent-space plots
- :mod:`dlcourse.similarity` -- cosine similarities and top-k similarity search
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
from dlcourse.data import (
    DataError,
    data_root,
    load_mnist,
    noisy_polynomial,
    train_val_split,
)
from dlcourse.plots import plot_history, show_images
from dlcourse.similarity import (
    cosine_similarity_matrix,
    label_agreement,
    normalize_rows,
    top_k_similar,
)
from dlcourse.training import History, accuracy, evaluate, fit, predict
from dlcourse.utils import count_parameters, get_device, glue, seed_everything

__all__ = [
    "DataError",
    "History",
    "accuracy",
    "add_noise",
    "cosine_similarity_matrix",
    "count_parameters",
    "data_root",
    "decode_latent_grid",
    "evaluate",
    "fit",
    "get_device",
    "glue",
    "interpolate",
    "label_agreement",
    "load_mnist",
    "noisy_polynomial",
    "normalize_rows",
    "plot_history",
    "plot_latent_grid",
    "plot_latent_space",
    "predict",
    "reconstruction_errors",
    "seed_everything",
    "show_image_rows",
    "show_images",
    "top_k_similar",
    "train_val_split",
]
__version__ = "0.1.0"
