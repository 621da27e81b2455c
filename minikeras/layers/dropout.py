"""``Dropout``: inverted dropout, active only while training."""

import numpy as np

from .. import utils, validation
from .base import Layer, register

__all__ = ["Dropout"]


@register()
class Dropout(Layer):
    """Zero each input with probability ``rate`` during training and scale the rest.

    ``a = x * mask / (1 - rate)`` with ``mask ~ Bernoulli(1 - rate)``, so that the expected
    activation is unchanged and inference is the identity. The mask is drawn from
    minikeras' seeded generator (or the layer's own, given a ``seed``).

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
        self.noise_shape = None if noise_shape is None else _noise_shape(noise_shape)
        self.seed = validation.check_int("seed", seed, minimum=0, allow_none=True)
        self.generator = None if seed is None else np.random.default_rng(seed)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def call(self, inputs, training=False):
        if not training or self.rate == 0.0:
            if self.recording:
                self._cache = None
            return inputs
        shape = inputs.shape
        if self.noise_shape is not None:
            shape = tuple(d if n is None else n for d, n in zip(inputs.shape, self.noise_shape))
        keep = (self.generator or utils.rng()).random(shape) >= self.rate
        mask = keep.astype(inputs.dtype) * (1.0 / (1.0 - self.rate))
        if self.recording:
            self._cache = mask
        return inputs * mask

    def backward(self, grad_output):
        return grad_output if self._cache is None else grad_output * self._cache


def _noise_shape(shape):
    if not isinstance(shape, (list, tuple)) or not all(
            d is None or (isinstance(d, int) and not isinstance(d, bool) and d >= 1)
            for d in shape):
        raise ValueError("Argument `noise_shape` must be a tuple of positive ints or None "
                         f"entries, got {validation.describe(shape)}.")
    return tuple(shape)
