"""Stateful metrics: ``update_state`` per batch, ``result`` over everything seen so far.

Totals are kept in float64, so a metric accumulated over batches equals the value on the
whole data set up to rounding.

Besides the accuracies and mean errors, the module has Keras 3's classification metrics
(:class:`Precision`, :class:`Recall`, :class:`AUC`, :class:`F1Score`, the top-k
accuracies) and regression metrics (:class:`RootMeanSquaredError`,
:class:`MeanAbsolutePercentageError`, :class:`R2Score`), with Keras' semantics: the same
thresholds, the same epsilons, the same treatment of ties and of ``(n,)`` against
``(n, 1)`` shapes.
"""

import numbers
import warnings

import numpy as np

from . import initializers, losses, ops, validation
from .registry import Configurable, Registry, function_name, snake_case
from .variables import Variable

__all__ = ["Metric", "Mean", "LossMetric", "BinaryCrossentropy", "CategoricalCrossentropy",
           "SparseCategoricalCrossentropy", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
           "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
           "SparseTopKCategoricalAccuracy", "Precision", "Recall", "AUC", "F1Score",
           "MeanSquaredError", "MeanAbsoluteError", "RootMeanSquaredError",
           "MeanAbsolutePercentageError", "R2Score", "MeanSquaredLogarithmicError",
           "KLDivergence", "Poisson", "Hinge", "LogCoshError", "get", "register", "serialize"]

#: Keras' ``backend.epsilon()``: guards divisions and pads the AUC thresholds.
_EPSILON = 1e-7
#: What Keras' precision and recall give the predictions outside the top k.
_NEG_INF = -1e10


class Metric(Configurable):
    """Base class: ``update_state(y_true, y_pred, sample_weight=None)``, ``result()``,
    ``reset_state()``.

    Subclass it either way: keep plain attributes and write ``reset_state``, or, as in
    Keras 3, make the state with :meth:`add_variable` in ``__init__`` (after
    ``super().__init__(name=name)``), update it with ``assign``/``assign_add`` and let the
    base class's ``reset_state`` reset it.

    Parameters
    ----------
    name : str, optional
        Defaults to the snake_case class name.
    dtype : str, optional
        The dtype :meth:`add_variable` gives a state variable not given one (None: float64).
    """

    #: "up" if a higher result is better, "down" if lower is; callbacks watching a
    #: metric in ``mode="auto"`` read it (None: unknown, they ask for a mode).
    direction = None

    def __init__(self, name=None, dtype=None):
        if name is not None and not isinstance(name, str):
            raise ValueError(f"Argument `name` must be a string, got {validation.describe(name)}.")
        self.name = name or snake_case(type(self).__name__)
        self.dtype = dtype
        self._state_variables = []  # (variable, initializer) made by add_variable
        self.reset_state()

    def add_variable(self, shape=(), initializer="zeros", dtype=None, name=None):
        """A state :class:`~minikeras.variables.Variable` of this metric (not trained),
        set from ``initializer`` now and at every :meth:`reset_state`, as Keras 3's.

        Parameters
        ----------
        shape : tuple of int, default ()
            The variable's shape; ``()`` for a scalar.
        initializer : str, Initializer or function, default "zeros"
            Its value now and after every reset.
        dtype : str, optional
            Defaults to the metric's ``dtype``, else "float64".
        name : str, optional
            Defaults to ``"variable_<i>"``.

        Returns
        -------
        Variable
            Not trainable; ``evaluate`` updates it too.
        """
        dtype = dtype or self.dtype or "float64"
        initializer = initializers.get(initializer)
        variable = Variable(initializer(tuple(shape), dtype=dtype), trainable=False,
                            name=name or f"variable_{len(self._state_variables)}", dtype=dtype)
        variable.model_state = False  # evaluate (a dry run for the model) updates it
        self._state_variables.append((variable, initializer))
        return variable

    def reset_state(self):
        """Forget everything accumulated: the state of a metric that has seen nothing. The
        base class sets the variables made with :meth:`add_variable` back to their
        initial values."""
        for variable, initializer in getattr(self, "_state_variables", []):
            variable.assign(initializer(variable.shape, dtype=variable.dtype))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate one batch.

        Parameters
        ----------
        y_true : array_like
            Targets of the batch, as the loss takes them.
        y_pred : array_like
            The model's outputs for the batch.
        sample_weight : array_like, optional
            One weight per sample (None: every sample counts once).
        """
        raise NotImplementedError

    def result(self):
        """The metric over everything accumulated since the last :meth:`reset_state`.

        Returns
        -------
        float or ndarray
            A float, or an array for per-class results.
        """
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"


class Mean(Metric):
    """Weighted mean of everything passed to ``update_state``: ``total / count``.

    ``update_state(values, sample_weight=None)`` averages each sample's values over their
    trailing axes, multiplies by its weight (1 if none) and adds; ``count`` grows by the
    weights' sum (the number of samples if none), as Keras' ``Mean`` does. ``fit`` tracks
    the epoch loss with one, weighting each batch's mean loss by the batch size.

    Parameters
    ----------
    name : str, optional
        Defaults to ``"mean"``.
    dtype : str, optional
        Kept as ``self.dtype``; the running totals are float64 whatever it is.
    """

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None):
        """Add a batch of values to the mean.

        Parameters
        ----------
        values : float or array_like
            One value per sample (values with trailing axes are averaged per sample); a
            float is one value.
        sample_weight : float or array_like, optional
            One weight per value (``(n,)`` or ``(n, 1)``), or one for all (None: every
            value counts once);
            ``fit`` gives a batch's mean loss the batch size as its weight.
        """
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
        weights = np.asarray(sample_weight, dtype=np.float64)
        if weights.ndim == values.ndim + 1 and weights.shape[-1] == 1:  # (n, 1), as Keras
            weights = weights[..., 0]
        weights = np.broadcast_to(weights, values.shape)
        self.total += float(np.sum(values * weights))
        self.count += float(np.sum(weights))

    def result(self):
        return self.total / self.count if self.count else 0.0


class MeanMetric(Mean):
    """Weighted mean of per-sample values given by :meth:`values`."""

    #: True for metrics whose targets are integer class labels.
    sparse_targets = False

    def values(self, y_true, y_pred):
        """Per-sample values, shape ``(n,)``.

        Parameters
        ----------
        y_true : numpy.ndarray
            The batch's targets, with the ranks :func:`minikeras.losses.align_targets`
            gives them (integer class labels ``(n,)`` for a metric with ``sparse_targets``).
        y_pred : numpy.ndarray
            The model's outputs for the batch.
        """
        raise NotImplementedError

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the batch's :meth:`values` to the mean.

        Parameters
        ----------
        y_true : array_like
            Targets of the batch, as the loss takes them.
        y_pred : array_like
            The model's outputs for the batch.
        sample_weight : array_like of shape (n,) or (n, 1), optional
            One weight per sample (None: every sample counts once).
        """
        y_true, y_pred = losses.align_targets(y_true, y_pred, self.sparse_targets)
        values = np.asarray(self.values(y_true, y_pred))
        if sample_weight is None and values.dtype == bool and values.ndim == 1:
            self.total += int(np.count_nonzero(values))  # hits (the accuracies): exact
            self.count += values.size
            return
        values = values.astype(np.float64, copy=False)
        if sample_weight is not None:
            sample_weight = losses.per_sample_weights(sample_weight, len(values))
        super().update_state(values, sample_weight)


