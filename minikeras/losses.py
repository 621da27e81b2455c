"""Loss objects: ``loss(y_true, y_pred)`` is the batch mean; ``gradient`` is its dL/dy_pred.

Each loss writes ``call`` (one value per sample, or per row or element, traceable by
autograd) and ``sample_gradient`` (the derivative of ``call``'s values with respect to
``y_pred``, by hand; values per row or element are averaged per sample, and so are their
derivatives). The base class applies sample
weights and the Keras reduction ``sum_over_batch_size`` (sum divided by the batch size).
Cross-entropies work on logits with log-sum-exp and log-sigmoid, and fuse with a softmax
or sigmoid output layer so that back-propagation starts from ``dL/dz = (p - y) / n``.

Fusion means a model computes such a loss from the logits, exactly, where applying the loss
to the model's predicted probabilities clips them to ``[epsilon, 1 - epsilon]``: for
extremely confident wrong predictions the model reports the larger, true value (Keras'
TensorFlow backend does the same; its JAX and torch backends clip).
"""

import math

import autograd
import numpy as np

from . import config, ops, validation
from .activations import Sigmoid, Softmax
from .hierarchy import defined_below
from .registry import Configurable, Registry, function_name, snake_case

__all__ = ["Loss", "MeanSquaredError", "MeanAbsoluteError", "Huber", "BinaryCrossentropy",
           "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "LossFunctionWrapper",
           "mean_squared_error", "mean_absolute_error", "huber", "binary_crossentropy",
           "categorical_crossentropy", "sparse_categorical_crossentropy", "mse", "mae",
           "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "Hinge",
           "KLDivergence", "Poisson", "LogCosh", "mean_absolute_percentage_error",
           "mean_squared_logarithmic_error", "hinge", "kl_divergence", "poisson", "log_cosh",
           "mape", "msle", "kld",
           "per_sample_weights", "align_targets", "get", "register", "serialize"]


