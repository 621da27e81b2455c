"""``Flatten``: reshape each sample to one axis."""

import numpy as np

from .base import Layer, register


@register()
class Flatten(Layer):
    """``(n, d1, d2, ...) -> (n, d1 * d2 * ...)``; backward reshapes the gradient back."""

    def compute_output_shape(self, input_shape):
        return (input_shape[0], int(np.prod(input_shape[1:])))

    def call(self, inputs, training=False):
        self._cache = inputs.shape
        return inputs.reshape(inputs.shape[0], -1)

    def backward(self, grad_output):
        return grad_output.reshape(self._cache)
