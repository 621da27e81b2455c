"""Gradient descent, momentum, Adagrad, RMSprop and Adam, with and without a schedule.

One problem for all: Franke's function with Gaussian noise (sigma 0.1) on 800 random
points of the unit square (see ``franke_regression.py``), fitted by a 2-32-32-1 network
with sigmoid hidden layers and mean squared error, from the same initial weights every
time. Five optimizers, each with a fixed learning rate of its own and again with that rate
decayed exponentially, tenfold over the run
(``minikeras.optimizers.schedules.ExponentialDecay``):

* plain gradient descent, ``SGD(learning_rate)``;
* gradient descent with momentum 0.9, ``SGD(learning_rate, momentum=0.9)``;
* ``Adagrad``, ``RMSprop`` and ``Adam``.

By default every step uses the whole training set (full-batch gradient descent), so the
runs differ only in their update rule; ``--batch-size 32`` makes them stochastic. Prints
each run's training loss at the start and the end, and its test loss. With full batches
there is no gradient noise for a decaying rate to average out, so within a fixed budget the
schedule mostly slows the escape from the plateau where the network predicts little more
than the mean; schedules earn their keep with noisy mini-batch gradients. With matplotlib
installed, ``--plot`` draws the loss curves per optimizer (log scale).

Run: python examples/optimizers.py [--plot optimizers.png] [--epochs 2000] [--batch-size 32]
"""

import argparse
import math
import os
import sys

import numpy as np
import threadpoolctl

import minikeras as mk

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the examples folder
from franke_regression import make_data  # noqa: E402  (the same noisy Franke data)

#: name -> (optimizer class or factory, learning rate): each rate is about the best of
#: a coarse sweep (0.003 ... 1) for full-batch training on this problem.
OPTIMIZERS = {
    "gradient descent": (mk.optimizers.SGD, 0.3),
    "momentum 0.9": (lambda rate: mk.optimizers.SGD(rate, momentum=0.9), 0.05),
    "Adagrad": (mk.optimizers.Adagrad, 0.3),
    "RMSprop": (mk.optimizers.RMSprop, 0.01),
    "Adam": (mk.optimizers.Adam, 0.03),
}


def make_model(optimizer, hidden=(32, 32)):
    """2 inputs -> ``hidden`` sigmoid layers -> 1 linear output, compiled with MSE."""
    model = mk.Sequential(
        [mk.Input((2,))]
        + [mk.layers.Dense(units, activation="sigmoid", name=f"hidden_{i}")
           for i, units in enumerate(hidden, 1)]
        + [mk.layers.Dense(1, name="output")], name="franke_mlp")
    model.compile(optimizer=optimizer, loss="mse")
    return model


def main(optimizers=None, epochs=2000, batch_size=None, n_points=1000, decay_rate=0.1,
         seed=0, plot=None):
    """Train every optimizer with a constant and a decaying learning rate; returns
    ``{name: {"constant": run, "decay": run}}`` where each run is ``{"learning_rate",
    "losses": training loss per epoch, "final_loss": training loss of the final weights,
    "test_loss"}``. ``optimizers`` maps names to ``(factory, learning rate)`` (default
    :data:`OPTIMIZERS`); ``batch_size=None`` is full-batch."""
    optimizers = OPTIMIZERS if optimizers is None else optimizers
    x_train, x_test, z_train, z_test = make_data(n_points, seed=2024)
    batch_size = batch_size or len(x_train)
    steps = epochs * math.ceil(len(x_train) / batch_size)
    print(f"Franke regression, {len(x_train)} training points, 2-32-32-1 sigmoid network, "
          f"{epochs} epochs of batch {batch_size} ({steps} steps); schedule: "
          f"ExponentialDecay(rate, decay_steps={steps}, decay_rate={decay_rate})")
    # Products of 800 x 32 matrices are too small to share between BLAS threads: with a
    # second thread, a busy machine made this script several times slower. threadpoolctl
    # comes with scikit-learn.
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        results = _train_all(optimizers, x_train, z_train, x_test, z_test, batch_size, epochs,
                             steps, decay_rate, seed)
    _report(results)
    if plot:
        _plot(results, decay_rate, plot)
    return results


