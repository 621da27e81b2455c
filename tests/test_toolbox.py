"""Keras spellings and one-batch methods: functions as activations and losses, regularizer
aliases, Loss subclasses, activation layers, GaussianNoise, Reshape, get_layer,
train_on_batch / test_on_batch / predict_on_batch."""

import autograd
import numpy as np
import pytest

import minikeras as mk
from minikeras import activations, layers, losses, ops, regularizers


def _data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(48, 3))
    return x, (x @ np.array([[1.0], [-2.0], [0.5]])) + 0.1


def _model(loss="mse", seed=0, optimizer="adam", **dense):
    mk.utils.set_random_seed(seed)
    model = mk.Sequential([mk.Input((3,)), layers.Dense(6, activation="tanh", **dense),
                           layers.Dense(1)])
    model.compile(optimizer=optimizer, loss=loss, metrics=["mae"])
    return model


# ---------------------------------------------------------------- one batch

def test_train_on_batch_loss_equals_a_one_batch_fit():
    x, y = _data()
    a, b = _model(), _model()
    history = a.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    loss, mae = b.train_on_batch(x, y)
    assert loss == history.history["loss"][0] and mae == history.history["mae"][0]
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(u, v)
    assert b.optimizer.iterations == 1


def test_one_batch_methods_return_keras_forms():
    x, y = _data()
    model = _model()
    logs = model.train_on_batch(x[:8], y[:8], return_dict=True)
    assert set(logs) == {"loss", "mae"}
    model.reset_metrics()
    loss, mae = model.test_on_batch(x[:8], y[:8])
    assert loss == pytest.approx(model.evaluate(x[:8], y[:8], verbose=0)[0], rel=1e-12)
    np.testing.assert_array_equal(model.predict_on_batch(x[:8]), model.predict(x[:8], verbose=0))
    plain = mk.Sequential([mk.Input((3,)), layers.Dense(1)])
    plain.compile(optimizer="sgd", loss="mse")
    assert isinstance(plain.train_on_batch(x, y), float)
    with pytest.raises(RuntimeError, match="compile"):
        mk.Sequential([mk.Input((3,)), layers.Dense(1)]).train_on_batch(x, y)


def test_get_layer():
    model = mk.Sequential([mk.Input((3,)), layers.Dense(2, name="first"), layers.Dense(1)])
    assert model.get_layer("first") is model.layers[0]
    assert model.get_layer(index=-1) is model.layers[1]
    with pytest.raises(ValueError, match="only a layer name or a layer index"):
        model.get_layer(name="first", index=1)  # as Keras 3
    with pytest.raises(ValueError, match="names no layer"):
        model.get_layer("missing")
    with pytest.raises(ValueError, match="out of range"):
        model.get_layer(index=5)
    with pytest.raises(ValueError, match="either"):
        model.get_layer()


# ---------------------------------------------------------------- Keras spellings

def test_activation_functions_are_usable_and_resolve_to_hand_written_classes():
    z = np.linspace(-3, 3, 13)
    assert isinstance(activations.get(activations.relu), activations.ReLU)
    assert isinstance(layers.Dense(2, activation=activations.softmax).activation,
                      activations.Softmax)
    np.testing.assert_allclose(activations.relu(z), np.maximum(z, 0))
    np.testing.assert_allclose(activations.relu(z, max_value=1.0), np.clip(z, 0, 1))
    np.testing.assert_allclose(activations.relu(z, negative_slope=0.1, threshold=1.0),
                               np.where(z > 1.0, z, 0.1 * (z - 1.0)))
    np.testing.assert_allclose(activations.sigmoid(z), 1 / (1 + np.exp(-z)))
    np.testing.assert_allclose(activations.tanh(z), np.tanh(z))
    np.testing.assert_allclose(activations.softmax(z[None])[0], np.exp(z) / np.exp(z).sum())
    np.testing.assert_allclose(activations.leaky_relu(z), np.where(z > 0, z, 0.2 * z))
    np.testing.assert_allclose(activations.swish(z), z / (1 + np.exp(-z)))


