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
    learning_rate : float, LearningRateSchedule or callable
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
        self._slots = {}  # id(owner array) -> (owner, state arrays, two scratch arrays)
        self._views = {}  # id(variable) -> (variable, its views of the slots and scratch)

    @property
    def learning_rate(self):
        """A float, a ``LearningRateSchedule`` (called with the step) or a function of no
        arguments (called each step), as in Keras."""
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if not callable(value):
            value = validation.check_float("learning_rate", value, low=0.0)
        self._learning_rate = value

    def current_learning_rate(self):
        """The learning rate for the next step (a schedule is evaluated at ``iterations``)."""
        if isinstance(self._learning_rate, LearningRateSchedule):
            return float(self._learning_rate(self.iterations))
        if callable(self._learning_rate):
            return float(self._learning_rate())
        return self._learning_rate

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
        The state of a variable that is a contiguous view of a larger array (a weight in a
        model's flat buffer) is kept for that whole array, so any view of the same entries,
        this step or later, sees the same state.
        """
        pairs = list(grads_and_vars)
        gradients = self._clip([g for g, _ in pairs])
        learning_rate = self.current_learning_rate()
        for gradient, (_, variable) in zip(gradients, pairs):
            slots, scratch = self._state_for(variable)
            self.update_step(gradient, variable, learning_rate, slots, scratch)
        self.iterations += 1

    def _state_for(self, variable):
        """``(slots, scratch)`` for ``variable``: views into its owner's state if it has one."""
        cached = self._views.get(id(variable))
        if cached is not None and cached[0] is variable:
            return cached[1], cached[2]
        slots, scratch = self._owner_state(variable)
        self._views[id(variable)] = (variable, slots, scratch)
        return slots, scratch

    def _owner_state(self, variable):
        owner = variable.base if _is_contiguous_view(variable) else variable
        entry = self._slots.get(id(owner))
        if entry is None or entry[0] is not owner:
            scratch = np.empty((2,) + owner.shape, dtype=owner.dtype)
            entry = (owner, self.build_slots(owner), scratch)
            self._slots[id(owner)] = entry
        if owner is variable:
            return entry[1], entry[2]
        start = (variable.__array_interface__["data"][0]
                 - owner.__array_interface__["data"][0]) // owner.itemsize
        stop = start + variable.size

        def view(a):
            return a.reshape(-1)[start:stop].reshape(variable.shape)

        return [view(slot) for slot in entry[1]], [view(part) for part in entry[2]]

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
        self._views.clear()

    def variables_state(self, variable):
        """The state arrays kept for ``variable`` (empty before its first update)."""
        owner = variable.base if _is_contiguous_view(variable) else variable
        if id(owner) not in self._slots:
            return []
        return self._owner_state(variable)[0]

    def get_config(self):
        config = super().get_config()
        for key in ("learning_rate", "clipnorm", "clipvalue", "global_clipnorm", "name"):
            config[key] = _registry.serialize(getattr(self, key))
        if callable(config["learning_rate"]):
            raise ValueError(
                "An optimizer whose learning rate is a plain function has no config; use a "
                "LearningRateSchedule subclass (it serializes) instead."
            )
        return config

    def __repr__(self):
        return f"{type(self).__name__}(learning_rate={self.learning_rate!r})"


def _is_contiguous_view(variable):
    """True if ``variable`` is a C-contiguous view of a C-contiguous array of its dtype."""
    base = variable.base
    return (isinstance(base, np.ndarray) and base.dtype == variable.dtype
            and base.flags.c_contiguous and variable.flags.c_contiguous)


_registry = Registry("optimizer", Optimizer)
get, register, serialize = _registry.get, _registry.register, _registry.serialize
