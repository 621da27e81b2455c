"""Write your own layer: only ``build`` and ``call``; autograd supplies the gradients.

``Polynomial`` maps each feature x to a x + b x^2 + c x^3 with trainable a, b, c per
feature. Nothing about derivatives is written: minikeras differentiates ``call`` with
autograd, checks it below against central differences, and trains it next to built-in
Dense layers (whose gradients are hand-written) on a noisy cubic.

Run: python examples/custom_layer.py
"""

import argparse

import numpy as np

import minikeras as mk
from minikeras import layers, ops


class Polynomial(layers.Layer):
    """Per-feature cubic ``a x + b x**2 + c x**3``."""

    def build(self, input_shape):
        features = input_shape[-1]
        self.a = self.add_weight((features,), initializer="ones", name="a")
        self.b = self.add_weight((features,), initializer="zeros", name="b")
        self.c = self.add_weight((features,), initializer="zeros", name="c")

    def call(self, inputs):
        return self.a * inputs + self.b * inputs ** 2 + self.c * ops.power(inputs, 3)


def main(epochs=200):
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, size=(512, 1))
    y = 0.5 * x ** 3 - x + 0.1 * rng.normal(size=x.shape)

    previous = mk.config.floatx()
    mk.config.set_floatx("float64")  # gradient checks want float64
    try:
        mk.utils.set_random_seed(0)
        model = mk.Sequential([mk.Input((1,)), Polynomial(), layers.Dense(8, activation="tanh"),
                               layers.Dense(1)])
        model.compile(optimizer=mk.optimizers.Adam(0.02), loss="mse")
        print("largest relative gradient errors (backprop vs autograd / finite differences):")
        mk.utils.check_gradients(model, x[:32], y[:32], verbose=True)
        history = model.fit(x, y, batch_size=64, epochs=epochs, verbose=0)
    finally:
        mk.config.set_floatx(previous)
    print(f"mse: {history.history['loss'][0]:.4f} after 1 epoch, "
          f"{history.history['loss'][-1]:.4f} after {epochs}")
    return history.history["loss"]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=200)
    main(epochs=parser.parse_args().epochs)
