"""The ``Layer`` base class: weights as tracked variables, building, forward and backward.

A layer's weights are :class:`~minikeras.variables.Variable` objects created by
``add_weight`` and assigned to attributes (``self.kernel = self.add_weight(...)``); the
layer records which attribute holds which variable as it is assigned.

Three calls, three meanings:

* ``call(inputs, training=False)`` computes the outputs and nothing else. ``training``
  chooses the behaviour (dropout active, batch statistics); a layer may ``assign`` its
  non-trainable state while training (moving statistics), which dry runs suppress with
  :func:`minikeras.variables.no_state_updates`.
* ``forward(inputs, training=True)`` is ``call`` while remembering what ``backward`` needs
  (``self.recording`` is True meanwhile); only a training step uses it.
* ``backward(grad_output)`` returns ``dL/dinputs`` and writes each trainable weight's
  gradient into ``weight.grad``. Built-in layers write it by hand; a layer that writes
  only ``build`` and ``call`` gets it from autograd, which differentiates ``call`` with
  the weight attributes temporarily holding traced values.
"""

import contextlib
import copy
import functools
import inspect
import itertools

import numpy as np
from autograd import make_vjp

from .. import config, initializers, regularizers, validation
from ..ops import is_traced
from ..hierarchy import defined_below, defining_class
from ..registry import Configurable, Registry, snake_case
from ..variables import Variable, check_planned, no_state_updates

