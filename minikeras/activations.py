"""Activation objects: ``a = f(z)`` forward and ``dL/dz = backward(z, a, dL/da)``.

Built-ins write ``backward`` by hand; a user subclass that only writes ``__call__`` with
``minikeras.ops`` gets ``backward`` from autograd. Every built-in is finite and warning-free
for ``|z|`` up to 1e4 in float32 and float64.
"""

import math

import numpy as np
import scipy.special
from autograd import make_vjp

from . import ops, validation
from .hierarchy import defined_below
from .registry import Configurable, FunctionWrapper, Registry

__all__ = ["Activation", "FunctionActivation", "Linear", "ReLU", "LeakyReLU", "ELU", "Sigmoid",
           "Tanh", "Softmax", "Softplus", "GELU", "SiLU", "SELU", "Softsign", "HardSigmoid",
           "HardSiLU", "ReLU6", "Mish", "LogSoftmax", "linear", "relu", "leaky_relu", "elu",
           "sigmoid", "tanh", "softmax", "softplus", "gelu", "silu", "swish", "selu",
           "softsign", "hard_sigmoid", "hard_silu", "hard_swish", "relu6", "mish",
           "log_softmax", "get", "register", "serialize"]


class Activation(Configurable):
    """Base class of activation functions.

    Subclasses implement ``__call__(z)``. ``backward(z, a, grad)`` returns ``dL/dz`` given
    ``grad = dL/da`` and the cached ``a = self(z)``; by default autograd derives it from
    ``__call__``, so a custom activation needs no calculus.
    """

    def __call__(self, z):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(z).")

    def backward(self, z, a, grad):
        """Return ``dL/dz``; this default differentiates ``__call__`` with autograd.

        Parameters
        ----------
        z : array
            What the activation was applied to (the logits). After :meth:`overwrite` it may
            be the same array as ``a``; only an activation whose ``backward`` allows that
            overwrites.
        a : array
            ``self(z)``, as the forward pass computed it.
        grad : array
            ``dL/da``, of ``a``'s shape.

        Returns
        -------
        array
            ``dL/dz``, of ``z``'s shape.
        """
        vjp, _ = make_vjp(self.__call__)(z)
        return vjp(grad)

    def backpropagate(self, z, a, grad):
        """``dL/dz`` as layers ask for it: the class's own ``backward`` if it is written for
        its ``__call__``, else autograd's (a subclass of ``ReLU`` that changes ``__call__``
        alone is differentiated by autograd).

        Parameters
        ----------
        z, a, grad : array
            The logits, ``self(z)`` and ``dL/da``, as :meth:`backward` takes them.
        """
        if defined_below(type(self), "backward", "__call__"):
            return self.backward(z, a, grad)
        return Activation.backward(self, z, a, grad)

    def overwrite(self, z):
        """``self(z)``, possibly computed into ``z`` itself (a numpy array nothing else
        holds); an activation does so only if its ``backward`` gives the same result when
        handed the activation in place of ``z``. By default: ``self(z)``, a new array.

        Parameters
        ----------
        z : numpy.ndarray
            The logits; nothing else may hold the array, which may be overwritten.
        """
        return self(z)

    def __repr__(self):
        return f"{type(self).__name__}()"


class FunctionActivation(FunctionWrapper, Activation):
    """Wraps a plain callable ``f(z)`` (written with ``minikeras.ops``) as an activation.

    Parameters
    ----------
    function : callable
        ``f(z)``, returning the activation of ``z``; autograd supplies its ``backward``.
    """

    def __call__(self, z):
        return self.function(z)


_registry = Registry("activation", Activation, function_wrapper=FunctionActivation)
register, serialize = _registry.register, _registry.serialize


def get(identifier):
    """Resolve an activation: a name, an instance, a config dict, a callable or None.

    ``None`` means the identity (``Linear``), as in Keras' ``Dense(activation=None)``.

    Parameters
    ----------
    identifier : str, Activation, dict, type, callable or None
        A registered name (``"relu"``), an instance (returned as is), a
        ``{"class_name": ..., "config": {...}}`` dict, an Activation class, a Keras function
        form such as :func:`relu` (giving its class), any other callable (wrapped in a
        :class:`FunctionActivation`), or None.

    Returns
    -------
    Activation

    Raises
    ------
    ValueError
        If ``identifier`` names nothing registered or has the wrong form.
    """
    return Linear() if identifier is None else _registry.get(identifier)


