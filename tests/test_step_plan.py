"""The training step as fit runs it: which step, which plan, which outputs."""

import numpy as np
import pytest

import minikeras as mk
from minikeras import layers


def _regression(rng, n=64):
    x = rng.normal(size=(n, 3)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32"))


def test_freezing_inside_a_step_takes_effect_at_the_next_step(rng):
    # no batch hooks: a metric function (model code, not a callback) freezes a kernel
    x, y = _regression(rng)
    model = mk.Sequential([layers.Input((3,)), layers.Dense(4, activation="relu"),
                           layers.Dense(1)])
    seen = {"calls": 0}

    def freezer(y_true, y_pred):
        seen["calls"] += 1
        if seen["calls"] == 2:  # the first call is fit's trial of the metric
            model.layers[0].kernel.trainable = False
            seen["frozen"] = model.layers[0].kernel.numpy()
        return np.zeros(len(y_true))

    model.compile(optimizer="sgd", loss="mse", metrics=[freezer])
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), seen["frozen"])


def test_metrics_compiled_during_fit_see_the_outputs(rng):
    x = rng.normal(size=(64, 3)).astype("float32")
    y = rng.integers(0, 3, 64)
    model = mk.Sequential([layers.Input((3,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    received = []

    def spy(y_true, y_pred):
        received.append(y_pred)
        return np.argmax(y_pred, axis=-1) == y_true

    class Recompile(mk.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 0:
                self.model.compile(optimizer=self.model.optimizer,
                                   loss="sparse_categorical_crossentropy", metrics=[spy])

    model.fit(x, y, batch_size=16, verbose=0, callbacks=[Recompile()], shuffle=False)
    assert len(received) >= 3 and all(isinstance(p, np.ndarray) and p.shape[1] == 3
                                      for p in received)


def test_fit_runs_an_overridden_train_step(rng):
    x, y = _regression(rng, 32)
    calls = []

    class Counting(mk.Sequential):
        def train_step(self, x, y, sample_weight=None):
            calls.append(len(x))
            return super().train_step(x, y, sample_weight)

    model = Counting([layers.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert calls == [8] * 8


def test_a_dense_subclass_changing_its_logits_trains_what_it_predicts(rng):
    class Offset(layers.Dense):
        def logits(self, inputs):
            return super().logits(inputs) + 3.0

    x, y = _regression(rng, 32)
    for activation, loss, target in ((None, "mse", y), ("sigmoid", "binary_crossentropy",
                                                          (y > 0).astype("float32"))):
        model = mk.Sequential([layers.Input((3,)), Offset(1, activation=activation)])
        model.compile(optimizer=mk.optimizers.SGD(0.0), loss=loss)
        expected = model.evaluate(x, target, batch_size=32, verbose=0)
        assert model.train_on_batch(x, target) == pytest.approx(expected, rel=1e-5)


def test_a_sigmoid_with_its_own_backward_gets_its_own_input(float64, rng):
    class MySigmoid(mk.activations.Sigmoid):
        def backward(self, z, a, grad):  # reads z, not a
            s = mk.ops.sigmoid(z)
            return grad * s * (1 - s)

    x = rng.normal(size=(16, 3))
    y = rng.normal(size=(16, 2))
    model = mk.Sequential([layers.Input((3,)), layers.Dense(4, activation=MySigmoid()),
                           layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    _, backprop = model.loss_and_gradients(x, y, method="backprop")
    _, autograd = model.loss_and_gradients(x, y, method="autograd")
    for path, gradient in backprop.items():
        np.testing.assert_allclose(gradient, autograd[path], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("loss", [mk.losses.SparseCategoricalCrossentropy(from_logits=True),
                                  mk.losses.CategoricalCrossentropy(from_logits=True)])
def test_fused_softmax_losses_take_any_memory_layout(loss, float64, rng):
    logits = rng.normal(size=(8, 4))
    labels = rng.integers(0, 4, 8)
    y = labels if loss.sparse_targets else np.eye(4)[labels]
    expected = loss.value_and_gradient_from_logits(y, logits)
    for outputs in (True, False):
        value, grad, probabilities = loss.value_and_gradient_from_logits(
            y, np.asfortranarray(logits), outputs=outputs)
        assert value == pytest.approx(expected[0], rel=1e-12)
        np.testing.assert_allclose(grad, expected[1], rtol=1e-12, atol=1e-15)
        assert (probabilities is None) == (not outputs)


def test_batches_of_empty_arrays_and_whole_batches():
    x = np.arange(12.0).reshape(6, 2)
    assert list(mk.utils.batches((np.empty((0, 2)), None), 4)) == []
    (whole,) = list(mk.utils.batches((x, None), 6))
    assert whole[0] is x and whole[1] is None
    batcher = mk.utils.Batcher((x, None), 4)
    first = [b[0].copy() for b in batcher.epoch(np.arange(6)[::-1])]
    second = [b[0].copy() for b in batcher.epoch(np.arange(6))]
    np.testing.assert_array_equal(np.concatenate(first), x[::-1])
    np.testing.assert_array_equal(np.concatenate(second), x)


@pytest.mark.parametrize("loss, activation", [
    ("mse", None), ("mae", "tanh"), ("binary_crossentropy", "sigmoid"),
    ("categorical_crossentropy", "softmax"),
    (mk.losses.BinaryCrossentropy(from_logits=True), None),
    (mk.losses.CategoricalCrossentropy(from_logits=True), None),
    (mk.losses.MeanSquaredError(reduction="sum"), None),
    (mk.losses.CategoricalCrossentropy(reduction="sum"), "softmax")], ids=repr)
@pytest.mark.parametrize("weighted", [False, True])
def test_outputs_with_more_axes_back_propagate_what_they_report(loss, activation, weighted,
                                                                float64, rng):
    x = rng.normal(size=(6, 4, 5))
    name = loss if isinstance(loss, str) else loss.name
    if name == "categorical_crossentropy":
        y = np.eye(3)[rng.integers(0, 3, (6, 4))]
    else:
        y = (rng.random((6, 4, 3)) > 0.5) * 1.0
    weights = rng.uniform(0.5, 2.0, 6) if weighted else None
    model = mk.Sequential([layers.Input((4, 5)), layers.Dense(3, activation=activation)])
    model.compile(optimizer="sgd", loss=loss)
    reported = model.evaluate(x, y, batch_size=6, verbose=0, sample_weight=weights)
    value, backprop = model.loss_and_gradients(x, y, weights, method="backprop")
    _, autograd = model.loss_and_gradients(x, y, weights, method="autograd")
    assert value == pytest.approx(reported, rel=1e-12)
    for path, gradient in backprop.items():
        np.testing.assert_allclose(gradient, autograd[path], rtol=1e-9, atol=1e-12)


def test_sparse_labels_need_outputs_of_one_row_per_sample(rng):
    model = mk.Sequential([layers.Input((4, 5)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"one integer label per sample.*\(None, 4, 3\)"):
        model.fit(rng.normal(size=(6, 4, 5)), rng.integers(0, 3, 6), verbose=0)
    assert model.optimizer.iterations == 0


def test_shuffled_epochs_reuse_the_gather_buffers(rng):
    import tracemalloc
    x = rng.normal(size=(2000, 100))  # 1.6 MB: one chunk
    batcher = mk.utils.Batcher((x, None), 100)
    for _ in batcher.epoch(rng.permutation(2000)):  # the first epoch makes the buffers
        pass
    order = rng.permutation(2000)
    tracemalloc.start()
    try:
        rows = [xb[:1].copy() for xb, _ in batcher.epoch(order)]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(np.concatenate(rows), x[order[::100]])
    assert peak < x.nbytes / 10  # neither a new buffer nor numpy's temporary gather


def test_freezing_in_an_epoch_hook_takes_effect_in_that_epoch(rng):
    # no batch hooks and no metrics: the plan is resolved once per epoch, after the hook
    x, y = _regression(rng)
    model = mk.Sequential([layers.Input((3,)), layers.Dense(4, activation="relu"),
                           layers.Dense(1)])
    seen = {}

    class Freeze(mk.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                self.model.layers[0].trainable = False
                seen["frozen"] = self.model.layers[0].kernel.numpy()

    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=[Freeze()])
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), seen["frozen"])
    assert not np.array_equal(model.layers[1].kernel.numpy(), 0)

