"""``BatchNormalization``: normalize each feature over the batch, then scale and shift."""

import numpy as np

from .. import initializers, ops, regularizers, validation
from ..variables import value_of
from .base import Layer, register

__all__ = ["BatchNormalization"]


@register()
class BatchNormalization(Layer):
    """Normalize the inputs feature by feature, as Keras 3 does.

    In a training step, with the batch mean ``mu`` and (biased) variance ``var`` of each
    feature over every axis but ``axis``::

        x_hat = (x - mu) / sqrt(var + epsilon)
        y = gamma * x_hat + beta
        moving_mean = momentum * moving_mean + (1 - momentum) * mu
        moving_variance = momentum * moving_variance + (1 - momentum) * var

    In inference (``training=False``, or a frozen layer, as in Keras) ``mu`` and ``var``
    are the moving statistics and nothing changes. ``gamma`` and ``beta`` are trainable;
    ``moving_mean`` and ``moving_variance`` are not, and change only in a real training
    step (never in ``predict``, ``evaluate`` or a gradient check).

    Parameters
    ----------
    axis : int, default -1
        The feature axis.
    momentum : float in [0, 1], default 0.99
    epsilon : float > 0, default 1e-3
    center, scale : bool
        Whether to learn ``beta`` (else 0) and ``gamma`` (else 1).
    beta_initializer, gamma_initializer, moving_mean_initializer,
    moving_variance_initializer : str or Initializer
    beta_regularizer, gamma_regularizer : str or Regularizer, optional

    Notes
    -----
    Back-propagation with batch statistics, ``g = dL/dy``, means over the batch axes::

        dL/dbeta = sum(g),   dL/dgamma = sum(g * x_hat),   h = g * gamma
        dL/dx = (h - mean(h) - x_hat * mean(h * x_hat)) / sqrt(var + epsilon)

    With the moving statistics, ``dL/dx = g * gamma / sqrt(moving_variance + epsilon)``.
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.axis = validation.check_int("axis", axis, minimum=-32, maximum=31)
        self.momentum = validation.check_float("momentum", momentum, low=0.0, high=1.0)
        self.epsilon = validation.check_float("epsilon", epsilon, low=0.0, low_open=True)
        self.center = validation.check_bool("center", center)
        self.scale = validation.check_bool("scale", scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)

    def build(self, input_shape):
        rank = len(input_shape)
        if not -rank < self.axis < rank or self.axis % rank == 0:
            raise ValueError(
                f"Argument `axis={self.axis}` of BatchNormalization must name a feature axis "
                f"of inputs of shape {tuple(input_shape)} (not the batch axis)."
            )
        axis = self.axis % rank
        shape = (input_shape[axis],)
        self.gamma = (self.add_weight(shape, self.gamma_initializer, self.gamma_regularizer,
                                      name="gamma") if self.scale else None)
        self.beta = (self.add_weight(shape, self.beta_initializer, self.beta_regularizer,
                                     name="beta") if self.center else None)
        self.moving_mean = self.add_weight(shape, self.moving_mean_initializer,
                                           trainable=False, name="moving_mean")
        self.moving_variance = self.add_weight(shape, self.moving_variance_initializer,
                                               trainable=False, name="moving_variance")
        self._reduction_axes = tuple(i for i in range(rank) if i != axis)
        self._broadcast_shape = tuple(input_shape[axis] if i == axis else 1
                                      for i in range(rank))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def call(self, inputs, training=False):
        xp = ops.namespace(inputs, value_of(self.gamma), value_of(self.beta))
        axes, shape = self._reduction_axes, self._broadcast_shape
        use_batch = bool(training) and self.trainable
        if use_batch:
            mean = xp.mean(inputs, axis=axes)
            centered = inputs - xp.reshape(mean, shape)
            variance = xp.mean(centered * centered, axis=axes)
            keep = self.momentum
            self.moving_mean.assign(self.moving_mean.value * keep + mean * (1 - keep))
            self.moving_variance.assign(self.moving_variance.value * keep + variance * (1 - keep))
        else:
            mean, variance = value_of(self.moving_mean), value_of(self.moving_variance)
            centered = inputs - xp.reshape(mean, shape)
        inverse_std = 1.0 / xp.sqrt(variance + self.epsilon)
        x_hat = centered * xp.reshape(inverse_std, shape)
        outputs = x_hat
        if self.scale:
            outputs = outputs * xp.reshape(value_of(self.gamma), shape)
        if self.center:
            outputs = outputs + xp.reshape(value_of(self.beta), shape)
        if self.recording:
            self._cache = (x_hat, inverse_std, use_batch)
        return outputs

    def backward(self, grad_output):
        x_hat, inverse_std, use_batch = self._cache
        axes, shape = self._reduction_axes, self._broadcast_shape
        if self.center and self.beta.trainable:
            self.beta.grad[...] = np.sum(grad_output, axis=axes)
        if self.scale and self.gamma.trainable:
            self.gamma.grad[...] = np.sum(grad_output * x_hat, axis=axes)
        h = grad_output * self.gamma.value.reshape(shape) if self.scale else grad_output
        if not self.input_gradient_needed:
            return None
        if use_batch:
            h = h - np.mean(h, axis=axes, keepdims=True) - x_hat * np.mean(
                h * x_hat, axis=axes, keepdims=True)
        return h * inverse_std.reshape(shape)
