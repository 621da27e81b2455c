"""Grid search over learning rate and L2 strength with scikit-learn, optionally on Dask.

The breast-cancer data (bundled with scikit-learn): 569 tumours, 30 features, benign or
malignant. A minikeras network wrapped as a scikit-learn classifier is cross-validated for
every pair (learning rate, L2 strength) of the grid, the accuracies are printed as a table
and, with matplotlib installed, drawn as a heatmap: the plot the course's project work asks
for. The fits run one after another by default; ``--n-jobs 2`` runs them in two joblib
processes and ``--dask`` on a local Dask cluster (two worker processes); the results are
the same. Each fit here takes a few hundredths of a second, less than starting a worker
process, so the parallel runs pay off only for longer fits (``--epochs 300``, say).
Without ``--plot`` the script says how to ask for the heatmap.

Run: python examples/grid_search.py [--n-jobs 2 | --dask] [--epochs 30] [--plot grid.png]
"""

import argparse
import contextlib
import time

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import minikeras as mk
from minikeras.wrappers import SKLearnClassifier, build_mlp

LEARNING_RATES = (1e-4, 1e-3, 1e-2, 1e-1)
L2_STRENGTHS = (0.0, 1e-4, 1e-3, 1e-2, 1e-1)


def main(learning_rates=LEARNING_RATES, l2_strengths=L2_STRENGTHS, epochs=30, dask=False,
         plot=None, n_jobs=None):
    """Run the search; returns the table of mean cross-validated accuracies
    (learning rates down, L2 strengths across)."""
    x, y = load_breast_cancer(return_X_y=True)
    classifier = SKLearnClassifier(build_mlp, fit_kwargs={"epochs": epochs, "batch_size": 32},
                                   random_state=0)
    pipeline = make_pipeline(StandardScaler(), classifier)
    grid = {"sklearnclassifier__model_kwargs": [
        {"hidden": (16,), "learning_rate": rate, "l2": l2}
        for rate in learning_rates for l2 in l2_strengths]}
    search = GridSearchCV(pipeline, grid, cv=3, n_jobs=None if dask else n_jobs)
    started = time.perf_counter()
    with _dask_backend() if dask else contextlib.nullcontext():
        search.fit(x, y)
    seconds = time.perf_counter() - started
    table = search.cv_results_["mean_test_score"].reshape(len(learning_rates),
                                                          len(l2_strengths))
    _print_table(table, learning_rates, l2_strengths)
    best = search.best_params_["sklearnclassifier__model_kwargs"]
    print(f"best: learning rate {best['learning_rate']:g}, L2 {best['l2']:g}, "
          f"accuracy {search.best_score_:.3f} ({len(table.flat) * 3} fits in {seconds:.1f} s"
          f"{' on Dask' if dask else f' with n_jobs={n_jobs}' if n_jobs else ''})")
    if plot:
        _heatmap(table, learning_rates, l2_strengths, plot)
    else:
        print("(add --plot grid_search.png to draw the table as a heatmap; needs matplotlib)")
    return table


@contextlib.contextmanager
def _dask_backend():
    import joblib
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster):
        with joblib.parallel_backend("dask"):
            yield


def _print_table(table, learning_rates, l2_strengths):
    print("mean cross-validated accuracy (3 folds)")
    print("learning rate \\ L2 " + "".join(f"{l2:>9g}" for l2 in l2_strengths))
    for rate, row in zip(learning_rates, table):
        print(f"{rate:>18g} " + "".join(f"{value:>9.3f}" for value in row))


def _heatmap(table, learning_rates, l2_strengths, path):
    try:
        plt = mk.utils.pyplot()
    except ImportError as error:
        print(error)
        return
    figure, axes = plt.subplots(figsize=(6.4, 4.2))
    image = axes.imshow(table, cmap="viridis", vmin=min(0.9, table.min()), vmax=1.0)
    axes.set_xticks(range(len(l2_strengths)), [f"{v:g}" for v in l2_strengths])
    axes.set_yticks(range(len(learning_rates)), [f"{v:g}" for v in learning_rates])
    axes.set_xlabel("L2 strength")
    axes.set_ylabel("learning rate")
    axes.set_title("Breast cancer: mean cross-validated accuracy")
    for (i, j), value in np.ndenumerate(table):
        axes.text(j, i, f"{value:.3f}", ha="center", va="center",
                  color="black" if value > 0.95 else "white", fontsize=8)
    figure.colorbar(image, ax=axes, label="accuracy")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    print(f"heatmap written to {path}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--dask", action="store_true", help="run the fits on a local Dask cluster")
    where.add_argument("--n-jobs", type=int, default=None,
                       help="joblib processes for the fits (default: one after another)")
    parser.add_argument("--plot", default=None,
                        help="write the heatmap to this PNG (needs matplotlib)")
    parser.add_argument("--epochs", type=int, default=30)
    arguments = parser.parse_args()
    main(epochs=arguments.epochs, dask=arguments.dask, plot=arguments.plot,
         n_jobs=arguments.n_jobs)
