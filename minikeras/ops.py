"""Array operations that autograd can differentiate, for writing custom layers.

``minikeras.ops`` re-exports ``autograd.numpy`` (so ``ops.exp``, ``ops.sum``, ``ops.where``
... all trace), plus Keras-named helpers such as :func:`relu`, :func:`sigmoid`,
:func:`softmax` and :func:`log_softmax`, written to stay finite for very large inputs.

Built-in pieces use :func:`namespace` to pick plain numpy on the fast path and
``autograd.numpy`` only while autograd is tracing, so one formula serves both.
"""

import math as _math

import numpy as _np
from autograd.numpy import *  # noqa: F401,F403  (the differentiable numpy namespace)
import autograd.numpy as _anp
import scipy.special as _scipy_special
from autograd.tracer import isbox as _isbox


def namespace(*arrays):
    """Return ``autograd.numpy`` if any argument is being traced by autograd, else numpy.

    Plain numpy skips autograd's dispatch overhead on the training hot path.
    """
    for a in arrays:
        if _isbox(a):
            return _anp
    return _np


def array_and_namespace(x):
    """``(x, xp)``: a plain input made an ndarray (lists work too), and its namespace."""
    if _isbox(x):
        return x, _anp
    return (x if isinstance(x, _np.ndarray) else _np.asarray(x)), _np


def is_traced(x):
    """Return True if ``x`` is an autograd tracer box rather than a plain array."""
    return _isbox(x)


def convert_to_tensor(x, dtype=None):
    """``x`` as an array (a Variable's value; an autograd tracer is passed on unchanged)."""
    if _isbox(x):
        return x if dtype is None else x.astype(dtype)
    return _np.asarray(x, dtype=dtype)


def convert_to_numpy(x):
    """``x``'s value as a numpy array (a copy; an autograd tracer's plain value)."""
    return _np.array(_raw(x))


def cast(x, dtype):
    """``x`` converted to ``dtype``."""
    return convert_to_tensor(x).astype(dtype)


def matmul(a, b):
    """Matrix product ``a @ b``."""
    return a @ b


def relu(x):
    """Rectified linear unit, ``max(x, 0)``."""
    x, xp = array_and_namespace(x)
    return xp.maximum(x, 0)


def sigmoid(x, out=None):
    """Logistic sigmoid ``1 / (1 + exp(-x))``, evaluated without overflow for any x.

    ``-x`` is capped where ``exp`` would overflow (about 88 in float32, 709 in float64);
    there the true value is below the smallest normal number anyway. ``out`` (numpy
    arrays only) is a float array of ``x``'s shape to write the result into; it may be
    ``x`` itself.
    """
    if _isbox(x):
        limit = _np.asarray(_exp_limit(x), dtype=_raw(x).dtype)  # keeps float32 float32
        return 1 / (1 + _anp.exp(_anp.minimum(-x, limit)))
    x = _np.asarray(x)
    if out is None:
        out = _np.empty(x.shape, dtype=x.dtype if x.dtype.kind == "f" else _np.float64)
    _np.negative(x, out=out)
    _np.minimum(out, _EXP_LIMITS[out.dtype], out=out)  # the same formula, in place (fast path)
    _np.exp(out, out=out)
    out += 1
    return _np.reciprocal(out, out=out)


def _exp_limit(x):
    """Largest argument whose ``exp`` is finite in ``x``'s float type."""
    raw = _raw(x)
    dtype = raw.dtype if hasattr(raw, "dtype") and raw.dtype.kind == "f" else _np.float64
    return _EXP_LIMITS[_np.dtype(dtype)]


_EXP_LIMITS = {_np.dtype(t): float(_np.floor(_np.log(_np.finfo(t).max)))
               for t in (_np.float16, _np.float32, _np.float64)}


def silu(x):
    """``x * sigmoid(x)`` (also called swish)."""
    x, _ = array_and_namespace(x)
    return x * sigmoid(x)


# These piecewise functions avoid ``where``: numpy's where with a data-dependent mask runs
# about 15x slower than arithmetic on a 256 x 512 batch.

def elu(x, alpha=1.0):
    """``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``, as ``max(x, 0) + alpha expm1(min(x, 0))``."""
    x, xp = array_and_namespace(x)
    return xp.maximum(x, 0) + alpha * xp.expm1(xp.minimum(x, 0))


def leaky_relu(x, negative_slope=0.2):
    """``x`` if ``x > 0`` else ``negative_slope * x``: ``max(x, s x)`` (``min`` when s > 1)."""
    x, xp = array_and_namespace(x)
    pick = xp.maximum if negative_slope <= 1 else xp.minimum
    return pick(x, negative_slope * x)


