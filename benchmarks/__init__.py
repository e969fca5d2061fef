"""Benchmarks of the course: ``python -m benchmarks.book`` (``make bench``), ``.seeds``
(``make bench-seeds``) and ``.site`` (``make bench-site``); ``.cnn_time_to_accuracy`` by hand."""
