"""``Reshape``: give each sample a new shape with the same number of entries."""

import math

import numpy as np

from .. import ops, validation
from .base import Layer, register

__all__ = ["Reshape"]


@register()
class Reshape(Layer):
    """``(n, *input_shape) -> (n, *target_shape)``; one entry of ``target_shape`` may be
    -1, inferred from the others. Backward reshapes the gradient back.

    Parameters
    ----------
    target_shape : tuple of int
        The per-sample shape, without the batch axis.
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        shape = tuple(target_shape) if isinstance(target_shape, (list, tuple)) else None
        if not shape or any(isinstance(d, bool) or not isinstance(d, (int, np.integer))
                            or (d < 1 and d != -1) for d in shape) or shape.count(-1) > 1:
            raise ValueError(
                "Argument `target_shape` must be a tuple of positive ints with at most one "
                f"-1, got {validation.describe(target_shape)}."
            )
        self.target_shape = tuple(int(d) for d in shape)

    def compute_output_shape(self, input_shape):
        size = math.prod(input_shape[1:])
        known = math.prod(d for d in self.target_shape if d != -1)
        if (-1 in self.target_shape and size % known) or \
                (-1 not in self.target_shape and known != size):
            raise ValueError(
                f"Argument `target_shape={self.target_shape}` of Reshape {self.name!r} does "
                f"not fit inputs of shape {tuple(input_shape)} ({size} entries per sample)."
            )
        return (input_shape[0],) + tuple(size // known if d == -1 else d
                                         for d in self.target_shape)

    def call(self, inputs, training=False):
        if self.recording:
            self._cache = np.shape(inputs)
        return ops.reshape(inputs, (np.shape(inputs)[0],) + self.target_shape)

    def backward(self, grad_output):
        return grad_output.reshape(self._cache)
