"""Models: ``Sequential``, the trainer behind its ``fit``, and Keras' model functions."""

import json

from .. import validation
from ..registry import Configurable, registered_name
from ..saving import load_model, save_model
from .sequential import Sequential

__all__ = ["Sequential", "load_model", "save_model", "model_from_json", "clone_model"]


def model_from_json(json_string, custom_objects=None):
    """The model ``model.to_json()`` described: same architecture, fresh weights.

    Parameters
    ----------
    json_string : str
        What ``Sequential.to_json`` returned.
    custom_objects : dict, optional
        ``{name: class or function}`` for objects not registered with
        :func:`minikeras.saving.register_keras_serializable`.

    Returns
    -------
    Sequential
        Built if the description has an input shape, not compiled.

    Raises
    ------
    ValueError
        If the text is not such a description or names an unregistered class.
    """
    try:
        description = json.loads(json_string, parse_constant=_refuse)
    except (TypeError, ValueError, RecursionError) as error:
        raise ValueError(f"Argument `json_string` is not valid JSON: {error}.") from None
    if not isinstance(description, dict) or description.get("class_name") != "Sequential" \
            or set(description) != {"class_name", "config"}:
        raise ValueError(
            "Argument `json_string` must describe {'class_name': 'Sequential', 'config': ...}, "
            f"got {validation.describe(description)}."
        )
    try:
        return Sequential.from_config(description["config"], custom_objects)
    except RecursionError:
        raise ValueError("Argument `json_string` nests configs too deeply to be a "
                         "model's description.") from None


def clone_model(model, custom_objects=None):
    """A new model with ``model``'s architecture and freshly initialized weights, not
    compiled (as Keras' ``clone_model``). The classes of the objects ``model`` holds (its
    layers, activations, initializers, ...) are found without registering them.

    Parameters
    ----------
    model : Sequential
        The model whose architecture is copied.
    custom_objects : dict, optional
        ``{name: class or function}``, consulted before the classes ``model`` holds.

    Returns
    -------
    Sequential

    Raises
    ------
    ValueError
        If ``model`` is not a ``Sequential``.
    """
    if not isinstance(model, Sequential):
        raise ValueError(f"Argument `model` must be a Sequential, got {validation.describe(model)}.")
    return Sequential.from_config(model.get_config(),
                                  {**_classes_in(model), **(custom_objects or {})})


def _classes_in(model):
    """``{name: class}`` of the configurable objects the model's layers hold."""
    classes = {}
    for layer in (inner for top in model.layers for inner in top._flatten_layers()):
        for value in (layer, *vars(layer).values()):
            if isinstance(value, Configurable):
                classes[registered_name(type(value))] = type(value)
    return classes


def _refuse(name):
    raise ValueError(f"the literal {name} is not allowed")