class MeanMetricWrapper(MeanMetric):
    """The running mean of a function ``fn(y_true, y_pred)`` returning per-sample values.

    Parameters
    ----------
    fn : callable
        ``fn(y_true, y_pred)``, returning one value per sample.
    name : str, optional
        Defaults to ``fn.__name__``.
    """

    def __init__(self, fn, name=None):
        self.fn = fn
        super().__init__(name or getattr(fn, "__name__", "metric"))

    def serialized(self):
        """The function's registered name: ``metrics.get`` finds it by that name."""
        return function_name(self.fn)

    def values(self, y_true, y_pred):
        return self.fn(y_true, y_pred)


def _columns(metric, y_true, y_pred, what, width):
    """``(y_true, y_pred)`` as float64 arrays of one shape ``(samples, what)``, with the
    ``width`` of earlier updates (if any); ValueError naming the metric otherwise."""
    y_true, y_pred = losses.align_targets(y_true, y_pred)
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    name = type(metric).__name__
    if y_pred.ndim != 2 or y_true.shape != y_pred.shape:
        raise ValueError(
            f"{name} expects targets and predictions of the same shape (samples, {what}), "
            f"got y_true {y_true.shape} and y_pred {y_pred.shape}."
        )
    if width is not None and y_pred.shape[1] != width:
        raise ValueError(f"{name} was updated with {width} {what} before, got y_pred of "
                         f"shape {y_pred.shape}.")
    return y_true, y_pred


_registry = Registry("metric", Metric, function_wrapper=MeanMetricWrapper)
get, register, serialize = _registry.get, _registry.register, _registry.serialize
register("mean")(Mean)


@register("accuracy", "acc")
class Accuracy(MeanMetric):
    """Fraction of predictions exactly equal to the targets.

    Parameters
    ----------
    name : str, optional
        Defaults to ``"accuracy"``.
    dtype : str, optional
        Kept as ``self.dtype``; the running totals are float64 whatever it is.
    """

    direction = "up"

    def values(self, y_true, y_pred):
        return np.mean(np.asarray(y_true).reshape(y_pred.shape) == y_pred, axis=-1)


@register("binary_accuracy")
class BinaryAccuracy(MeanMetric):
    """Fraction of ``(y_pred > threshold) == y_true`` over the outputs.

    Parameters
    ----------
    name : str, optional
        Defaults to ``"binary_accuracy"``.
    threshold : float, default 0.5
        A prediction above it counts as 1, others as 0.
    """

    direction = "up"

    def __init__(self, name=None, threshold=0.5):
        self.threshold = threshold
        super().__init__(name)

    def values(self, y_true, y_pred):
        return np.mean((y_pred > self.threshold) == y_true, axis=-1)


@register("categorical_accuracy")
class CategoricalAccuracy(MeanMetric):
    """Fraction with ``argmax(y_pred) == argmax(y_true)`` (one-hot targets).

    Parameters
    ----------
    name : str, optional
        Defaults to ``"categorical_accuracy"``.
    dtype : str, optional
        Kept as ``self.dtype``; the running totals are float64 whatever it is.
    """

    direction = "up"

    def values(self, y_true, y_pred):
        return np.argmax(y_pred, axis=-1) == np.argmax(y_true, axis=-1)


@register("sparse_categorical_accuracy")
class SparseCategoricalAccuracy(MeanMetric):
    """Fraction with ``argmax(y_pred) == y_true`` (integer labels).

    Parameters
    ----------
    name : str, optional
        Defaults to ``"sparse_categorical_accuracy"``.
    dtype : str, optional
        Kept as ``self.dtype``; the running totals are float64 whatever it is.
    """

    direction = "up"

    sparse_targets = True

    def values(self, y_true, y_pred):
        return np.argmax(y_pred, axis=-1) == y_true


