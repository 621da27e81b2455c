"""Global numeric settings: the default float type and the fuzz factor ``epsilon``."""

import numpy as np

__all__ = ["floatx", "set_floatx", "epsilon", "set_epsilon"]

_FLOATX = "float32"
_EPSILON = 1e-7
_ALLOWED_FLOATX = ("float32", "float64")


def floatx():
    """Return the default float type as a string, ``"float32"`` unless changed."""
    return _FLOATX


def set_floatx(value):
    """Set the default float type for new weights and converted inputs.

    Parameters
    ----------
    value : {"float32", "float64"}
        float64 is what gradient checks use; float32 is faster.
    """
    global _FLOATX
    name = np.dtype(value).name if _is_dtype_like(value) else value
    if name not in _ALLOWED_FLOATX:
        raise ValueError(
            f"Argument `value` of set_floatx must be one of {_ALLOWED_FLOATX}, got {value!r}."
        )
    _FLOATX = name


def epsilon():
    """Return the fuzz factor used to keep logarithms and divisions finite (1e-7)."""
    return _EPSILON


def set_epsilon(value):
    """Set the fuzz factor returned by :func:`epsilon`.

    Parameters
    ----------
    value : float
        A positive number.
    """
    global _EPSILON
    if not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"Argument `value` of set_epsilon must be a positive float, got {value!r}.")
    _EPSILON = float(value)


def _is_dtype_like(value):
    try:
        np.dtype(value)
    except TypeError:
        return False
    return not isinstance(value, str) or value in _ALLOWED_FLOATX