@register("linear", "identity")
class Linear(Activation):
    """``a = z``."""

    def __call__(self, z):
        return z

    def backward(self, z, a, grad):
        return grad


@register("relu")
class ReLU(Activation):
    """Rectified linear unit, as Keras' ``relu(x, negative_slope, max_value, threshold)``.

    With the defaults ``a = max(z, 0)`` and ``dL/dz = grad * (z > 0)``. In general::

        a = clip(z * (z > threshold), 0, max_value) - negative_slope * max(threshold - z, 0)

    (no clipping when ``max_value`` is None and ``threshold`` is not 0, as in Keras).

    Parameters
    ----------
    negative_slope : float, default 0
    max_value : float, optional
    threshold : float, default 0
    """

    _zeros_cache = None

    def __init__(self, negative_slope=0.0, max_value=None, threshold=0.0):
        self.negative_slope = validation.check_float("negative_slope", negative_slope, low=0.0)
        self.max_value = validation.check_float("max_value", max_value, low=0.0,
                                                allow_none=True)
        self.threshold = validation.check_float("threshold", threshold)
        self._plain = not self.negative_slope and max_value is None and not self.threshold

    def __call__(self, z):
        if not self._plain:
            return self._general(z)
        if ops.is_traced(z) or np.ndim(z) == 0 or not isinstance(z, np.ndarray):
            return ops.relu(z)
        return np.maximum(z, self._zeros(z))

    def overwrite(self, z):
        """``max(z, 0)`` written into ``z``: ``backward`` reads only the sign, which
        ``max(z, 0)`` keeps (the default ReLU only, not a subclass changing ``__call__``)."""
        if not self._plain or not isinstance(z, np.ndarray) or z.ndim == 0 \
                or not defined_below(type(self), "overwrite", "__call__"):
            return self(z)
        return np.maximum(z, self._zeros(z), out=z)

    def _zeros(self, z):
        # numpy's maximum against a row of zeros runs vectorised; against the scalar 0 it
        # takes a slow broadcasting loop (about 1.8x slower on a 256 x 512 batch).
        zeros = self._zeros_cache
        if zeros is None or zeros.dtype != z.dtype or zeros.shape != z.shape[-1:]:
            zeros = self._zeros_cache = np.zeros(z.shape[-1:], dtype=z.dtype)
        return zeros

    def _general(self, z):
        z, xp = ops.array_and_namespace(z)
        positive = z * (ops.stop_gradient(z) > self.threshold)
        if self.max_value is not None or not self.threshold:
            positive = xp.clip(positive, 0, np.inf if self.max_value is None else self.max_value)
        if self.negative_slope:
            positive = positive - self.negative_slope * xp.maximum(self.threshold - z, 0)
        return positive

    def backward(self, z, a, grad):
        if self._plain:
            return grad * (z > 0)
        slope = z > self.threshold
        if self.max_value is not None or not self.threshold:
            slope &= z > 0
            if self.max_value is not None:
                slope &= z < self.max_value
        slope = slope.astype(grad.dtype)
        if self.negative_slope:
            slope += (z < self.threshold) * np.asarray(self.negative_slope, dtype=grad.dtype)
        return grad * slope


@register("leaky_relu")
class LeakyReLU(Activation):
    """``a = z if z > 0 else negative_slope * z``.

    Parameters
    ----------
    negative_slope : float, default 0.2
        The slope for ``z <= 0``.
    """

    def __init__(self, negative_slope=0.2):
        self.negative_slope = validation.check_float("negative_slope", negative_slope)

    def __call__(self, z):
        return ops.leaky_relu(z, self.negative_slope)

    def backward(self, z, a, grad):
        # slope + (1 - slope) * (z > 0), without numpy's slow where
        slope = (z > 0) * np.asarray(1.0 - self.negative_slope, dtype=grad.dtype)
        slope += self.negative_slope
        return grad * slope


@register("elu")
class ELU(Activation):
    """``a = z if z > 0 else alpha * (exp(z) - 1)``; ``da/dz = 1`` or ``a + alpha``.

    Parameters
    ----------
    alpha : float, default 1.0
        Scale of the negative part: ``a`` tends to ``-alpha`` as ``z`` goes to ``-inf``.
    """

    def __init__(self, alpha=1.0):
        self.alpha = validation.check_float("alpha", alpha)

    def __call__(self, z):
        return ops.elu(z, self.alpha)

    def backward(self, z, a, grad):
        # alpha * exp(min(z, 0)) is a + alpha below 0; above 0 it is alpha, corrected to 1
        slope = np.exp(np.minimum(z, 0)) * np.asarray(self.alpha, dtype=grad.dtype)
        slope += (z > 0) * np.asarray(1.0 - self.alpha, dtype=grad.dtype)
        return grad * slope


