import numpy as np
import pytest
from autograd import make_vjp

import minikeras as mk
from minikeras import layers, ops

from helpers import assert_close_gradient


def _check_layer_gradients(layer, x, rng):
    """Compare a layer's backward (input and weight gradients) with autograd."""
    outputs = layer.forward(x, training=True)
    upstream = rng.normal(size=outputs.shape)
    grad_x = layer.backward(upstream)

    def traced(args):
        inputs, values = args
        with layer.substituted(dict(zip(layer.weights, values))):
            return layer.call_with(inputs, True)

    vjp, _ = make_vjp(traced)((x, [w.value for w in layer.weights]))
    expected_x, expected_w = vjp(upstream)
    assert_close_gradient(grad_x, expected_x)
    for got, expected in zip(layer.gradients, expected_w):
        assert_close_gradient(got, expected)


@pytest.mark.parametrize("activation", ["linear", "relu", "sigmoid", "tanh", "softmax", "elu",
                                        "gelu", "silu", "softplus", "leaky_relu"])
def test_dense_backward_matches_autograd(activation, float64, rng):
    layer = layers.Dense(5, activation=activation, bias_initializer="random_normal")
    x = rng.normal(size=(8, 3))
    layer(x)
    _check_layer_gradients(layer, x, rng)


def test_dense_without_bias(float64, rng):
    layer = layers.Dense(4, use_bias=False)
    x = rng.normal(size=(6, 3))
    layer(x)
    assert len(layer.weights) == 1
    _check_layer_gradients(layer, x, rng)


def test_activation_layer_backward(float64, rng):
    layer = layers.Activation("tanh")
    x = rng.normal(size=(4, 3))
    layer(x)
    _check_layer_gradients(layer, x, rng)


def test_flatten_backward(float64, rng):
    layer = layers.Flatten()
    x = rng.normal(size=(4, 2, 3))
    assert layer(x).shape == (4, 6)
    assert layer.compute_output_shape((None, 2, 3)) == (None, 6)
    _check_layer_gradients(layer, x, rng)


def test_dropout_is_inverted_and_training_only(float64, rng):
    mk.utils.set_random_seed(3)
    layer = layers.Dropout(0.25)
    x = np.ones((2000, 10))
    np.testing.assert_array_equal(layer(x, training=False), x)
    out = layer.forward(x, training=True)
    kept = out != 0
    assert 0.7 < kept.mean() < 0.8
    np.testing.assert_allclose(out[kept], 1 / 0.75)
    upstream = rng.normal(size=x.shape)
    np.testing.assert_allclose(layer.backward(upstream), upstream * out)


def test_dense_shapes_and_config():
    layer = layers.Dense(3, activation="relu", input_shape=(4,))
    out = layer(np.zeros((2, 4)))
    assert out.shape == (2, 3) and layer.kernel.shape == (4, 3) and layer.bias.shape == (3,)
    assert layer.count_params() == 15
    config = layer.get_config()
    assert config["units"] == 3 and config["activation"]["class_name"] == "ReLU"
    clone = layers.Dense.from_config(config)
    assert clone.units == 3 and isinstance(clone.activation, mk.activations.ReLU)


def test_dense_checks_feature_count():
    layer = layers.Dense(2)
    layer(np.zeros((1, 4)))
    with pytest.raises(ValueError, match=r"expects inputs of shape \(None, 4\).*got \(5,\)"):
        layer(np.zeros((1, 5)))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="units"):
        layers.Dense(0)
    with pytest.raises(ValueError, match="rate"):
        layers.Dropout(1.5)
    with pytest.raises(TypeError, match="unexpected keyword"):
        layers.Dense(3, activaton="relu")


def test_set_weights_checks_before_changing(rng):
    layer = layers.Dense(2)
    layer(np.zeros((1, 3)))
    before = layer.get_weights()
    with pytest.raises(ValueError, match=r"shape \(3, 2\).*\(2, 2\)"):
        layer.set_weights([np.ones((2, 2)), np.ones(2)])
    for a, b in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(a, b)
    kernel = layer.kernel
    layer.set_weights([np.ones((3, 2)), np.zeros(2)])
    assert layer.kernel is kernel and np.all(kernel == 1)  # the same variable, new values


class Scale(layers.Layer):
    """A user layer written with only build and call: autograd supplies backward."""

    def build(self, input_shape):
        self.w = self.add_weight((input_shape[-1],), initializer="ones", name="w")
        self.b = self.add_weight((1,), initializer="zeros", name="b")

    def call(self, inputs):
        return ops.tanh(inputs * self.w) + self.b


class NoisyScale(Scale):
    def call(self, inputs, training=False):
        out = super().call(inputs)
        return out * (1.0 if not training else 1.0)


