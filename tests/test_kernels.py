"""The compiled update kernels (numba, the ``fast`` extra): the same numbers as numpy."""

import sys

import numpy as np
import pytest

import minikeras as mk
from minikeras import layers, optimizers
from minikeras.optimizers import kernels

needs_numba = pytest.mark.skipif(not kernels.available(), reason="numba is not installed")


def _mlp(seed, optimizer, jit_compile):
    mk.utils.set_random_seed(seed)
    model = mk.Sequential([mk.Input((6,)), layers.Dense(16, activation="relu"),
                           layers.Dense(3, activation="softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  jit_compile=jit_compile)
    return model


@needs_numba
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_adam_kernel_gives_the_numpy_step_bit_for_bit(rng, dtype):
    variables = [mk.Variable(rng.normal(size=shape).astype(dtype))
                 for shape in ((5, 4), (4,), (4, 3))]
    twins = [mk.Variable(v.numpy()) for v in variables]
    schedule = optimizers.schedules.ExponentialDecay(3e-3, decay_steps=2, decay_rate=0.5)
    numpy_path, kernel_path = optimizers.Adam(schedule), optimizers.Adam(schedule)
    for step in range(6):
        grads = [rng.normal(size=v.shape).astype(dtype) * 10.0 ** (step - 3) for v in variables]
        for v, t, g in zip(variables, twins, grads):
            v.grad[...] = g
            t.grad[...] = g
        numpy_path.update(variables, jit=False)
        kernel_path.update(twins, jit=True)
    for v, t in zip(variables, twins):
        np.testing.assert_array_equal(v.numpy(), t.numpy())
    for a, b in zip(numpy_path.variables, kernel_path.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert kernel_path.compiled_update_step() is not None


@needs_numba
@pytest.mark.parametrize("optimizer", ["adam", "adamw"])
def test_fit_with_and_without_kernels_trains_identically(rng, optimizer):
    x = rng.normal(size=(200, 6)).astype("float32")
    y = rng.integers(0, 3, 200)
    runs = []
    for jit in (False, True):
        model = _mlp(7, optimizer, jit)
        history = model.fit(x, y, batch_size=32, epochs=3, verbose=0).history["loss"]
        runs.append((history, [w.numpy() for w in model.weights],
                     [s.numpy() for s in model.optimizer.variables]))
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1] + runs[0][2], runs[1][1] + runs[1][2]):
        np.testing.assert_array_equal(a, b)
    assert _mlp(7, optimizer, True)._step_plan().jit


def test_kernels_are_used_only_where_they_apply(monkeypatch):
    amsgrad = optimizers.Adam(amsgrad=True)
    assert amsgrad.compiled_update_step() is None  # the numpy step keeps AMSGrad's maximum

    class MyAdam(optimizers.Adam):  # a changed update rule is never replaced
        def update_step(self, gradient, variable, learning_rate, slots, scratch):
            super().update_step(gradient, variable, learning_rate, slots, scratch)

    assert MyAdam().compiled_update_step() is None
    assert optimizers.SGD().compiled_update_step() is None
    monkeypatch.setattr(kernels, "available", lambda: False)
    assert not _mlp(0, "adam", "auto")._step_plan().jit  # "auto" without numba: numpy


def test_jit_compile_is_checked_and_saved(monkeypatch, tmp_path):
    model = _mlp(0, "adam", False)
    with pytest.raises(ValueError, match="jit_compile"):
        model.compile(optimizer="adam", loss="mse", jit_compile="yes")
    assert model.get_compile_config()["jit_compile"] is False
    model.save(tmp_path / "m.keras")
    assert mk.models.load_model(tmp_path / "m.keras").jit_compile is False
    monkeypatch.setattr(kernels, "available", lambda: False)
    with pytest.raises(ImportError, match="numba is not installed"):
        model.compile(optimizer="adam", loss="mse", jit_compile=True)
    assert model.jit_compile is False  # the failed compile changed nothing


@needs_numba
def test_a_file_saved_with_kernels_loads_where_numba_cannot_be_had(monkeypatch, tmp_path):
    _mlp(0, "adam", True).save(tmp_path / "m.keras")
    monkeypatch.setattr(kernels, "available", lambda: False)
    loaded = mk.models.load_model(tmp_path / "m.keras")
    assert loaded.jit_compile == "auto" and not loaded._step_plan().jit


def test_without_a_working_numba_steps_take_the_numpy_path(monkeypatch, rng):
    monkeypatch.setattr(kernels, "_compiled", {})
    monkeypatch.setitem(sys.modules, "numba", None)  # installed, but its import fails
    x = rng.normal(size=(64, 6)).astype("float32")
    y = rng.integers(0, 3, 64)
    expected = _mlp(3, "adam", False).fit(x, y, epochs=2, verbose=0).history["loss"]
    model = _mlp(3, "adam", "auto")
    assert model.fit(x, y, epochs=2, verbose=0).history["loss"] == expected
    assert kernels.get("adam") is None and "failed to import" in kernels.problem()
    with pytest.raises(ImportError, match="failed to import"):
        model.compile(optimizer="adam", loss="mse", jit_compile=True)


def test_weights_the_kernels_do_not_cover_take_the_numpy_path(rng):
    x = rng.normal(size=(32, 3)).astype("float32")
    y = rng.normal(size=(32, 1)).astype("float32")
    runs = []
    for jit in (False, "auto"):
        mk.utils.set_random_seed(1)
        model = mk.Sequential([mk.Input((3,)), layers.Dense(4),
                               layers.Dense(1, dtype="float16")])
        model.compile(optimizer="adamw", loss="mse", jit_compile=jit)
        model.fit(x, y, epochs=2, verbose=0)
        runs.append([w.numpy() for w in model.weights] + [model.optimizer.iterations])
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


@needs_numba
def test_a_kernel_that_fails_to_compile_leaves_the_numpy_path(monkeypatch, rng):
    def broken(gradient, variable, m, v, c1, c2, alpha, epsilon):
        variable[0] = "not a number"  # numba cannot type this

    monkeypatch.setattr(kernels, "_compiled", {})
    monkeypatch.setitem(kernels._LOOPS, "adam", (broken, kernels._LOOPS["adam"][1]))
    x = rng.normal(size=(64, 6)).astype("float32")
    y = rng.integers(0, 3, 64)
    expected = _mlp(5, "adamw", False).fit(x, y, epochs=2, verbose=0).history["loss"]
    assert _mlp(5, "adamw", "auto").fit(x, y, epochs=2, verbose=0).history["loss"] == expected
    assert kernels.get("adam") is None and "could not compile" in kernels.problem()


def test_numbas_switched_off_compiler_is_not_used(monkeypatch):
    if not kernels.available():
        pytest.skip("numba is not installed")
    import numba
    monkeypatch.setattr(numba.config, "DISABLE_JIT", True)
    monkeypatch.setattr(kernels, "_compiled", {})
    assert kernels.get("adam") is None and "NUMBA_DISABLE_JIT" in kernels.problem()
