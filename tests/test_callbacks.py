"""Callbacks: early stopping, checkpoints, learning-rate control, NaN, CSV, lambdas, backups."""

import csv
import math
import os

import numpy as np
import pytest

import minikeras as mk
from minikeras import callbacks, layers, optimizers


@pytest.fixture(autouse=True)
def _numpy_errors():
    previous = np.geterr()
    yield
    np.seterr(**previous)


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    return x, y


def _model(learning_rate=0.01, seed=0):
    mk.utils.set_random_seed(seed)
    model = mk.Sequential([mk.Input((4,)), layers.Dense(8, activation="relu"),
                           layers.Dropout(0.1), layers.Dense(2, activation="softmax")])
    model.compile(optimizer=optimizers.SGD(learning_rate, momentum=0.5),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


class Script(callbacks.Callback):
    """Logs a scripted value as "score" each epoch and keeps each epoch's weights."""

    def __init__(self, values):
        super().__init__()
        self.values = list(values)
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        logs["score"] = self.values[epoch]
        self.weights.append(self.model.get_weights())


# ---------------------------------------------------------------- EarlyStopping

def test_early_stopping_restores_the_best_weights_exactly():
    x, y = _data()
    script = Script([5.0, 4.0, 3.0, 3.5, 3.6, 3.7, 3.8, 3.9])
    stopper = callbacks.EarlyStopping(monitor="score", mode="min", patience=2,
                                      restore_best_weights=True)
    history = _model().fit(x, y, epochs=8, callbacks=[script, stopper], verbose=0)
    assert stopper.stopped_epoch == 4 and stopper.best_epoch == 2 and stopper.best == 3.0
    assert len(history.history["loss"]) == 5
    for a, b in zip(stopper.model.get_weights(), script.weights[2]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kwargs, values, stopped", [
    (dict(mode="max"), [1.0, 2.0, 2.0, 1.0], 2),
    (dict(mode="min", min_delta=0.5), [5.0, 4.8, 4.7, 4.6], 1),
    # Keras 3: an improving epoch never stops training, even short of the baseline
    (dict(mode="min", baseline=1.0, patience=1), [5.0, 4.0, 3.0, 3.0, 3.0], 3),
    (dict(mode="min", start_from_epoch=2), [5.0, 6.0, 7.0, 8.0, 9.0], 3),
    (dict(monitor="val_accuracy"), None, 1),  # "auto": the accuracy metric's direction, up
])
def test_early_stopping_options(kwargs, values, stopped):
    x, y = _data()

    class Log(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["score"] = values[epoch] if values else 0.0
            logs["val_accuracy"] = [0.5, 0.4, 0.3, 0.2][epoch]

    stopper = callbacks.EarlyStopping(**{"monitor": "score", **kwargs})
    _model().fit(x, y, epochs=len(values or [0] * 4), callbacks=[Log(), stopper], verbose=0)
    assert stopper.stopped_epoch == stopped


def test_early_stopping_warns_about_a_missing_key_and_prints(capsys):
    x, y = _data()
    with pytest.warns(UserWarning, match="val_loss.*not in the logs"):
        _model().fit(x, y, epochs=2, callbacks=[callbacks.EarlyStopping()], verbose=0)
    stopper = callbacks.EarlyStopping(monitor="score", mode="min", verbose=1,
                                      restore_best_weights=True)
    _model().fit(x, y, epochs=3, callbacks=[Script([1.0, 2.0, 3.0]), stopper], verbose=0)
    out = capsys.readouterr().out
    assert "Epoch 2: early stopping" in out and "best epoch: 1" in out
    with pytest.raises(ValueError, match="patience"):
        callbacks.EarlyStopping(patience=-1)


# ---------------------------------------------------------------- ModelCheckpoint

def test_model_checkpoint_fills_the_template_and_saves_only_on_improvement(tmp_path):
    x, y = _data()
    script = Script([3.0, 2.0, 2.5, 1.0])
    template = str(tmp_path / "model_{epoch:02d}_{score:.2f}.keras")
    checkpoint = callbacks.ModelCheckpoint(template, monitor="score", mode="min",
                                           save_best_only=True)
    model = _model()
    model.fit(x, y, epochs=4, callbacks=[script, checkpoint], verbose=0)
    assert sorted(os.listdir(tmp_path)) == ["model_01_3.00.keras", "model_02_2.00.keras",
                                            "model_04_1.00.keras"]
    restored = mk.models.load_model(tmp_path / "model_02_2.00.keras")
    for a, b in zip(restored.get_weights(), script.weights[1]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("mode, first", [("min", "inf"), ("max", "-inf")])
def test_model_checkpoint_says_what_improved_from_the_start(tmp_path, capsys, mode, first):
    x, y = _data()
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "m.keras"), monitor="score",
                                           mode=mode, save_best_only=True, verbose=1)
    _model().fit(x, y, epochs=1, callbacks=[Script([3.0]), checkpoint], verbose=0)
    assert f"score improved from {first} to 3.00000" in capsys.readouterr().out
    every = callbacks.ModelCheckpoint(str(tmp_path / "e.keras"), verbose=1)
    _model().fit(x, y, epochs=1, callbacks=[every], verbose=0)
    assert f"Epoch 1: saving model to {tmp_path / 'e.keras'}" in capsys.readouterr().out


