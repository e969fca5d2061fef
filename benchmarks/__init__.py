"""Benchmarks of the course: ``python -m benchmarks.book`` (``make bench``)."""
