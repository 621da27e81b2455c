import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minikeras as mk
from minikeras import layers



def _iris_model(kernel_initializer="glorot_uniform"):
    return mk.Sequential([
        mk.Input((4,)),
        layers.Dense(8, activation="sigmoid", kernel_initializer=kernel_initializer),
        layers.Dense(3, activation="softmax", kernel_initializer=kernel_initializer),
    ])


def test_notebook_forward_pass_reproduced(float64):
    np.random.seed(2024)
    x = np.random.randn(2)
    W1 = np.random.randn(4, 2)
    b1 = np.random.randn(4)
    W2 = np.random.randn(8, 4)
    b2 = np.random.randn(8)
    model = mk.Sequential([mk.Input((2,)), layers.Dense(4, activation="relu"),
                           layers.Dense(8, activation="relu")])
    model.set_weights([W1.T, b1, W2.T, b2])  # Keras layout: kernel is (inputs, units)
    a1 = model.layers[0](x[None, :])[0]
    a2 = model.predict(x[None, :], verbose=0)[0]
    np.testing.assert_allclose(a1, [0.60610368, 4.0076268, 0.0, 0.56469864], atol=1e-8)
    np.testing.assert_allclose(a2, [4.84538217, 0, 0, 0, 2.83437944, 0, 2.45350499, 0],
                               atol=1e-8)


def test_iris_full_batch_gradient_descent(iris):
    x, y = iris
    mk.utils.set_random_seed(2024)
    model = _iris_model()
    # The notebook summed the loss with learning rate 0.001; Keras losses are batch means,
    # so the same step is 0.001 * 150.
    model.compile(optimizer=mk.optimizers.SGD(learning_rate=0.15),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, mk.utils.to_categorical(y), batch_size=len(x), epochs=1500,
                        shuffle=False, verbose=0)
    assert history.history["accuracy"][-1] >= 0.96
    loss, accuracy = model.evaluate(x, mk.utils.to_categorical(y), verbose=0)
    assert accuracy >= 0.96 and loss < history.history["loss"][0]


