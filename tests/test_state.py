"""Explicit state: variables, optimizer slots, copies, pickles, freezing, moving statistics."""

import copy
import pickle
import warnings

import numpy as np
import pytest

import minikeras as mk
from minikeras import Variable, layers, ops, optimizers
from minikeras.testing import run_layer_test
from minikeras.variables import no_state_updates


def _digits():
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import StandardScaler

    x, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(x[:600]).astype(np.float32), y[:600]


def _model(optimizer="adam", batch_norm=True):
    mk.utils.set_random_seed(3)
    hidden = [layers.Dense(32, activation="relu")]
    if batch_norm:
        hidden.append(layers.BatchNormalization())
    model = mk.Sequential([mk.Input((64,)), *hidden, layers.Dropout(0.2),
                           layers.Dense(10, activation="softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _continue(model, x, y, epochs=2):
    mk.utils.set_random_seed(11)  # the same shuffles and dropout masks for every model
    history = model.fit(x, y, batch_size=64, epochs=epochs, verbose=0)
    return history.history["loss"], model.get_weights(), model.optimizer.iterations


def _assert_same_run(a, b):
    assert a[0] == b[0] and a[2] == b[2]
    assert len(a[1]) == len(b[1])
    for u, v in zip(a[1], b[1]):
        np.testing.assert_array_equal(u, v)


# ---------------------------------------------------------------- copies and pickles

@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop",
                                       optimizers.SGD(0.05, momentum=0.9, nesterov=True)])
@pytest.mark.parametrize("clone", [copy.deepcopy, lambda m: pickle.loads(pickle.dumps(m))],
                         ids=["deepcopy", "pickle"])
def test_a_copy_trains_on_exactly_like_the_original(optimizer, clone):
    x, y = _digits()
    original = _model(copy.deepcopy(optimizer))
    original.fit(x, y, batch_size=64, epochs=2, verbose=0)
    copied = clone(original)
    np.testing.assert_array_equal(copied.predict(x, verbose=0), original.predict(x, verbose=0))
    assert copied.optimizer.iterations == original.optimizer.iterations > 0
    _assert_same_run(_continue(copied, x, y), _continue(original, x, y))
    assert copied.evaluate(x, y, verbose=0) == original.evaluate(x, y, verbose=0)


def test_training_a_copy_leaves_the_original_alone():
    x, y = _digits()
    original = _model()
    original.fit(x, y, epochs=1, verbose=0)
    weights, slots = original.get_weights(), [s.numpy() for s in original.optimizer.variables]
    iterations = original.optimizer.iterations
    copied = copy.deepcopy(original)
    copied.fit(x, y, epochs=2, verbose=0)
    copied.layers[0].kernel.assign(np.zeros((64, 32)))
    assert original.optimizer.iterations == iterations
    for a, b in zip(weights, original.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(slots, original.optimizer.variables):
        np.testing.assert_array_equal(a, b.numpy())


def test_a_copy_owns_copies_of_the_layers():
    model = _model()
    copied = copy.deepcopy(model)
    assert copied.layers[0] is not model.layers[0]
    assert copied.layers[0].kernel is not model.layers[0].kernel
    with pytest.raises(ValueError, match="already in model"):
        mk.Sequential([mk.Input((64,)), copied.layers[0]])
    layer = copied.layers[-1]
    copied.pop()
    mk.Sequential([mk.Input((32,)), layer])  # free once popped


def test_pickled_unbuilt_and_uncompiled_models():
    model = mk.Sequential([layers.Dense(4), layers.Dense(1)])
    restored = pickle.loads(pickle.dumps(model))
    restored.compile(optimizer="adam", loss="mse")
    restored.fit(np.ones((8, 3)), np.ones(8), verbose=0)
    assert restored.built and not model.built


# ---------------------------------------------------------------- optimizer state

def test_adam_state_for_a_small_view_is_small():
    big = np.zeros((1000, 1000), dtype=np.float64)
    variable = Variable(big[0])
    opt = optimizers.Adam()
    opt.apply_gradients([(np.ones(1000), variable)])
    assert sum(v.nbytes for v in opt.variables) == 2 * variable.nbytes == 16_000


def test_optimizer_state_is_named_and_in_weight_order():
    model = _model(batch_norm=False)
    x, y = _digits()
    model.fit(x, y, epochs=1, verbose=0)
    names = [v.name for v in model.optimizer.variables]
    paths = [w.path.replace("/", "_") for w in model.trainable_weights]
    assert names == [p + "_momentum" for p in paths] + [p + "_velocity" for p in paths]
    for weight in model.trainable_weights:
        slots = model.optimizer.slots_for(weight)
        assert [s.shape for s in slots] == [weight.shape] * 2
        assert all(not s.trainable for s in slots)


def test_optimizer_state_can_be_read_and_set():
    x, y = _digits()
    a, b = _model(batch_norm=False), _model(batch_norm=False)
    a.fit(x, y, epochs=1, verbose=0)
    b.optimizer.build(b.trainable_weights)
    b.set_weights(a.get_weights())
    for target, source in zip(b.optimizer.variables, a.optimizer.variables):
        target.assign(source.numpy())
    b.optimizer.iterations = a.optimizer.iterations
    _assert_same_run(_continue(b, x, y), _continue(a, x, y))


def test_apply_gradients_needs_variables():
    with pytest.raises(ValueError, match="Variable.*array of shape"):
        optimizers.SGD().apply_gradients([(np.ones(2), np.zeros(2))])
    v = Variable(np.zeros(2))
    with pytest.raises(ValueError, match=r"shape \(3,\).*expected \(2,\)"):
        optimizers.SGD().apply_gradients([(np.ones(3), v)])
    np.testing.assert_array_equal(v, [0.0, 0.0])


# ---------------------------------------------------------------- freezing

def test_frozen_after_compile_stays_frozen_and_unfrozen_trains():
    x, y = _digits()
    model = _model(batch_norm=False)
    model.fit(x, y, epochs=1, verbose=0)
    first = model.layers[0]
    first.trainable = False
    frozen = first.get_weights()
    head = model.layers[-1].kernel.numpy()
    model.fit(x, y, epochs=1, verbose=0)
    for a, b in zip(frozen, first.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(head, model.layers[-1].kernel.numpy())
    assert [w.trainable for w in first.weights] == [False, False]
    first.trainable = True
    model.fit(x, y, epochs=1, verbose=0)
    assert not np.array_equal(frozen[0], first.kernel.numpy())


def test_unfreezing_a_layer_frozen_before_its_first_step_builds_its_state():
    x, y = _digits()
    model = _model(batch_norm=False)
    model.layers[0].trainable = False
    model.fit(x, y, epochs=1, verbose=0)
    assert model.optimizer.slots_for(model.layers[0].kernel) == []
    model.layers[0].trainable = True
    model.fit(x, y, epochs=1, verbose=0)
    assert len(model.optimizer.slots_for(model.layers[0].kernel)) == 2


# ---------------------------------------------------------------- BatchNormalization

def test_batch_normalization_statistics_change_only_in_training():
    x, y = _digits()
    model = _model()
    bn = model.layers[1]
    assert [w.name for w in bn.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.trainable for w in bn.weights] == [True, True, False, False]

    def state():
        return [w.numpy() for w in bn.weights]

    before = state()
    model.predict(x, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.loss_and_gradients(x[:32], y[:32])
    model.loss_and_gradients(x[:32], y[:32], method="autograd")
    with pytest.warns(UserWarning, match="float64"):  # (float32: only the state matters)
        mk.utils.check_gradients(model, x[:8], y[:8], max_entries=3)
    model(x[:8], training=False)
    for a, b in zip(before, state()):
        np.testing.assert_array_equal(a, b)
    model.fit(x, y, epochs=1, verbose=0)
    after = state()
    assert not np.array_equal(before[2], after[2]) and not np.array_equal(before[3], after[3])


def test_batch_normalization_moving_statistics_follow_keras_formula(float64):
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=(50, 4))
    bn = layers.BatchNormalization(momentum=0.9)
    bn(x, training=True)  # an eager training call updates the statistics, as in Keras
    np.testing.assert_allclose(bn.moving_mean, 0.1 * x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn.moving_variance, 0.9 + 0.1 * x.var(axis=0), rtol=1e-12)
    out = bn(x, training=True)
    np.testing.assert_allclose(out, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3), rtol=1e-10)
    inference = bn(x)
    expected = (x - bn.moving_mean.value) / np.sqrt(bn.moving_variance.value + 1e-3)
    np.testing.assert_allclose(inference, expected, rtol=1e-12)
    bn.trainable = False  # a frozen BatchNormalization runs in inference mode, as in Keras
    np.testing.assert_allclose(bn(x, training=True), expected, rtol=1e-12)


def test_batch_normalization_helps_a_badly_scaled_problem():
    from sklearn.datasets import load_breast_cancer

    x, y = load_breast_cancer(return_X_y=True)  # features from 1e-3 to 1e3, unscaled
    results = {}
    for batch_norm in (False, True):
        mk.utils.set_random_seed(0)
        model = mk.Sequential([mk.Input((30,)),
                               *([layers.BatchNormalization()] if batch_norm else []),
                               layers.Dense(16, activation="relu"),
                               layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer=optimizers.Adam(0.01), loss="binary_crossentropy",
                      metrics=["accuracy"])
        model.fit(x, y, epochs=20, verbose=0)
        results[batch_norm] = model.evaluate(x, y, verbose=0)[1]
    assert results[True] >= 0.95 and results[True] > results[False]


def test_batch_normalization_trains_the_same_by_autograd_and_backprop(float64):
    x, y = _digits()
    x = x.astype(np.float64)
    runs = []
    for mode in ("backprop", "autograd"):
        mk.utils.set_random_seed(1)
        model = mk.Sequential([mk.Input((64,)), layers.Dense(8), layers.BatchNormalization(),
                               layers.Activation("tanh"), layers.Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", gradients=mode)
        model.fit(x[:128], y[:128], batch_size=32, epochs=2, shuffle=False, verbose=0)
        runs.append(model.get_weights())
    for a, b in zip(*runs):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------- the layer harness

BUILT_IN_LAYERS = [
    (layers.Dense, (6, 3), {"units": 4}),
    *[(layers.Dense, (6, 3), {"units": 4, "activation": a, "bias_initializer": "random_normal"})
      for a in ("relu", "sigmoid", "tanh", "softmax", "elu", "gelu", "silu", "softplus",
                "leaky_relu")],
    (layers.Dense, (6, 3), {"units": 2, "use_bias": False}),
    (layers.Dense, (5, 2, 3), {"units": 4, "activation": "tanh"}),
    (layers.Activation, (6, 3), {"activation": "softmax"}),
    (layers.Activation, (6, 3), {"activation": "elu"}),
    (layers.Dropout, (20, 3), {"rate": 0.5}),
    (layers.Dropout, (20, 3), {"rate": 0.3, "seed": 4}),
    (layers.Flatten, (6, 3, 2), {}),
    (layers.BatchNormalization, (8, 3), {"gamma_initializer": "random_normal",
                                         "beta_initializer": "random_normal"}),
    (layers.BatchNormalization, (8, 3, 2), {"axis": 1}),
    (layers.BatchNormalization, (8, 3), {"center": False, "scale": False, "momentum": 0.5}),
    (layers.ReLU, (6, 3), {}),
    (layers.ReLU, (6, 3), {"max_value": 1.0, "negative_slope": 0.1, "threshold": 0.2}),
    (layers.LeakyReLU, (6, 3), {}),
    (layers.ELU, (6, 3), {"alpha": 0.5}),
    (layers.Softmax, (6, 3), {}),
    (layers.GaussianNoise, (20, 3), {"stddev": 0.3}),
    (layers.GaussianNoise, (20, 3), {"stddev": 0.3, "seed": 2}),
    (layers.Reshape, (6, 6), {"target_shape": (3, -1)}),
    (layers.Reshape, (6, 2, 3), {"target_shape": (6,)}),
]


@pytest.mark.parametrize("cls, shape, kwargs", BUILT_IN_LAYERS,
                         ids=lambda v: getattr(v, "__name__", str(v)))
def test_every_built_in_layer_passes_the_harness(cls, shape, kwargs):
    report = run_layer_test(cls, shape, kwargs)
    for errors in report["gradients"].values():
        assert max(errors.values()) < 1e-7


def test_input_passes_the_harness():
    run_layer_test(mk.Input, (4, 3), {"shape": (3,)}, run_training_check=False)


class Scale(layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight((input_shape[-1],), initializer="random_normal", name="w")

    def call(self, inputs):
        return ops.tanh(inputs * self.w)


class WrongBackward(Scale):
    def call(self, inputs):
        if self.recording:
            self._cache = inputs
        return ops.tanh(inputs * self.w)

    def backward(self, grad_output):
        self.w.grad[...] = np.sum(grad_output * self._cache, axis=0)  # forgets tanh'
        return grad_output * self.w.value


def test_the_harness_serves_users_layers_and_catches_wrong_gradients():
    report = run_layer_test(Scale, (5, 3), expected_output_shape=(5, 3),
                            custom_objects={"Scale": Scale})
    names = sorted(report["gradients"]["training"])
    assert names[0] == "inputs" and names[1].startswith("scale") and names[1].endswith("/w")
    with pytest.raises(AssertionError, match="wrong_backward/w|inputs"):
        run_layer_test(WrongBackward(name="wrong_backward"), (5, 3))
    with pytest.raises(AssertionError, match="output shape"):
        run_layer_test(Scale, (5, 3), expected_output_shape=(5, 4))
    with pytest.raises(ValueError, match="Could not interpret layer identifier: 'Scale'"):
        run_layer_test(Scale, (5, 3))  # neither registered nor in custom_objects


# ---------------------------------------------------------------- variables

def test_variables_behave_like_arrays_and_have_paths():
    layer = layers.Dense(3, name="dense_probe")
    layer(np.ones((2, 4)))
    kernel = layer.kernel
    assert kernel.path == "dense_probe/kernel" and kernel.name == "kernel"
    assert kernel.shape == (4, 3) and kernel.dtype == np.float32 and len(kernel) == 4
    snapshot = np.asarray(kernel)  # a copy, as in Keras: it does not follow training
    assert isinstance(snapshot, np.ndarray) and not np.shares_memory(snapshot, kernel.value)
    assert np.shares_memory(np.asarray(kernel, copy=False), kernel.value)
    with pytest.raises(ValueError, match="dense_probe/kernel.*copy=False"):
        np.asarray(kernel, dtype=np.float64, copy=False)
    np.testing.assert_array_equal(np.ones((2, 4)) @ kernel, np.ones((2, 4)) @ kernel.value)
    np.testing.assert_array_equal(kernel * 2, 2 * kernel.value)
    np.testing.assert_array_equal(ops.tanh(kernel), np.tanh(kernel.value))
    assert np.all((kernel == kernel.value)) and kernel.T.shape == (3, 4)
    assert "dense_probe/kernel" in repr(kernel)
    copies = layer.get_weights()
    copies[0][...] = 7
    assert not np.any(kernel.value == 7)  # get_weights gives copies
    with pytest.raises(ValueError, match=r"dense_probe/kernel.*\(2, 2\).*\(4, 3\)"):
        kernel.assign(np.zeros((2, 2)))
    with no_state_updates():
        kernel.assign(np.zeros((4, 3)))
    assert np.any(kernel.value != 0)
    kernel.assign(np.zeros((4, 3)))
    assert not np.any(kernel.value)


def test_layers_track_the_variables_assigned_to_them():
    class Two(layers.Layer):
        def build(self, input_shape):
            self.a = self.add_weight((2,), name="a")
            self.b = self.add_weight((2,), name="b", trainable=False)

        def call(self, inputs):
            return inputs * self.a + self.b

    layer = Two()
    layer(np.ones((1, 2)))
    assert [w.name for w in layer.weights] == ["a", "b"]
    assert [w.name for w in layer.trainable_weights] == ["a"]
    assert [w.name for w in layer.non_trainable_weights] == ["b"]
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2
    layer.trainable = True
    assert [w.name for w in layer.trainable_weights] == ["a"]  # b stays non-trainable


def test_inference_has_no_side_effects_on_layers(iris):
    x, y = iris
    model = mk.Sequential([mk.Input((4,)), layers.Dense(8, activation="relu"),
                           layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = [dict(vars(layer)) for layer in model.layers]
    model.predict(x, verbose=0)
    model.evaluate(x, y, verbose=0)
    model(x[:5])
    for layer, attributes in zip(model.layers, before):
        assert vars(layer).keys() == attributes.keys()
        assert all(vars(layer)[k] is v for k, v in attributes.items())


# ---------------------------------------------------------------- review fixes

class Composite(layers.Layer):
    """A layer holding another layer and a variable made outside add_weight."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = layers.Dense(3, activation="tanh")

    def build(self, input_shape):
        self.gain = Variable(np.ones(3), name="gain")

    def call(self, inputs):
        return self.inner(inputs) * self.gain


def test_sublayers_and_directly_assigned_variables_are_weights_and_train():
    layer = Composite(name="composite")
    layer(np.ones((2, 4)))
    assert [w.name for w in layer.weights] == ["gain", "kernel", "bias"]
    assert len(layer.trainable_weights) == 3 and layer.count_params() == 3 + 12 + 3
    run_layer_test(Composite, (6, 4), custom_objects={"Composite": Composite})
    model = mk.Sequential([mk.Input((4,)), Composite(), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    before = model.get_weights()
    model.fit(np.random.default_rng(0).normal(size=(16, 4)), np.ones(16), epochs=2, verbose=0)
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    model.layers[0].trainable = False
    assert model.layers[0].inner.trainable is False and model.layers[0].trainable_weights == []


class Tower(layers.Layer):
    """Keras' way of holding sublayers in containers, one appended after assignment."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.blocks = [layers.Dense(4, activation="tanh")]
        self.blocks.append(layers.Dense(3, activation="tanh"))
        self.heads = {"out": layers.Dense(1)}
        self.pair = (layers.Dense(2), None)
        self.pair = self.pair[:1]  # replaced: only the kept layer counts

    def call(self, inputs):
        for block in self.blocks:
            inputs = block(inputs)
        return self.heads["out"](inputs)


def test_layers_in_lists_tuples_and_dicts_are_tracked_and_train(tmp_path, rng):
    x = rng.normal(size=(32, 3))
    y = np.sin(x).sum(axis=1, keepdims=True)
    model = mk.Sequential([mk.Input((3,)), Tower(name="tower")])
    assert [w.path for w in model.weights] == [
        "tower/blocks_0/kernel", "tower/blocks_0/bias", "tower/blocks_1/kernel",
        "tower/blocks_1/bias", "tower/heads_out/kernel", "tower/heads_out/bias"]
    assert model.count_params() == 16 + 15 + 4  # the unused pair[0] was never built
    model.compile(optimizer="adam", loss="mse")
    before = model.get_weights()
    model.fit(x, y, epochs=2, verbose=0)
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    _, backprop = model.loss_and_gradients(x, y)
    _, autograd = model.loss_and_gradients(x, y, method="autograd")
    for path, gradient in backprop.items():
        np.testing.assert_allclose(gradient, autograd[path], rtol=1e-4, atol=1e-6)
    model.save(tmp_path / "tower.keras")
    loaded = mk.models.load_model(tmp_path / "tower.keras", custom_objects={"Tower": Tower})
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    model.layers[0].trainable = False
    assert model.trainable_weights == [] and not model.layers[0].blocks[1].trainable


def test_containers_of_layers_edge_cases(tmp_path, rng):
    class Odd(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.blocks = [layers.Dense(4)]
            self.blocks.insert(0, layers.Dense(3))  # before it is built: places follow
            self.grid = [[layers.Dense(2)], {"k": layers.Dense(2)}]
            self.me = [self]  # never its own sublayer
            loop = []
            loop.append(loop)
            self.loop = loop  # a container holding itself is read once

        def call(self, inputs):
            for block in self.blocks:
                inputs = block(inputs)
            return self.grid[0][0](inputs) + self.grid[1]["k"](inputs)

    model = mk.Sequential([mk.Input((5,)), Odd(name="odd")])
    assert [w.path for w in model.weights] == [
        "odd/blocks_0/kernel", "odd/blocks_0/bias", "odd/blocks_1/kernel", "odd/blocks_1/bias",
        "odd/grid_0_0/kernel", "odd/grid_0_0/bias", "odd/grid_1_k/kernel", "odd/grid_1_k/bias"]
    assert model.layers[0].blocks[0].kernel.shape == (5, 3)
    model.compile(optimizer="adam", loss="mse")
    x = rng.normal(size=(8, 5))
    model.fit(x, x[:, :2], epochs=1, verbose=0)
    model.save(tmp_path / "odd.keras")
    loaded = mk.models.load_model(tmp_path / "odd.keras", custom_objects={"Odd": Odd})
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_a_model_layer_kept_in_another_layers_list_stays_the_models(tmp_path, rng):
    class Tied(layers.Layer):  # uses the encoder's kernel, transposed
        def __init__(self, encoder, **kwargs):
            super().__init__(**kwargs)
            self.tied = [encoder]

        def call(self, inputs):
            return inputs @ mk.ops.transpose(self.tied[0].kernel)

    for order in ("model first", "decoder first"):
        encoder = layers.Dense(2, name="encoder")
        if order == "model first":
            model = mk.Sequential([mk.Input((3,)), encoder])
            model.add(Tied(encoder, name="decoder"))
        else:  # the decoder holds the encoder before the model takes it
            model = mk.Sequential([mk.Input((3,)), encoder, Tied(encoder, name="decoder")])
        assert [w.path for w in model.weights] == ["encoder/kernel", "encoder/bias"]
        model.save_weights(tmp_path / "tied.weights.h5")


def test_named_sublayers_keep_their_names_when_also_listed():
    class Pair(layers.Layer):  # Keras idiom: named attributes, and a list to loop over
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.conv1 = layers.Dense(3, activation="tanh")
            self.conv2 = layers.Dense(3)
            self.stack = [self.conv1, self.conv2]
            self.extra = layers.Dense(3)

        def call(self, inputs):
            for block in self.stack:
                inputs = block(inputs)
            return inputs

    pair = Pair(name="p")
    pair(np.ones((2, 3)))
    assert [w.path for w in pair.weights] == ["p/conv1/kernel", "p/conv1/bias",
                                              "p/conv2/kernel", "p/conv2/bias"]
    del pair.conv1, pair.stack
    assert [w.path for w in pair.weights] == ["p/conv2/kernel", "p/conv2/bias"]


def test_a_layer_let_go_by_one_layer_can_join_another():
    a, b = layers.Layer(name="a"), layers.Layer(name="b")
    d = layers.Dense(2)
    a.inner = d
    del a.inner
    b.blocks = [d]
    assert b._sublayers == [d] and a._sublayers == []
    c = layers.Layer(name="c")
    c.items = [d]  # still b's: not taken over
    assert c._sublayers == []
    b.blocks = []
    c.items = c.items  # containers are read again when assigned (or when c is built)
    assert c._sublayers == [d]
    d.build_for((None, 3))
    assert [w.path for w in d.weights] == ["c/items_0/kernel", "c/items_0/bias"]
    del c.items
    e, f = layers.Layer(name="e"), layers.Layer(name="f")
    e.blocks, f.blocks = [d], [d]  # let go, then taken by one layer only
    assert e._sublayers == [d] and f._sublayers == []


def test_loss_and_gradients_leaves_the_random_generators_as_they_were(rng):
    x = rng.normal(size=(16, 3))
    y = x.sum(axis=1, keepdims=True)

    def model():
        mk.utils.set_random_seed(5)
        built = mk.Sequential([mk.Input((3,)), layers.Dense(8), layers.Dropout(0.5),
                               layers.Dropout(0.5, seed=2), layers.Dense(1)])
        built.compile(optimizer="sgd", loss="mse")
        return built

    probed, plain = model(), model()
    first = probed.loss_and_gradients(x, y)
    second = probed.loss_and_gradients(x, y)  # the same units dropped
    assert first[0] == second[0]
    for m in (probed, plain):
        mk.utils.set_random_seed(9)
        m.fit(x, y, epochs=2, verbose=0)
    for a, b in zip(probed.get_weights(), plain.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_gradient_checks_rewind_a_seeded_dropout_inside_a_sublayer(rng):
    class Noisy(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.parts = [layers.Dense(4), layers.Dropout(0.5, seed=3)]

        def call(self, inputs, training=False):
            for part in self.parts:
                inputs = part(inputs, training=training)
            return inputs

    x = rng.normal(size=(16, 3))
    model = mk.Sequential([mk.Input((3,)), Noisy(name="noisy"), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    report = mk.utils.check_gradients(model, x, x.sum(axis=1, keepdims=True), numerical=False)
    assert max(r["autograd"] for r in report.values()) < 1e-4


def test_a_replaced_sublayer_stops_counting():
    outer = layers.Layer(name="outer")
    outer.inner = layers.Dense(2, name="first")
    outer.inner.build_for((None, 3))
    outer.inner = layers.Dense(2, name="second")
    outer.inner.build_for((None, 3))
    assert [w.path for w in outer.weights] == ["outer/inner/kernel", "outer/inner/bias"]
    assert all(w is v for w, v in zip(outer.weights, outer.inner.weights))


def test_duplicate_weight_names_are_refused():
    class Two(layers.Layer):
        def build(self, input_shape):
            self.a = self.add_weight((2,), name="w")
            self.b = self.add_weight((2,), name="w")

        def call(self, inputs):
            return inputs * self.a * self.b

    with pytest.raises(ValueError, match="already has a weight named 'w'"):
        Two()(np.ones((1, 2)))


def test_replacing_the_optimizer_or_loss_attribute_takes_effect():
    x, y = np.random.default_rng(0).normal(size=(32, 3)), np.ones((32, 1))
    model = mk.Sequential([mk.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, verbose=0)
    replacement = optimizers.SGD(0.1)
    model.optimizer = replacement
    model.fit(x, y, verbose=0)
    assert replacement.iterations == 1
    model.loss = mk.losses.get("mae")
    assert model.evaluate(x, y, verbose=0) == pytest.approx(
        float(np.mean(np.abs(model.predict(x, verbose=0) - y))), rel=1e-6)


def test_a_mean_metric_is_refused_at_compile():
    model = mk.Sequential([mk.Input((3,)), layers.Dense(1)])
    for metric in ("mean", mk.metrics.Mean()):
        with pytest.raises(ValueError, match="metrics.*Mean"):
            model.compile(optimizer="adam", loss="mse", metrics=[metric])
    assert not model.compiled


def test_a_model_pickles_between_steps_with_an_autograd_layer():
    pickles = []

    class Snapshot(mk.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            pickles.append(pickle.dumps(self.model))

    mk.utils.set_random_seed(0)
    model = mk.Sequential([mk.Input((3,)), Scale(), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((8, 3)), np.ones(8), batch_size=4, callbacks=[Snapshot()], verbose=0)
    assert len(pickles) == 2 and pickle.loads(pickles[-1]).optimizer.iterations == 2


def test_optimizer_state_stays_in_weight_order_after_unfreezing():
    x, y = _digits()
    model = _model(batch_norm=False)
    model.layers[0].trainable = False
    model.fit(x, y, epochs=1, verbose=0)
    model.layers[0].trainable = True
    model.fit(x, y, epochs=1, verbose=0)
    paths = [w.path.replace("/", "_") for w in model.trainable_weights]
    assert [v.name for v in model.optimizer.variables][:len(paths)] == [
        p + "_momentum" for p in paths]


def test_apply_gradients_checks_every_pair_before_changing_anything():
    a, b = Variable(np.zeros(2)), Variable(np.zeros(3))
    opt = optimizers.Adam()
    with pytest.raises(ValueError, match="expected \\(3,\\)"):
        opt.apply_gradients([(np.ones(2), a), (np.ones(2), b)])
    assert opt.variables == [] and opt.iterations == 0 and not np.any(a.grad)


def test_check_gradients_judges_a_zero_gradient_against_the_model(float64, rng):
    model = mk.Sequential([mk.Input((2, 3)), layers.Flatten(), layers.Dense(2),
                           layers.BatchNormalization(), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    report = mk.utils.check_gradients(model, rng.normal(size=(8, 2, 3)), rng.integers(0, 3, 8))
    # the bias before BatchNormalization has a gradient of exactly zero
    assert max(e["autograd"] for e in report.values()) < 1e-7
    assert max(e["numerical"] for e in report.values()) < 1e-5


def test_a_frozen_layer_trains_none_of_its_weights():
    model = mk.Sequential([mk.Input((3,)), layers.Dense(2), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    first = model.layers[0]
    first.trainable = False
    first.kernel.trainable = True
    before = first.get_weights()
    model.fit(np.ones((4, 3)), np.ones(4), verbose=0)
    for a, b in zip(before, first.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_after_fit_layers_compute_input_gradients_again(rng):
    model = mk.Sequential([mk.Input((3,)), layers.Dense(2), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 3)), np.ones(4), verbose=0)
    first = model.layers[0]
    first.forward(np.ones((4, 3)))
    assert first.backward(np.ones((4, 2))).shape == (4, 3)
    model.fit(np.ones((4, 3)), np.ones(4), verbose=0)  # and training still skips it


def test_inference_never_changes_state_even_if_a_layer_assigns():
    class Counter(layers.Layer):
        def build(self, input_shape):
            self.calls = self.add_weight((), initializer="zeros", trainable=False, name="calls")

        def call(self, inputs, training=False):
            self.calls.assign(self.calls.value + 1)
            return inputs

    model = mk.Sequential([mk.Input((3,)), Counter(), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.predict(np.ones((4, 3)), verbose=0)
    model.evaluate(np.ones((4, 3)), np.ones(4), verbose=0)
    assert float(model.layers[0].calls) == 0
    model.fit(np.ones((4, 3)), np.ones(4), batch_size=2, epochs=1, verbose=0)
    assert float(model.layers[0].calls) == 2


@mk.saving.register_keras_serializable(package="StateTests")
class RegisteredScale(layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight((input_shape[-1],), initializer="random_normal", name="w")

    def call(self, inputs):
        return inputs * self.w


def test_the_harness_finds_a_registered_layer_by_its_registered_name():
    run_layer_test(RegisteredScale, (4, 3))


def test_check_gradients_warns_about_float32_weights(rng):
    model = mk.Sequential([mk.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    with pytest.warns(UserWarning, match="float64"):
        mk.utils.check_gradients(model, x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mk.utils.check_gradients(model, x, y, numerical=False)  # autograd only: no warning


def test_a_deep_copied_layer_leaves_its_model_behind_and_can_join_another():
    model = mk.Sequential([mk.Input((3,)), layers.Dense(4, name="d"), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=1, verbose=0)
    twin = copy.deepcopy(model.layers[0])
    np.testing.assert_array_equal(twin.kernel.numpy(), model.layers[0].kernel.numpy())
    other = mk.Sequential([mk.Input((3,)), twin, layers.Dense(2)])  # refused before
    other.compile(optimizer="sgd", loss="mse")
    other.fit(np.ones((8, 3)), np.zeros((8, 2)), epochs=1, verbose=0)
    assert not np.array_equal(twin.kernel.numpy(), model.layers[0].kernel.numpy())
    copied = copy.deepcopy(model)  # a whole model's copy keeps its layers its own
    assert all(layer._owner is copied for layer in copied.layers)
