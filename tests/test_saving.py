"""Saving and loading: round trips, resuming, custom objects, bad files, atomic writes."""

import copy
import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import minikeras as mk
from minikeras import (activations, initializers, layers, losses, metrics, optimizers,
                       regularizers)
from minikeras.optimizers import schedules
from minikeras.saving import ModelFileError


def _digits():
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import StandardScaler

    x, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(x[:400]).astype(np.float32), y[:400]


def _model(optimizer, batch_norm):
    mk.utils.set_random_seed(0)
    model = mk.Sequential([mk.Input((64,)), layers.Dense(24, activation="relu",
                                                         kernel_regularizer="l2"),
                           *([layers.BatchNormalization()] if batch_norm else []),
                           layers.Dropout(0.1), layers.Dense(10, activation="softmax")])
    model.compile(optimizer=copy.deepcopy(optimizer), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", "sparse_categorical_accuracy"])
    return model


@pytest.mark.parametrize("optimizer", [optimizers.Adam(1e-3),
                                       optimizers.SGD(0.05, momentum=0.9, nesterov=True)],
                         ids=["adam", "sgd_momentum"])
@pytest.mark.parametrize("batch_norm", [False, True], ids=["plain", "batchnorm"])
def test_resume_equals_uninterrupted_training(tmp_path, optimizer, batch_norm):
    x, y = _digits()
    straight = _model(optimizer, batch_norm)
    straight.fit(x, y, batch_size=32, epochs=4, verbose=0)

    interrupted = _model(optimizer, batch_norm)
    interrupted.fit(x, y, batch_size=32, epochs=2, verbose=0)
    path = tmp_path / "model.keras"
    interrupted.save(path)
    resumed = mk.models.load_model(path)
    np.testing.assert_array_equal(resumed.predict(x, verbose=0),
                                  interrupted.predict(x, verbose=0))
    assert resumed.optimizer.iterations == interrupted.optimizer.iterations
    resumed.fit(x, y, batch_size=32, epochs=2, verbose=0)
    assert resumed.optimizer.iterations == straight.optimizer.iterations
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert resumed.metrics_names == straight.metrics_names


def test_saved_files_are_deterministic_and_any_name_works(tmp_path):
    model = _model(optimizers.Adam(), False)
    model.save(tmp_path / "a.keras")
    model.save(tmp_path / "b.anything")
    assert (tmp_path / "a.keras").read_bytes() == (tmp_path / "b.anything").read_bytes()
    names = zipfile.ZipFile(tmp_path / "a.keras").namelist()
    assert names[0] == "config.json" and all(n.endswith(".npy") for n in names[1:])


def test_load_without_compiling(tmp_path):
    model = _model(optimizers.Adam(), True)
    model.save(tmp_path / "m.keras")
    loaded = mk.models.load_model(tmp_path / "m.keras", compile=False)
    assert not loaded.compiled
    x = _digits()[0]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_an_uncompiled_model_saves_and_loads(tmp_path):
    model = mk.Sequential([mk.Input((3,)), layers.Dense(2)])
    model.save(tmp_path / "m.keras")
    loaded = mk.models.load_model(tmp_path / "m.keras")
    assert not loaded.compiled
    np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])


