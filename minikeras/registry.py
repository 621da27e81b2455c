"""The one registry mechanism every family (activations, losses, ...) shares.

A family creates ``Registry("activation", Activation)`` and exposes its ``get``,
``register`` and ``serialize``. Identifiers resolve the same way everywhere: a registered
name (case-insensitive), an instance (returned as is), a config dict
``{"class_name": ..., "config": {...}}``, or a registered class.
"""

import inspect

__all__ = ["Configurable", "Registry", "serialize", "snake_case"]


class Configurable:
    """Mixin giving ``get_config``/``from_config`` that mirror the constructor.

    ``get_config`` returns every named ``__init__`` argument, read from the attribute of the
    same name, so ``type(obj).from_config(obj.get_config())`` rebuilds an equal object.
    Nested configurable values are stored as ``{"class_name", "config"}`` dicts, which every
    family's ``get`` accepts back.
    """

    def get_config(self):
        """Return the constructor arguments of this object as a JSON-friendly dict."""
        config = {}
        for name, param in inspect.signature(type(self).__init__).parameters.items():
            if name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            if hasattr(self, name):
                config[name] = _serialize_value(getattr(self, name))
        return config

    @classmethod
    def from_config(cls, config):
        """Build an object from the dict that :meth:`get_config` returned."""
        return cls(**config)


def _serialize_value(value):
    if isinstance(value, Configurable):
        return {"class_name": type(value).__name__, "config": value.get_config()}
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
                "or a {'class_name': ..., 'config': {...}} dict."
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
            return self._find(identifier, custom_objects)()
        if isinstance(identifier, dict):
            if "class_name" not in identifier:
                raise ValueError(
                    f"Could not interpret {self.kind} identifier: {identifier!r}. "
                    "A dict identifier needs the keys 'class_name' and 'config'."
                )
            cls = self._find(identifier["class_name"], custom_objects)
            try:
                return cls.from_config(dict(identifier.get("config") or {}))
            except TypeError as error:
                raise ValueError(
                    f"Could not build {self.kind} {identifier['class_name']!r} from config "
                    f"{identifier.get('config')!r}: {error}."
                ) from None
        if isinstance(identifier, type) and issubclass(identifier, self.base):
            return identifier()
        if callable(identifier) and self.function_wrapper is not None \
                and not isinstance(identifier, type):
            return self.function_wrapper(identifier)
        raise ValueError(
            f"Could not interpret {self.kind} identifier: {identifier!r} "
            f"(type {type(identifier).__name__}). Expected one of {self.names()}, "
            f"{_article(self.base.__name__)} instance, or a config dict."
        )

    def serialize(self, obj):
        """Return the config dict of ``obj`` (see :func:`serialize`)."""
        return serialize(obj)

    def _find(self, name, custom_objects):
        if custom_objects and name in custom_objects:
            return custom_objects[name]
        return self.lookup(name)

    @staticmethod
    def _key(name):
        return name.lower().replace("_", "")