@register("top_k_categorical_accuracy")
class TopKCategoricalAccuracy(MeanMetric):
    """Fraction of samples whose true class is among the ``k`` highest predictions.

    With one-hot targets: ``mean(score[argmax(y_true)] >= kth_largest(y_pred))``, i.e. the
    true class counts as found if fewer than ``k`` scores are strictly higher than its
    own. Classes tied with the k-th score all count as in the top k (as TensorFlow's
    ``in_top_k`` and Keras 3 do), and ``k`` at least the number of classes scores 1.

    Parameters
    ----------
    k : int, default 5
        How many of the highest predictions to look at.
    name : str, optional
    """

    direction = "up"

    def __init__(self, k=5, name=None):
        self.k = validation.check_int("k", k, minimum=1)
        super().__init__(name)

    def values(self, y_true, y_pred):
        return _in_top_k(np.argmax(y_true, axis=-1), y_pred, self.k)


@register("sparse_top_k_categorical_accuracy")
class SparseTopKCategoricalAccuracy(TopKCategoricalAccuracy):
    """:class:`TopKCategoricalAccuracy` for integer class labels, shape ``(n,)`` or ``(n, 1)``.

    ``mean(score[y_true] >= kth_largest(y_pred))``; a label outside ``[0, classes)`` is
    never found (as in TensorFlow).

    Parameters
    ----------
    k : int, default 5
    name : str, optional
    """

    sparse_targets = True

    def values(self, y_true, y_pred):
        return _in_top_k(y_true, y_pred, self.k)


def _in_top_k(labels, scores, k):
    """Whether each label's score is among the ``k`` largest of its row (ties included)."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels).astype(np.intp, copy=False)
    found = (labels >= 0) & (labels < scores.shape[-1])
    own = np.take_along_axis(scores, np.where(found, labels, 0)[..., None], axis=-1)
    return found & (np.sum(scores > own, axis=-1) < k)


class LossMetric(MeanMetric):
    """The running (weighted) mean of a loss's per-sample values; subclasses name the loss
    in ``loss_class`` (see the loss for the formula).

    Parameters
    ----------
    name : str, optional
        Defaults to the snake_case class name.
    dtype : str, optional
        Kept as ``self.dtype``; the running totals are float64 whatever it is.
    """

    direction = "down"
    loss_class = None

    def values(self, y_true, y_pred):
        return self._loss().per_sample(y_true, y_pred)

    def _loss(self):
        return self.loss_class()


@register("mse", "mean_squared_error")
class MeanSquaredError(LossMetric):
    """Mean of ``(y_pred - y_true) ** 2``.

    Parameters
    ----------
    name : str, optional
        Defaults to ``"mean_squared_error"``.
    dtype : str, optional
        Kept as ``self.dtype``; the running totals are float64 whatever it is.
    """

    loss_class = losses.MeanSquaredError


@register("mae", "mean_absolute_error")
class MeanAbsoluteError(LossMetric):
    """Mean of ``|y_pred - y_true|``.

    Parameters
    ----------
    name : str, optional
        Defaults to ``"mean_absolute_error"``.
    dtype : str, optional
        Kept as ``self.dtype``; the running totals are float64 whatever it is.
    """

    loss_class = losses.MeanAbsoluteError


@register("msle", "mean_squared_logarithmic_error")
class MeanSquaredLogarithmicError(LossMetric):
    """Mean of ``(log(1 + y_pred) - log(1 + y_true)) ** 2`` (see
    :class:`minikeras.losses.MeanSquaredLogarithmicError`).

    Parameters
    ----------
    name : str, optional
        Defaults to ``"mean_squared_logarithmic_error"``.
    dtype : str, optional
        Kept as ``self.dtype``; the running totals are float64 whatever it is.
    """

    loss_class = losses.MeanSquaredLogarithmicError


@register("kld", "kl_divergence", "kullback_leibler_divergence")
class KLDivergence(LossMetric):
    """Mean of ``sum(y_true log(y_true / y_pred))`` (see
    :class:`minikeras.losses.KLDivergence`).

    Parameters
    ----------
    name : str, optional
        Defaults to ``"kl_divergence"``.
    dtype : str, optional
        Kept as ``self.dtype``; the running totals are float64 whatever it is.
    """

    loss_class = losses.KLDivergence


@register("poisson")
class Poisson(LossMetric):
    """Mean of ``y_pred - y_true log(y_pred + epsilon)`` (see :class:`minikeras.losses.Poisson`).

    Parameters
    ----------
    name : str, optional
        Defaults to ``"poisson"``.
    dtype : str, optional
        Kept as ``self.dtype``; the running totals are float64 whatever it is.
    """

    loss_class = losses.Poisson


@register("hinge")
class Hinge(LossMetric):
    """Mean of ``max(1 - y_true y_pred, 0)`` with labels -1 or 1 (0 or 1 are mapped, see
    :class:`minikeras.losses.Hinge`).

    Parameters
    ----------
    name : str, optional
        Defaults to ``"hinge"``.
    dtype : str, optional
        Kept as ``self.dtype``; the running totals are float64 whatever it is.
    """

    loss_class = losses.Hinge


@register("logcosh", "log_cosh_error")
class LogCoshError(LossMetric):
    """Mean of ``log(cosh(y_pred - y_true))`` (see :class:`minikeras.losses.LogCosh`).

    Parameters
    ----------
    name : str, default "logcosh"
        Keras' default name for this metric.
    dtype : str, optional
        Kept as ``self.dtype``; the running totals are float64 whatever it is.
    """

    loss_class = losses.LogCosh

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(name, dtype)


class _CrossentropyMetric(LossMetric):
    """A cross-entropy as a metric, with the loss's ``from_logits``."""

    def __init__(self, name=None, from_logits=False):
        self.from_logits = validation.check_bool("from_logits", from_logits)
        super().__init__(name)

    def _loss(self):
        return self.loss_class(from_logits=self.from_logits)


