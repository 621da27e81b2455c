"""Weight penalties added to the training loss, each with its analytic gradient."""

import numpy as np

from . import ops, validation
from .registry import Configurable, Registry

__all__ = ["Regularizer", "L1L2", "L1", "L2", "l1", "l2", "l1_l2", "get", "register",
           "serialize"]


class Regularizer(Configurable):
    """Base class: ``penalty = regularizer(w)``; ``gradient(w)`` is d penalty / dw."""

    def __call__(self, w):
        """The penalty for weight array ``w``, a scalar added to the training loss."""
        raise NotImplementedError

    def gradient(self, w):
        """d penalty / d w, an array shaped like ``w``: what back-propagation adds to the
        weight's gradient."""
        raise NotImplementedError


_registry = Registry("regularizer", Regularizer)
get, register, serialize = _registry.get, _registry.register, _registry.serialize


@register("l1l2", "l1_l2")
class L1L2(Regularizer):
    """``penalty = l1 * sum(|w|) + l2 * sum(w ** 2)``."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = validation.check_float("l1", l1, low=0.0)
        self.l2 = validation.check_float("l2", l2, low=0.0)

    def __call__(self, w):
        xp = ops.namespace(w)
        return self.l1 * xp.sum(xp.abs(w)) + self.l2 * xp.sum(w * w)

    def gradient(self, w):
        return self.l1 * np.sign(w) + (2.0 * self.l2) * w


@register("l1")
class L1(L1L2):
    """``penalty = l1 * sum(|w|)``."""

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)


@register("l2")
class L2(L1L2):
    """``penalty = l2 * sum(w ** 2)``."""

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)


# Keras' lowercase spellings: ``regularizers.l2(0.01)`` is an ``L2``.
l1, l2, l1_l2 = L1, L2, L1L2