__all__ = ["Layer", "get", "register", "serialize", "has_own_backward", "unique_name"]

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
    alone is differentiated by autograd (see :attr:`backward_follows`). A hand-written
    ``backward`` reads what ``call`` kept while ``self.recording`` was True.
    """

    #: The methods whose computation the class's hand-written ``backward`` differentiates:
    #: a subclass overriding one of them (and not ``backward``) is differentiated by
    #: autograd. A layer whose ``call`` delegates to other methods it means subclasses to
    #: override lists them too (``Dense`` adds ``"logits"``).
    backward_follows = ("call",)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "build" in vars(cls):
            cls.build = _marks_built(vars(cls)["build"])

    def __init__(self, name=None, trainable=True, dtype=None, input_shape=None,
                 input_dim=None, **kwargs):
        object.__setattr__(self, "_variables", [])  # this layer's own, in creation order
        object.__setattr__(self, "_tracked", {})  # attribute name -> Variable
        if kwargs:
            raise TypeError(
                f"{type(self).__name__} got unexpected keyword argument(s) {sorted(kwargs)}."
            )
        if name is not None and not isinstance(name, str):
            raise ValueError(f"Argument `name` must be a string, got {validation.describe(name)}.")
        self.name = name or unique_name(snake_case(type(self).__name__))
        self._trainable = validation.check_bool("trainable", trainable)
        self.dtype = None if dtype is None else _float_dtype(dtype)
        if input_dim is not None:
            input_shape = (validation.check_int("input_dim", input_dim, minimum=1),)
        self._declared_input_shape = None if input_shape is None else tuple(input_shape)
        self.built = False
        self.input_shape = None
        self.output_shape = None
        self._owner = None  # the model this layer belongs to
        self._parent = None  # (layer, attribute) holding this layer, if any
        self.recording = False  # True while forward() runs call for a training step
        self.input_gradient_needed = True  # False for a model's first layer: skip dL/dinputs
        self._cache = None  # what a hand-written backward needs from the last forward
        self._vjp = None  # autograd's backward for the last forward

    def __setattr__(self, name, value):
        tracked = self.__dict__.get("_tracked")
        if tracked is not None:
            if isinstance(value, Variable):
                tracked[name] = value
                if not hasattr(value, "created_trainable"):  # made outside add_weight
                    value.path = f"{self.weight_path_prefix()}/{value.name}"
                    self._adopt(value)
            else:
                tracked.pop(name, None)
                if name not in _INTERNAL:
                    held = _held_layers(name, value)
                    for place, layer in held:  # named now: it may build before it is found
                        self._claim(layer, place, isinstance(value, Layer))
                    if held or _held_layers(name, self.__dict__.get(name)):
                        self._forget_sublayers()
        object.__setattr__(self, name, value)

    def _forget_sublayers(self):
        """Let :attr:`_sublayers` read the attributes again when next asked."""
        self.__dict__["_sublayer_cache"] = None

    def _claim(self, layer, place, direct):
        """Make ``layer`` a sublayer at ``place`` (its weight paths start there) and return
        True, unless it is this layer or an ancestor, a layer of a model, or a layer another
        layer holds. An unbuilt layer in a container follows its place (a list may change
        before the layer is built)."""
        if _is_ancestor(layer, self) or layer._owner is not None:
            return False
        parent = layer._parent
        if parent is not None and parent[0] is not self:
            if parent[0]._holds(layer):
                return False  # another layer's
            parent[0]._forget_sublayers()  # it let the layer go
            layer._parent = parent = None
        if direct:
            layer._parent = (self, place)
            return True
        if parent is None or (not layer.built and not layer._held_directly()):
            layer._parent = (self, place)
        return True

    def _held_directly(self):
        """True if this layer's parent holds it in the attribute its place names (not in a
        container): that place wins over any container."""
        parent, place = self._parent
        return parent.__dict__.get(place) is self

    def _holds(self, layer):
        """True if one of this layer's attributes holds ``layer``, directly or in a
        container."""
        return any(held is layer for held in self._referenced_layers())

    def _weights_in_containers(self):
        """The variables this layer keeps inside list, tuple or dict attributes (where
        autograd cannot reach them)."""
        return [held for name, value in self.__dict__.items()
                if name not in _INTERNAL and not isinstance(value, Variable)
                for _, held in _held(name, value, Variable)]

    def _referenced_layers(self):
        """Every layer this layer's attributes hold, directly or in containers, whether
        they are its sublayers or not (a model's layer it uses: tied weights)."""
        return [held for name, value in self.__dict__.items() if name not in _INTERNAL
                for _, held in _held_layers(name, value)]

    def _root(self):
        """The outermost layer holding this one (this layer if none does)."""
        layer = self
        while layer._parent is not None:
            layer = layer._parent[0]
        return layer

    def _leave_holder(self):
        """Stop being another layer's sublayer (a model is taking this layer: it stays the
        model's, tied weights included)."""
        if self._parent is not None:
            self._parent[0]._forget_sublayers()
            self._parent = None

    def __deepcopy__(self, memo):
        """A copy with copies of the weights and sublayers. Copied on its own, the layer
        belongs to no model and no holding layer (it can join a new model); copied with its
        model or holder (``copy.deepcopy(model)``), it belongs to their copies.

        Parameters
        ----------
        memo : dict
            ``copy.deepcopy``'s record of the objects copied so far.
        """
        cls = type(self)
        duplicate = cls.__new__(cls)
        memo[id(self)] = duplicate
        for name, value in self.__dict__.items():
            link = value[0] if name == "_parent" and value is not None else value
            if name in ("_owner", "_parent") and link is not None and id(link) not in memo:
                value = None  # the model or holder stays behind
            duplicate.__dict__[name] = copy.deepcopy(value, memo)
        return duplicate

    def __delattr__(self, name):
        if name not in _INTERNAL and _held_layers(name, self.__dict__.get(name)):
            self._forget_sublayers()
        object.__delattr__(self, name)

    @property
    def _sublayers(self):
        """The layers this layer holds, in attribute order: assigned to an attribute, or
        kept in a list, tuple or dict attribute, as Keras tracks them. The containers are
        read when such an attribute is assigned and when the layer is built (so layers
        appended before then count); a layer already held by another layer or by a model,
        and the layer's own ancestors, are not taken over."""
        held = self.__dict__.get("_sublayer_cache")
        if held is None:
            held = self.__dict__["_sublayer_cache"] = self._find_sublayers()
        return held

    def _flatten_layers(self):
        """This layer and every layer it holds, at any depth, each once."""
        seen, pending = [], [self]
        while pending:
            layer = pending.pop(0)
            if not any(layer is s for s in seen):
                seen.append(layer)
                pending.extend(layer._sublayers)
        return seen

    def _find_sublayers(self):
        found = []
        for name, value in list(self.__dict__.items()):
            if name in _INTERNAL:
                continue
            for place, layer in _held_layers(name, value):
                if any(layer is f for f in found):
                    continue
                if self._claim(layer, place, direct=isinstance(value, Layer)):
                    found.append(layer)
        return found

    def weight_path_prefix(self):
        """What this layer's weight paths start with: its name, or, for a layer held by
        another layer's attribute, ``"<parent prefix>/<attribute>"`` (the same in every
        session, unlike names numbered per process)."""
        if self._parent is None:
            return self.name
        parent, attribute = self._parent
        return f"{parent.weight_path_prefix()}/{attribute}"

    def _adopt(self, variable):
        if any(v.name == variable.name for v in self._variables):
            raise ValueError(
                f"Layer {self.name!r} already has a weight named {variable.name!r}; weight "
                "names in a layer must be unique (give `name=` to add_weight)."
            )
        if not hasattr(variable, "created_trainable"):
            variable.created_trainable = variable.trainable
        self._variables.append(variable)

    def clear_cache(self):
        """Drop what the last forward pass kept for back-propagation (frees the batch)."""
        self._cache = None
        self._vjp = None
        for layer in self._sublayers:
            layer.clear_cache()

    # ---------------------------------------------------------------- building
    def build(self, input_shape):
        """Create the weights with :meth:`add_weight`; ``input_shape`` includes the batch axis.

        Parameters
        ----------
        input_shape : tuple
            The shape of the inputs, batch axis first: ``(None, 4)`` for samples of 4
            features when a model builds the layer (:meth:`build_for`). Called directly,
            ``build`` may be given any batch size; the layer records None.
        """

    def add_weight(self, shape=(), initializer="glorot_uniform", regularizer=None,
                   trainable=True, name=None, dtype=None):
        """Create and return a weight :class:`~minikeras.variables.Variable`.

        Store the result as an attribute (``self.w = self.add_weight(...)``): the autograd
        path differentiates through that attribute.

        Parameters
        ----------
        shape : tuple of int
        initializer : str, Initializer or function ``f(shape, dtype=None)``
            None means "glorot_uniform", as in Keras.
        regularizer : str, Regularizer or function of the weight, optional
        trainable : bool
        name : str, optional
            Defaults to ``"weight_<i>"``; the variable's path is ``"<layer>/<name>"``.
        dtype : str, optional
            Defaults to the layer's dtype, else :func:`minikeras.config.floatx`.
        """
        shape = tuple(validation.check_int("shape", int(s), minimum=0) for s in shape)
        dtype = dtype or self.dtype or config.floatx()
        name = name or f"weight_{len(self._variables)}"
        path = f"{self.weight_path_prefix()}/{name}"
        if check_planned(path, shape, dtype):  # loading: the values come from the file
            value = np.zeros(shape, dtype=dtype)
        else:
            value = initializers.get("glorot_uniform" if initializer is None
                                     else initializer)(shape, dtype=dtype)
        variable = Variable(value, name=name,
                            trainable=trainable and self._trainable, dtype=dtype,
                            regularizer=regularizers.get(regularizer),
                            path=path)
        variable.created_trainable = bool(trainable)
        self._adopt(variable)
        return variable

    def build_for(self, input_shape):
        """Build for ``input_shape`` (batch axis first) and record the shapes.

        Parameters
        ----------
        input_shape : tuple
            The shape of a batch, batch axis first (its size is recorded as None). A built
            layer only checks that it fits.

        Returns
        -------
        tuple
            The output shape, batch axis first.
        """
        input_shape = (None,) + tuple(input_shape[1:])
        if self.built:
            self.check_input_shape(input_shape, "input_shape")
        else:
            self._forget_sublayers()  # read the containers as __init__ left them
            self._sublayers
            self.build(input_shape)
            self.built = True
            self._forget_sublayers()  # and as build left them
            if any(not layer.built for layer in self._sublayers):  # they build on first call
                self._probe(input_shape)
        self.input_shape = input_shape
        self.output_shape = tuple(self.compute_output_shape(input_shape))
        return self.output_shape

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape``; the default runs ``call`` on one zero sample.

        Parameters
        ----------
        input_shape : tuple
            The shape of the inputs, batch axis first (None).

        Returns
        -------
        tuple
            The shape of the outputs, batch axis first.
        """
        return (None,) + np.shape(self._probe(input_shape))[1:]

    def _probe(self, input_shape):
        """``call`` on one zero sample, as a dry run: no assignment takes effect."""
        probe = np.zeros((1,) + tuple(input_shape[1:]), dtype=self.dtype or config.floatx())
        with no_state_updates():
            return self.call_with(probe, False)

    # ---------------------------------------------------------------- calling
    def call(self, inputs, training=False):
        """The forward computation; subclasses implement it with ``minikeras.ops``.

        Parameters
        ----------
        inputs : numpy.ndarray
            A batch, batch axis first, of the layer's dtype (an autograd box while autograd
            traces the layer).
        training : bool, default False
            True in ``fit``'s training steps (dropout and noise active, batch statistics
            used), False for inference. A ``call`` may leave it out of its signature.

        Returns
        -------
        array
            The outputs for the batch.
        """
        raise NotImplementedError(f"Layer {type(self).__name__} must implement call(inputs).")

    def __call__(self, inputs, training=False):
        """Build on first use, check the input's feature shape, and run :meth:`call`.

        Inside another layer's ``call`` traced by autograd, the inputs pass unconverted.
        """
        if isinstance(inputs, Layer):
            raise ValueError(
                f"Layer {self.name!r} was called on the layer {inputs.name!r}: minikeras has no "
                "functional API. Stack layers in a Sequential instead: "
                "Sequential([Input((4,)), Dense(8), ...])."
            )
        if not is_traced(inputs):
            inputs = validation.check_array("inputs", inputs,
                                            dtype=self.dtype or inputs_dtype(inputs),
                                            min_ndim=2, allow_nonfinite=True)
        if not self.built:
            self.build_for(inputs.shape)
        else:
            self.check_input_shape(inputs.shape)
        return self.call_with(inputs, training)

    def check_input_shape(self, shape, argument="inputs"):
        """Raise ValueError if a batch of ``shape`` does not fit the built input shape.

        Parameters
        ----------
        shape : tuple
            The shape of a batch, batch axis first (the batch size is not compared).
        argument : str, default "inputs"
            The argument the error message names.
        """
        expected = self.input_shape
        if expected is not None and tuple(shape[1:]) != tuple(expected[1:]):
            raise ValueError(
                f"Argument `{argument}` of shape {tuple(shape)} does not fit layer "
                f"{self.name!r}, which expects inputs of shape {expected} (per sample "
                f"{tuple(expected[1:])}, got {tuple(shape[1:])})."
            )

    def call_with(self, inputs, training):
        """``call(inputs, training=training)``, or ``call(inputs)`` if it takes no ``training``.

        Parameters
        ----------
        inputs : array
            A batch, as :meth:`call` takes it.
        training : bool
            Training mode, passed on only if ``call`` takes it (or ``**kwargs``).
        """
        if _call_takes_training(type(self)):
            return self.call(inputs, training=training)
        return self.call(inputs)

    # ---------------------------------------------------------------- training
    def forward(self, inputs, training=True):
        """Training forward pass: :meth:`call`, remembering what :meth:`backward` needs.

        Parameters
        ----------
        inputs : numpy.ndarray
            A batch of the layer's dtype, batch axis first.
        training : bool, default True
            Passed on to :meth:`call`.

        Returns
        -------
        numpy.ndarray
            The outputs, as :meth:`call` computes them.
        """
        if not has_own_backward(type(self)):
            return self._forward_by_autograd(inputs, training)
        # object.__setattr__: a flag is never a variable, and this runs every step
        object.__setattr__(self, "recording", True)
        try:
            return self.call_with(inputs, training)
        finally:
            object.__setattr__(self, "recording", False)

    def backward(self, grad_output):
        """Return ``dL/dinputs`` and write each trainable weight's ``grad``; here, by autograd.

        Built-in layers override this with hand-written back-propagation.

        Parameters
        ----------
        grad_output : numpy.ndarray
            ``dL/doutputs`` for the batch of the last :meth:`forward`, of the outputs'
            shape.

        Returns
        -------
        numpy.ndarray or None
            ``dL/dinputs``, of the inputs' shape; a hand-written ``backward`` may return
            None when :attr:`input_gradient_needed` is False (the model's first layer).
        """
        return self._backward_by_autograd(grad_output)

    def training_pass(self):
        """``(forward, backward)``: the methods one training step calls, resolved once per
        class. A subclass's own ``forward`` (a faster path) is used only if it is written
        for its ``call``; otherwise :meth:`Layer.forward`, which runs ``call`` while
        :attr:`recording` (or autograd, for a layer without its own ``backward``)."""
        cls = type(self)
        if not has_own_backward(cls):
            return functools.partial(Layer.forward, self), self._backward_by_autograd
        forward = (self.forward if defined_below(cls, "forward", "call")
                   else functools.partial(Layer.forward, self))
        return forward, self.backward

    def _forward_by_autograd(self, inputs, training):
        trainable = self.trainable_weights

        def traced(args):
            x, values = args
            with self.substituted(dict(zip(trainable, values))):
                return self.call_with(x, training)

        self._vjp, outputs = make_vjp(traced)((inputs, [v.value for v in trainable]))
        return outputs

    def _backward_by_autograd(self, grad_output):
        grad_inputs, grad_weights = self._vjp(grad_output)
        self._vjp = None  # a closure: keeping it would make the layer unpicklable
        for variable, g in zip(self.trainable_weights, grad_weights):
            variable.grad[...] = g
        return grad_inputs

    @contextlib.contextmanager
    def substituted(self, values):
        """Let the attributes holding the variables in ``values`` hold ``values[variable]``
        for the duration (the others keep their variables): how autograd traces ``call``.

        Parameters
        ----------
        values : dict
            ``{Variable: value}``: the value (an array or autograd box) each variable's
            attribute holds meanwhile; the layers this layer holds substitute theirs too.

        Raises
        ------
        ValueError
            If a weight in ``values`` is kept somewhere other than an attribute.
        """
        untracked = [v.path for v in self._variables if v in values
                     and not any(v is t for t in self._tracked.values())]
        if untracked:
            raise ValueError(
                f"Layer {self.name!r} keeps weight(s) {untracked} somewhere other than an "
                "attribute; store the result of add_weight as `self.<name> = ...` so that "
                "autograd can differentiate through it."
            )
        replaced = {a: v for a, v in self._tracked.items() if v in values}
        try:
            for attribute, variable in replaced.items():
                object.__setattr__(self, attribute, values[variable])
            with contextlib.ExitStack() as stack:
                for layer in self._sublayers:
                    stack.enter_context(layer.substituted(values))
                yield
        finally:
            for attribute, variable in replaced.items():
                object.__setattr__(self, attribute, variable)

    # ---------------------------------------------------------------- weights
    @property
    def trainable(self):
        """False freezes every weight of the layer (a model notices at its next step)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for variable in self._variables:
            if variable.created_trainable:
                variable.trainable = self._trainable
        for layer in self._sublayers:
            layer.trainable = value

    @property
    def weights(self):
        """All weight variables (trainable and not): the layer's own in creation order,
        then those of the layers assigned to its attributes."""
        weights = list(self._variables)
        for layer in self._sublayers:
            weights += [w for w in layer.weights if not any(w is v for v in weights)]
        return weights

    @property
    def trainable_weights(self):
        """The variables an optimizer updates: none if the layer is frozen."""
        if not self._trainable:
            return []
        own = [v for v in self._variables if v.trainable]
        return own + [w for layer in self._sublayers for w in layer.trainable_weights
                      if not any(w is v for v in own)]

    @property
    def non_trainable_weights(self):
        """The variables an optimizer leaves alone."""
        trainable = self.trainable_weights
        return [w for w in self.weights if not any(w is t for t in trainable)]

    # Keras 3's other spellings of the three lists
    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    @property
    def gradients(self):
        """The weights' gradient arrays, aligned with :attr:`weights`.

        A hand-written ``backward`` writes into them (``np.matmul(..., out=g)`` or
        ``g[...] = ...``, or through ``self.<weight>.grad``); the list itself cannot be
        replaced.
        """
        return tuple(v.grad for v in self.weights)

    @gradients.setter
    def gradients(self, value):
        raise AttributeError(
            f"Layer {self.name!r}: assign into the gradient arrays (self.gradients[i][...] = g) "
            "instead of replacing the list; the optimizer reads those arrays."
        )

    def get_weights(self):
        """Copies of the weights as numpy arrays."""
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights):
        """Copy ``weights`` into the layer's variables, after checking count and shapes.

        Parameters
        ----------
        weights : list of array-like
            One array per variable, in the order of :attr:`weights` (as
            :meth:`get_weights` returns them), each of that variable's shape.
        """
        weights, variables = list(weights), self.weights
        if len(weights) != len(variables):
            raise ValueError(
                f"Layer {self.name!r} expects {len(variables)} weight arrays "
                f"({[v.name for v in variables]}), got {len(weights)}."
            )
        arrays = [np.asarray(w) for w in weights]
        for variable, new in zip(variables, arrays):
            if variable.shape != new.shape:
                raise ValueError(
                    f"Weight {variable.path} has shape {variable.shape}, "
                    f"got an array of shape {new.shape}."
                )
        for variable, new in zip(variables, arrays):
            variable.value[...] = new

    def count_params(self):
        """Number of scalars in all weights."""
        return int(sum(v.size for v in self.weights))

    def get_config(self):
        config = {k: v for k, v in super().get_config().items() if k not in _BASE_ARGUMENTS}
        weights = self.weights
        dtype = self.dtype or (weights[0].dtype.name if weights else None)
        config.update(name=self.name, trainable=self.trainable, dtype=dtype)
        if self._declared_input_shape is not None:
            config["input_shape"] = list(self._declared_input_shape)
        return config

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}, built={self.built}>"


