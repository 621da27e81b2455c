"""Save a model half way, load it, go on training: the same weights as without stopping.

Trains the digits network for two epochs, saves it to one file (architecture, compile
settings, weights and the optimizer's state), loads it back, trains two more epochs, and
compares with a model trained four epochs straight: bit for bit the same. Also shows what
the file holds, weights-only saving, and BackupAndRestore resuming an interrupted fit.

Run: python examples/save_and_resume.py
"""

import argparse
import os
import tempfile
import zipfile

import numpy as np
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

import minikeras as mk


def build():
    mk.utils.set_random_seed(7)
    model = mk.Sequential([mk.Input((64,)), mk.layers.Dense(64, activation="relu"),
                           mk.layers.Dropout(0.1), mk.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=mk.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


class Crash(mk.callbacks.Callback):
    """Stands in for a machine that goes down after the second epoch."""

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt("power cut")


def main(folder=None):
    """Run the three demonstrations; returns the largest weight differences found."""
    x, y = load_digits(return_X_y=True)
    x = StandardScaler().fit_transform(x).astype(np.float32)
    folder = folder or tempfile.mkdtemp()
    path = os.path.join(folder, "digits.keras")

    straight = build()
    straight.fit(x, y, epochs=4, verbose=0)

    halves = build()
    halves.fit(x, y, epochs=2, verbose=0)
    halves.save(path)
    print(f"saved {os.path.getsize(path):,} bytes to {path}:")
    print("  " + ", ".join(zipfile.ZipFile(path).namelist()[:4]) + ", ...")
    resumed = mk.models.load_model(path)
    resumed.fit(x, y, epochs=2, verbose=0)
    difference = max(float(np.max(np.abs(a - b)))
                     for a, b in zip(straight.get_weights(), resumed.get_weights()))
    print(f"2 epochs + save + load + 2 epochs vs 4 epochs straight: largest weight "
          f"difference {difference}, optimizer steps {resumed.optimizer.iterations} and "
          f"{straight.optimizer.iterations}")

    weights_path = os.path.join(folder, "digits.weights.h5")
    resumed.save_weights(weights_path)
    fresh = build()
    fresh.load_weights(weights_path)
    same = np.array_equal(fresh.predict(x, verbose=0), resumed.predict(x, verbose=0))
    print(f"weights only ({os.path.getsize(weights_path):,} bytes, npz): the same predictions: "
          f"{same}")

    backup = os.path.join(folder, "backup")
    try:
        build().fit(x, y, epochs=4, verbose=0,
                    callbacks=[mk.callbacks.BackupAndRestore(backup), Crash()])
    except KeyboardInterrupt:
        print("training interrupted after epoch 2; a new run resumes from the backup")
    again = build()
    again.fit(x, y, epochs=4, verbose=0, callbacks=[mk.callbacks.BackupAndRestore(backup)])
    backup_difference = max(float(np.max(np.abs(a - b)))
                            for a, b in zip(straight.get_weights(), again.get_weights()))
    print(f"resumed to epoch 4: largest weight difference from the uninterrupted run "
          f"{backup_difference}")
    return difference, backup_difference


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    main()
