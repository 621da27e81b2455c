"""Binary classification: benign or malignant tumours, with a sigmoid output.

The breast-cancer data (569 tumours, 30 features, bundled with scikit-learn): standardize,
hold out a test set, train a 30-16-1 network (sigmoid output, binary cross-entropy) with
precision, recall and AUC tracked during training, stop early on the validation AUC, and
compare the test scores with scikit-learn's own metrics on the same predictions.

Run: python examples/breast_cancer.py [--plot history.png]
"""

import argparse

from sklearn.datasets import load_breast_cancer
from sklearn.metrics import precision_score, recall_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import minikeras as mk


def main(epochs=100, plot=None, seed=0):
    """Train and report; returns the test metrics as a dict."""
    x, y = load_breast_cancer(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, stratify=y,
                                                        random_state=seed)
    scaler = StandardScaler().fit(x_train)
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)

    mk.utils.set_random_seed(seed)
    model = mk.Sequential([mk.Input((30,)), mk.layers.Dense(16, activation="relu"),
                           mk.layers.Dropout(0.2), mk.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=mk.optimizers.Adam(1e-3), loss="binary_crossentropy",
                  metrics=["accuracy", "precision", "recall", "auc"])
    stop = mk.callbacks.EarlyStopping(monitor="val_auc", patience=10,
                                      restore_best_weights=True)
    history = model.fit(x_train, y_train, epochs=epochs, validation_split=0.2,
                        callbacks=[stop], verbose=0)
    print(f"trained {len(history.epoch)} epochs (best validation AUC at epoch "
          f"{stop.best_epoch + 1})")

    results = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    probabilities = model.predict(x_test, verbose=0)[:, 0]
    predicted = probabilities > 0.5
    print("test set          minikeras   scikit-learn")
    print(f"precision         {results['precision']:9.3f}   {precision_score(y_test, predicted):12.3f}")
    print(f"recall            {results['recall']:9.3f}   {recall_score(y_test, predicted):12.3f}")
    print(f"AUC (ROC)         {results['auc']:9.3f}   {roc_auc_score(y_test, probabilities):12.3f}")
    print(f"accuracy          {results['accuracy']:9.3f}")
    if plot:
        try:
            mk.utils.plot_history(history, plot, metrics=["loss", "auc", "precision", "recall"])
            print(f"training curves written to {plot}")
        except ImportError as error:
            print(error)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", help="write the training curves to this PNG (needs matplotlib)")
    main(plot=parser.parse_args().plot)
