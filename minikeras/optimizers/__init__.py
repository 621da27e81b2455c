"""Optimizers: the registry and the built-in update rules."""

from . import kernels, schedules
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .base import Optimizer, get, register, serialize
from .nadam import Nadam
from .rmsprop import RMSprop
from .sgd import SGD, GradientDescent


__all__ = ["Optimizer", "SGD", "GradientDescent", "Adam", "AdamW", "Adamax", "Adagrad", "Nadam",
           "RMSprop", "get", "register", "serialize", "schedules", "kernels"]
