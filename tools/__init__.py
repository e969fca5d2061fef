"""Maintenance scripts for the course (not part of the ``dlcourse`` package)."""