@register("sigmoid", "logistic")
class Sigmoid(Activation):
    """``a = 1 / (1 + exp(-z))``; ``dL/dz = grad * a * (1 - a)``."""

    def __call__(self, z):
        return ops.sigmoid(z)

    def backward(self, z, a, grad):
        slope = np.subtract(1, a)
        slope *= a
        slope *= grad
        return slope

    def overwrite(self, z):
        """``sigmoid(z)`` written into ``z``: ``backward`` reads only ``a`` (Sigmoid's own
        ``__call__`` and ``backward`` only)."""
        if type(z) is not np.ndarray or z.dtype.kind != "f" \
                or not defined_below(type(self), "overwrite", "__call__", "backward"):
            return self(z)
        return ops.sigmoid(z, out=z)


@register("tanh")
class Tanh(Activation):
    """``a = tanh(z)``; ``dL/dz = grad * (1 - a ** 2)``."""

    def __call__(self, z):
        return ops.namespace(z).tanh(z)

    def backward(self, z, a, grad):
        return grad * (1 - a * a)


@register("softmax")
class Softmax(Activation):
    """``a = exp(z) / sum(exp(z))`` along ``axis``; ``dL/dz = a * (grad - sum(a * grad))``.

    Parameters
    ----------
    axis : int, default -1
        The axis the probabilities sum to 1 along.
    """

    def __init__(self, axis=-1):
        self.axis = validation.check_int("axis", axis, minimum=-32, maximum=31)

    def __call__(self, z):
        return ops.softmax(z, axis=self.axis)

    def backward(self, z, a, grad):
        return a * (grad - np.sum(a * grad, axis=self.axis, keepdims=True))


@register("softplus")
class Softplus(Activation):
    """``a = log(1 + exp(z))``; ``dL/dz = grad * sigmoid(z)``."""

    def __call__(self, z):
        return ops.softplus(z)

    def backward(self, z, a, grad):
        return grad * ops.sigmoid(z)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_SQRT_2 = math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)


@register("gelu")
class GELU(Activation):
    """Gaussian error linear unit ``a = z * Phi(z)``, ``Phi`` the normal CDF.

    With ``approximate=True`` uses ``0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3)))``.

    Parameters
    ----------
    approximate : bool, default False
        Use the tanh approximation above instead of the exact ``Phi`` (from ``erf``).
    """

    def __init__(self, approximate=False):
        self.approximate = bool(approximate)

    def __call__(self, z):
        return ops.gelu(z, self.approximate)

    def backward(self, z, a, grad):
        if self.approximate:
            u = _SQRT_2_OVER_PI * (z + 0.044715 * z**3)
            e = np.exp(-2 * np.abs(u))
            sech2 = 4 * e / (1 + e) ** 2  # 1 - tanh(u)**2 without cancellation or overflow
            inner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * z * z)
            return grad * (0.5 * (1 + np.tanh(u)) + 0.5 * z * sech2 * inner)
        cdf = 0.5 * (1 + scipy.special.erf(z / _SQRT_2))
        pdf = np.exp(-0.5 * z * z) / _SQRT_2PI
        return grad * (cdf + z * pdf)


@register("silu", "swish")
class SiLU(Activation):
    """``a = z * sigmoid(z)``; ``dL/dz = grad * s * (1 + z * (1 - s))``, ``s = sigmoid(z)``."""

    def __call__(self, z):
        return ops.silu(z)

    def backward(self, z, a, grad):
        s = ops.sigmoid(z)
        return grad * s * (1 + z * (1 - s))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _constant(value, like):
    """``value`` as a 0-d array of ``like``'s dtype (keeps float32 arrays float32)."""
    return np.asarray(value, dtype=like.dtype)


