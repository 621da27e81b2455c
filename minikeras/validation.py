"""The one place where arguments and arrays are checked.

Every check raises before anything changes, with a message that names the argument, the
value received and what was expected.
"""

import numbers

import numpy as np

from . import config

__all__ = ["describe", "check_int", "check_float", "check_choice", "check_array",
           "check_same_length", "check_samples", "check_class_weight", "check_bool",
           "check_config", "check_verbose", "check_instances"]


def describe(value):
    """Short, bounded description of a value for error messages."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_int(name, value, minimum=None, allow_none=False, maximum=None):
    """Return ``value`` as an int within ``[minimum, maximum]``, or raise ValueError naming
    ``name``."""
    if value is None and allow_none:
        return None
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if ok and (minimum is None or value >= minimum) and (maximum is None or value <= maximum):
        return int(value)
    if minimum is not None and maximum is not None:
        bound = f"an integer in [{minimum}, {maximum}]"
    elif maximum is not None:
        bound = f"an integer <= {maximum}"
    else:
        bound = "an integer" if minimum is None else f"an integer >= {minimum}"
    raise ValueError(f"Argument `{name}` must be {bound}, got {describe(value)}.")


def check_float(name, value, low=None, high=None, low_open=False, high_open=False,
                allow_none=False):
    """Return ``value`` as a float within the given bounds, or raise ValueError."""
    if value is None and allow_none:
        return None
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
    if ok:
        ok = (low is None or (value > low if low_open else value >= low)) and (
            high is None or (value < high if high_open else value <= high)
        )
    if ok:
        return float(value)
    lo = "" if low is None else ("(" if low_open else "[") + f"{low}, "
    hi = "" if high is None else f"{high}" + (")" if high_open else "]")
    expected = f"a finite number in {lo or '(-inf, '}{hi or 'inf)'}"
    raise ValueError(f"Argument `{name}` must be {expected}, got {describe(value)}.")


def check_choice(name, value, choices):
    """Return ``value`` if it is one of ``choices``, else raise ValueError.

    numpy integers count as ints; booleans never match numbers.
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        value = int(value)
    if any(value == c and type(value) is type(c) for c in choices):
        return value
    raise ValueError(f"Argument `{name}` must be one of {list(choices)}, got {describe(value)}.")


def check_array(name, value, dtype=None, min_ndim=1, allow_nonfinite=False):
    """Convert ``value`` to a numpy array and check it.

    Parameters
    ----------
    name : str
        Argument name used in messages ("x", "y", ...).
    value : array-like
        Anything ``np.asarray`` accepts (lists, pandas objects, ...).
    dtype : dtype, optional
        Target dtype; defaults to :func:`minikeras.config.floatx`.
    min_ndim : int
        Fewest axes allowed (1 by default: a batch axis).
    allow_nonfinite : bool
        If False, NaN or infinity raise ValueError.
    """
    dtype = np.dtype(dtype or config.floatx())
    if value is None:
        raise ValueError(f"Argument `{name}` must be an array, got None.")
    try:
        raw = np.asarray(value)
        if raw.dtype == object or raw.dtype.kind in "USVc":
            raise TypeError
        with np.errstate(over="ignore"):  # too large for dtype: reported below as infinite
            array = np.asarray(raw, dtype=dtype)
    except (TypeError, ValueError):
        raise ValueError(
            f"Argument `{name}` must be numeric array-like data, got {describe(value)}."
        ) from None
    if array.ndim < min_ndim:
        raise ValueError(
            f"Argument `{name}` must have at least {min_ndim} dimension(s) "
            f"(samples first), got shape {array.shape}."
        )
    if array.ndim >= 1 and array.shape[0] == 0:
        raise ValueError(f"Argument `{name}` is empty (shape {array.shape}); expected samples.")
    # The sum is finite unless an entry is NaN or infinite (or the sum overflows): one
    # pass without a temporary array; the exact test runs only if it is not.
    if not allow_nonfinite and array.dtype.kind == "f" and not _sums_finite(array) \
            and not np.isfinite(array).all():
        bad = int(array.size - np.count_nonzero(np.isfinite(array)))
        raise ValueError(
            f"Argument `{name}` contains {bad} NaN or infinite value(s) as {array.dtype}; "
            "expected finite numbers."
        )
    return array


def _sums_finite(array):
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(array.sum()))


def check_same_length(**arrays):
    """Raise ValueError unless all given arrays have the same number of samples."""
    lengths = {k: len(v) for k, v in arrays.items() if v is not None}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"`{k}` has {n}" for k, n in lengths.items())
        raise ValueError(f"Arguments must have the same number of samples, but {shown}.")


def check_samples(name, value):
    """Convert ``value`` to an array with one entry per sample, or raise ValueError."""
    if value is None:
        raise ValueError(f"Argument `{name}` is required, got None.")
    try:
        array = np.asarray(value)
    except ValueError:
        raise ValueError(
            f"Argument `{name}` must be a rectangular array, got ragged data "
            f"({type(value).__name__} of {len(value)} entries)."
        ) from None
    if array.ndim == 0:
        raise ValueError(
            f"Argument `{name}` must hold one entry per sample, got the scalar {describe(value)}."
        )
    return array


def check_class_weight(class_weight):
    """Return ``{int class index: float weight}``, or raise ValueError naming `class_weight`."""
    if not isinstance(class_weight, dict):
        raise ValueError(
            f"Argument `class_weight` must be a dict {{class index: weight}}, "
            f"got {describe(class_weight)}."
        )
    checked = {}
    for cls, weight in class_weight.items():
        key = check_int("class_weight key", cls, minimum=0)
        checked[key] = check_float(f"class_weight[{cls!r}]", weight, low=0.0)
    return checked


def check_config(name, value, keys):
    """Return ``value`` if it is a dict whose keys are among ``keys``, else ValueError."""
    if not isinstance(value, dict) or set(value) - set(keys):
        raise ValueError(f"Argument `{name}` must be a dict with keys among {list(keys)}, got "
                         f"{describe(value)}.")
    return value


def check_verbose(value, allow_auto=True):
    """Keras' verbosity: 0, 1, 2 (or "auto" where allowed); ``True``/``False`` mean 1/0,
    as in Keras."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    return check_choice("verbose", value, (0, 1, 2, "auto") if allow_auto else (0, 1, 2))


def check_bool(name, value):
    """Return ``value`` if it is a bool (numpy's too), else raise ValueError."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ValueError(f"Argument `{name}` must be a bool, got {describe(value)}.")


def check_instances(name, values, cls):
    """Return ``values`` (None means empty) as a list of ``cls`` instances, or raise."""
    values = list(values or [])
    for value in values:
        if not isinstance(value, cls):
            raise ValueError(
                f"Argument `{name}` must hold {cls.__name__} instances, got {describe(value)}."
            )
    return values