def test_model_checkpoint_weights_only_every_epoch_and_batches(tmp_path):
    x, y = _data()
    model = _model()
    every = callbacks.ModelCheckpoint(str(tmp_path / "w{epoch}.weights.h5"),
                                      save_weights_only=True)
    batches = callbacks.ModelCheckpoint(str(tmp_path / "b{epoch}-{batch}.keras"), save_freq=3)
    model.fit(x, y, batch_size=16, epochs=2, callbacks=[every, batches], verbose=0)
    names = sorted(os.listdir(tmp_path))
    assert names == ["b1-3.keras", "b2-2.keras", "w1.weights.h5", "w2.weights.h5"]
    model.load_weights(tmp_path / "w2.weights.h5")
    with pytest.raises(ValueError, match="nope"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[
            callbacks.ModelCheckpoint(str(tmp_path / "{nope}.keras"))])


def test_model_checkpoint_never_leaves_a_partial_file(tmp_path, monkeypatch):
    x, y = _data()
    path = tmp_path / "best.keras"
    model = _model()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.ModelCheckpoint(str(path))])
    good = path.read_bytes()

    def broken(*args):
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="power cut"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.ModelCheckpoint(str(path))])
    monkeypatch.undo()
    assert path.read_bytes() == good and os.listdir(tmp_path) == ["best.keras"]


# ---------------------------------------------------------------- learning rates

def test_learning_rate_scheduler_sets_and_logs_the_rate():
    x, y = _data()
    model = _model()
    seen = []
    schedule = callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)
    spy = callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: seen.append(model.optimizer.learning_rate))
    history = model.fit(x, y, epochs=3, callbacks=[schedule, spy], verbose=0)
    assert seen == [0.005, 0.0025, 0.00125]
    assert history.history["learning_rate"] == seen
    model.fit(x, y, epochs=2, verbose=0,
              callbacks=[callbacks.LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))])
    assert model.optimizer.learning_rate == pytest.approx(0.05)


def test_reduce_lr_on_plateau_waits_and_respects_min_lr():
    x, y = _data()
    model = _model(learning_rate=0.1)
    script = Script([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    reducer = callbacks.ReduceLROnPlateau(monitor="score", mode="min", factor=0.5, patience=2,
                                          min_lr=0.03)
    history = model.fit(x, y, epochs=8, callbacks=[script, reducer], verbose=0)
    rates = history.history["learning_rate"]  # the rate in effect during each epoch
    assert rates == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.03, 0.03, 0.03])


def test_reduce_lr_on_plateau_cooldown_and_schedules_refused():
    x, y = _data()
    model = _model(learning_rate=0.1)
    reducer = callbacks.ReduceLROnPlateau(monitor="score", mode="min", factor=0.5, patience=1,
                                          cooldown=2)
    history = model.fit(x, y, epochs=6, callbacks=[Script([1.0] * 6), reducer], verbose=0)
    # Keras' order: the cooldown counts down, then one more flat epoch fills the patience
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025,
                                                              0.025])
    model.compile(optimizer=optimizers.SGD(lambda: 0.1), loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="schedule or a function"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[reducer])
    assert model.optimizer.iterations == 0  # refused before any training


