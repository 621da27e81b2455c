"""``ModelCheckpoint``: save the model (or its weights) as training goes."""

import os

import numpy as np

from .. import validation
from .base import Callback, format_value
from .monitor import Monitor

__all__ = ["ModelCheckpoint"]


class ModelCheckpoint(Callback):
    """Save the model or its weights at the end of every epoch (or every ``save_freq``
    batches), atomically: a file is written whole or not at all.

    Parameters
    ----------
    filepath : str or path-like
        May hold ``str.format`` fields filled from the epoch (1-based, as Keras) and the
        logs: ``"model_{epoch:02d}_{val_loss:.2f}.keras"``. Missing folders are made at the
        first save, as Keras does.
    monitor : str, default "val_loss"
    verbose : int, default 0
    save_best_only : bool, default False
        Save only when ``monitor`` improves on the best value so far.
    save_weights_only : bool, default False
        ``model.save_weights`` instead of ``model.save``.
    mode : {"auto", "min", "max"}
    save_freq : "epoch" or int
        An int saves every that many batches (the logs are the running epoch's).
    initial_value_threshold : float, optional
        With ``save_best_only``, a value the first save must beat.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__()
        self.filepath = os.fspath(filepath)
        self._watch = Monitor(monitor, mode, 0.0, "ModelCheckpoint")
        self.monitor, self.mode = monitor, mode
        self.verbose = validation.check_verbose(verbose, allow_auto=False)
        self.save_best_only = validation.check_bool("save_best_only", save_best_only)
        self.save_weights_only = validation.check_bool("save_weights_only", save_weights_only)
        if save_freq != "epoch":
            save_freq = validation.check_int("save_freq", save_freq, minimum=1)
        self.save_freq = save_freq
        self.best = validation.check_float("initial_value_threshold", initial_value_threshold,
                                           allow_none=True)
        self._epoch = 0
        self._batches = 0

    def on_train_begin(self, logs=None):
        if self.save_best_only:
            self._watch.resolve(self.model)
        try:  # the format specs, before any training (the keys come with the logs)
            self.filepath.format_map(_AnyField())
        except (ValueError, IndexError, TypeError) as error:
            raise ValueError(f"Argument `filepath` {self.filepath!r} of ModelCheckpoint is "
                             f"not a valid template: {error}.") from None

    def set_model(self, model):
        """Take the model, refusing one it could not save (before any callback starts)."""
        if not self.save_weights_only:
            from ..saving.model_file import saved_configs  # saving sits above callbacks
            try:
                saved_configs(model)
            except ValueError as error:
                raise ValueError(f"ModelCheckpoint cannot save this model: {error}; or pass "
                                 "save_weights_only=True.") from None
        super().set_model(model)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq != "epoch":
            self._batches += 1
            if self._batches % self.save_freq == 0:
                self._save(self._epoch, logs, batch)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, logs)

    def _save(self, epoch, logs, batch=None):
        logs = dict(logs or {})
        if self.save_best_only:
            current = self._watch.value(logs)
            best = self.best
            if best is None:  # shown as Keras does before the first value
                best = -np.inf if self._watch.higher_is_better else np.inf
            if current is None or not self._watch.improves(current, self.best):
                if self.verbose and current is not None:
                    print(f"Epoch {epoch + 1}: {self.monitor} did not improve from "
                          f"{format_value(best, 5)}")
                return
            if self.verbose:
                print(f"Epoch {epoch + 1}: {self.monitor} improved from "
                      f"{format_value(best, 5)} to {format_value(current, 5)}, saving model to "
                      f"{self._path(epoch, logs, batch)}")
            self.best = current
        elif self.verbose:  # as Keras says it
            print(f"Epoch {epoch + 1}: saving model to {self._path(epoch, logs, batch)}")
        path = self._path(epoch, logs, batch)
        folder = os.path.dirname(path)
        if folder:  # as Keras does, the checkpoint's folder is made when first needed
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)

    def _path(self, epoch, logs, batch):
        fields = {**logs, "epoch": epoch + 1}
        if batch is not None:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as error:
            raise ValueError(
                f"Argument `filepath` {self.filepath!r} of ModelCheckpoint names {error}, which "
                f"the logs do not hold; available: {sorted(fields)}."
            ) from None


class _AnyField(dict):
    """Every template field exists and is the number 1, so only the specs are checked."""

    def __missing__(self, key):
        return 1

