"""``Monitor``: the quantity a callback watches, which way is better, and what counts as
better. ``EarlyStopping``, ``ModelCheckpoint`` and ``ReduceLROnPlateau`` share it."""

import math
import warnings

from .. import validation

__all__ = ["Monitor"]

# Logged quantities (without "val_") for which higher is better, as Keras decides "auto".
_HIGHER_IS_BETTER = ("acc", "accuracy", "auc", "precision", "recall", "f1_score", "r2_score")


class Monitor:
    """Watch ``logs[monitor]``.

    Parameters
    ----------
    monitor : str
        A key of the epoch logs, such as ``"val_loss"`` or ``"accuracy"``.
    mode : {"auto", "min", "max"}
        "auto" means "max" for accuracies, AUC, precision, recall, F1 and R2, else "min".
    min_delta : float
        A value improves on a reference only if it is better by more than this.
    owner : str
        The callback's name, for messages.
    """

    def __init__(self, monitor, mode="auto", min_delta=0.0, owner="callback"):
        if not isinstance(monitor, str):
            raise ValueError(f"Argument `monitor` of {owner} must be a log key such as "
                             f"'val_loss', got {validation.describe(monitor)}.")
        validation.check_choice("mode", mode, ("auto", "min", "max"))
        self.monitor = monitor
        self.min_delta = abs(validation.check_float("min_delta", min_delta))
        name = monitor[4:] if monitor.startswith("val_") else monitor
        self.higher_is_better = mode == "max" or (
            mode == "auto" and name.endswith(_HIGHER_IS_BETTER))
        self.owner = owner
        self._warned = False

    def worst(self):
        """A value every finite value improves on."""
        return -math.inf if self.higher_is_better else math.inf

    def improves(self, value, reference):
        """True if ``value`` is better than ``reference`` by more than ``min_delta``."""
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