def test_regularizer_spellings_add_to_the_loss_and_the_gradients(float64):
    assert isinstance(regularizers.l2(0.01), regularizers.L2)
    assert regularizers.l1_l2(l1=0.1, l2=0.2).get_config() == {"l1": 0.1, "l2": 0.2}
    x, y = _data()
    plain = _model()
    penalized = _model(kernel_regularizer=regularizers.l2(0.5),
                       bias_regularizer=regularizers.l1(0.3))
    kernel, bias = (w.value for w in penalized.layers[0].weights)
    expected = 0.5 * np.sum(kernel ** 2) + 0.3 * np.sum(np.abs(bias))
    assert penalized.evaluate(x, y, verbose=0)[0] == pytest.approx(
        plain.evaluate(x, y, verbose=0)[0] + expected, rel=1e-12)
    report = mk.utils.check_gradients(penalized, x[:10], y[:10])
    assert max(e["autograd"] for e in report.values()) < 1e-7
    assert max(e["numerical"] for e in report.values()) < 1e-5
    loss, grads = penalized.loss_and_gradients(x[:10], y[:10])
    _, plain_grads = plain.loss_and_gradients(x[:10], y[:10])
    path = penalized.layers[0].kernel.path
    np.testing.assert_allclose(grads[path] - plain_grads[plain.layers[0].kernel.path],
                               2 * 0.5 * kernel, rtol=1e-9)


