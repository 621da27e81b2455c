"""The Franke function: a minikeras network against scikit-learn and polynomial regression.

The course's regression test bed: Franke's function on the unit square, sampled at random
points with Gaussian noise (sigma 0.1), split into training and test sets. Four models are
fitted on the same training set and scored on the same test set:

* a minikeras network, 2-64-64-1 with sigmoid hidden layers, Adam and mean squared error;
* scikit-learn's ``MLPRegressor`` of the same shape;
* ordinary least squares on all monomials up to degree 5 (``PolynomialFeatures``);
* Ridge regression on the same monomials.

Prints each model's test MSE and R2. The minikeras network's R2 comes from
``minikeras.metrics.R2Score`` and is printed next to ``sklearn.metrics.r2_score`` on the
same predictions, which agree; the other models are scored with scikit-learn. The noise
alone gives a test MSE of about sigma^2 = 0.01, the floor no model can beat on average.
With matplotlib installed, ``--plot`` draws the noise-free surface, the minikeras
network's surface and a bar chart of the test MSEs.

Run: python examples/franke_regression.py [--plot franke.png] [--epochs 300]
"""

import argparse
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures

import minikeras as mk


def franke(x, y):
    """Franke's function, the sum of four Gaussian bumps and dips on [0, 1]^2."""
    term1 = 0.75 * np.exp(-(9 * x - 2) ** 2 / 4 - (9 * y - 2) ** 2 / 4)
    term2 = 0.75 * np.exp(-(9 * x + 1) ** 2 / 49 - (9 * y + 1) / 10)
    term3 = 0.5 * np.exp(-(9 * x - 7) ** 2 / 4 - (9 * y - 3) ** 2 / 4)
    term4 = -0.2 * np.exp(-(9 * x - 4) ** 2 - (9 * y - 7) ** 2)
    return term1 + term2 + term3 + term4


def make_data(n_points=1000, noise=0.1, seed=2024):
    """``n_points`` uniform points of the unit square, ``z = franke + N(0, noise^2)``,
    split 80/20; returns ``x_train, x_test, z_train, z_test`` with ``z`` of shape (n, 1)."""
    generator = np.random.default_rng(seed)
    x = generator.uniform(0, 1, size=(n_points, 2))
    z = franke(x[:, 0], x[:, 1]) + noise * generator.standard_normal(n_points)
    return train_test_split(x, z[:, None], test_size=0.2, random_state=seed)


def make_network(hidden=(64, 64), activation="sigmoid", learning_rate=0.01):
    """2 inputs -> ``hidden`` Dense layers -> 1 linear output, compiled with Adam and MSE."""
    model = mk.Sequential(
        [mk.Input((2,))]
        + [mk.layers.Dense(units, activation=activation, name=f"hidden_{i}")
           for i, units in enumerate(hidden, 1)]
        + [mk.layers.Dense(1, name="output")], name="franke_mlp")
    model.compile(optimizer=mk.optimizers.Adam(learning_rate), loss="mse")
    return model


