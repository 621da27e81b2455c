"""Callbacks that set the optimizer's learning rate: ``LearningRateScheduler`` and
``ReduceLROnPlateau``."""

import inspect

from .. import validation
from .base import Callback
from .monitor import Monitor

__all__ = ["LearningRateScheduler", "ReduceLROnPlateau"]


def _current_rate(model, owner):
    schedule = model.optimizer.learning_rate_schedule
    if schedule is not None:
        raise ValueError(
            f"{owner} sets the optimizer's learning rate, which is a schedule or a function "
            f"({schedule!r}); give the optimizer a float learning rate instead."
        )
    return model.optimizer.learning_rate


class LearningRateScheduler(Callback):
    """At the start of each epoch, set the learning rate to ``schedule(epoch, lr)``.

    Parameters
    ----------
    schedule : callable
        ``schedule(epoch, lr)`` (``epoch`` 0-based, ``lr`` the current rate) or
        ``schedule(epoch)``, returning the new rate.
    verbose : int, default 0

    Notes
    -----
    The rate in effect is logged as ``"learning_rate"`` at the end of each epoch.
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise ValueError(f"Argument `schedule` must be callable, got "
                             f"{validation.describe(schedule)}.")
        self.schedule = schedule
        self.verbose = validation.check_verbose(verbose, allow_auto=False)
        parameters = inspect.signature(schedule).parameters
        self._takes_rate = len(parameters) >= 2 or any(
            p.kind == p.VAR_POSITIONAL for p in parameters.values())

    def on_train_begin(self, logs=None):
        _current_rate(self.model, "LearningRateScheduler")  # a float rate, before training

    def on_epoch_begin(self, epoch, logs=None):
        rate = _current_rate(self.model, "LearningRateScheduler")
        new = self.schedule(epoch, rate) if self._takes_rate else self.schedule(epoch)
        self.model.optimizer.learning_rate = validation.check_float(
            "the rate returned by the schedule", new, low=0.0)
        if self.verbose:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {new}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _current_rate(self.model, "LearningRateScheduler")


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` once ``monitor`` has not improved (by more
    than ``min_delta``) for ``patience`` epochs, never going below ``min_lr``.

    After a reduction, ``cooldown`` epochs pass before the wait counter runs again.

    Parameters
    ----------
    monitor : str, default "val_loss"
    factor : float in (0, 1), default 0.1
    patience : int, default 10
    verbose : int, default 0
    mode : {"auto", "min", "max"}
    min_delta : float, default 1e-4
    cooldown : int, default 0
    min_lr : float, default 0
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__()
        self._watch = Monitor(monitor, mode, min_delta, "ReduceLROnPlateau")
        self.monitor, self.mode, self.min_delta = monitor, mode, self._watch.min_delta
        self.factor = validation.check_float("factor", factor, low=0.0, high=1.0,
                                             low_open=True, high_open=True)
        self.patience = validation.check_int("patience", patience, minimum=0)
        self.verbose = validation.check_verbose(verbose, allow_auto=False)
        self.cooldown = validation.check_int("cooldown", cooldown, minimum=0)
        self.min_lr = validation.check_float("min_lr", min_lr, low=0.0)
        self.wait = 0
        self.cooldown_counter = 0
        self.best = None

    def on_train_begin(self, logs=None):
        _current_rate(self.model, "ReduceLROnPlateau")  # a float rate, before training
        self._watch.resolve(self.model)
        self.wait = 0
        self.cooldown_counter = 0
        self.best = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        rate = _current_rate(self.model, "ReduceLROnPlateau")
        logs["learning_rate"] = rate
        current = self._watch.value(logs)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._watch.improves(current, self.best):
            self.best = current
            self.wait = 0
            return
        if self.cooldown_counter > 0:
            return
        self.wait += 1
        if self.wait >= self.patience and rate > self.min_lr:
            new = max(rate * self.factor, self.min_lr)
            self.model.optimizer.learning_rate = new
            if self.verbose:
                print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new}.")
            self.cooldown_counter = self.cooldown
            self.wait = 0