class Loss(Configurable):
    """Base class of losses.

    Subclass it the Keras way: implement ``call(y_true, y_pred)`` returning one value per
    sample (or per element, averaged over each sample's elements), written with
    ``minikeras.ops``; autograd supplies the gradient. Built-in losses also write
    ``sample_gradient`` by hand.

    Parameters
    ----------
    name : str, optional
        Defaults to the snake_case class name.
    reduction : {"sum_over_batch_size", "sum", None, "none"}
        How per-sample losses become one number: their mean (Keras' default) or their sum.
        None (or "none") leaves them unreduced: calling the loss returns one (weighted)
        value per sample, for your own loops; ``compile`` and the gradient methods need one
        of the other two.
    """

    #: True for losses whose targets are integer class labels.
    sparse_targets = False

    def __init__(self, name=None, reduction="sum_over_batch_size"):
        if name is not None and not isinstance(name, str):
            raise ValueError(f"Argument `name` must be a string, got {validation.describe(name)}.")
        self.name = name or snake_case(type(self).__name__)
        self.reduction = validation.check_choice("reduction", reduction,
                                                 ("sum_over_batch_size", "sum", None, "none"))

    @property
    def unreduced(self):
        """True if ``reduction`` is None or "none": calls return per-sample values."""
        return self.reduction in (None, "none")

    def call(self, y_true, y_pred):
        """Per-sample loss values, shape ``(n,)``.

        Parameters
        ----------
        y_true : array
            The targets, with the ranks :func:`align_targets` gives them: of ``y_pred``'s
            shape, or integer class labels ``(n,)`` for a sparse loss.
        y_pred : array
            The predictions, ``(n, outputs...)``: a numpy array, or autograd's tracer while
            autograd differentiates the loss.

        Returns
        -------
        array
            One value per sample, ``(n,)``; values per element (``(n, outputs...)``) are
            averaged over each sample's (summed, with ``reduction="sum"``), as
            :meth:`per_sample` does.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement call(y_true, y_pred), returning the loss "
            "of each sample.")

    def per_sample(self, y_true, y_pred):
        """:meth:`call`'s values, one per sample: per-element values are averaged over each
        sample (as Keras reduces them); a single value is taken as every sample's.

        Parameters
        ----------
        y_true, y_pred : array
            The targets and predictions, as :meth:`call` takes them.
        """
        return self._per_sample_of(self.call(y_true, y_pred), y_pred)

    def _per_sample_of(self, values, y_pred):
        if np.ndim(values) == 0:
            return values * np.ones(len(y_pred))
        if np.ndim(values) > 1:  # per element: Keras sums them all ("sum") or averages them
            reduce = ops.sum if self.reduction == "sum" else ops.mean
            return reduce(ops.reshape(values, (len(y_pred), -1)), axis=-1)
        return values

    def sample_gradient(self, y_true, y_pred):
        """Derivative of :meth:`call`'s values with respect to ``y_pred``: for one value
        per sample, each sample's derivative with respect to its ``y_pred``; for values per
        row or element, each one's derivative with respect to its entries (the base class
        averages them per sample, as :meth:`per_sample` does the values). By default
        autograd differentiates :meth:`call`.

        Parameters
        ----------
        y_true, y_pred : numpy.ndarray
            The targets and predictions, as :meth:`call` takes them.

        Returns
        -------
        numpy.ndarray
            Of ``y_pred``'s shape, unweighted and not divided by the batch size.
        """
        return self._autograd_gradient(y_true, y_pred)

    def _autograd_gradient(self, y_true, y_pred):
        grad = autograd.grad(lambda p: ops.sum(self.per_sample(y_true, p)))(y_pred)
        return np.asarray(grad, dtype=y_pred.dtype)  # autograd may widen float32

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Return ``sum(sample_weight * call(y_true, y_pred)) / n`` (or the sum, with
        ``reduction="sum"``, or the weighted values themselves with ``reduction=None``)."""
        y_true, y_pred = align_targets(y_true, y_pred, self.sparse_targets)
        values = self.per_sample(y_true, y_pred)
        if sample_weight is not None:
            values = values * per_sample_weights(sample_weight, values.shape[0])
        if self.unreduced:
            return values
        total = ops.namespace(values).sum(values)
        return total if self.reduction == "sum" else total / values.shape[0]

    def gradient(self, y_true, y_pred, sample_weight=None):
        """Return ``dL/dy_pred`` of :meth:`__call__`, same shape as ``y_pred``.

        Parameters
        ----------
        y_true : array-like
            The targets (aligned with ``y_pred`` as :func:`align_targets` does).
        y_pred : numpy.ndarray
            The predictions.
        sample_weight : array-like of shape (n,) or (n, 1), optional
            Multiplies each sample's loss.
        """
        return self.value_and_gradient(y_true, y_pred, sample_weight)[1]

    def value_and_gradient(self, y_true, y_pred, sample_weight=None):
        """``(loss, dL/dy_pred)`` together; the cross-entropies on logits share the softmax.

        A hand-written gradient serves only the ``call`` it was written with: a subclass
        that overrides ``call`` alone is differentiated by autograd.

        Parameters
        ----------
        y_true : array-like
            The targets (aligned with ``y_pred`` as :func:`align_targets` does).
        y_pred : numpy.ndarray
            The predictions.
        sample_weight : array-like of shape (n,) or (n, 1), optional
            Multiplies each sample's loss.

        Returns
        -------
        tuple
            ``(loss, dL/dy_pred)``: the reduced loss, and its gradient, of ``y_pred``'s
            shape.

        Raises
        ------
        ValueError
            If the loss is unreduced (``reduction`` None or "none").
        """
        if self.unreduced:
            raise ValueError(f"Loss {self.name!r} has reduction={self.reduction!r}: it gives one "
                             "value per sample, which has no gradient to train on; use "
                             "reduction='sum_over_batch_size' or 'sum'.")
        shape = np.shape(y_pred)
        y_true, y_pred = align_targets(y_true, y_pred, self.sparse_targets)
        if defined_below(type(self), "_value_and_gradient", "call"):
            value, grad = self._value_and_gradient(y_true, y_pred, sample_weight)
        else:
            value, grad = Loss._value_and_gradient(self, y_true, y_pred, sample_weight)
        return value, grad.reshape(shape)

    def _value_and_gradient(self, y_true, y_pred, sample_weight):
        if not defined_below(type(self), "sample_gradient", "call"):
            return self._reduce(self.per_sample(y_true, y_pred),
                                self._autograd_gradient(y_true, y_pred), sample_weight)
        values = self.call(y_true, y_pred)
        grad = self.sample_gradient(y_true, y_pred)
        entries = int(np.prod(np.shape(values)[1:]))  # values per sample
        if entries > 1 and self.reduction != "sum":  # per_sample averages them
            grad = grad * (1.0 / entries)
        return self._reduce(self._per_sample_of(values, y_pred), grad, sample_weight)

    def _reduce(self, values, grad, sample_weight):
        """Apply sample weights and the batch mean (or sum) to per-sample values and
        gradients."""
        n = values.shape[0] if self.reduction == "sum_over_batch_size" else 1
        if sample_weight is None:
            grad *= 1.0 / n
            return np.add.reduce(values, axis=None) / n, grad
        sample_weight = per_sample_weights(sample_weight, values.shape[0])
        grad *= (sample_weight * (1.0 / n)).reshape((-1,) + (1,) * (grad.ndim - 1))
        return (values @ sample_weight) / n, grad

    def fused_with(self, activation):
        """Return an equivalent loss on the activation's input (logits), or None.

        The model uses it to start back-propagation at ``dL/dz`` of the output layer: the
        returned loss provides ``value_and_gradient_from_logits(y_true, logits,
        sample_weight=None, outputs=True)``, returning ``(loss, dL/dlogits, activation
        of the logits)`` (the last may be None when ``outputs`` is False).

        Parameters
        ----------
        activation : Activation
            The activation of the model's output layer.
        """
        return None

    def prepare_targets(self, y, output_shape, argument="y", dtype=None):
        """Check ``y`` against the model's ``output_shape`` and return it as an array.

        ``argument`` is the name error messages give the targets ("y", "y_val"); ``dtype``
        the float type to convert them to (the model's; default: ``config.floatx()``).

        Parameters
        ----------
        y : array-like
            The targets, as given to ``fit``, ``evaluate`` or ``train_on_batch``.
        output_shape : tuple
            The model's output shape, batch axis first.
        argument : str, default "y"
            The name error messages give the targets.
        dtype : str or numpy.dtype, optional
            The float type to convert them to.

        Raises
        ------
        ValueError
            If the targets have the wrong form for this loss.
        """
        y = validation.check_array(argument, y, dtype=dtype)
        width = output_shape[-1]
        if y.ndim == 1 and len(output_shape) == 2 and width == 1:
            y = y.reshape(-1, 1)
        if y.shape[1:] != tuple(output_shape[1:]):
            raise ValueError(
                f"Argument `{argument}` has shape {y.shape}, but the model's output has shape "
                f"{tuple(output_shape)} and loss {self.name!r} compares them elementwise."
                + _label_hint(y, width)
            )
        return y

    def __repr__(self):
        return f"{type(self).__name__}({self.get_config()})"