@register("selu")
class SELU(Activation):
    """Scaled ELU: ``a = scale * z`` if ``z > 0`` else ``scale * alpha * (exp(z) - 1)``, with
    Keras' constants ``alpha = 1.67326324...`` and ``scale = 1.05070098...``;
    ``da/dz = scale`` or ``scale * alpha * exp(z)``."""

    def __call__(self, z):
        return ops.elu(z, _SELU_ALPHA) * _SELU_SCALE

    def backward(self, z, a, grad):
        # scale * alpha * exp(min(z, 0)) below 0; above 0 corrected to scale
        slope = np.exp(np.minimum(z, 0)) * _constant(_SELU_SCALE * _SELU_ALPHA, grad)
        slope += (z > 0) * _constant(_SELU_SCALE - _SELU_SCALE * _SELU_ALPHA, grad)
        return grad * slope


@register("softsign")
class Softsign(Activation):
    """``a = z / (1 + |z|)``; ``da/dz = 1 / (1 + |z|) ** 2``."""

    def __call__(self, z):
        z, xp = ops.array_and_namespace(z)
        return z / (1 + xp.abs(z))

    def backward(self, z, a, grad):
        denominator = 1 + np.abs(z)
        return grad / (denominator * denominator)


@register("hard_sigmoid")
class HardSigmoid(Activation):
    """Keras 3's piecewise-linear sigmoid: ``a = clip(z / 6 + 1/2, 0, 1)`` (0 below -3, 1
    above 3); ``da/dz = 1/6`` for ``-3 < z < 3``, else 0."""

    def __call__(self, z):
        z, xp = ops.array_and_namespace(z)
        return xp.clip(z / 6 + 0.5, 0, 1)

    def backward(self, z, a, grad):
        return grad * (((z > -3) & (z < 3)) * _constant(1 / 6, grad))


@register("hard_silu", "hard_swish")
class HardSiLU(Activation):
    """``a = z * hard_sigmoid(z)``; ``da/dz = hard_sigmoid(z) + z / 6`` for ``-3 < z < 3``
    (0 below, 1 above)."""

    def __call__(self, z):
        return z * HardSigmoid()(z)

    def backward(self, z, a, grad):
        inside = (z > -3) & (z < 3)
        slope = np.clip(z / 6 + 0.5, 0, 1) + inside * (z / 6)
        return grad * slope.astype(grad.dtype, copy=False)


@register("relu6")
class ReLU6(Activation):
    """``a = min(max(z, 0), 6)``; ``da/dz = 1`` for ``0 < z < 6``, else 0."""

    def __call__(self, z):
        z, xp = ops.array_and_namespace(z)
        return xp.clip(z, 0, 6)

    def backward(self, z, a, grad):
        return grad * ((z > 0) & (z < 6))


@register("mish")
class Mish(Activation):
    """``a = z * tanh(softplus(z))``; ``da/dz = t + z * (1 - t ** 2) * sigmoid(z)`` with
    ``t = tanh(softplus(z))``."""

    def __call__(self, z):
        return z * ops.namespace(z).tanh(ops.softplus(z))

    def backward(self, z, a, grad):
        t = np.tanh(ops.softplus(z))
        return grad * (t + z * (1 - t * t) * ops.sigmoid(z))


@register("log_softmax")
class LogSoftmax(Activation):
    """``a = z - log(sum(exp(z)))`` along ``axis``; ``dL/dz = grad - exp(a) * sum(grad)``.

    Parameters
    ----------
    axis : int, default -1
        The axis the log-sum-exp is taken along.
    """

    def __init__(self, axis=-1):
        self.axis = validation.check_int("axis", axis, minimum=-32, maximum=31)

    def __call__(self, z):
        return ops.log_softmax(z, axis=self.axis)

    def backward(self, z, a, grad):
        return grad - np.exp(a) * np.sum(grad, axis=self.axis, keepdims=True)


# ---------------------------------------------------------------- Keras' function forms
# ``activation=activations.relu`` resolves to ``ReLU()`` (hand-written backward); called
# directly, each computes its activation.
_function_form = _registry.function_form


@_function_form(Linear)
def linear(x):
    """``x``.

    Parameters
    ----------
    x : array-like
        The pre-activation values (a numpy array or an autograd tracer).
    """
    return Linear()(x)


