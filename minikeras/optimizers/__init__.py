"""Optimizers: the registry and the built-in update rules."""

from . import schedules
from .adam import Adam
from .base import Optimizer, _registry, register, serialize
from .rmsprop import RMSprop
from .sgd import SGD


def get(identifier):
    """Resolve an optimizer: "gd", "sgd", "adam", an instance or a config dict."""
    return _registry.get(identifier)


__all__ = ["Optimizer", "SGD", "Adam", "RMSprop", "get", "register", "serialize", "schedules"]
