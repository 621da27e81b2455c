"""``run_layer_test``: one harness every layer goes through, built-in or your own.

It checks, in float64, that a layer's backward pass (hand-written or autograd's) matches
autograd's derivative of its ``call`` for the inputs and every trainable weight, in
training and in inference mode, without changing the layer's state; that
``get_config``/``from_config`` rebuilds an equivalent layer; that ``copy.deepcopy`` and
``pickle`` give independent layers that compute the same outputs; and that the layer
trains inside a model while ``predict`` and ``evaluate`` leave it untouched.
"""

import copy
import pickle

import numpy as np
from autograd import make_vjp

from . import config, layers as layers_module, utils
from .layers import Flatten, Input, Layer
from .layers.base import has_own_backward
from .models import Sequential
from .variables import no_state_updates

__all__ = ["run_layer_test"]


def run_layer_test(layer_or_class, input_shape, init_kwargs=None, input_data=None,
                   expected_output_shape=None, custom_objects=None, tolerance=1e-7, seed=0,
                   run_training_check=True):
    """Put a layer through minikeras' layer checks; raise ``AssertionError`` on a failure.

    Parameters
    ----------
    layer_or_class : Layer subclass or unbuilt Layer
        A class is instantiated with ``init_kwargs``. The layer is built in float64.
    input_shape : tuple of int
        Shape of the test batch, batch axis included (as in Keras), e.g. ``(8, 3)``.
    init_kwargs : dict, optional
    input_data : array-like, optional
        The test batch; standard-normal values of ``input_shape`` by default.
    expected_output_shape : tuple, optional
        The output shape the batch must give, batch axis included.
    custom_objects : dict, optional
        ``{class name: class}`` for ``from_config`` of a class that is not registered.
    tolerance : float
        Largest relative error allowed between the backward pass and autograd.
    seed : int
        Seeds the test data and minikeras' generator.
    run_training_check : bool
        Also train the layer for one epoch in a small model.

    Returns
    -------
    dict
        ``{"gradients": {"training": {name: error}, "inference": {...}}}``, the largest
        relative error per input or weight path.
    """
    previous = config.floatx()
    config.set_floatx("float64")
    try:
        layer = _make_layer(layer_or_class, init_kwargs)
        utils.set_random_seed(seed)
        rng = np.random.default_rng(seed)
        x = (np.asarray(input_data, dtype=np.float64) if input_data is not None
             else rng.standard_normal(tuple(input_shape)))
        outputs = layer(x)
        if expected_output_shape is not None:
            _expect(tuple(outputs.shape) == tuple(expected_output_shape),
                    f"output shape {outputs.shape}, expected {tuple(expected_output_shape)}")
        declared = layer.compute_output_shape((None,) + x.shape[1:])
        _expect(tuple(declared[1:]) == outputs.shape[1:],
                f"compute_output_shape gives {tuple(declared)} but call gives {outputs.shape}")
        report = {"gradients": {mode: _check_gradients(layer, x, training, rng, tolerance)
                                for mode, training in (("training", True),
                                                       ("inference", False))}}
        _check_config_round_trip(layer, x, custom_objects)
        for name, clone in (("deepcopy", copy.deepcopy), ("pickle", _pickled)):
            _check_copy(layer, x, name, clone)
        if run_training_check:
            _check_training(copy.deepcopy(layer), x, rng)
        return report
    finally:
        config.set_floatx(previous)


def _make_layer(layer_or_class, init_kwargs):
    if isinstance(layer_or_class, type) and issubclass(layer_or_class, Layer):
        return layer_or_class(**(init_kwargs or {}))
    if not isinstance(layer_or_class, Layer):
        raise ValueError(
            "Argument `layer_or_class` must be a Layer subclass or an unbuilt Layer, got "
            f"{layer_or_class!r}."
        )
    if layer_or_class.built:
        raise ValueError(
            f"Argument `layer_or_class` is the built layer {layer_or_class.name!r}; pass it "
            "unbuilt (or its class), so that its weights are made in float64."
        )
    return layer_or_class