def test_auto_mode_asks_the_metric_and_templates_are_checked_first(tmp_path):
    x, y = _data()
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    watch = callbacks.EarlyStopping(monitor="val_accuracy")
    model.fit(x, y, epochs=1, validation_split=0.25, callbacks=[watch], verbose=0)
    assert watch._watch.higher_is_better
    for bad in ("mystery_metric", "val_mystery"):
        with pytest.raises(ValueError, match="mode='max'"):
            model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.EarlyStopping(bad)])
    with pytest.raises(ValueError, match="not a valid template"):
        model.fit(x, y, epochs=1, verbose=0,
                  callbacks=[callbacks.ModelCheckpoint(str(tmp_path / "{epoch:s}.keras"))])
    assert model.optimizer.iterations == 2  # only the first, valid fit trained


# ---------------------------------------------------------------- non-finite losses

def _rooted(y_true, y_pred):
    """A loss that is NaN for a sample whose target is below 0.5 (a broken user loss)."""
    return mk.ops.sqrt(y_true[:, 0] - 0.5) + mk.ops.mean((y_true - y_pred) ** 2, axis=-1)


def _exploding():
    np.seterr(invalid="ignore")  # numpy's own warnings about sqrt(-1); restored by the fixture
    x, _ = _data()
    y = np.ones((len(x), 1))
    y[40] = -1.0  # in batch 3 of 16
    mk.utils.set_random_seed(0)
    model = mk.Sequential([mk.Input((4,)), layers.Dense(3, activation="tanh"), layers.Dense(1)])
    model.compile(optimizer="sgd", loss=_rooted)
    return model, x, y


def test_fit_stops_at_the_first_non_finite_loss_and_keeps_finite_weights():
    model, x, y = _exploding()
    with pytest.warns(UserWarning, match="epoch 1, batch 3"):
        history = model.fit(x, y, batch_size=16, epochs=5, shuffle=False, verbose=0)
    assert len(history.history["loss"]) == 1 and not math.isfinite(history.history["loss"][0])
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert model.optimizer.iterations == 2  # the bad batch took no step


def test_terminate_on_nan_says_so(capsys):
    model, x, y = _exploding()
    with pytest.warns(UserWarning):
        model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0,
                  callbacks=[callbacks.TerminateOnNaN()])
    assert "Batch 2: Invalid loss, terminating training" in capsys.readouterr().out


# ---------------------------------------------------------------- CSVLogger, LambdaCallback

def test_csv_logger_rows_and_append(tmp_path):
    x, y = _data()
    path = tmp_path / "log.csv"
    model = _model()
    first = model.fit(x, y, epochs=2, verbose=0, validation_split=0.25,
                      callbacks=[callbacks.CSVLogger(path, separator=";")])
    model.fit(x, y, epochs=1, verbose=0, validation_split=0.25,
              callbacks=[callbacks.CSVLogger(path, separator=";", append=True)])
    with open(path, newline="") as file:
        rows = list(csv.reader(file, delimiter=";"))
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "0"]
    assert float(rows[2][2]) == first.history["loss"][1]
    assert float(rows[3][4]) == model.history.history["val_loss"][0]


