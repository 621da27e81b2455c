"""Adamax: Adam with the infinity norm in place of the second moment."""

import numpy as np

from .base import Optimizer, register
from .moments import check_moment_rates, move_average

__all__ = ["Adamax"]


@register("adamax")
class Adamax(Optimizer):
    """Adamax (Kingma and Ba, 2014, section 7.1).

    Update rule (Keras 3), with ``t = iterations + 1`` and the scalars in the variable's
    dtype::

        m = m + (g - m) * (1 - beta_1)
        u = max(beta_2 * u, abs(g))
        w = w - learning_rate * m / ((1 - beta_1 ** t) * (u + epsilon))

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
    beta_1 : float in [0, 1), default 0.9
        Decay rate of the first moment ``m``.
    beta_2 : float in [0, 1), default 0.999
        Decay rate of the exponentially weighted infinity norm ``u``.
    epsilon : float >= 0, default 1e-7
    **kwargs
        ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``weight_decay``, ``name`` (see
        :class:`~minikeras.optimizers.Optimizer`).
    """

    elementwise = True

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        rates = check_moment_rates(beta_1, beta_2, epsilon)
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = rates

    def slot_names(self):
        return ("momentum", "norm")

    def update_step(self, gradient, variable, learning_rate, slots, scratch):
        m, u = slots
        real = variable.dtype.type
        beta_1_power = real(self.beta_1) ** real(self.iterations + 1)
        step, denominator = scratch
        move_average(m, gradient, real(1 - self.beta_1), out=step)
        u *= real(self.beta_2)
        np.maximum(u, np.abs(gradient, out=step), out=u)
        np.multiply(m, real(learning_rate), out=step)
        np.add(u, real(self.epsilon), out=denominator)
        denominator *= real(1) - beta_1_power
        step /= denominator
        variable -= step
