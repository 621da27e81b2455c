"""What the Adam family shares: checking ``beta_1``, ``beta_2`` and ``epsilon``, and the
in-place moving average of a moment estimate."""

import numpy as np

from .. import validation

__all__ = ["check_moment_rates", "move_average"]


def check_moment_rates(beta_1, beta_2, epsilon):
    """``(beta_1, beta_2, epsilon)`` as floats, or ValueError naming the bad one."""
    return (validation.check_float("beta_1", beta_1, low=0.0, high=1.0, high_open=True),
            validation.check_float("beta_2", beta_2, low=0.0, high=1.0, high_open=True),
            validation.check_float("epsilon", epsilon, low=0.0))


def move_average(average, target, rate, out):
    """``average += (target - average) * rate`` in place, computed in ``out`` (which may be
    ``target`` itself), as Keras updates its moment estimates."""
    np.subtract(target, average, out=out)
    out *= rate
    average += out
