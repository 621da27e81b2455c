"""The ``Callback`` base class, the list ``fit`` calls them through, ``History`` and the
progress bar.

``fit`` calls the ``on_train_*`` and ``on_epoch_*`` hooks, and the ``on_test_*`` hooks while
it evaluates its validation data. ``evaluate`` and ``predict`` take no callbacks; the
``on_predict_*`` hooks exist so that a callback written for Keras still loads.
"""

import sys
import time

import numpy as np

from tqdm.auto import tqdm

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger", "format_logs",
           "format_value", "progress_line", "overrides"]


class Callback:
    """Base class. Override any ``on_*`` hook; ``self.model`` and ``self.params`` are set."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        """Called by ``fit`` with the model being trained (``self.model``).

        Parameters
        ----------
        model : Sequential
            The model being trained.
        """
        self.model = model

    def set_params(self, params):
        """Called by ``fit`` with ``{"epochs", "steps", "verbose"}`` (``self.params``).

        Parameters
        ----------
        params : dict
            ``{"epochs": int, "steps": int, "verbose": int or "auto"}``: the ``epochs`` and
            ``verbose`` given to ``fit`` and the number of batches per epoch.
        """
        self.params = params

    def on_train_begin(self, logs=None):
        """Before the first epoch.

        Parameters
        ----------
        logs : dict, optional
            Empty: ``fit`` passes ``{}``, as Keras does.
        """

    def on_train_end(self, logs=None):
        """After the last epoch (or the one training stopped at); ``logs`` are its logs.

        Parameters
        ----------
        logs : dict, optional
            That epoch's logs, as :meth:`on_epoch_end` got them; None if no epoch ran.
        """

    def on_epoch_begin(self, epoch, logs=None):
        """Before epoch ``epoch`` (0-based).

        Parameters
        ----------
        epoch : int
            The epoch's index, 0-based.
        logs : dict, optional
            Empty: ``fit`` passes ``{}``, as Keras does.
        """

    def on_epoch_end(self, epoch, logs=None):
        """After epoch ``epoch``; ``logs`` holds the loss, the metrics and their ``val_``
        forms (a callback may add entries, which ``History`` then records).

        Parameters
        ----------
        epoch : int
            The epoch's index, 0-based.
        logs : dict
            ``{"loss": ..., metric names: ..., "val_loss": ..., ...}``: the epoch's mean
            loss and metrics, and with validation data their values on it.
        """

    def on_batch_begin(self, batch, logs=None):
        """Keras 2's name for :meth:`on_train_batch_begin`.

        Parameters
        ----------
        batch : int
            The batch's index within the epoch, 0-based.
        logs : dict, optional
            As :meth:`on_train_batch_begin` gets them.
        """

    def on_batch_end(self, batch, logs=None):
        """Keras 2's name for :meth:`on_train_batch_end`.

        Parameters
        ----------
        batch : int
            The batch's index within the epoch, 0-based.
        logs : dict, optional
            As :meth:`on_train_batch_end` gets them.
        """

    def on_train_batch_begin(self, batch, logs=None):
        """Before training batch ``batch`` of the epoch.

        Parameters
        ----------
        batch : int
            The batch's index within the epoch, 0-based.
        logs : dict, optional
            None: ``fit`` passes no logs here.
        """
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        """After training batch ``batch``; ``logs`` hold the running loss and metrics.

        Parameters
        ----------
        batch : int
            The batch's index within the epoch, 0-based.
        logs : dict
            ``{"loss": ..., metric names: ...}``, the epoch's running values so far.
        """
        self.on_batch_end(batch, logs)

    def on_test_begin(self, logs=None):
        """Before ``fit`` evaluates its validation data.

        Parameters
        ----------
        logs : dict, optional
            Empty: ``fit`` passes ``{}``, as Keras does.
        """

    def on_test_end(self, logs=None):
        """After the validation data; ``logs`` are its loss and metrics.

        Parameters
        ----------
        logs : dict
            ``{"loss": ..., metric names: ...}`` on the validation data (without the
            ``val_`` prefix, which :meth:`on_epoch_end`'s logs add).
        """

    def on_test_batch_begin(self, batch, logs=None):
        """Before validation batch ``batch``.

        Parameters
        ----------
        batch : int
            The batch's index within the validation data, 0-based.
        logs : dict, optional
            None: ``fit`` passes no logs here.
        """

    def on_test_batch_end(self, batch, logs=None):
        """After validation batch ``batch``.

        Parameters
        ----------
        batch : int
            The batch's index within the validation data, 0-based.
        logs : dict, optional
            None: ``fit`` passes no logs here.
        """

    def on_predict_begin(self, logs=None):
        """Kept so that a Keras callback loads; ``predict`` takes no callbacks.

        Parameters
        ----------
        logs : dict, optional
            Never given: the hook is not called.
        """

    def on_predict_end(self, logs=None):
        """Kept so that a Keras callback loads; ``predict`` takes no callbacks.

        Parameters
        ----------
        logs : dict, optional
            Never given: the hook is not called.
        """

    def on_predict_batch_begin(self, batch, logs=None):
        """Kept so that a Keras callback loads; ``predict`` takes no callbacks.

        Parameters
        ----------
        batch : int
            The batch's index, 0-based, as Keras would pass it.
        logs : dict, optional
            Never given: the hook is not called.
        """

    def on_predict_batch_end(self, batch, logs=None):
        """Kept so that a Keras callback loads; ``predict`` takes no callbacks.

        Parameters
        ----------
        batch : int
            The batch's index, 0-based, as Keras would pass it.
        logs : dict, optional
            Never given: the hook is not called.
        """


class CallbackList:
    """Calls a hook on every callback in order; skips batch hooks no callback overrides.

    Parameters
    ----------
    callbacks : iterable of Callback
        The callbacks, called in this order.
    model : Sequential
        Given to each callback's ``set_model``.
    params : dict
        Given to each callback's ``set_params``; ``fit`` passes ``{"epochs", "steps", "verbose"}``.
    """

    def __init__(self, callbacks, model, params):
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            callback.set_model(model)
            callback.set_params(params)
        self._batch_hooks = {
            hook: [getattr(c, hook) for c in self.callbacks if overrides(c, hook)]
            for hook in ("on_train_batch_begin", "on_train_batch_end",
                         "on_test_batch_begin", "on_test_batch_end",
                         "on_predict_batch_begin", "on_predict_batch_end")
        }

    def wants(self, hook):
        """True if some callback overrides the batch-level ``hook``.

        Parameters
        ----------
        hook : str
            The name of a batch-level hook, such as "on_train_batch_end".
        """
        return bool(self._batch_hooks[hook])

    def batch(self, hook, batch, logs=None):
        """Call the batch-level ``hook`` on the callbacks that override it.

        Parameters
        ----------
        hook : str
            The name of a batch-level hook, such as "on_train_batch_end".
        batch : int
            The batch's index, 0-based.
        logs : dict, optional
            Passed on to the hook.
        """
        for method in self._batch_hooks[hook]:
            method(batch, logs)

    def call(self, hook, *args):
        """Call ``hook`` (e.g. "on_epoch_end") on every callback.

        Parameters
        ----------
        hook : str
            The hook's name.
        *args
            Passed on to the hook: ``(epoch, logs)`` or ``(logs,)``.
        """
        for callback in self.callbacks:
            getattr(callback, hook)(*args)


def overrides(callback, hook):
    """True if ``callback`` does something in ``hook`` (its class or the instance sets it,
    or the older alias ``on_batch_begin``/``on_batch_end`` of a training batch hook)."""
    alias = _ALIASES.get(hook)
    return any(getattr(type(callback), name) is not getattr(Callback, name) or name in vars(callback)
               for name in (hook, alias) if name)


_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


class History(Callback):
    """Records the epoch logs: ``history.history["loss"]`` is the list of epoch losses."""

    def __init__(self):
        super().__init__()
        self.epoch = []
        self.history = {}

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None and getattr(self.model, "history", None) is not self:
            self.model.history = self


def format_logs(logs):
    """``"loss: 0.1234 - accuracy: 0.9600"``, as Keras prints them.

    Parameters
    ----------
    logs : dict
        ``{name: value}``: numbers are written with four decimals, arrays as lists.

    Returns
    -------
    str
    """
    return " - ".join(f"{k}: {format_value(v)}" for k, v in logs.items())


def format_value(value, decimals=4):
    """A logged value as Keras prints it: ``decimals`` decimals, each entry of a per-class
    array too (``[0.5000, 0.2500]``).

    Parameters
    ----------
    value : float or array-like
    decimals : int, default 4

    Returns
    -------
    str
    """
    if np.ndim(value) == 0:
        return f"{float(value):.{decimals}f}"
    return np.array2string(np.asarray(value, dtype=float), precision=decimals, separator=", ")


def progress_line(steps, seconds, logs=None, bar=True, total=None):
    """The line Keras 3 prints when a pass over the data ends:
    ``"32/32 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - loss: 0.3421"`` (``bar=False``:
    ``"32/32 - 0s - 2ms/step - loss: 0.3421"``, Keras' ``verbose=2`` form).

    Parameters
    ----------
    steps : int
        The batches the pass ran.
    seconds : float
        Its duration.
    logs : dict, optional
        ``{name: value}`` written after the timing, as :func:`format_logs` writes them.
    bar : bool, default True
        Draw the bar, as ``verbose=1`` does.
    total : int, optional
        The batches the pass would have run (``steps`` if not given); a pass stopped early
        shows ``2/4`` and a partly drawn bar.

    Returns
    -------
    str
    """
    total = steps if total is None else total
    per_step = seconds / max(steps, 1)
    if per_step >= 1:
        rate = f"{per_step:.0f}s/step"
    elif per_step >= 1e-3:
        rate = f"{per_step * 1e3:.0f}ms/step"
    else:
        rate = f"{per_step * 1e6:.0f}us/step"
    if bar:
        done = 20 if steps >= total else int(20 * steps / max(total, 1))
        drawn = _bar_character() * done + " " * (20 - done)
        line = f"{steps}/{total} {drawn} {seconds:.0f}s {rate}"
    else:
        line = f"{steps}/{total} - {seconds:.0f}s - {rate}"
    return f"{line} - {format_logs(logs)}" if logs else line


def _bar_character():
    """Keras' bar character where standard output can write it, else "="."""
    try:
        "━".encode(getattr(sys.stdout, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return "="
    return "━"


class ProgbarLogger(Callback):
    """Shows training progress as Keras 3 does: ``Epoch 3/10`` when an epoch begins, then
    at its end ``32/32 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - loss: 0.3421 - accuracy: 0.9100``
    (``verbose=1``; while the epoch runs, a live progress bar on a terminal, none when the
    output is a file) or ``32/32 - 0s - 2ms/step - loss: ...`` (``verbose=2``). The line
    always carries every metric, whatever the width of the terminal.

    Parameters
    ----------
    verbose : int, default 1
        1: the epoch's header, the live bar, then the epoch's line; any other value (2):
        the header and the line, without a bar.
    refresh_seconds : float, default 0.1
        The least time between two updates of the running loss and metrics beside the bar.
    """

    def __init__(self, verbose=1, refresh_seconds=0.1):
        super().__init__()
        self.verbose = verbose
        self.refresh_seconds = refresh_seconds
        self._bar = None
        self._last = 0.0
        self._steps = 0

    def on_epoch_begin(self, epoch, logs=None):
        print(f"Epoch {epoch + 1}/{self.params.get('epochs', '?')}", file=sys.stdout,
              flush=True)
        self._started = time.perf_counter()
        self._steps = 0
        if self.verbose == 1:
            # disable=None: no bar when the output is not a terminal (a log file)
            self._bar = tqdm(total=self.params.get("steps"), unit="batch", leave=False,
                             file=sys.stdout, dynamic_ncols=True, disable=None)
            self._last = 0.0

    def on_train_batch_end(self, batch, logs=None):
        self._steps += 1
        if self._bar is None:
            return
        self._bar.update(1)
        if self._bar.total is not None and self._bar.n >= self._bar.total:
            self._bar.close()  # the epoch's batches are done: callbacks print on a clean line
            self._bar = None
            return
        now = time.perf_counter()
        if now - self._last >= self.refresh_seconds and logs:
            self._bar.set_postfix_str(format_logs(logs), refresh=False)
            self._last = now

    def on_epoch_end(self, epoch, logs=None):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        seconds = time.perf_counter() - self._started
        print(progress_line(self._steps, seconds, logs, bar=self.verbose == 1,
                            total=self.params.get("steps") or self._steps),
              file=sys.stdout, flush=True)
