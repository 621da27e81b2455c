"""``Dense``: the fully connected layer ``a = activation(x @ kernel + bias)``."""

import numpy as np

from .. import activations, initializers, ops, regularizers, validation
from ..variables import value_of
from .activation_head import ActivationHead
from .base import Layer, register

__all__ = ["Dense"]


@register()
class Dense(ActivationHead, Layer):
    """Fully connected layer: ``z = x @ kernel + bias``, ``a = activation(z)``.

    Parameters
    ----------
    units : int
        Output width; the kernel has shape ``(input_dim, units)``.
    activation : str, Activation, callable or None
        None means linear.
    use_bias : bool
    kernel_initializer, bias_initializer : str or Initializer
    kernel_regularizer, bias_regularizer : str, Regularizer or None

    Notes
    -----
    Back-propagation, with ``g = dL/dz`` over a batch::

        dL/dkernel = x.T @ g,   dL/dbias = sum(g, axis=0),   dL/dx = g @ kernel.T

    A subclass that changes ``logits`` (or ``call``) but not ``backward`` is differentiated
    by autograd: the formulas above hold for ``z = x @ kernel + bias`` only.
    """

    backward_follows = ("call", "logits")

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.units = validation.check_int("units", units, minimum=1)
        self.activation = activations.get(activation)
        self.use_bias = validation.check_bool("use_bias", use_bias)
        self.kernel_initializer = initializers.get_required("kernel_initializer",
                                                            kernel_initializer)
        self.bias_initializer = initializers.get_required("bias_initializer", bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def build(self, input_shape):
        self.kernel = self.add_weight((input_shape[-1], self.units), self.kernel_initializer,
                                      self.kernel_regularizer, name="kernel")
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight((self.units,), self.bias_initializer,
                                        self.bias_regularizer, name="bias")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def call(self, inputs, training=False):
        z = self.logits(inputs)
        # z is this call's own array: the activation may overwrite it (ReLU does)
        a = self.activation(z) if ops.is_traced(z) else self.activation.overwrite(z)
        if self.recording:
            self._cache = (inputs, z, a)
        return a

    def forward(self, inputs, training=True):
        """The training forward pass on numpy arrays: :meth:`call`, keeping
        ``(inputs, z, a)`` for :meth:`backward` (the hot path: no tracing checks)."""
        z = self.forward_logits(inputs)
        a = self.activation.overwrite(z)
        self.__dict__["_cache"] = (inputs, z, a)
        return a

    def logits(self, inputs):
        z = inputs @ value_of(self.kernel)
        if self.use_bias:
            bias = value_of(self.bias)
            z = z + bias if ops.is_traced(z) else np.add(z, bias, out=z)
        return z

    def forward_logits(self, inputs):
        """``z`` for a numpy batch, kept with ``inputs`` for :meth:`backward_from_logits`."""
        if type(self).logits is not Dense.logits:
            z = self.logits(inputs)  # a subclass changed the logits: use them
        else:
            z = inputs @ self.kernel._value
            if self.use_bias:
                z += self.bias._value
        self.__dict__["_cache"] = (inputs, z, None)  # a cache is never a weight: no tracking
        return z

    def backward(self, grad_output):
        _, z, a = self._cache
        return self.backward_from_logits(self.activation.backpropagate(z, a, grad_output))

    def backward_from_logits(self, grad_z):
        inputs, g2 = self._cache[0], grad_z
        if g2.ndim != 2:  # more than a batch axis: every leading position is a row
            inputs, g2 = inputs.reshape(-1, inputs.shape[-1]), g2.reshape(-1, self.units)
        kernel, bias = self.kernel, self.bias
        if kernel.trainable:
            np.matmul(inputs.T, g2, out=kernel.grad)
        if bias is not None and bias.trainable:
            ops.column_sums(g2, out=bias.grad)
        if not self.input_gradient_needed:
            return None
        return grad_z @ kernel._value.T
