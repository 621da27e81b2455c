"""The ``Layer`` base class: weights, building, the training forward/backward protocol.

Training calls ``forward(inputs, training=True)`` on every layer, then ``backward(grad)``
in reverse. Built-in layers implement ``backward`` by hand and write into the arrays of
``self.gradients`` (one per weight, aligned with ``self.weights``; write with
``out=`` or ``[...] =``, since the model may keep them as views of one buffer). A user layer that writes only
``build`` and ``call`` gets both from autograd: ``forward`` records a vector-Jacobian
product with the weights as inputs and ``backward`` replays it.
"""

import contextlib
import functools
import inspect
import itertools

import numpy as np
from autograd import make_vjp

from .. import config, initializers, regularizers, validation
from ..registry import Configurable, Registry, snake_case

_name_counters = {}


def inputs_dtype(inputs):
    """Keep float arrays' dtype; convert anything else to the default float type."""
    dtype = getattr(inputs, "dtype", None)
    return dtype if dtype is not None and np.dtype(dtype).kind == "f" else config.floatx()


def unique_name(base):
    """``base``, then ``base_1``, ``base_2``, ... per process, as Keras names layers."""
    counter = _name_counters.setdefault(base, itertools.count())
    n = next(counter)
    return base if n == 0 else f"{base}_{n}"