# Constructor arguments every layer shares; get_config writes them from the declared values
# (a built layer's ``input_shape`` attribute is its runtime shape, batch axis included).
_BASE_ARGUMENTS = ("name", "trainable", "dtype", "input_shape", "input_dim")

# Attributes that never hold sublayers: back-references, bookkeeping and per-step state.
_INTERNAL = frozenset({"_parent", "_owner", "_tracked", "_variables", "_sublayer_cache",
                       "_cache", "_vjp", "_constructor_arguments", "_build_depth"})


def _is_ancestor(layer, of):
    """True if ``layer`` is ``of`` or holds it, directly or through other layers."""
    while of is not None:
        if of is layer:
            return True
        of = of._parent[0] if of._parent is not None else None
    return False


def _held_layers(name, value):
    """``(place, layer)`` for the layers an attribute ``name`` holds: the value itself, or
    the items of a list, tuple or dict, nested or not (``place`` is ``"<name>_<index or
    key>"``, ``"grid_0_1"`` for ``grid[0][1]``)."""
    return _held(name, value, Layer)


def _held(name, value, kind, _seen=None):
    """``(place, object)`` for the objects of class ``kind`` an attribute holds (see
    :func:`_held_layers`)."""
    if isinstance(value, kind):
        return [(name, value)]
    if isinstance(value, (list, tuple)):
        items = enumerate(value)
    elif isinstance(value, dict):
        items = value.items()
    else:
        return []
    seen = _seen if _seen is not None else set()
    if id(value) in seen:  # a container holding itself
        return []
    seen.add(id(value))
    return [held for key, item in items if isinstance(item, (kind, list, tuple, dict))
            for held in _held(f"{name}_{key}", item, kind, seen)]

