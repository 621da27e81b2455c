"""``Input``: declares the per-sample input shape at the head of a ``Sequential``."""

import numbers

from .. import validation
from .base import Layer, register

__all__ = ["Input"]


@register("InputLayer")
class Input(Layer):
    """Fixes the input shape of a model: ``Input((4,))`` means samples of 4 features.

    Parameters
    ----------
    shape : tuple of int
        Per-sample shape, without the batch axis.
    batch_size : int, optional
        Accepted as in Keras and not enforced: a model takes batches of any size.
    dtype : str, optional
        A float type ("float16", "float32" or "float64"), kept in the layer's config. A
        ``Sequential`` takes only the shape from its ``Input``: inputs are converted to the
        dtype of the model's first weight (:func:`minikeras.config.floatx` if it has none).
    batch_shape : tuple, optional
        Keras' alternative to ``shape``: the shape with the batch axis first (which may be
        None), ``(None, 4)`` for ``shape=(4,)``.
    name : str, optional
        Unique by default (``input``, ``input_1``, ...).
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, batch_shape=None, name=None,
                 **kwargs):
        validation.check_int("batch_size", batch_size, minimum=1, allow_none=True)
        if batch_shape is not None:
            batch = batch_shape[0] if isinstance(batch_shape, (tuple, list)) and batch_shape \
                else None
            if shape is not None or not isinstance(batch_shape, (tuple, list)) \
                    or len(batch_shape) < 2 or not (batch is None or (
                        isinstance(batch, numbers.Integral) and not isinstance(batch, bool)
                        and batch > 0)) \
                    or (batch is not None and batch_size is not None and batch != batch_size):
                raise ValueError(
                    "Argument `batch_shape` of Input must be a tuple (batch, features...), "
                    "the batch None or a positive int agreeing with `batch_size`, given "
                    f"instead of `shape`; got batch_shape={batch_shape!r}, shape={shape!r}, "
                    f"batch_size={batch_size!r}.")
            shape = tuple(batch_shape[1:])
        if isinstance(shape, numbers.Integral):
            shape = (shape,)
        if shape is None or not all(isinstance(s, numbers.Integral) and not isinstance(s, bool)
                                    and s > 0 for s in tuple(shape)):
            raise ValueError(
                f"Argument `shape` of Input must be a tuple of positive ints, "
                f"got {validation.describe(shape)}."
            )
        super().__init__(name=name, dtype=dtype, input_shape=tuple(int(s) for s in shape),
                         **kwargs)
        self.shape = tuple(int(s) for s in shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def call(self, inputs, training=False):
        return inputs

    def backward(self, grad_output):
        return grad_output

    def get_config(self):
        return {"shape": list(self.shape), "name": self.name, "dtype": self.dtype}
