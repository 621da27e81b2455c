"""``ActivationHead``: the protocol of layers whose output is ``activation(z)``.

A model whose last layer is such a layer may compute the loss from the logits ``z``
(softmax with categorical cross-entropy, sigmoid with binary cross-entropy), so that
back-propagation starts from ``dL/dz = (p - y) / n``. The model decides at compile time;
the layer only offers the three methods below.
"""

__all__ = ["ActivationHead"]


class ActivationHead:
    """Mixin for layers computing ``a = activation(z)`` with ``z`` depending on the inputs.

    Subclasses set ``self.activation`` and implement the three methods.
    """

    def logits(self, inputs):
        """``z`` for ``inputs``, without side effects.

        Parameters
        ----------
        inputs : array
            A batch, as :meth:`~minikeras.layers.Layer.call` takes it.

        Returns
        -------
        array
            The logits ``z``, before the activation.
        """
        raise NotImplementedError

    def forward_logits(self, inputs):
        """``z`` for ``inputs``, remembering what :meth:`backward_from_logits` needs.

        Parameters
        ----------
        inputs : numpy.ndarray
            A batch of a training step, of the layer's dtype.

        Returns
        -------
        numpy.ndarray
            The logits ``z``.
        """
        raise NotImplementedError

    def backward_from_logits(self, grad_z):
        """Back-propagate ``dL/dz``: write the weights' gradients, return ``dL/dinputs``.

        Parameters
        ----------
        grad_z : numpy.ndarray
            ``dL/dz`` for the batch of the last :meth:`forward_logits`, of the logits'
            shape.

        Returns
        -------
        numpy.ndarray or None
            ``dL/dinputs``; None if the layer's ``input_gradient_needed`` is False.
        """
        raise NotImplementedError
