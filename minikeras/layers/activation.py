"""``Activation``: applies an activation object as a layer of its own."""

from .. import activations
from .activation_head import ActivationHead
from .base import Layer, register

__all__ = ["Activation"]


@register()
class Activation(ActivationHead, Layer):
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
        outputs = self.activation(inputs)
        if self.recording:
            self._cache = (inputs, outputs)
        return outputs

    def logits(self, inputs):
        """The logits are the input itself; a fused loss applies the activation."""
        return inputs

    def forward_logits(self, inputs):
        return inputs

    def backward(self, grad_output):
        inputs, outputs = self._cache
        return self.activation.backpropagate(inputs, outputs, grad_output)

    def backward_from_logits(self, grad_z):
        """The input is the logits: the gradient passes through unchanged."""
        return grad_z
