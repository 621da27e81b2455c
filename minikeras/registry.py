"""The one registry mechanism every family (activations, losses, ...) shares.

A family creates ``Registry("activation", Activation)`` and exposes its ``get``,
``register`` and ``serialize``. Identifiers resolve the same way everywhere: a registered
name (case-insensitive), an instance (returned as is), a config dict
``{"class_name": ..., "config": {...}}``, or a registered class.
"""

import contextlib
import inspect
import threading

import numpy as np

from .hierarchy import defined_below

__all__ = ["Configurable", "FunctionWrapper", "Registry", "serialize", "snake_case", "register_serializable",
           "registered_name", "function_name", "get_custom_objects", "custom_object_scope"]

# Objects registered with ``register_serializable`` (classes or functions), by saved name,
# and the name each is saved under. ``minikeras.saving`` exposes these the Keras way.
_custom_objects = {}
_saved_names = {}


def get_custom_objects():
    """The registered objects, ``{"package>name": class or function}`` (a live dict, as in
    Keras: adding to it registers an object for loading)."""
    return _custom_objects


_scope = threading.local()


@contextlib.contextmanager
def custom_object_scope(objects):
    """Within the block, every family's ``get`` also finds the ``{name: class or function}``
    entries of ``objects`` (nested configs too, as when a model is loaded).

    Parameters
    ----------
    objects : dict or None
        ``{name: class or function}``; a name may be given with or without its
        ``"package>"`` prefix.
    """
    stack = getattr(_scope, "stack", [])
    _scope.stack = stack + [dict(objects or {})]
    try:
        yield
    finally:
        _scope.stack = stack


def register_serializable(package="Custom", name=None):
    """Decorator registering a class or function to be saved as ``"package>name"``.

    The name defaults to the object's ``__name__``. A registered object is found by any
    family's ``get`` under that name (and so by ``load_model``), and is written under it.
    """
    if not isinstance(package, str) or ">" in package or not package:
        raise ValueError(f"Argument `package` must be a non-empty string without '>', "
                         f"got {package!r}.")

    def decorator(obj):
        key = f"{package}>{name or obj.__name__}"
        if key in _custom_objects and _custom_objects[key] is not obj:
            raise ValueError(f"{key!r} is already registered, to {_custom_objects[key]!r}.")
        _custom_objects[key] = obj
        _saved_names[obj] = key
        return obj

    return decorator


def registered_name(obj):
    """The name ``obj`` (a class or function) is saved under: its registered
    ``"package>name"`` (or the key it was put under in :func:`get_custom_objects`), else
    its ``__name__``."""
    return _custom_name(obj) or getattr(obj, "__name__", type(obj).__name__)


def _custom_name(obj):
    if obj in _saved_names:
        return _saved_names[obj]
    return next((name for name, value in _custom_objects.items() if value is obj), None)


class Configurable:
    """Mixin giving ``get_config``/``from_config`` that mirror the constructor.

    ``get_config`` returns every named ``__init__`` argument, read from the attribute of the
    same name, so ``type(obj).from_config(obj.get_config())`` rebuilds an equal object. An
    argument kept under another name (``self.deg = degree``) is taken as it was passed, as
    Keras 3 records constructor arguments, if it is a number, string, bool, None, a
    configurable object or a list, tuple or dict of those, and the class did not write a
    ``get_config`` for its ``__init__`` (that one decides alone). Nested configurable values are
    stored as ``{"class_name", "config"}`` dicts, which every family's ``get`` accepts back.
    A class whose attribute of an argument's name is a computed view (an optimizer's
    ``learning_rate``) names the attribute that holds the argument in
    ``config_attributes``.
    """

    #: ``{argument: attribute}`` for arguments kept under another attribute than their name.
    config_attributes = {}

    def __new__(cls, *args, **kwargs):
        obj = super().__new__(cls)
        obj.__dict__["_constructor_arguments"] = _recordable_arguments(cls, args, kwargs)
        return obj

    def get_config(self):
        """Return the constructor arguments of this object as a JSON-friendly dict."""
        config = {}
        # Arguments passed count only where no get_config was written for this __init__
        # (one that was says what to keep, perhaps under other names).
        passed = ({} if defined_below(type(self), "get_config", "__init__")
                  else self.__dict__.get("_constructor_arguments", {}))
        for name, param in inspect.signature(type(self).__init__).parameters.items():
            if name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            attribute = self.config_attributes.get(name, name)
            if hasattr(self, attribute):
                config[name] = _serialize_value(getattr(self, attribute))
            elif name in passed:
                config[name] = _serialize_value(passed[name])
        return config

    @classmethod
    def from_config(cls, config):
        """Build an object from the dict that :meth:`get_config` returned.

        Parameters
        ----------
        config : dict
            The constructor arguments, as :meth:`get_config` returns them.
        """
        return cls(**config)

    def serialized(self):
        """``{"class_name": ..., "config": ...}``, what every family's ``get`` accepts back."""
        return {"class_name": registered_name(type(self)), "config": self.get_config()}


