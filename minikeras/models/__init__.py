"""Models: ``Sequential`` and the trainer behind its ``fit``."""

from .sequential import Sequential

__all__ = ["Sequential"]