@_function_form(ReLU)
def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit (see :class:`ReLU`).

    Parameters
    ----------
    x : array-like
        The pre-activation values (a numpy array or an autograd tracer).
    negative_slope : float, default 0
        The slope below ``threshold`` (0: those inputs give 0).
    max_value : float, optional
        The largest output (None: no upper bound).
    threshold : float, default 0
        Where the slope changes: inputs not above it give ``negative_slope * (x - threshold)``.
    """
    return ReLU(negative_slope, max_value, threshold)(x)


@_function_form(LeakyReLU)
def leaky_relu(x, negative_slope=0.2):
    """``x`` if ``x > 0`` else ``negative_slope * x``.

    Parameters
    ----------
    x : array-like
        The pre-activation values (a numpy array or an autograd tracer).
    negative_slope : float, default 0.2
        The slope for ``x <= 0``.
    """
    return LeakyReLU(negative_slope)(x)


@_function_form(ELU)
def elu(x, alpha=1.0):
    """``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``.

    Parameters
    ----------
    x : array-like
        The pre-activation values (a numpy array or an autograd tracer).
    alpha : float, default 1.0
        Scale of the negative part (the output tends to ``-alpha``).
    """
    return ELU(alpha)(x)


@_function_form(Sigmoid)
def sigmoid(x):
    """``1 / (1 + exp(-x))``.

    Parameters
    ----------
    x : array-like
        The pre-activation values (a numpy array or an autograd tracer).
    """
    return Sigmoid()(x)


@_function_form(Tanh)
def tanh(x):
    """``tanh(x)``.

    Parameters
    ----------
    x : array-like
        The pre-activation values (a numpy array or an autograd tracer).
    """
    return Tanh()(x)


@_function_form(Softmax)
def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis``.

    Parameters
    ----------
    x : array-like
        The pre-activation values (a numpy array or an autograd tracer).
    axis : int, default -1
        The axis the probabilities sum to 1 along.
    """
    return Softmax(axis)(x)


@_function_form(Softplus)
def softplus(x):
    """``log(1 + exp(x))``.

    Parameters
    ----------
    x : array-like
        The pre-activation values (a numpy array or an autograd tracer).
    """
    return Softplus()(x)


@_function_form(GELU)
def gelu(x, approximate=False):
    """``x * Phi(x)`` (see :class:`GELU`).

    Parameters
    ----------
    x : array-like
        The pre-activation values (a numpy array or an autograd tracer).
    approximate : bool, default False
        Use the tanh approximation of ``Phi`` instead of the exact normal CDF.
    """
    return GELU(approximate)(x)


@_function_form(SiLU)
def silu(x):
    """``x * sigmoid(x)``.

    Parameters
    ----------
    x : array-like
        The pre-activation values (a numpy array or an autograd tracer).
    """
    return SiLU()(x)


swish = silu


@_function_form(SELU)
def selu(x):
    """Scaled ELU (see :class:`SELU`).

    Parameters
    ----------
    x : array-like
        The pre-activation values (a numpy array or an autograd tracer).
    """
    return SELU()(x)


@_function_form(Softsign)
def softsign(x):
    """``x / (1 + |x|)``.

    Parameters
    ----------
    x : array-like
        The pre-activation values (a numpy array or an autograd tracer).
    """
    return Softsign()(x)


@_function_form(HardSigmoid)
def hard_sigmoid(x):
    """``clip(x / 6 + 1/2, 0, 1)``.

    Parameters
    ----------
    x : array-like
        The pre-activation values (a numpy array or an autograd tracer).
    """
    return HardSigmoid()(x)


@_function_form(HardSiLU)
def hard_silu(x):
    """``x * hard_sigmoid(x)``.

    Parameters
    ----------
    x : array-like
        The pre-activation values (a numpy array or an autograd tracer).
    """
    return HardSiLU()(x)


hard_swish = hard_silu


@_function_form(ReLU6)
def relu6(x):
    """``min(max(x, 0), 6)``.

    Parameters
    ----------
    x : array-like
        The pre-activation values (a numpy array or an autograd tracer).
    """
    return ReLU6()(x)


@_function_form(Mish)
def mish(x):
    """``x * tanh(softplus(x))``.

    Parameters
    ----------
    x : array-like
        The pre-activation values (a numpy array or an autograd tracer).
    """
    return Mish()(x)


@_function_form(LogSoftmax)
def log_softmax(x, axis=-1):
    """``x - logsumexp(x)`` along ``axis``.

    Parameters
    ----------
    x : array-like
        The pre-activation values (a numpy array or an autograd tracer).
    axis : int, default -1
        The axis the log-sum-exp is taken along.
    """
    return LogSoftmax(axis)(x)