@register("binary_crossentropy")
class BinaryCrossentropy(_CrossentropyMetric):
    """Mean binary cross-entropy ``-mean(y log p + (1 - y) log(1 - p))``.

    Parameters
    ----------
    name : str, optional
        Defaults to ``"binary_crossentropy"``.
    from_logits : bool, default False
        ``y_pred`` holds logits rather than probabilities.
    """

    loss_class = losses.BinaryCrossentropy


@register("categorical_crossentropy")
class CategoricalCrossentropy(_CrossentropyMetric):
    """Mean categorical cross-entropy ``-sum(y log p)`` (one-hot targets).

    Parameters
    ----------
    name : str, optional
        Defaults to ``"categorical_crossentropy"``.
    from_logits : bool, default False
        ``y_pred`` holds logits rather than probabilities.
    """

    loss_class = losses.CategoricalCrossentropy


@register("sparse_categorical_crossentropy")
class SparseCategoricalCrossentropy(_CrossentropyMetric):
    """Mean cross-entropy ``-log p[y]`` for integer class labels.

    Parameters
    ----------
    name : str, optional
        Defaults to ``"sparse_categorical_crossentropy"``.
    from_logits : bool, default False
        ``y_pred`` holds logits rather than probabilities.
    """

    loss_class = losses.SparseCategoricalCrossentropy
    sparse_targets = True


@register("root_mean_squared_error", "rmse")
class RootMeanSquaredError(MeanMetric):
    """Root of the weighted mean squared error, as Keras' ``RootMeanSquaredError``.

    ``sqrt(sum_i w_i * mean_j (y_pred_ij - y_true_ij) ** 2 / sum_i w_i)``: each sample's
    squared errors are averaged over its outputs, the samples are averaged with their
    weights (1 if none), and the root is taken of the total, never per batch.

    Parameters
    ----------
    name : str, optional
    dtype : str, optional
        Kept as ``self.dtype``; the running totals are float64 whatever it is.
    """

    direction = "down"

    def values(self, y_true, y_pred):
        error = np.asarray(y_pred, dtype=np.float64) - np.asarray(y_true, dtype=np.float64)
        return np.mean(error * error, axis=-1)

    def result(self):
        return float(np.sqrt(super().result()))


@register("mean_absolute_percentage_error", "mape")
class MeanAbsolutePercentageError(MeanMetric):
    """Mean absolute percentage error, in percent, as Keras' metric of that name.

    ``100 * mean(|y_true - y_pred| / max(|y_true|, epsilon))`` with ``epsilon = 1e-7``:
    a zero target gives a huge but finite value, as in Keras. scikit-learn's
    ``mean_absolute_percentage_error`` is the same ratio without the factor 100.

    Parameters
    ----------
    name : str, optional
    dtype : str, optional
        Kept as ``self.dtype``; the running totals are float64 whatever it is.
    """

    direction = "down"

    def values(self, y_true, y_pred):
        y_true = np.asarray(y_true, dtype=np.float64)
        ratio = np.abs(y_true - y_pred) / np.maximum(np.abs(y_true), _EPSILON)
        return 100.0 * np.mean(ratio, axis=-1)


_R2_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


@register("r2_score", "r2")
class R2Score(Metric):
    """Coefficient of determination, per output then aggregated, as Keras' ``R2Score``.

    For each output column ``j``, with sample weights ``w`` (1 if none)::

        SS_res_j = sum_i w_i (y_true_ij - y_pred_ij) ** 2
        SS_tot_j = sum_i w_i (y_true_ij - mean_w(y_true_j)) ** 2
        R2_j = 1 - SS_res_j / SS_tot_j

    A constant target column (``SS_tot_j = 0``) scores 0, or 1 if predicted exactly (as
    scikit-learn does; Keras gives NaN in that second case). The columns are then
    averaged uniformly, weighted by ``SS_tot_j``, or returned as they are. With
    ``num_regressors = p > 0`` the adjusted score ``1 - (1 - R2) (n - 1) / (n - p - 1)``
    is returned, where ``n`` counts the target values seen (Keras' choice); if
    ``p >= n - 1`` a warning is given and the plain score returned.

    The per-column weighted count, mean and sum of squared deviations are merged batch by
    batch (Chan et al.), so accumulating batches equals one call on all the data up to
    rounding, without the cancellation of ``sum(y**2) - sum(y)**2 / n``.

    Parameters
    ----------
    class_aggregation : {"uniform_average", "variance_weighted_average", None}
        scikit-learn's ``multioutput``: the mean over outputs, the mean weighted by each
        output's ``SS_tot``, or one score per output (an array).
    num_regressors : int, default 0
        Number of regressors for the adjusted R2; 0 gives the plain R2.
    name : str, optional
    """

    direction = "up"

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name=None):
        self.class_aggregation = validation.check_choice("class_aggregation",
                                                         class_aggregation, _R2_AGGREGATIONS)
        self.num_regressors = validation.check_int("num_regressors", num_regressors, minimum=0)
        super().__init__(name)

    def reset_state(self):
        self.count = self.mean = self.deviations = self.residual = None
        self.num_samples = 0

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _columns(self, y_true, y_pred, "outputs",
                                  None if self.count is None else len(self.count))
        w = _element_weights(sample_weight, y_true.shape)
        w = np.ones_like(y_true) if w is None else w
        count = w.sum(axis=0)
        mean = _divide_no_nan((w * y_true).sum(axis=0), count)
        deviations = (w * (y_true - mean) ** 2).sum(axis=0)
        residual = (w * (y_true - y_pred) ** 2).sum(axis=0)
        if self.count is None:
            self.count, self.mean, self.deviations, self.residual = (count, mean, deviations,
                                                                     residual)
        else:
            total = self.count + count
            delta = mean - self.mean
            self.mean = self.mean + _divide_no_nan(delta * count, total)
            self.deviations = (self.deviations + deviations
                               + _divide_no_nan(delta * delta * self.count * count, total))
            self.residual = self.residual + residual
            self.count = total
        self.num_samples += y_true.size

    def result(self):
        if self.count is None or not np.any(self.count):
            return 0.0
        total, residual = self.deviations, self.residual
        safe = np.where(total > 0, total, 1.0)
        scores = np.where(total > 0, 1 - residual / safe, np.where(residual == 0, 1.0, 0.0))
        if self.class_aggregation == "uniform_average":
            score = float(np.mean(scores))
        elif self.class_aggregation == "variance_weighted_average":
            # All columns constant: scikit-learn falls back to the plain mean.
            score = float(np.sum(total * scores) / total.sum() if total.sum() > 0
                          else np.mean(scores))
        else:
            score = scores
        p, n = self.num_regressors, self.num_samples
        if p:
            if p >= n - 1:
                warnings.warn(
                    f"R2Score: num_regressors={p} but only {n} target values were seen; "
                    "the adjusted R2 needs more values than regressors plus one. Returning "
                    "the plain R2 score.", stacklevel=2)
            else:
                score = 1 - (1 - score) * (n - 1) / (n - p - 1)
        return score


