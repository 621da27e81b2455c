"""``Trainer``: compile, fit, evaluate and predict, for any model made of a list of layers.

``fit`` reads top to bottom: check everything, split off validation data, then per epoch
shuffle, run a training step on each batch (forward, loss, backward, optimizer step: what
:meth:`Trainer.train_step` does, or a subclass's override of it) and call the callbacks.
What a step does is resolved once in a :class:`~minikeras.models.step.StepPlan` and
derived again only when a weight is frozen or unfrozen, the layers change, or the model
is compiled anew.
"""

import copy
import math
import time
import warnings

import numpy as np

from .. import callbacks as callbacks_module
from .. import losses, metrics as metrics_module, optimizers, utils, validation
from ..optimizers import kernels
from ..variables import no_state_updates
from . import data as data_module
from .step import StepPlan, check_references

__all__ = ["Trainer"]

_GRADIENT_MODES = ("backprop", "autograd")
_JIT_CHOICES = ("auto", True, False)


class Trainer:
    """Mixin giving a model Keras' training methods; the model provides ``layers``,
    ``built``, ``input_shape``, ``output_shape``, ``ensure_built(x_shape)`` and
    ``expected_output_shape(x_shape, argument)``."""

    def _init_training(self):
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self.gradient_mode = "backprop"
        self.jit_compile = "auto"
        self._metric_identifiers = []
        self._metrics = None  # resolved once the output width is known
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._plan = None  # derived: see _step_plan
        self._initial_epoch = None  # set by BackupAndRestore while fit begins

    # ---------------------------------------------------------------- compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, gradients="backprop",
                jit_compile="auto"):
        """Configure training.

        Parameters
        ----------
        optimizer : str or Optimizer
            "gd", "sgd", "adam", ... or an instance.
        loss : str, Loss or function
        metrics : list of str, Metric or function, optional
            "accuracy" picks the binary, categorical or sparse variant from the loss.
        gradients : {"backprop", "autograd"}
            "backprop" uses each layer's ``backward`` (fast); "autograd" differentiates the
            whole model's loss with autograd (the notebook's way; slow, for teaching).
        jit_compile : {"auto", True, False}
            Whether the optimizer steps run compiled kernels (:mod:`minikeras.optimizers.kernels`:
            Adam in one pass over the weights instead of twelve, bit for bit the same
            numbers). "auto" uses them if numba is installed and works (``pip install
            'minikeras[fast]'``), True requires numba, False never uses them; weights
            other than float32 and float64 always take the numpy path. Keras' argument of
            the same name chooses XLA; here it chooses numba. A file saved with True loads
            as "auto" where numba cannot be had.

        Raises
        ------
        ImportError
            If ``jit_compile=True`` and numba cannot be imported.
        """
        validation.check_choice("gradients", gradients, _GRADIENT_MODES)
        validation.check_choice("jit_compile", jit_compile, _JIT_CHOICES)
        if jit_compile is True:
            kernels.require()  # numba imports, or ImportError saying why not
        if optimizer is None or loss is None:
            missing = "optimizer" if optimizer is None else "loss"
            raise ValueError(f"Argument `{missing}` of compile is required, got None.")
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise ValueError(
                f"Argument `metrics` must be a list, got {validation.describe(metrics)}."
            )
        optimizer = optimizers.get(optimizer)
        loss = losses.get(loss)
        if loss.unreduced:
            raise ValueError(f"Argument `loss` is {loss!r}, with reduction={loss.reduction!r}: "
                             "training needs one number per batch; use "
                             "reduction='sum_over_batch_size' (the default) or 'sum'.")
        names = ["loss"]
        for identifier in metrics or []:
            if identifier is None:
                raise ValueError("Argument `metrics` holds None; expected metric names or objects.")
            if not _is_accuracy(identifier):
                metric = metrics_module.get(identifier)  # unknown names fail here
                if type(metric) is metrics_module.Mean:
                    raise ValueError(
                        f"Argument `metrics` holds {validation.describe(identifier)}: a Mean "
                        "averages values you give it, not (y_true, y_pred) pairs; pass a "
                        "function of (y_true, y_pred) to average instead."
                    )
            names.append(_metric_name(identifier))
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(
                f"Argument `metrics` gives the name(s) {repeated} more than once (or 'loss', "
                "which the loss itself reports); history keys must be unique."
            )
        self.optimizer = optimizer
        self.loss = loss
        self.gradient_mode = gradients
        self.jit_compile = jit_compile
        self._metric_identifiers = list(metrics or [])
        self._forget_derived()
        self.compiled = True

    def get_compile_config(self):
        """The arguments of the last :meth:`compile`, as JSON-friendly configs (None if
        not compiled), as Keras' ``get_compile_config``."""
        if not self.compiled:
            return None
        return {"optimizer": optimizers.serialize(self.optimizer),
                "loss": losses.serialize(self.loss),
                "metrics": [m if isinstance(m, (str, dict)) else
                            metrics_module.serialize(metrics_module.get(m))
                            for m in self._metric_identifiers],
                "gradients": self.gradient_mode,
                "jit_compile": self.jit_compile}

    def compile_from_config(self, config, custom_objects=None):
        """Compile with the settings :meth:`get_compile_config` returned; names are looked up
        in the registries and ``custom_objects`` only.

        Parameters
        ----------
        config : dict
            ``{"optimizer", "loss", "metrics", "gradients", "jit_compile"}``, the
            arguments of :meth:`compile` as :meth:`get_compile_config` returns them;
            ``jit_compile=True`` is read as "auto" where numba cannot be had.
        custom_objects : dict, optional
            ``{name: class or function}`` for objects not registered with
            :func:`minikeras.saving.register_keras_serializable`.
        """
        validation.check_config("config", config, ("optimizer", "loss", "metrics", "gradients",
                                                   "jit_compile"))
        metrics = config.get("metrics", [])
        if not isinstance(metrics, list):
            raise ValueError(f"The compile config's 'metrics' must be a list, got {metrics!r}.")
        self.compile(optimizer=optimizers.get(config.get("optimizer"), custom_objects),
                     loss=losses.get(config.get("loss"), custom_objects),
                     metrics=[m if isinstance(m, str) and ">" not in m
                              else metrics_module.get(m, custom_objects) for m in metrics],
                     gradients=config.get("gradients", "backprop"),
                     jit_compile=_usable_jit(config.get("jit_compile", "auto")))

    @property
    def metrics(self):
        """The compiled metric objects (resolved once the model is built)."""
        return list(self._resolved_metrics()) if self.built and self.compiled else []

    @property
    def metrics_names(self):
        """``["loss", metric names...]``, the order :meth:`evaluate` returns them in."""
        return ["loss"] + [m.name for m in self.metrics]

    def _resolved_metrics(self):
        if self._metrics is None:
            width = self.output_shape[-1]
            self._metrics = [self._resolve_metric(m, width) for m in self._metric_identifiers]
        return self._metrics

    def _resolve_metric(self, identifier, width):
        if _is_accuracy(identifier):
            return metrics_module.accuracy_for_loss(self.loss, width)(name=identifier)
        metric = metrics_module.get(identifier)
        if isinstance(identifier, str):
            metric.name = identifier
        return metric

    def _step_plan(self):
        """The current :class:`StepPlan`, derived again if a trainable flag, the optimizer,
        the loss or the gradient mode changed."""
        plan = self._plan
        jit = self.jit_compile is True or (self.jit_compile == "auto" and kernels.available())
        if plan is None or not plan.is_current(self.loss, self.optimizer, self.gradient_mode,
                                               jit):
            plan = self._plan = StepPlan(self.layers, self.loss, self.optimizer,
                                         self.gradient_mode, jit)
        return plan

    # ---------------------------------------------------------------- steps
    def train_step(self, x, y, sample_weight=None):
        """One optimizer step on a prepared batch (arrays of the model's dtype, built
        model); returns ``(loss, outputs)``. ``fit`` calls a subclass's override for every
        batch.

        Parameters
        ----------
        x : numpy.ndarray
            A batch of inputs, of the model's dtype.
        y : numpy.ndarray
            Its targets, in the form the loss's ``prepare_targets`` gives them.
        sample_weight : numpy.ndarray of shape (batch,), optional
            Each sample's weight in the loss (class weights already folded in).
        """
        return self._step_plan().train_step(x, y, sample_weight)

    def loss_and_gradients(self, x, y, sample_weight=None, method="backprop"):
        """Loss and ``{weight path: gradient}`` on one batch, changing nothing.

        The batch runs in training mode (dropout active), but no weight, optimizer state
        or moving statistic changes, and the random generators end where they began (so
        two calls drop the same units). ``method`` is "backprop" or "autograd"; used by
        :func:`minikeras.utils.check_gradients`.

        Parameters
        ----------
        x, y : array-like
            One batch of inputs and its targets, checked and converted as ``fit`` does.
        sample_weight : array-like of shape (n,), optional
            Multiplies each sample's loss.
        method : {"backprop", "autograd"}
            "backprop" runs each layer's ``backward``; "autograd" differentiates the whole
            model's loss with autograd.

        Returns
        -------
        tuple
            ``(loss, gradients)``: the loss (regularization included), a float, and
            ``{weight path: gradient array}`` for every trainable weight.

        Raises
        ------
        RuntimeError
            If the model was not compiled.
        """
        self._require_compiled("loss_and_gradients")
        validation.check_choice("method", method, _GRADIENT_MODES)
        x, y, sample_weight = self._ready(*data_module.prepare_data(self, x, y, sample_weight),
                                          try_metrics=False)  # no metric is updated here
        plan = self._step_plan()
        randomness = utils.RandomState(self.layers)
        try:
            with no_state_updates():
                loss, _ = plan.gradients(x, y, sample_weight, method)
        finally:
            randomness.restore()
            self._clear_caches()
        return loss, {w.path: w.grad.copy() for w in plan.trainable}

    # ---------------------------------------------------------------- fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0):
        """Train the model for ``epochs`` passes over ``(x, y)``.

        Parameters
        ----------
        x, y : array-like
            Inputs ``(n, features)`` and targets in the form the loss expects.
        batch_size : int, optional
            32 by default, as in Keras; with plain gradient descent (``"gd"``) the default
            is the whole data set, one batch per epoch.
        epochs : int
        verbose : {"auto", 0, 1, 2}
            0 silent, 1 a progress bar per epoch, 2 one line per epoch; "auto" is 1.
        callbacks : list of Callback, optional
        validation_split : float in [0, 1)
            Fraction of the data, taken from the end before shuffling, held out.
        validation_data : tuple ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight_val)``
        shuffle : bool
            Reshuffle the training data before each epoch.
        class_weight : dict, optional
            ``{class index: weight}`` multiplying each sample's loss.
        sample_weight : array-like of shape (n,), optional
            Multiplies each sample's loss. Both weight the loss only: the compiled metrics
            count every sample once, as Keras 3's ``metrics`` do.
        initial_epoch : int

        Returns
        -------
        History
            ``history.history`` maps "loss", each metric and their "val_" forms to lists.

        Raises
        ------
        RuntimeError
            If the model was not compiled.
        ValueError
            If an argument or the data is malformed, raised before any training; an unbuilt
            model stays unbuilt unless a custom layer must be built to know its output shape.
        """
        self._require_compiled("fit")
        full_batch = batch_size is None and self.optimizer.full_batch
        batch_size = data_module.check_batch_size(batch_size)
        epochs = validation.check_int("epochs", epochs, minimum=0)
        initial_epoch = validation.check_int("initial_epoch", initial_epoch, minimum=0)
        verbose = validation.check_verbose(verbose)
        validation_split = validation.check_float("validation_split", validation_split,
                                                  low=0.0, high=1.0, high_open=True)
        validation.check_bool("shuffle", shuffle)
        callbacks = validation.check_instances("callbacks", callbacks, callbacks_module.Callback)
        data = data_module.prepare_data(self, x, y, sample_weight)
        if class_weight is not None:
            data = data_module.apply_class_weight(data, class_weight)
        if validation_data is not None:
            val = data_module.prepare_validation_data(self, validation_data)
        else:
            data, val = data_module.split_off_validation(data, validation_split)
        data = self._ready(*data)

        n = len(data[0])
        if full_batch:
            batch_size = n
        batcher = utils.Batcher(data, batch_size)
        history = callbacks_module.History()
        all_callbacks = list(callbacks)  # then the progress bar and History see their logs
        if verbose != 0:
            all_callbacks.append(callbacks_module.ProgbarLogger(1 if verbose == "auto" else verbose))
        all_callbacks.append(history)
        callback_list = callbacks_module.CallbackList(
            all_callbacks, self,
            {"epochs": epochs, "steps": -(-n // batch_size), "verbose": verbose})

        self.stop_training = False
        self.history = history
        self._initial_epoch = None
        callback_list.call("on_train_begin", {})
        if self._initial_epoch is not None:  # a callback restored an interrupted run
            initial_epoch, self._initial_epoch = self._initial_epoch, None
        logs = stop_warning = None
        try:
            for epoch in range(initial_epoch, epochs):
                callback_list.call("on_epoch_begin", epoch, {})
                order = utils.rng().permutation(n) if shuffle else None
                logs, stop_warning = self._train_epoch(batcher, order, callback_list, epoch)
                if val is not None:
                    with no_state_updates():
                        val_logs = self._evaluate_arrays(*val, batch_size, callback_list)
                    logs.update({"val_" + k: v for k, v in val_logs.items()})
                callback_list.call("on_epoch_end", epoch, logs)
                if self.stop_training:
                    break
        finally:
            self._clear_caches()
            if stop_warning:  # said after the epoch's line (even if a callback raised)
                warnings.warn(stop_warning, stacklevel=2)
        callback_list.call("on_train_end", logs)
        return history

    def _train_epoch(self, batcher, order, callback_list, epoch):
        """One pass over the batches of ``(x, y, sample_weight)``; returns the epoch's logs
        and the warning ``fit`` is to give when it stops (None unless a loss was not finite).

        Each batch runs :meth:`train_step` if a subclass overrides it, else the step plan
        directly, asking for the model's outputs only when a metric reads them. A batch
        with a non-finite loss ends training (its update is skipped); ``fit`` warns, naming
        the epoch and batch, once the epoch's callbacks have run.
        """
        begin_hooks = callback_list.wants("on_train_batch_begin")
        end_hooks = callback_list.wants("on_train_batch_end")
        own_step = type(self).train_step is not Trainer.train_step
        self.reset_metrics()
        stop_warning = None
        for step, (xb, yb, wb) in enumerate(batcher.epoch(order)):
            if begin_hooks:
                callback_list.batch("on_train_batch_begin", step)
            if own_step:
                loss, outputs = self.train_step(xb, yb, wb)
            else:
                loss, outputs = self._step_plan().train_step(
                    xb, yb, wb, outputs=bool(self._resolved_metrics()))
            self._track(loss, len(xb), yb, outputs)
            if end_hooks:
                callback_list.batch("on_train_batch_end", step, self._logs())
            if not math.isfinite(loss):
                stop_warning = (
                    f"fit stopped: the loss is {loss} at epoch {epoch + 1}, batch {step + 1}. "
                    "That batch's update was skipped, so the weights are those before it; "
                    "a lower learning rate or scaled inputs usually help.")
                self.stop_training = True
            if self.stop_training:
                break
        return self._logs(), stop_warning

    def _logs(self, extra_loss=0.0):
        logs = {"loss": self._loss_tracker.result() + extra_loss}
        for m in self._resolved_metrics():
            value = m.result()  # an array for per-class results (F1Score's default)
            logs[m.name] = float(value) if np.ndim(value) == 0 else np.asarray(value)
        return logs

    def _forget_derived(self):
        """Drop the step plan and the resolved metrics, to be derived again from the
        current layers and compile arguments; the layers compute input gradients again."""
        if self._plan is not None:
            self._plan.release()
        self._plan = None
        self._metrics = None

    def _clear_caches(self):
        """Let go of the last batch each layer kept for back-propagation, and leave every
        layer computing its input gradient again (as a layer on its own does)."""
        for layer in self.layers:
            layer.clear_cache()
        if self._plan is not None:
            self._plan.release()

    # ---------------------------------------------------------------- evaluate / predict
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 return_dict=False):
        """Loss (and metrics) on ``(x, y)``, computed batch by batch.

        Parameters
        ----------
        x, y : array-like
            Inputs ``(n, features)`` and targets in the form the loss expects; ``y`` is
            required.
        batch_size : int, optional
            32 by default, as in Keras.
        verbose : {"auto", 0, 1, 2}
            "auto" and 1 print Keras' progress line when the pass ends,
            ``4/4 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - loss: 0.3421``; 2 prints it without the bar,
            ``4/4 - 0s - 2ms/step - loss: 0.3421``; 0 prints nothing. True and False mean 1 and 0.
        sample_weight : array-like of shape (n,), optional
            Multiplies each sample's loss; the metrics count every sample once, as in
            ``fit``.
        return_dict : bool, default False
            Return ``{name: value}`` instead of a number or list.

        Returns
        -------
        float, list or dict
            The loss alone when no metric was compiled, else ``[loss, metric, ...]``;
            a ``{name: value}`` dict with ``return_dict=True``.
        """
        self._require_compiled("evaluate")
        batch_size = data_module.check_batch_size(batch_size)
        verbose = validation.check_verbose(verbose)
        data = self._ready(*data_module.prepare_data(self, x, y, sample_weight))
        started = time.perf_counter()
        with no_state_updates():
            logs = self._evaluate_arrays(*data, batch_size)
        _report_pass(verbose, len(data[0]), batch_size, started, logs)
        return self._as_returned(logs, return_dict)

    def _evaluate_arrays(self, x, y, sample_weight, batch_size, callback_list=None):
        """Loss and metrics over ``(x, y)`` in batches; calls the ``on_test_*`` hooks if
        ``callback_list`` is given (as ``fit`` does for its validation data)."""
        callback_list = callback_list or callbacks_module.CallbackList([], self, {})
        callback_list.call("on_test_begin", {})
        plan = self._step_plan()
        self.reset_metrics()
        for step, (xb, yb, wb) in enumerate(utils.batches((x, y, sample_weight), batch_size)):
            callback_list.batch("on_test_batch_begin", step)
            outputs, loss = plan.outputs_and_loss(xb, yb, wb)
            self._track(float(loss), len(yb), yb, outputs)
            callback_list.batch("on_test_batch_end", step)
        logs = self._logs(extra_loss=plan.regularization_penalty())
        callback_list.call("on_test_end", logs)
        return logs

    def predict(self, x, batch_size=None, verbose="auto"):
        """Model outputs for ``x``, computed in batches of ``batch_size`` (default 32).

        Parameters
        ----------
        x : array-like
            Inputs ``(n, features)``; an unbuilt model is built for them.
        batch_size : int, optional
            32 by default, as in Keras.
        verbose : {"auto", 0, 1, 2}
            "auto" and 1 print Keras' progress line when the pass ends,
            ``4/4 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step``; 2 prints it without the bar,
            ``4/4 - 0s - 2ms/step``; 0 prints nothing. True and False mean 1 and 0.

        Returns
        -------
        numpy.ndarray
            The outputs in inference mode (dropout and noise off), one row per sample.
        """
        batch_size = data_module.check_batch_size(batch_size)
        verbose = validation.check_verbose(verbose)
        x = data_module.prepare_x(self, x)
        self.ensure_built(x.shape)
        outputs = None
        started = time.perf_counter()
        with no_state_updates():  # inference never changes a layer's state
            for batch in utils.batch_slices(len(x), batch_size):
                out = self._call_layers(x[batch], training=False)
                if outputs is None:
                    outputs = np.empty((len(x),) + out.shape[1:], dtype=out.dtype)
                outputs[batch] = out
        _report_pass(verbose, len(x), batch_size, started)
        return outputs

    # ---------------------------------------------------------------- one batch
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict=False):
        """One optimizer step on one batch, as Keras' ``train_on_batch``.

        Parameters
        ----------
        x, y : array-like
            One batch of inputs and its targets (``y`` is required), checked as ``fit``
            checks them.
        sample_weight : array-like of shape (n,), optional
            Multiplies each sample's loss.
        class_weight : dict, optional
            ``{class index: weight}`` multiplying each sample's loss.
        return_dict : bool, default False
            Return ``{name: value}`` instead of a number or list.

        Returns
        -------
        float, list or dict
            The loss, or ``[loss, metric, ...]`` if metrics were compiled, or a dict with
            ``return_dict=True``. As in Keras 3, the loss and metrics are running values
            since the last :meth:`reset_metrics` (or ``fit``/``evaluate``), not of this
            batch alone; call ``reset_metrics()`` first for one batch's values.
        """
        self._require_compiled("train_on_batch")
        data = data_module.prepare_data(self, x, y, sample_weight)
        if class_weight is not None:
            data = data_module.apply_class_weight(data, class_weight)
        x, y, sample_weight = self._ready(*data)
        try:
            loss, outputs = self.train_step(x, y, sample_weight)
        finally:
            self._clear_caches()
        self._track(loss, len(x), y, outputs)
        return self._as_returned(self._logs(), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss and metrics on one batch (running values, as :meth:`train_on_batch`).

        Parameters
        ----------
        x, y : array-like
            One batch of inputs and its targets (``y`` is required).
        sample_weight : array-like of shape (n,), optional
            Multiplies each sample's loss.
        return_dict : bool, default False
            Return ``{name: value}`` instead of a number or list.

        Returns
        -------
        float, list or dict
            As :meth:`train_on_batch` returns them; no weight changes.
        """
        self._require_compiled("test_on_batch")
        x, y, sample_weight = self._ready(*data_module.prepare_data(self, x, y, sample_weight))
        with no_state_updates():
            outputs, loss = self._step_plan().outputs_and_loss(x, y, sample_weight)
        self._track(float(loss), len(x), y, outputs)
        return self._as_returned(
            self._logs(extra_loss=self._step_plan().regularization_penalty()), return_dict)

    def predict_on_batch(self, x):
        """The model's outputs for one batch ``x``.

        Parameters
        ----------
        x : array-like
            One batch of inputs, batch axis first; an unbuilt model is built for it.

        Returns
        -------
        numpy.ndarray
            The outputs in inference mode.
        """
        x = data_module.prepare_x(self, x)
        self.ensure_built(x.shape)
        with no_state_updates():
            return self._call_layers(x, training=False)

    def reset_metrics(self):
        """Reset the loss tracker and every metric (``fit`` and ``evaluate`` do it)."""
        self._loss_tracker.reset_state()
        for m in self._resolved_metrics():
            m.reset_state()

    def _track(self, loss, count, y, outputs):
        """Add a batch to the running loss and to the metrics (which, as Keras 3's
        ``metrics``, count every sample once: sample and class weights weight the loss)."""
        self._loss_tracker.update_state(loss, count)
        for m in self._resolved_metrics():
            m.update_state(y, outputs)

    @staticmethod
    def _as_returned(logs, return_dict):
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def __call__(self, inputs, training=False):
        """Forward pass on a batch (builds on first use)."""
        x = data_module.prepare_x(self, inputs, "inputs")
        self.ensure_built(x.shape)
        return self._call_layers(x, training)

    def _call_layers(self, x, training):
        for layer in self.layers:
            x = layer.call_with(x, training)
        return x

    # ---------------------------------------------------------------- helpers
    def _ready(self, x, y, sample_weight, try_metrics=True):
        """After every check has passed: build the model if needed, and try the metrics on
        two samples, so that a metric that cannot score these targets fails before any
        training."""
        if self.compiled and not self.built:  # before building changes anything
            check_references(self.layers)
        self.ensure_built(x.shape)
        if self.compiled:
            self._step_plan()  # how the layers use one another (its check_references)
        metrics = self._resolved_metrics() if try_metrics else []
        if metrics:
            weights = None if sample_weight is None else sample_weight[:2]
            with no_state_updates():
                outputs, _ = self._step_plan().outputs_and_loss(x[:2], y[:2], weights)
            for metric in metrics:
                try:
                    copy.deepcopy(metric).update_state(y[:2], outputs)
                except Exception as error:
                    raise ValueError(
                        f"Argument `metrics`: {metric.name!r} cannot score these targets "
                        f"(y of shape {y.shape}) against the model's outputs (shape "
                        f"{np.shape(outputs)}): {type(error).__name__}: {error}"
                    ) from None
        return x, y, sample_weight

    def _require_compiled(self, method):
        if not self.compiled:
            raise RuntimeError(
                f"You must call compile() before {method}(): the model has no loss or optimizer."
            )


def _report_pass(verbose, n, batch_size, started, logs=None):
    """Print Keras' line for a pass of ``evaluate`` or ``predict`` over ``n`` samples begun
    at ``started`` (``time.perf_counter()``), unless ``verbose`` is 0."""
    if verbose != 0:
        print(callbacks_module.progress_line(-(-n // batch_size), time.perf_counter() - started,
                                             logs, bar=verbose != 2), flush=True)


def _usable_jit(jit_compile):
    """A saved ``jit_compile``, with True read as "auto" where numba cannot be had: the
    kernels give the numpy path's numbers, so a file loads anywhere."""
    if jit_compile is True:
        try:
            kernels.require()
        except ImportError:
            return "auto"
    return jit_compile


def _is_accuracy(identifier):
    return isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc")


def _metric_name(identifier):
    """The history key a metric identifier will have (its name as passed, like Keras)."""
    if isinstance(identifier, str):
        return identifier
    if isinstance(identifier, metrics_module.Metric):
        return identifier.name
    if isinstance(identifier, dict):
        return metrics_module.get(identifier).name
    if callable(identifier):
        return getattr(identifier, "__name__", type(identifier).__name__)
    raise ValueError(
        f"Argument `metrics` holds {validation.describe(identifier)}; expected metric names, "
        "Metric objects, config dicts or functions."
    )
