"""Weight initializers, all drawing from minikeras' seeded generator.

``utils.set_random_seed(s)`` makes every unseeded initializer reproducible; an initializer
given its own ``seed`` returns the same values at every call, as in Keras 3.
"""

import numpy as np

from . import config, utils, validation
from .registry import Configurable, FunctionWrapper, Registry

__all__ = ["Initializer", "FunctionInitializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform",
           "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "get", "register",
           "serialize", "get_required"]


class Initializer(Configurable):
    """Base class: ``initializer(shape, dtype=None)`` returns a new array."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def _generator(self):
        seed = getattr(self, "seed", None)
        return utils.rng() if seed is None else np.random.default_rng(seed)


class FunctionInitializer(FunctionWrapper, Initializer):
    """Wraps a plain callable ``f(shape, dtype=None)`` returning an array, as Keras accepts
    for ``kernel_initializer``.

    Parameters
    ----------
    function : callable
        ``f(shape, dtype=None)``, returning an array of that shape (cast to ``dtype``).
    """

    def __call__(self, shape, dtype=None):
        dtype = dtype or config.floatx()
        values = np.asarray(self.function(tuple(shape), dtype=dtype), dtype=dtype)
        if values.shape != tuple(shape):
            raise ValueError(f"The initializer function {self.function!r} returned shape "
                             f"{values.shape} for shape {tuple(shape)}.")
        return values


_registry = Registry("initializer", Initializer, function_wrapper=FunctionInitializer)
get, register, serialize = _registry.get, _registry.register, _registry.serialize


def get_required(argument, identifier):
    """``get(identifier)``, refusing None (an argument that must name an initializer).

    Parameters
    ----------
    argument : str
        The name of the argument, for the error message (``"kernel_initializer"``).
    identifier : str, Initializer, dict, type or callable
        What :func:`get` resolves; None is refused.

    Returns
    -------
    Initializer

    Raises
    ------
    ValueError
        If ``identifier`` is None or names no initializer.
    """
    if identifier is None:
        raise ValueError(f"Argument `{argument}` must name an initializer, got None.")
    return get(identifier)


def _seed(seed):
    return validation.check_int("seed", seed, minimum=0, allow_none=True)


def _fans(shape):
    """(fan_in, fan_out) as Keras computes them for dense kernels and biases."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive


def _truncated_normal(gen, shape, stddev):
    """Normal samples, redrawn until all lie within two standard deviations."""
    values = gen.standard_normal(shape)
    bad = np.abs(values) > 2
    while bad.any():
        values[bad] = gen.standard_normal(int(bad.sum()))
        bad = np.abs(values) > 2
    return values * stddev


# Std of a unit normal truncated at +-2: rescale so the kept samples have the wanted std.
_TRUNCATION_STD = 0.87962566103423978


@register("zeros", "zero")
class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, dtype=None):
        return np.zeros(shape, dtype=dtype or config.floatx())


@register("ones", "one")
class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None):
        return np.ones(shape, dtype=dtype or config.floatx())


@register("constant")
class Constant(Initializer):
    """Every entry equal to ``value``.

    Parameters
    ----------
    value : float, default 0.0
        The value of every entry.
    """

    def __init__(self, value=0.0):
        self.value = validation.check_float("value", value)

    def __call__(self, shape, dtype=None):
        return np.full(shape, self.value, dtype=dtype or config.floatx())


@register("random_normal")
class RandomNormal(Initializer):
    """Normal draws: ``mean + stddev * N(0, 1)``.

    Parameters
    ----------
    mean : float, default 0.0
        Mean of the draws.
    stddev : float, default 0.05
        Standard deviation of the draws (non-negative).
    seed : int, optional
        A non-negative seed: every call then returns the same values. None draws from
        minikeras' generator (see :func:`minikeras.utils.set_random_seed`).
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = validation.check_float("mean", mean)
        self.stddev = validation.check_float("stddev", stddev, low=0.0)
        self.seed = _seed(seed)

    def __call__(self, shape, dtype=None):
        values = self.mean + self.stddev * self._generator().standard_normal(shape)
        return values.astype(dtype or config.floatx())


@register("random_uniform")
class RandomUniform(Initializer):
    """Uniform draws in ``[minval, maxval)``.

    Parameters
    ----------
    minval : float, default -0.05
        Lower bound (inclusive).
    maxval : float, default 0.05
        Upper bound (exclusive), at least ``minval``.
    seed : int, optional
        A non-negative seed: every call then returns the same values. None draws from
        minikeras' generator (see :func:`minikeras.utils.set_random_seed`).
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = validation.check_float("minval", minval)
        self.maxval = validation.check_float("maxval", maxval, low=self.minval)
        self.seed = _seed(seed)

    def __call__(self, shape, dtype=None):
        values = self._generator().uniform(self.minval, self.maxval, shape)
        return values.astype(dtype or config.floatx())


class _VarianceScaling(Initializer):
    """Shared rule: variance ``scale / fan``, uniform or truncated normal."""

    scale = 1.0
    fan = "fan_avg"
    distribution = "uniform"

    def __init__(self, seed=None):
        self.seed = _seed(seed)

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = _fans(tuple(shape))
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.fan]
        variance = self.scale / max(1.0, fan)
        gen = self._generator()
        if self.distribution == "uniform":
            limit = np.sqrt(3.0 * variance)
            values = gen.uniform(-limit, limit, shape)
        else:
            values = _truncated_normal(gen, shape, np.sqrt(variance) / _TRUNCATION_STD)
        return values.astype(dtype or config.floatx())


@register("glorot_uniform", "xavier_uniform")
class GlorotUniform(_VarianceScaling):
    """Uniform in ``[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))``.

    Parameters
    ----------
    seed : int, optional
        A non-negative seed: every call then returns the same values. None draws from
        minikeras' generator (see :func:`minikeras.utils.set_random_seed`).
    """


@register("glorot_normal", "xavier_normal")
class GlorotNormal(_VarianceScaling):
    """Truncated normal with ``stddev = sqrt(2 / (fan_in + fan_out))``.

    Parameters
    ----------
    seed : int, optional
        A non-negative seed: every call then returns the same values. None draws from
        minikeras' generator (see :func:`minikeras.utils.set_random_seed`).
    """

    distribution = "truncated_normal"


@register("he_uniform")
class HeUniform(_VarianceScaling):
    """Uniform in ``[-limit, limit]``, ``limit = sqrt(6 / fan_in)``.

    Parameters
    ----------
    seed : int, optional
        A non-negative seed: every call then returns the same values. None draws from
        minikeras' generator (see :func:`minikeras.utils.set_random_seed`).
    """

    scale = 2.0
    fan = "fan_in"


@register("he_normal")
class HeNormal(_VarianceScaling):
    """Truncated normal with ``stddev = sqrt(2 / fan_in)``.

    Parameters
    ----------
    seed : int, optional
        A non-negative seed: every call then returns the same values. None draws from
        minikeras' generator (see :func:`minikeras.utils.set_random_seed`).
    """

    scale = 2.0
    fan = "fan_in"
    distribution = "truncated_normal"