# ---------------------------------------------------------------- confusion-matrix metrics

def _divide_no_nan(numerator, denominator):
    """``numerator / denominator``, 0 where the denominator is 0 (Keras' ``divide_no_nan``)."""
    numerator, denominator = np.broadcast_arrays(np.asarray(numerator, dtype=np.float64),
                                                 np.asarray(denominator, dtype=np.float64))
    out = np.zeros(numerator.shape)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def _match_ranks(y_true, y_pred):
    """Targets and predictions as float64 arrays of one shape, as Keras aligns them.

    A trailing axis of length 1 is added to an ``(n,)`` array facing ``(n, 1)``, or taken
    off a higher-rank array (Keras' ``squeeze_or_expand_to_same_rank``).
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        if y_true.ndim == 1:
            y_true = y_true[:, None]
        else:
            y_pred = y_pred[..., 0]
    elif y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        if y_pred.ndim == 1:
            y_pred = y_pred[:, None]
        else:
            y_true = y_true[..., 0]
    if y_true.shape != y_pred.shape or y_pred.ndim == 0:
        raise ValueError(
            f"Targets of shape {y_true.shape} do not match predictions of shape "
            f"{y_pred.shape}; expected the same shape, or (n,) against (n, 1)."
        )
    return y_true, y_pred


def _element_weights(sample_weight, shape):
    """``sample_weight`` broadcast to ``shape`` (None stays None).

    One weight per sample, ``(n,)`` or ``(n, 1)``, applies to all of the sample's outputs;
    any shape that broadcasts to ``shape`` (a scalar, one weight per value) is accepted too.
    """
    if sample_weight is None:
        return None
    weights = np.asarray(sample_weight, dtype=np.float64)
    n = shape[0]
    if weights.shape in ((n,), (n, 1)):
        weights = weights.reshape((n,) + (1,) * (len(shape) - 1))
    try:
        return np.broadcast_to(weights, shape)
    except ValueError:
        raise ValueError(
            f"Argument `sample_weight` must have shape ({n},) or one that broadcasts to the "
            f"predictions' shape {tuple(shape)}, got {weights.shape}."
        ) from None


def _check_thresholds(value, allow_scalar=True):
    """``value`` as a float or a list of floats in [0, 1], or raise naming `thresholds`."""
    expected = ("a number in [0, 1] or a non-empty list of them" if allow_scalar
                else "a list of numbers in [0, 1]")

    def number(v):
        return (isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))
                and 0.0 <= v <= 1.0)

    if allow_scalar and isinstance(value, numbers.Real) and not isinstance(value, bool):
        if number(value):
            return float(value)
    elif isinstance(value, (list, tuple, np.ndarray)) and np.ndim(value) == 1:
        items = list(value)
        if (items or not allow_scalar) and all(number(v) for v in items):
            return [float(v) for v in items]
    raise ValueError(
        f"Argument `thresholds` must be {expected}, got {validation.describe(value)}."
    )


def _evenly_spaced(thresholds):
    """Whether ``thresholds`` are ``0, 1/(T-1), ..., 1`` (Keras then buckets the scores)."""
    t = len(thresholds)
    return t >= 3 and bool(np.allclose(thresholds, np.arange(t) / (t - 1), atol=_EPSILON))


def _confusion(truth, scores, weights, thresholds, evenly, per_label=False):
    """Weighted ``(tp, fp, tn, fn)`` for each threshold: ``score > threshold`` is positive.

    ``truth`` (nonzero is positive), ``scores`` and ``weights`` (None for 1) share a shape;
    everything is pooled unless ``per_label``, which keeps the last axis (shape ``(T, L)``
    results instead of ``(T,)``). For evenly spaced thresholds the scores are clipped to
    [0, 1] and bucketed by ``ceil(score * (T - 1)) - 1``, every score passing a first
    threshold below 0, exactly as Keras does; otherwise they are compared with each
    threshold. Either way the cost is O(n + T) after one sort of the thresholds.
    """
    truth = truth != 0
    weights = np.ones(scores.shape) if weights is None else weights
    positives = np.where(truth, weights, 0.0)
    negatives = np.where(truth, 0.0, weights)
    if per_label:
        width = scores.shape[-1]
        positives, negatives, scores = (a.reshape(-1, width)
                                        for a in (positives, negatives, scores))
    else:
        width = 1
        positives, negatives, scores = (a.reshape(-1, 1) for a in (positives, negatives, scores))
    thresholds = np.asarray(thresholds, dtype=np.float64)
    t = len(thresholds)
    if evenly:  # ``passed`` = how many thresholds each score exceeds
        with np.errstate(invalid="ignore"):
            passed = np.ceil(np.clip(scores, 0.0, 1.0) * (t - 1))
        if thresholds[0] < 0:
            passed = np.maximum(passed, 1)
        order = None
    else:
        order = np.argsort(thresholds, kind="stable")
        passed = np.searchsorted(thresholds[order], scores, side="left").astype(np.float64)
    passed = np.where(np.isnan(passed), 0, passed).astype(np.intp)
    cells = (passed * width + np.arange(width)).ravel()

    def above(values):
        """Weighted count of scores above each threshold (in sorted order)."""
        hist = np.bincount(cells, weights=values.ravel(), minlength=(t + 1) * width)
        hist = hist.reshape(t + 1, width)
        return np.cumsum(hist[::-1], axis=0)[::-1][1:]

    tp, fp = above(positives), above(negatives)
    if order is not None:  # back to the thresholds' own order
        tp[order], fp[order] = tp.copy(), fp.copy()
    fn = positives.sum(axis=0) - tp
    tn = negatives.sum(axis=0) - fp
    if not per_label:
        tp, fp, tn, fn = tp[:, 0], fp[:, 0], tn[:, 0], fn[:, 0]
    return tp, fp, tn, fn


def _keep_top_k(scores, k):
    """``scores`` with all but each row's ``k`` highest set to -1e10 (ties: lower index)."""
    if k > scores.shape[-1]:
        raise ValueError(f"Argument `top_k` is {k}, but the predictions have only "
                         f"{scores.shape[-1]} values along their last axis.")
    top = np.argsort(-scores, axis=-1, kind="stable")[..., :k]
    keep = np.zeros(scores.shape, dtype=bool)
    np.put_along_axis(keep, top, True, axis=-1)
    return np.where(keep, scores, _NEG_INF)


