"""``Activation``: applies an activation object as a layer of its own."""

from .. import activations
from .base import Layer, register


@register()
class Activation(Layer):
    """Layer computing ``a = activation(inputs)``.

    Parameters
    ----------
    activation : str, Activation or callable
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.logits = None
        self._outputs = None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def call(self, inputs, training=False):
        self.logits = inputs
        self._outputs = self.activation(inputs)
        return self._outputs

    def forward_logits(self, inputs):
        """The logits are the input itself; the fused loss applies the activation."""
        self.logits = inputs
        return inputs

    def backward(self, grad_output):
        return self.activation.backward(self.logits, self._outputs, grad_output)

    def backward_from_logits(self, grad_z):
        """The input is the logits: the gradient passes through unchanged."""
        return grad_z