def function_name(fn):
    """The name a plain function is saved under; ValueError if it has none to be found by."""
    name = _custom_name(fn)
    if name is not None:
        return name
    raise ValueError(
        f"The function {getattr(fn, '__name__', fn)!r} cannot be saved: register it with "
        "minikeras.saving.register_keras_serializable() so that loading can find it by name."
    )


class FunctionWrapper:
    """Mixin for a family's wrapper of a plain function (what a :class:`Registry` with a
    ``function_wrapper`` makes of a callable): keeps it as ``function``, is saved under the
    function's registered name, and shows it in its repr. The family's class adds the
    call."""

    def __init__(self, function):
        self.function = function

    def serialized(self):
        """The function's registered name: the family's ``get`` finds it by that name."""
        return function_name(self.function)

    def __repr__(self):
        return f"{type(self).__name__}({getattr(self.function, '__name__', self.function)!r})"


def _recordable_arguments(cls, args, kwargs):
    """The named constructor arguments ``cls(*args, **kwargs)`` was given that a config can
    hold (see :class:`Configurable`); empty if they do not fit the signature (``__init__``
    then says what is wrong)."""
    signature = inspect.signature(cls.__init__)
    try:
        bound = signature.bind(None, *args, **kwargs)
    except TypeError:
        return {}
    named = [p.name for p in list(signature.parameters.values())[1:]
             if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    recorded = {}
    for name, value in bound.arguments.items():
        value = _recordable(value) if name in named else _NOT_RECORDABLE
        if value is not _NOT_RECORDABLE:
            recorded[name] = value
    return recorded


_NOT_RECORDABLE = object()


def _recordable(value):
    """``value`` as a config holds it (numpy scalars as Python numbers), or
    ``_NOT_RECORDABLE``."""
    if isinstance(value, np.generic) and value.ndim == 0 and value.dtype.kind in "biuf":
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str, Configurable)):
        return value
    if type(value) in (list, tuple):  # (a namedtuple would come back a plain list)
        items = [_recordable(v) for v in value]
        return _NOT_RECORDABLE if any(i is _NOT_RECORDABLE for i in items) \
            else type(value)(items)
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        items = {k: _recordable(v) for k, v in value.items()}
        return _NOT_RECORDABLE if any(i is _NOT_RECORDABLE for i in items.values()) \
            else items
    return _NOT_RECORDABLE


def _serialize_value(value):
    if isinstance(value, Configurable):
        return value.serialized()
    if isinstance(value, tuple):
        return list(value)
    return value


def _article(word):
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def snake_case(name):
    """``"SparseCategoricalCrossentropy"`` -> ``"sparse_categorical_crossentropy"``;
    ``"ReLU"`` -> ``"re_lu"`` as Keras names layers."""
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and (not name[i - 1].isupper() or
                                   (i + 1 < len(name) and name[i + 1].islower())):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def serialize(obj):
    """Return ``{"class_name": ..., "config": ...}`` for any configurable object."""
    return _serialize_value(obj)



