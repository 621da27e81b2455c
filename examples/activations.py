"""Vanishing gradients: sigmoid against ReLU and leaky ReLU in a deep network.

The handwritten digits (8 x 8 images, standardized) and a deep, narrow network: 8 hidden
Dense layers of 32 units, the same Glorot-uniform initial weights for every activation,
and a softmax output. Before any training, ``model.loss_and_gradients(x, y)`` gives the
gradient of the loss for every weight, changing nothing; the norm of each hidden layer's
kernel gradient is printed per activation. With sigmoid (whose derivative is at most 1/4)
the norm shrinks by a factor of about 4 per layer on the way back to the input, so the
first layers hardly learn; with ReLU and leaky ReLU it stays of the same order. Then each
network is trained briefly with plain stochastic gradient descent, the same learning rate
for all, and its test loss and accuracy printed: the sigmoid network stays near chance.
With matplotlib installed, ``--plot`` draws the gradient norms per layer (log scale) and
the training loss per epoch.

Run: python examples/activations.py [--plot activations.png] [--epochs 20]
"""

import argparse

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import minikeras as mk

ACTIVATIONS = ("sigmoid", "relu", "leaky_relu")


def load_data(seed=0):
    """Digits, standardized on the training part; ``x_train, x_test, y_train, y_test``."""
    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=seed)
    scaler = StandardScaler().fit(x_train)
    return scaler.transform(x_train), scaler.transform(x_test), y_train, y_test


def make_model(activation, depth=8, width=32, learning_rate=0.1):
    """64 inputs -> ``depth`` Dense layers of ``width`` units -> 10 softmax outputs,
    compiled with plain SGD; the hidden layers are named hidden_1, hidden_2, ..."""
    model = mk.Sequential(
        [mk.Input((64,))]
        + [mk.layers.Dense(width, activation=activation, name=f"hidden_{i}")
           for i in range(1, depth + 1)]
        + [mk.layers.Dense(10, activation="softmax", name="output")],
        name=f"deep_{activation}")
    model.compile(optimizer=mk.optimizers.SGD(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main(activations=ACTIVATIONS, depth=8, width=32, epochs=20, learning_rate=0.1, seed=0,
         plot=None):
    """Measure and train; returns ``{activation: {"gradient_norms": [hidden_1, ...,
    hidden_depth, output], "losses": training loss per epoch, "test_loss",
    "test_accuracy"}}``."""
    x_train, x_test, y_train, y_test = load_data(seed)
    results = {}
    for activation in activations:
        mk.utils.set_random_seed(seed)  # the same initial weights for every activation
        model = make_model(activation, depth, width, learning_rate)
        _, gradients = model.loss_and_gradients(x_train, y_train)
        layers = [f"hidden_{i}" for i in range(1, depth + 1)] + ["output"]
        norms = [float(np.linalg.norm(gradients[f"{layer}/kernel"])) for layer in layers]
        history = model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=0)
        test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
        results[activation] = {"gradient_norms": norms, "losses": history.history["loss"],
                               "test_loss": test_loss, "test_accuracy": test_accuracy}

    print(f"{depth} hidden Dense layers of {width} units on the digits ({len(x_train)} "
          "training images)")
    print("kernel gradient norm per layer before training (full training set):")
    print(f"{'layer':10s}" + "".join(f"{name:>12s}" for name in activations))
    for i, layer in enumerate([f"hidden_{i}" for i in range(1, depth + 1)] + ["output"]):
        print(f"{layer:10s}" + "".join(f"{results[a]['gradient_norms'][i]:12.2e}"
                                       for a in activations))
    print("first / last hidden layer: " + ", ".join(
        f"{a} {results[a]['gradient_norms'][0] / results[a]['gradient_norms'][depth - 1]:.1e}"
        for a in activations))
    print(f"after {epochs} epochs of SGD (learning rate {learning_rate}, batch 32):")
    for activation in activations:
        result = results[activation]
        print(f"{activation:12s} training loss {result['losses'][0]:.3f} -> "
              f"{result['losses'][-1]:.3f}, test loss {result['test_loss']:.3f}, "
              f"test accuracy {result['test_accuracy']:.3f}")
    if plot:
        _plot(results, depth, plot)
    return results


def _plot(results, depth, path):
    try:
        plt = mk.utils.pyplot()
        from matplotlib.ticker import MaxNLocator
    except ImportError as error:
        print(error)
        return
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    labels = [str(i) for i in range(1, depth + 1)] + ["out"]
    for activation, result in results.items():
        left.plot(range(len(labels)), result["gradient_norms"], marker="o", label=activation)
        right.plot(range(1, len(result["losses"]) + 1), result["losses"], label=activation)
    left.set_yscale("log")
    left.set_xticks(range(len(labels)), labels)
    left.set_xlabel("layer (1 = nearest the input)")
    left.set_ylabel("kernel gradient norm")
    left.set_title("Gradient norm per layer before training")
    left.grid(True, which="major", alpha=0.3)
    left.legend()
    right.xaxis.set_major_locator(MaxNLocator(integer=True))
    right.set_xlabel("epoch")
    right.set_ylabel("training loss (cross-entropy)")
    right.set_title("Training with plain SGD")
    right.grid(True, alpha=0.3)
    right.legend()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    print(f"plot written to {path}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", default=None, help="write a PNG here (needs matplotlib)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--depth", type=int, default=8)
    arguments = parser.parse_args()
    main(depth=arguments.depth, epochs=arguments.epochs, plot=arguments.plot)
