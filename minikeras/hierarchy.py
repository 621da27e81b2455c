"""Which class of a hierarchy defines a method.

A hand-written gradient is only right for the computation it was written beside: a
subclass that overrides ``call`` but inherits ``backward`` (a layer) or ``sample_gradient``
(a loss) must be differentiated by autograd instead. These helpers tell the two apart.
"""

import functools

__all__ = ["defining_class", "defined_below"]


def defining_class(cls, name):
    """The class in ``cls``'s hierarchy whose body defines ``name``.

    Raises
    ------
    AttributeError
        If no class in the hierarchy defines it (a name listed in ``backward_follows``
        that the class does not have, say).
    """
    klass = next((klass for klass in cls.__mro__ if name in vars(klass)), None)
    if klass is None:
        raise AttributeError(f"{cls.__name__} defines no method {name!r} (looked for by "
                             "name: check backward_follows and the methods it lists).")
    return klass


@functools.lru_cache(maxsize=None)
def defined_below(cls, method, *others):
    """True if ``method`` is defined at or below the classes defining each of ``others``."""
    own = defining_class(cls, method)
    return all(issubclass(own, defining_class(cls, other)) for other in others)