def _expect(condition, message):
    if not condition:
        raise AssertionError(message)


def _weights_snapshot(layer):
    return [w.numpy() for w in layer.weights]


def _same_weights(a, b):
    return len(a) == len(b) and all(np.array_equal(u, v) for u, v in zip(a, b))


def _check_gradients(layer, x, training, rng, tolerance):
    """Backward pass against autograd's vector-Jacobian product of ``call``."""
    before = _weights_snapshot(layer)
    randomness = utils.RandomState([layer])
    trainable = layer.trainable_weights
    layer.input_gradient_needed = True
    with no_state_updates():
        forward, backward = layer.training_pass()  # what a training step calls
        outputs = forward(x, training)
        upstream = rng.standard_normal(np.shape(outputs))
        grad_x = backward(upstream)
        got = {"inputs": np.asarray(grad_x)}
        got.update({w.path: w.grad.copy() for w in trainable})
        layer.clear_cache()
        randomness.restore()

        def traced(args):
            inputs, values = args
            with layer.substituted(dict(zip(trainable, values))):
                return layer.call_with(inputs, training)

        vjp, reference = make_vjp(traced)((x, [w.value for w in trainable]))
        expected_x, expected_w = vjp(upstream)
    randomness.restore()
    _expect(np.allclose(reference, outputs, rtol=1e-12, atol=1e-12),
            f"forward() and call() disagree (training={training})")
    expected = {"inputs": expected_x, **{w.path: g for w, g in zip(trainable, expected_w)}}
    errors = {}
    for name, value in got.items():
        _expect(np.shape(value) == np.shape(expected[name]),
                f"gradient for {name} has shape {np.shape(value)}, expected "
                f"{np.shape(expected[name])}")
        errors[name] = utils.relative_error(value, expected[name])
        _expect(errors[name] < tolerance,
                f"{'backward' if has_own_backward(type(layer)) else 'autograd'} gradient for "
                f"{name} (training={training}) differs from autograd by {errors[name]:.2e}")
    _expect(_same_weights(before, _weights_snapshot(layer)),
            f"a gradient check (training={training}) changed the layer's weights or state")
    return errors


def _check_config_round_trip(layer, x, custom_objects):
    identifier = layer.serialized()  # a registered class under its registered name
    config_dict = identifier["config"]
    rebuilt = layers_module.get(identifier, custom_objects=custom_objects)
    _expect(type(rebuilt) is type(layer), f"from_config gave a {type(rebuilt).__name__}")
    _expect(rebuilt.get_config() == config_dict,
            f"get_config after from_config differs: {rebuilt.get_config()} != {config_dict}")
    rebuilt(x)
    rebuilt.set_weights(layer.get_weights())
    _expect(np.allclose(rebuilt(x), layer(x), rtol=1e-12, atol=1e-12),
            "a layer rebuilt from its config computes different outputs with the same weights")


def _pickled(layer):
    return pickle.loads(pickle.dumps(layer))


def _check_copy(layer, x, name, clone):
    copied = clone(layer)
    _expect(np.array_equal(copied(x), layer(x)), f"a {name} copy computes different outputs")
    before = _weights_snapshot(layer)
    for w in copied.weights:
        w.assign(w.value + 1.0)
    _expect(_same_weights(before, _weights_snapshot(layer)),
            f"changing a {name} copy's weights changed the original")


def _check_training(layer, x, rng):
    """One epoch in a small model: trainable weights move; predict/evaluate change nothing."""
    model = Sequential([Input(x.shape[1:]), layer, Flatten(), layers_module.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    y = rng.standard_normal((len(x), 1))
    state = _weights_snapshot(layer)
    model.predict(x, verbose=0)
    model.evaluate(x, y, verbose=0)
    _expect(_same_weights(state, _weights_snapshot(layer)),
            "predict or evaluate changed the layer's weights or state")
    trained = [w.numpy() for w in layer.trainable_weights]
    model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    for before, w in zip(trained, layer.trainable_weights):
        _expect(not np.array_equal(before, w.numpy()), f"fit did not change {w.path}")