def test_lambda_callback_calls_batch_and_epoch_functions():
    x, y = _data()
    calls = []
    hooks = callbacks.LambdaCallback(
        on_train_begin=lambda logs: calls.append("begin"),
        on_batch_end=lambda batch, logs: calls.append(("batch", batch, "loss" in logs)),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch", epoch)))
    _model().fit(x, y, batch_size=32, epochs=1, callbacks=[hooks], verbose=0)
    assert calls == ["begin", ("batch", 0, True), ("batch", 1, True), ("epoch", 0)]
    with pytest.raises(ValueError, match="unknown hook"):
        callbacks.LambdaCallback(on_whatever=print)

    class OldStyle(callbacks.Callback):  # Keras 2's name for the training batch hook
        def on_batch_end(self, batch, logs=None):
            calls.append(("old", batch))

    calls.clear()
    _model().fit(x, y, batch_size=32, epochs=1, callbacks=[OldStyle()], verbose=0)
    assert calls == [("old", 0), ("old", 1)]


# ---------------------------------------------------------------- BackupAndRestore

class Interrupt(callbacks.Callback):
    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.at:
            raise KeyboardInterrupt("the machine went down")


def test_backup_and_restore_resumes_to_the_same_weights(tmp_path):
    x, y = _data()
    straight = _model(seed=5)
    straight.fit(x, y, batch_size=16, epochs=5, verbose=0)

    interrupted = _model(seed=5)
    backup = callbacks.BackupAndRestore(tmp_path / "backup")
    with pytest.raises(KeyboardInterrupt):
        interrupted.fit(x, y, batch_size=16, epochs=5, verbose=0,
                        callbacks=[backup, Interrupt(at=2)])
    assert "backup.json" in os.listdir(tmp_path / "backup")

    resumed = _model(seed=99)  # a new process would build the model anew
    history = resumed.fit(x, y, batch_size=16, epochs=5, verbose=0,
                          callbacks=[callbacks.BackupAndRestore(tmp_path / "backup")])
    assert history.epoch == [3, 4]
    assert resumed.optimizer.iterations == straight.optimizer.iterations
    for a, b in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert os.listdir(tmp_path / "backup") == []  # deleted once fit ended normally


def _seeded_model(seed=0):
    mk.utils.set_random_seed(seed)
    model = mk.Sequential([mk.Input((4,)), layers.Dense(8, activation="relu"),
                           layers.Dropout(0.2, seed=3), layers.GaussianNoise(0.1, seed=4),
                           layers.Dense(2, activation="softmax")])
    model.compile(optimizer=optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    return model


def test_backup_keeps_the_learning_rate_and_the_layers_generators(tmp_path):
    x, y = _data()
    halve = callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)
    straight = _seeded_model()
    straight.fit(x, y, batch_size=16, epochs=4, verbose=0, callbacks=[halve])
    interrupted = _seeded_model()
    with pytest.raises(KeyboardInterrupt):
        interrupted.fit(x, y, batch_size=16, epochs=4, verbose=0,
                        callbacks=[halve, callbacks.BackupAndRestore(tmp_path), Interrupt(1)])
    resumed = _seeded_model(seed=42)
    resumed.fit(x, y, batch_size=16, epochs=4, verbose=0,
                callbacks=[callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5),
                           callbacks.BackupAndRestore(tmp_path)])
    assert resumed.optimizer.learning_rate == straight.optimizer.learning_rate
    for a, b in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_damaged_backup_restores_nothing(tmp_path):
    import json

    x, y = _data()
    model = _model()
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=3, verbose=0,
                  callbacks=[callbacks.BackupAndRestore(tmp_path), Interrupt(0)])
    state = json.loads((tmp_path / "backup.json").read_text())
    for damage in ({**state, "epoch": -5}, {**state, "generators": [{"bad": 1}]}, "{"):
        (tmp_path / "backup.json").write_text(damage if isinstance(damage, str)
                                             else json.dumps(damage))
        fresh = _model(seed=3)
        before = fresh.get_weights()
        with pytest.raises(ValueError, match="backup.json"):
            fresh.fit(x, y, epochs=3, verbose=0, callbacks=[callbacks.BackupAndRestore(tmp_path)])
        for a, b in zip(before, fresh.get_weights()):
            np.testing.assert_array_equal(a, b)


def test_csv_logger_refuses_to_append_other_columns_and_writes_arrays_on_one_line(tmp_path):
    x, y = _data()
    path = tmp_path / "log.csv"
    model = _model()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.CSVLogger(path)])
    with pytest.raises(ValueError, match="columns"):
        model.fit(x, y, epochs=1, verbose=0, validation_split=0.25,
                  callbacks=[callbacks.CSVLogger(path, append=True)])
    yy = np.eye(2)[y]
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["f1_score"])
    model.fit(x, yy, epochs=1, verbose=0, callbacks=[callbacks.CSVLogger(tmp_path / "f1.csv")])
    lines = (tmp_path / "f1.csv").read_text().splitlines()
    assert len(lines) == 2 and lines[1].count("[") == 1