class Registry:
    """Maps names to the classes of one family and resolves identifiers to instances.

    Parameters
    ----------
    kind : str
        Human name of the family, used in error messages ("activation", "loss", ...).
    base : type
        Instances of this class are returned unchanged by :meth:`get`.
    function_wrapper : type, optional
        If given, :meth:`get` wraps a plain callable (a user's function) in this class.
    """

    def __init__(self, kind, base, function_wrapper=None):
        self.kind = kind
        self.base = base
        self.function_wrapper = function_wrapper
        self._function_forms = {}  # Keras-style function -> the class it stands for
        self._classes = {}
        self._spellings = {}

    def register(self, *names):
        """Class decorator registering a class under its own name and ``names``.

        Example: ``@activations.register("my_relu")`` on a user's class makes
        ``activations.get("my_relu")`` return an instance of it.
        """

        def decorator(cls):
            for name in (cls.__name__, *names):
                self._classes[self._key(name)] = cls
                self._spellings[self._key(name)] = name
            return cls

        return decorator

    def function_form(self, cls):
        """Decorator marking a function as the functional spelling of ``cls`` (Keras'
        ``activations.relu`` for ``ReLU``): ``get(function)`` then returns ``cls()``, with
        its hand-written gradient, instead of wrapping the function for autograd."""

        def decorator(fn):
            self._function_forms[fn] = cls
            return fn

        return decorator

    def names(self):
        """Return the registered names as they were spelled (aliases included), sorted."""
        return sorted(self._spellings.values(), key=str.lower)

    def lookup(self, name):
        """Return the class registered as ``name`` (case-insensitive); ValueError if none."""
        cls = self._classes.get(self._key(name)) if isinstance(name, str) else None
        if cls is None:
            raise ValueError(
                f"Could not interpret {self.kind} identifier: {name!r}. "
                f"Expected one of {self.names()}, {_article(self.base.__name__)} instance, "
                "or a {'class_name': ..., 'config': {...}} dict. A class of your own is "
                "found once registered (minikeras.saving.register_keras_serializable) or "
                "given in custom_objects."
            )
        return cls

    def get(self, identifier, custom_objects=None):
        """Resolve ``identifier`` to an instance of the family.

        Every family exposes this as its ``get`` (``minikeras.losses.get("mse")``, ...).

        Parameters
        ----------
        identifier : str, dict, instance, class or None
            ``None`` is returned as ``None``: the caller decides what it means.
        custom_objects : dict, optional
            Extra ``name -> class`` entries consulted before the registry.

        Raises
        ------
        ValueError
            If the identifier names nothing registered or has the wrong form.
        """
        if identifier is None or isinstance(identifier, self.base):
            return identifier
        if isinstance(identifier, str):
            return self._instantiate(self._find(identifier, custom_objects), identifier)
        if isinstance(identifier, dict):
            if "class_name" not in identifier:
                raise ValueError(
                    f"Could not interpret {self.kind} identifier: {identifier!r}. "
                    "A dict identifier needs the keys 'class_name' and 'config'."
                )
            name, config = identifier["class_name"], identifier.get("config") or {}
            if not isinstance(config, dict):
                raise ValueError(f"The config of {self.kind} {name!r} must be a dict, "
                                 f"got {config!r}.")
            cls = self._find(name, custom_objects)
            if not isinstance(cls, type):
                raise ValueError(f"{self.kind.capitalize()} {name!r} is a function; give it "
                                 "by name, not with a config.")
            try:
                return cls.from_config(dict(config))
            except TypeError as error:
                raise ValueError(
                    f"Could not build {self.kind} {name!r} from config {config!r}: {error}."
                ) from None
        if isinstance(identifier, type) and issubclass(identifier, self.base):
            return identifier()
        if callable(identifier) and identifier in self._function_forms:
            return self._function_forms[identifier]()
        if callable(identifier) and self.function_wrapper is not None \
                and not isinstance(identifier, type):
            return self.function_wrapper(identifier)
        raise ValueError(
            f"Could not interpret {self.kind} identifier: {identifier!r} "
            f"(type {type(identifier).__name__}). Expected one of {self.names()}, "
            f"{_article(self.base.__name__)} instance, or a config dict."
        )

    def _instantiate(self, found, name):
        if isinstance(found, type):
            return found()
        if self.function_wrapper is not None:
            return self.function_wrapper(found)
        raise ValueError(f"{name!r} names a function, which is not {_article(self.kind)}.")

    def serialize(self, obj):
        """Return the config dict of ``obj`` (see :func:`serialize`)."""
        return serialize(obj)

    def _find(self, name, custom_objects):
        """The class (or function) ``name`` refers to: from ``custom_objects`` (also by the
        part after ``"package>"``), the registered custom objects, then this family."""
        if not isinstance(name, str):
            return self.lookup(name)
        for table in [custom_objects or {}] + getattr(_scope, "stack", [])[::-1]:
            for key in (name, name.split(">", 1)[-1]):
                if key in table:
                    return self._check_family(table[key], name)
        if name in _custom_objects:
            return self._check_family(_custom_objects[name], name)
        return self.lookup(name)

    def _check_family(self, obj, name):
        is_member = isinstance(obj, type) and issubclass(obj, self.base)
        is_function = (not isinstance(obj, type) and callable(obj)
                       and self.function_wrapper is not None)
        if not (is_member or is_function):
            raise ValueError(
                f"Could not interpret {self.kind} identifier {name!r}: it refers to {obj!r}, "
                f"which is not {_article(self.base.__name__)}."
            )
        return obj

    @staticmethod
    def _key(name):
        return name.lower().replace("_", "")