def per_sample_weights(sample_weight, n):
    """``sample_weight`` as an ``(n,)`` array (``(n, 1)`` weights lose their last axis).

    Parameters
    ----------
    sample_weight : array-like
        One weight per sample, shape ``(n,)`` or ``(n, 1)``.
    n : int
        The number of samples.

    Returns
    -------
    ndarray of shape (n,)

    Raises
    ------
    ValueError
        If the weights have another shape.
    """
    weights = np.asarray(sample_weight)
    if weights.shape == (n, 1):
        weights = weights[:, 0]
    if weights.shape != (n,):
        raise ValueError(
            f"Argument `sample_weight` must have shape ({n},), got {weights.shape}."
        )
    return weights


def align_targets(y_true, y_pred, sparse=False):
    """Give targets and predictions the ranks Keras would.

    ``(n,)`` predictions count as ``(n, 1)``; ``(n,)`` targets for ``(n, 1)`` predictions gain
    an axis and ``(n, 1)`` targets for ``(n,)`` ones lose it; with ``sparse``, ``(n, 1)`` class
    labels become ``(n,)`` integers.

    Parameters
    ----------
    y_true : array-like
        The targets.
    y_pred : array-like
        The predictions (a numpy array or an autograd tracer, which is kept).
    sparse : bool, default False
        ``y_true`` holds integer class labels (a sparse categorical loss or metric).

    Returns
    -------
    y_true : ndarray
        The targets, as integers with ``sparse``.
    y_pred : array-like
        The predictions.
    """
    y_pred = y_pred if ops.is_traced(y_pred) else np.asarray(y_pred)
    y_true = np.asarray(y_true)
    if y_pred.ndim == 1 and not sparse:  # one output per sample: treat as shape (n, 1)
        y_pred = ops.reshape(y_pred, (-1, 1))
    if sparse:
        if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
            y_true = y_true[..., 0]
        return (y_true.astype(np.intp) if y_true.dtype.kind != "i" else y_true), y_pred
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        y_true = y_true[..., None]
    elif y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return y_true, y_pred


def _label_hint(y, width):
    if y.ndim == 1 and width > 1:
        return (" These look like integer class labels: use 'sparse_categorical_crossentropy', "
                "or one-hot encode them with minikeras.utils.to_categorical.")
    return ""


def _softmax_parts(logits):
    """``(z - max z, exp(z - max z), sum of exp(z - max z))`` along the last axis of a
    2-D numpy array: softmax is the second divided by the third (as a column)."""
    shifted = np.subtract(logits, ops.row_max(logits), order="C")  # ravel() is a view
    exponentials = np.exp(shifted)
    return shifted, exponentials, ops.row_sums(exponentials)


def _check_probabilities(y, loss_name, argument):
    if y.min() < 0 or y.max() > 1:
        raise ValueError(
            f"Argument `{argument}` must hold values in [0, 1] for loss {loss_name!r}, "
            f"got values in [{y.min()}, {y.max()}]."
        )
    return y


class LossFunctionWrapper(Loss):
    """Wraps a function ``fn(y_true, y_pred)`` returning per-sample losses (written with
    ``minikeras.ops``); autograd supplies its gradient.

    Parameters
    ----------
    fn : callable
        ``fn(y_true, y_pred)``, returning one loss per sample (or per element).
    name : str, optional
        Defaults to ``fn.__name__``.
    reduction : {"sum_over_batch_size", "sum", None, "none"}
        How the per-sample losses become one number (see :class:`~minikeras.losses.Loss`).
    """

    def __init__(self, fn, name=None, reduction="sum_over_batch_size"):
        super().__init__(name or getattr(fn, "__name__", "loss"), reduction)
        self.fn = fn

    def serialized(self):
        """The function's registered name: ``losses.get`` finds it by that name."""
        return function_name(self.fn)

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred)


_registry = Registry("loss", Loss, function_wrapper=LossFunctionWrapper)
get, register, serialize = _registry.get, _registry.register, _registry.serialize


@register("mse", "mean_squared_error")
class MeanSquaredError(Loss):
    """``loss = mean((y_pred - y_true) ** 2, axis=-1)``; gradient ``2 (y_pred - y_true) / d``.

    Parameters
    ----------
    name : str, optional
        Defaults to ``"mean_squared_error"``.
    reduction : {"sum_over_batch_size", "sum", None, "none"}
        How the per-sample losses become one number (see :class:`~minikeras.losses.Loss`).
    """

    def call(self, y_true, y_pred):
        d = y_pred - y_true
        return ops.namespace(d).mean(d * d, axis=-1)

    def sample_gradient(self, y_true, y_pred):
        return (y_pred - y_true) * (2.0 / y_pred.shape[-1])


@register("mae", "mean_absolute_error")
class MeanAbsoluteError(Loss):
    """``loss = mean(|y_pred - y_true|, axis=-1)``; gradient ``sign(y_pred - y_true) / d``.

    Parameters
    ----------
    name : str, optional
        Defaults to ``"mean_absolute_error"``.
    reduction : {"sum_over_batch_size", "sum", None, "none"}
        How the per-sample losses become one number (see :class:`~minikeras.losses.Loss`).
    """

    def call(self, y_true, y_pred):
        xp = ops.namespace(y_pred)
        return xp.mean(xp.abs(y_pred - y_true), axis=-1)

    def sample_gradient(self, y_true, y_pred):
        return np.sign(y_pred - y_true) * (1.0 / y_pred.shape[-1])


