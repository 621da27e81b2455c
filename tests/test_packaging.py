"""The project's promises about its own layout: README commands, CI, examples."""

import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _quick_start_commands():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_ci_runs_exactly_the_readme_test_command():
    commands = _quick_start_commands()
    assert len(commands) >= 2 and "pytest" in commands[1] and "examples/iris.py" in commands[0]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert commands[1] in ci


def test_the_readme_python_blocks_run(tmp_path):
    """The README's ```python blocks run as written, one after another in one interpreter
    (later blocks use the models of earlier ones), in a scratch folder (the tour saves a
    file). The block that joins a remote Dask scheduler is left out: tests/test_sklearn.py
    runs the same search on a real local cluster."""
    blocks = re.findall(r"```python\n(.+?)```", (ROOT / "README.md").read_text(), re.S)
    runnable = [b for b in blocks if "scheduler-host" not in b]
    assert len(runnable) >= 4 and len(blocks) - len(runnable) == 1
    script = tmp_path / "readme.py"
    script.write_text("\n".join(runnable))
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, timeout=300,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]


def test_iris_example_runs_and_reaches_notebook_accuracy():
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "iris.py")],
                            capture_output=True, text=True, timeout=300, check=True)
    accuracies = [float(a) for a in re.findall(r"training accuracy ([0-9.]+)", result.stdout)]
    assert len(accuracies) == 2 and min(accuracies) >= 0.96
    assert "Total params: 67" in result.stdout


def test_version_and_top_level_names():
    import minikeras as mk

    for name in ("Sequential", "Input", "layers", "activations", "losses", "metrics",
                 "optimizers", "callbacks", "initializers", "regularizers", "models", "utils",
                 "config", "ops", "__version__"):
        assert hasattr(mk, name), name


def _load_example(name):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_digits_example_learns(capsys):
    assert _load_example("digits").main(epochs=5) > 0.9
    assert "val_accuracy" in capsys.readouterr().out


def test_custom_layer_example_learns_and_checks_gradients(capsys):
    losses = _load_example("custom_layer").main(epochs=60)
    assert losses[-1] < 0.2 * losses[0]
    report = capsys.readouterr().out
    assert "polynomial/c" in report and "autograd" in report


def test_grid_search_example_runs_a_tiny_grid(tmp_path, capsys):
    table = _load_example("grid_search").main(learning_rates=(1e-3, 1e-2), l2_strengths=(0.0, 1e-2),
                                              epochs=3, plot=tmp_path / "grid.png")
    assert table.shape == (2, 2) and (table > 0.5).all()
    out = capsys.readouterr().out
    assert "mean cross-validated accuracy" in out and "best: learning rate" in out
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return
    assert (tmp_path / "grid.png").stat().st_size > 10_000


def test_breast_cancer_example_matches_scikit_learn(capsys):
    results = _load_example("breast_cancer").main(epochs=15)
    assert results["auc"] > 0.95
    out = capsys.readouterr().out
    assert "precision" in out and "AUC (ROC)" in out


def test_backprop_vs_autograd_example_agrees(capsys):
    report = _load_example("backprop_vs_autograd").main(epochs=5)
    assert max(e["autograd"] for e in report.values()) < 1e-9
    assert "finite differences" in capsys.readouterr().out


def test_save_and_resume_example_resumes_bit_for_bit(tmp_path, capsys):
    assert _load_example("save_and_resume").main(folder=str(tmp_path)) == (0.0, 0.0)
    assert "largest weight difference 0.0" in capsys.readouterr().out
