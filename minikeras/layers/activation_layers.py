"""Keras' activation layers: ``ReLU``, ``LeakyReLU``, ``ELU`` and ``Softmax``.

Each is an :class:`~minikeras.layers.Activation` layer with its activation's arguments as
its own, so a ``Softmax`` layer at the output fuses with cross-entropy like
``Activation("softmax")``.
"""

import warnings

from .. import activations
from .activation import Activation
from .base import register

__all__ = ["ReLU", "LeakyReLU", "ELU", "Softmax"]


@register()
class ReLU(Activation):
    """``clip(x * (x > threshold), 0, max_value) - negative_slope * max(threshold - x, 0)``;
    ``max(x, 0)`` with the defaults (see :class:`minikeras.activations.ReLU`).

    Parameters
    ----------
    max_value : float, optional
    negative_slope : float, default 0
    threshold : float, default 0
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(activations.ReLU(negative_slope, max_value, threshold), **kwargs)
        self.max_value = self.activation.max_value
        self.negative_slope = self.activation.negative_slope
        self.threshold = self.activation.threshold


@register()
class LeakyReLU(Activation):
    """``x`` if ``x > 0`` else ``negative_slope * x`` (Keras' layer default slope is 0.3).

    Parameters
    ----------
    negative_slope : float, default 0.3
        Keras 2's spelling ``alpha=`` is accepted with a warning, as Keras 3 does.
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("Argument `alpha` of LeakyReLU is deprecated; use `negative_slope`.",
                          stacklevel=2)  # a UserWarning, as Keras: shown by default
        super().__init__(activations.LeakyReLU(negative_slope), **kwargs)
        self.negative_slope = self.activation.negative_slope


@register()
class ELU(Activation):
    """``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``.

    Parameters
    ----------
    alpha : float, default 1.0
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(activations.ELU(alpha), **kwargs)
        self.alpha = self.activation.alpha


@register()
class Softmax(Activation):
    """``exp(x) / sum(exp(x))`` along ``axis``.

    Parameters
    ----------
    axis : int, default -1
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(activations.Softmax(axis), **kwargs)
        self.axis = self.activation.axis