def test_loss_functions_and_keras_style_subclasses():
    y_true, y_pred = np.array([[1.0], [2.0]]), np.array([[1.5], [1.0]])
    np.testing.assert_allclose(losses.mean_squared_error(y_true, y_pred), [0.25, 1.0])
    np.testing.assert_allclose(losses.mae(y_true, y_pred), [0.5, 1.0])
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy(
        [1], [[0.2, 0.8]]), [-np.log(0.8)], rtol=1e-6)
    assert isinstance(losses.get(losses.mean_squared_error), losses.MeanSquaredError)

    class Quartic(losses.Loss):  # written as a Keras user writes it: call only
        def call(self, y_true, y_pred):
            return ops.mean((y_true - y_pred) ** 4, axis=-1)

    x, y = _data()
    model = _model(loss=Quartic(name="quartic"), optimizer=mk.optimizers.Adam(0.01))
    history = model.fit(x, y, epochs=30, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    summed = Quartic(reduction="sum")
    assert summed(y_true, y_pred) == pytest.approx(0.5 ** 4 + 1.0)
    np.testing.assert_allclose(summed.gradient(y_true, y_pred), 4 * (y_pred - y_true) ** 3)
    with pytest.raises(ValueError, match="reduction"):
        Quartic(reduction="median")


def test_a_subclass_of_a_built_in_loss_is_not_fused_away():
    class Doubled(losses.SparseCategoricalCrossentropy):
        def call(self, y_true, y_pred):
            return 2 * super().call(y_true, y_pred)

    model = mk.Sequential([mk.Input((3,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss=Doubled())
    x, y = _data()[0], np.array([0, 1] * 24)
    plain = losses.SparseCategoricalCrossentropy()(y, model.predict(x, verbose=0))
    assert model.evaluate(x, y, verbose=0) == pytest.approx(2 * plain, rel=1e-5)


# ---------------------------------------------------------------- layers

def test_activation_layers_follow_keras_defaults():
    z = np.linspace(-2, 2, 9)[None]
    np.testing.assert_allclose(layers.LeakyReLU()(z), np.where(z > 0, z, 0.3 * z), rtol=1e-6)
    np.testing.assert_allclose(layers.ReLU(max_value=1.0)(z), np.clip(z, 0, 1))
    np.testing.assert_allclose(layers.ELU(alpha=0.5)(z), np.where(z > 0, z, 0.5 * np.expm1(z)),
                               rtol=1e-6)
    assert layers.Softmax().get_config()["axis"] == -1
    model = mk.Sequential([mk.Input((3,)), layers.Dense(2), layers.Softmax()])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    assert model._step_plan().fused_loss is not None  # a Softmax layer fuses like Activation


def test_gaussian_noise_and_reshape():
    x = np.ones((200, 6), dtype=np.float32)
    noise = layers.GaussianNoise(0.5, seed=1)
    np.testing.assert_array_equal(noise(x), x)  # inference: identity
    noisy = noise(x, training=True)
    assert noisy.dtype == np.float32 and abs(np.std(noisy - x) - 0.5) < 0.03
    reshape = layers.Reshape((2, -1))
    assert reshape(x).shape == (200, 2, 3) and reshape.compute_output_shape((None, 6)) == (None, 2, 3)
    with pytest.raises(ValueError, match="target_shape"):
        layers.Reshape((-1, -1))
    with pytest.raises(ValueError, match="does not fit"):
        layers.Reshape((4,))(x)
    model = mk.Sequential([mk.Input((6,)), layers.Reshape((3, 2)), layers.Flatten(),
                           layers.GaussianNoise(0.1), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, np.ones(200), epochs=1, verbose=0)


def test_a_subclass_changing_call_is_differentiated_by_autograd(float64):
    class ScaledMSE(losses.MeanSquaredError):
        def call(self, y_true, y_pred):
            return 10.0 * super().call(y_true, y_pred)

    class DoubledCE(losses.CategoricalCrossentropy):
        def call(self, y_true, y_pred):
            return 2.0 * super().call(y_true, y_pred)

    rng = np.random.default_rng(0)
    p, t = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    np.testing.assert_allclose(ScaledMSE().gradient(t, p), 10 * 2 * (p - t) / 15, rtol=1e-12)
    logits, onehot = rng.normal(size=(5, 3)), np.eye(3)[rng.integers(0, 3, 5)]
    doubled = DoubledCE(from_logits=True)
    value, grad = doubled.value_and_gradient(onehot, logits)
    plain_value, plain_grad = losses.CategoricalCrossentropy(from_logits=True).value_and_gradient(
        onehot, logits)
    assert value == pytest.approx(2 * plain_value) and doubled(onehot, logits) == pytest.approx(value)
    np.testing.assert_allclose(grad, 2 * plain_grad, rtol=1e-12)
    x, y = _data()
    model = _model(loss=ScaledMSE())
    report = mk.utils.check_gradients(model, x[:8], y[:8])
    assert max(e["autograd"] for e in report.values()) < 1e-7


def test_sum_reduction_of_per_element_values_sums_every_element():
    class Elementwise(losses.Loss):
        def call(self, y_true, y_pred):
            return (y_true - y_pred) ** 2

    assert Elementwise(reduction="sum")(np.zeros((4, 3)), np.ones((4, 3))) == pytest.approx(12.0)
    assert Elementwise()(np.zeros((4, 3)), np.ones((4, 3))) == pytest.approx(1.0)


def test_plain_gradient_descent_is_full_batch_by_default():
    x, y = _data()
    model = _model(optimizer="gd")
    assert isinstance(model.optimizer, mk.optimizers.GradientDescent)
    model.fit(x, y, epochs=3, verbose=0)
    assert model.optimizer.iterations == 3  # one step per epoch: the whole data set
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert model.optimizer.iterations == 6
    sgd = _model(optimizer="sgd")
    sgd.fit(x, y, epochs=1, verbose=0)
    assert sgd.optimizer.iterations == 2  # Keras' default of 32 for the others


def test_new_user_conveniences(capsys, monkeypatch):
    import io

    x, y = _data()
    labels = (y[:, 0] > 0).astype(int)
    model = mk.Sequential([mk.Input((3,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_crossentropy"])
    history = model.fit(x, labels, epochs=2, verbose=False)  # booleans, as Keras accepts
    assert capsys.readouterr().out == ""
    np.testing.assert_allclose(history.history["sparse_categorical_crossentropy"],
                               history.history["loss"], rtol=1e-5)
    model.evaluate(x, labels, verbose=True)
    assert "loss:" in capsys.readouterr().out
    with pytest.raises(ValueError, match="no functional API"):
        layers.Dense(4)(mk.Input((8,)))
    assert mk.ops.cast(mk.Variable(np.ones(2)), "int32").dtype == np.int32
    stream = io.TextIOWrapper(io.BytesIO(), encoding="cp1252")
    monkeypatch.setattr("sys.stdout", stream)
    model.summary()  # falls back to ASCII where box-drawing characters cannot be written
    stream.seek(0)
    assert "+---" in stream.read()


class CubedL1(regularizers.Regularizer):
    """A Keras-style regularizer: __call__ only, autograd gives the gradient."""

    def __init__(self, strength=0.1):
        self.strength = strength

    def __call__(self, w):
        return self.strength * ops.sum(ops.abs(w) ** 3)


class QuarticL2(regularizers.L2):
    """Changes L2's __call__ alone: L2's hand-written gradient no longer applies."""

    def __call__(self, w):
        return self.l2 * ops.sum(w ** 4)


@pytest.mark.parametrize("regularizer", [CubedL1(0.1), QuarticL2(0.1),
                                         lambda w: 0.1 * ops.sum(w ** 4)],
                         ids=["subclass", "l2-subclass", "function"])
def test_regularizers_written_by_users_train_on_their_gradient(float64, rng, regularizer):
    x, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 1))
    model = mk.Sequential([mk.Input((3,)), layers.Dense(4, kernel_regularizer=regularizer),
                           layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    kernel = model.layers[0].kernel.numpy()
    penalty = float(regularizer(kernel))
    assert penalty > 0
    plain = float(np.mean((model.predict(x, verbose=0) - y) ** 2))
    assert model.evaluate(x, y, verbose=0) == pytest.approx(plain + penalty, rel=1e-10)
    report = mk.utils.check_gradients(model, x, y)
    assert max(e["numerical"] for e in report.values()) < 1e-6
    assert max(e["autograd"] for e in report.values()) < 1e-10
    twin = mk.Sequential([mk.Input((3,)), layers.Dense(4), layers.Dense(1)])  # no penalty
    twin.set_weights(model.get_weights())
    twin.compile(optimizer="sgd", loss="mse")
    with_penalty = list(model.loss_and_gradients(x, y)[1].values())[0]
    bare = list(twin.loss_and_gradients(x, y)[1].values())[0]
    np.testing.assert_allclose(with_penalty - bare, autograd.grad(regularizer)(kernel),
                               rtol=1e-9, atol=1e-12)
    history = model.fit(x, y, epochs=3, verbose=0).history["loss"]
    assert history[-1] < history[0]


def test_a_regularizer_may_have_an_attribute_called_penalty(rng):
    class Smooth(regularizers.Regularizer):
        def __init__(self, penalty=0.01):
            self.penalty = penalty

        def __call__(self, w):
            return self.penalty * ops.sum(w ** 2)

    model = mk.Sequential([mk.Input((3,)), layers.Dense(2, kernel_regularizer=Smooth(0.1))])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(rng.normal(size=(8, 3)), rng.normal(size=(8, 2)), epochs=2,
                        verbose=0).history["loss"]
    assert len(history) == 2


def test_leaky_relu_layer_takes_keras_2_alpha_with_a_warning():
    with pytest.warns(UserWarning, match="negative_slope"):
        layer = layers.LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1
    np.testing.assert_allclose(layer(np.array([[-2.0, 3.0]])), [[-0.2, 3.0]])
    assert type(layer).from_config(layer.get_config()).negative_slope == 0.1


def test_learning_rate_reads_as_the_current_float_as_in_keras():
    schedule = mk.optimizers.schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    opt = mk.optimizers.SGD(schedule)
    assert opt.learning_rate == pytest.approx(0.1)
    assert opt.learning_rate_schedule is schedule
    w = mk.Variable(np.ones(2))
    opt.apply_gradients([(np.ones(2), w)])
    opt.apply_gradients([(np.ones(2), w)])
    assert float(opt.learning_rate) == pytest.approx(0.05)  # at iterations == 2
    with pytest.raises(TypeError, match="schedule"):
        opt.learning_rate = 0.01
    assert opt.learning_rate_schedule is schedule  # the refused assignment changed nothing
    counter = iter(range(1, 100))
    by_function = mk.optimizers.SGD(lambda: 0.1 / next(counter))
    assert by_function.learning_rate == pytest.approx(0.1)
    plain = mk.optimizers.Adam(0.01)
    assert plain.learning_rate == 0.01 and plain.learning_rate_schedule is None
    plain.learning_rate = schedule  # a schedule may replace a float, as in Keras
    assert plain.learning_rate_schedule is schedule
    assert mk.optimizers.get(mk.optimizers.serialize(plain)).learning_rate_schedule.get_config() \
        == schedule.get_config()