@register("huber", "huber_loss")
class Huber(Loss):
    """``e = y_pred - y_true``;
    ``loss = mean(0.5 e**2 if |e| <= delta else delta (|e| - delta/2))``.

    Parameters
    ----------
    delta : float, default 1.0
        The error size where the loss turns from quadratic to linear (positive).
    name : str, optional
        Defaults to ``"huber"``.
    reduction : {"sum_over_batch_size", "sum", None, "none"}
        How the per-sample losses become one number (see :class:`~minikeras.losses.Loss`).
    """

    def __init__(self, delta=1.0, name=None, reduction="sum_over_batch_size"):
        super().__init__(name, reduction)
        self.delta = validation.check_float("delta", delta, low=0.0, low_open=True)

    def call(self, y_true, y_pred):
        xp = ops.namespace(y_pred)
        abs_error = xp.abs(y_pred - y_true)
        quadratic = xp.minimum(abs_error, self.delta)
        linear = abs_error - quadratic
        return xp.mean(0.5 * quadratic * quadratic + self.delta * linear, axis=-1)

    def sample_gradient(self, y_true, y_pred):
        error = y_pred - y_true
        return np.clip(error, -self.delta, self.delta) * (1.0 / y_pred.shape[-1])


@register("mape", "mean_absolute_percentage_error")
class MeanAbsolutePercentageError(Loss):
    """``loss = 100 mean(|y_true - y_pred| / max(|y_true|, epsilon), axis=-1)``; gradient
    ``100 sign(y_pred - y_true) / (max(|y_true|, epsilon) d)``.

    Parameters
    ----------
    name : str, optional
        Defaults to ``"mean_absolute_percentage_error"``.
    reduction : {"sum_over_batch_size", "sum", None, "none"}
        How the per-sample losses become one number (see :class:`~minikeras.losses.Loss`).
    """

    def call(self, y_true, y_pred):
        xp = ops.namespace(y_pred)
        scale = np.maximum(np.abs(y_true), config.epsilon())
        return 100.0 * xp.mean(xp.abs(y_true - y_pred) / scale, axis=-1)

    def sample_gradient(self, y_true, y_pred):
        scale = np.maximum(np.abs(y_true), config.epsilon())
        return np.sign(y_pred - y_true) * (100.0 / y_pred.shape[-1]) / scale


@register("msle", "mean_squared_logarithmic_error")
class MeanSquaredLogarithmicError(Loss):
    """``loss = mean((log(1 + max(y_pred, epsilon)) - log(1 + max(y_true, epsilon))) ** 2,
    axis=-1)``; gradient ``2 e / ((1 + y_pred) d)`` where ``y_pred > epsilon``, else 0
    (``e`` the difference of the logarithms).

    Parameters
    ----------
    name : str, optional
        Defaults to ``"mean_squared_logarithmic_error"``.
    reduction : {"sum_over_batch_size", "sum", None, "none"}
        How the per-sample losses become one number (see :class:`~minikeras.losses.Loss`).
    """

    def call(self, y_true, y_pred):
        xp = ops.namespace(y_pred)
        e = xp.log1p(xp.maximum(y_pred, config.epsilon())) \
            - np.log1p(np.maximum(y_true, config.epsilon()))
        return xp.mean(e * e, axis=-1)

    def sample_gradient(self, y_true, y_pred):
        clipped = np.maximum(y_pred, config.epsilon())
        e = np.log1p(clipped) - np.log1p(np.maximum(y_true, config.epsilon()))
        return (2.0 / y_pred.shape[-1]) * e / (1 + clipped) * (y_pred > config.epsilon())


@register("hinge")
class Hinge(Loss):
    """``loss = mean(max(1 - y_true y_pred, 0), axis=-1)`` with labels -1 or 1 (labels that
    are all 0 or 1 are mapped to -1 and 1 first, as Keras does); gradient ``-y_true / d``
    where ``y_true y_pred < 1``, else 0.

    Parameters
    ----------
    name : str, optional
        Defaults to ``"hinge"``.
    reduction : {"sum_over_batch_size", "sum", None, "none"}
        How the per-sample losses become one number (see :class:`~minikeras.losses.Loss`).
    """

    def call(self, y_true, y_pred):
        margin = 1.0 - _hinge_labels(y_true) * y_pred
        xp = ops.namespace(margin)
        return xp.mean(xp.maximum(margin, 0.0), axis=-1)

    def sample_gradient(self, y_true, y_pred):
        labels = _hinge_labels(y_true)
        return -labels * (labels * y_pred < 1.0) * (1.0 / y_pred.shape[-1])


def _hinge_labels(y_true):
    """Keras' conversion: labels all 0 or 1 become -1 or 1; others are kept."""
    y_true = np.asarray(y_true)
    return 2.0 * y_true - 1.0 if np.all((y_true == 0) | (y_true == 1)) else y_true


