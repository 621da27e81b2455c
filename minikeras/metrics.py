"""Stateful metrics: ``update_state`` per batch, ``result`` over everything seen so far.

Totals are kept in float64, so a metric accumulated over batches equals the value on the
whole data set up to rounding.
"""

import numpy as np

from . import losses
from .registry import Configurable, Registry, function_name, snake_case

__all__ = ["Metric", "Mean", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
           "CategoricalAccuracy", "SparseCategoricalAccuracy", "MeanSquaredError",
           "MeanAbsoluteError", "R2Score", "get", "register", "serialize"]


class Metric(Configurable):
    """Base class: ``update_state(y_true, y_pred, sample_weight=None)``, ``result()``,
    ``reset_state()``."""

    def __init__(self, name=None):
        self.name = name or snake_case(type(self).__name__)
        self.reset_state()

    def reset_state(self):
        raise NotImplementedError

    def update_state(self, y_true, y_pred, sample_weight=None):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"


class Mean(Metric):
    """Weighted mean of everything passed to ``update_state``: ``total / count``.

    ``update_state(values, sample_weight=None)`` averages each sample's values over their
    trailing axes, multiplies by its weight (1 if none) and adds; ``count`` grows by the
    weights' sum (the number of samples if none), as Keras' ``Mean`` does. ``fit`` tracks
    the epoch loss with one, weighting each batch's mean loss by the batch size.
    """

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None):
        if isinstance(values, float) and isinstance(sample_weight, (int, float, type(None))):
            weight = 1.0 if sample_weight is None else sample_weight
            self.total += values * weight
            self.count += weight
            return
        values = np.asarray(values, dtype=np.float64)
        if values.ndim > 1:
            values = values.reshape(len(values), -1).mean(axis=1)
        if sample_weight is None:
            self.total += float(values.sum())
            self.count += values.size
            return
        weights = np.broadcast_to(np.asarray(sample_weight, dtype=np.float64), values.shape)
        self.total += float(np.sum(values * weights))
        self.count += float(np.sum(weights))

    def result(self):
        return self.total / self.count if self.count else 0.0


class MeanMetric(Mean):
    """Weighted mean of per-sample values given by :meth:`values`."""

    #: True for metrics whose targets are integer class labels.
    sparse_targets = False

    def values(self, y_true, y_pred):
        """Per-sample values, shape ``(n,)``."""
        raise NotImplementedError

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = losses.align_targets(y_true, y_pred, self.sparse_targets)
        values = np.asarray(self.values(y_true, y_pred), dtype=np.float64)
        if sample_weight is not None:
            sample_weight = losses.per_sample_weights(sample_weight, len(values))
        super().update_state(values, sample_weight)


class MeanMetricWrapper(MeanMetric):
    """The running mean of a function ``fn(y_true, y_pred)`` returning per-sample values."""

    def __init__(self, fn, name=None):
        self.fn = fn
        super().__init__(name or getattr(fn, "__name__", "metric"))

    def serialized(self):
        """The function's registered name: ``metrics.get`` finds it by that name."""
        return function_name(self.fn)

    def values(self, y_true, y_pred):
        return self.fn(y_true, y_pred)


_registry = Registry("metric", Metric, function_wrapper=MeanMetricWrapper)
get, register, serialize = _registry.get, _registry.register, _registry.serialize
register("mean")(Mean)


@register("accuracy", "acc")
class Accuracy(MeanMetric):
    """Fraction of predictions exactly equal to the targets."""

    def values(self, y_true, y_pred):
        return np.mean(np.asarray(y_true).reshape(y_pred.shape) == y_pred, axis=-1)


@register("binary_accuracy")
class BinaryAccuracy(MeanMetric):
    """Fraction of ``(y_pred > threshold) == y_true`` over the outputs."""

    def __init__(self, name=None, threshold=0.5):
        self.threshold = threshold
        super().__init__(name)

    def values(self, y_true, y_pred):
        return np.mean((y_pred > self.threshold) == y_true, axis=-1)


@register("categorical_accuracy")
class CategoricalAccuracy(MeanMetric):
    """Fraction with ``argmax(y_pred) == argmax(y_true)`` (one-hot targets)."""

    def values(self, y_true, y_pred):
        return np.argmax(y_pred, axis=-1) == np.argmax(y_true, axis=-1)


@register("sparse_categorical_accuracy")
class SparseCategoricalAccuracy(MeanMetric):
    """Fraction with ``argmax(y_pred) == y_true`` (integer labels)."""

    sparse_targets = True

    def values(self, y_true, y_pred):
        return np.argmax(y_pred, axis=-1) == y_true


@register("mse", "mean_squared_error")
class MeanSquaredError(MeanMetric):
    """Mean of ``(y_pred - y_true) ** 2``."""

    def values(self, y_true, y_pred):
        return losses.MeanSquaredError().call(y_true, y_pred)


@register("mae", "mean_absolute_error")
class MeanAbsoluteError(MeanMetric):
    """Mean of ``|y_pred - y_true|``."""

    def values(self, y_true, y_pred):
        return losses.MeanAbsoluteError().call(y_true, y_pred)


@register("r2_score", "r2")
class R2Score(Metric):
    """Coefficient of determination ``1 - SS_res / SS_tot``, averaged over outputs."""

    def reset_state(self):
        self.count = 0.0
        self.sum = self.sum_squares = self.residual = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = losses.align_targets(y_true, y_pred)
        y_true, y_pred = y_true.astype(np.float64), y_pred.astype(np.float64)
        w = (np.ones(len(y_true)) if sample_weight is None
             else losses.per_sample_weights(sample_weight, len(y_true)).astype(np.float64))
        self.count = self.count + w.sum()
        self.sum = self.sum + w @ y_true
        self.sum_squares = self.sum_squares + w @ (y_true * y_true)
        self.residual = self.residual + w @ ((y_true - y_pred) ** 2)

    def result(self):
        if not self.count:
            return 0.0
        total = self.sum_squares - self.sum * self.sum / self.count
        # A constant target scores 1 if predicted exactly, else 0 (as scikit-learn does).
        safe = np.where(total > 0, total, 1.0)
        r2 = np.where(total > 0, 1 - self.residual / safe, np.where(self.residual == 0, 1.0, 0.0))
        return float(np.mean(r2))


def accuracy_for_loss(loss, output_width):
    """The accuracy metric for the string "accuracy", picked from the loss (as Keras 2 did).

    Binary cross-entropy (or one output) -> binary accuracy, sparse categorical
    cross-entropy -> sparse categorical accuracy, otherwise categorical accuracy. Keras 3
    picks from the shapes instead, which scores multi-label sigmoid outputs with categorical
    accuracy, a known trap. A binary cross-entropy on logits (``from_logits=True``) gets the
    threshold 0, the logit of probability 0.5, where Keras would apply 0.5 to logits.
    """
    if isinstance(loss, losses.BinaryCrossentropy) or output_width == 1:
        if getattr(loss, "from_logits", False):
            return lambda name: BinaryAccuracy(name=name, threshold=0.0)
        return BinaryAccuracy
    if isinstance(loss, losses.SparseCategoricalCrossentropy):
        return SparseCategoricalAccuracy
    return CategoricalAccuracy
