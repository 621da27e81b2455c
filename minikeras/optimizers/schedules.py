"""Learning-rate schedules: ``schedule(step)`` gives the learning rate at optimizer step ``step``.

An optimizer given a schedule as its ``learning_rate`` evaluates it at its ``iterations``
before every step (0 for the first). The built-in schedules follow Keras 3's formulas
and argument names, and compute in float64, returning a Python float.
"""

import bisect
import math
import numbers

from .. import validation
from ..registry import Configurable, Registry

__all__ = ["LearningRateSchedule", "ExponentialDecay", "InverseTimeDecay",
           "PiecewiseConstantDecay", "PolynomialDecay", "CosineDecay", "CosineDecayRestarts",
           "get", "register", "serialize"]


class LearningRateSchedule(Configurable):
    """Base class: subclasses implement ``__call__(step)`` returning a float.

    ``get_config`` returns the constructor arguments read from the attributes of the same
    names (see :class:`~minikeras.registry.Configurable`), so a subclass that keeps them
    serializes without more code.
    """

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule {type(self).__name__!r} must implement __call__(step)."
        )

    def __repr__(self):
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


_registry = Registry("learning rate schedule", LearningRateSchedule)
get, register, serialize = _registry.get, _registry.register, _registry.serialize


# ---------------------------------------------------------------------- argument checks
def _check_rate(name, value):
    """A learning rate: a finite float >= 0."""
    return validation.check_float(name, value, low=0.0)


def _check_steps(name, value):
    """A number of steps: a finite number > 0, kept an int if given as one."""
    validation.check_float(name, value, low=0.0, low_open=True)
    return int(value) if isinstance(value, numbers.Integral) else float(value)


def _check_name(name, default):
    if name is None:
        return default
    if not isinstance(name, str):
        raise ValueError(f"Argument `name` must be a string, got {validation.describe(name)}.")
    return name


def _check_numbers(name, values, **bounds):
    """``values`` as a list of floats (each checked with ``bounds``), or ValueError."""
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)):
        raise ValueError(f"Argument `{name}` must be a list of numbers, got "
                         f"{validation.describe(values)}.")
    return [validation.check_float(f"{name}[{i}]", v, **bounds) for i, v in enumerate(values)]


def _cosine_decay(fraction, alpha, scale=1.0):
    """``(1 - alpha) * scale * 0.5 * (1 + cos(pi * fraction)) + alpha``, the cosine curve
    both cosine schedules follow."""
    return (1.0 - alpha) * (0.5 * scale * (1.0 + math.cos(math.pi * fraction))) + alpha


# ---------------------------------------------------------------------- schedules
class _StepDecay(LearningRateSchedule):
    """Shared by the schedules of ``initial_learning_rate``, ``decay_steps``,
    ``decay_rate`` and ``staircase``, which differ only in ``__call__``."""

    _default_name = None

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name=None):
        initial_learning_rate = _check_rate("initial_learning_rate", initial_learning_rate)
        decay_steps = _check_steps("decay_steps", decay_steps)
        decay_rate = validation.check_float("decay_rate", decay_rate, low=0.0)
        staircase = validation.check_bool("staircase", staircase)
        self.name = _check_name(name, self._default_name)
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.decay_rate, self.staircase = decay_rate, staircase

    def _progress(self, step):
        """``step / decay_steps``, rounded down when ``staircase``."""
        progress = float(step) / self.decay_steps
        return math.floor(progress) if self.staircase else progress


@register()
class ExponentialDecay(_StepDecay):
    """Exponential decay, as in Keras::

        p = step / decay_steps                 # floor(step / decay_steps) if staircase
        learning_rate = initial_learning_rate * decay_rate ** p

    Parameters
    ----------
    initial_learning_rate : float >= 0
    decay_steps : number > 0
        Steps over which the rate is multiplied by ``decay_rate`` once.
    decay_rate : float >= 0
    staircase : bool, default False
        Decay at whole multiples of ``decay_steps`` only.
    name : str, default "ExponentialDecay"

    Raises
    ------
    ValueError
        If an argument is out of range, naming it.
    """

    _default_name = "ExponentialDecay"

    def __call__(self, step):
        return self.initial_learning_rate * self.decay_rate ** self._progress(step)