def test_save_and_load_weights(tmp_path):
    x, y = _digits()
    model = _model(optimizers.Adam(), True)
    model.fit(x, y, epochs=1, verbose=0)
    model.save_weights(tmp_path / "w.weights.h5")
    with np.load(tmp_path / "w.weights.h5", allow_pickle=False) as archive:  # npz content
        assert sorted(archive.files) == sorted(w.path for w in model.weights)
    other = _model(optimizers.Adam(), True)
    other.load_weights(tmp_path / "w.weights.h5")
    np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))
    model.save(tmp_path / "full.keras")  # a model file serves load_weights too
    third = _model(optimizers.Adam(), True)
    third.load_weights(tmp_path / "full.keras")
    for a, b in zip(third.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_failed_load_weights_changes_nothing(tmp_path):
    model = _model(optimizers.Adam(), False)
    model.save_weights(tmp_path / "w.npz")
    wider = mk.Sequential([mk.Input((64,)), layers.Dense(24, activation="relu"),
                           layers.Dense(11, activation="softmax")])
    before = wider.get_weights()
    with pytest.raises(ModelFileError, match="expected shape"):
        wider.load_weights(tmp_path / "w.npz")
    for a, b in zip(before, wider.get_weights()):
        np.testing.assert_array_equal(a, b)
    deeper = mk.Sequential([mk.Input((64,)), layers.Dense(24), layers.Dense(10),
                            layers.Dense(2)])
    with pytest.raises(ModelFileError, match="holds 4 weights, the model has 6"):
        deeper.load_weights(tmp_path / "w.npz")


# ---------------------------------------------------------------- architecture

def test_config_json_and_clone(tmp_path):
    model = _model(optimizers.Adam(), True)
    config = model.get_config()
    rebuilt = mk.Sequential.from_config(config)
    assert rebuilt.get_config() == config
    from_json = mk.models.model_from_json(model.to_json())
    assert from_json.get_config() == config and not from_json.compiled
    clone = mk.models.clone_model(model)
    assert clone.get_config() == config
    assert not np.array_equal(clone.get_weights()[0], model.get_weights()[0])  # fresh
    with pytest.raises(ValueError, match="json_string"):
        mk.models.model_from_json('{"class_name": "Functional", "config": {}}')


# A sample of constructor arguments for the classes that need some.
REQUIRED = {"Dense": {"units": 3}, "Dropout": {"rate": 0.5}, "Activation": {"activation": "relu"},
            "Input": {"shape": (3,)}, "InputLayer": {"shape": (3,)},
            "GaussianNoise": {"stddev": 0.1}, "Reshape": {"target_shape": (3,)},
            "ExponentialDecay": {"initial_learning_rate": 0.1, "decay_steps": 10,
                                 "decay_rate": 0.5},
            "InverseTimeDecay": {"initial_learning_rate": 0.1, "decay_steps": 10,
                                 "decay_rate": 0.5},
            "PiecewiseConstantDecay": {"boundaries": [10, 20], "values": [0.1, 0.05, 0.01]},
            "PolynomialDecay": {"initial_learning_rate": 0.1, "decay_steps": 10},
            "CosineDecay": {"initial_learning_rate": 0.1, "decay_steps": 10},
            "CosineDecayRestarts": {"initial_learning_rate": 0.1, "first_decay_steps": 10}}


@pytest.mark.parametrize("family", [activations, initializers, layers, losses, metrics,
                                    optimizers, regularizers, schedules],
                         ids=lambda m: m.__name__)
def test_every_registered_class_round_trips_its_config(family):
    registry = family._registry if hasattr(family, "_registry") else family.base._registry
    classes = {id(c): c for c in registry._classes.values()}.values()
    for cls in classes:
        obj = cls(**REQUIRED.get(cls.__name__, {}))
        config = obj.get_config()
        json.dumps(config)  # JSON-friendly
        rebuilt = family.get(family.serialize(obj))
        assert type(rebuilt) is cls and rebuilt.get_config() == config, cls


# ---------------------------------------------------------------- custom objects

@mk.saving.register_keras_serializable(package="Tests")
class Gain(layers.Layer):
    """A custom layer with its own constructor argument and get_config."""

    def __init__(self, start=1.0, **kwargs):
        super().__init__(**kwargs)
        self.start = start

    def build(self, input_shape):
        self.g = self.add_weight((input_shape[-1],), initializer=initializers.Constant(self.start),
                                 name="g")

    def call(self, inputs):
        return inputs * self.g

    def get_config(self):
        return {**super().get_config(), "start": self.start}


@mk.saving.register_keras_serializable(package="Tests")
def doubled_mse(y_true, y_pred):
    return 2 * mk.ops.mean((y_true - y_pred) ** 2, axis=-1)


class Unregistered(layers.Layer):
    def call(self, inputs):
        return inputs * 2


def test_registered_custom_layer_and_function_save_and_load(tmp_path):
    x = np.random.default_rng(0).normal(size=(16, 3))
    model = mk.Sequential([mk.Input((3,)), Gain(start=0.5), layers.Dense(1)])
    model.compile(optimizer="adam", loss=doubled_mse, metrics=[doubled_mse])
    model.fit(x, x[:, :1], epochs=2, verbose=0)
    model.save(tmp_path / "custom.keras")
    assert "Tests>Gain" in mk.saving.get_custom_objects()
    loaded = mk.models.load_model(tmp_path / "custom.keras")
    assert isinstance(loaded.layers[0], Gain) and loaded.layers[0].start == 0.5
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.evaluate(x, x[:, :1], verbose=0) == model.evaluate(x, x[:, :1], verbose=0)


def test_unregistered_classes_need_custom_objects(tmp_path):
    model = mk.Sequential([mk.Input((3,)), Unregistered(), layers.Dense(1)])
    model.save(tmp_path / "u.keras")
    with pytest.raises(ModelFileError, match="Unregistered"):
        mk.models.load_model(tmp_path / "u.keras")
    loaded = mk.models.load_model(tmp_path / "u.keras",
                                  custom_objects={"Unregistered": Unregistered})
    assert isinstance(loaded.layers[0], Unregistered)


def test_an_unregistered_function_cannot_be_saved(tmp_path):
    model = mk.Sequential([mk.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="adam", loss=lambda t, p: (t - p) ** 2)
    with pytest.raises(ValueError, match="register_keras_serializable"):
        model.save(tmp_path / "f.keras")
    assert not (tmp_path / "f.keras").exists() and os.listdir(tmp_path) == []


# ---------------------------------------------------------------- durability

def test_a_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    model = _model(optimizers.Adam(), False)
    path = tmp_path / "m.keras"
    model.save(path)
    old = path.read_bytes()
    model.layers[0].kernel.assign(np.zeros((64, 24)))

    def broken_replace(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == old and os.listdir(tmp_path) == ["m.keras"]


def test_a_missing_folder_is_a_clear_error(tmp_path):
    model = _model(optimizers.Adam(), False)
    with pytest.raises(FileNotFoundError, match="folder .* does not exist"):
        model.save(tmp_path / "nope" / "m.keras")
    with pytest.raises(FileNotFoundError, match="No file"):
        mk.models.load_model(tmp_path / "nope.keras")


# ---------------------------------------------------------------- bad files

SENTINEL = "minikeras_sentinel_created"


class Payload:
    """Unpickling this would create the sentinel file: loading must never unpickle."""

    def __init__(self, folder):
        self.folder = folder

    def __reduce__(self):
        return (open, (os.path.join(self.folder, SENTINEL), "w"))


def _saved(tmp_path):
    mk.utils.set_random_seed(0)  # the same bytes every time
    model = mk.Sequential([mk.Input((3,)), layers.Dense(2, activation="softmax", name="out")],
                          name="saved")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(np.ones((4, 3)), np.zeros(4), verbose=0)
    path = tmp_path / "good.keras"
    model.save(path)
    return model, path


def _members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rewrite(path, members, compress=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compress) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _edit_config(path, edit):
    members = _members(path)
    config = json.loads(members["config.json"])
    edit(config)
    members["config.json"] = json.dumps(config).encode()
    _rewrite(path, members)


def _npy(array, allow_pickle=False):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def _layer_class(name):
    def edit(config):
        config["model"]["config"]["layers"][0]["class_name"] = name
    return edit


def _forge_member(member, data):
    def forge(path):
        members = _members(path)
        members[member] = data
        _rewrite(path, members)
    return forge


BAD_FILES = {
    "pickle payload": lambda path: path.write_bytes(pickle.dumps(Payload(str(path.parent)))),
    "object array": lambda path: _forge_member(
        "weights/00000.npy", _npy(np.array([Payload(str(path.parent))], dtype=object),
                                  allow_pickle=True))(path),
    "dotted class name": lambda path: _edit_config(path, _layer_class("os.system")),
    "Lambda layer": lambda path: _edit_config(path, _layer_class("Lambda")),
    "wrong shape": lambda path: _forge_member("weights/00000.npy",
                                              _npy(np.ones((3, 5), np.float32)))(path),
    "missing array": lambda path: _rewrite(path, {k: v for k, v in _members(path).items()
                                                  if k != "weights/00001.npy"}),
    "truncated file": lambda path: path.write_bytes(path.read_bytes()[:-200]),
    "random bytes": lambda path: path.write_bytes(np.random.default_rng(0).bytes(3000)),
    "empty file": lambda path: path.write_bytes(b""),
    "huge shape in an npy header": lambda path: _forge_member(
        "weights/00000.npy",
        b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': "
        b"(100000, 100000, 1000), }" + b" " * 42 + b"\n")(path),
    "zip bomb member": lambda path: _rewrite(path, {**_members(path),
                                                    "weights/00000.npy": bytes(50_000_000)},
                                             compress=zipfile.ZIP_DEFLATED),
    "NaN literal": lambda path: _forge_member(
        "config.json", _members(path)["config.json"].replace(b'"format_version": 1',
                                                             b'"format_version": NaN'))(path),
    "huge units": lambda path: _edit_config(
        path, lambda c: c["model"]["config"]["layers"][0]["config"].update(units=10**9)),
    "unknown config key": lambda path: _edit_config(
        path, lambda c: c["model"]["config"]["layers"][0]["config"].update(evil="x")),
    "newer format": lambda path: _edit_config(path, lambda c: c.update(format_version=99)),
    "extra weight in the manifest": lambda path: _edit_config(
        path, lambda c: c["weights"].append({"path": "x/y", "member": "config.json"})),
    "compile names an unknown loss": lambda path: _edit_config(
        path, lambda c: c["compile"].update(loss="builtins.eval")),
    "optimizer slots swapped": lambda path: _edit_config(
        path, lambda c: c["optimizer"]["variables"].reverse()),
    "optimizer state of the wrong size": lambda path: _forge_member(
        "optimizer/00000.npy", _npy(np.ones((4, 2), np.float32)))(path),
}


@pytest.mark.parametrize("damage", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_files_raise_one_error_and_run_nothing(tmp_path, damage):
    import tracemalloc

    _, path = _saved(tmp_path)
    damage(path)
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError):
            mk.models.load_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert not (tmp_path / SENTINEL).exists()
    assert peak < 20_000_000  # nothing forged made it allocate


def test_bad_weights_files_leave_the_model_alone(tmp_path):
    model, path = _saved(tmp_path)
    before = model.get_weights()
    for damage in ("object array", "wrong shape", "truncated file", "random bytes"):
        BAD_FILES[damage](path)
        with pytest.raises(ModelFileError):
            model.load_weights(path)
        for a, b in zip(before, model.get_weights()):
            np.testing.assert_array_equal(a, b)
        model.save(path)
    assert not (tmp_path / SENTINEL).exists()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_files_load_equal_or_raise_the_one_error(tmp_path, data):
    model, path = _saved(tmp_path)
    original = bytearray(path.read_bytes())
    kind = data.draw(st.sampled_from(["flip", "truncate", "insert", "overwrite"]))
    position = data.draw(st.integers(0, len(original) - 1))
    mutated = bytearray(original)
    if kind == "flip":
        mutated[position] ^= data.draw(st.integers(1, 255))
    elif kind == "truncate":
        mutated = mutated[:position]
    elif kind == "insert":
        mutated[position:position] = data.draw(st.binary(min_size=1, max_size=8))
    else:
        chunk = data.draw(st.binary(min_size=1, max_size=16))
        mutated[position:position + len(chunk)] = chunk
    path.write_bytes(bytes(mutated))
    try:
        loaded = mk.models.load_model(path)
    except ModelFileError:
        return
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert loaded.get_config() == model.get_config()


# ---------------------------------------------------------------- second review

def test_a_member_claiming_bytes_the_file_lacks_is_refused_before_building(tmp_path):
    import struct
    import tracemalloc

    model = mk.Sequential([mk.Input((3,)), layers.Dense(2, name="d")], name="m")
    path = tmp_path / "m.keras"
    model.save(path)
    data = bytearray(path.read_bytes())
    # inflate the sizes the central directory gives for the first weight member
    entry = data.find(b"PK\x01\x02", data.find(b"PK\x01\x02") + 4)
    struct.pack_into("<II", data, entry + 20, 1_600_000_000, 1_600_000_000)
    path.write_bytes(bytes(data))
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match="claims"):
            mk.models.load_model(path)
        assert tracemalloc.get_traced_memory()[1] < 20_000_000
    finally:
        tracemalloc.stop()


class Block(layers.Layer):
    """A layer holding a Dense and a variable made outside add_weight."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = layers.Dense(2)

    def build(self, input_shape):
        self.gain = mk.Variable(np.ones(2), name="gain")

    def call(self, inputs):
        return self.inner(inputs) * self.gain


def test_sublayer_and_direct_weights_have_stable_unique_paths(tmp_path):
    model = mk.Sequential([mk.Input((3,)), Block(name="b1"), Block(name="b2")])
    assert [w.path for w in model.weights] == ["b1/gain", "b1/inner/kernel", "b1/inner/bias",
                                               "b2/gain", "b2/inner/kernel", "b2/inner/bias"]
    model.save(tmp_path / "m.keras")
    model.save_weights(tmp_path / "w.npz")
    layers.Dense(3)  # later sessions number their Dense layers differently
    loaded = mk.models.load_model(tmp_path / "m.keras", custom_objects={"Block": Block})
    x = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    other = mk.Sequential([mk.Input((3,)), Block(name="b1"), Block(name="b2")])
    other.load_weights(tmp_path / "w.npz")
    np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))


def test_saving_after_pop_and_functions_added_to_the_custom_objects_dict(tmp_path):
    def halved_mse(y_true, y_pred):
        return 0.5 * mk.ops.mean((y_true - y_pred) ** 2, axis=-1)

    mk.saving.get_custom_objects()["Tests>halved_mse"] = halved_mse
    x = np.random.default_rng(0).normal(size=(16, 3))
    model = mk.Sequential([mk.Input((3,)), layers.Dense(4), layers.Dense(1), layers.Dense(1)])
    model.compile(optimizer="adam", loss=halved_mse)
    model.fit(x, x[:, :1], epochs=1, verbose=0)
    model.pop()
    model.save(tmp_path / "popped.keras")
    loaded = mk.models.load_model(tmp_path / "popped.keras")
    assert len(loaded.layers) == 2 and loaded.loss.fn is halved_mse


def test_nested_custom_objects_in_configs_and_clones():
    class Cube(mk.activations.Activation):
        def __call__(self, z):
            return z ** 3

    model = mk.Sequential([mk.Input((3,)), layers.Dense(2, activation=Cube())])
    clone = mk.models.clone_model(model)  # the model's own classes are known
    assert isinstance(clone.layers[0].activation, Cube)
    rebuilt = mk.models.model_from_json(model.to_json(), custom_objects={"Cube": Cube})
    assert isinstance(rebuilt.layers[0].activation, Cube)
    with pytest.raises(ValueError, match="Cube"):
        mk.models.model_from_json(model.to_json())
    with pytest.raises(ValueError, match="json_string"):
        mk.models.model_from_json("[" * 100_000)


def test_many_layers_load_in_linear_time(tmp_path):
    import time

    model = mk.Sequential([mk.Input((2,))] + [layers.Activation("tanh") for _ in range(3000)])
    model.save(tmp_path / "deep.keras")
    started = time.perf_counter()
    assert len(mk.models.load_model(tmp_path / "deep.keras").layers) == 3000
    assert time.perf_counter() - started < 10


def test_values_out_of_range_for_the_models_dtype_are_refused(tmp_path):
    model = mk.Sequential([mk.Input((3,)), layers.Dense(2, name="a"), layers.Dense(2, name="b")])
    np.savez(tmp_path / "w.npz", **{"a/kernel": np.ones((3, 2)), "a/bias": np.ones(2),
                                    "b/kernel": np.full((2, 2), 1e300), "b/bias": np.ones(2)})
    before = model.get_weights()
    with np.errstate(over="raise"), pytest.raises(ModelFileError, match="beyond the range"):
        model.load_weights(tmp_path / "w.npz")
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def _layer_config(**changes):
    def edit(config):
        config["model"]["config"]["layers"][0]["config"].update(changes)
    return edit


@pytest.mark.parametrize("edit", [
    _layer_config(trainable="false"), _layer_config(use_bias="no"),
    _layer_config(kernel_initializer=None),
    _layer_config(kernel_initializer={"class_name": "RandomNormal", "config": {"seed": 1.5}}),
    _layer_config(activation={"class_name": "Softmax", "config": {"axis": 10 ** 30}}),
    lambda c: c["model"]["config"].update(name={}),
    lambda c: c["compile"].update(loss={"class_name": "MeanSquaredError",
                                        "config": {"name": {"x": [1]}}}),
    lambda c: c.update(format_version=True), lambda c: c.update(minikeras_version=1),
    lambda c: c["optimizer"].update(extra=1), lambda c: c["compile"].update(metrics={}),
    lambda c: c["optimizer"].update(iterations=10 ** 400),
], ids=["trainable", "use_bias", "null initializer", "float seed", "huge axis", "name",
        "loss name", "bool version", "version type", "optimizer key", "metrics dict",
        "huge iterations"])
def test_config_values_of_the_wrong_type_are_refused(tmp_path, edit):
    model = mk.Sequential([mk.Input((3,)), layers.Dense(2, activation="softmax", name="d")],
                          name="m")
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 3)), np.ones((4, 2)) / 2, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    _edit_config(path, edit)
    with pytest.raises(ModelFileError):
        mk.models.load_model(path)


def test_model_from_json_refuses_configs_nested_too_deeply():
    activation = "relu"  # the parse is shallow enough; building recursed without limit
    for _ in range(400):
        activation = {"class_name": "Dense", "config": {"units": 1, "activation": activation}}
    text = json.dumps({"class_name": "Sequential", "config": {"name": "s", "input_shape": [3],
                       "layers": [{"class_name": "Dense",
                                   "config": {"units": 2, "activation": activation}}]}})
    with pytest.raises(ValueError):
        mk.models.model_from_json(text)


def test_duplicate_json_keys_are_refused(tmp_path):
    _, path = _saved(tmp_path)
    _forge_member("config.json", b'{"format": "minikeras", "format": "minikeras"}')(path)
    with pytest.raises(ModelFileError, match="twice"):
        mk.models.load_model(path)


def test_saving_through_a_symlink_writes_its_target(tmp_path):
    model, _ = _saved(tmp_path)
    target = tmp_path / "real.keras"
    link = tmp_path / "link.keras"
    link.symlink_to(target)
    model.save(link)
    assert link.is_symlink() and target.stat().st_size > 0
    mk.models.load_model(link)


@mk.saving.register_keras_serializable(package="Tests")
class RenamedArguments(layers.Layer):
    """Keeps its arguments under other names, as Keras users often do."""

    def __init__(self, degree=3, table=None, init="ones", **kwargs):
        super().__init__(**kwargs)
        self.deg = degree
        self._table = np.asarray(table if table is not None else [1.0])
        self._init = initializers.get(init)

    def build(self, input_shape):
        self.c = self.add_weight((self.deg, input_shape[-1]), initializer=self._init, name="c")

    def call(self, inputs):
        return sum(self.c[k] * inputs ** (k + 1) for k in range(self.deg))


def test_arguments_kept_under_other_names_save_load_and_clone(tmp_path):
    layer = RenamedArguments(2, table=np.ones(3), init=initializers.Constant(0.5))
    config = layer.get_config()
    assert config["degree"] == 2 and "table" not in config  # an array is not recorded
    assert config["init"]["class_name"] == "Constant"
    model = mk.Sequential([mk.Input((2,)), RenamedArguments(degree=2), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "m.keras")
    for copy_ in (mk.models.load_model(tmp_path / "m.keras"), mk.models.clone_model(model),
                  pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        assert copy_.layers[0].deg == 2 and copy_.layers[0].c.shape == (2, 2)


@mk.saving.register_keras_serializable(package="Tests")
class OwnConfigUnderOtherKey(layers.Layer):
    """Writes its own get_config/from_config, with the argument under another key."""

    def __init__(self, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self._factor = factor

    def get_config(self):
        return {**super().get_config(), "scale": self._factor}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(factor=config.pop("scale"), **config)

    def call(self, inputs):
        return inputs * self._factor


def test_a_written_get_config_is_not_second_guessed(tmp_path):
    model = mk.Sequential([mk.Input((2,)), OwnConfigUnderOtherKey(factor=2.0)])
    model.compile(optimizer="sgd", loss="mse")
    assert "factor" not in model.layers[0].get_config()
    model.save(tmp_path / "m.keras")
    for copy_ in (mk.models.load_model(tmp_path / "m.keras"), mk.models.clone_model(model)):
        assert copy_.layers[0]._factor == 2.0


def test_numpy_numbers_passed_to_a_constructor_are_recorded():
    assert RenamedArguments(np.int64(2)).get_config()["degree"] == 2
    assert type(RenamedArguments(np.int64(2)).get_config()["degree"]) is int


def test_a_namedtuple_argument_is_not_recorded_as_a_list():
    import collections
    Spec = collections.namedtuple("Spec", "scale shift")

    class Affine(layers.Layer):
        def __init__(self, spec=Spec(1.0, 0.0), **kwargs):
            super().__init__(**kwargs)
            self._spec = spec

        def call(self, inputs):
            return inputs * self._spec.scale + self._spec.shift

    assert "spec" not in Affine(Spec(2.0, 1.0)).get_config()  # it needs a get_config


def test_a_model_saved_with_a_frozen_trained_layer_loads_and_resumes(tmp_path):
    x, y = _digits()
    model = _model(optimizers.RMSprop(1e-3, momentum=0.5), batch_norm=True)
    model.fit(x, y, batch_size=64, epochs=1, verbose=0)
    model.layers[0].trainable = False  # fine-tuning: the optimizer keeps its state, as Keras
    model.fit(x, y, batch_size=64, epochs=1, verbose=0)
    model.save(tmp_path / "frozen.keras")
    loaded = mk.models.load_model(tmp_path / "frozen.keras")
    assert not loaded.layers[0].trainable
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        assert a.path == b.path
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for m in (model, loaded):
        m.layers[0].trainable = True
        mk.utils.set_random_seed(1)  # the same dropout masks for both
        m.fit(x, y, batch_size=64, epochs=1, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


class Scale(layers.Layer):
    def build(self, input_shape):
        self.s = self.add_weight((input_shape[-1],), "ones", trainable=False, name="s")

    def call(self, inputs):
        return inputs * self.s


def test_a_weight_made_trainable_after_creation_saves_and_loads_its_state(tmp_path):
    model = mk.Sequential([mk.Input((3,)), Scale(name="scale"), layers.Dense(1)])
    model.layers[0].s.trainable = True  # created frozen, trained later
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=2, verbose=0)
    model.save(tmp_path / "scale.keras")
    loaded = mk.models.load_model(tmp_path / "scale.keras",
                                  custom_objects={"Scale": Scale})
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_a_model_whose_trained_layers_were_replaced_saves_and_loads(tmp_path):
    model = mk.Sequential([mk.Input((3,)), layers.Dense(2, name="first")])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((8, 3)), np.ones((8, 2)), epochs=2, verbose=0)
    model.pop()
    model.add(layers.Dense(2, name="second"))  # the optimizer has no state for it yet
    model.save(tmp_path / "replaced.keras")
    loaded = mk.models.load_model(tmp_path / "replaced.keras")
    assert loaded.optimizer.iterations == model.optimizer.iterations
    np.testing.assert_array_equal(loaded.predict(np.ones((2, 3)), verbose=0),
                                  model.predict(np.ones((2, 3)), verbose=0))


def test_an_optimizer_config_does_not_call_a_learning_rate_function():
    calls = []

    def rate():
        calls.append(1)
        return 0.1

    with pytest.raises(ValueError, match="LearningRateSchedule"):
        optimizers.SGD(rate).get_config()
    assert calls == []
