"""``Variable``: a named weight with its value, its gradient and how it is trained.

A layer creates its weights with ``add_weight``, which returns a ``Variable``; the layer
tracks the variables assigned to its attributes. A variable behaves like its array in
numpy code and in ``minikeras.ops`` (``v.shape``, ``np.asarray(v)``, ``x @ v``,
``ops.tanh(x * v)``, ``v == 0`` elementwise), and changes only through
:meth:`Variable.assign` (or in place, by an optimizer). A variable hashes by identity, so
it can be a dictionary key.

Assignments can be held back: inside :func:`no_state_updates` every ``assign`` is
dropped, which is how gradient checks run a layer in training mode without moving its
statistics.
"""

import contextlib
import threading

import numpy as np

from autograd.tracer import getval as raw_value

from . import config, regularizers, validation

__all__ = ["Variable", "no_state_updates", "updates_allowed", "value_of", "planned_weights",
           "check_planned"]

_scope = threading.local()


@contextlib.contextmanager
def no_state_updates():
    """Inside this block, ``Variable.assign`` (and its ``_add``/``_sub`` forms) change nothing.

    Used for dry runs of a training step (gradient checks, ``loss_and_gradients``): a
    ``BatchNormalization`` layer computes its batch statistics but keeps its moving ones.
    """
    depth = getattr(_scope, "depth", 0)
    _scope.depth = depth + 1
    try:
        yield
    finally:
        _scope.depth = depth


def updates_allowed():
    """False inside :func:`no_state_updates`."""
    return not getattr(_scope, "depth", 0)


@contextlib.contextmanager
def planned_weights(shapes):
    """Inside this block, every weight a layer creates must be one of ``shapes``
    (``{path: (shape, dtype)}``), checked before anything is allocated, and starts at zero
    instead of running its initializer: its values come from a file.

    Loading uses it, so that a forged architecture cannot make minikeras allocate more than
    the file holds, and so that loading draws nothing from the random generators.

    Parameters
    ----------
    shapes : dict
        ``{weight path: (shape, dtype)}``, the weights the file holds.
    """
    previous = getattr(_scope, "planned", None)
    _scope.planned = dict(shapes)
    try:
        yield
    finally:
        _scope.planned = previous


def check_planned(path, shape, dtype):
    """False outside :func:`planned_weights`; inside, True if ``path`` is planned with this
    shape and a floating dtype, else ValueError.

    Parameters
    ----------
    path : str
        The full name of the weight about to be created (``"dense/kernel"``).
    shape : tuple of int
        Its shape.
    dtype : str or numpy.dtype
        Its dtype (not compared: the planned dtype must be a floating one).

    Returns
    -------
    bool
        True inside :func:`planned_weights` (the weight then starts at zero), else False.

    Raises
    ------
    ValueError
        If the weight is not planned, or planned with another shape or a dtype that is not
        floating point.
    """
    planned = getattr(_scope, "planned", None)
    if planned is None:
        return False
    if path not in planned:
        raise ValueError(f"the architecture creates a weight {path!r} the file does not hold")
    expected, expected_dtype = planned[path]
    if tuple(expected) != tuple(shape) or np.dtype(expected_dtype).kind != "f":
        raise ValueError(f"the architecture makes {path!r} of shape {tuple(shape)}, but the "
                         f"file holds {tuple(expected)} of {expected_dtype}")
    return True


def value_of(x):
    """The array behind a :class:`Variable`; anything else (an array, an autograd tracer)
    unchanged. Built-in layers read their weights through it, so one ``call`` serves
    numpy and autograd alike.

    Parameters
    ----------
    x : Variable or array-like
        A variable, or anything else (returned as is).

    Returns
    -------
    ndarray or object
        The variable's live value array (not a copy), or ``x`` itself.
    """
    return x._value if isinstance(x, Variable) else x


