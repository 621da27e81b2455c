import warnings

import numpy as np
import pytest

from minikeras import activations, losses, ops

from helpers import assert_close_gradient, autograd_vjp


def _targets(loss, rng, shape):
    if isinstance(loss, losses.SparseCategoricalCrossentropy):
        return rng.integers(0, shape[1], size=shape[0])
    if isinstance(loss, losses.CategoricalCrossentropy):
        return np.eye(shape[1])[rng.integers(0, shape[1], size=shape[0])]
    if isinstance(loss, (losses.BinaryCrossentropy, losses.Hinge)):
        return rng.integers(0, 2, size=shape).astype(float)
    if isinstance(loss, (losses.KLDivergence, losses.Poisson, losses.MeanSquaredLogarithmicError)):
        return rng.uniform(0.05, 1.0, size=shape)
    return rng.normal(size=shape)


def _predictions(loss, rng, shape):
    z = rng.normal(scale=2.0, size=shape)
    if isinstance(loss, (losses.KLDivergence, losses.Poisson, losses.MeanSquaredLogarithmicError)):
        return rng.uniform(0.05, 0.95, size=shape)  # inside the clipping, where it is smooth
    if getattr(loss, "from_logits", True):
        return z
    if isinstance(loss, losses.BinaryCrossentropy):
        return ops.sigmoid(z)
    return ops.softmax(z)


LOSSES = [
    losses.MeanSquaredError(), losses.MeanAbsoluteError(), losses.Huber(), losses.Huber(0.3),
    losses.BinaryCrossentropy(), losses.BinaryCrossentropy(from_logits=True),
    losses.CategoricalCrossentropy(), losses.CategoricalCrossentropy(from_logits=True),
    losses.SparseCategoricalCrossentropy(), losses.SparseCategoricalCrossentropy(from_logits=True),
    losses.MeanAbsolutePercentageError(), losses.MeanSquaredLogarithmicError(), losses.Hinge(),
    losses.KLDivergence(), losses.Poisson(), losses.LogCosh(),
]


def test_keras_regression_and_divergence_losses_follow_their_formulas():
    eps = 1e-7
    t = np.array([[0.5, 2.0, -1.0], [1.0, 0.0, 3.0]])
    p = np.array([[0.4, 2.5, 0.5], [0.9, 0.2, 2.0]])
    np.testing.assert_allclose(losses.mean_absolute_percentage_error(t, p),
                               100 * np.mean(np.abs(t - p) / np.maximum(np.abs(t), eps), -1))
    np.testing.assert_allclose(
        losses.mean_squared_logarithmic_error(t, p),
        np.mean((np.log(np.maximum(p, eps) + 1) - np.log(np.maximum(t, eps) + 1)) ** 2, -1))
    np.testing.assert_allclose(losses.log_cosh(t, p), np.mean(np.log(np.cosh(p - t)), -1))
    np.testing.assert_allclose(losses.poisson(np.abs(t), np.abs(p)),
                               np.mean(np.abs(p) - np.abs(t) * np.log(np.abs(p) + eps), -1))
    probs_t, probs_p = np.array([[0.2, 0.8]]), np.array([[0.5, 0.5]])
    np.testing.assert_allclose(losses.kl_divergence(probs_t, probs_p),
                               [0.2 * np.log(0.4) + 0.8 * np.log(1.6)])
    labels, scores = np.array([[0.0, 1.0, 1.0]]), np.array([[0.3, 0.4, 2.0]])
    np.testing.assert_allclose(losses.hinge(labels, scores),  # 0/1 labels become -1/1
                               [np.mean(np.maximum(1 - np.array([-1, 1, 1]) * scores, 0))])
    assert losses.get("mape").name == "mean_absolute_percentage_error"
    assert isinstance(losses.get("kld"), losses.KLDivergence)
    assert isinstance(losses.get("logcosh"), losses.LogCosh)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("loss", LOSSES, ids=repr)
def test_gradient_matches_autograd(loss, weighted, rng):
    shape = (7, 4)
    y_true = _targets(loss, rng, shape)
    y_pred = _predictions(loss, rng, shape)
    weights = rng.uniform(0.1, 2.0, size=shape[0]) if weighted else None
    expected = autograd_vjp(lambda p: loss(y_true, p, weights), y_pred, 1.0)
    assert_close_gradient(loss.gradient(y_true, y_pred, weights), expected)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("loss", LOSSES, ids=repr)
