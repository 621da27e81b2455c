"""Layers: the ``Layer`` base class and the built-in layers."""

from .activation import Activation
from .activation_layers import ELU, LeakyReLU, ReLU, Softmax
from .base import Layer, get, register, serialize
from .batch_normalization import BatchNormalization
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten
from .gaussian_noise import GaussianNoise
from .input import Input
from .reshape import Reshape

InputLayer = Input

__all__ = ["Layer", "Input", "InputLayer", "Dense", "Activation", "Dropout", "Flatten",
           "BatchNormalization", "GaussianNoise", "Reshape", "ReLU", "LeakyReLU", "ELU",
           "Softmax",
           "get", "register", "serialize"]
