"""Edge cases: subclassing, model state after failures, rank alignment, user functions."""

import numpy as np
import pytest

import minikeras as mk
from minikeras import layers, losses, metrics, ops, optimizers
from minikeras.models.data import prepare_data


# ---------------------------------------------------------------- layers

class ScaledDense(layers.Dense):
    """Overrides call only: its inherited hand-written backward no longer applies."""

    def call(self, inputs, training=False):
        return 3.0 * super().call(inputs, training)


def test_subclass_overriding_call_is_differentiated_by_autograd(float64, rng):
    mk.utils.set_random_seed(0)
    model = mk.Sequential([mk.Input((3,)), ScaledDense(4, activation="tanh"),
                           ScaledDense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    x, y = rng.normal(size=(6, 3)), np.eye(2)[rng.integers(0, 2, 6)]
    report = mk.utils.check_gradients(model, x, y)
    assert max(e["autograd"] for e in report.values()) < 1e-7
    assert max(e["numerical"] for e in report.values()) < 1e-5
    assert model._step_plan().fused_loss is None  # the last layer's call is not a plain softmax


class SquaredLogitsDense(layers.Dense):
    """Overrides logits only, with a nonlinear z: Dense's backward no longer applies."""

    def logits(self, inputs):
        z = super().logits(inputs)
        return z * z


@pytest.mark.parametrize("activation", [None, "tanh", "softmax"])
def test_subclass_overriding_logits_is_differentiated_by_autograd(float64, rng, activation):
    model = mk.Sequential([mk.Input((3,)), SquaredLogitsDense(4, activation="tanh"),
                           SquaredLogitsDense(2, activation=activation)])
    model.compile(optimizer="sgd", loss="categorical_crossentropy" if activation == "softmax"
                  else "mse")
    x, y = rng.normal(size=(6, 3)), np.eye(2)[rng.integers(0, 2, 6)]
    report = mk.utils.check_gradients(model, x, y)
    assert max(e["autograd"] for e in report.values()) < 1e-7
    assert max(e["numerical"] for e in report.values()) < 1e-5
    assert not layers.base.has_own_backward(SquaredLogitsDense)


class HandLinear(layers.Layer):
    """A user layer with a hand-written backward that writes into its gradient arrays."""

    def build(self, input_shape):
        self.w = self.add_weight((input_shape[-1], 1), initializer="zeros")

    def call(self, x, training=False):
        self.x = x
        return x @ self.w

    def backward(self, g):
        self.gradients[0][...] = self.x.T @ g
        return g @ self.w.T


class ListReplacingLinear(HandLinear):
    """The mistake: replacing the list the optimizer does not read."""

    def backward(self, g):
        self.gradients = [self.x.T @ g]
        return g @ self.w.T


def test_replacing_the_gradient_list_is_refused():
    model = mk.Sequential([mk.Input((3,)), ListReplacingLinear()])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(AttributeError, match=r"self.gradients\[i\]\[...\]"):
        model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)


def test_user_backward_writing_into_gradients_trains():
    model = mk.Sequential([mk.Input((3,)), HandLinear()])
    model.compile(optimizer=optimizers.SGD(0.1), loss="mse")
    model.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=20, verbose=0)
    assert np.all(model.layers[0].w > 0.1)


def test_get_config_of_a_built_layer_uses_declared_arguments():
    flatten = mk.Sequential([mk.Input((2, 3)), layers.Flatten(), layers.Dense(2)]).layers[0]
    config = flatten.get_config()
    assert "input_shape" not in config
    clone = layers.Flatten.from_config({**config, "name": "flatten_clone"})
    assert clone(np.ones((1, 2, 3))).shape == (1, 6)


