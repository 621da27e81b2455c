"""``Sequential``: a linear stack of layers, trained with :class:`~minikeras.models.trainer.Trainer`.

This module holds the structure (adding, building and popping layers) and the weights;
``compile``, ``fit``, ``evaluate`` and ``predict`` come from the trainer.
"""

import json
import sys

import numpy as np

from .. import layers as layers_module, validation
from ..layers import Input, Layer
from ..layers.base import unique_name
from ..registry import custom_object_scope
from .summary import summary_table
from .trainer import Trainer

__all__ = ["Sequential"]


class Sequential(Trainer):
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
        if name is not None and not isinstance(name, str):
            raise ValueError(f"Argument `name` must be a string, got {validation.describe(name)}.")
        self.name = name or unique_name("sequential")
        self._layers = []
        self._names = set()  # the layers' names, which must be unique
        self._built = False
        self._input_shape = None
        self._init_training()
        for layer in layers or []:
            self.add(layer)

    # ---------------------------------------------------------------- structure
    @property
    def layers(self):
        """The layers, without the ``Input`` (as in Keras)."""
        return list(self._layers)

    @property
    def built(self):
        """True once every layer has its weights (set when the layers are built, and kept:
        a layer added to a built model is built at once)."""
        return self._built and bool(self._layers)

    def add(self, layer):
        """Append a layer; an ``Input`` (only first) or a layer with ``input_shape``
        fixes the model's input shape.

        Parameters
        ----------
        layer : Layer
            A layer of no other model, named apart from the model's layers (an ``Input``
            only as the first entry). Once the input shape is known the layer is built, and
            a layer that does not fit the previous output shape is refused.
        """
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
        held_by = layer._parent
        if self.built:  # only the new layer needs checking and building
            self._check_shapes(self.output_shape, [layer], "layer")
            layer._leave_holder()  # a layer of the model keeps the model's paths
            try:
                layer.build_for(self.output_shape)
            except Exception:
                layer._parent = held_by
                raise
            self._append(layer)
            return
        input_shape = self._input_shape
        if not self._layers and input_shape is None:
            if layer._declared_input_shape:
                input_shape = (None,) + layer._declared_input_shape
            elif layer.built:
                input_shape = layer.input_shape
        if input_shape is not None:
            layers = self._layers + [layer]
            self._check_shapes(input_shape, layers, "layer")
            layer._leave_holder()
            previous, self._input_shape = self._input_shape, input_shape
            try:
                self._build_layers(input_shape, layers)
            except Exception:
                self._input_shape, layer._parent = previous, held_by
                raise
        else:
            layer._leave_holder()
        self._append(layer)

    def _append(self, layer):
        self._layers.append(layer)
        self._names.add(layer.name)
        layer._owner = self
        self._forget_derived()

    def _check_new_layer(self, layer):
        owner = layer._owner
        if owner is not None:
            where = "this model" if owner is None or owner is self else f"model {owner.name!r}"
            raise ValueError(
                f"Argument `layer` ({layer.name!r}) is already in {where}; a layer can be "
                "used once, in one model (shared layers are not supported; a copy of a "
                "model's layer belongs to the copy of that model). pop() it from its model "
                "first, or make a new one with from_config(get_config()) and set_weights."
            )
        if layer.name in self._names:
            raise ValueError(
                f"Argument `layer` is named {layer.name!r}, like a layer already in the model; "
                "layer names in a model must be unique."
            )

    def get_layer(self, name=None, index=None):
        """The layer called ``name``, or at position ``index`` of :attr:`layers`, as Keras'
        ``get_layer``.

        Parameters
        ----------
        name : str, optional
            The layer's name.
        index : int, optional
            Its position in :attr:`layers` (the ``Input`` is not one of them); a negative
            index counts from the end.

        Raises
        ------
        ValueError
            If neither or both are given, or no layer matches.
        """
        if index is not None and name is not None:
            raise ValueError(f"Provide only a layer name or a layer index to get_layer, got "
                             f"name={name!r} and index={index!r}.")
        if index is not None:
            index = validation.check_int("index", index)
            if not -len(self._layers) <= index < len(self._layers):
                raise ValueError(f"Argument `index={index}` is out of range: the model has "
                                 f"{len(self._layers)} layers.")
            return self._layers[index]
        if name is None:
            raise ValueError("Provide either a layer `name` or an `index` to get_layer.")
        for layer in self._layers:
            if layer.name == name:
                return layer
        raise ValueError(f"Argument `name={name!r}` names no layer; the model has "
                         f"{[layer.name for layer in self._layers]}.")

    def pop(self):
        """Remove and return the last layer."""
        if not self._layers:
            raise IndexError("There are no layers in this model to pop.")
        layer = self._layers.pop()
        self._names.discard(layer.name)
        layer._owner = None
        self._forget_derived()  # releases the popped layer too
        return layer

    def build(self, input_shape=None):
        """Create every layer's weights for inputs of ``input_shape`` (batch axis first).

        Parameters
        ----------
        input_shape : tuple, optional
            The shape of a batch, batch axis first (its size is not kept): ``(None, 4)``
            for samples of 4 features. Defaults to the shape an ``Input`` (or the first
            layer's ``input_shape``) gave.

        Raises
        ------
        ValueError
            If no shape is given or known, it has no batch axis, or a built layer does not
            fit it.
        """
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

    def _build_layers(self, input_shape, layers=None):
        shape = input_shape
        for layer in self._layers if layers is None else layers:
            shape = layer.build_for(shape)
        self._built = True
        self._forget_derived()

    def ensure_built(self, x_shape):
        """Build for batches of ``x_shape`` unless the model is built already.

        Parameters
        ----------
        x_shape : tuple
            The shape of a batch of inputs, batch axis first.
        """
        self._require_layers()
        if not self.built:
            self.build((None,) + tuple(x_shape[1:]))

    def expected_output_shape(self, x_shape, argument="x"):
        """The output shape for inputs of ``x_shape``, building nothing unless a custom
        layer can only tell its output shape once built.

        Parameters
        ----------
        x_shape : tuple
            The shape of a batch of inputs, batch axis first.
        argument : str, default "x"
            The argument a ValueError names if a built layer does not fit ``x_shape``.
        """
        self._require_layers()
        if self.built:
            return self.output_shape
        shape = self._check_shapes(x_shape, self._layers, argument)
        if shape is None:
            self.ensure_built(x_shape)
            shape = self.output_shape
        return shape

    @property
    def input_shape(self):
        """The input shape with the batch axis, ``(None, features...)``, or None."""
        return self._input_shape

    @property
    def output_shape(self):
        """The output shape with the batch axis, or None before the model is built."""
        return self._layers[-1].output_shape if self.built else None

    # ---------------------------------------------------------------- weights
    @property
    def weights(self):
        """Every layer's weight variables, layer by layer."""
        return [w for layer in self._layers for w in layer.weights]

    @property
    def trainable_weights(self):
        """The variables an optimizer updates (none of a frozen layer's)."""
        return [w for layer in self._layers for w in layer.trainable_weights]

    @property
    def trainable(self):
        """False if every layer is frozen; setting it freezes or unfreezes them all."""
        return any(layer.trainable for layer in self._layers)

    @trainable.setter
    def trainable(self, value):
        for layer in self._layers:
            layer.trainable = value

    @property
    def non_trainable_weights(self):
        """The variables an optimizer leaves alone (moving statistics, frozen layers)."""
        return [w for layer in self._layers for w in layer.non_trainable_weights]

    # Keras 3's other spellings of the three lists
    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def get_weights(self):
        """Copies of all weights, layer by layer."""
        return [w for layer in self._layers for w in layer.get_weights()]

    def set_weights(self, weights):
        """Set all weights from a list in the order of :meth:`get_weights`.

        Every count and shape is checked before any weight changes.

        Parameters
        ----------
        weights : list of array-like
            One array per weight variable, in the order of :attr:`weights` (as
            :meth:`get_weights` returns them), each of that variable's shape.

        Raises
        ------
        ValueError
            If the model is not built, or the count or a shape differs.
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
        """The number of scalars in all weights (the model must be built)."""
        self._require_built("count_params")
        return sum(layer.count_params() for layer in self._layers)

    # ---------------------------------------------------------------- summary
    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print a table of layers, output shapes and parameter counts (as Keras does).

        Parameters
        ----------
        line_length : int, optional
            Total width of the table (the first column takes the room left).
        positions : sequence of float, optional
            Right edge of each column, as fractions of ``line_length`` or as character
            positions; a column is never cut narrower than its text.
        print_fn : callable, optional
            Receives the whole table as one string; defaults to ``print``, in plain ASCII
            if standard output cannot show box-drawing characters.
        expand_nested : bool, default False
            Also list the layers that a layer keeps in its attributes, indented below it.
        show_trainable : bool, default False
            Add a "Trainable" column: ``Y``, ``N`` (frozen) or ``-`` (no weights).
        layer_range : (str, str), optional
            Names (or regular expressions) of the first and last layer to list, both
            inclusive; the parameter totals still count the whole model.
        """
        if print_fn is not None and not callable(print_fn):
            raise ValueError("Argument `print_fn` must be a callable that takes the table as "
                             f"a string, got {validation.describe(print_fn)}.")
        options = dict(line_length=line_length, positions=positions,
                       expand_nested=validation.check_bool("expand_nested", expand_nested),
                       show_trainable=validation.check_bool("show_trainable", show_trainable),
                       layer_range=layer_range)
        if print_fn is not None:
            print_fn(summary_table(self, **options))
            return
        encoding = getattr(sys.stdout, "encoding", None) or "ascii"
        try:
            "─│┌".encode(encoding)
            fancy = True
        except (UnicodeEncodeError, LookupError):
            fancy = False
        print(summary_table(self, ascii=not fancy, **options))

    # ---------------------------------------------------------------- helpers
    def _require_layers(self):
        if not self._layers:
            raise ValueError("The model has no layers; add some first.")

    def _require_built(self, method):
        if not self.built:
            raise ValueError(
                f"The model must be built before {method}(): give it an Input, call "
                "build(input_shape), or call it on data."
            )

    def get_config(self):
        """The architecture: the name, the ``Input`` shape and every layer's config."""
        return {
            "name": self.name,
            "input_shape": None if self._input_shape is None else list(self._input_shape[1:]),
            "layers": [layer.serialized() for layer in self._layers],
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A new, uncompiled model with the architecture of :meth:`get_config`'s dict.

        Layer classes are looked up by name in the layer registry and ``custom_objects``
        only. The model is built if the config gives an input shape (fresh weights).

        Parameters
        ----------
        config : dict
            ``{"name", "input_shape", "layers"}``, as :meth:`get_config` returns it.
        custom_objects : dict, optional
            ``{name: class or function}`` for objects not registered with
            :func:`minikeras.saving.register_keras_serializable`.

        Returns
        -------
        Sequential

        Raises
        ------
        ValueError
            If the config is malformed or names a layer class that is not registered.
        """
        validation.check_config("config", config, ("name", "input_shape", "layers"))
        entries = config.get("layers", [])
        if not isinstance(entries, list):
            raise ValueError(f"The config's 'layers' must be a list, got {entries!r}.")
        input_shape = config.get("input_shape")
        with custom_object_scope(custom_objects):  # nested configs find them too
            model = cls(name=config.get("name"))
            if input_shape is not None:
                model.add(Input(tuple(validation.check_int("input_shape entry", d, minimum=1)
                                      for d in _as_list(input_shape, "input_shape"))))
            for entry in entries:
                model.add(layers_module.get(entry, custom_objects=custom_objects))
        return model

    def to_json(self):
        """The architecture as JSON text (``minikeras.models.model_from_json`` reads it)."""
        return json.dumps({"class_name": "Sequential", "config": self.get_config()})

    # ---------------------------------------------------------------- saving
    def save(self, filepath):
        """Write the model (architecture, compile settings, weights and optimizer state) to
        one file; see :func:`minikeras.saving.save_model`.

        Parameters
        ----------
        filepath : str or path-like
            The file to create or replace; any name or extension (Keras users write
            ``"model.keras"``).
        """
        from ..saving import save_model  # saving sits above models

        save_model(self, filepath)

    def save_weights(self, filepath):
        """Write the weights, by path name, to an ``.npz`` file (any file name); see
        :func:`minikeras.saving.save_weights`.

        Parameters
        ----------
        filepath : str or path-like
            The file to create or replace (Keras' ``".weights.h5"`` spelling gives npz
            content too).
        """
        from ..saving import save_weights

        save_weights(self, filepath)

    def load_weights(self, filepath):
        """Read weights written by :meth:`save_weights` or :meth:`save`; every weight is
        checked before any is assigned, so a failed load changes nothing.

        Parameters
        ----------
        filepath : str or path-like
            A file written by :meth:`save_weights` or :meth:`save`.
        """
        from ..saving import load_weights

        load_weights(self, filepath)

    def __repr__(self):
        return f"<Sequential name={self.name!r}, layers={len(self._layers)}, built={self.built}>"


def _as_list(value, what):
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"The config's {what!r} must be a list, got {value!r}.")
    return list(value)
