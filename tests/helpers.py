"""Shared test helpers: autograd references for gradients."""

import numpy as np
from autograd import grad, make_vjp

from minikeras.utils import relative_error

TOLERANCE = 1e-7


def autograd_vjp(function, argument, cotangent):
    """The vector-Jacobian product of ``function`` at ``argument`` with ``cotangent``."""
    vjp, _ = make_vjp(function)(argument)
    return vjp(cotangent)


def assert_close_gradient(actual, expected, tolerance=TOLERANCE):
    error = relative_error(actual, expected)
    assert np.shape(actual) == np.shape(expected)
    assert error < tolerance, f"relative error {error:.3e} >= {tolerance:.0e}"


__all__ = ["autograd_vjp", "assert_close_gradient", "grad", "TOLERANCE"]
