"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

import numpy as np

from .. import validation
from .base import Optimizer, register

__all__ = ["RMSprop"]


@register("rmsprop")
class RMSprop(Optimizer):
    """RMSprop, Keras' default optimizer for ``compile``.

    Update rule (Keras 3)::

        velocity = rho * velocity + (1 - rho) * g ** 2
        average = rho * average + (1 - rho) * g              # centered=True only
        denominator = velocity - average ** 2 + epsilon      # or velocity + epsilon
        increment = learning_rate * g / sqrt(denominator)
        momentum_buffer = momentum * momentum_buffer + increment   # momentum > 0 only
        w = w - increment   (or w - momentum_buffer)

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
    rho : float in [0, 1), default 0.9
    momentum : float in [0, 1], default 0.0
    epsilon : float, default 1e-7
    centered : bool, default False
    """

    elementwise = True

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = validation.check_float("rho", rho, low=0.0, high=1.0, high_open=True)
        self.momentum = validation.check_float("momentum", momentum, low=0.0, high=1.0)
        self.epsilon = validation.check_float("epsilon", epsilon, low=0.0)
        self.centered = bool(centered)

    def slot_names(self):
        return (("velocity",) + (("momentum",) if self.momentum else ())
                + (("average_gradient",) if self.centered else ()))

    def update_step(self, gradient, variable, learning_rate, slots, scratch):
        denominator, increment = scratch
        velocity = slots[0]
        velocity *= self.rho
        np.multiply(gradient, gradient, out=denominator)
        denominator *= 1 - self.rho
        velocity += denominator
        if self.centered:
            average = slots[-1]
            average *= self.rho
            average += np.multiply(gradient, 1 - self.rho, out=increment)
            np.multiply(average, average, out=denominator)
            np.subtract(velocity, denominator, out=denominator)
        else:
            np.copyto(denominator, velocity)
        denominator += self.epsilon
        np.sqrt(denominator, out=denominator)
        np.multiply(gradient, learning_rate, out=increment)
        increment /= denominator
        if self.momentum:
            buffer = slots[1]
            buffer *= self.momentum
            buffer += increment
            variable -= buffer
        else:
            variable -= increment
