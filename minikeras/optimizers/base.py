"""The ``Optimizer`` base class: state per variable, clipping, schedules, the step counter.

A concrete optimizer names its per-variable state in ``slot_names()`` and writes
``update_step(gradient, value, learning_rate, slots, scratch)``, which updates ``value``
in place from arrays: ``slots`` are its state arrays for that value, ``scratch`` two
preallocated arrays of the same shape, so that a step allocates nothing.

Decoupled weight decay (``weight_decay``) is the base's, as in Keras 3: before the update,
every variable not excluded by :meth:`Optimizer.exclude_from_weight_decay` shrinks by
``w * weight_decay * learning_rate``.

State is explicit: ``build(variables)`` creates each variable's slots (``Variable``
objects named after it, such as ``"dense_kernel_momentum"``) in the order given;
``optimizer.variables`` lists them as Keras does (all first slots, then all second
slots, ...). An optimizer whose ``update_step`` treats every entry on its own
(``elementwise = True``) keeps the variables it trains and their slots in flat buffers
(see :mod:`minikeras.optimizers.packing`) and updates whole runs of them at once.
"""

import operator
import re

import numpy as np

from .. import validation
from ..registry import Configurable, Registry
from ..variables import Variable
from . import packing, schedules
from .schedules import LearningRateSchedule

__all__ = ["Optimizer", "get", "register", "serialize"]


