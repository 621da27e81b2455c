"""Callbacks: hooks that ``fit`` calls as training proceeds, as in Keras.

Each callback has ``self.model`` (the model being trained) and ``self.params``; it may set
``self.model.stop_training`` or ``self.model.optimizer.learning_rate``.
"""

from .backup_and_restore import BackupAndRestore
from .base import Callback, CallbackList, History, ProgbarLogger, format_logs, progress_line
from .csv_logger import CSVLogger
from .early_stopping import EarlyStopping
from .lambda_callback import LambdaCallback
from .learning_rate import LearningRateScheduler, ReduceLROnPlateau
from .model_checkpoint import ModelCheckpoint
from .terminate_on_nan import TerminateOnNaN

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger", "EarlyStopping",
           "ModelCheckpoint", "LearningRateScheduler", "ReduceLROnPlateau", "TerminateOnNaN",
           "CSVLogger", "LambdaCallback", "BackupAndRestore", "format_logs",
           "progress_line"]
