"""Optimizers: the registry and the built-in update rules."""

from . import schedules
from .adam import Adam
from .base import Optimizer, get, register, serialize
from .rmsprop import RMSprop
from .sgd import SGD


__all__ = ["Optimizer", "SGD", "Adam", "RMSprop", "get", "register", "serialize", "schedules"]
