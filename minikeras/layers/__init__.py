"""Layers: the ``Layer`` base class and the built-in layers."""

from .activation import Activation
from .base import Layer, get, register, serialize
from .batch_normalization import BatchNormalization
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten
from .input import Input

InputLayer = Input

__all__ = ["Layer", "Input", "InputLayer", "Dense", "Activation", "Dropout", "Flatten",
           "BatchNormalization",
           "get", "register", "serialize"]