@register()
class InverseTimeDecay(_StepDecay):
    """Inverse time decay, as in Keras::

        p = step / decay_steps                 # floor(step / decay_steps) if staircase
        learning_rate = initial_learning_rate / (1 + decay_rate * p)

    Parameters
    ----------
    initial_learning_rate : float >= 0
    decay_steps : number > 0
    decay_rate : float >= 0
    staircase : bool, default False
        Decay at whole multiples of ``decay_steps`` only.
    name : str, default "InverseTimeDecay"

    Raises
    ------
    ValueError
        If an argument is out of range, naming it.
    """

    _default_name = "InverseTimeDecay"

    def __call__(self, step):
        return self.initial_learning_rate / (1.0 + self.decay_rate * self._progress(step))


@register()
class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant learning rate on each interval between boundaries, as in Keras::

        learning_rate = values[0]   if step <= boundaries[0]
                        values[i]   if boundaries[i - 1] < step <= boundaries[i]
                        values[-1]  if step > boundaries[-1]

    Parameters
    ----------
    boundaries : list of numbers, strictly increasing
    values : list of floats >= 0
        One more than ``boundaries``.
    name : str, default "PiecewiseConstant"

    Raises
    ------
    ValueError
        If the lengths do not fit, the boundaries do not increase, or an entry is not a
        finite number (a learning rate below 0), naming the argument.
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        checked_boundaries = _check_numbers("boundaries", boundaries)
        checked_values = _check_numbers("values", values, low=0.0)
        if len(checked_values) != len(checked_boundaries) + 1:
            raise ValueError(
                f"Argument `values` must have one entry more than `boundaries`, got "
                f"{len(checked_values)} values for {len(checked_boundaries)} boundaries."
            )
        if any(a >= b for a, b in zip(checked_boundaries, checked_boundaries[1:])):
            raise ValueError(f"Argument `boundaries` must be strictly increasing, got "
                             f"{validation.describe(boundaries)}.")
        self.name = _check_name(name, "PiecewiseConstant")
        # As given (ints stay ints), as lists so that the config is JSON's.
        self.boundaries, self.values = list(boundaries), list(values)
        self._boundaries, self._values = checked_boundaries, checked_values

    def __call__(self, step):
        return self._values[bisect.bisect_left(self._boundaries, float(step))]


@register()
class PolynomialDecay(LearningRateSchedule):
    """Polynomial decay from ``initial_learning_rate`` to ``end_learning_rate``, as in
    Keras::

        if cycle:   # restart at every multiple of decay_steps (1 at step 0)
            decay_steps = decay_steps * max(ceil(step / decay_steps), 1)
        else:       # then stay at end_learning_rate
            step = min(step, decay_steps)
        learning_rate = ((initial_learning_rate - end_learning_rate)
                         * (1 - step / decay_steps) ** power + end_learning_rate)

    Parameters
    ----------
    initial_learning_rate : float >= 0
    decay_steps : number > 0
    end_learning_rate : float >= 0, default 0.0001
    power : float >= 0, default 1.0
        1.0 is a linear decay.
    cycle : bool, default False
    name : str, default "PolynomialDecay"

    Raises
    ------
    ValueError
        If an argument is out of range, naming it.
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001,
                 power=1.0, cycle=False, name="PolynomialDecay"):
        initial_learning_rate = _check_rate("initial_learning_rate", initial_learning_rate)
        decay_steps = _check_steps("decay_steps", decay_steps)
        end_learning_rate = _check_rate("end_learning_rate", end_learning_rate)
        power = validation.check_float("power", power, low=0.0)
        cycle = validation.check_bool("cycle", cycle)
        self.name = _check_name(name, "PolynomialDecay")
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.end_learning_rate, self.power, self.cycle = end_learning_rate, power, cycle

    def __call__(self, step):
        step, decay_steps = float(step), float(self.decay_steps)
        if self.cycle:
            decay_steps *= 1.0 if step == 0 else math.ceil(step / decay_steps)
        else:
            step = min(step, decay_steps)
        span = self.initial_learning_rate - self.end_learning_rate
        return span * (1.0 - step / decay_steps) ** self.power + self.end_learning_rate


@register()
class CosineDecay(LearningRateSchedule):
    """Cosine decay (Loshchilov and Hutter, 2016), after an optional linear warmup, as in
    Keras::

        if warmup_target is None:            # no warmup: decay from initial_learning_rate
            top, step = initial_learning_rate, min(step, decay_steps)
        else:
            step = min(step, warmup_steps + decay_steps)
            if step < warmup_steps:          # linear warmup to warmup_target
                return (initial_learning_rate
                        + (warmup_target - initial_learning_rate) * step / warmup_steps)
            top, step = warmup_target, step - warmup_steps
        cosine = 0.5 * (1 + cos(pi * step / decay_steps))
        learning_rate = top * ((1 - alpha) * cosine + alpha)

    Parameters
    ----------
    initial_learning_rate : float >= 0
    decay_steps : number > 0
    alpha : float in [0, 1], default 0.0
        The final learning rate as a fraction of the decay's starting one.
    name : str, default "CosineDecay"
    warmup_target : float >= 0, optional
        The learning rate the warmup reaches; ``None`` means no warmup.
    warmup_steps : int >= 0, default 0
        Length of the warmup (ignored when ``warmup_target`` is None).

    Raises
    ------
    ValueError
        If an argument is out of range, naming it.
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        initial_learning_rate = _check_rate("initial_learning_rate", initial_learning_rate)
        decay_steps = _check_steps("decay_steps", decay_steps)
        alpha = validation.check_float("alpha", alpha, low=0.0, high=1.0)
        name = _check_name(name, "CosineDecay")
        warmup_target = validation.check_float("warmup_target", warmup_target, low=0.0,
                                               allow_none=True)
        warmup_steps = validation.check_int("warmup_steps", warmup_steps, minimum=0)
        self.initial_learning_rate, self.decay_steps, self.alpha = (
            initial_learning_rate, decay_steps, alpha)
        self.name, self.warmup_target, self.warmup_steps = name, warmup_target, warmup_steps

    def __call__(self, step):
        step = float(step)
        if self.warmup_target is None:
            top, step = self.initial_learning_rate, min(step, self.decay_steps)
        else:
            step = min(step, self.decay_steps + self.warmup_steps)
            if step < self.warmup_steps:
                rise = self.warmup_target - self.initial_learning_rate
                return rise * (step / self.warmup_steps) + self.initial_learning_rate
            top, step = self.warmup_target, step - self.warmup_steps
        return top * _cosine_decay(step / self.decay_steps, self.alpha)


