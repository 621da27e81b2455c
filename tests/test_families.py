"""Registries, configs, initializers, metrics and utilities."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

import minikeras as mk
from minikeras import activations, initializers, losses, metrics, optimizers, regularizers
from minikeras.registry import Registry

from helpers import assert_close_gradient, autograd_vjp

FAMILIES = [
    (activations, ["relu", "sigmoid", "softmax", "tanh", "linear", "leaky_relu", "elu", "gelu",
                   "silu", "swish", "softplus"]),
    (losses, ["mse", "mean_squared_error", "mae", "binary_crossentropy",
              "categorical_crossentropy", "sparse_categorical_crossentropy", "huber"]),
    (optimizers, ["gd", "sgd", "adam", "rmsprop"]),
    (metrics, ["accuracy", "acc", "binary_accuracy", "categorical_accuracy",
               "sparse_categorical_accuracy", "mse", "mae", "r2_score"]),
    (initializers, ["glorot_uniform", "glorot_normal", "he_normal", "he_uniform",
                    "random_normal", "random_uniform", "zeros", "ones", "constant"]),
    (regularizers, ["l1", "l2", "l1l2"]),
]


@pytest.mark.parametrize("module, names", FAMILIES, ids=lambda v: getattr(v, "__name__", ""))
def test_every_family_resolves_names_instances_and_configs(module, names):
    for name in names:
        obj = module.get(name)
        assert module.get(obj) is obj
        rebuilt = module.get(module.serialize(obj))
        assert type(rebuilt) is type(obj) and rebuilt.get_config() == obj.get_config()
        assert type(module.get(name.upper())) is type(obj)
    with pytest.raises(ValueError, match="no_such_thing"):
        module.get("no_such_thing")
    with pytest.raises(ValueError, match="Could not interpret"):
        module.get(3.5)


def test_registry_custom_objects_and_bad_dict():
    class Base:
        pass

    registry = Registry("widget", Base)

    @registry.register("gizmo")
    class Gizmo(Base):
        @classmethod
        def from_config(cls, config):
            return cls()

    assert isinstance(registry.get("gizmo"), Gizmo)
    assert isinstance(registry.get({"class_name": "Other", "config": {}},
                                   custom_objects={"Other": Gizmo}), Gizmo)
    with pytest.raises(ValueError, match="class_name"):
        registry.get({"config": {}})


@pytest.mark.parametrize("name", ["glorot_uniform", "glorot_normal", "he_normal", "he_uniform",
                                  "random_normal", "random_uniform"])
def test_initializers_are_seeded_and_scaled(name):
    mk.utils.set_random_seed(5)
    a = initializers.get(name)((200, 300))
    mk.utils.set_random_seed(5)
    b = initializers.get(name)((200, 300))
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32
    fan_in, fan_out = 200, 300
    expected_std = {
        "glorot_uniform": np.sqrt(2 / (fan_in + fan_out)), "glorot_normal": np.sqrt(2 / (fan_in + fan_out)),
        "he_normal": np.sqrt(2 / fan_in), "he_uniform": np.sqrt(2 / fan_in),
        "random_normal": 0.05, "random_uniform": 0.1 / np.sqrt(12),
    }[name]
    assert a.std() == pytest.approx(expected_std, rel=0.03)
    if "normal" in name and name != "random_normal":
        assert np.abs(a).max() <= 2 * expected_std / 0.87962566103423978 + 1e-6  # truncated


def test_seeded_initializer_repeats_and_constant():
    init = initializers.RandomNormal(seed=3)
    np.testing.assert_array_equal(init((4,)), init((4,)))
    np.testing.assert_array_equal(initializers.Constant(2.5)((2, 2)), np.full((2, 2), 2.5))


def test_regularizer_gradients(rng, float64):
    w = rng.normal(size=(3, 4))
    for reg in (regularizers.L1(0.1), regularizers.L2(0.2), regularizers.L1L2(0.1, 0.3)):
        assert_close_gradient(reg.gradient(w), autograd_vjp(reg, w, 1.0))
    assert regularizers.L2(0.5)(np.array([1.0, 2.0])) == pytest.approx(2.5)


def test_metrics_accumulate_over_batches(rng):
    y = rng.integers(0, 4, 103)
    p = rng.uniform(size=(103, 4))
    metric = metrics.SparseCategoricalAccuracy()
    for start in range(0, 103, 10):
        metric.update_state(y[start:start + 10], p[start:start + 10])
    assert metric.result() == pytest.approx(np.mean(p.argmax(1) == y), rel=1e-15)
    metric.reset_state()
    assert metric.result() == 0.0
    r2 = metrics.R2Score()
    target = rng.normal(size=(50, 2))
    r2.update_state(target[:20], target[:20] * 0.9)
    r2.update_state(target[20:], target[20:] * 0.9)
    from sklearn.metrics import r2_score
    assert r2.result() == pytest.approx(r2_score(target, target * 0.9), rel=1e-12)
    binary = metrics.BinaryAccuracy()
    binary.update_state(np.array([[1.0], [0.0]]), np.array([[0.7], [0.6]]))
    assert binary.result() == 0.5


def test_to_categorical():
    np.testing.assert_array_equal(mk.utils.to_categorical([0, 2, 1]),
                                  [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    assert mk.utils.to_categorical([1], num_classes=4).shape == (1, 4)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        mk.utils.to_categorical([0, 2], num_classes=2)
    with pytest.raises(ValueError, match="integer"):
        mk.utils.to_categorical([0.5, 1])


def test_set_random_seed_validates():
    with pytest.raises(ValueError, match="seed"):
        mk.utils.set_random_seed(-1)


def test_floatx():
    assert mk.config.floatx() == "float32"
    with pytest.raises(ValueError, match="float16"):
        mk.config.set_floatx("float16")


# Logit gaps up to 16: beyond that the true gradient p - y of a saturated row falls below
# float64's resolution next to 1 and any two formulas differ by rounding alone (the huge-logit
# cases are covered by the stability tests).
finite = st.floats(-8, 8, allow_nan=False, width=64)


@settings(max_examples=40, deadline=None)
@given(z=arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 6)), elements=finite))
def test_softmax_and_crossentropy_properties(z):
    p = activations.Softmax()(z)
    assert np.allclose(p.sum(axis=1), 1.0) and np.all(p >= 0)
    labels = np.zeros(len(z), dtype=int)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    value = loss(labels, z)
    assert np.isfinite(value) and value >= -1e-12
    assert_close_gradient(loss.gradient(labels, z), autograd_vjp(lambda v: loss(labels, v), z, 1.0))


def test_batches_views_and_shuffled_gathers():
    x = np.arange(20.0).reshape(10, 2)
    y = np.arange(10)
    plain = list(mk.utils.batches((x, y, None), 4))
    assert [len(b[0]) for b in plain] == [4, 4, 2] and plain[0][2] is None
    assert np.shares_memory(plain[0][0], x)
    order = np.random.default_rng(0).permutation(10)
    for chunk_bytes in (1, 40, 4 << 20):  # one batch, two batches, everything per gather
        seen = [(xb.copy(), yb.copy()) for xb, yb, _ in
                mk.utils.batches((x, y, None), 4, order, chunk_bytes=chunk_bytes)]
        assert [len(s[0]) for s in seen] == [4, 4, 2]
        np.testing.assert_array_equal(np.concatenate([s[1] for s in seen]), order)
        np.testing.assert_array_equal(np.concatenate([s[0] for s in seen]), x[order])


def test_plot_history_draws_training_and_validation_curves(iris, tmp_path):
    pytest.importorskip("matplotlib")
    x, y = iris
    model = mk.Sequential([mk.Input((4,)), mk.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, validation_split=0.2, verbose=0)
    figure = mk.utils.plot_history(history, tmp_path / "history.png")
    titles = [ax.get_title() for ax in figure.axes]
    assert titles == ["loss", "accuracy"]  # metrics on their own axes, the loss first
    labels = [sorted(line.get_label() for line in ax.get_lines()) for ax in figure.axes]
    assert labels == [["loss", "val_loss"], ["accuracy", "val_accuracy"]]
    assert (tmp_path / "history.png").stat().st_size > 10_000
    with pytest.raises(ValueError, match="nope"):
        mk.utils.plot_history(history, metrics=["nope"])