@pytest.mark.parametrize("cls", [Scale, NoisyScale])
def test_custom_layer_gradients_by_autograd(cls, float64, rng):
    layer = cls()
    x = rng.normal(size=(5, 3))
    layer(x)
    _check_layer_gradients(layer, x, rng)


def test_custom_layer_trains_in_a_model(float64, rng):
    mk.utils.set_random_seed(0)
    x = rng.normal(size=(200, 3))
    y = (x @ np.array([1.0, -2.0, 0.5]) > 0).astype(int)
    model = mk.Sequential([mk.Input((3,)), Scale(), layers.Dense(16, activation="relu"),
                           layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    w_before = model.layers[0].w.copy()
    history = model.fit(x, y, epochs=60, batch_size=20, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.9
    assert not np.allclose(model.layers[0].w, w_before)


def test_trainable_false_freezes(rng):
    mk.utils.set_random_seed(0)
    frozen = layers.Dense(4, activation="relu")
    model = mk.Sequential([mk.Input((3,)), frozen, layers.Dense(1)])
    frozen.trainable = False
    model.compile(optimizer="sgd", loss="mse")
    before = frozen.get_weights()
    head = model.layers[1].get_weights()
    model.fit(rng.normal(size=(32, 3)), rng.normal(size=(32, 1)), epochs=2, verbose=0)
    for a, b in zip(before, frozen.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(head[0], model.layers[1].get_weights()[0])
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2


def test_weight_kept_outside_attributes_gets_clear_error():
    class Hidden(layers.Layer):
        def build(self, input_shape):
            self.store = [self.add_weight((input_shape[-1],))]

        def call(self, inputs):
            return inputs * self.store[0]

    layer = Hidden()
    layer(np.ones((1, 2)))
    with pytest.raises(ValueError, match="self.<name>"):
        layer.forward(np.ones((1, 2)))


def test_unique_names():
    a, b = layers.Dense(1), layers.Dense(1)
    assert a.name != b.name and a.name.startswith("dense")


def test_a_layer_built_by_hand_is_built(rng):
    # Keras 3: layer.build(shape) leaves the layer built, with its weights, ready to call
    class Scale(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight((input_shape[-1],), initializer="ones", name="w")

        def call(self, inputs):
            return inputs * self.w

    class Extra(layers.Dense):  # a build calling super().build
        def build(self, input_shape):
            super().build(input_shape)
            self.extra = self.add_weight((1,), initializer="zeros", name="extra")

    x = rng.normal(size=(4, 3)).astype("float32")
    dense, scale, extra = layers.Dense(2), Scale(), Extra(2)
    for layer in (dense, scale, extra):
        layer.build((None, 3))
        assert layer.built and layer.input_shape == (None, 3)
    assert [w.name for w in extra.weights] == ["kernel", "bias", "extra"]
    assert dense(x).shape == (4, 2)
    with pytest.raises(ValueError, match="does not fit"):
        dense(np.ones((4, 5), "float32"))
    model = mk.Sequential([mk.Input((3,)), scale, extra])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.ones((4, 2), "float32"), epochs=1, verbose=0)
    assert [w.path for w in model.weights] == [
        f"{scale.name}/w", f"{extra.name}/kernel", f"{extra.name}/bias", f"{extra.name}/extra"]


def test_input_takes_keras_batch_shape_and_batch_size():
    assert layers.Input(batch_shape=(None, 4)).shape == (4,)
    assert layers.Input((4,), batch_size=8).shape == (4,)
    with pytest.raises(ValueError, match="batch_shape"):
        layers.Input((4,), batch_shape=(None, 4))
    with pytest.raises(ValueError, match="batch_size"):
        layers.Input((4,), batch_size=0)
    assert layers.Input(batch_shape=(8, 4), batch_size=8).shape == (4,)
    for bad in (("x", 4), (-3, 4), (8, 4)):
        with pytest.raises(ValueError, match="batch_shape"):
            layers.Input(batch_shape=bad, batch_size=16)


def test_build_by_hand_marks_only_a_finished_build():
    class Failing(layers.Dense):
        def build(self, input_shape):
            super().build(input_shape)
            raise RuntimeError("not this time")

    class Keyword(layers.Layer):
        def build(self, shape):
            self.w = self.add_weight((shape[-1],), name="w")

        def call(self, inputs):
            return inputs * self.w

    failing = Failing(2)
    with pytest.raises(RuntimeError):
        failing.build((None, 3))
    assert not failing.built
    keyword = Keyword()
    keyword.build(shape=(None, 3))
    assert keyword.built and keyword.input_shape == (None, 3)
    dense = layers.Dense(2)
    with pytest.raises(TypeError):
        dense.build(None)
    assert not dense.built
