"""``Dropout``: inverted dropout, active only while training."""

from .. import utils, validation
from .base import Layer, register

import numpy as np


@register()
class Dropout(Layer):
    """Zero each input with probability ``rate`` during training and scale the rest.

    ``a = x * mask / (1 - rate)`` with ``mask ~ Bernoulli(1 - rate)``, so that the expected
    activation is unchanged and inference is the identity. The mask is drawn from
    minikeras' seeded generator.

    Parameters
    ----------
    rate : float in [0, 1)
    noise_shape : tuple, optional
        Shape of the mask, broadcast against the input (None entries take the input's).
    seed : int, optional
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = validation.check_float("rate", rate, low=0.0, high=1.0, high_open=True)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._generator = None if seed is None else np.random.default_rng(seed)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def call(self, inputs, training=False):
        if not training or self.rate == 0.0:
            self._cache = None
            return inputs
        shape = inputs.shape
        if self.noise_shape is not None:
            shape = tuple(d if n is None else n for d, n in zip(inputs.shape, self.noise_shape))
        generator = self._generator or utils.rng()
        keep = generator.random(shape) >= self.rate
        self._cache = keep.astype(inputs.dtype) * (1.0 / (1.0 - self.rate))  # the mask
        return inputs * self._cache

    def backward(self, grad_output):
        return grad_output if self._cache is None else grad_output * self._cache