def test_scalar_inputs_and_weights():
    assert ops.sigmoid(0.0) == 0.5
    assert mk.activations.ReLU()(np.float64(-1.0)) == 0.0

    class Gate(layers.Layer):
        def build(self, input_shape):
            self.g = self.add_weight((), initializer="zeros")

        def call(self, x):
            return x * ops.sigmoid(self.g)

    model = mk.Sequential([mk.Input((3,)), Gate(), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((8, 3)), np.ones(8), epochs=2, verbose=0)
    assert model.layers[0].g.shape == ()


def test_layer_call_needs_a_batch_axis():
    with pytest.raises(ValueError, match="`inputs`.*2 dimension"):
        layers.Dense(2)(np.ones(4))


# ---------------------------------------------------------------- model state

def test_failed_fit_leaves_an_unbuilt_model_unbuilt(rng):
    model = mk.Sequential([layers.Dense(4), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"`y`.*\[0, 1\]"):
        model.fit(rng.normal(size=(10, 3)), np.full(10, 5), verbose=0)
    assert not model.built and model.input_shape is None
    model.fit(rng.normal(size=(10, 3)), np.zeros(10), verbose=0)
    assert model.built


def test_failed_build_and_add_change_nothing():
    model = mk.Sequential([mk.Input((3,)), layers.Dense(2)])
    with pytest.raises(ValueError, match="input_shape"):
        model.build((None, 5))
    assert model.predict(np.ones((2, 3)), verbose=0).shape == (2, 2)
    wide = layers.Dense(1)
    wide(np.ones((1, 7)))
    with pytest.raises(ValueError, match="layer"):
        model.add(wide)
    assert len(model.layers) == 1 and model.predict(np.ones((2, 3)), verbose=0).shape == (2, 2)


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(optimizer=None, loss="mse"), "optimizer"),
    (dict(optimizer="adam", loss="mse", metrics=[None]), "metrics"),
    (dict(optimizer="adam", loss="mse", metrics=["mae", "mae"]), "mae"),
    (dict(optimizer="adam", loss="mse", metrics=["loss"]), "loss"),
])
def test_failed_compile_changes_nothing(kwargs, pattern):
    model = mk.Sequential([mk.Input((3,)), layers.Dense(2)])
    with pytest.raises(ValueError, match=pattern):
        model.compile(**kwargs)
    assert not model.compiled and model.optimizer is None


def test_freezing_after_compile_is_noticed_by_every_step(rng):
    model = mk.Sequential([mk.Input((3,)), layers.Dense(4), layers.Dense(1)])
    model.compile(optimizer=optimizers.SGD(0.1), loss="mse")
    x, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 1))
    model.fit(x, y, verbose=0)
    model.layers[0].trainable = False
    before = model.layers[0].get_weights()
    model.train_step(x.astype(np.float32), y.astype(np.float32))
    for a, b in zip(before, model.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)
    report = mk.utils.check_gradients(model, x, y, numerical=False)
    assert len(report) == 2
    model.trainable = True
    assert len(model.trainable_weights) == 4


