"""Data preparation for training and evaluation: every check happens here, before any change.

``fit``, ``evaluate`` and ``predict`` hand their arguments to these functions, which convert
them to arrays of the model's dtype and check shapes, lengths and target ranges, raising
``ValueError`` that names the argument. Nothing about the model changes while they run
(an unbuilt model stays unbuilt unless a custom layer must be built to tell its output
shape).
"""

import numpy as np

from .. import config, validation

__all__ = ["check_batch_size", "prepare_x", "prepare_data", "prepare_validation_data",
           "apply_class_weight", "split_off_validation", "model_dtype"]


def check_batch_size(batch_size):
    """``None`` means 32, as in Keras; otherwise a positive int."""
    return validation.check_int("batch_size", 32 if batch_size is None else batch_size, minimum=1)


def model_dtype(model):
    """The dtype inputs are converted to: the first weight's, else the default float type."""
    for layer in model.layers:
        if layer.built and layer.weights:
            return layer.weights[0].dtype
    return np.dtype(config.floatx())


def prepare_x(model, x, argument="x"):
    """``x`` as an array of the model's dtype whose per-sample shape fits the model."""
    x = validation.check_array(argument, x, dtype=model_dtype(model), min_ndim=2)
    expected = model.input_shape
    if expected is not None and tuple(x.shape[1:]) != tuple(expected[1:]):
        raise ValueError(
            f"Argument `{argument}` has shape {x.shape}, but the model expects inputs "
            f"of shape {expected}: {tuple(expected[1:])} features per sample, "
            f"got {tuple(x.shape[1:])}."
        )
    return x


def prepare_data(model, x, y, sample_weight, argument_suffix=""):
    """``(x, y, sample_weight)`` converted and checked against the model and its loss.

    The targets are checked against the output shape the layers' ``compute_output_shape``
    give, so an unbuilt model stays unbuilt; only a custom layer without one has to be
    built to tell its output shape.
    """
    x = prepare_x(model, x, "x" + argument_suffix)
    y = validation.check_samples("y" + argument_suffix, y)
    validation.check_same_length(**{"x" + argument_suffix: x, "y" + argument_suffix: y})
    output_shape = model.expected_output_shape(x.shape, "x" + argument_suffix)
    dtype = model_dtype(model)
    y = model.loss.prepare_targets(y, output_shape, "y" + argument_suffix, dtype)
    if sample_weight is not None:
        name = "sample_weight" + argument_suffix
        sample_weight = validation.check_array(name, sample_weight, dtype=dtype)
        if sample_weight.shape == (len(x), 1):
            sample_weight = sample_weight[:, 0]
        if sample_weight.shape != (len(x),):
            raise ValueError(
                f"Argument `{name}` must have shape ({len(x)},), got {sample_weight.shape}."
            )
    return x, y, sample_weight


def prepare_validation_data(model, validation_data):
    """``(x_val, y_val, sample_weight_val)`` from a 2- or 3-tuple, checked like ``fit``'s data."""
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise ValueError(
            "Argument `validation_data` must be a tuple (x_val, y_val) or "
            f"(x_val, y_val, sample_weight_val), got {validation.describe(validation_data)}."
        )
    weights = validation_data[2] if len(validation_data) == 3 else None
    return prepare_data(model, validation_data[0], validation_data[1], weights,
                        argument_suffix="_val")


def apply_class_weight(data, class_weight):
    """Multiply each sample's weight by its class's entry of ``{class index: weight}``
    (1 for classes not given); ``data`` is ``(x, y, sample_weight)``."""
    x, y, sample_weight = data
    class_weight = validation.check_class_weight(class_weight)
    labels = y if y.ndim == 1 else (y[:, 0] > 0.5 if y.shape[1] == 1 else y.argmax(axis=1))
    labels = labels.astype(np.intp)
    table = np.ones(max([int(labels.max()), *class_weight]) + 1, dtype=x.dtype)
    for cls, weight in class_weight.items():
        table[cls] = weight
    weights = table[labels]
    return x, y, weights if sample_weight is None else sample_weight * weights


def split_off_validation(data, fraction):
    """``(train, validation)`` from the last ``fraction`` of the samples, as Keras takes it."""
    if not fraction:
        return data, None
    n = len(data[0])
    split = int(n * (1.0 - fraction))
    if split == 0 or split == n:
        raise ValueError(
            f"Argument `validation_split={fraction}` leaves {split} training and "
            f"{n - split} validation samples out of {n}; both must be at least one."
        )
    return (tuple(None if a is None else a[:split] for a in data),
            tuple(None if a is None else a[split:] for a in data))
