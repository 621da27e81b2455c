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

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def call(self, inputs, training=False):
        self.logits = inputs
        outputs = self.activation(inputs)
        if training:
            self._cache = outputs
        return outputs

    def forward_logits(self, inputs):
        """The logits are the input itself; the fused loss applies the activation."""
        self.logits = inputs
        return inputs

    def backward(self, grad_output):
        return self.activation.backward(self.logits, self._cache, grad_output)

    def backward_from_logits(self, grad_z):
        """The input is the logits: the gradient passes through unchanged."""
        return grad_z
