"""Smoke tests of the course examples: Franke regression, activations, optimizers.

Each runs its example's ``main`` on a tiny problem and checks what it returns (and, with
matplotlib installed, that the PNG is written).
"""

import importlib.util
import pathlib
import sys

import numpy as np
import pytest
from sklearn.metrics import r2_score

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _load_example(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _has_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _check_png(path, out):
    if _has_matplotlib():
        assert path.stat().st_size > 10_000
        assert f"plot written to {path}" in out
    else:
        assert not path.exists() and "needs matplotlib" in out


def test_franke_example_scores_agree_with_scikit_learn(tmp_path, capsys):
    png = tmp_path / "franke.png"
    found = _load_example("franke_regression").main(n_points=200, epochs=5, plot=png)
    models, y_test = found["models"], found["y_test"]
    assert set(models) == {"minikeras MLP", "sklearn MLPRegressor", "OLS, degree 5",
                           "Ridge, degree 5"}
    mine = models["minikeras MLP"]
    # minikeras.metrics.R2Score and scikit-learn agree on the same predictions
    assert mine["r2"] == pytest.approx(r2_score(y_test, mine["predicted"]), abs=1e-6)
    assert mine["r2"] == pytest.approx(mine["r2_sklearn"], abs=1e-6)
    for name, scores in models.items():
        assert np.isfinite(scores["mse"]) and scores["mse"] > 0, name
        assert scores["mse"] == pytest.approx(np.mean((y_test - scores["predicted"]) ** 2))
    assert models["OLS, degree 5"]["r2"] > 0.7  # the polynomial fit needs no epochs
    out = capsys.readouterr().out
    assert "test MSE" in out and "sklearn.metrics.r2_score" in out
    _check_png(png, out)


def test_activations_example_shows_vanishing_sigmoid_gradients(tmp_path, capsys):
    png = tmp_path / "activations.png"
    found = _load_example("activations").main(depth=6, epochs=2, plot=png)
    assert set(found) == {"sigmoid", "relu", "leaky_relu"}
    for result in found.values():
        assert len(result["gradient_norms"]) == 7  # 6 hidden layers and the output
        assert all(norm > 0 for norm in result["gradient_norms"])
    sigmoid, relu, leaky = (found[a]["gradient_norms"] for a in ("sigmoid", "relu",
                                                                  "leaky_relu"))
    assert sigmoid[0] < 0.01 * relu[0] and sigmoid[0] < 0.01 * leaky[0]
    assert sigmoid[0] < 0.01 * sigmoid[-2]  # shrinks on the way back to the input
    assert relu[0] > 0.2 * relu[-2]  # ReLU's stays of the same order
    assert found["relu"]["losses"][-1] < found["relu"]["losses"][0]
    out = capsys.readouterr().out
    assert "kernel gradient norm per layer" in out and "test accuracy" in out
    _check_png(png, out)


def test_optimizers_example_every_loss_decreases(tmp_path, capsys):
    png = tmp_path / "optimizers.png"
    found = _load_example("optimizers").main(epochs=40, n_points=300, plot=png)
    assert set(found) == {"gradient descent", "momentum 0.9", "Adagrad", "RMSprop", "Adam"}
    for name, runs in found.items():
        assert set(runs) == {"constant", "decay"}
        for kind, run in runs.items():
            assert len(run["losses"]) == 40
            assert np.isfinite(run["final_loss"]) and np.isfinite(run["test_loss"])
            assert run["final_loss"] < run["losses"][0], (name, kind)
    out = capsys.readouterr().out
    assert "ExponentialDecay" in out and "lowest final training loss" in out
    _check_png(png, out)


def test_examples_explain_a_missing_matplotlib(tmp_path, capsys, monkeypatch):
    for module in ("matplotlib", "matplotlib.pyplot"):
        monkeypatch.setitem(sys.modules, module, None)  # import fails
    png = tmp_path / "franke.png"
    _load_example("franke_regression").main(n_points=100, epochs=1, plot=png)
    assert "needs matplotlib" in capsys.readouterr().out
    assert not png.exists()