class _PrecisionRecall(Metric):
    """True positives, false positives and false negatives at fixed thresholds."""

    direction = "up"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None):
        self.thresholds = None if thresholds is None else _check_thresholds(thresholds)
        self.top_k = validation.check_int("top_k", top_k, minimum=1, allow_none=True)
        self.class_id = validation.check_int("class_id", class_id, minimum=0, allow_none=True)
        default = 0.5 if top_k is None else _NEG_INF
        self._cutoffs = np.atleast_1d(np.asarray(
            default if thresholds is None else self.thresholds, dtype=np.float64))
        self._evenly = _evenly_spaced(self._cutoffs)
        super().__init__(name)

    def reset_state(self):
        shape = (len(self._cutoffs),)
        self.true_positives = np.zeros(shape)
        self.false_positives = np.zeros(shape)
        self.false_negatives = np.zeros(shape)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add a batch's counts; ``y_true`` is read as booleans (nonzero is positive)."""
        y_true, y_pred = _match_ranks(y_true, y_pred)
        weights = _element_weights(sample_weight, y_pred.shape)
        if self.top_k is not None:
            y_pred = _keep_top_k(y_pred, self.top_k)
        if self.class_id is not None:
            if y_pred.ndim < 2 or self.class_id >= y_pred.shape[-1]:
                raise ValueError(
                    f"Argument `class_id` is {self.class_id}, but the predictions have shape "
                    f"{y_pred.shape}; expected (samples, classes) with more than "
                    f"{self.class_id} classes."
                )
            y_true, y_pred = y_true[..., self.class_id], y_pred[..., self.class_id]
            weights = None if weights is None else weights[..., self.class_id]
        tp, fp, _, fn = _confusion(y_true, y_pred, weights, self._cutoffs, self._evenly)
        self.true_positives += tp
        self.false_positives += fp
        self.false_negatives += fn

    def _rate(self, other):
        rate = _divide_no_nan(self.true_positives, self.true_positives + other)
        return float(rate[0]) if len(rate) == 1 else rate


_CONFUSION_PARAMETERS = """
    Parameters
    ----------
    thresholds : float or list of float in [0, 1], optional
        A prediction is positive when strictly above the threshold. One threshold gives a
        float result, a list gives an array with one value per threshold. Defaults to 0.5,
        or to -1e10 when ``top_k`` is set. Use 0 for a model that outputs logits.
    top_k : int, optional
        Only the ``top_k`` highest predictions along the last axis can be positive (ties
        go to the lower index); the others are set to -1e10. As in Keras, ``(n,)``
        predictions have the batch as their last axis.
    class_id : int, optional
        Score only this column of ``(samples, classes)`` predictions, after ``top_k``.
    name : str, optional

    Notes
    -----
    Every value of ``y_true`` and ``y_pred`` is one binary decision: multi-output data is
    pooled. ``sample_weight`` of shape ``(n,)`` or ``(n, 1)`` weights all of a sample's
    values; any shape broadcasting to the predictions is accepted. ``0 / 0`` gives 0.
    When the thresholds are evenly spaced from 0 to 1 (three or more), the predictions are
    first clipped to [0, 1], as Keras does.
"""


