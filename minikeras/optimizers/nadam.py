"""Nadam: Adam with Nesterov momentum."""

import numpy as np

from .moments import check_moment_rates, move_average
from .base import Optimizer, register

__all__ = ["Nadam"]


@register("nadam")
class Nadam(Optimizer):
    """Nesterov-accelerated Adam (Dozat, 2015), with its momentum-cache schedule.

    Update rule (Keras 3), with ``t = iterations + 1`` and every scalar in the variable's
    dtype::

        u_t = beta_1 * (1 - 0.5 * 0.96 ** t)                # the momentum cache
        u_next = beta_1 * (1 - 0.5 * 0.96 ** (t + 1))
        u_product = u_product * u_t                         # once per step, kept
        m = m + (g - m) * (1 - beta_1)
        v = v + (g ** 2 - v) * (1 - beta_2)
        m_hat = u_next * m / (1 - u_product * u_next) + (1 - u_t) * g / (1 - u_product)
        v_hat = v / (1 - beta_2 ** t)
        w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    ``u_product``, the product of the caches of all steps so far (1 before the first), is
    state of the optimizer, not of a variable: it advances once per step in
    :meth:`before_update` and is kept, as in Keras, in the dtype of the first variable the
    optimizer was built for. It is a function of ``iterations`` alone, so when
    ``iterations`` is set from outside (a loaded model, state copied by hand) it is
    recomputed step by step, with the same arithmetic, giving the same bits.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
    beta_1 : float in [0, 1), default 0.9
    beta_2 : float in [0, 1), default 0.999
    epsilon : float >= 0, default 1e-7
    **kwargs
        ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``weight_decay``, ``name`` (see
        :class:`~minikeras.optimizers.Optimizer`).
    """

    elementwise = True

    #: The base of the momentum-cache schedule, ``0.96 ** t`` (Keras' constant).
    _CACHE_DECAY = 0.96

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        rates = check_moment_rates(beta_1, beta_2, epsilon)
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = rates
        self._u_product = None  # a numpy scalar: the product of the caches of steps 1..n
        self._u_product_steps = 0  # n

    def slot_names(self):
        return ("momentum", "velocity")

    def _cache_factor(self, real, step):
        """``1 - 0.5 * 0.96 ** step`` in dtype ``real``: the momentum cache of step ``step``
        (counted from 1) is ``beta_1`` times this."""
        return real(1) - real(0.5) * real(self._CACHE_DECAY) ** real(step)

    def before_update(self, variables, learning_rate):
        """Weight decay, then ``u_product`` advanced to this step (``iterations + 1``)."""
        super().before_update(variables, learning_rate)
        real = self._trained[0].dtype.type
        target = self.iterations + 1
        stale = (self._u_product is None or type(self._u_product) is not real
                 or self._u_product_steps >= target)
        if stale:  # first step, or iterations was set from outside: replay from step 1
            self._u_product, self._u_product_steps = real(1), 0
        while self._u_product_steps < target:
            step = self._u_product_steps + 1
            # As Keras groups it: (u_product * beta_1) * (1 - 0.5 * 0.96 ** t).
            self._u_product = (self._u_product * real(self.beta_1)
                               * self._cache_factor(real, step))
            self._u_product_steps = step

    def update_step(self, gradient, variable, learning_rate, slots, scratch):
        m, v = slots
        real = variable.dtype.type
        t = self.iterations + 1
        beta_1, beta_2 = real(self.beta_1), real(self.beta_2)
        u_t = beta_1 * self._cache_factor(real, t)
        u_next = beta_1 * self._cache_factor(real, t + 1)
        u_product = real(self._u_product)
        u_product_next = u_product * u_next
        step, other = scratch
        move_average(m, gradient, real(1) - beta_1, out=step)
        move_average(v, np.multiply(gradient, gradient, out=step), real(1) - beta_2, out=step)
        np.multiply(m, u_next, out=step)
        step /= real(1) - u_product_next
        np.multiply(gradient, real(1) - u_t, out=other)
        other /= real(1) - u_product
        step += other  # m_hat
        step *= real(learning_rate)
        np.divide(v, real(1) - beta_2 ** real(t), out=other)
        np.sqrt(other, out=other)
        other += real(self.epsilon)
        step /= other
        variable -= step