def gelu(x, approximate=False):
    """Gaussian error linear unit ``x * Phi(x)`` (tanh approximation if ``approximate``)."""
    x, xp = array_and_namespace(x)
    if approximate:
        return 0.5 * x * (1 + xp.tanh(_math.sqrt(2 / _math.pi) * (x + 0.044715 * x ** 3)))
    if _isbox(x):  # imported here: autograd.scipy pulls in scipy.stats (~0.7 s)
        from autograd.scipy.special import erf
    else:
        erf = _scipy_special.erf
    return 0.5 * x * (1 + erf(x / _math.sqrt(2.0)))


def one_hot(indices, num_classes, dtype="float32"):
    """``(n,)`` integer labels -> ``(n, num_classes)`` one-hot rows."""
    indices = _np.asarray(indices, dtype=_np.intp)
    out = _np.zeros(indices.shape + (num_classes,), dtype=dtype)
    _np.put_along_axis(out, indices[..., None], 1, axis=-1)
    return out


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``, finite for any x."""
    return -softplus(-x)


def softplus(x):
    """``log(1 + exp(x))`` computed as ``max(x, 0) + log1p(exp(-|x|))``."""
    x, xp = array_and_namespace(x)
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


def log_softmax(x, axis=-1):
    """``x - logsumexp(x)`` along ``axis``; shifts by the maximum so nothing overflows."""
    x, xp = array_and_namespace(x)
    shifted = x - _stop_gradient_max(x, axis)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis``, shifted by the maximum for stability."""
    x, xp = array_and_namespace(x)
    e = xp.exp(x - _stop_gradient_max(x, axis))
    return e / xp.sum(e, axis=axis, keepdims=True)


def logsumexp(x, axis=-1, keepdims=False):
    """``log(sum(exp(x)))`` along ``axis`` without overflow."""
    x, xp = array_and_namespace(x)
    m = _stop_gradient_max(x, axis)
    out = m + xp.log(xp.sum(xp.exp(x - m), axis=axis, keepdims=True))
    return out if keepdims else xp.squeeze(out, axis=axis)


def stop_gradient(x):
    """``x``'s value, through which autograd passes no gradient (Keras' ``stop_gradient``)."""
    return _raw(x)


def _raw(x):
    """The plain array inside however many autograd boxes."""
    while _isbox(x):
        x = x._value
    return x


def _stop_gradient_max(x, axis):
    # The shift cancels mathematically, so its gradient is zero; taking it from the raw
    # values keeps autograd from routing gradient through the (non-smooth) max.
    return row_max(_raw(x), axis)


def _cached_prefix(cache, n, make, key):
    """The first ``n`` entries of a read-only vector ``make(length, key)`` kept in
    ``cache`` under ``key``, made again (at least 64 long) when it is too short."""
    vector = cache.get(key)
    if vector is None or len(vector) < n:
        vector = cache[key] = make(n if n > 64 else 64, key)  # (max is numpy's here)
        vector.flags.writeable = False
    return vector[:n]


def _ones(n, dtype):
    """A read-only vector of ``n`` ones, kept per dtype."""
    return _cached_prefix(_ONES, n, _np.ones, dtype)


_ONES = {}


def row_sums(x):
    """Sums along the last axis of a numpy array, as a product with ones.

    numpy's reductions are slow along a short axis of a tall array; a matrix-vector
    product does the same sum through BLAS.
    """
    return x @ _ones(x.shape[-1], x.dtype)


def column_sums(x, out=None):
    """Sums over the rows (first axis) of a 2-D numpy array, as a product with ones."""
    return _np.matmul(_ones(len(x), x.dtype), x, out=out)


def label_positions(labels, width):
    """Flat positions ``i * width + labels[i]`` of each row's labelled entry in a
    C-ordered ``(len(labels), width)`` array: ``a.ravel()[positions]`` picks them (one fast
    1-D index instead of a two-array fancy index)."""
    return _cached_prefix(_ROW_STARTS, len(labels), _row_starts, width) + labels


def _row_starts(length, width):
    return _np.arange(length, dtype=_np.intp) * width


_ROW_STARTS = {}


def row_max(x, axis=-1):
    """``max(x, axis, keepdims=True)`` for a numpy array, fast for few columns too.

    numpy's reduction is slow along a short last axis of a tall array (one inner loop per
    row); a few elementwise maxima over the columns do the same in a fraction of the time.
    """
    if axis in (-1, x.ndim - 1) and x.ndim == 2 and 2 <= x.shape[1] <= 4:
        out = _np.maximum(x[:, :1], x[:, 1:2])
        for j in range(2, x.shape[1]):
            _np.maximum(out, x[:, j:j + 1], out=out)
        return out
    return _np.maximum.reduce(x, axis=axis, keepdims=True)  # (no Python-level wrapper)
