"""``CSVLogger``: write each epoch's logs as a row of a CSV file."""

import csv
import os

import numpy as np

from .. import validation
from .base import Callback

__all__ = ["CSVLogger"]


class CSVLogger(Callback):
    """Append one row per epoch, ``epoch`` then the logs' keys in sorted order, as Keras.

    Parameters
    ----------
    filename : str or path-like
    separator : str, default ","
    append : bool, default False
        Continue an existing file (no second header) instead of overwriting it.
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"Argument `separator` must be one character, got "
                             f"{validation.describe(separator)}.")
        self.separator = separator
        self.append = validation.check_bool("append", append)
        self.keys = None
        self._file = None
        self._writer = None

    def on_train_begin(self, logs=None):
        self._header = None
        if self.append and os.path.exists(self.filename) and os.path.getsize(self.filename):
            with open(self.filename, newline="") as file:
                self._header = next(csv.reader(file, delimiter=self.separator), None)
        self._file = open(self.filename, "a" if self.append else "w", newline="")
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            columns = ["epoch"] + self.keys
            if self._header is not None and self._header != columns:
                raise ValueError(
                    f"CSVLogger cannot append to {self.filename!r}: its columns are "
                    f"{self._header}, this run logs {columns}. Use another file or "
                    "append=False.")
            self._writer = csv.DictWriter(self._file, fieldnames=columns,
                                          delimiter=self.separator)
            if self._header is None:
                self._writer.writeheader()
        self._writer.writerow({"epoch": epoch, **{k: _cell(logs.get(k, "NA"))
                                                  for k in self.keys}})
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None
            self._writer = None


def _cell(value):
    """A scalar as itself; an array (a per-class metric) on one line, as Keras writes it."""
    if np.ndim(value) == 0:
        return value
    return "[" + ", ".join(str(v) for v in np.ravel(value)) + "]"
