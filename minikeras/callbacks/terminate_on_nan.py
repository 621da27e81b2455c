"""``TerminateOnNaN``: stop training at the first batch whose loss is not finite."""

import math

from .base import Callback

__all__ = ["TerminateOnNaN"]


class TerminateOnNaN(Callback):
    """Stop ``fit`` as soon as a batch's loss is NaN or infinite, as Keras does.

    ``fit`` does this on its own too (and skips that batch's update, so the weights stay
    finite); this callback makes it explicit and prints the batch.
    """

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