def main(n_points=1000, epochs=300, noise=0.1, degree=5, ridge_alpha=1e-4, seed=2024,
         plot=None):
    """Fit the four models; returns ``{"y_test": z_test, "models": {name: {"mse", "r2",
    "predicted"}}}``, the minikeras entry also holding ``"r2_sklearn"``, scikit-learn's
    ``r2_score`` of the same predictions."""
    x_train, x_test, z_train, z_test = make_data(n_points, noise, seed)
    print(f"Franke function + N(0, {noise}^2) noise: {len(x_train)} training and "
          f"{len(x_test)} test points (noise floor: test MSE about {noise ** 2:.4f})")
    models = {}

    mk.utils.set_random_seed(seed)
    network = make_network()
    network.fit(x_train, z_train, batch_size=32, epochs=epochs, verbose=0)
    predicted = network.predict(x_test, verbose=0)
    r2 = mk.metrics.R2Score()
    r2.update_state(z_test, predicted)
    models["minikeras MLP"] = {"mse": mean_squared_error(z_test, predicted),
                               "r2": r2.result(),
                               "r2_sklearn": r2_score(z_test, predicted),
                               "predicted": predicted}

    others = {
        "sklearn MLPRegressor": MLPRegressor(hidden_layer_sizes=(64, 64), activation="logistic",
                                             solver="adam", learning_rate_init=0.01,
                                             batch_size=32, max_iter=epochs, tol=0.0,
                                             n_iter_no_change=epochs, random_state=seed),
        f"OLS, degree {degree}": make_pipeline(PolynomialFeatures(degree), LinearRegression()),
        f"Ridge, degree {degree}": make_pipeline(PolynomialFeatures(degree),
                                                 Ridge(alpha=ridge_alpha)),
    }
    for name, estimator in others.items():
        with warnings.catch_warnings():  # MLPRegressor warns when max_iter is reached
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(x_train, z_train.ravel())
        predicted = estimator.predict(x_test)[:, None]
        models[name] = {"mse": mean_squared_error(z_test, predicted),
                        "r2": r2_score(z_test, predicted), "predicted": predicted}

    print(f"{'model':24s} {'test MSE':>9s} {'test R2':>8s}")
    for name, scores in models.items():
        print(f"{name:24s} {scores['mse']:9.4f} {scores['r2']:8.4f}")
    mine = models["minikeras MLP"]
    print(f"minikeras MLP R2: minikeras.metrics.R2Score {mine['r2']:.10f}, "
          f"sklearn.metrics.r2_score {mine['r2_sklearn']:.10f} "
          f"(difference {abs(mine['r2'] - mine['r2_sklearn']):.1e})")
    if plot:
        _plot(network, models, noise, plot)
    return {"y_test": z_test, "models": models}


def _plot(network, models, noise, path):
    try:
        plt = mk.utils.pyplot()
    except ImportError as error:
        print(error)
        return
    grid = np.linspace(0, 1, 101)
    gx, gy = np.meshgrid(grid, grid)
    true = franke(gx, gy)
    fitted = network.predict(np.column_stack([gx.ravel(), gy.ravel()]),
                             verbose=0).reshape(gx.shape)
    figure, axes = plt.subplots(1, 3, figsize=(14, 4.3), layout="constrained",
                                width_ratios=(1, 1, 1.1))
    limits = dict(vmin=min(true.min(), fitted.min()), vmax=max(true.max(), fitted.max()),
                  origin="lower", extent=(0, 1, 0, 1), cmap="viridis")
    for ax, surface, title in ((axes[0], true, "Franke function (noise-free)"),
                               (axes[1], fitted, "minikeras MLP prediction")):
        image = ax.imshow(surface, **limits)
        ax.set_title(title)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
    figure.colorbar(image, ax=axes[:2], label="z", shrink=0.9)
    names = list(models)
    errors = [models[name]["mse"] for name in names]
    bars = axes[2].bar(range(len(names)), errors, color=["C0", "C1", "C2", "C3"])
    axes[2].bar_label(bars, fmt="%.4f", fontsize=8)
    axes[2].set_xticks(range(len(names)), [n.replace(" ", "\n", 1) for n in names],
                       fontsize=8)
    axes[2].axhline(noise ** 2, color="black", linestyle="--",
                    label=f"noise variance {noise ** 2:g}")
    axes[2].set_ylim(0, 1.25 * max(errors))
    axes[2].legend(loc="upper left", fontsize=8)
    axes[2].set_ylabel("test MSE")
    axes[2].set_title("Test mean squared error")
    figure.savefig(path, dpi=110)
    plt.close(figure)
    print(f"plot written to {path}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", default=None, help="write a PNG here (needs matplotlib)")
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--points", type=int, default=1000)
    arguments = parser.parse_args()
    main(n_points=arguments.points, epochs=arguments.epochs, plot=arguments.plot)
