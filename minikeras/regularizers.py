"""Weight penalties added to the training loss, the built-in ones with their analytic
gradient (autograd differentiates those you write)."""

import autograd
import numpy as np

from . import ops, validation
from .hierarchy import defined_below
from .registry import Configurable, FunctionWrapper, Registry

__all__ = ["Regularizer", "FunctionRegularizer", "L1L2", "L1", "L2", "l1", "l2", "l1_l2",
           "get", "register", "serialize"]


class Regularizer(Configurable):
    """Base class: ``penalty = regularizer(w)``; ``gradient(w)`` is d penalty / dw.

    Subclass it the Keras way, writing ``__call__(w)`` with ``minikeras.ops``: autograd
    then supplies the gradient. A subclass may also write ``gradient`` by hand.
    """

    def __call__(self, w):
        """The penalty for weight array ``w``, a scalar added to the training loss."""
        raise NotImplementedError

    def gradient(self, w):
        """d penalty / d w, an array shaped like ``w``: what back-propagation adds to the
        weight's gradient. Here autograd's, of :meth:`__call__`.

        Parameters
        ----------
        w : numpy.ndarray
            The weight's value.
        """
        return np.asarray(autograd.grad(self)(w), dtype=np.asarray(w).dtype)


def penalty(regularizer, w, path="the weight"):
    """``regularizer(w)``, checked to be one number (ValueError naming ``path`` if not)."""
    value = regularizer(w)
    if np.ndim(value) != 0:
        raise ValueError(
            f"The regularizer {regularizer!r} of {path} returned an array of shape "
            f"{np.shape(value)}; a penalty is one number (sum it: ops.sum(...)).")
    return value


def penalty_gradient(regularizer, w):
    """The gradient training uses: the regularizer's ``gradient`` if it is written for its
    class's ``__call__`` (a subclass of ``L2`` changing ``__call__`` alone gets
    autograd's)."""
    if defined_below(type(regularizer), "gradient", "__call__"):
        return regularizer.gradient(w)
    return Regularizer.gradient(regularizer, w)


class FunctionRegularizer(FunctionWrapper, Regularizer):
    """Wraps a plain callable ``f(w)`` returning a scalar penalty (written with
    ``minikeras.ops``), as Keras accepts for ``kernel_regularizer``.

    Parameters
    ----------
    function : callable
        ``f(w)``, returning the penalty for weight array ``w`` as one number.
    """

    def __call__(self, w):
        return self.function(w)


_registry = Registry("regularizer", Regularizer, function_wrapper=FunctionRegularizer)
get, register, serialize = _registry.get, _registry.register, _registry.serialize


@register("l1l2", "l1_l2")
class L1L2(Regularizer):
    """``penalty = l1 * sum(|w|) + l2 * sum(w ** 2)``.

    Parameters
    ----------
    l1 : float, default 0.0
        Factor of the L1 penalty (non-negative).
    l2 : float, default 0.0
        Factor of the L2 penalty (non-negative).
    """

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
    """``penalty = l1 * sum(|w|)``.

    Parameters
    ----------
    l1 : float, default 0.01
        Factor of the penalty (non-negative).
    """

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)


@register("l2")
class L2(L1L2):
    """``penalty = l2 * sum(w ** 2)``.

    Parameters
    ----------
    l2 : float, default 0.01
        Factor of the penalty (non-negative).
    """

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)


# Keras' lowercase spellings: ``regularizers.l2(0.01)`` is an ``L2``.
l1, l2, l1_l2 = L1, L2, L1L2
