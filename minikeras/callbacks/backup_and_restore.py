"""``BackupAndRestore``: resume an interrupted ``fit`` from the end of its last epoch."""

import json
import os

import numpy as np

from .. import utils, validation
from .base import Callback

__all__ = ["BackupAndRestore"]

_STATE = "backup.json"
_KEYS = {"epoch", "model", "generators", "learning_rate"}


class BackupAndRestore(Callback):
    """Back up the training state after every epoch; a later ``fit`` of the same model,
    given the same ``backup_dir``, continues from there as if never interrupted.

    The backup holds the weights, the optimizer state, iteration count and learning rate,
    the epoch, and the state of minikeras' random generator and of the layers' own (so
    the next epochs shuffle and drop out as they would have): an interrupted run resumed
    this way ends with the same weights as an uninterrupted one, bit for bit. Other
    callbacks start afresh, as in Keras (an ``EarlyStopping`` forgets its best epoch).
    Every file is written atomically; ``backup.json`` is written last and names the model
    file of the epoch it records. A damaged backup raises ``ValueError`` before anything is
    restored.

    Parameters
    ----------
    backup_dir : str or path-like
        A folder for the backup (created if missing).
    save_freq : "epoch"
        Back up at the end of every epoch.
    delete_checkpoint : bool, default True
        Delete the backup when ``fit`` ends normally (it stays if ``fit`` was interrupted).
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__()
        self.backup_dir = os.fspath(backup_dir)
        validation.check_choice("save_freq", save_freq, ("epoch",))
        self.save_freq = save_freq
        self.delete_checkpoint = validation.check_bool("delete_checkpoint", delete_checkpoint)

    def _state_path(self):
        return os.path.join(self.backup_dir, _STATE)

    def set_model(self, model):
        """Take the model, refusing one it could not save (before any callback starts)."""
        from ..saving.model_file import saved_configs  # saving sits above callbacks

        try:
            saved_configs(model)
        except ValueError as error:
            raise ValueError(f"BackupAndRestore cannot back this model up: {error}") from None
        super().set_model(model)

    def on_train_begin(self, logs=None):
        from ..saving.model_file import restore_training_state  # saving sits above callbacks

        os.makedirs(self.backup_dir, exist_ok=True)
        if not os.path.exists(self._state_path()):
            return
        state = self._read_state()  # every check before anything is restored
        restore_training_state(self.model, os.path.join(self.backup_dir, state["model"]))
        for generator, saved in zip(self._generators(), state["generators"]):
            generator.bit_generator.state = saved
        if state["learning_rate"] is not None:
            self.model.optimizer.learning_rate = state["learning_rate"]
        self.model._initial_epoch = state["epoch"] + 1

    def _generators(self):
        """minikeras' generator, then those the model's layers keep (seeded layers)."""
        return utils.RandomState(self.model.layers).generators

    def _read_state(self):
        path = self._state_path()
        try:
            with open(path, encoding="utf-8") as file:
                state = json.load(file)
            if not isinstance(state, dict) or set(state) != _KEYS:
                raise ValueError(f"keys {sorted(state) if isinstance(state, dict) else state}")
            validation.check_int("epoch", state["epoch"], minimum=0)
            if not isinstance(state["model"], str) or os.path.basename(state["model"]) != \
                    state["model"] or not os.path.isfile(os.path.join(self.backup_dir,
                                                                      state["model"])):
                raise ValueError(f"model file {state['model']!r}")
            generators = self._generators()
            if not isinstance(state["generators"], list) or \
                    len(state["generators"]) != len(generators):
                raise ValueError("the random generators do not match the model's")
            for saved in state["generators"]:
                np.random.default_rng().bit_generator.state = saved  # a valid state?
            validation.check_float("learning_rate", state["learning_rate"], low=0.0,
                                   allow_none=True)
            if state["learning_rate"] is not None \
                    and self.model.optimizer.learning_rate_schedule is not None:
                raise ValueError("a float learning rate was backed up, but the optimizer's "
                                 "is a schedule now")
        except (OSError, ValueError, TypeError, KeyError) as error:
            raise ValueError(f"{path!r} is not a backup BackupAndRestore can resume from "
                             f"({error}); remove the folder to start afresh.") from None
        return state

    def on_epoch_end(self, epoch, logs=None):
        from ..saving.archive import atomic_write

        name = f"model-{epoch}.keras"
        self.model.save(os.path.join(self.backup_dir, name))
        optimizer = self.model.optimizer
        state = {"epoch": epoch, "model": name,
                 "generators": [g.bit_generator.state for g in self._generators()],
                 "learning_rate": (None if optimizer.learning_rate_schedule is not None
                                   else optimizer.learning_rate)}
        atomic_write(self._state_path(),
                     lambda file: file.write(json.dumps(state).encode("utf-8")))
        self._remove_models(keep=name)

    def on_train_end(self, logs=None):
        if self.delete_checkpoint:
            self._remove_models(keep=None)
            if os.path.exists(self._state_path()):
                os.remove(self._state_path())

    def _remove_models(self, keep):
        for name in os.listdir(self.backup_dir):
            if name.startswith("model-") and name.endswith(".keras") and name != keep:
                os.remove(os.path.join(self.backup_dir, name))
