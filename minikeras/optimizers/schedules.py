"""Learning-rate schedules: ``schedule(step)`` gives the learning rate at optimizer step ``step``."""

from ..registry import Configurable, Registry

__all__ = ["LearningRateSchedule", "get", "register", "serialize"]


class LearningRateSchedule(Configurable):
    """Base class: subclasses implement ``__call__(step)`` returning a float."""

    def __call__(self, step):
        raise NotImplementedError


_registry = Registry("learning rate schedule", LearningRateSchedule)
get, register, serialize = _registry.get, _registry.register, _registry.serialize