class Layer(Configurable):
    """Base class of all layers.

    Parameters
    ----------
    name : str, optional
        Unique by default (``dense``, ``dense_1``, ...).
    trainable : bool
        False freezes every weight of the layer.
    dtype : str, optional
        Weight dtype; defaults to :func:`minikeras.config.floatx` at build time.
    input_shape : tuple, optional
        Per-sample input shape, as in Keras 2 (``input_dim=d`` means ``(d,)``).

    Notes
    -----
    Subclassing: write ``build`` and ``call``; autograd then supplies the backward pass. A
    hand-written ``backward`` is used only if it is defined at the same level of the class
    hierarchy as ``call`` or below it, so a subclass of ``Dense`` that changes ``call``
    alone is differentiated by autograd. Change the forward computation through ``call``
    (not through a parent's private helpers), and write ``backward`` together with it.
    """

    def __init__(self, name=None, trainable=True, dtype=None, input_shape=None,
                 input_dim=None, **kwargs):
        if kwargs:
            raise TypeError(
                f"{type(self).__name__} got unexpected keyword argument(s) {sorted(kwargs)}."
            )
        if name is not None and not isinstance(name, str):
            raise ValueError(f"Argument `name` must be a string, got {validation.describe(name)}.")
        self.name = name or unique_name(snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self.dtype = None if dtype is None else np.dtype(dtype).name
        if input_dim is not None:
            input_shape = (validation.check_int("input_dim", input_dim, minimum=1),)
        self._declared_input_shape = None if input_shape is None else tuple(input_shape)
        self.built = False
        self.input_shape = None
        self.output_shape = None
        self.activation = None
        self._weights, self._weight_names, self._weight_trainable = [], [], []
        self._regularizers = []
        self._gradients = []
        self._input_gradient_needed = True
        self._owner = None  # weak reference to the model that holds this layer
        self._vjp = None
        self._cache = None
        self.logits = None

    def clear_cache(self):
        """Drop what the last forward pass kept for back-propagation (frees the batch)."""
        self._cache = None
        self._vjp = None
        self.logits = None

    # ---------------------------------------------------------------- building
    def build(self, input_shape):
        """Create the weights with :meth:`add_weight`; ``input_shape`` includes the batch axis."""

    def add_weight(self, shape, initializer="glorot_uniform", regularizer=None,
                   trainable=True, name=None):
        """Create, register and return a weight array.

        Store the result as an attribute (``self.w = self.add_weight(...)``): the autograd
        path substitutes traced values through that attribute.
        """
        shape = tuple(validation.check_int("shape", int(s), minimum=0) for s in shape)
        value = initializers.get(initializer)(shape, dtype=self.dtype or config.floatx())
        self._weights.append(np.asarray(value))
        self._weight_names.append(name or f"weight_{len(self._weights) - 1}")
        self._weight_trainable.append(bool(trainable))
        self._regularizers.append(regularizers.get(regularizer))
        return self._weights[-1]

    def build_for(self, input_shape):
        """Build for ``input_shape`` (batch axis first) and record the shapes."""
        input_shape = (None,) + tuple(input_shape[1:])
        if self.built:
            self.check_input_shape(input_shape, "input_shape")
        else:
            self.build(input_shape)
            self.built = True
            self._gradients = [np.zeros_like(w) for w in self._weights]
        self.input_shape = input_shape
        self.output_shape = tuple(self.compute_output_shape(input_shape))
        return self.output_shape

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape``; the default runs ``call`` on one zero sample."""
        probe = np.zeros((1,) + tuple(input_shape[1:]), dtype=self.dtype or config.floatx())
        return (None,) + np.shape(self._call(probe, False))[1:]

    # ---------------------------------------------------------------- calling
    def call(self, inputs, training=False):
        """The forward computation; subclasses implement it with ``minikeras.ops``."""
        raise NotImplementedError(f"Layer {type(self).__name__} must implement call(inputs).")

    def __call__(self, inputs, training=False):
        """Build on first use, check the input's feature shape, and run :meth:`call`."""
        inputs = validation.check_array("inputs", inputs, dtype=self.dtype or inputs_dtype(inputs),
                                        min_ndim=2, allow_nonfinite=True)
        if not self.built:
            self.build_for(inputs.shape)
        else:
            self.check_input_shape(inputs.shape)
        return self._call(inputs, training)

    def check_input_shape(self, shape, argument="inputs"):
        """Raise ValueError if a batch of ``shape`` does not fit the built input shape."""
        expected = self.input_shape
        if expected is not None and tuple(shape[1:]) != tuple(expected[1:]):
            raise ValueError(
                f"Argument `{argument}` of shape {tuple(shape)} does not fit layer "
                f"{self.name!r}, which expects inputs of shape {expected} (per sample "
                f"{tuple(expected[1:])}, got {tuple(shape[1:])})."
            )

    def _call(self, inputs, training):
        if _call_takes_training(type(self)):
            return self.call(inputs, training=training)
        return self.call(inputs)

    # ---------------------------------------------------------------- training
    def forward(self, inputs, training=True):
        """Forward pass that remembers what :meth:`backward` needs."""
        if has_own_backward(type(self)):
            return self._call(inputs, training)

        def traced(args):
            x, weights = args
            with self.bound_weights(weights):
                return self._call(x, training)

        self._vjp, outputs = make_vjp(traced)((inputs, list(self._weights)))
        return outputs

    def backward(self, grad_output):
        """Return ``dL/dinputs`` and fill ``self.gradients``; here, by autograd.

        Built-in layers override this with hand-written back-propagation.
        """
        return self._autograd_backward(grad_output)

    def backpropagate(self, grad_output):
        """The backward pass matching :meth:`forward`: the layer's own ``backward`` if it
        has one for its ``call`` (see :func:`has_own_backward`), else autograd's."""
        if has_own_backward(type(self)):
            return self.backward(grad_output)
        return self._autograd_backward(grad_output)

    def _autograd_backward(self, grad_output):
        grad_inputs, grad_weights = self._vjp(grad_output)
        if self.trainable:
            for buffer, g in zip(self._gradients, grad_weights):
                buffer[...] = g
        return grad_inputs

    @contextlib.contextmanager
    def bound_weights(self, values):
        """Temporarily replace the weight attributes by ``values`` (autograd tracing)."""
        names = self._weight_attributes()
        saved = [getattr(self, n) for n in names]
        try:
            for n, v in zip(names, values):
                setattr(self, n, v)
            yield
        finally:
            for n, v in zip(names, saved):
                setattr(self, n, v)

    def _weight_attributes(self):
        attributes = {id(v): k for k, v in vars(self).items() if isinstance(v, np.ndarray)}
        names = []
        for w, wname in zip(self._weights, self._weight_names):
            if id(w) not in attributes:
                raise ValueError(
                    f"Layer {self.name!r} keeps weight {wname!r} somewhere other than an "
                    "attribute; store the result of add_weight as `self.<name> = ...` so "
                    "that autograd can differentiate through it."
                )
            names.append(attributes[id(w)])
        return names

    def can_move_weights(self):
        """True if every weight is held by an attribute, so that it can be re-homed."""
        try:
            self._weight_attributes()
        except ValueError:
            return False
        return True

    def trainable_indices(self):
        """Positions in :attr:`weights` of the trainable weights."""
        return [i for i, t in enumerate(self._weight_trainable) if t] if self.trainable else []

    def move_weight(self, index, storage, gradient_storage):
        """Copy weight ``index`` into ``storage`` and use that array from now on.

        The model calls this to gather all weights into one buffer (see
        ``minikeras.models.flat_weights``); ``gradient_storage`` becomes its gradient array.
        """
        name = self._weight_attributes()[index]
        storage[...] = self._weights[index]
        self._weights[index] = storage
        setattr(self, name, storage)
        self._gradients[index] = gradient_storage

    # ---------------------------------------------------------------- weights
    @property
    def trainable(self):
        """False freezes every weight of the layer (a model notices at its next step)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        global _trainable_generation
        if bool(value) != self._trainable:
            self._trainable = bool(value)
            _trainable_generation += 1

    @property
    def gradients(self):
        """One gradient array per weight, aligned with :attr:`weights`.

        A hand-written ``backward`` writes into these arrays (``np.matmul(..., out=g)`` or
        ``g[...] = ...``); the list itself cannot be replaced, because the model keeps the
        arrays as views of one buffer that the optimizer reads.
        """
        return tuple(self._gradients)

    @gradients.setter
    def gradients(self, value):
        raise AttributeError(
            f"Layer {self.name!r}: assign into the gradient arrays (self.gradients[i][...] = g) "
            "instead of replacing the list; the optimizer reads those arrays."
        )

    @property
    def weights(self):
        """All weight arrays (trainable and not), in creation order."""
        return list(self._weights)

    @property
    def trainable_weights(self):
        """Weights the optimizer updates: none if the layer is frozen."""
        if not self.trainable:
            return []
        return [w for w, t in zip(self._weights, self._weight_trainable) if t]

    @property
    def non_trainable_weights(self):
        """Weights the optimizer leaves alone."""
        return [w for w in self._weights if not any(w is t for t in self.trainable_weights)]

    def trainable_items(self):
        """``(weight, gradient, regularizer, name)`` for every trainable weight."""
        if not self.trainable:
            return []
        return [
            (w, g, r, f"{self.name}/{n}")
            for w, g, r, n, t in zip(self._weights, self._gradients, self._regularizers,
                                     self._weight_names, self._weight_trainable)
            if t
        ]

    def get_weights(self):
        """Copies of the weights as numpy arrays."""
        return [w.copy() for w in self._weights]

    def set_weights(self, weights):
        """Copy ``weights`` into the layer's arrays, after checking count and shapes."""
        weights = list(weights)
        if len(weights) != len(self._weights):
            raise ValueError(
                f"Layer {self.name!r} expects {len(self._weights)} weight arrays "
                f"({self._weight_names}), got {len(weights)}."
            )
        arrays = [np.asarray(v) for v in weights]
        for current, new, wname in zip(self._weights, arrays, self._weight_names):
            if current.shape != new.shape:
                raise ValueError(
                    f"Weight {self.name}/{wname} has shape {current.shape}, "
                    f"got an array of shape {new.shape}."
                )
        for current, new in zip(self._weights, arrays):
            current[...] = new

    def count_params(self):
        """Number of scalars in all weights."""
        return int(sum(w.size for w in self._weights))

    def get_config(self):
        config = {k: v for k, v in super().get_config().items() if k not in _BASE_ARGUMENTS}
        config.update(name=self.name, trainable=self.trainable, dtype=self.dtype)
        if self._declared_input_shape is not None:
            config["input_shape"] = list(self._declared_input_shape)
        return config

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}, built={self.built}>"


