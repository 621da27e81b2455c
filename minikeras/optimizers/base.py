"""The ``Optimizer`` base class: the loop over variables, clipping, schedules, the counter.

A concrete optimizer writes only ``build_slots(variable)`` (its per-variable state) and
``update_step(gradient, variable, learning_rate, slots, scratch)``, updating ``variable``
in place; ``scratch`` holds two preallocated arrays shaped like the variable, so that a
step allocates nothing.
"""

import numpy as np

from .. import validation
from ..registry import Configurable, Registry
from .schedules import LearningRateSchedule


class Optimizer(Configurable):
    """Base class of optimizers.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule
    clipnorm : float, optional
        Rescale each gradient so that its L2 norm is at most this.
    clipvalue : float, optional
        Clip each gradient entry to ``[-clipvalue, clipvalue]``.
    global_clipnorm : float, optional
        Rescale all gradients together so that their joint L2 norm is at most this.
    name : str, optional
    """

    #: True if ``update_step`` treats every entry independently, so that the model may hand
    #: it all weights as one flat buffer (see ``minikeras.models.flat_weights``).
    elementwise = False

    def __init__(self, learning_rate=0.001, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None):
        if not isinstance(learning_rate, LearningRateSchedule) and not callable(learning_rate):
            validation.check_float("learning_rate", learning_rate, low=0.0)
        self.learning_rate = learning_rate
        self.clipnorm = validation.check_float("clipnorm", clipnorm, low=0.0, low_open=True,
                                               allow_none=True)
        self.clipvalue = validation.check_float("clipvalue", clipvalue, low=0.0,
                                                low_open=True, allow_none=True)
        self.global_clipnorm = validation.check_float("global_clipnorm", global_clipnorm,
                                                      low=0.0, low_open=True, allow_none=True)
        given = {k: v for k, v in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                                   ("global_clipnorm", global_clipnorm)) if v is not None}
        if len(given) > 1:
            raise ValueError(
                "Only one of the arguments `clipnorm`, `clipvalue` and `global_clipnorm` may be "
                f"set (as in Keras), got {given}."
            )
        self.name = name or type(self).__name__.lower()
        self.iterations = 0
        self._slots = {}

    def current_learning_rate(self):
        """The learning rate for the next step (a schedule is evaluated at ``iterations``)."""
        if callable(self.learning_rate):
            return float(self.learning_rate(self.iterations))
        return float(self.learning_rate)

    def build_slots(self, variable):
        """Return the list of state arrays this optimizer keeps for ``variable``."""
        return []

    def update_step(self, gradient, variable, learning_rate, slots, scratch):
        """Update ``variable`` in place from ``gradient``, using ``slots`` and the two
        ``scratch`` arrays."""
        raise NotImplementedError

    def apply_gradients(self, grads_and_vars):
        """Apply one step: ``grads_and_vars`` is a sequence of ``(gradient, variable)``.

        Variables are numpy arrays updated in place; the iteration counter then advances.
        """
        pairs = list(grads_and_vars)
        gradients = self._clip([g for g, _ in pairs])
        learning_rate = self.current_learning_rate()
        for gradient, (_, variable) in zip(gradients, pairs):
            entry = self._slots.get(id(variable))
            if entry is None or entry[0] is not variable:
                scratch = np.empty((2,) + variable.shape, dtype=variable.dtype)
                entry = (variable, self.build_slots(variable), scratch)
                self._slots[id(variable)] = entry
            self.update_step(gradient, variable, learning_rate, entry[1], entry[2])
        self.iterations += 1

    def _clip(self, gradients):
        if self.clipvalue is not None:
            gradients = [np.clip(g, -self.clipvalue, self.clipvalue) for g in gradients]
        if self.clipnorm is not None:
            gradients = [g * (self.clipnorm / max(float(np.linalg.norm(g)), self.clipnorm))
                         for g in gradients]
        if self.global_clipnorm is not None:
            norm = float(np.sqrt(sum(float(np.sum(g * g)) for g in gradients)))
            scale = self.global_clipnorm / max(norm, self.global_clipnorm)
            gradients = [g * scale for g in gradients]
        return gradients

    def discard_state(self, variables):
        """Forget the state kept for ``variables`` (their arrays are no longer trained)."""
        for variable in variables:
            self._slots.pop(id(variable), None)

    def variables_state(self, variable):
        """The state arrays kept for ``variable`` (empty before its first update)."""
        slots = self._slots.get(id(variable))
        return [] if slots is None else slots[1]

    def get_config(self):
        config = super().get_config()
        for key in ("learning_rate", "clipnorm", "clipvalue", "global_clipnorm", "name"):
            config[key] = _registry.serialize(getattr(self, key))
        return config

    def __repr__(self):
        return f"{type(self).__name__}(learning_rate={self.learning_rate!r})"


_registry = Registry("optimizer", Optimizer)
get, register, serialize = _registry.get, _registry.register, _registry.serialize