@register("kld", "kl_divergence", "kullback_leibler_divergence")
class KLDivergence(Loss):
    """``loss = sum(t log(t / p), axis=-1)`` with ``t = clip(y_true, epsilon, 1)`` and
    ``p = clip(y_pred, epsilon, 1)``; gradient ``-t / p`` where ``epsilon < y_pred < 1``,
    else 0.

    Parameters
    ----------
    name : str, optional
        Defaults to ``"kl_divergence"``.
    reduction : {"sum_over_batch_size", "sum", None, "none"}
        How the per-sample losses become one number (see :class:`~minikeras.losses.Loss`).
    """

    def call(self, y_true, y_pred):
        xp = ops.namespace(y_pred)
        t = np.clip(y_true, config.epsilon(), 1.0)
        p = xp.clip(y_pred, config.epsilon(), 1.0)
        return xp.sum(t * xp.log(t / p), axis=-1)

    def sample_gradient(self, y_true, y_pred):
        t = np.clip(y_true, config.epsilon(), 1.0)
        inside = (y_pred > config.epsilon()) & (y_pred < 1.0)
        return -t / np.clip(y_pred, config.epsilon(), 1.0) * inside


@register("poisson")
class Poisson(Loss):
    """``loss = mean(y_pred - y_true log(y_pred + epsilon), axis=-1)``; gradient
    ``(1 - y_true / (y_pred + epsilon)) / d``.

    Parameters
    ----------
    name : str, optional
        Defaults to ``"poisson"``.
    reduction : {"sum_over_batch_size", "sum", None, "none"}
        How the per-sample losses become one number (see :class:`~minikeras.losses.Loss`).
    """

    def call(self, y_true, y_pred):
        xp = ops.namespace(y_pred)
        return xp.mean(y_pred - y_true * xp.log(y_pred + config.epsilon()), axis=-1)

    def sample_gradient(self, y_true, y_pred):
        return (1.0 - y_true / (y_pred + config.epsilon())) * (1.0 / y_pred.shape[-1])


@register("log_cosh", "logcosh")
class LogCosh(Loss):
    """``loss = mean(log(cosh(e)), axis=-1)``, ``e = y_pred - y_true``, computed as
    ``e + softplus(-2 e) - log 2`` (no overflow); gradient ``tanh(e) / d``.

    Parameters
    ----------
    name : str, optional
        Defaults to ``"log_cosh"``.
    reduction : {"sum_over_batch_size", "sum", None, "none"}
        How the per-sample losses become one number (see :class:`~minikeras.losses.Loss`).
    """

    def call(self, y_true, y_pred):
        e = y_pred - y_true
        return ops.namespace(e).mean(e + ops.softplus(-2.0 * e) - math.log(2.0), axis=-1)

    def sample_gradient(self, y_true, y_pred):
        return np.tanh(y_pred - y_true) * (1.0 / y_pred.shape[-1])


@register("bce", "binary_crossentropy")
class BinaryCrossentropy(Loss):
    """``loss = -mean(y log p + (1 - y) log(1 - p), axis=-1)``.

    With ``from_logits=True`` it is evaluated from ``z`` as
    ``max(z, 0) - z y + log(1 + exp(-|z|))``, with gradient ``(sigmoid(z) - y) / d``;
    otherwise ``p`` is clipped to ``[epsilon, 1 - epsilon]`` as in Keras.

    Parameters
    ----------
    from_logits : bool, default False
        ``y_pred`` holds logits ``z`` rather than probabilities ``p``.
    name : str, optional
        Defaults to ``"binary_crossentropy"``.
    reduction : {"sum_over_batch_size", "sum", None, "none"}
        How the per-sample losses become one number (see :class:`~minikeras.losses.Loss`).
    """

    def __init__(self, from_logits=False, name=None, reduction="sum_over_batch_size"):
        super().__init__(name, reduction)
        self.from_logits = bool(from_logits)

    def call(self, y_true, y_pred):
        xp = ops.namespace(y_pred)
        if self.from_logits:
            z = y_pred
            return xp.mean(xp.maximum(z, 0) - z * y_true + xp.log1p(xp.exp(-xp.abs(z))), axis=-1)
        eps = config.epsilon()
        p = xp.clip(y_pred, eps, 1 - eps)
        return -xp.mean(y_true * xp.log(p) + (1 - y_true) * xp.log(1 - p), axis=-1)

    def sample_gradient(self, y_true, y_pred):
        scale = 1.0 / y_pred.shape[-1]
        if self.from_logits:
            return (ops.sigmoid(y_pred) - y_true) * scale
        eps = config.epsilon()
        p = np.clip(y_pred, eps, 1 - eps)
        inside = (y_pred > eps) & (y_pred < 1 - eps)
        return ((p - y_true) / (p * (1 - p))) * inside * scale

    def _value_and_gradient(self, y_true, y_pred, sample_weight):
        if not self.from_logits or np.ndim(y_pred) != 2:  # the fused form takes rows
            return super()._value_and_gradient(y_true, y_pred, sample_weight)
        return self.value_and_gradient_from_logits(y_true, y_pred, sample_weight,
                                                   outputs=False)[:2]

    def value_and_gradient_from_logits(self, y_true, logits, sample_weight=None,
                                       outputs=True):
        """``(loss, dL/dlogits, sigmoid(logits))``: the fused sigmoid output step (the
        probabilities are computed anyway: ``outputs`` changes nothing).

        Parameters
        ----------
        y_true : numpy.ndarray
            The targets (0 or 1, or probabilities), of the logits' shape.
        logits : numpy.ndarray
            The output layer's ``z``, shape ``(n, d)``.
        sample_weight : array-like of shape (n,) or (n, 1), optional
            Multiplies each sample's loss.
        outputs : bool, default True
            Accepted for the protocol of :meth:`~minikeras.losses.Loss.fused_with`.
        """
        probabilities = ops.sigmoid(logits)
        values = self.call(y_true, logits)
        grad = probabilities - y_true
        grad *= 1.0 / logits.shape[-1]
        value, grad = self._reduce(values, grad, sample_weight)
        return value, grad, probabilities

    def fused_with(self, activation):
        if type(self) is BinaryCrossentropy and not self.from_logits \
                and type(activation) is Sigmoid:  # a subclass may change call: not fused
            return BinaryCrossentropy(from_logits=True, name=self.name,
                                      reduction=self.reduction)
        return None

    def prepare_targets(self, y, output_shape, argument="y", dtype=None):
        return _check_probabilities(super().prepare_targets(y, output_shape, argument, dtype),
                                    self.name, argument)