def test_model_checkpoint_refuses_an_unsaveable_model_before_training(tmp_path):
    x, y = _data()
    model = mk.Sequential([mk.Input((x.shape[1],)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss=lambda y_true, y_pred: (y_true - y_pred) ** 2)
    before = [w.numpy() for w in model.weights]
    with pytest.raises(ValueError, match="ModelCheckpoint cannot save"):
        model.fit(x, y, epochs=1, verbose=0,
                  callbacks=[callbacks.ModelCheckpoint(str(tmp_path / "m.keras"))])
    for a, b in zip(before, model.weights):
        np.testing.assert_array_equal(a, b.numpy())
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.ModelCheckpoint(
        str(tmp_path / "m.weights.h5"), save_weights_only=True)])
    assert os.path.exists(tmp_path / "m.weights.h5")


def test_model_checkpoint_makes_its_folder(tmp_path):
    x, y = _data()
    path = tmp_path / "runs" / "one" / "m_{epoch}.keras"
    _model().fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.ModelCheckpoint(str(path))])
    assert sorted(os.listdir(tmp_path / "runs" / "one")) == ["m_1.keras", "m_2.keras"]


def test_checkpoints_refuse_a_layer_config_json_cannot_hold(tmp_path):
    class Scale(layers.Layer):
        def __init__(self, factors, **kwargs):
            super().__init__(**kwargs)
            self.factors = factors  # an array: no JSON config

        def call(self, inputs):
            return inputs * self.factors

    x, y = _data()
    model = mk.Sequential([mk.Input((4,)), Scale(np.ones(4, "float32")), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    for callback in (callbacks.ModelCheckpoint(str(tmp_path / "m.keras")),
                     callbacks.BackupAndRestore(str(tmp_path / "backup"))):
        with pytest.raises(ValueError, match="Layer 'scale.*' cannot be saved"):
            model.fit(x, y, epochs=1, verbose=0, callbacks=[callback])
    with pytest.raises(ValueError, match="cannot be saved"):
        model.save(tmp_path / "direct.keras")
    assert not os.path.exists(tmp_path / "direct.keras")


def test_unsaveable_models_are_refused_before_any_callback_starts(tmp_path):
    class Holding(mk.losses.Loss):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.reduction_weights = np.ones(3)  # (a config JSON cannot hold)

        def get_config(self):
            return {**super().get_config(), "weights": self.reduction_weights}

        def call(self, y_true, y_pred):
            return mk.ops.mean((y_true - y_pred) ** 2, axis=-1)

    x, y = _data()
    log = tmp_path / "log.csv"
    log.write_text("kept\n")
    model = mk.Sequential([mk.Input((4,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss=Holding())
    for callback in (callbacks.BackupAndRestore(str(tmp_path / "backup")),
                     callbacks.ModelCheckpoint(str(tmp_path / "m.keras"))):
        with pytest.raises(ValueError, match="compile settings .* cannot be saved"):
            model.fit(x, y, epochs=1, verbose=0,
                      callbacks=[callbacks.CSVLogger(str(log), append=False), callback])
        assert log.read_text() == "kept\n"  # the logger had not started


def test_progress_lines_look_like_keras_and_verbose_0_is_silent(capsys):
    import re

    x = np.random.default_rng(0).normal(size=(40, 3))
    y = x.sum(axis=1, keepdims=True)
    model = mk.Sequential([mk.Input((3,)), mk.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    model.fit(x, y, batch_size=16, epochs=2, validation_split=0.2)
    model.fit(x, y, batch_size=16, epochs=1, verbose=2)
    model.evaluate(x, y, batch_size=16)
    model.predict(x, batch_size=16)
    lines = capsys.readouterr().out.splitlines()
    rate = r"\d+(s|ms|us)/step"
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and lines[4] == "Epoch 1/1"
    assert re.fullmatch(rf"2/2 [━=]{{20}} \d+s {rate} - loss: [\d.]+ - mae: [\d.]+ - "
                        r"val_loss: [\d.]+ - val_mae: [\d.]+", lines[1])
    assert re.fullmatch(rf"3/3 - \d+s - {rate} - loss: [\d.]+ - mae: [\d.]+", lines[5])
    assert re.fullmatch(rf"3/3 [━=]{{20}} \d+s {rate} - loss: [\d.]+ - mae: [\d.]+", lines[6])
    assert re.fullmatch(rf"3/3 [━=]{{20}} \d+s {rate}", lines[7]) and len(lines) == 8
    model.fit(x, y, epochs=1, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_progress_line_falls_back_to_ascii(monkeypatch):
    import io

    monkeypatch.setattr("sys.stdout", io.TextIOWrapper(io.BytesIO(), encoding="ascii"))
    assert mk.callbacks.progress_line(4, 0.5, {"loss": 1.0}) == \
        "4/4 ==================== 0s 125ms/step - loss: 1.0000"
    assert mk.callbacks.progress_line(2, 0.5, total=4) == "2/4 ==========           0s 250ms/step"
    assert mk.callbacks.progress_line(2, 3.0, bar=False, total=4) == "2/4 - 3s - 2s/step"


def test_backup_resumes_the_same_model_with_plain_sgd(tmp_path):
    x, y = _data()

    def plain(seed):
        mk.utils.set_random_seed(seed)
        model = mk.Sequential([mk.Input((4,)), layers.Dense(3), layers.Dense(1)])
        model.compile(optimizer=optimizers.SGD(0.05), loss="mse")  # no per-weight state
        return model

    straight = plain(1)
    straight.fit(x, y, batch_size=16, epochs=4, verbose=0)
    model = plain(1)
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=16, epochs=4, verbose=0,
                  callbacks=[callbacks.BackupAndRestore(tmp_path), Interrupt(1)])
    model.fit(x, y, batch_size=16, epochs=4, verbose=0,  # the same object, as Keras' docs do
              callbacks=[callbacks.BackupAndRestore(tmp_path)])
    assert model.optimizer.iterations == straight.optimizer.iterations
    for a, b in zip(model.get_weights(), straight.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_backed_up_float_rate_is_refused_by_a_schedule_before_anything_changes(tmp_path):
    x, y = _data()
    model = _model()
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=3, verbose=0,
                  callbacks=[callbacks.BackupAndRestore(tmp_path), Interrupt(0)])
    scheduled = _model(seed=3)
    scheduled.compile(optimizer=optimizers.SGD(
        optimizers.schedules.ExponentialDecay(0.01, 10, 0.5), momentum=0.5),
        loss="sparse_categorical_crossentropy")
    before = scheduled.get_weights()
    with pytest.raises(ValueError, match="schedule"):
        scheduled.fit(x, y, epochs=3, verbose=0, callbacks=[callbacks.BackupAndRestore(tmp_path)])
    assert scheduled.optimizer.iterations == 0
    for a, b in zip(before, scheduled.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_checkpoint_messages_for_per_class_and_nan_values(tmp_path, capsys):
    x, y = _data()
    model = mk.Sequential([mk.Input((4,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=[mk.metrics.F1Score(threshold=0.5)])
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "f1.keras"), monitor="f1_score",
                                           mode="max", save_best_only=True, verbose=1)
    model.fit(x, y, epochs=1, callbacks=[checkpoint], verbose=0)
    assert "f1_score improved from -inf to [" in capsys.readouterr().out

    # a NaN is never an improvement, so it cannot block the later ones
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "m.keras"), monitor="score",
                                           mode="min", save_best_only=True, verbose=1)
    _model().fit(x, y, epochs=3, callbacks=[Script([float("nan"), 2.0, 1.0]), checkpoint],
                 verbose=0)
    out = capsys.readouterr().out
    assert "improved from inf to 2.00000" in out and "improved from 2.00000 to 1.00000" in out


def test_the_non_finite_loss_warning_survives_a_raising_callback():
    x, y = _data()
    model = _model(learning_rate=1e30)

    class Boom(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise RuntimeError("boom")

    with np.errstate(all="ignore"), pytest.warns(UserWarning, match="fit stopped"), \
            pytest.raises(RuntimeError, match="boom"):
        model.fit(x * 1e30, y, epochs=2, verbose=0, callbacks=[Boom()])
