"""The course notebook's iris network, trained with minikeras.

A 4-8-3 network (sigmoid hidden layer, softmax output) on the raw iris measurements,
trained on the whole data set at once, as in the FYS-STK4155 week-41 notebook:
first with plain gradient descent ("gd"), then with Adam. Prints the model summary and
the training accuracies.

Run: python examples/iris.py
"""

import argparse

from sklearn.datasets import load_iris

import minikeras as mk


def make_model():
    """4 inputs -> 8 sigmoid units -> 3 softmax outputs, weights drawn N(0, 1) as in the notebook."""
    init = mk.initializers.RandomNormal(stddev=1.0)
    return mk.Sequential([
        mk.Input((4,)),
        mk.layers.Dense(8, activation="sigmoid", kernel_initializer=init, bias_initializer=init,
                        name="hidden"),
        mk.layers.Dense(3, activation="softmax", kernel_initializer=init, bias_initializer=init,
                        name="output"),
    ], name="iris_notebook")


def train(optimizer, x, y, batch_size=None, epochs=1500, seed=2024):
    """Training from a fixed seed; returns (model, history).

    With plain gradient descent ("gd") fit's default batch is the whole data set, as in the
    notebook; other optimizers default to batches of 32, so Adam gets batch_size=len(x).
    """
    mk.utils.set_random_seed(seed)
    model = make_model()
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0)
    return model, history


def main():
    iris = load_iris()
    x, y = iris.data, mk.utils.to_categorical(iris.target)

    # The notebook summed the cross-entropy over the 150 flowers with learning rate 0.001;
    # minikeras (like Keras) averages it, so the same step size is 0.001 * 150 = 0.15.
    runs = {"gd (learning rate 0.15)": (mk.optimizers.GradientDescent(0.15), None),
            "adam (learning rate 0.01)": (mk.optimizers.Adam(0.01), len(x))}
    model = None
    for label, (optimizer, batch_size) in runs.items():
        model, history = train(optimizer, x, y, batch_size)
        assert model.optimizer.iterations == 1500  # one step per epoch: full batch
        loss, accuracy = model.evaluate(x, y, verbose=0)
        print(f"{label:28s} 1500 epochs: loss {loss:.4f}, training accuracy {accuracy:.3f}")
    model.summary()


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    main()