@register("cce", "categorical_crossentropy")
class CategoricalCrossentropy(Loss):
    """``loss = -sum(y * log p, axis=-1)`` for one-hot (or soft) targets ``y``.

    With ``from_logits=True``, ``log p = log_softmax(z)`` and the gradient is
    ``softmax(z) - y``; otherwise ``p`` is renormalised and clipped to
    ``[epsilon, 1 - epsilon]`` as in Keras.

    Parameters
    ----------
    from_logits : bool, default False
        ``y_pred`` holds logits ``z`` rather than probabilities ``p``.
    name : str, optional
        Defaults to ``"categorical_crossentropy"``.
    reduction : {"sum_over_batch_size", "sum", None, "none"}
        How the per-sample losses become one number (see :class:`~minikeras.losses.Loss`).
    """

    def __init__(self, from_logits=False, name=None, reduction="sum_over_batch_size"):
        super().__init__(name, reduction)
        self.from_logits = bool(from_logits)

    def call(self, y_true, y_pred):
        xp = ops.namespace(y_pred)
        return -xp.sum(y_true * self._log_probabilities(y_pred, xp), axis=-1)

    def _log_probabilities(self, y_pred, xp):
        if self.from_logits:
            return ops.log_softmax(y_pred, axis=-1)
        eps = config.epsilon()
        q = y_pred / xp.sum(y_pred, axis=-1, keepdims=True)
        return xp.log(xp.clip(q, eps, 1 - eps))

    def sample_gradient(self, y_true, y_pred):
        if self.from_logits:
            p = ops.softmax(y_pred, axis=-1)
            return p * np.sum(y_true, axis=-1, keepdims=True) - y_true
        eps = config.epsilon()
        total = np.sum(y_pred, axis=-1, keepdims=True)
        q = y_pred / total
        inside = (q > eps) & (q < 1 - eps)
        dq = -y_true / np.clip(q, eps, 1 - eps) * inside
        return (dq - np.sum(dq * q, axis=-1, keepdims=True)) / total

    def _value_and_gradient(self, y_true, y_pred, sample_weight):
        if not self.from_logits or np.ndim(y_pred) != 2:  # the fused form takes rows
            return super()._value_and_gradient(y_true, y_pred, sample_weight)
        return self.value_and_gradient_from_logits(y_true, y_pred, sample_weight,
                                                   outputs=False)[:2]

    def value_and_gradient_from_logits(self, y_true, logits, sample_weight=None,
                                       outputs=True):
        """``(loss, dL/dlogits, softmax(logits))`` from one exponentiation.

        The fused output step: the model's softmax layer hands its logits here. With
        ``outputs=False`` the probabilities are not needed (no metric reads them) and the
        third entry is None.

        Parameters
        ----------
        y_true : numpy.ndarray
            One-hot (or soft) targets of the logits' shape; integer class labels ``(n,)``
            for :class:`SparseCategoricalCrossentropy`.
        logits : numpy.ndarray
            The output layer's ``z``, shape ``(n, classes)``.
        sample_weight : array-like of shape (n,) or (n, 1), optional
            Multiplies each sample's loss.
        outputs : bool, default True
            Compute the probabilities too.
        """
        shifted, grad, total = _softmax_parts(logits)
        probabilities = grad / total[:, None] if outputs else None
        weight = ops.row_sums(y_true)
        log_total = np.log(total)
        grad *= (weight / total)[:, None]  # softmax times each row's target mass
        grad -= y_true
        if sample_weight is None:
            # The batch mean of weight * log_total - sum(y * shifted), without per-sample values.
            n = len(logits) if self.reduction == "sum_over_batch_size" else 1
            grad *= 1.0 / n
            return (log_total @ weight - np.vdot(y_true, shifted)) / n, grad, probabilities
        values = log_total * weight - ops.row_sums(y_true * shifted)
        value, grad = self._reduce(values, grad, sample_weight)
        return value, grad, probabilities

    def fused_with(self, activation):
        if type(self) in (CategoricalCrossentropy, SparseCategoricalCrossentropy) \
                and not self.from_logits and type(activation) is Softmax \
                and activation.axis == -1:  # a subclass may change call: not fused
            return type(self)(from_logits=True, name=self.name, reduction=self.reduction)
        return None

    def prepare_targets(self, y, output_shape, argument="y", dtype=None):
        return _check_probabilities(super().prepare_targets(y, output_shape, argument, dtype),
                                    self.name, argument)


