"""``EarlyStopping``: stop training when a monitored quantity stops improving."""

from .. import validation
from .base import Callback
from .monitor import Monitor

__all__ = ["EarlyStopping"]


class EarlyStopping(Callback):
    """Stop ``fit`` once ``monitor`` has not improved for ``patience`` epochs, as Keras does.

    Each epoch from ``start_from_epoch`` on: if the value improves on the best so far by
    more than ``min_delta``, it becomes the best; if it also improves on ``baseline`` (or
    there is none) the wait counter restarts, otherwise it grows, and training stops once
    it reaches ``patience``.

    Parameters
    ----------
    monitor : str, default "val_loss"
    min_delta : float, default 0
    patience : int, default 0
    verbose : int, default 0
        1 prints the epoch it stopped at and the epoch whose weights it restored.
    mode : {"auto", "min", "max"}
    baseline : float, optional
        Training stops unless the monitored value beats this within ``patience`` epochs.
    restore_best_weights : bool, default False
        At the end, set the weights of the best epoch (those of the last epoch if no epoch
        improved).
    start_from_epoch : int, default 0
        Epochs before this one are not watched (a warm-up).

    Attributes
    ----------
    stopped_epoch : int
        The (0-based) epoch at which training stopped; 0 if it did not stop early.
    best_epoch : int
    best : float
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self._watch = Monitor(monitor, mode, min_delta, "EarlyStopping")
        self.monitor, self.mode, self.min_delta = monitor, mode, self._watch.min_delta
        self.patience = validation.check_int("patience", patience, minimum=0)
        self.verbose = validation.check_verbose(verbose, allow_auto=False)
        self.baseline = validation.check_float("baseline", baseline, allow_none=True)
        self.restore_best_weights = validation.check_bool("restore_best_weights",
                                                          restore_best_weights)
        self.start_from_epoch = validation.check_int("start_from_epoch", start_from_epoch,
                                                     minimum=0)
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best = None
        self.best_weights = None
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._watch.resolve(self.model)
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best = None
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        current = self._watch.value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()  # until some epoch improves
            self.best_epoch = epoch
        self.wait += 1
        if self._watch.improves(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # the wait restarts only if the value also beats the baseline (Keras 3)
            if self.baseline is None or self._watch.improves(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print("Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)