def _train_all(optimizers, x_train, z_train, x_test, z_test, batch_size, epochs, steps,
               decay_rate, seed):
    results = {}
    for name, (factory, rate) in optimizers.items():
        results[name] = {}
        for kind in ("constant", "decay"):
            learning_rate = rate if kind == "constant" else \
                mk.optimizers.schedules.ExponentialDecay(rate, decay_steps=steps,
                                                         decay_rate=decay_rate)
            mk.utils.set_random_seed(seed)  # the same initial weights and batches every run
            model = make_model(factory(learning_rate))
            history = model.fit(x_train, z_train, batch_size=batch_size, epochs=epochs,
                                verbose=0)
            results[name][kind] = {
                "learning_rate": rate, "losses": history.history["loss"],
                "final_loss": model.evaluate(x_train, z_train, verbose=0),
                "test_loss": model.evaluate(x_test, z_test, verbose=0)}
    return results


def _report(results):
    print(f"{'optimizer':18s} {'rate':>6s}  {'schedule':16s} {'first loss':>10s} "
          f"{'final loss':>10s} {'test loss':>10s}")
    for name, runs in results.items():
        for kind, run in runs.items():
            label = "constant" if kind == "constant" else "ExponentialDecay"
            print(f"{name:18s} {run['learning_rate']:6g}  {label:16s} {run['losses'][0]:10.4f} "
                  f"{run['final_loss']:10.4f} {run['test_loss']:10.4f}")
    best = min(((name, kind) for name in results for kind in results[name]),
               key=lambda key: results[key[0]][key[1]]["final_loss"])
    print(f"lowest final training loss: {best[0]} ({best[1]}), "
          f"{results[best[0]][best[1]]['final_loss']:.4f}")


def _plot(results, decay_rate, path):
    try:
        plt = mk.utils.pyplot()
    except ImportError as error:
        print(error)
        return
    columns = 3
    rows = math.ceil((len(results) + 1) / columns)  # one panel per optimizer + the rates
    figure, axes = plt.subplots(rows, columns, figsize=(4.3 * columns, 3.4 * rows),
                                layout="constrained", squeeze=False)
    panels = list(axes.flat)
    first = max(runs["constant"]["losses"][0] for runs in results.values())
    lowest = min(min(run["losses"]) for runs in results.values() for run in runs.values())
    epochs = 0
    for ax, (name, runs) in zip(panels, results.items()):
        rate = runs["constant"]["learning_rate"]
        for kind, style, label in (("constant", "-", f"constant rate {rate:g}"),
                                   ("decay", "--", f"ExponentialDecay {rate:g} to "
                                                   f"{rate * decay_rate:g}")):
            losses = runs[kind]["losses"]
            epochs = len(losses)
            ax.plot(range(1, epochs + 1), losses, style, label=label)
        ax.set_yscale("log")
        ax.set_ylim(0.7 * lowest, 1.5 * first)  # the same scale everywhere; spikes are cut
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss (MSE)")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8)
    ax = panels[len(results)]
    ax.plot([1, epochs], [1, 1], "-", label="constant")
    ax.plot(range(1, epochs + 1), decay_rate ** (np.arange(epochs) / epochs), "--",
            label="ExponentialDecay")
    ax.set_ylim(0, 1.1)
    ax.set_title("Learning rate schedules")
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate / initial rate")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    for ax in panels[len(results) + 1:]:
        ax.set_visible(False)
    figure.suptitle("Franke regression: training loss per optimizer")
    figure.savefig(path, dpi=110)
    plt.close(figure)
    print(f"plot written to {path}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", default=None, help="write a PNG here (needs matplotlib)")
    parser.add_argument("--epochs", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=None,
                        help="mini-batch size (default: the whole training set)")
    arguments = parser.parse_args()
    main(epochs=arguments.epochs, batch_size=arguments.batch_size, plot=arguments.plot)
