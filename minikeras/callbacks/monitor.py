"""``Monitor``: the quantity a callback watches, which way is better, and what counts as
better. ``EarlyStopping``, ``ModelCheckpoint`` and ``ReduceLROnPlateau`` share it."""

import math
import warnings

import numpy as np

from .. import validation

__all__ = ["Monitor"]


class Monitor:
    """Watch ``logs[monitor]``.

    Parameters
    ----------
    monitor : str
        A key of the epoch logs, such as ``"val_loss"`` or ``"accuracy"``.
    mode : {"auto", "min", "max"}
        "auto" asks the model: lower is better for a loss, and for a compiled metric its
        ``direction`` decides (higher for accuracies, AUC, precision, recall, F1, R2; lower
        for errors), as Keras 3 does; :meth:`resolve` raises if neither tells.
    min_delta : float
        A value improves on a reference only if it is better by more than this.
    owner : str
        The callback's name, for messages.
    """

    def __init__(self, monitor, mode="auto", min_delta=0.0, owner="callback"):
        if not isinstance(monitor, str):
            raise ValueError(f"Argument `monitor` of {owner} must be a log key such as "
                             f"'val_loss', got {validation.describe(monitor)}.")
        self.mode = validation.check_choice("mode", mode, ("auto", "min", "max"))
        self.monitor = monitor
        self.min_delta = abs(validation.check_float("min_delta", min_delta))
        self.higher_is_better = mode == "max" if mode != "auto" else None
        self.owner = owner
        self._warned = False

    def resolve(self, model):
        """Settle "auto" from the model's metrics (call at the start of training).

        Raises
        ------
        ValueError
            If the direction of the monitored quantity cannot be told.
        """
        self._warned = False
        if self.mode != "auto":
            return
        name = self.monitor[4:] if self.monitor.startswith("val_") else self.monitor
        direction = "down" if name.endswith("loss") else None
        for metric in getattr(model, "metrics", []):
            if metric.name == name and metric.direction is not None:
                direction = metric.direction
        if direction is None:
            raise ValueError(
                f"{self.owner} monitors {self.monitor!r}, and minikeras cannot tell whether "
                "it should rise or fall; pass mode='max' or mode='min'."
            )
        self.higher_is_better = direction == "up"

    def worst(self):
        """A value every finite value improves on."""
        return -math.inf if self.higher_is_better else math.inf

    def improves(self, value, reference):
        """True if ``value`` is better than ``reference`` by more than ``min_delta``; a NaN
        value never is (as in Keras, whose best starts at plus or minus infinity)."""
        if np.any(np.isnan(value)):
            return False
        if reference is None:
            return True
        if self.higher_is_better:
            return value - self.min_delta > reference
        return value + self.min_delta < reference

    def value(self, logs):
        """``logs[monitor]``, or None (with one warning per run) if it is not logged."""
        value = (logs or {}).get(self.monitor)
        if value is None and not self._warned:
            self._warned = True
            warnings.warn(
                f"{self.owner} monitors {self.monitor!r}, which is not in the logs; available "
                f"keys are {sorted(logs or {})}.", stacklevel=3)
        return value
