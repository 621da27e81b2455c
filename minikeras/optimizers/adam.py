"""Adam, with the AMSGrad variant."""

import numpy as np

from .base import Optimizer, register
from .moments import check_moment_rates, move_average

__all__ = ["Adam"]


@register("adam")
class Adam(Optimizer):
    """Adaptive moment estimation.

    Update rule (Keras 3), with ``t = iterations + 1``::

        m = m + (g - m) * (1 - beta_1)
        v = v + (g ** 2 - v) * (1 - beta_2)
        v_hat = max(v_hat, v); v = v_hat                  # amsgrad=True only
        alpha = learning_rate * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        w = w - alpha * m / (sqrt(v) + epsilon)

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
    beta_1, beta_2 : float in [0, 1)
    epsilon : float, default 1e-7
    amsgrad : bool, default False
    """

    elementwise = True

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = check_moment_rates(beta_1, beta_2, epsilon)
        self.amsgrad = bool(amsgrad)

    def slot_names(self):
        return ("momentum", "velocity", "velocity_hat") if self.amsgrad else ("momentum", "velocity")

    def update_step(self, gradient, variable, learning_rate, slots, scratch):
        m, v = slots[0], slots[1]
        # As Keras computes it: in the variable's dtype.
        real = variable.dtype.type
        t = real(self.iterations + 1)
        alpha = real(learning_rate) * np.sqrt(real(1) - real(self.beta_2) ** t) / (
            real(1) - real(self.beta_1) ** t)
        step, denominator = scratch
        move_average(m, gradient, 1 - self.beta_1, out=step)
        move_average(v, np.multiply(gradient, gradient, out=step), 1 - self.beta_2, out=step)
        if self.amsgrad:
            np.maximum(slots[2], v, out=slots[2])
            v = slots[2]
        np.multiply(m, alpha, out=step)
        np.sqrt(v, out=denominator)
        denominator += self.epsilon
        step /= denominator
        variable -= step