def test_summed_losses_match_autograd(loss, weighted, rng):
    summed = type(loss).from_config(dict(loss.get_config(), reduction="sum"))
    shape = (7, 4)
    y_true = _targets(loss, rng, shape)
    y_pred = _predictions(loss, rng, shape)
    weights = rng.uniform(0.1, 2.0, size=shape[0]) if weighted else None
    value, gradient = summed.value_and_gradient(y_true, y_pred, weights)
    assert value == pytest.approx(float(loss(y_true, y_pred, weights)) * shape[0])
    assert_close_gradient(gradient, autograd_vjp(lambda p: summed(y_true, p, weights),
                                                 y_pred, 1.0))


class _PerSample(losses.Loss):
    def call(self, y_true, y_pred):
        d = y_pred - y_true
        return ops.mean(ops.reshape(d * d, (len(d), -1)), axis=-1)

    def sample_gradient(self, y_true, y_pred):
        return 2 * (y_pred - y_true) / y_pred[0].size


class _PerRow(losses.Loss):
    def call(self, y_true, y_pred):
        return ops.mean((y_pred - y_true) ** 2, axis=-1)

    def sample_gradient(self, y_true, y_pred):
        return 2 * (y_pred - y_true) / y_pred.shape[-1]


class _PerElement(losses.Loss):
    def call(self, y_true, y_pred):
        return (y_pred - y_true) ** 2

    def sample_gradient(self, y_true, y_pred):
        return 2 * (y_pred - y_true)


@pytest.mark.parametrize("cls", [_PerSample, _PerRow, _PerElement])
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum"])
@pytest.mark.parametrize("weighted", [False, True])
def test_hand_written_gradients_of_any_value_shape(cls, reduction, weighted, rng):
    # call may give one value per sample, per row or per element: the base class averages
    # (or sums) them per sample, and scales sample_gradient alike
    loss = cls(reduction=reduction)
    y_true, y_pred = rng.normal(size=(5, 4, 3)), rng.normal(size=(5, 4, 3))
    weights = rng.uniform(0.5, 2.0, 5) if weighted else None
    value, gradient = loss.value_and_gradient(y_true, y_pred, weights)
    assert value == pytest.approx(float(loss(y_true, y_pred, weights)))
    assert_close_gradient(gradient, autograd_vjp(lambda p: loss(y_true, p, weights),
                                                 y_pred, 1.0))


def test_mean_over_batch_like_keras():
    y_true = np.array([[0.0, 1.0], [1.0, 1.0]])
    y_pred = np.array([[1.0, 1.0], [1.0, 0.0]])
    assert losses.get("mse")(y_true, y_pred) == pytest.approx(0.5)
    assert losses.get("mae")(y_true, y_pred) == pytest.approx(0.5)
    weighted = losses.get("mse")(y_true, y_pred, sample_weight=np.array([1.0, 0.0]))
    assert weighted == pytest.approx(0.25)  # sum of weighted values / batch size


def test_huber_values():
    loss = losses.Huber(delta=1.0)
    assert loss(np.array([[0.0]]), np.array([[0.5]])) == pytest.approx(0.125)
    assert loss(np.array([[0.0]]), np.array([[3.0]])) == pytest.approx(2.5)


def test_crossentropy_matches_formula(rng):
    z = rng.normal(size=(5, 3))
    labels = rng.integers(0, 3, 5)
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    expected = -np.mean(np.log(p[np.arange(5), labels]))
    assert losses.SparseCategoricalCrossentropy(from_logits=True)(labels, z) == pytest.approx(expected)
    assert losses.SparseCategoricalCrossentropy()(labels, p) == pytest.approx(expected)
    assert losses.CategoricalCrossentropy()(np.eye(3)[labels], p) == pytest.approx(expected)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logit_losses_stable_for_huge_logits(dtype):
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cce = losses.CategoricalCrossentropy(from_logits=True)
        value = cce(np.eye(3)[[1, 1]], z)
        g = cce.gradient(np.eye(3)[[1, 1]], z)
        bce = losses.BinaryCrossentropy(from_logits=True)
        b = bce(np.array([[0.0, 1.0, 1.0]] * 2), z)
        bg = bce.gradient(np.array([[0.0, 1.0, 1.0]] * 2), z)
    assert np.isfinite(value) and np.isfinite(b)
    assert value == pytest.approx(1e4, rel=1e-6)  # first row: log-sum-exp, not log(0)
    assert np.all(np.isfinite(g)) and np.all(np.isfinite(bg))


