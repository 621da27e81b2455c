"""``build_mlp``: a ready-made model function for the scikit-learn wrappers."""

import numpy as np

from .. import layers, optimizers, regularizers, validation
from ..models import Sequential

__all__ = ["build_mlp"]


def build_mlp(X, y, hidden=(32,), activation="relu", optimizer="adam", learning_rate=0.01,
              l2=0.0, output="auto"):
    """A compiled multilayer perceptron sized to ``X`` and ``y``, for
    ``SKLearnClassifier(model=build_mlp, model_kwargs={...})`` and ``SKLearnRegressor``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples, n_outputs)
        As the wrapper hands it: one-hot classes, or regression targets.
    hidden : tuple of int
        Units of each hidden ``Dense`` layer.
    activation : str
        Hidden activation.
    optimizer : str
        Optimizer name; it gets ``learning_rate``.
    learning_rate : float
    l2 : float
        L2 penalty ``l2 * sum(w ** 2)`` on every kernel.
    output : {"auto", "softmax", "linear"}
        "auto" is "softmax" with categorical cross-entropy for one-hot targets, else
        "linear" with mean squared error.

    Returns
    -------
    Sequential
    """
    y = np.asarray(y)
    hidden = tuple(validation.check_int("hidden", h, minimum=1) for h in hidden)
    validation.check_choice("output", output, ("auto", "softmax", "linear"))
    if output == "auto":
        one_hot = y.ndim == 2 and np.isin(y, (0, 1)).all() and np.all(y.sum(axis=1) == 1)
        output = "softmax" if one_hot else "linear"
    penalty = regularizers.L2(l2) if l2 else None
    model = Sequential(
        [layers.Input((X.shape[1],))]
        + [layers.Dense(units, activation=activation, kernel_regularizer=penalty)
           for units in hidden]
        + [layers.Dense(y.shape[1], activation=output, kernel_regularizer=penalty)])
    model.compile(optimizer=optimizers.get({"class_name": optimizer,
                                            "config": {"learning_rate": learning_rate}}),
                  loss="categorical_crossentropy" if output == "softmax" else "mse")
    return model