def test_autograd_gradients_equal_backprop(float64, rng):
    x = rng.normal(size=(16, 4))
    y = rng.integers(0, 3, 16)
    results = {}
    for mode in ("backprop", "autograd"):
        mk.utils.set_random_seed(7)
        model = mk.Sequential([mk.Input((4,)), layers.Dense(6, activation="tanh",
                                                            kernel_regularizer="l2"),
                               layers.Dense(5, activation="elu"), layers.Dense(3, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"], gradients=mode)
        history = model.fit(x, y, batch_size=4, epochs=3, verbose=0)
        results[mode] = (history.history["loss"], model.get_weights())
    np.testing.assert_allclose(results["autograd"][0], results["backprop"][0], rtol=1e-12)
    for a, b in zip(*(results[m][1] for m in ("autograd", "backprop"))):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("loss, activation, y_kind", [
    ("categorical_crossentropy", "softmax", "onehot"),
    ("sparse_categorical_crossentropy", "softmax", "labels"),
    ("binary_crossentropy", "sigmoid", "binary"),
    ("mse", "linear", "real"), ("mae", "tanh", "real"), ("huber", "linear", "real"),
    ("categorical_crossentropy", "relu", "onehot_soft"),
])
def test_check_gradients_every_loss(loss, activation, y_kind, float64, rng):
    mk.utils.set_random_seed(1)
    width = 1 if y_kind == "binary" else 3
    x = rng.normal(size=(10, 4))
    y = {"onehot": np.eye(3)[rng.integers(0, 3, 10)],
         "onehot_soft": np.eye(3)[rng.integers(0, 3, 10)],
         "labels": rng.integers(0, 3, 10),
         "binary": rng.integers(0, 2, (10, 1)).astype(float),
         "real": rng.normal(size=(10, 3))}[y_kind]
    head = [layers.Dense(width, activation=activation)]
    if y_kind == "onehot_soft":  # a softmax in its own layer: not fused, probabilities path
        head = [layers.Dense(width), layers.Activation("softmax")]
    model = mk.Sequential([mk.Input((4,)), layers.Dense(5, activation="sigmoid"),
                           layers.Dropout(0.0), layers.Flatten(), *head])
    model.compile(optimizer="sgd", loss=loss)
    report = mk.utils.check_gradients(model, x, y, sample_weight=rng.uniform(0.5, 1.5, 10))
    for name, errors in report.items():
        assert errors["autograd"] < 1e-7, name
        assert errors["numerical"] < 1e-5, name


def test_same_seed_same_run_bit_for_bit(iris):
    x, y = iris

    def run():
        mk.utils.set_random_seed(42)
        model = mk.Sequential([mk.Input((4,)), layers.Dense(16, activation="relu"),
                               layers.Dropout(0.2), layers.Dense(3, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        history = model.fit(x, y, batch_size=16, epochs=5, validation_split=0.2, verbose=0)
        return history.history, model.get_weights()

    (h1, w1), (h2, w2) = run(), run()
    assert h1 == h2
    for a, b in zip(w1, w2):
        assert a.dtype == np.float32
        np.testing.assert_array_equal(a, b)


def test_history_keys_and_validation(iris):
    x, y = iris
    mk.utils.set_random_seed(0)
    model = _iris_model()
    model.compile(optimizer="adam", loss="categorical_crossentropy",
                  metrics=["accuracy", "mae"])
    onehot = mk.utils.to_categorical(y)
    history = model.fit(x, onehot, epochs=3, validation_data=(x[:30], onehot[:30]), verbose=0)
    assert set(history.history) == {"loss", "accuracy", "mae", "val_loss", "val_accuracy", "val_mae"}
    assert all(len(v) == 3 for v in history.history.values())
    assert model.history is history and history.epoch == [0, 1, 2]
    assert isinstance(model.metrics_names, list) and model.metrics_names[0] == "loss"


def test_evaluate_over_batches_equals_whole_data(float64, iris):
    x, y = iris
    mk.utils.set_random_seed(0)
    model = _iris_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    whole = model.evaluate(x, y, batch_size=len(x), verbose=0, return_dict=True)
    batched = model.evaluate(x, y, batch_size=7, verbose=0, return_dict=True)
    assert whole.keys() == batched.keys() == {"loss", "accuracy"}
    for key in whole:
        assert batched[key] == pytest.approx(whole[key], rel=1e-12)
    probabilities = model.predict(x, batch_size=13, verbose=0)
    expected_loss = -np.mean(np.log(probabilities[np.arange(len(y)), y]))
    assert whole["loss"] == pytest.approx(expected_loss, rel=1e-10)
    assert whole["accuracy"] == np.mean(probabilities.argmax(1) == y)


def test_evaluate_return_forms(iris):
    x, y = iris
    model = _iris_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert isinstance(model.evaluate(x, y, verbose=0), float)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["acc"])
    assert len(model.evaluate(x, y, verbose=0)) == 2


def test_accuracy_resolved_from_loss():
    model = mk.Sequential([mk.Input((2,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    assert isinstance(model.metrics[0], mk.metrics.BinaryAccuracy)
    model = mk.Sequential([mk.Input((2,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    assert isinstance(model.metrics[0], mk.metrics.CategoricalAccuracy)


def test_binary_classification_and_regression_train(rng):
    mk.utils.set_random_seed(0)
    x = rng.normal(size=(300, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(float)
    model = mk.Sequential([mk.Input((2,)), layers.Dense(16, activation="tanh"),
                           layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=mk.optimizers.Adam(0.02), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=60, batch_size=32, verbose=0)
    assert model.evaluate(x, y, verbose=0)[1] > 0.9

    target = np.sin(x[:, :1]) + 0.5 * x[:, 1:]
    reg = mk.Sequential([layers.Dense(32, activation="relu", input_shape=(2,)), layers.Dense(1)])
    reg.compile(optimizer=mk.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    history = reg.fit(x, target, epochs=60, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.05 * np.var(target)


def test_summary_table(capsys):
    model = _iris_model()
    model.summary()
    text = capsys.readouterr().out
    assert "(None, 8)" in text and "(None, 3)" in text
    assert "Total params: 67" in text and "Trainable params: 67" in text
    assert model.count_params() == 67


def test_summary_options_as_keras():
    model = _iris_model()
    model.layers[0].trainable = False
    lines = []
    second = model.layers[1].name
    model.summary(print_fn=lines.append, show_trainable=True, layer_range=[second, second + "$"],
                  line_length=100)
    text = lines[0]
    rows = [line for line in text.splitlines() if "(Dense)" in line]
    assert len(rows) == 1 and rows[0].split("│")[-2].strip() == "Y"  # only the second layer
    assert "Trainable" in text and all(len(line) == 100 for line in text.splitlines()[1:4])
    assert "Total params: 67" in text and "Non-trainable params: 40" in text  # whole model
    model.summary(print_fn=lines.append, show_trainable=True)
    assert [line.split("│")[-2].strip() for line in lines[1].splitlines()
            if "(Dense)" in line] == ["N", "Y"]
    model.summary(print_fn=lines.append, positions=[0.5, 0.8, 1.0], line_length=80)
    assert len(lines[2].splitlines()[1]) == 80
    model.summary(print_fn=lines.append, positions=[40, 64, 81])  # character positions
    assert [i for i, c in enumerate(lines[3].splitlines()[1]) if c in "┌┬┐"] == [0, 40, 64, 81]
    model.summary(print_fn=lines.append, line_length=50)  # narrower than the default widths
    assert {len(line) for line in lines[4].splitlines()[1:-3]} == {50}
    first = model.layers[0].name
    model.summary(print_fn=lines.append, layer_range=[second, first])  # swapped, as Keras
    assert lines[5].count("(Dense)") == 2
    model.summary(print_fn=lines.append, show_trainable=True, positions=[0.4, 0.7, 0.9],
                  line_length=100)  # Keras' three positions leave room for Trainable
    assert "Trainable" in lines[6] and len(lines[6].splitlines()[1]) == 100
    model.summary(print_fn=lines.append, show_trainable=True, positions=[0.45, 0.8, 1.0],
                  line_length=100)  # Trainable's 10 % is too narrow: others give room
    assert {len(line) for line in lines[7].splitlines()[1:-3]} == {100}


def test_summary_expands_nested_layers(rng):
    class Block(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = layers.Dense(5, name="inner")

        def call(self, x):
            return self.inner(x)

    model = mk.Sequential([mk.Input((4,)), Block(name="block"), layers.Dense(2)])
    lines = []
    model.summary(print_fn=lines.append)
    model.summary(print_fn=lines.append, expand_nested=True)
    assert "inner" not in lines[0]
    assert "└ inner (Dense)" in lines[1] and "(None, 5)" in lines[1]
    from minikeras.models.summary import summary_table
    assert " + inner (Dense)" in summary_table(model, ascii=True, expand_nested=True)


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(layer_range=["nothing", "dense"]), "layer_range"),
    (dict(layer_range="dense"), "layer_range"),
    (dict(positions=[0.6, 0.3, 1.0]), "positions"),
    (dict(line_length=5), "line_length"),
    (dict(show_trainable="yes"), "show_trainable"),
    (dict(layer_range=["dense(", "dense"]), "layer_range"),
    (dict(positions=[30, 60, float("inf")]), "positions"),
    (dict(positions=[0.5, 0.9, 1.5]), "positions"),
    (dict(print_fn="print"), "print_fn"),
])
def test_summary_rejects_bad_options(kwargs, pattern, capsys):
    kwargs.setdefault("print_fn", print)
    with pytest.raises(ValueError, match=pattern):
        _iris_model().summary(**kwargs)
    assert capsys.readouterr().out == ""  # refused before anything is printed


def test_add_pop_and_build():
    model = mk.Sequential()
    model.add(layers.Dense(4))
    model.add(layers.Dense(2))
    assert not model.built
    model.build((None, 3))
    assert model.built and model.output_shape == (None, 2)
    popped = model.pop()
    assert popped.units == 2 and model.output_shape == (None, 4)


def test_verbose_modes_print(capsys, iris):
    x, y = iris
    model = _iris_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "accuracy:" in out
    model.fit(x, y, epochs=1, verbose=1)
    assert "Epoch 1/1" in capsys.readouterr().out


def test_callbacks_see_batches_and_can_stop(iris):
    x, y = iris

    class StopAfterTwo(mk.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.batches = 0

        def on_train_batch_end(self, batch, logs=None):
            self.batches += 1
            assert "loss" in logs

        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    stopper = StopAfterTwo()
    model = _iris_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=50, epochs=10, callbacks=[stopper], verbose=0)
    assert len(history.history["loss"]) == 2 and stopper.batches == 6


def test_sample_and_class_weights_change_the_loss(iris):
    x, y = iris
    model = _iris_model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    plain = model.evaluate(x, y, verbose=0)
    weights = np.where(y == 0, 2.0, 0.0)
    weighted = model.evaluate(x, y, sample_weight=weights, verbose=0)
    model_losses = mk.losses.SparseCategoricalCrossentropy()
    probabilities = model.predict(x, verbose=0)
    expected = model_losses(y, probabilities.astype(np.float64), weights)
    assert weighted == pytest.approx(expected, rel=1e-5) and weighted != pytest.approx(plain)
    model.fit(x, y, class_weight={0: 1.0, 1: 2.0, 2: 1.0}, epochs=1, verbose=0)


# ---------------------------------------------------------------- bad input

def _compiled():
    model = _iris_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def test_fit_before_compile():
    with pytest.raises(RuntimeError, match="compile"):
        _iris_model().fit(np.zeros((2, 4)), np.zeros(2))
    with pytest.raises(RuntimeError, match="compile"):
        _iris_model().evaluate(np.zeros((2, 4)), np.zeros(2))


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(x=np.zeros((5, 4)), y=np.zeros(4)), r"`x` has 5.*`y` has 4"),
    (dict(x=np.zeros((5, 3)), y=np.zeros(5)), r"`x` has shape \(5, 3\).*4 features|\(4,\)"),
    (dict(x=np.full((5, 4), np.nan), y=np.zeros(5)), r"`x` contains 20 NaN"),
    (dict(x=np.zeros((5, 4)), y=np.array([0, 1, 2, 3, 0])), r"`y`.*\[0, 2\]"),
    (dict(x=np.zeros((5, 4)), y=np.zeros(5), batch_size=0), r"`batch_size`.*>= 1.*0"),
    (dict(x=np.zeros((5, 4)), y=np.zeros(5), epochs=-1), r"`epochs`"),
    (dict(x=np.zeros((5, 4)), y=np.zeros(5), verbose=3), r"`verbose`.*3"),
    (dict(x=np.zeros((5, 4)), y=np.zeros(5), validation_split=1.0), r"`validation_split`"),
    (dict(x=np.zeros((5, 4)), y=np.zeros(5), validation_data=(np.zeros((2, 3)), np.zeros(2))),
     r"`x_val`"),
    (dict(x=[["a", "b", "c", "d"]], y=[0]), r"`x` must be numeric"),
    (dict(x=np.zeros((5, 4)), y=np.zeros(5), sample_weight=np.ones(3)), r"`sample_weight`"),
])
def test_bad_fit_arguments_raise_before_any_change(kwargs, pattern):
    model = _compiled()
    before = model.get_weights()
    iterations = model.optimizer.iterations
    with pytest.raises(ValueError, match=pattern):
        model.fit(**{"verbose": 0, **kwargs})
    assert model.optimizer.iterations == iterations
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_unknown_identifiers_in_compile():
    model = _iris_model()
    with pytest.raises(ValueError, match="adamm"):
        model.compile(optimizer="adamm", loss="mse")
    with pytest.raises(ValueError, match="msee"):
        model.compile(optimizer="adam", loss="msee")
    with pytest.raises(ValueError, match="acuracy"):
        model.compile(optimizer="adam", loss="mse", metrics=["acuracy"])
    with pytest.raises(ValueError, match="gradients"):
        model.compile(optimizer="adam", loss="mse", gradients="magic")
    assert not model.compiled


def test_inputs_as_lists_and_integers(iris):
    x, y = iris
    model = _compiled()
    model.fit(x.tolist(), y.tolist(), epochs=1, verbose=0)
    assert model.predict(x.astype(int), verbose=0).shape == (150, 3)


def test_fit_releases_batches_and_keeps_weight_variables(iris):
    x, y = iris
    model = _compiled()
    kernel = model.layers[0].kernel
    model.fit(x, y, epochs=1, verbose=0)
    assert all(layer._cache is None for layer in model.layers)  # no batch kept alive
    assert model.layers[0].kernel is kernel  # the same variable, trained in place
    model.predict(x, verbose=0)
    assert all(layer._cache is None and not layer.recording for layer in model.layers)


@pytest.mark.parametrize("recompile_at_end", [False, True])
def test_layers_give_input_gradients_again_after_fit(iris, recompile_at_end):
    # fit skips the first layer's input gradient; afterwards (even if a callback
    # recompiled the model on the last epoch) a layer on its own must compute it again
    x, y = iris
    model = _compiled()
    recompile = mk.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: model.compile("adam", model.loss))
    model.fit(x, y, epochs=1, verbose=0, callbacks=[recompile] if recompile_at_end else [])
    first = model.layers[0]
    outputs = first.forward(x[:5], training=True)
    grad_input = first.backward(np.ones_like(outputs))
    assert grad_input is not None and grad_input.shape == x[:5].shape


@pytest.mark.parametrize("method", ["train_on_batch", "loss_and_gradients", "fit"])
def test_a_failing_step_leaves_the_layers_as_they_were(iris, method):
    class Failing(layers.Layer):
        def call(self, x, training=False):
            if training:
                raise RuntimeError("boom")
            return x

    x, y = iris
    model = mk.Sequential([mk.Input((4,)), layers.Dense(8), Failing(), layers.Dense(3)])
    model.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.raises(RuntimeError, match="boom"):
        getattr(model, method)(x[:8], y[:8], **({"verbose": 0} if method == "fit" else {}))
    assert all(layer.input_gradient_needed and layer._cache is None for layer in model.layers)


def test_freezing_after_compile_takes_effect(rng):
    model = mk.Sequential([mk.Input((3,)), layers.Dense(4), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.layers[0].trainable = False
    before = model.layers[0].get_weights()
    model.fit(rng.normal(size=(8, 3)), rng.normal(size=(8, 1)), epochs=2, verbose=0)
    for a, b in zip(before, model.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)


ACTIVATION_NAMES = ["relu", "tanh", "sigmoid", "elu", "gelu", "silu", "softplus", "leaky_relu",
                    "linear"]
HEADS = [("softmax", "categorical_crossentropy"), ("softmax", "sparse_categorical_crossentropy"),
         ("sigmoid", "binary_crossentropy"), ("linear", "mse"), ("tanh", "huber")]


@settings(max_examples=25, deadline=None)
@given(widths=st.lists(st.integers(1, 6), min_size=0, max_size=3),
       hidden=st.lists(st.sampled_from(ACTIVATION_NAMES), min_size=3, max_size=3),
       head=st.sampled_from(HEADS), batch=st.integers(1, 7), seed=st.integers(0, 10_000),
       weighted=st.booleans())
def test_random_architectures_backprop_equals_autograd(widths, hidden, head, batch, seed,
                                                       weighted):
    previous = mk.config.floatx()
    mk.config.set_floatx("float64")
    try:
        rng = np.random.default_rng(seed)
        mk.utils.set_random_seed(seed)
        activation, loss = head
        outputs = 1 if loss == "binary_crossentropy" else 3
        model = mk.Sequential([mk.Input((4,))] + [
            layers.Dense(w, activation=a, bias_initializer="random_normal")
            for w, a in zip(widths, hidden)] + [layers.Dense(outputs, activation=activation)])
        model.compile(optimizer="sgd", loss=loss)
        x = rng.normal(size=(batch, 4))
        y = {"categorical_crossentropy": np.eye(3)[rng.integers(0, 3, batch)],
             "sparse_categorical_crossentropy": rng.integers(0, 3, batch),
             "binary_crossentropy": rng.integers(0, 2, (batch, 1)).astype(float)}.get(
            loss, rng.normal(size=(batch, outputs)))
        weights = rng.uniform(0.5, 2.0, batch) if weighted else None
        report = mk.utils.check_gradients(model, x, y, sample_weight=weights, numerical=False)
        assert max(e["autograd"] for e in report.values()) < 1e-7
    finally:
        mk.config.set_floatx(previous)


def test_metrics_count_every_sample_once_whatever_the_weights(rng):
    # Keras 3: sample and class weights weight the loss, not the compiled metrics
    x = rng.normal(size=(40, 3)).astype("float32")
    y = (x[:, 0] > 0).astype(int)
    model = mk.Sequential([mk.Input((3,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=mk.optimizers.SGD(0.0), loss="binary_crossentropy",
                  metrics=["accuracy"])
    plain = model.evaluate(x, y, verbose=0, return_dict=True)
    weights = np.where(y == 1, 3.0, 1.0)
    weighted = model.evaluate(x, y, sample_weight=weights, verbose=0, return_dict=True)
    assert weighted["accuracy"] == plain["accuracy"]
    assert weighted["loss"] != plain["loss"]
    history = model.fit(x, y, batch_size=40, epochs=1, class_weight={0: 1.0, 1: 3.0},
                        shuffle=False, verbose=0).history
    assert history["accuracy"] == [plain["accuracy"]]
