"""Handwritten digits (8 x 8 images) with a 64-128-64-10 network and Adam.

Shows the everyday Keras workflow in minikeras: standardize, hold out a test set, train
with a validation split, a progress line per epoch and early stopping on the validation
loss (keeping the best epoch's weights), then evaluate and predict.

Run: python examples/digits.py
"""

import argparse

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import minikeras as mk


def main(epochs=40):
    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0)
    scaler = StandardScaler().fit(x_train)
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)

    mk.utils.set_random_seed(0)
    model = mk.Sequential([
        mk.Input((64,)),
        mk.layers.Dense(128, activation="relu"),
        mk.layers.Dropout(0.1),
        mk.layers.Dense(64, activation="relu"),
        mk.layers.Dense(10, activation="softmax"),
    ], name="digits")
    model.compile(optimizer=mk.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.summary()
    stop = mk.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    history = model.fit(x_train, y_train, batch_size=32, epochs=epochs, validation_split=0.1,
                        callbacks=[stop], verbose=2)
    if stop.stopped_epoch:
        print(f"stopped early after epoch {stop.stopped_epoch + 1}; kept the weights of "
              f"epoch {stop.best_epoch + 1} (val_loss {stop.best:.4f})")
    else:
        print(f"trained all {len(history.epoch)} epochs")

    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    predicted = model.predict(x_test, verbose=0).argmax(axis=1)
    print(f"test loss {loss:.4f}, test accuracy {accuracy:.3f}")
    print("first ten test digits:", y_test[:10], "predicted:", predicted[:10])
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    main(epochs=parser.parse_args().epochs)
