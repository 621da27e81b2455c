"""Stochastic gradient descent, with optional (Nesterov) momentum."""

import numpy as np

from .. import validation
from .base import Optimizer, register

__all__ = ["SGD", "GradientDescent"]


@register("sgd")
class SGD(Optimizer):
    """Stochastic gradient descent, as Keras' ``SGD``.

    Update rule (Keras 3)::

        if momentum == 0:
            w = w - learning_rate * g
        else:
            velocity = momentum * velocity - learning_rate * g
            w = w + velocity                                        # plain momentum
            w = w + momentum * velocity - learning_rate * g         # nesterov=True

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.01
    momentum : float in [0, 1], default 0.0
    nesterov : bool, default False
    """

    elementwise = True

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = validation.check_float("momentum", momentum, low=0.0, high=1.0)
        self.nesterov = bool(nesterov)

    def slot_names(self):
        return ("momentum",) if self.momentum else ()

    def update_step(self, gradient, variable, learning_rate, slots, scratch):
        step = np.multiply(gradient, learning_rate, out=scratch[0])
        if not self.momentum:
            variable -= step
            return
        (velocity,) = slots
        velocity *= self.momentum
        velocity -= step
        if self.nesterov:
            look_ahead = np.multiply(velocity, self.momentum, out=scratch[1])
            look_ahead -= step
            variable += look_ahead
        else:
            variable += velocity


@register("gd", "gradient_descent")
class GradientDescent(SGD):
    """Plain gradient descent, the course's first optimizer: ``w = w - learning_rate * g``.

    It is :class:`SGD` without momentum, with one difference a student expects: ``fit``
    with this optimizer and no ``batch_size`` trains on the whole data set as one batch
    (full-batch gradient descent), where other optimizers default to batches of 32.
    ``compile(optimizer="gd")`` gives it.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.01
    """

    #: ``fit`` without a ``batch_size`` uses the whole data set as one batch.
    full_batch = True

    def __init__(self, learning_rate=0.01, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
