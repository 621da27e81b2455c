"""``BackupAndRestore``: resume an interrupted ``fit`` from the end of its last epoch."""

import json
import os

from .. import utils, validation
from .base import Callback

__all__ = ["BackupAndRestore"]

_STATE = "backup.json"


class BackupAndRestore(Callback):
    """Back up the training state after every epoch; a later ``fit`` of the same model,
    given the same ``backup_dir``, continues from there as if never interrupted.

    The backup holds the weights, the optimizer state and iteration count, the epoch, and
    the state of minikeras' random generator (so the next epochs shuffle and drop out as
    they would have): an interrupted run resumed this way ends with the same weights as an
    uninterrupted one, bit for bit. Every file is written atomically; ``backup.json`` is
    written last and names the model file of the epoch it records.

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

    def on_train_begin(self, logs=None):
        from ..saving.model_file import restore_training_state  # saving sits above callbacks

        os.makedirs(self.backup_dir, exist_ok=True)
        if not os.path.exists(self._state_path()):
            return
        with open(self._state_path(), encoding="utf-8") as file:
            state = json.load(file)
        if not isinstance(state, dict) or set(state) != {"epoch", "model", "random_state"} \
                or not isinstance(state["epoch"], int) or os.sep in str(state["model"]):
            raise ValueError(f"{self._state_path()!r} is not a backup written by "
                             "BackupAndRestore.")
        restore_training_state(self.model, os.path.join(self.backup_dir, state["model"]))
        utils.rng().bit_generator.state = state["random_state"]
        self.model._initial_epoch = state["epoch"] + 1

    def on_epoch_end(self, epoch, logs=None):
        from ..saving.archive import atomic_write

        name = f"model-{epoch}.keras"
        self.model.save(os.path.join(self.backup_dir, name))
        state = {"epoch": epoch, "model": name,
                 "random_state": utils.rng().bit_generator.state}
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
