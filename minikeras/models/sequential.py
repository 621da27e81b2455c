"""``Sequential``: a stack of layers with Keras' compile / fit / evaluate / predict.

The training loop reads top to bottom: validate once, split off validation data, then per
epoch shuffle, run ``train_step`` on each batch (forward, loss, backward, optimizer step)
and call the callbacks.
"""

import weakref

import autograd
import numpy as np

from .. import callbacks as callbacks_module
from .. import config, losses, metrics as metrics_module, optimizers, utils, validation
from ..layers import Input, Layer
from ..layers import base as layer_base
from ..layers.base import unique_name
from . import flat_weights
from .summary import summary_table

_VERBOSE_CHOICES = (0, 1, 2, "auto")
_GRADIENT_MODES = ("backprop", "autograd")


class Sequential:
    """A linear stack of layers.

    Parameters
    ----------
    layers : list of Layer, optional
        An ``Input`` may stand first to fix the input shape.
    name : str, optional

    Examples
    --------
    >>> model = Sequential([Input((4,)), layers.Dense(8, activation="sigmoid"),
    ...                     layers.Dense(3, activation="softmax")])
    >>> model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    """

    def __init__(self, layers=None, name=None):
        self.name = name or unique_name("sequential")
        self._layers = []
        self._input_shape = None
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._metric_identifiers = []
        self._metrics = []
        self._metrics_width = None
        self._fused_loss = None
        self._buffers = []
        self._trainable_items = []  # (weight, gradient, regularizer, name) per trainable weight
        self._grads_and_vars = []  # what the optimizer is handed each step
        self._regularized = []  # (weight, gradient, regularizer) for regularized weights
        self.gradient_mode = "backprop"
        self._generation = None
        for layer in layers or []:
            self.add(layer)

    # ---------------------------------------------------------------- structure
    @property
    def layers(self):
        """The layers, without the ``Input`` (as in Keras)."""
        return list(self._layers)

    @property
    def built(self):
        return bool(self._layers) and all(layer.built for layer in self._layers)

    def add(self, layer):
        """Append a layer; an ``Input`` (only first) or a layer with ``input_shape``
        fixes the model's input shape."""
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Argument `layer` must be a minikeras Layer, got {validation.describe(layer)}."
            )
        if isinstance(layer, Input):
            if self._layers or self._input_shape is not None:
                raise ValueError("An Input can only be the first entry of a Sequential model.")
            self._input_shape = (None,) + layer.shape
            return
        self._check_new_layer(layer)
        input_shape = self._input_shape
        if not self._layers and input_shape is None:
            if layer._declared_input_shape:
                input_shape = (None,) + layer._declared_input_shape
            elif layer.built:
                input_shape = layer.input_shape
        if input_shape is not None:
            self._check_shapes(input_shape, self._layers + [layer], "layer")
        previous = self._input_shape
        self._input_shape = input_shape
        self._layers.append(layer)
        if input_shape is not None:
            try:
                self._build_layers(input_shape)
            except Exception:
                self._layers.pop()
                self._input_shape = previous
                raise
        layer._owner = weakref.ref(self)

    def _check_new_layer(self, layer):
        owner = layer._owner() if layer._owner is not None else None
        if layer in self._layers or (owner is not None and owner is not self):
            where = "this model" if owner is None or owner is self else f"model {owner.name!r}"
            raise ValueError(
                f"Argument `layer` ({layer.name!r}) is already in {where}; a layer can be "
                "used once, in one model (its weights live in that model's buffer)."
            )
        if any(other.name == layer.name for other in self._layers):
            raise ValueError(
                f"Argument `layer` is named {layer.name!r}, like a layer already in the model; "
                "layer names in a model must be unique."
            )

    def pop(self):
        """Remove and return the last layer."""
        if not self._layers:
            raise IndexError("There are no layers in this model to pop.")
        layer = self._layers.pop()
        layer._owner = None
        self._after_structure_change()
        return layer

    def build(self, input_shape=None):
        """Create every layer's weights for inputs of ``input_shape`` (batch axis first)."""
        input_shape = self._input_shape if input_shape is None else tuple(input_shape)
        if input_shape is None:
            raise ValueError("Argument `input_shape` is required: the model has no Input.")
        if len(input_shape) < 2:
            raise ValueError(
                f"Argument `input_shape` must include the batch axis, e.g. (None, 4); "
                f"got {input_shape}."
            )
        shape = (None,) + tuple(input_shape[1:])
        self._check_shapes(shape, self._layers, "input_shape")
        previous, self._input_shape = self._input_shape, shape
        try:
            self._build_layers(shape)
        except Exception:
            self._input_shape = previous
            raise

    def _check_shapes(self, input_shape, layers, argument):
        """Walk ``input_shape`` through ``layers`` without building anything.

        Raises ValueError (naming ``argument``) if a built layer does not fit. Returns the
        output shape, or None if an unbuilt layer can only tell it by being built.
        """
        shape = (None,) + tuple(input_shape[1:])
        for layer in layers:
            if layer.built:
                layer.check_input_shape(shape, argument)
                shape = layer.output_shape
            elif type(layer).compute_output_shape is not Layer.compute_output_shape:
                shape = (None,) + tuple(layer.compute_output_shape(shape))[1:]
            else:
                return None
        return shape

    def _build_layers(self, input_shape):
        shape = input_shape
        for layer in self._layers:
            shape = layer.build_for(shape)
        self._after_structure_change()

    def _after_structure_change(self):
        for i, layer in enumerate(self._layers):
            layer._input_gradient_needed = i > 0
        self._refresh_training_state()

    def _refresh_training_state(self):
        """Gather the weights into flat buffers and derive the training state."""
        if not self.built:
            return
        old_buffers = self._buffers
        self._buffers = flat_weights.consolidate(self._layers, old_buffers)
        if self.compiled:
            if old_buffers is not self._buffers:
                self.optimizer.discard_state([b.weights for b in old_buffers])
            self._prepare_training()

    @property
    def input_shape(self):
        return self._input_shape

    @property
    def output_shape(self):
        return self._layers[-1].output_shape if self.built else None

    # ---------------------------------------------------------------- weights
    @property
    def weights(self):
        return [w for layer in self._layers for w in layer.weights]

    @property
    def trainable_weights(self):
        return [w for layer in self._layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self):
        return [w for layer in self._layers for w in layer.non_trainable_weights]

    def get_weights(self):
        """Copies of all weights, layer by layer."""
        return [w for layer in self._layers for w in layer.get_weights()]

    def set_weights(self, weights):
        """Set all weights from a list in the order of :meth:`get_weights`.

        Every count and shape is checked before any weight changes.
        """
        self._require_built("set_weights")
        weights = list(weights)
        expected = [w.shape for w in self.weights]
        got = [np.shape(w) for w in weights]
        if expected != got:
            raise ValueError(
                f"Argument `weights` must be {len(expected)} arrays of shapes {expected}, "
                f"got {len(got)} arrays of shapes {got}."
            )
        start = 0
        for layer in self._layers:
            count = len(layer.weights)
            layer.set_weights(weights[start:start + count])
            start += count

    def count_params(self):
        self._require_built("count_params")
        return sum(layer.count_params() for layer in self._layers)

    # ---------------------------------------------------------------- compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, gradients="backprop"):
        """Configure training.

        Parameters
        ----------
        optimizer : str or Optimizer
            "gd", "sgd", "adam", ... or an instance.
        loss : str or Loss
        metrics : list of str or Metric, optional
            "accuracy" picks the binary, categorical or sparse variant from the loss.
        gradients : {"backprop", "autograd"}
            "backprop" uses each layer's ``backward`` (fast); "autograd" differentiates the
            whole model's loss with autograd (the notebook's way; slow, for teaching).
        """
        validation.check_choice("gradients", gradients, _GRADIENT_MODES)
        if optimizer is None or loss is None:
            missing = "optimizer" if optimizer is None else "loss"
            raise ValueError(f"Argument `{missing}` of compile is required, got None.")
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise ValueError(
                f"Argument `metrics` must be a list, got {validation.describe(metrics)}."
            )
        optimizer = optimizers.get(optimizer)
        loss = losses.get(loss)
        names = ["loss"]
        for identifier in metrics or []:
            if identifier is None:
                raise ValueError("Argument `metrics` holds None; expected metric names or objects.")
            if not (isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc")):
                metrics_module.get(identifier)  # unknown names fail here, before any change
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
        self._metric_identifiers = list(metrics or [])
        self._metrics_width = None
        self.compiled = True
        self._refresh_training_state()

    def _prepare_training(self):
        """Derive what a training step needs from the layers, loss, optimizer and metrics."""
        last = self._layers[-1]
        self._fused_loss = None
        if layer_base.can_fuse_output(type(last)):
            self._fused_loss = self.loss.fused_with(last.activation)
        self._trainable_items = [item for layer in self._layers
                                 for item in layer.trainable_items()]
        self._grads_and_vars = [(g, w) for w, g, _, _ in self._trainable_items]
        if self.optimizer.elementwise and self.optimizer.clipnorm is None:
            in_buffers = {id(b.weights) for b in self._buffers}
            self._grads_and_vars = [pair for b in self._buffers
                                    for pair in b.trainable_segments()] + [
                (g, w) for g, w in self._grads_and_vars if id(w.base) not in in_buffers]
        self._regularized = [(w, g, r) for w, g, r, _ in self._trainable_items if r is not None]
        self._generation = layer_base.trainable_generation()
        width = self.output_shape[-1]
        if self._metrics_width != width:  # resolved once: a refresh must not reset them
            self._metrics = [self._resolve_metric(m, width) for m in self._metric_identifiers]
            self._metrics_width = width

    def _ensure_training_state(self):
        """Re-derive the training state if some layer was frozen or unfrozen meanwhile."""
        if self._generation != layer_base.trainable_generation():
            self._prepare_training()

    @property
    def trainable(self):
        """False if every layer is frozen; setting it freezes or unfreezes them all."""
        return any(layer.trainable for layer in self._layers)

    @trainable.setter
    def trainable(self, value):
        for layer in self._layers:
            layer.trainable = value

    def _resolve_metric(self, identifier, width):
        if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
            return metrics_module.accuracy_for_loss(self.loss, width)(name=identifier)
        metric = metrics_module.get(identifier)
        if isinstance(identifier, str):
            metric.name = identifier
        return metric

    @property
    def metrics_names(self):
        """``["loss", metric names...]``, the order :meth:`evaluate` returns them in."""
        return ["loss"] + [m.name for m in self._metrics]

    # ---------------------------------------------------------------- data
    def _prepare_x(self, x, argument="x"):
        """Convert ``x`` to the model's dtype and check its per-sample shape."""
        x = validation.check_array(argument, x, dtype=self._dtype(), min_ndim=2)
        if self._input_shape is not None:
            expected = self._input_shape
            if tuple(x.shape[1:]) != tuple(expected[1:]):
                raise ValueError(
                    f"Argument `{argument}` has shape {x.shape}, but the model expects inputs "
                    f"of shape {expected}: {tuple(expected[1:])} features per sample, "
                    f"got {tuple(x.shape[1:])}."
                )
        return x

    def _prepare_data(self, x, y, sample_weight, argument_suffix=""):
        """Convert and check ``x``, ``y`` and ``sample_weight``.

        An unbuilt model stays unbuilt: the targets are checked against the output shape the
        layers' ``compute_output_shape`` give. Only a custom layer without one has to be built
        to tell its output shape.
        """
        x = self._prepare_x(x, "x" + argument_suffix)
        y = validation.check_samples("y" + argument_suffix, y)
        validation.check_same_length(**{"x" + argument_suffix: x, "y" + argument_suffix: y})
        self._require_layers()
        output_shape = (self.output_shape if self.built
                        else self._check_shapes(x.shape, self._layers, "x" + argument_suffix))
        if output_shape is None:  # a custom layer can only tell its output shape once built
            self._ensure_built(x.shape)
            output_shape = self.output_shape
        y = self.loss.prepare_targets(y, output_shape, "y" + argument_suffix, self._dtype())
        if sample_weight is not None:
            sample_weight = validation.check_array("sample_weight" + argument_suffix,
                                                   sample_weight, dtype=self._dtype())
            if sample_weight.shape == (len(x), 1):
                sample_weight = sample_weight[:, 0]
            if sample_weight.shape != (len(x),):
                raise ValueError(
                    f"Argument `sample_weight{argument_suffix}` must have shape ({len(x)},), "
                    f"got {sample_weight.shape}."
                )
        return x, y, sample_weight

    def _ready(self, x, y, sample_weight):
        """After every check has passed: build the model if needed, refresh its state."""
        self._ensure_built(x.shape)
        self._ensure_training_state()
        return x, y, sample_weight

    def _require_layers(self):
        if not self._layers:
            raise ValueError("The model has no layers; add some first.")

    def _ensure_built(self, x_shape):
        self._require_layers()
        if not self.built:
            self.build((None,) + tuple(x_shape[1:]))

    def _dtype(self):
        for layer in self._layers:
            if layer.built and layer.weights:
                return layer.weights[0].dtype
        return np.dtype(config.floatx())

    def _class_weights(self, class_weight, y):
        """Turn ``{class index: weight}`` into one weight per sample (1 for absent classes)."""
        class_weight = validation.check_class_weight(class_weight)
        labels = y if y.ndim == 1 else (y[:, 0] > 0.5 if y.shape[1] == 1 else y.argmax(axis=1))
        labels = labels.astype(np.intp)
        table = np.ones(max([int(labels.max()), *class_weight]) + 1, dtype=self._dtype())
        for cls, weight in class_weight.items():
            table[cls] = weight
        return table[labels]

    # ---------------------------------------------------------------- steps
    def _forward(self, x, training, layers=None):
        layers = self._layers if layers is None else layers
        if not training:
            for layer in layers:
                x = layer._call(x, False)
            return x
        for layer in layers:
            x = layer.forward(x, True)
        return x

    def _loss_value(self, y, outputs, sample_weight):
        """Loss on this batch; from the logits when the output activation is fused."""
        if self._fused_loss is not None:
            return self._fused_loss(y, self._layers[-1].logits, sample_weight)
        return self.loss(y, outputs, sample_weight)

    def _regularization_penalty(self, weights):
        """Sum of the regularizers' penalties on ``weights`` (the trainable ones, in order)."""
        return sum(r(v) for v, (_, _, r, _) in zip(weights, self._trainable_items)
                   if r is not None)

    def train_step(self, x, y, sample_weight=None):
        """One optimizer step on a batch; returns ``(loss, outputs)``."""
        self._ensure_training_state()
        loss, outputs = self._compute_gradients(x, y, sample_weight, self.gradient_mode)
        self.optimizer.apply_gradients(self._grads_and_vars)
        return loss, outputs

    def _compute_gradients(self, x, y, sample_weight, mode):
        """Fill every trainable weight's gradient array; returns ``(loss, outputs)``."""
        if mode == "autograd":
            return self._gradients_by_autograd(x, y, sample_weight)
        return self._gradients_by_backprop(x, y, sample_weight)

    def _gradients_by_backprop(self, x, y, sample_weight):
        if self._fused_loss is not None:
            # The output activation and the loss are evaluated together from the logits.
            last = self._layers[-1]
            logits = last.forward_logits(self._forward(x, True, self._layers[:-1]))
            loss, grad, outputs = self._fused_loss.value_and_gradient_from_logits(
                y, logits, sample_weight)
            grad = last.backward_from_logits(grad)
            remaining = self._layers[-2::-1]
        else:
            outputs = self._forward(x, True)
            loss, grad = self.loss.value_and_gradient(y, outputs, sample_weight)
            remaining = self._layers[::-1]
        loss = float(loss)
        for layer in remaining:
            grad = layer.backpropagate(grad)
        for w, g, regularizer in self._regularized:
            loss += float(regularizer(w))
            g += regularizer.gradient(w)
        return loss, outputs

    def _gradients_by_autograd(self, x, y, sample_weight):
        seen = {}

        def objective(weights):
            outputs = self._forward_with(weights, x)
            seen["outputs"] = outputs
            return self._loss_value(y, outputs, sample_weight) + \
                self._regularization_penalty(weights)

        weights = [w for w, _, _, _ in self._trainable_items]
        if not weights:  # everything frozen: nothing to differentiate
            outputs = self._forward(x, True)
            return float(self._loss_value(y, outputs, sample_weight)), outputs
        loss, grads = autograd.value_and_grad(objective)(weights)
        for (_, buffer, _, _), g in zip(self._trainable_items, grads):
            buffer[...] = g
        outputs = seen["outputs"]
        return float(loss), getattr(outputs, "_value", outputs)

    def _forward_with(self, trainable_values, x):
        """Forward pass (training mode) with the trainable weights replaced by ``values``."""
        values = iter(trainable_values)
        for layer in self._layers:
            trainable = {id(w) for w in layer.trainable_weights}
            substituted = [next(values) if id(w) in trainable else w for w in layer.weights]
            with layer.bound_weights(substituted):
                x = layer._call(x, True)
        return x

    def loss_and_gradients(self, x, y, sample_weight=None, method="backprop"):
        """Loss and ``{weight name: gradient}`` on one batch, without updating anything.

        ``method`` is "backprop" or "autograd"; used by :func:`minikeras.utils.check_gradients`.
        """
        self._require_compiled("loss_and_gradients")
        validation.check_choice("method", method, _GRADIENT_MODES)
        x, y, sample_weight = self._ready(*self._prepare_data(x, y, sample_weight))
        loss, _ = self._compute_gradients(x, y, sample_weight, method)
        return loss, {name: g.copy() for _, g, _, name in self._trainable_items}

    # ---------------------------------------------------------------- fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0):
        """Train the model for ``epochs`` passes over ``(x, y)``.

        Parameters
        ----------
        x, y : array-like
            Inputs ``(n, features)`` and targets in the form the loss expects.
        batch_size : int, default 32
            Pass ``len(x)`` for full-batch gradient descent.
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
        batch_size = _check_batch_size(batch_size)
        epochs = validation.check_int("epochs", epochs, minimum=0)
        initial_epoch = validation.check_int("initial_epoch", initial_epoch, minimum=0)
        verbose = validation.check_choice("verbose", verbose, _VERBOSE_CHOICES)
        validation_split = validation.check_float("validation_split", validation_split,
                                                  low=0.0, high=1.0, high_open=True)
        validation.check_bool("shuffle", shuffle)
        callbacks = validation.check_instances("callbacks", callbacks, callbacks_module.Callback)
        data = self._prepare_data(x, y, sample_weight)
        if class_weight is not None:
            weights = self._class_weights(class_weight, data[1])
            data = (data[0], data[1], weights if data[2] is None else data[2] * weights)
        if validation_data is not None:
            val = self._prepare_validation_data(validation_data)
        else:
            data, val = _split_off_validation(data, validation_split)
        x, y, sample_weight = self._ready(*data)

        n = len(x)
        steps = -(-n // batch_size)
        history = callbacks_module.History()
        all_callbacks = [history] + callbacks
        if verbose != 0:
            all_callbacks.append(callbacks_module.ProgbarLogger(1 if verbose == "auto" else verbose))
        callback_list = callbacks_module.CallbackList(
            all_callbacks, self, {"epochs": epochs, "steps": steps, "verbose": verbose})

        self.stop_training = False
        self.history = history
        callback_list.call("on_train_begin")
        logs = None
        try:
            for epoch in range(initial_epoch, epochs):
                callback_list.call("on_epoch_begin", epoch)
                order = utils.rng().permutation(n) if shuffle else None
                logs = self._train_epoch((x, y, sample_weight), batch_size, order, callback_list)
                if val is not None:
                    val_logs = self._evaluate_arrays(*val, batch_size, callback_list)
                    logs.update({"val_" + k: v for k, v in val_logs.items()})
                callback_list.call("on_epoch_end", epoch, logs)
                if self.stop_training:
                    break
        finally:
            self._clear_caches()
        callback_list.call("on_train_end", logs)
        return history

    def _train_epoch(self, data, batch_size, order, callback_list):
        """One pass over ``data = (x, y, sample_weight)``; returns the epoch's logs."""
        want_batch_logs = callback_list.wants("on_train_batch_end")
        tracker = _MeanTracker()
        for m in self._metrics:
            m.reset_state()
        for step, (xb, yb, wb) in enumerate(utils.batches(data, batch_size, order)):
            callback_list.batch("on_train_batch_begin", step)
            loss, outputs = self.train_step(xb, yb, wb)
            tracker.add(loss, len(xb))
            for m in self._metrics:
                m.update_state(yb, outputs, wb)
            if want_batch_logs:
                callback_list.batch("on_train_batch_end", step, self._logs(tracker.result()))
            if self.stop_training:
                break
        return self._logs(tracker.result())

    def _clear_caches(self):
        """Let go of the last batch each layer kept for back-propagation."""
        for layer in self._layers:
            layer.clear_cache()

    def _prepare_validation_data(self, validation_data):
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError(
                "Argument `validation_data` must be a tuple (x_val, y_val) or "
                f"(x_val, y_val, sample_weight_val), got {validation.describe(validation_data)}."
            )
        x_val, y_val = validation_data[0], validation_data[1]
        w_val = validation_data[2] if len(validation_data) == 3 else None
        return self._prepare_data(x_val, y_val, w_val, argument_suffix="_val")

    def _logs(self, loss):
        logs = {"loss": loss}
        for m in self._metrics:
            logs[m.name] = float(m.result())
        return logs

    # ---------------------------------------------------------------- evaluate / predict
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 return_dict=False):
        """Loss (and metrics) on ``(x, y)``, computed batch by batch.

        Returns
        -------
        float, list or dict
            The loss alone when no metric was compiled, else ``[loss, metric, ...]``;
            a ``{name: value}`` dict with ``return_dict=True``.
        """
        self._require_compiled("evaluate")
        batch_size = _check_batch_size(batch_size)
        validation.check_choice("verbose", verbose, _VERBOSE_CHOICES)
        x, y, sample_weight = self._ready(*self._prepare_data(x, y, sample_weight))
        logs = self._evaluate_arrays(x, y, sample_weight, batch_size)
        if verbose != 0:
            print(callbacks_module.format_logs(logs))
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def _evaluate_arrays(self, x, y, sample_weight, batch_size, callback_list=None):
        """Loss and metrics over ``(x, y)`` in batches; calls the ``on_test_*`` hooks if
        ``callback_list`` is given (as ``fit`` does for its validation data)."""
        callback_list = callback_list or callbacks_module.CallbackList([], self, {})
        callback_list.call("on_test_begin")
        tracker = _MeanTracker()
        for m in self._metrics:
            m.reset_state()
        for step, (xb, yb, wb) in enumerate(utils.batches((x, y, sample_weight), batch_size)):
            callback_list.batch("on_test_batch_begin", step)
            outputs = self._forward(xb, training=False)
            tracker.add(float(self._loss_value(yb, outputs, wb)), len(yb))
            for m in self._metrics:
                m.update_state(yb, outputs, wb)
            callback_list.batch("on_test_batch_end", step)
        self._clear_caches()
        penalty = float(self._regularization_penalty([w for w, _, _, _ in self._trainable_items]))
        logs = self._logs(tracker.result() + penalty)
        callback_list.call("on_test_end", logs)
        return logs

    def predict(self, x, batch_size=None, verbose="auto"):
        """Model outputs for ``x``, computed in batches of ``batch_size`` (default 32)."""
        batch_size = _check_batch_size(batch_size)
        validation.check_choice("verbose", verbose, _VERBOSE_CHOICES)
        x = self._prepare_x(x)
        self._ensure_built(x.shape)
        outputs = None
        for batch in utils.batch_slices(len(x), batch_size):
            out = self._forward(x[batch], training=False)
            if outputs is None:
                outputs = np.empty((len(x),) + out.shape[1:], dtype=out.dtype)
            outputs[batch] = out
        self._clear_caches()
        return outputs

    def __call__(self, inputs, training=False):
        """Forward pass on a batch (builds on first use)."""
        x = self._prepare_x(inputs, "inputs")
        self._ensure_built(x.shape)
        return self._forward(x, training)

    # ---------------------------------------------------------------- summary
    def summary(self, print_fn=None):
        """Print a table of layers, output shapes and parameter counts (as Keras does).

        Parameters
        ----------
        print_fn : callable, optional
            Receives the whole table as one string; defaults to ``print``.
        """
        (print_fn or print)(summary_table(self))

    # ---------------------------------------------------------------- helpers
    def _require_compiled(self, method):
        if not self.compiled:
            raise RuntimeError(
                f"You must call compile() before {method}(): the model has no loss or optimizer."
            )

    def _require_built(self, method):
        if not self.built:
            raise ValueError(
                f"The model must be built before {method}(): give it an Input, call "
                "build(input_shape), or call it on data."
            )

    def get_config(self):
        """The architecture: the ``Input`` shape and every layer's config."""
        return {
            "name": self.name,
            "input_shape": None if self._input_shape is None else list(self._input_shape[1:]),
            "layers": [{"class_name": type(layer).__name__, "config": layer.get_config()}
                       for layer in self._layers],
        }

    def __repr__(self):
        return f"<Sequential name={self.name!r}, layers={len(self._layers)}, built={self.built}>"


def _split_off_validation(data, fraction):
    """``(train, validation)`` from the last ``fraction`` of the samples, as Keras takes it."""
    if not fraction:
        return data, None
    n = len(data[0])
    split = int(n * (1.0 - fraction))
    if split == 0 or split == n:
        raise ValueError(
            f"Argument `validation_split={fraction}` leaves {split} training and "
            f"{n - split} validation samples out of {n}; both must be at least one."
        )
    return (tuple(None if a is None else a[:split] for a in data),
            tuple(None if a is None else a[split:] for a in data))


def _check_batch_size(batch_size):
    """``None`` means 32, as in Keras; otherwise a positive int."""
    return validation.check_int("batch_size", 32 if batch_size is None else batch_size, minimum=1)


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


class _MeanTracker:
    """Running mean of per-batch losses, weighted by batch size, in float64."""

    __slots__ = ("total", "count")

    def __init__(self):
        self.total = 0.0
        self.count = 0

    def add(self, value, count):
        self.total += value * count
        self.count += count

    def result(self):
        return self.total / self.count if self.count else 0.0
