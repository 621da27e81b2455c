"""Keras compatibility as a promise: Keras 3 scripts, written as a Keras user writes them,
run unchanged with ``import minikeras as keras``."""

import numpy as np
import pytest

import minikeras as keras


@pytest.fixture
def iris():
    from sklearn.datasets import load_iris

    x, y = load_iris(return_X_y=True)
    return x.astype("float32"), y


def test_the_getting_started_script(iris, tmp_path):
    x, y = iris
    keras.utils.set_random_seed(42)
    model = keras.Sequential(
        [
            keras.Input(shape=(4,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dropout(0.1),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-2),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    model.summary()
    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True),
        keras.callbacks.ModelCheckpoint(str(tmp_path / "best.keras"), save_best_only=True),
    ]
    history = model.fit(x, y, batch_size=16, epochs=60, validation_split=0.2,
                        callbacks=callbacks, verbose=0)
    assert "val_sparse_categorical_accuracy" in history.history
    scores = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(scores) == {"loss", "sparse_categorical_accuracy"}
    assert scores["sparse_categorical_accuracy"] > 0.9

    model.save(tmp_path / "model.keras")
    restored = keras.models.load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    assert (tmp_path / "best.keras").exists()


def test_one_hot_targets_and_string_identifiers(iris):
    x, y = iris
    keras.utils.set_random_seed(1)
    y_onehot = keras.utils.to_categorical(y, num_classes=3)
    model = keras.Sequential()
    model.add(keras.layers.Input(shape=(4,)))
    model.add(keras.layers.Dense(8, activation="tanh", kernel_initializer="he_normal",
                                 kernel_regularizer=keras.regularizers.l2(1e-4)))
    model.add(keras.layers.Dense(3, activation="softmax"))
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y_onehot, epochs=40, batch_size=32, verbose=0)
    loss, accuracy = model.evaluate(x, y_onehot, verbose=0)
    assert accuracy > 0.8 and loss < 1.0
    assert model.predict(x[:5], verbose=0).shape == (5, 3)


@keras.saving.register_keras_serializable(package="KerasScripts")
class Linear(keras.layers.Layer):
    """The layer from Keras' "making new layers" guide, unchanged."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                 initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return keras.ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


def test_a_custom_layer_with_add_weight_and_ops(iris, tmp_path):
    x, y = iris
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input(shape=(4,)), Linear(16),
                              keras.layers.Activation("relu"), Linear(3),
                              keras.layers.Softmax()])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=50, verbose=0)
    assert history.history["accuracy"][-1] > 0.8
    assert [w.shape for w in model.layers[0].weights] == [(4, 16), (16,)]
    model.save(tmp_path / "custom.keras")
    restored = keras.models.load_model(tmp_path / "custom.keras")
    assert restored.layers[0].units == 16
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_a_custom_loss_and_metric_function(iris):
    x, y = iris

    def smooth_l1(y_true, y_pred):
        error = keras.ops.abs(y_true - y_pred)
        return keras.ops.mean(keras.ops.where(error < 1.0, 0.5 * error ** 2, error - 0.5),
                              axis=-1)

    keras.utils.set_random_seed(0)
    targets = x[:, :1] * 2.0
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
                  loss=smooth_l1, metrics=["mae"])
    history = model.fit(x, targets, epochs=30, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_train_on_batch_and_learning_rate_schedules(iris):
    x, y = iris
    keras.utils.set_random_seed(0)
    schedule = keras.optimizers.schedules.ExponentialDecay(
        initial_learning_rate=1e-2, decay_steps=10, decay_rate=0.9)
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3,
                                                                          activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=schedule),
                  loss="sparse_categorical_crossentropy")
    for start in range(0, len(x), 30):
        loss = model.train_on_batch(x[start:start + 30], y[start:start + 30])
    assert np.isfinite(loss) and model.optimizer.iterations == 5


def test_keras_3_spellings_of_weights_and_initializers():
    model = keras.Sequential([
        keras.Input((3,)),
        keras.layers.Dense(2, kernel_initializer=lambda shape, dtype=None: np.full(shape, 0.5)),
    ])
    assert model.trainable_variables == model.trainable_weights
    assert model.variables == model.weights
    assert model.non_trainable_variables == model.non_trainable_weights == []
    assert model.layers[0].trainable_variables == model.layers[0].trainable_weights
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), np.full((3, 2), 0.5))

    class Scale(keras.layers.Layer):
        def build(self, input_shape):  # initializer=None: glorot_uniform, as in Keras
            self.w = self.add_weight(shape=(input_shape[-1],), initializer=None)

        def call(self, inputs):
            return inputs * self.w

    assert Scale()(np.ones((2, 3), "float32")).shape == (2, 3)
    with pytest.raises(ValueError, match="returned shape"):
        keras.layers.Dense(2, kernel_initializer=lambda shape, dtype=None: np.ones(3)).build(
            (None, 3))
