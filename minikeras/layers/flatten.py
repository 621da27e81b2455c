"""``Flatten``: reshape each sample to one axis."""

import numpy as np

from .. import ops
from .base import Layer, register

__all__ = ["Flatten"]


@register()
class Flatten(Layer):
    """``(n, d1, d2, ...) -> (n, d1 * d2 * ...)``; backward reshapes the gradient back.

    Parameters
    ----------
    name : str, optional
        Unique by default (``flatten``, ``flatten_1``, ...).
    trainable : bool, default True
        False freezes the layer's weights (Flatten has none).
    dtype : str, optional
        Weight dtype (Flatten has none); defaults to :func:`minikeras.config.floatx`.
    input_shape : tuple, optional
        Per-sample input shape, as in Keras 2.
    input_dim : int, optional
        ``input_dim=d`` means ``input_shape=(d,)``.
    """

    def compute_output_shape(self, input_shape):
        return (input_shape[0], int(np.prod(input_shape[1:])))

    def call(self, inputs, training=False):
        if self.recording:
            self._cache = inputs.shape
        return ops.reshape(inputs, (inputs.shape[0], -1))

    def backward(self, grad_output):
        return grad_output.reshape(self._cache)