def test_recompiling_keeps_optimizer_state_and_weight_references(rng):
    x, y = rng.normal(size=(32, 3)), rng.normal(size=(32, 1))

    def model_and_optimizer():
        mk.utils.set_random_seed(0)
        model = mk.Sequential([mk.Input((3,)), layers.Dense(4), layers.Dense(1)])
        return model, optimizers.Adam(0.01)

    straight, opt = model_and_optimizer()
    straight.compile(opt, "mse")
    straight.fit(x, y, epochs=3, shuffle=False, verbose=0)

    split, opt = model_and_optimizer()
    kernel = split.layers[0].kernel  # a reference taken before compile stays valid
    split.compile(opt, "mse")
    split.fit(x, y, epochs=2, shuffle=False, verbose=0)
    split.compile(opt, "mse", metrics=["mae"])
    split.fit(x, y, epochs=1, shuffle=False, verbose=0)
    assert kernel is split.layers[0].kernel and len(opt.variables) == 2 * 4
    for a, b in zip(straight.get_weights(), split.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("class_weight, pattern", [
    ({0: np.nan}, r"class_weight\[0\]"), ({0: "x"}, r"class_weight\[0\]"),
    ({"a": 1.0}, "class_weight key"), ([1.0], "dict"),
])
def test_class_weight_validation(class_weight, pattern):
    model = mk.Sequential([mk.Input((3,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=pattern):
        model.fit(np.ones((4, 3)), np.zeros(4), class_weight=class_weight, verbose=0)
    model.fit(np.ones((4, 3)), np.zeros(4), class_weight={}, verbose=0)


@pytest.mark.parametrize("y, pattern", [(5.0, "one entry per sample"),
                                        ([[1.0], [1.0, 2.0]], "ragged")])
def test_malformed_targets(y, pattern):
    model = mk.Sequential([mk.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match=pattern):
        model.fit(np.ones((2, 3)), y, verbose=0)


def test_lenient_inputs_keras_accepts():
    model = mk.Sequential([mk.Input((np.int64(3),)), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 3)), np.ones(4), sample_weight=np.ones((4, 1)),
              verbose=np.int64(0))
    with pytest.raises(ValueError, match="complex|numeric"):
        model.fit(np.ones((4, 3)) * 1j, np.ones(4), verbose=0)


def test_summary_counts_bytes_per_weight(capsys, float64):
    model = mk.Sequential([mk.Input((3,)), layers.Dense(2)])
    model.summary()
    assert "Total params: 8 (64.00 B)" in capsys.readouterr().out


# ---------------------------------------------------------------- losses and metrics

def test_standalone_losses_align_ranks_like_keras():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    p = y[:, None] + 0.1
    assert losses.MeanSquaredError()(y, p) == pytest.approx(0.01)
    assert losses.MeanAbsoluteError()(y, p) == pytest.approx(0.1)
    assert losses.MeanSquaredError()([1.0, 2.0], [[1.0], [2.0]]) == 0.0
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8]])
    expected = -np.mean(np.log([0.9, 0.8]))
    sparse = losses.SparseCategoricalCrossentropy()
    assert sparse(np.array([0.0, 1.0]), probabilities) == pytest.approx(expected)
    assert sparse(np.array([[0], [1]]), probabilities) == pytest.approx(expected)
    metric = metrics.BinaryAccuracy()
    metric.update_state(np.array([1.0, 0.0, 1.0]), np.array([[0.9], [0.2], [0.3]]))
    assert metric.result() == pytest.approx(2 / 3)


def test_accuracy_on_logits_thresholds_at_zero():
    model = mk.Sequential([mk.Input((2,)), layers.Dense(1)])
    model.compile(optimizer="adam", loss=losses.BinaryCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    assert model.metrics[0].threshold == 0.0


def test_plain_functions_as_loss_and_metric(rng):
    def squared(y_true, y_pred):
        return ops.mean((y_true - y_pred) ** 2, axis=-1)

    def bias(y_true, y_pred):
        return np.mean(y_pred - y_true, axis=-1)

    mk.utils.set_random_seed(0)
    x = rng.normal(size=(64, 2))
    y = x @ np.array([[1.0], [-1.0]])
    model = mk.Sequential([mk.Input((2,)), layers.Dense(1)])
    model.compile(optimizer=optimizers.Adam(0.05), loss=squared, metrics=[bias])
    history = model.fit(x, y, epochs=40, verbose=0)
    assert set(history.history) == {"loss", "bias"}
    assert history.history["loss"][-1] < 0.05 * history.history["loss"][0]
    wrapped = losses.get(squared)
    p = rng.normal(size=(5, 1))
    np.testing.assert_allclose(wrapped.gradient(y[:5], p), 2 * (p - y[:5]) / 5)


def test_unknown_config_key_is_a_value_error():
    with pytest.raises(ValueError, match="deltaa"):
        losses.get({"class_name": "Huber", "config": {"deltaa": 1}})
    with pytest.raises(ValueError, match="binary_crossentropy"):  # Keras spellings listed
        losses.get("binary_crosentropy")


def test_only_one_clipping_argument():
    with pytest.raises(ValueError, match="clipvalue"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)


def test_check_gradients_with_dropout_uses_one_mask(float64, rng):
    mk.utils.set_random_seed(0)
    model = mk.Sequential([mk.Input((4,)), layers.Dense(8, activation="tanh"),
                           layers.Dropout(0.5), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    state = mk.utils.rng().bit_generator.state
    report = mk.utils.check_gradients(model, rng.normal(size=(10, 4)), rng.integers(0, 2, 10))
    assert max(e["autograd"] for e in report.values()) < 1e-7
    assert max(e["numerical"] for e in report.values()) < 1e-5
    assert mk.utils.rng().bit_generator.state == state


# ---------------------------------------------------------------- second review

def test_replacing_one_gradient_array_is_refused():
    layer = layers.Dense(2)
    layer(np.ones((1, 3)))
    with pytest.raises(TypeError):
        layer.gradients[0] = np.zeros((3, 2))


def test_a_layer_belongs_to_one_model():
    shared = layers.Dense(2)
    first = mk.Sequential([mk.Input((3,)), shared])
    with pytest.raises(ValueError, match="already in model"):
        mk.Sequential([mk.Input((3,)), shared])
    with pytest.raises(ValueError, match="already in this model"):
        first.add(shared)
    with pytest.raises(ValueError, match="unique"):
        first.add(layers.Dense(2, name=shared.name))
    first.pop()
    mk.Sequential([mk.Input((3,)), shared])  # free again after pop


class DoubledSigmoidDense(layers.Dense):
    """Overrides call and backward: the fused output step must not bypass them."""

    def call(self, inputs, training=False):
        return super().call(2.0 * inputs, training)

    def backward(self, grad_output):
        grad = super().backward(grad_output)
        return None if grad is None else 2.0 * grad


def test_fused_output_only_for_layers_whose_own_methods_it_replaces(float64, rng):
    model = mk.Sequential([mk.Input((3,)), layers.Dense(4, activation="tanh"),
                           DoubledSigmoidDense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    assert model._step_plan().fused_loss is None
    x, y = rng.normal(size=(8, 3)), rng.integers(0, 2, (8, 1)).astype(float)
    loss, _ = model.loss_and_gradients(x, y)
    assert loss == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-12)


def test_freezing_keeps_arrays_and_optimizer_state(rng):
    model = mk.Sequential([mk.Input((3,)), layers.Dense(4), layers.Dense(1)])
    model.compile(optimizer=optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    x, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 1))
    model.fit(x, y, epochs=2, verbose=0)
    head = model.layers[1].kernel
    moments = [s.numpy() for s in model.optimizer.slots_for(head)]
    metric = model.metrics[0]
    model.layers[0].trainable = False
    model.train_step(x.astype(np.float32), y.astype(np.float32))
    assert model.layers[1].kernel is head and model.metrics[0] is metric
    after = model.optimizer.slots_for(head)
    # the first moment continued from its earlier value: m = 0.9 m + 0.1 g
    np.testing.assert_allclose(after[0], 0.9 * moments[0] + 0.1 * model.layers[1].gradients[0],
                               rtol=1e-5)


def test_failed_add_is_undone():
    class Broken(layers.Layer):
        def build(self, input_shape):
            raise RuntimeError("no")

    model = mk.Sequential([mk.Input((3,)), layers.Dense(2)])
    with pytest.raises(RuntimeError):
        model.add(Broken())
    assert len(model.layers) == 1


def test_building_a_built_layer_for_another_shape_fails():
    dense = layers.Dense(2)
    dense(np.ones((1, 7)))
    with pytest.raises(ValueError, match="input_shape"):
        dense.build_for((None, 4))


def test_elementwise_function_loss_is_averaged_like_keras(rng):
    loss = losses.get(lambda t, p: (t - p) ** 2)
    t, p = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    assert loss(t, p) == pytest.approx(np.mean((t - p) ** 2))
    loss(t, p, sample_weight=np.ones(5))


def test_one_dimensional_predictions():
    assert losses.MeanSquaredError()([1.0, 2.0], [1.0, 4.0]) == pytest.approx(2.0)
    grad = losses.MeanSquaredError().gradient(np.array([1.0, 2.0]), np.array([1.0, 4.0]))
    np.testing.assert_allclose(grad, [0.0, 2.0])


def test_validation_target_errors_name_y_val():
    model = mk.Sequential([mk.Input((3,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="y_val"):
        model.fit(np.ones((4, 3)), np.zeros(4), validation_data=(np.ones((2, 3)), [0, 7]),
                  verbose=0)


def test_autograd_mode_with_everything_frozen(rng):
    model = mk.Sequential([mk.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", gradients="autograd")
    model.trainable = False
    history = model.fit(rng.normal(size=(4, 3)), np.ones(4), epochs=2, verbose=0)
    assert history.history["loss"][0] == history.history["loss"][1]


# ---------------------------------------------------------------- third review

def test_column_sample_weights_in_direct_calls():
    y_true, y_pred, weights = np.array([[0.0], [1.0], [2.0]]), np.ones((3, 1)), np.array([1.0, 0, 0])
    loss = losses.MeanSquaredError()
    assert loss(y_true, y_pred, weights[:, None]) == pytest.approx(1 / 3)
    value, _ = loss.value_and_gradient(y_true, y_pred, weights[:, None])
    assert np.ndim(value) == 0 and value == pytest.approx(1 / 3)
    metric = metrics.MeanSquaredError()
    metric.update_state(y_true, y_pred, weights[:, None])
    assert metric.result() == pytest.approx(1.0)


def test_function_loss_keeps_float32_gradients(rng):
    loss = losses.get(lambda t, p: ops.mean((t - p) ** 2, axis=-1))
    p = rng.normal(size=(4, 2)).astype(np.float32)
    assert loss.gradient(np.zeros((4, 2), np.float32), p).dtype == np.float32


def test_learning_rate_forms():
    w = mk.Variable(np.zeros(1))
    opt = optimizers.SGD(lambda: 0.5)  # a function of no arguments, as in Keras
    opt.apply_gradients([(np.ones(1), w)])
    np.testing.assert_allclose(w, [-0.5])
    with pytest.raises(ValueError, match="LearningRateSchedule"):
        opt.get_config()
    with pytest.raises(ValueError, match="learning_rate"):
        opt.learning_rate = -1.0


def test_binary_accuracy_compares_with_the_targets_as_keras():
    metric = metrics.BinaryAccuracy()
    metric.update_state(np.array([[1.0], [0.7], [0.0]]), np.array([[0.9], [0.9], [0.2]]))
    assert metric.result() == pytest.approx(2 / 3)  # a soft label never matches


def test_r2_edge_cases():
    metric = metrics.R2Score()
    metric.update_state([1.0, 2.0, 3.0], [1.0, 2.0, 2.5])
    assert metric.result() == pytest.approx(1 - 0.25 / 2)
    constant = metrics.R2Score()
    constant.update_state(np.ones(3), np.ones(3))
    assert constant.result() == 1.0


def test_fit_calls_test_hooks_and_gives_on_train_end_the_last_logs(rng):
    seen = []

    class Recorder(mk.callbacks.Callback):
        def on_test_begin(self, logs=None):
            seen.append("test_begin")

        def on_test_batch_end(self, batch, logs=None):
            seen.append("test_batch")

        def on_train_end(self, logs=None):
            seen.append(sorted(logs))

    model = mk.Sequential([mk.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(rng.normal(size=(10, 3)), rng.normal(size=10), batch_size=5, epochs=1,
              validation_split=0.2, callbacks=[Recorder()], verbose=0)
    assert seen == ["test_begin", "test_batch", ["loss", "val_loss"]]


def test_targets_take_the_models_dtype(float64):
    model = mk.Sequential([mk.Input((3,)), layers.Dense(1, dtype="float32")])
    model.compile(optimizer="sgd", loss="mse")
    _, y, _ = prepare_data(model, np.ones((2, 3)), np.ones(2), None)
    assert y.dtype == np.float32


def test_the_harness_checks_what_training_calls_for_subclasses():
    from minikeras.testing import run_layer_test

    mk.saving.get_custom_objects()["EdgeTests>DoubledSigmoidDense"] = DoubledSigmoidDense
    mk.saving.get_custom_objects()["EdgeTests>ScaledDense"] = ScaledDense
    run_layer_test(DoubledSigmoidDense, (6, 3), {"units": 2, "activation": "sigmoid"})
    run_layer_test(ScaledDense, (6, 3), {"units": 2, "activation": "tanh"})


class TiedDecoder(layers.Layer):
    """Uses the encoder's kernel, transposed, held as the encoder in an attribute or a
    list, or as the kernel itself."""

    def __init__(self, encoder, held="attribute", **kwargs):
        super().__init__(**kwargs)
        self.held = held
        if held == "list":
            self.tied = [encoder]
        elif held == "attribute":
            self.encoder = encoder
        else:
            self.kernel_of_encoder = encoder.kernel

    def call(self, inputs):
        kernel = {"list": lambda: self.tied[0].kernel, "attribute": lambda: self.encoder.kernel,
                  "variable": lambda: self.kernel_of_encoder}[self.held]()
        return inputs @ ops.transpose(kernel)


@pytest.mark.parametrize("held", ["attribute", "list", "variable"])
@pytest.mark.parametrize("decoder_first", [False, True])
def test_tied_weights_get_the_gradient_of_every_layer_using_them(float64, rng, held,
                                                                 decoder_first):
    encoder = layers.Dense(2, activation="tanh", name="encoder")
    if held == "variable":
        encoder.build((None, 3))  # the kernel must exist to be held
    if decoder_first:  # the decoder holds the encoder before the model takes it
        model = mk.Sequential([mk.Input((3,)), encoder, TiedDecoder(encoder, held)])
    else:
        model = mk.Sequential([mk.Input((3,)), encoder])
        model.add(TiedDecoder(encoder, held))
    assert [w.path for w in model.trainable_weights] == ["encoder/kernel", "encoder/bias"]
    model.compile(optimizer=optimizers.SGD(0.1), loss="mse")
    x = rng.normal(size=(32, 3))
    report = mk.utils.check_gradients(model, x, x)
    assert max(e["numerical"] for e in report.values()) < 1e-5
    _, gradient = model.loss_and_gradients(x, x, method="autograd")
    before = encoder.kernel.numpy()
    model.train_on_batch(x, x)  # one step, by the whole gradient, applied once
    np.testing.assert_allclose(before - encoder.kernel.numpy(),
                               0.1 * gradient["encoder/kernel"], rtol=1e-10)


def test_references_that_are_not_ties_keep_the_hand_written_backward():
    class Outer(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = layers.Dense(2)
            self.inner.owner_ref = [self]  # a back-reference to its ancestor
            self.me = [self]

        def call(self, inputs):
            return self.inner(inputs)

    model = mk.Sequential([mk.Input((3,)), Outer(), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    assert not model._step_plan().tied


def test_backward_follows_naming_a_missing_method_says_so():
    class Listed(layers.Dense):
        backward_follows = ("call", "logits", "helper")

    with pytest.raises(AttributeError, match="helper"):
        layers.base.has_own_backward(Listed)


def test_an_activation_layer_changing_its_logits_trains_on_what_it_evaluates(rng):
    class Shifted(layers.Activation):
        def logits(self, inputs):
            return inputs + 1.0

    x = rng.normal(size=(32, 3)).astype("float32")
    y = rng.integers(0, 3, 32)
    model = mk.Sequential([mk.Input((3,)), layers.Dense(3), Shifted("softmax")])
    model.compile(optimizer=optimizers.SGD(0.0), loss="sparse_categorical_crossentropy")
    assert model._step_plan().fused_loss is None
    expected = model.evaluate(x, y, batch_size=32, verbose=0)
    assert model.train_on_batch(x, y) == pytest.approx(expected, rel=1e-5)


class Wrap(layers.Layer):
    """Holds another layer in an attribute and calls it (a model's layer or not)."""

    def __init__(self, inner, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner

    def compute_output_shape(self, input_shape):  # (no build needed to know it)
        return self.inner.compute_output_shape(input_shape)

    def call(self, inputs):
        return self.inner(inputs)


def test_a_layer_holding_another_models_layer_is_refused(rng):
    class Listing(layers.Layer):
        def __init__(self, inner, **kwargs):
            super().__init__(**kwargs)
            self.watched = [inner]

        def call(self, inputs):
            return inputs

    class Outer(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = layers.Dense(3)

        def call(self, inputs):
            return self.inner(inputs)

    class HoldsWeight(layers.Layer):
        def __init__(self, weight, in_list=False, **kwargs):
            super().__init__(**kwargs)
            if in_list:
                self.weights_used = [weight]
            else:
                self.weight_used = weight

        def call(self, inputs):
            return inputs

    x, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 3))
    base = mk.Sequential([mk.Input((3,)), layers.Dense(3), Outer()])
    encoder = layers.Dense(3)
    encoder.build((None, 3))
    for holder, match in ((Wrap(base.layers[0]), "not in this model"),
                          (Listing(base.layers[0]), "not in this model"),
                          (Wrap(base.layers[1].inner), "not in this model"),
                          (HoldsWeight(base.layers[0].kernel), "outside this model"),
                          (HoldsWeight(encoder.kernel, in_list=True), "assign each")):
        model = mk.Sequential([mk.Input((3,)), holder, layers.Dense(3)])
        model.compile(optimizer="sgd", loss="mse")
        before = [w.numpy() for w in model.weights]
        with pytest.raises(ValueError, match=match):  # before any step
            model.fit(x, y, verbose=0)
        for a, b in zip(before, model.weights):
            np.testing.assert_array_equal(a, b.numpy())
    assert base.layers[1].inner._root() is base.layers[1]  # not taken over by the wrapper


def test_layers_sharing_a_layer_work_in_either_order(float64, rng):
    x, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 3))
    for first_made_is_first_in_model in (True, False):
        shared = layers.Dense(3, activation="tanh")
        made_first, made_second = Wrap(shared), Wrap(shared)
        order = [made_first, made_second] if first_made_is_first_in_model \
            else [made_second, made_first]
        model = mk.Sequential([mk.Input((3,))] + order)
        model.compile(optimizer="sgd", loss="mse")
        assert model._step_plan().tied
        assert [w.path for w in model.weights] == [w.path for w in shared.weights]
        report = mk.utils.check_gradients(model, x, y)
        assert max(e["numerical"] for e in report.values()) < 1e-5


def test_a_refused_model_stays_unbuilt(rng):
    other = mk.Sequential([mk.Input((3,)), layers.Dense(3)])
    model = mk.Sequential([layers.Dense(3), Wrap(other.layers[0])])  # no Input: unbuilt
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="not in this model"):
        model.fit(rng.normal(size=(8, 3)), rng.normal(size=(8, 3)), verbose=0)
    assert not model.built and model.layers[0].weights == []
