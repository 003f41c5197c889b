"""Maestro ML: model registry, experiment tracking and a small serving API."""

__version__ = "0.4.0"
