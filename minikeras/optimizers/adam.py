"""Adam, with the AMSGrad variant."""

import numpy as np

from ..hierarchy import defined_below
from . import kernels
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

    Notes
    -----
    With numba installed, a model compiled with ``jit_compile="auto"`` (the default) or
    ``True`` runs this update as one compiled loop over the weights
    (:mod:`minikeras.optimizers.kernels`), with bit for bit the numbers of the twelve
    numpy passes; AMSGrad and subclasses with their own ``update_step`` keep to numpy.
    """

    elementwise = True

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = check_moment_rates(beta_1, beta_2, epsilon)
        self.amsgrad = bool(amsgrad)

    def slot_names(self):
        return ("momentum", "velocity", "velocity_hat") if self.amsgrad else ("momentum", "velocity")

    def _rates(self, dtype, learning_rate):
        """``(1 - beta_1, 1 - beta_2, alpha, epsilon)`` in ``dtype``, as Keras computes them."""
        real = dtype.type
        t = real(self.iterations + 1)
        alpha = real(learning_rate) * np.sqrt(real(1) - real(self.beta_2) ** t) / (
            real(1) - real(self.beta_1) ** t)
        return real(1 - self.beta_1), real(1 - self.beta_2), alpha, real(self.epsilon)

    def update_step(self, gradient, variable, learning_rate, slots, scratch):
        m, v = slots[0], slots[1]
        c1, c2, alpha, epsilon = self._rates(variable.dtype, learning_rate)
        step, denominator = scratch
        move_average(m, gradient, c1, out=step)
        move_average(v, np.multiply(gradient, gradient, out=step), c2, out=step)
        if self.amsgrad:
            np.maximum(slots[2], v, out=slots[2])
            v = slots[2]
        np.multiply(m, alpha, out=step)
        np.sqrt(v, out=denominator)
        denominator += epsilon
        step /= denominator
        variable -= step

    def compiled_update_step(self):
        """The update as the compiled kernel ``"adam"``, or None (AMSGrad, a subclass with
        its own ``update_step``, or no working numba)."""
        if self.amsgrad or not defined_below(type(self), "compiled_update_step", "update_step") \
                or kernels.get("adam") is None:
            return None
        return self._kernel_update_step

    def _kernel_update_step(self, gradient, variable, learning_rate, slots, scratch):
        arrays = (gradient, variable, slots[0], slots[1])
        if variable.dtype not in kernels.DTYPES \
                or not all(a.flags.c_contiguous for a in arrays):  # (packed stretches are)
            return self.update_step(gradient, variable, learning_rate, slots, scratch)
        kernels.get("adam")(*[a.reshape(-1) for a in arrays],
                            *self._rates(variable.dtype, learning_rate))
