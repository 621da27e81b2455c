"""minikeras: a small, object-oriented, Keras-style neural-network framework.

``import minikeras as mk`` gives ``mk.Sequential``, ``mk.Input``, ``mk.layers`` and the
other families; anyone who knows Keras can read a minikeras script.
"""

import importlib

__version__ = "0.1.0"

from . import (activations, callbacks, config, initializers, layers, losses, metrics, models,
               ops, optimizers, regularizers, saving, testing, utils, variables)
from .layers import Input
from .models import Sequential
from .variables import Variable

__all__ = ["Sequential", "Input", "Variable", "variables", "layers", "activations", "losses",
           "metrics", "optimizers", "callbacks", "initializers", "regularizers", "models",
           "utils", "config", "ops", "testing", "saving", "wrappers", "__version__"]


def __getattr__(name):
    # The scikit-learn wrappers import scikit-learn (most of a second): on first use only.
    if name == "wrappers":
        return importlib.import_module(".wrappers", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