@register("precision")
class Precision(_PrecisionRecall):
    __doc__ = """Precision ``TP / (TP + FP)`` of thresholded predictions, as Keras' ``Precision``.

    ``TP`` and ``FP`` are the weighted counts of positive and negative targets whose
    prediction exceeds the threshold, summed over every batch seen.
    """ + _CONFUSION_PARAMETERS

    def result(self):
        return self._rate(self.false_positives)


@register("recall")
class Recall(_PrecisionRecall):
    __doc__ = """Recall ``TP / (TP + FN)`` of thresholded predictions, as Keras' ``Recall``.

    ``TP`` and ``FN`` are the weighted counts of positive targets whose prediction is
    above, respectively not above, the threshold, summed over every batch seen.
    """ + _CONFUSION_PARAMETERS

    def result(self):
        return self._rate(self.false_negatives)


_CURVES = ("ROC", "PR", "roc", "pr")
_SUMMATIONS = ("interpolation", "minoring", "majoring", "Interpolation", "Minoring", "Majoring")


@register("auc")
class AUC(Metric):
    """Area under the ROC or precision-recall curve, approximated as Keras' ``AUC`` does.

    The predictions are counted into confusion matrices at ``T`` thresholds
    ``t_0 = -epsilon < t_1 < ... < t_{T-1} = 1 + epsilon`` (``epsilon = 1e-7``; by default
    ``t_i = i / (T - 1)`` in between), giving at each threshold the true positive rate
    ``TPR = TP / (TP + FN)``, false positive rate ``FPR = FP / (FP + TN)`` and precision
    ``P = TP / (TP + FP)`` (``0 / 0 = 0``). Then, for ``curve="ROC"``::

        AUC = sum_i (FPR_i - FPR_{i+1}) * h_i

    with ``h_i = (TPR_i + TPR_{i+1}) / 2`` ("interpolation", the trapezoidal rule),
    ``min(TPR_i, TPR_{i+1})`` ("minoring") or ``max(...)`` ("majoring"); the PR curve puts
    ``P`` over ``TPR`` with "minoring" and "majoring". The PR curve with "interpolation"
    interpolates TP and ``TP + FP`` linearly between thresholds (Davis & Goadrich, 2006)::

        AUC = sum_i s_i * (dTP_i + b_i * log(Q_i / Q_{i+1})) / (TP_{i+1} + FN_{i+1})

    with ``Q = TP + FP``, ``dTP_i = TP_i - TP_{i+1}``, slope ``s_i = dTP_i / (Q_i - Q_{i+1})``
    and intercept ``b_i = TP_{i+1} - s_i Q_{i+1}`` (the log term is 0 where a ``Q`` is 0).

    Pairs of a positive and a negative whose scores fall between the same two thresholds
    count as ties, so with well-spread scores the ROC AUC is within half the fraction of
    such pairs of the exact (scikit-learn) value.

    Parameters
    ----------
    num_thresholds : int, default 200
        Number of thresholds (at least 2), ignored when ``thresholds`` is given.
    curve : {"ROC", "PR"}
    summation_method : {"interpolation", "minoring", "majoring"}
    thresholds : list of float in [0, 1], optional
        The thresholds to use between ``-epsilon`` and ``1 + epsilon``; then
        ``num_thresholds`` becomes ``len(thresholds) + 2``.
    multi_label : bool, default False
        If True, ``(samples, labels)`` data gives one curve per label and the result is
        the mean of their areas; if False, every value is pooled into one curve.
    from_logits : bool, default False
        Apply a sigmoid to the predictions first.
    name : str, optional
    """

    direction = "up"

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 thresholds=None, multi_label=False, from_logits=False, name=None):
        self.curve = validation.check_choice("curve", curve, _CURVES).upper()
        self.summation_method = validation.check_choice(
            "summation_method", summation_method, _SUMMATIONS).lower()
        self.multi_label = validation.check_bool("multi_label", multi_label)
        self.from_logits = validation.check_bool("from_logits", from_logits)
        if thresholds is None:
            self.num_thresholds = validation.check_int("num_thresholds", num_thresholds,
                                                       minimum=2)
            self.thresholds = None
            inner = [(i + 1) * 1.0 / (self.num_thresholds - 1)
                     for i in range(self.num_thresholds - 2)]
            self._evenly = True
        else:
            inner = sorted(_check_thresholds(thresholds, allow_scalar=False))
            self.num_thresholds = len(inner) + 2
            self.thresholds = inner
            self._evenly = _evenly_spaced([0.0] + inner + [1.0])
        self._cutoffs = np.array([-_EPSILON] + inner + [1.0 + _EPSILON])
        super().__init__(name)

    def reset_state(self):
        shape = None if self.multi_label else (self.num_thresholds,)
        self.true_positives = self.false_positives = None
        self.true_negatives = self.false_negatives = None
        if shape is not None:
            self.true_positives, self.false_positives, self.true_negatives, \
                self.false_negatives = (np.zeros(shape) for _ in range(4))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add a batch's confusion matrices; ``y_true`` is read as booleans."""
        if self.multi_label and np.ndim(y_pred) != 2:
            raise ValueError("AUC with multi_label=True expects predictions of shape "
                             f"(samples, labels), got shape {np.shape(y_pred)}.")
        y_true, y_pred = _match_ranks(y_true, y_pred)
        weights = _element_weights(sample_weight, y_pred.shape)
        if self.from_logits:
            y_pred = ops.sigmoid(y_pred)
        counts = _confusion(y_true, y_pred, weights, self._cutoffs, self._evenly,
                            per_label=self.multi_label)
        if self.true_positives is None:
            self.true_positives, self.false_positives, self.true_negatives, \
                self.false_negatives = (np.zeros_like(c) for c in counts)
        elif counts[0].shape != self.true_positives.shape:
            raise ValueError(
                f"AUC with multi_label=True was updated with {self.true_positives.shape[1]} "
                f"labels before, got predictions of shape {y_pred.shape}."
            )
        self.true_positives += counts[0]
        self.false_positives += counts[1]
        self.true_negatives += counts[2]
        self.false_negatives += counts[3]

    def _interpolated_pr_areas(self):
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        predicted = tp + fp
        d_tp = tp[:-1] - tp[1:]
        slope = _divide_no_nan(d_tp, np.maximum(predicted[:-1] - predicted[1:], 0))
        intercept = tp[1:] - slope * predicted[1:]
        both = (predicted[:-1] > 0) & (predicted[1:] > 0)
        ratio = np.where(both, _divide_no_nan(predicted[:-1], np.maximum(predicted[1:], 0)),
                         1.0)
        return _divide_no_nan(slope * (d_tp + intercept * np.log(ratio)),
                              np.maximum(tp[1:] + fn[1:], 0))

    def result(self):
        if self.true_positives is None:
            return 0.0
        if self.curve == "PR" and self.summation_method == "interpolation":
            areas = self._interpolated_pr_areas()
        else:
            tp, fp, tn, fn = (self.true_positives, self.false_positives,
                              self.true_negatives, self.false_negatives)
            recall = _divide_no_nan(tp, tp + fn)
            if self.curve == "ROC":
                x, y = _divide_no_nan(fp, fp + tn), recall
            else:
                x, y = recall, _divide_no_nan(tp, tp + fp)
            if self.summation_method == "interpolation":
                heights = (y[:-1] + y[1:]) / 2.0
            elif self.summation_method == "minoring":
                heights = np.minimum(y[:-1], y[1:])
            else:
                heights = np.maximum(y[:-1], y[1:])
            areas = (x[:-1] - x[1:]) * heights
        return float(np.mean(np.sum(areas, axis=0)))