@register("sparse_categorical_crossentropy", "scce")
class SparseCategoricalCrossentropy(CategoricalCrossentropy):
    """Categorical cross-entropy with integer class labels ``y`` of shape ``(n,)``.

    ``loss = -log p[y]``; with ``from_logits=True``, ``log p = log_softmax(z)``.

    Parameters
    ----------
    from_logits : bool, default False
        ``y_pred`` holds logits ``z`` rather than probabilities ``p``.
    name : str, optional
        Defaults to ``"sparse_categorical_crossentropy"``.
    reduction : {"sum_over_batch_size", "sum", None, "none"}
        How the per-sample losses become one number (see :class:`~minikeras.losses.Loss`).
    """

    sparse_targets = True

    def call(self, y_true, y_pred):
        xp = ops.namespace(y_pred)
        log_p = self._log_probabilities(y_pred, xp)
        return -log_p[np.arange(y_pred.shape[0]), y_true]

    def sample_gradient(self, y_true, y_pred):
        if self.from_logits:
            grad = ops.softmax(y_pred, axis=-1)
            grad[np.arange(len(y_true)), y_true] -= 1
            return grad
        one_hot = np.zeros(y_pred.shape, dtype=y_pred.dtype)
        one_hot[np.arange(len(y_true)), y_true] = 1
        return super().sample_gradient(one_hot, y_pred)

    def value_and_gradient_from_logits(self, y_true, logits, sample_weight=None,
                                       outputs=True):
        shifted, grad, total = _softmax_parts(logits)
        grad /= total[:, None]
        probabilities = grad.copy() if outputs else None
        picked = ops.label_positions(y_true, logits.shape[-1])
        values = np.log(total)
        values -= shifted.ravel()[picked]
        grad.ravel()[picked] -= 1
        value, grad = self._reduce(values, grad, sample_weight)
        return value, grad, probabilities

    def prepare_targets(self, y, output_shape, argument="y", dtype=None):
        if len(output_shape) != 2:
            raise ValueError(
                f"Loss {self.name!r} takes one integer label per sample, for outputs of shape "
                f"(samples, classes); the model's outputs have shape {tuple(output_shape)}. "
                "Use 'categorical_crossentropy' with one-hot targets of that shape.")
        labels = validation.check_array(argument, y, dtype=np.float64)
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = labels[:, 0]
        classes = output_shape[-1]
        if labels.ndim != 1:
            raise ValueError(
                f"Argument `{argument}` must hold integer class labels of shape (n,) for loss "
                f"{self.name!r}, got shape {labels.shape}. For one-hot targets use "
                "'categorical_crossentropy'."
            )
        if np.any(labels != np.round(labels)) or labels.min() < 0 or labels.max() >= classes:
            raise ValueError(
                f"Argument `{argument}` must hold integer class labels in [0, {classes - 1}] for a "
                f"model with {classes} outputs, got values in [{labels.min()}, {labels.max()}]."
            )
        return labels.astype(np.intp)


# ---------------------------------------------------------------- Keras' function forms
# Each returns one loss per sample; given to compile, it trains with its class's
# hand-written gradient.
function_form = _registry.function_form


def _per_sample(loss, y_true, y_pred):
    y_true, y_pred = align_targets(y_true, y_pred, loss.sparse_targets)
    return loss.per_sample(y_true, y_pred)


@function_form(MeanSquaredError)
def mean_squared_error(y_true, y_pred):
    """Per-sample ``mean((y_pred - y_true) ** 2, axis=-1)``.

    Parameters
    ----------
    y_true : array-like
        Targets, of the shape of ``y_pred`` (``(n,)`` targets for ``(n, 1)`` predictions too).
    y_pred : array-like
        Predictions, shape ``(n, d)`` or ``(n,)`` (a numpy array or an autograd tracer).

    Returns
    -------
    array of shape (n,)
        One loss per sample.
    """
    return _per_sample(MeanSquaredError(), y_true, y_pred)


@function_form(MeanAbsoluteError)
def mean_absolute_error(y_true, y_pred):
    """Per-sample ``mean(|y_pred - y_true|, axis=-1)``.

    Parameters
    ----------
    y_true : array-like
        Targets, of the shape of ``y_pred`` (``(n,)`` targets for ``(n, 1)`` predictions too).
    y_pred : array-like
        Predictions, shape ``(n, d)`` or ``(n,)`` (a numpy array or an autograd tracer).

    Returns
    -------
    array of shape (n,)
        One loss per sample.
    """
    return _per_sample(MeanAbsoluteError(), y_true, y_pred)


@function_form(Huber)
def huber(y_true, y_pred, delta=1.0):
    """Per-sample Huber loss (see :class:`Huber`).

    Parameters
    ----------
    y_true : array-like
        Targets, of the shape of ``y_pred`` (``(n,)`` targets for ``(n, 1)`` predictions too).
    y_pred : array-like
        Predictions, shape ``(n, d)`` or ``(n,)`` (a numpy array or an autograd tracer).
    delta : float, default 1.0
        The error size where the loss turns from quadratic to linear (positive).

    Returns
    -------
    array of shape (n,)
        One loss per sample.
    """
    return _per_sample(Huber(delta), y_true, y_pred)


@function_form(BinaryCrossentropy)
def binary_crossentropy(y_true, y_pred, from_logits=False):
    """Per-sample binary cross-entropy (see :class:`BinaryCrossentropy`).

    Parameters
    ----------
    y_true : array-like
        Targets in [0, 1], of the shape of ``y_pred``.
    y_pred : array-like
        Probabilities (or logits), shape ``(n, d)`` or ``(n,)``.
    from_logits : bool, default False
        ``y_pred`` holds logits rather than probabilities.

    Returns
    -------
    array of shape (n,)
        One loss per sample.
    """
    return _per_sample(BinaryCrossentropy(from_logits), y_true, y_pred)