class Optimizer(Configurable):
    """Base class of optimizers.

    Parameters
    ----------
    learning_rate : float, LearningRateSchedule or callable
    clipnorm : float, optional
        Rescale each gradient so that its L2 norm is at most this.
    clipvalue : float, optional
        Clip each gradient entry to ``[-clipvalue, clipvalue]``.
    global_clipnorm : float, optional
        Rescale all gradients together so that their joint L2 norm is at most this.
    name : str, optional
    weight_decay : float >= 0, optional
        Decoupled weight decay, applied to each variable (in its dtype) before the update::

            w = w - w * weight_decay * learning_rate

        except to the variables excluded with :meth:`exclude_from_weight_decay`. ``None``
        (the default) applies none.
    """

    #: ``learning_rate`` reads as the current value: the config takes what was given.
    config_attributes = {"learning_rate": "_learning_rate"}

    #: True if ``update_step`` treats every entry independently, so that runs of packed
    #: variables may be updated by one call.
    elementwise = False

    #: True if ``fit`` without a ``batch_size`` should use the whole data set as one batch
    #: (plain gradient descent, ``"gd"``); otherwise it uses 32, as Keras.
    full_batch = False

    def __init__(self, learning_rate=0.001, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, weight_decay=None):
        self.learning_rate = learning_rate
        self.weight_decay = validation.check_float("weight_decay", weight_decay, low=0.0,
                                                   allow_none=True)
        self.clipnorm = validation.check_float("clipnorm", clipnorm, low=0.0, low_open=True,
                                               allow_none=True)
        self.clipvalue = validation.check_float("clipvalue", clipvalue, low=0.0,
                                                low_open=True, allow_none=True)
        self.global_clipnorm = validation.check_float("global_clipnorm", global_clipnorm,
                                                      low=0.0, low_open=True, allow_none=True)
        given = {k: v for k, v in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                                   ("global_clipnorm", global_clipnorm)) if v is not None}
        if len(given) > 1:
            raise ValueError(
                "Only one of the arguments `clipnorm`, `clipvalue` and `global_clipnorm` may be "
                f"set (as in Keras), got {given}."
            )
        self.name = name or type(self).__name__.lower()
        self.iterations = 0
        self._trained = []  # the variables this optimizer has state for, in build order
        self._slots = []  # self._slots[i]: the slot variables of self._trained[i]
        self._index = {}  # variable -> its position in self._trained
        self._packed = None  # {variable: (group, position)}, derived (see packing)
        self._groups = []  # the PackedGroups of self._packed
        self._plan = (None, None)  # (variables of the last step, their segments), derived
        self._no_decay = (frozenset(), ())  # (excluded variables, excluded name parts)
        self._decays = {}  # variable -> whether weight decay applies to it, derived

    # ---------------------------------------------------------------- learning rate
    @property
    def learning_rate(self):
        """The learning rate of the next step, a float, as in Keras: a float given, or a
        ``LearningRateSchedule`` evaluated at :attr:`iterations`, or a function of no
        arguments, called. The schedule or function itself is
        :attr:`learning_rate_schedule`.

        Setting it takes a float, a schedule or a function; a float cannot replace a
        schedule or function (``TypeError``, as in Keras).
        """
        return self.current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, value):
        if not callable(value):
            value = validation.check_float("learning_rate", value, low=0.0)
            if callable(getattr(self, "_learning_rate", None)):
                raise TypeError(
                    f"This optimizer's learning rate is a schedule or function "
                    f"({self._learning_rate!r}), so a float cannot be set; create the "
                    "optimizer with a float learning_rate to be able to set it."
                )
        self._learning_rate = value

    @property
    def learning_rate_schedule(self):
        """The ``LearningRateSchedule`` or function given as the learning rate, or None if
        it is a float."""
        return self._learning_rate if callable(self._learning_rate) else None

    def current_learning_rate(self):
        """The learning rate for the next step (a schedule is evaluated at ``iterations``)."""
        if isinstance(self._learning_rate, LearningRateSchedule):
            return float(self._learning_rate(self.iterations))
        if callable(self._learning_rate):
            return float(self._learning_rate())
        return self._learning_rate

    # ---------------------------------------------------------------- state
    def slot_names(self):
        """Names of the state this optimizer keeps per variable (none by default)."""
        return ()

    def initial_slot_value(self, slot_name, variable):
        """The starting value of one slot: zeros shaped like the variable.

        Parameters
        ----------
        slot_name : str
            One of :meth:`slot_names`.
        variable : Variable
            The variable the slot keeps state for.

        Returns
        -------
        numpy.ndarray
            Of the variable's shape and dtype.
        """
        return np.zeros(variable.shape, dtype=variable.dtype)

    def build(self, variables):
        """Create the slots of every variable in ``variables`` not seen before.

        The state is kept in the order of ``variables`` (weight order, when a model builds
        it); variables built earlier but not given now keep their place after them.

        Parameters
        ----------
        variables : list of Variable
            The variables to train, such as a model's ``trainable_weights``.

        Raises
        ------
        ValueError
            If one of them is not a ``Variable``.
        """
        variables = _check_variables(variables)
        new = [v for v in dict.fromkeys(variables) if v not in self._index]
        if not new:
            return
        for variable in new:
            prefix = variable.path.replace("/", "_")
            self._trained.append(variable)
            self._slots.append([
                Variable(self.initial_slot_value(name, variable), name=f"{prefix}_{name}",
                         trainable=False, dtype=variable.dtype,
                         path=f"{self.name}/{prefix}_{name}")
                for name in self.slot_names()])
        given = {v: i for i, v in enumerate(variables)}
        order = sorted(range(len(self._trained)),
                       key=lambda i: (given.get(self._trained[i], len(given)), i))
        self._trained = [self._trained[i] for i in order]
        self._slots = [self._slots[i] for i in order]
        self._index = {v: i for i, v in enumerate(self._trained)}
        self._packed = None

    @property
    def variables(self):
        """The state variables: every variable's first slot, then every second slot, ...
        (the order Keras lists them in)."""
        kinds = len(self.slot_names())
        return [slots[k] for k in range(kinds) for slots in self._slots]

    @property
    def built_variables(self):
        """The variables this optimizer keeps state for, in the order of its state."""
        return list(self._trained)

    def slots_for(self, variable):
        """The state variables kept for ``variable`` (empty before it was built).

        Parameters
        ----------
        variable : Variable
            A variable this optimizer trains.

        Returns
        -------
        list of Variable
            In the order of :meth:`slot_names`.
        """
        position = self._index.get(variable)
        return [] if position is None else list(self._slots[position])

    # ---------------------------------------------------------------- a step
    def apply_gradients(self, grads_and_vars):
        """Apply one step: ``grads_and_vars`` is a sequence of ``(gradient, Variable)``.

        Each variable's value is updated in place and its ``grad`` array holds the
        (clipped) gradient used; the iteration counter then advances. Variables seen for
        the first time are built first.

        Parameters
        ----------
        grads_and_vars : iterable of (array-like, Variable)
            Each variable with its gradient, of the variable's shape (the variable's own
            ``grad`` array may be given).

        Raises
        ------
        ValueError
            If a variable is not a ``Variable`` or a gradient does not match its shape.
        """
        pairs = list(grads_and_vars)
        variables = tuple(_check_variables([v for _, v in pairs]))
        for gradient, variable in pairs:  # every check before anything changes
            if gradient is not variable.grad and np.shape(gradient) != variable.shape:
                raise ValueError(
                    f"The gradient for {variable.path} has shape {np.shape(gradient)}, "
                    f"expected {variable.shape}."
                )
        segments = self._segments(variables)
        for gradient, variable in pairs:
            if gradient is not variable.grad:
                variable.grad[...] = gradient
        self._step(variables, segments)

    def update(self, variables, jit=False):
        """Apply one step from the gradients the variables hold (``variable.grad``, as
        back-propagation writes them); the training loop's form of :meth:`apply_gradients`.

        With ``jit=True`` the step runs this optimizer's :meth:`compiled_update_step` if it
        has one that can be had (the same numbers, fewer passes over memory), else
        :meth:`update_step`.

        Parameters
        ----------
        variables : sequence of Variable
            The variables to update, their ``grad`` arrays holding the gradients.
        jit : bool, default False
            Use the compiled step where there is one.
        """
        self._step(variables, self._segments(variables), jit)

    def _step(self, variables, segments, jit=False):
        update_step = (jit and self.compiled_update_step()) or self.update_step
        self._clip(variables)
        learning_rate = self.current_learning_rate()
        self.before_update(variables, learning_rate)
        for segment in segments:
            update_step(segment.grad, segment.value, learning_rate, segment.slots,
                        segment.scratch)
        self.iterations += 1

    def compiled_update_step(self):
        """A compiled function with :meth:`update_step`'s arguments and bit for bit its
        results, or None (the default: this optimizer has none, or not for its current
        settings). See :mod:`minikeras.optimizers.kernels`."""
        return None

    def before_update(self, variables, learning_rate):
        """Per-variable work before the (possibly packed) update: the weight decay.

        A subclass that overrides it calls ``super().before_update(...)`` first. Work done
        here happens once per step, whatever the packing, so it is also the place for state
        an optimizer keeps per step rather than per variable.

        Parameters
        ----------
        variables : sequence of Variable
            The variables this step updates.
        learning_rate : float
            The step's learning rate (a schedule already evaluated).
        """
        if self.weight_decay is None:
            return
        for variable in variables:
            if self._decays_weight(variable):
                real = variable.dtype.type
                value, product = variable.value, self._scratch_of(variable)
                # As Keras computes it: w - (w * weight_decay) * learning_rate, in w's dtype.
                np.multiply(value, real(self.weight_decay), out=product)
                product *= real(learning_rate)
                value -= product

    # ---------------------------------------------------------------- weight decay
    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exempt variables from the weight decay (replacing earlier exemptions, as in Keras).

        The exemptions are not part of the optimizer's config, as in Keras: a model loaded
        from a file, cloned, or handed to a scikit-learn wrapper as a template needs them
        set again.

        Parameters
        ----------
        var_list : list of Variable, optional
            These variables are not decayed.
        var_names : list of str, optional
            Regular expressions, as in Keras: a variable is not decayed if one of them is
            found (``re.search``) in its ``name`` or its ``path`` (``["bias"]`` exempts every
            bias, ``["^dense_1/"]`` a layer's weights).

        Raises
        ------
        ValueError
            If ``var_list`` holds something other than Variables, or ``var_names`` is not a
            list of strings (a bare string is refused: Keras would read it letter by letter)
            or one of them is not a regular expression.
        """
        if isinstance(var_list, Variable):
            raise ValueError("Argument `var_list` must be a list of Variables, got the single "
                             f"{var_list!r}; wrap it in a list.")
        variables = frozenset(_check_variables(var_list or []))
        names = var_names if var_names is not None else []
        if isinstance(names, str) or not isinstance(names, (list, tuple, set, frozenset)) \
                or not all(isinstance(n, str) for n in names):
            raise ValueError(f"Argument `var_names` must be a list of strings, got "
                             f"{validation.describe(var_names)}.")
        patterns = []
        for name in dict.fromkeys(names):
            try:
                patterns.append(re.compile(name))
            except re.error as error:
                raise ValueError(f"Argument `var_names` holds {name!r}, which is not a regular "
                                 f"expression: {error}.") from None
        self._no_decay = (variables, tuple(patterns))
        self._decays = {}

    def _decays_weight(self, variable):
        """True if the weight decay applies to ``variable`` (remembered per variable)."""
        decays = self._decays.get(variable)
        if decays is None:
            excluded, patterns = self._no_decay
            decays = variable not in excluded and not any(
                p.search(variable.name) or p.search(variable.path) for p in patterns)
            self._decays[variable] = decays
        return decays

    def _scratch_of(self, variable):
        """An array shaped like ``variable`` to compute in: its stretch of the first scratch
        buffer of its packed group (free until ``update_step`` runs)."""
        group, position = self._packed[variable]
        start, stop = group.offsets[position], group.offsets[position + 1]
        return group.scratch[0][start:stop].reshape(variable.shape)

    def update_step(self, gradient, value, learning_rate, slots, scratch):
        """Update the array ``value`` in place from ``gradient``, using this optimizer's
        ``slots`` for it and the two ``scratch`` arrays.

        Parameters
        ----------
        gradient : numpy.ndarray
            The (clipped) gradient, of ``value``'s shape.
        value : numpy.ndarray
            The values to update in place: one variable's, or, for an ``elementwise``
            optimizer, a flat run of packed variables'. The built-in optimizers name this
            argument ``variable``, as Keras' ``update_step`` does.
        learning_rate : float
            The step's learning rate (a schedule already evaluated).
        slots : list of numpy.ndarray
            The optimizer's state for these values, in the order of :meth:`slot_names`,
            each of ``value``'s shape; updated in place.
        scratch : list of numpy.ndarray
            Two arrays of ``value``'s shape and dtype, free to compute in.
        """
        raise NotImplementedError

    def _segments(self, variables):
        """The stretches of packed storage one step updates, derived from ``variables``."""
        last, segments = self._plan
        if _same(last, variables) and self._packing_intact():
            return segments
        variables = tuple(_check_variables(variables))
        if any(v not in self._index for v in variables):
            self.build(variables)
        if not self._packing_intact():
            self._packed = packing.pack(self._trained, self._slots)
            self._groups = list({id(g): g for g, _ in self._packed.values()}.values())
        positions = {}
        for variable in variables:
            group, position = self._packed[variable]
            positions.setdefault(id(group), (group, []))[1].append(position)
        segments = [segment for group, group_positions in positions.values()
                    for segment in group.segments(sorted(group_positions), self.elementwise)]
        self._plan = (variables, segments)
        return segments

    def _packing_intact(self):
        if self._packed is None:
            return False
        for group in self._groups:
            if not group.intact():
                return False
        return True

    def _clip(self, variables):
        """Clip the variables' gradient arrays in place."""
        if self.clipvalue is not None:
            for v in variables:
                np.clip(v.grad, -self.clipvalue, self.clipvalue, out=v.grad)
        if self.clipnorm is not None:
            for v in variables:
                v.grad *= self.clipnorm / max(float(np.linalg.norm(v.grad)), self.clipnorm)
        if self.global_clipnorm is not None:
            norm = float(np.sqrt(sum(float(np.vdot(v.grad, v.grad)) for v in variables)))
            scale = self.global_clipnorm / max(norm, self.global_clipnorm)
            for v in variables:
                v.grad *= scale

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Build an optimizer from :meth:`get_config`'s dict (a schedule given as a config).

        Parameters
        ----------
        config : dict
            The constructor arguments, as :meth:`get_config` returns them; a
            ``learning_rate`` given as a ``{"class_name": ..., "config": ...}`` dict is
            resolved to a schedule.
        custom_objects : dict, optional
            ``{name: class}`` for a schedule class not registered with
            :func:`minikeras.saving.register_keras_serializable`.
        """
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.get(config["learning_rate"], custom_objects)
        return cls(**config)

    def get_config(self):
        config = super().get_config()
        for key in ("clipnorm", "clipvalue", "global_clipnorm", "name", "weight_decay"):
            config[key] = _registry.serialize(getattr(self, key))
        config["learning_rate"] = _registry.serialize(self._learning_rate)
        if callable(config["learning_rate"]):
            raise ValueError(
                "An optimizer whose learning rate is a plain function has no config; use a "
                "LearningRateSchedule subclass (it serializes) instead."
            )
        return config

    def __repr__(self):
        return f"{type(self).__name__}(learning_rate={self._learning_rate!r})"


def _same(a, b):
    """True if the sequences hold the same objects (``==`` on variables is elementwise)."""
    return a is not None and len(a) == len(b) and all(map(operator.is_, a, b))


def _check_variables(variables):
    variables = list(variables)
    for variable in variables:
        if not isinstance(variable, Variable):
            raise ValueError(
                "Optimizers update minikeras Variables (a layer's weights, or "
                f"minikeras.Variable(array)); got {validation.describe(variable)}."
            )
    return variables


_registry = Registry("optimizer", Optimizer)
get, register, serialize = _registry.get, _registry.register, _registry.serialize
