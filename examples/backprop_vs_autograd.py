"""The notebook's next step: the same gradients three ways.

The course notebook first differentiates its network with autograd, then writes the
back-propagation by hand. minikeras does both: every built-in layer, activation and loss
back-propagates by hand, and autograd differentiates the same computation. This example
computes the gradient of the iris network's loss with respect to every weight by
hand-written back-propagation, by autograd, and by central finite differences, prints
them side by side for one weight, and lets ``check_gradients`` report the largest relative
error for every weight. It then trains the network both ways and shows the weights agree.

Run: python examples/backprop_vs_autograd.py
"""

import argparse

import numpy as np
from sklearn.datasets import load_iris

import minikeras as mk


def make_model():
    init = mk.initializers.RandomNormal(stddev=1.0)
    return mk.Sequential([mk.Input((4,)),
                          mk.layers.Dense(8, activation="sigmoid", kernel_initializer=init,
                                          bias_initializer=init, name="hidden"),
                          mk.layers.Dense(3, activation="softmax", kernel_initializer=init,
                                          bias_initializer=init, name="output")])


def main(epochs=200):
    """Compare the gradients and the training; returns check_gradients' report."""
    x, labels = load_iris(return_X_y=True)
    y = mk.utils.to_categorical(labels)
    previous = mk.config.floatx()
    mk.config.set_floatx("float64")  # gradient checks want float64
    try:
        mk.utils.set_random_seed(2024)
        model = make_model()
        model.compile(optimizer="gd", loss="categorical_crossentropy")
        _, backprop = model.loss_and_gradients(x, y, method="backprop")
        _, autograd = model.loss_and_gradients(x, y, method="autograd")
        bias = model.get_layer("output").bias
        numerical = np.empty(bias.shape)
        for i in range(bias.size):  # central differences, one entry at a time
            original = bias.value[i]
            bias.value[i] = original + 1e-6
            plus = model.loss_and_gradients(x, y)[0]
            bias.value[i] = original - 1e-6
            minus = model.loss_and_gradients(x, y)[0]
            bias.value[i] = original
            numerical[i] = (plus - minus) / 2e-6
        print("dL/d(output bias), three ways:")
        print("  back-propagation:   ", np.array2string(backprop["output/bias"], precision=10))
        print("  autograd:           ", np.array2string(autograd["output/bias"], precision=10))
        print("  finite differences: ", np.array2string(numerical, precision=10))
        print("\nlargest relative error per weight (check_gradients):")
        report = mk.utils.check_gradients(model, x, y, verbose=True)

        weights = {}
        for mode in ("backprop", "autograd"):
            mk.utils.set_random_seed(2024)
            trained = make_model()
            trained.compile(optimizer=mk.optimizers.GradientDescent(0.15),
                            loss="categorical_crossentropy", gradients=mode)
            trained.fit(x, y, epochs=epochs, shuffle=False, verbose=0)
            weights[mode] = trained.get_weights()
        difference = max(float(np.max(np.abs(a - b)))
                         for a, b in zip(weights["backprop"], weights["autograd"]))
        print(f"\nafter {epochs} epochs of gradient descent, trained by back-propagation and by "
              f"autograd, the weights differ by at most {difference:.1e}")
    finally:
        mk.config.set_floatx(previous)
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=200)
    main(epochs=parser.parse_args().epochs)
