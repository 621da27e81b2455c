"""Saving and loading: model files, weights files, and registering your own classes.

``model.save(path)`` writes one zip file (``config.json`` and ``.npy`` arrays) that
:func:`load_model` reads back without running anything the file names;
``model.save_weights``/``model.load_weights`` keep the weights alone (``.npz``). Every
malformed file raises :class:`ModelFileError` (a ``ValueError``) and changes nothing.
"""

from ..registry import custom_object_scope, get_custom_objects, register_serializable
from .archive import ModelFileError
from .model_file import FORMAT_VERSION, load_model, load_weights, save_model, save_weights

__all__ = ["register_keras_serializable", "get_custom_objects", "custom_object_scope",
           "ModelFileError", "FORMAT_VERSION", "save_model", "load_model", "save_weights",
           "load_weights"]


def register_keras_serializable(package="Custom", name=None):
    """Decorator registering a class or function to be saved and loaded as
    ``"package>name"`` (``name`` defaults to its ``__name__``), as in Keras.

    A registered layer, activation, loss, metric, optimizer, schedule, initializer or
    regularizer (or a loss, metric or activation function) is found by name when a model
    file is loaded, without ``custom_objects``.

    Parameters
    ----------
    package : str, default "Custom"
        The first part of the saved name: non-empty, without ``">"``.
    name : str, optional
        The second part; defaults to the object's ``__name__``.

    Returns
    -------
    callable
        The decorator, which registers the object and returns it unchanged.

    Raises
    ------
    ValueError
        If ``package`` is not such a string, or (when decorating) the name is already
        registered to another object.
    """
    return register_serializable(package, name)