class Variable:
    """A weight: an array with a name, a gradient, a ``trainable`` flag and a regularizer.

    Parameters
    ----------
    value : array-like
        The initial value; it is copied.
    name : str, optional
        Short name such as ``"kernel"``.
    trainable : bool
        Whether an optimizer updates it. Non-trainable variables (a BatchNormalization
        layer's moving statistics) change only in a real training step.
    regularizer : str or Regularizer, optional
        Penalty added to the training loss.
    dtype : str, optional
        Defaults to the value's float type, or :func:`minikeras.config.floatx`.
    path : str, optional
        Full name, ``"<layer name>/<name>"`` for a layer's weight.

    Attributes
    ----------
    value : ndarray
        The current value. An optimizer may move it into a larger buffer of its own, so
        hold on to the variable, not to this array.
    grad : ndarray
        The gradient of the loss with respect to the value, written by back-propagation.
    model_state : bool
        True (the default) for a model's weights and statistics, whose ``assign`` is dropped
        inside :func:`no_state_updates`; False for a metric's state, which evaluating
        must update.
    """

    def __init__(self, value, name=None, trainable=True, regularizer=None, dtype=None,
                 path=None):
        if name is not None and not isinstance(name, str):
            raise ValueError(f"Argument `name` must be a string, got {validation.describe(name)}.")
        if dtype is None:
            kind = getattr(np.asarray(raw_value(value)), "dtype", np.dtype("O")).kind
            dtype = np.asarray(raw_value(value)).dtype if kind == "f" else config.floatx()
        self._value = np.array(raw_value(value), dtype=dtype)
        self._grad = None
        self.name = name or "variable"
        self.path = path or self.name
        self.trainable = bool(trainable)
        self.regularizer = regularizers.get(regularizer)
        self.model_state = True

    # ---------------------------------------------------------------- value and gradient
    @property
    def value(self):
        """The current value (an ndarray, updated in place)."""
        return self._value

    @property
    def grad(self):
        """The gradient array, same shape and dtype as the value (zeros until written)."""
        if self._grad is None:
            self._grad = np.zeros_like(self._value)
        return self._grad

    @grad.setter
    def grad(self, value):
        # Written into the existing array: an optimizer may hold it as part of a buffer.
        self.grad[...] = value

    def relocate(self, value_storage, grad_storage):
        """Copy the value (and the gradient, if any) into the given arrays and keep them
        there from now on.

        An optimizer uses this to gather many variables into one flat buffer, so that an
        elementwise update is one numpy call per buffer instead of one per variable.

        Parameters
        ----------
        value_storage : numpy.ndarray
            The array the value moves to: of the value's shape and dtype (typically a view
            into a larger buffer).
        grad_storage : numpy.ndarray or None
            The array the gradient moves to, likewise; None leaves the variable without a
            gradient array until :attr:`grad` is next read (zeros then).
        """
        value_storage[...] = self._value
        if grad_storage is not None and self._grad is not None:
            grad_storage[...] = self._grad
        self._value = value_storage
        self._grad = grad_storage

    def numpy(self):
        """A copy of the value as a numpy array (as in Keras)."""
        return self._value.copy()

    def assign(self, value):
        """Set the value in place; ``value`` must have the variable's shape.

        Dropped inside :func:`no_state_updates` (unless it is not :attr:`model_state`).
        Returns the variable.

        Parameters
        ----------
        value : array-like
            The new value, of the variable's shape; cast to the variable's dtype.

        Raises
        ------
        ValueError
            If the shape differs.
        """
        value = np.asarray(raw_value(value))
        if value.shape != self._value.shape:
            raise ValueError(
                f"Argument `value` of {self.path}.assign has shape {value.shape}; the variable "
                f"has shape {self._value.shape}."
            )
        if updates_allowed() or not getattr(self, "model_state", True):
            self._value[...] = value
        return self

    def assign_add(self, delta):
        """``value += delta`` (in place; dropped inside :func:`no_state_updates`).

        Parameters
        ----------
        delta : array-like
            Added to the value; it broadcasts to the variable's shape.
        """
        return self.assign(self._value + raw_value(delta))

    def assign_sub(self, delta):
        """``value -= delta`` (in place; dropped inside :func:`no_state_updates`).

        Parameters
        ----------
        delta : array-like
            Subtracted from the value; it broadcasts to the variable's shape.
        """
        return self.assign(self._value - raw_value(delta))

    # ---------------------------------------------------------------- array protocol
    shape = property(lambda self: self._value.shape, doc="Shape of the value.")
    dtype = property(lambda self: self._value.dtype, doc="dtype of the value.")
    ndim = property(lambda self: self._value.ndim, doc="Number of axes.")
    size = property(lambda self: self._value.size, doc="Number of entries.")
    nbytes = property(lambda self: self._value.nbytes, doc="Bytes held by the value.")
    T = property(lambda self: self._value.T, doc="The transposed value.")

    def __array__(self, dtype=None, copy=None):
        """``np.asarray(variable)``: a snapshot (a copy), as in Keras, so that it does not
        follow training; ``copy=False`` (numpy 2) asks for the live array, as
        :attr:`value` gives it."""
        if copy is False:
            if dtype is not None and np.dtype(dtype) != self._value.dtype:
                raise ValueError(f"A copy is needed to give {self.path!r} ({self.dtype}) as "
                                 f"{np.dtype(dtype)}, but copy=False was asked for.")
            return self._value
        return np.array(self._value, dtype=dtype)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = [x._value if isinstance(x, Variable) else x for x in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(x._value if isinstance(x, Variable) else x
                                  for x in kwargs["out"])
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __len__(self):
        return len(self._value)

    def __getitem__(self, index):
        return self._value[index]

    def __setitem__(self, index, value):
        self._value[index] = value

    def __float__(self):
        return float(self._value)

    def __int__(self):
        return int(self._value)

    def __neg__(self):
        return -self._value

    def __pos__(self):
        return +self._value

    def __abs__(self):
        return abs(self._value)

    def __repr__(self):
        return (f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype.name}, "
                f"trainable={self.trainable}>")


def _binary(name, reflected):
    def operator(self, other):
        return getattr(self._value, name)(other._value if isinstance(other, Variable) else other)

    operator.__name__ = name
    return operator


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul"):
    setattr(Variable, f"__{_name}__", _binary(f"__{_name}__", False))
    setattr(Variable, f"__r{_name}__", _binary(f"__r{_name}__", True))
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(Variable, f"__{_name}__", _binary(f"__{_name}__", False))
Variable.__hash__ = object.__hash__  # identity, as for any object; == is elementwise


def _delegate(name):
    def method(self, *args, **kwargs):
        return getattr(self._value, name)(*args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"``value.{name}(...)``, as for an array."
    return method


# The array methods an autograd tracer offers too, so a layer's ``call`` may use them.
for _name in ("all", "any", "argmax", "argmin", "argsort", "astype", "clip", "copy", "cumsum",
              "flatten", "max", "mean", "min", "prod", "ravel", "reshape", "round", "squeeze",
              "std", "sum", "swapaxes", "take", "tolist", "transpose", "var"):
    setattr(Variable, _name, _delegate(_name))
del _name