@register()
class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov and Hutter, 2016), as in Keras.

    The first period lasts ``first_decay_steps``, each next one ``t_mul`` times longer and
    starting ``m_mul`` times lower::

        fraction = step / first_decay_steps
        if t_mul == 1:
            i = floor(fraction)                                   # periods completed
            fraction = fraction - i
        else:
            i = floor(log(1 - fraction * (1 - t_mul)) / log(t_mul))
            done = (1 - t_mul ** i) / (1 - t_mul)                 # their total length
            fraction = (fraction - done) / t_mul ** i
        cosine = 0.5 * m_mul ** i * (1 + cos(pi * fraction))
        learning_rate = initial_learning_rate * ((1 - alpha) * cosine + alpha)

    Parameters
    ----------
    initial_learning_rate : float >= 0
    first_decay_steps : number > 0
    t_mul : float >= 1, default 2.0
        Growth of the period length from one restart to the next.
    m_mul : float >= 0, default 1.0
        Factor of the starting learning rate from one restart to the next.
    alpha : float in [0, 1], default 0.0
        The lowest learning rate of each period, as a fraction of ``initial_learning_rate``.
    name : str, default "SGDRDecay"

    Raises
    ------
    ValueError
        If an argument is out of range, naming it. Unlike Keras, ``t_mul < 1`` is refused:
        ever shorter periods add up to a finite number of steps, after which Keras' formula
        takes the logarithm of a negative number.
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                 alpha=0.0, name="SGDRDecay"):
        initial_learning_rate = _check_rate("initial_learning_rate", initial_learning_rate)
        first_decay_steps = _check_steps("first_decay_steps", first_decay_steps)
        t_mul = validation.check_float("t_mul", t_mul, low=1.0)
        m_mul = validation.check_float("m_mul", m_mul, low=0.0)
        alpha = validation.check_float("alpha", alpha, low=0.0, high=1.0)
        self.name = _check_name(name, "SGDRDecay")
        self.initial_learning_rate, self.first_decay_steps = (
            initial_learning_rate, first_decay_steps)
        self.t_mul, self.m_mul, self.alpha = t_mul, m_mul, alpha

    def __call__(self, step):
        fraction = float(step) / self.first_decay_steps
        if self.t_mul == 1.0:
            restarts = math.floor(fraction)
            fraction -= restarts
        else:
            restarts = math.floor(math.log(1.0 - fraction * (1.0 - self.t_mul))
                                  / math.log(self.t_mul))
            done = (1.0 - self.t_mul ** restarts) / (1.0 - self.t_mul)
            fraction = (fraction - done) / self.t_mul ** restarts
        return self.initial_learning_rate * _cosine_decay(fraction, self.alpha,
                                                          scale=self.m_mul ** restarts)