_training_cache = {}


def _float_dtype(dtype):
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = None
    if name not in ("float16", "float32", "float64"):
        raise ValueError(f"Argument `dtype` must be a float type such as 'float32', got "
                         f"{validation.describe(dtype)}.")
    return name


def _call_takes_training(cls):
    if cls not in _training_cache:
        params = inspect.signature(cls.call).parameters
        _training_cache[cls] = "training" in params or any(
            p.kind == p.VAR_KEYWORD for p in params.values())
    return _training_cache[cls]


@functools.lru_cache(maxsize=None)
def has_own_backward(cls):
    """True if ``cls`` back-propagates by hand: its ``backward`` is defined no higher in
    the class hierarchy than its ``call`` (and the other methods named in its
    ``backward_follows``).

    A subclass of ``Dense`` that overrides only ``call`` (or ``logits``) inherits a
    ``backward`` written for another computation, so it is differentiated by autograd
    instead.
    """
    return (defined_below(cls, "backward", *cls.backward_follows)
            and defining_class(cls, "backward") is not Layer)


def _marks_built(build):
    """``build`` that leaves the layer built, as Keras 3's does: a user may call
    ``layer.build(shape)`` directly and then use the layer (a shape given with the batch
    axis first is recorded and checked at each call). Only the outermost ``build`` of a
    ``super().build(...)`` chain marks the layer, and only if it returns."""
    if getattr(build, "marks_built", False):
        return build

    @functools.wraps(build)
    def build_and_mark(self, *args, **kwargs):
        depth = self.__dict__.get("_build_depth", 0)
        self.__dict__["_build_depth"] = depth + 1
        try:
            result = build(self, *args, **kwargs)
        finally:
            self.__dict__["_build_depth"] = depth
        if depth == 0 and not self.built:
            self.built = True
            shape = args[0] if args else next(iter(kwargs.values()), None)
            if isinstance(shape, (tuple, list)) and shape:
                self.input_shape = (None,) + tuple(shape[1:])
        return result

    build_and_mark.marks_built = True
    return build_and_mark


Layer.build = _marks_built(Layer.build)
_registry = Registry("layer", Layer)
get, register, serialize = _registry.get, _registry.register, _registry.serialize
