"""``Dense``: the fully connected layer ``a = activation(x @ kernel + bias)``."""

import numpy as np

from .. import activations, initializers, ops, regularizers, validation
from .base import Layer, register


@register()
class Dense(Layer):
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
    """

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.units = validation.check_int("units", units, minimum=1)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
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
        z = self._linear(inputs)
        a = self.activation(z)
        if training:
            self._cache = (inputs, a)
        return a

    def forward_logits(self, inputs):
        """Training forward without the activation: ``z = inputs @ kernel + bias``.

        The model uses it when the loss applies the output activation itself (fused).
        """
        z = self._linear(inputs)
        self._cache = (inputs, None)
        return z

    def _linear(self, inputs):
        z = inputs @ self.kernel
        if self.use_bias:
            z = z + self.bias if ops.is_traced(z) else np.add(z, self.bias, out=z)
        self.logits = z  # kept for a fused loss, which works from the logits
        return z

    def backward(self, grad_output):
        inputs, a = self._cache
        return self.backward_from_logits(self.activation.backward(self.logits, a, grad_output))

    def backward_from_logits(self, grad_z):
        """Back-propagate ``dL/dz`` (the gradient before the activation)."""
        inputs = self._cache[0]
        x2 = inputs if inputs.ndim == 2 else inputs.reshape(-1, inputs.shape[-1])
        g2 = grad_z if grad_z.ndim == 2 else grad_z.reshape(-1, self.units)
        if self.trainable:
            np.matmul(x2.T, g2, out=self.gradients[0])
            if self.use_bias:
                ops.column_sums(g2, out=self.gradients[1])
        if not self._input_gradient_needed:
            return None
        return grad_z @ self.kernel.T