# Constructor arguments every layer shares; get_config writes them from the declared values
# (a built layer's ``input_shape`` attribute is its runtime shape, batch axis included).
_BASE_ARGUMENTS = ("name", "trainable", "dtype", "input_shape", "input_dim")

# Bumped whenever any layer's ``trainable`` changes, so that a model can notice cheaply.
_trainable_generation = 0


def trainable_generation():
    """A counter that changes whenever some layer is frozen or unfrozen."""
    return _trainable_generation


_training_cache = {}


def _call_takes_training(cls):
    if cls not in _training_cache:
        params = inspect.signature(cls.call).parameters
        _training_cache[cls] = "training" in params or any(
            p.kind == p.VAR_KEYWORD for p in params.values())
    return _training_cache[cls]


@functools.lru_cache(maxsize=None)
def has_own_backward(cls):
    """True if ``cls`` back-propagates by hand: its ``backward`` is defined no higher in
    the class hierarchy than its ``call``.

    A subclass of ``Dense`` that overrides only ``call`` inherits a ``backward`` written for
    another ``call``, so it is differentiated by autograd instead.
    """
    backward, call = _defining_class(cls, "backward"), _defining_class(cls, "call")
    return backward is not Layer and issubclass(backward, call)


@functools.lru_cache(maxsize=None)
def can_fuse_output(cls):
    """True if ``cls`` has the fused-output methods (``forward_logits``,
    ``backward_from_logits``) written for its own ``call`` and ``backward``."""
    if not (hasattr(cls, "forward_logits") and hasattr(cls, "backward_from_logits")):
        return False
    own = [_defining_class(cls, m) for m in ("forward_logits", "backward_from_logits")]
    return has_own_backward(cls) and all(
        issubclass(o, _defining_class(cls, m)) for o in own for m in ("call", "backward"))


def _defining_class(cls, name):
    return next(klass for klass in cls.__mro__ if name in vars(klass))


_registry = Registry("layer", Layer)
get, register, serialize = _registry.get, _registry.register, _registry.serialize