_F1_AVERAGES = (None, "micro", "macro", "weighted")


@register("f1_score")
class F1Score(Metric):
    """F1 score, the harmonic mean of precision and recall, as Keras' ``F1Score``.

    Predictions become 0/1 first: ``y_pred > threshold``, or with ``threshold=None`` a 1
    at each row's maximum (every tied maximum, and never a value within 1e-9 of 0). Per
    class ``c``, with weighted counts ``TP_c``, ``FP_c``, ``FN_c`` over every batch::

        P_c = TP_c / (TP_c + FP_c + epsilon)
        R_c = TP_c / (TP_c + FN_c + epsilon)
        F1_c = 2 * P_c * R_c / (P_c + R_c + epsilon)

    with ``epsilon = 1e-7`` (so ``0 / 0`` gives 0, and values differ from scikit-learn's
    by about ``1e-7`` relative).

    Parameters
    ----------
    average : {None, "micro", "macro", "weighted"}
        None returns the array ``F1_c``; "micro" computes one F1 from the counts summed
        over classes; "macro" the unweighted mean of ``F1_c``; "weighted" their mean
        weighted by each class's (weighted) number of true instances.
    threshold : float in (0, 1], optional
        None means the argmax rule above, for single-label multi-class data.
    name : str, optional

    Notes
    -----
    Targets and predictions must have shape ``(samples, classes)`` (an ``(n,)`` array is
    read as ``(n, 1)``). As in Keras, ``threshold=None`` with a single sigmoid output
    predicts 1 everywhere: give a threshold for binary problems.
    """

    direction = "up"

    def __init__(self, average=None, threshold=None, name=None):
        self.average = validation.check_choice("average", average, _F1_AVERAGES)
        self.threshold = validation.check_float("threshold", threshold, low=0.0, high=1.0,
                                                low_open=True, allow_none=True)
        super().__init__(name)

    def reset_state(self):
        self.true_positives = self.false_positives = None
        self.false_negatives = self.support = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _columns(self, y_true, y_pred, "classes",
                                  None if self.support is None else len(self.support))
        if self.threshold is None:
            predicted = ((y_pred >= y_pred.max(axis=-1, keepdims=True))
                         & (np.abs(y_pred) > 1e-9))
        else:
            predicted = y_pred > self.threshold
        predicted = predicted.astype(np.float64)
        w = (1.0 if sample_weight is None
             else losses.per_sample_weights(sample_weight, len(y_true))[:, None])
        counts = [np.sum(w * a, axis=0) for a in (predicted * y_true, predicted * (1 - y_true),
                                                   (1 - predicted) * y_true, y_true)]
        if self.support is None:
            self.true_positives, self.false_positives, self.false_negatives, self.support = (
                np.zeros(y_pred.shape[1]) for _ in range(4))
        self.true_positives += counts[0]
        self.false_positives += counts[1]
        self.false_negatives += counts[2]
        self.support += counts[3]

    def result(self):
        if self.support is None:
            return 0.0
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        if self.average == "micro":
            tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
        precision = tp / (tp + fp + _EPSILON)
        recall = tp / (tp + fn + _EPSILON)
        f1 = precision * recall / (precision + recall + _EPSILON) * 2
        if self.average == "weighted":
            return float(np.sum(f1 * self.support / (self.support.sum() + _EPSILON)))
        if self.average is not None:
            return float(np.mean(f1))
        return f1


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
