"""``GaussianNoise``: add zero-mean normal noise while training."""

import numpy as np

from .. import utils, validation
from .base import Layer, register

__all__ = ["GaussianNoise"]


@register()
class GaussianNoise(Layer):
    """``a = x + stddev * N(0, 1)`` in training, ``a = x`` in inference; ``dL/dx = dL/da``.

    The noise is drawn from minikeras' seeded generator (or the layer's own, given a
    ``seed``), a regularizer as in Keras.

    Parameters
    ----------
    stddev : float >= 0
    seed : int, optional
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = validation.check_float("stddev", stddev, low=0.0)
        self.seed = validation.check_int("seed", seed, minimum=0, allow_none=True)
        self.generator = None if seed is None else np.random.default_rng(seed)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def call(self, inputs, training=False):
        if not training or self.stddev == 0.0:
            return inputs
        noise = (self.generator or utils.rng()).standard_normal(np.shape(inputs))
        return inputs + (self.stddev * noise).astype(np.result_type(inputs))

    def backward(self, grad_output):
        return grad_output
