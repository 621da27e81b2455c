"""``LambdaCallback``: a callback made of plain functions."""

from .base import Callback

__all__ = ["LambdaCallback"]

_HOOKS = ("on_batch_begin", "on_batch_end", "on_epoch_begin", "on_epoch_end", "on_train_begin", "on_train_end",
          "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
          "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
          "on_predict_batch_begin", "on_predict_batch_end")


class LambdaCallback(Callback):
    """Call the given functions at the matching hooks, as Keras' ``LambdaCallback``.

    ``on_epoch_begin``/``on_epoch_end`` receive ``(epoch, logs)``, the batch hooks
    ``(batch, logs)``, the others ``(logs)``. Keras' older names ``on_batch_begin`` and
    ``on_batch_end`` mean the training batch hooks.

    Parameters
    ----------
    **hooks : callable or None
        Functions by hook name (``on_epoch_end=f``, ...): any ``on_*`` hook of
        :class:`~minikeras.callbacks.Callback`. None leaves a hook alone; an unknown name or
        a value that is not callable raises ValueError.
    """

    def __init__(self, **hooks):
        super().__init__()
        for name, function in hooks.items():
            if name not in _HOOKS:
                raise ValueError(f"LambdaCallback got an unknown hook {name!r}; expected "
                                 f"some of {list(_HOOKS)}.")
            if function is not None:
                if not callable(function):
                    raise ValueError(f"Argument `{name}` must be callable, got {function!r}.")
                setattr(self, name, function)