@function_form(CategoricalCrossentropy)
def categorical_crossentropy(y_true, y_pred, from_logits=False):
    """Per-sample categorical cross-entropy (see :class:`CategoricalCrossentropy`).

    Parameters
    ----------
    y_true : array-like
        One-hot (or soft) targets, shape ``(n, classes)``.
    y_pred : array-like
        Class probabilities (or logits), shape ``(n, classes)``.
    from_logits : bool, default False
        ``y_pred`` holds logits rather than probabilities.

    Returns
    -------
    array of shape (n,)
        One loss per sample.
    """
    return _per_sample(CategoricalCrossentropy(from_logits), y_true, y_pred)


@function_form(SparseCategoricalCrossentropy)
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    """Per-sample cross-entropy for integer labels (see :class:`SparseCategoricalCrossentropy`).

    Parameters
    ----------
    y_true : array-like of int
        Class labels in ``[0, classes)``, shape ``(n,)`` or ``(n, 1)``.
    y_pred : array-like
        Class probabilities (or logits), shape ``(n, classes)``.
    from_logits : bool, default False
        ``y_pred`` holds logits rather than probabilities.

    Returns
    -------
    array of shape (n,)
        One loss per sample.
    """
    return _per_sample(SparseCategoricalCrossentropy(from_logits), y_true, y_pred)


@function_form(MeanAbsolutePercentageError)
def mean_absolute_percentage_error(y_true, y_pred):
    """Per-sample ``100 mean(|y_true - y_pred| / max(|y_true|, epsilon), axis=-1)``.

    Parameters
    ----------
    y_true : array-like
        Targets, of the shape of ``y_pred`` (``(n,)`` targets for ``(n, 1)`` predictions too).
    y_pred : array-like
        Predictions, shape ``(n, d)`` or ``(n,)`` (a numpy array or an autograd tracer).

    Returns
    -------
    array of shape (n,)
        One loss per sample.
    """
    return _per_sample(MeanAbsolutePercentageError(), y_true, y_pred)


@function_form(MeanSquaredLogarithmicError)
def mean_squared_logarithmic_error(y_true, y_pred):
    """Per-sample ``mean((log(1 + y_pred) - log(1 + y_true)) ** 2, axis=-1)``.

    Parameters
    ----------
    y_true : array-like
        Targets, of the shape of ``y_pred`` (``(n,)`` targets for ``(n, 1)`` predictions too).
    y_pred : array-like
        Predictions, shape ``(n, d)`` or ``(n,)`` (a numpy array or an autograd tracer).

    Returns
    -------
    array of shape (n,)
        One loss per sample.
    """
    return _per_sample(MeanSquaredLogarithmicError(), y_true, y_pred)


@function_form(Hinge)
def hinge(y_true, y_pred):
    """Per-sample ``mean(max(1 - y_true y_pred, 0), axis=-1)`` (see :class:`Hinge`).

    Parameters
    ----------
    y_true : array-like
        Labels -1 or 1 (labels all 0 or 1 are mapped to -1 and 1), of the shape of ``y_pred``.
    y_pred : array-like
        Predictions, shape ``(n, d)`` or ``(n,)`` (a numpy array or an autograd tracer).

    Returns
    -------
    array of shape (n,)
        One loss per sample.
    """
    return _per_sample(Hinge(), y_true, y_pred)


@function_form(KLDivergence)
def kl_divergence(y_true, y_pred):
    """Per-sample ``sum(y_true log(y_true / y_pred), axis=-1)`` (see :class:`KLDivergence`).

    Parameters
    ----------
    y_true : array-like
        Target probabilities, of the shape of ``y_pred``.
    y_pred : array-like
        Predicted probabilities, shape ``(n, d)`` (a numpy array or an autograd tracer).

    Returns
    -------
    array of shape (n,)
        One loss per sample.
    """
    return _per_sample(KLDivergence(), y_true, y_pred)


@function_form(Poisson)
def poisson(y_true, y_pred):
    """Per-sample ``mean(y_pred - y_true log(y_pred + epsilon), axis=-1)``.

    Parameters
    ----------
    y_true : array-like
        Targets, of the shape of ``y_pred`` (``(n,)`` targets for ``(n, 1)`` predictions too).
    y_pred : array-like
        Predictions, shape ``(n, d)`` or ``(n,)`` (a numpy array or an autograd tracer).

    Returns
    -------
    array of shape (n,)
        One loss per sample.
    """
    return _per_sample(Poisson(), y_true, y_pred)


@function_form(LogCosh)
def log_cosh(y_true, y_pred):
    """Per-sample ``mean(log(cosh(y_pred - y_true)), axis=-1)``.

    Parameters
    ----------
    y_true : array-like
        Targets, of the shape of ``y_pred`` (``(n,)`` targets for ``(n, 1)`` predictions too).
    y_pred : array-like
        Predictions, shape ``(n, d)`` or ``(n,)`` (a numpy array or an autograd tracer).

    Returns
    -------
    array of shape (n,)
        One loss per sample.
    """
    return _per_sample(LogCosh(), y_true, y_pred)


mse, mae = mean_squared_error, mean_absolute_error
mape, msle = mean_absolute_percentage_error, mean_squared_logarithmic_error
kld = kl_divergence