def test_fused_gradient_is_p_minus_y(rng):
    z = rng.normal(size=(4, 3))
    y = np.eye(3)[[0, 2, 1, 1]]
    fused = losses.CategoricalCrossentropy().fused_with(activations.Softmax())
    assert fused.from_logits
    np.testing.assert_allclose(fused.gradient(y, z), (ops.softmax(z) - y) / 4)
    binary = losses.BinaryCrossentropy().fused_with(activations.Sigmoid())
    yb = (rng.uniform(size=(4, 3)) > 0.5).astype(float)
    np.testing.assert_allclose(binary.gradient(yb, z), (ops.sigmoid(z) - yb) / 12)
    assert losses.CategoricalCrossentropy().fused_with(activations.ReLU()) is None
    assert losses.MeanSquaredError().fused_with(activations.Softmax()) is None


def test_probability_losses_clip_like_keras():
    value = losses.CategoricalCrossentropy()(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))
    assert value == pytest.approx(-np.log(1e-7), rel=1e-6)


@pytest.mark.parametrize("name, cls", [
    ("mse", losses.MeanSquaredError), ("mean_squared_error", losses.MeanSquaredError),
    ("mae", losses.MeanAbsoluteError), ("huber", losses.Huber),
    ("binary_crossentropy", losses.BinaryCrossentropy),
    ("categorical_crossentropy", losses.CategoricalCrossentropy),
    ("sparse_categorical_crossentropy", losses.SparseCategoricalCrossentropy),
])
def test_registry(name, cls):
    assert type(losses.get(name)) is cls


def test_sparse_labels_validated():
    loss = losses.SparseCategoricalCrossentropy()
    with pytest.raises(ValueError, match=r"\[0, 2\].*\[0.0, 3.0\]"):
        loss.prepare_targets(np.array([0, 1, 3]), (None, 3))
    with pytest.raises(ValueError, match="integer class labels"):
        loss.prepare_targets(np.array([0.5, 1.0]), (None, 3))
    with pytest.raises(ValueError, match="categorical_crossentropy"):
        loss.prepare_targets(np.eye(3), (None, 3))


def test_categorical_rejects_integer_labels_with_hint():
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        losses.CategoricalCrossentropy().prepare_targets(np.array([0, 1, 2]), (None, 3))


def test_binary_rejects_values_outside_unit_interval():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        losses.BinaryCrossentropy().prepare_targets(np.array([[2.0]]), (None, 1))


def test_config_round_trip():
    loss = losses.get({"class_name": "Huber", "config": {"delta": 0.5}})
    assert isinstance(loss, losses.Huber) and loss.delta == 0.5
    again = losses.get(losses.serialize(losses.BinaryCrossentropy(from_logits=True)))
    assert again.from_logits


@pytest.mark.parametrize("reduction", [None, "none"])
def test_unreduced_losses_give_weighted_values_per_sample(reduction, rng):
    import minikeras as mk

    y_true, y_pred = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    weights = rng.uniform(0.5, 2.0, size=5)
    loss = losses.MeanSquaredError(reduction=reduction)
    np.testing.assert_allclose(loss(y_true, y_pred), np.mean((y_pred - y_true) ** 2, axis=-1))
    np.testing.assert_allclose(loss(y_true, y_pred, weights),
                               weights * np.mean((y_pred - y_true) ** 2, axis=-1))
    assert losses.get(losses.serialize(loss)).reduction == reduction
    with pytest.raises(ValueError, match="reduction"):
        loss.gradient(y_true, y_pred)
    model = mk.Sequential([mk.Input((3,)), mk.layers.Dense(3)])
    with pytest.raises(ValueError, match="`loss`.*reduction"):
        model.compile(optimizer="sgd", loss=loss)
    assert not model.compiled
