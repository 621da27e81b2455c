"""Adagrad: a learning rate per entry, shrinking with the sum of its squared gradients."""

import numpy as np

from .. import validation
from .base import Optimizer, register

__all__ = ["Adagrad"]


@register("adagrad")
class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011): entries updated often take ever smaller steps.

    Update rule (Keras 3), in the variable's dtype::

        accumulator = accumulator + g ** 2           # starts at initial_accumulator_value
        w = w - learning_rate * g / sqrt(accumulator + epsilon)

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        Adagrad usually wants a larger one than other optimizers (the paper's form is 1.0).
    initial_accumulator_value : float >= 0, default 0.1
        Starting value of every accumulator entry.
    epsilon : float >= 0, default 1e-7
    **kwargs
        ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``weight_decay``, ``name`` (see
        :class:`~minikeras.optimizers.Optimizer`).
    """

    elementwise = True

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 **kwargs):
        initial = validation.check_float("initial_accumulator_value", initial_accumulator_value,
                                         low=0.0)
        epsilon = validation.check_float("epsilon", epsilon, low=0.0)
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.initial_accumulator_value = initial
        self.epsilon = epsilon

    def slot_names(self):
        return ("accumulator",)

    def initial_slot_value(self, slot_name, variable):
        return np.full(variable.shape, self.initial_accumulator_value, dtype=variable.dtype)

    def update_step(self, gradient, variable, learning_rate, slots, scratch):
        (accumulator,) = slots
        real = variable.dtype.type
        step, denominator = scratch
        accumulator += np.multiply(gradient, gradient, out=step)
        np.add(accumulator, real(self.epsilon), out=denominator)
        np.sqrt(denominator, out=denominator)
        np.multiply(gradient, real(learning_rate), out=step)
        step /= denominator
        variable -= step
