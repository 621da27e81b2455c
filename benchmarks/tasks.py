"""What the benchmarks measure: data sets, trainers, table rows and growth cells.

``run.py`` starts one fresh Python process per measurement and calls :func:`measure` in
it, so every function here runs alone in its interpreter: the numpy rows never share a
process (or thread pools) with torch, Keras or JAX, and each row imports only what it
measures (minikeras, torch, Keras and scikit-learn are imported inside the functions that
use them). Data sets are made from the seed inside that process, and :func:`measure` runs
an untimed warm-up of the same code before the timed call.

Keys name what to measure:

* ``"<section>/<row>"`` for a table row, e.g. ``"digits/minikeras"`` (see ``ROWS``);
* ``"growth/<impl>/<batch>x<width>"`` for a cell of the cost-growth table, e.g.
  ``"growth/torch/256x1024"`` (``impl`` is a key of ``GROWTH_TRAINERS``).
"""

import functools
import gc
import math
import os
import sys
import time
import tracemalloc
import warnings
from collections import namedtuple

import numpy as np

from numpy_floor import NumpyMLP, gemm_floor_epoch

import notebook_loop

# The Keras rows measure Keras 3 on JAX. Keras reads this when it is imported, which only
# the processes of the Keras rows do.
os.environ["KERAS_BACKEND"] = "jax"

MB = 1024 * 1024
SECTIONS = ("digits", "large", "notebook", "memory")
EPOCHS = {"digits": 20, "large": 3, "notebook": 1500, "memory": 2}
QUICK_EPOCHS = {"digits": 5, "large": 1, "notebook": 300, "memory": 1}
WARMUP_EPOCHS = {"digits": 1, "large": 1, "notebook": 50, "memory": 1}

DIGITS_SIZES, DIGITS_BATCH = (64, 128, 64, 10), 32
LARGE_SIZES, LARGE_BATCH = (784, 512, 256, 10), 256
PREDICT_BATCH = 4096

# Targets, see README.md ("Targets").
DIGITS_MAX_RATIO = 1.0
DIGITS_MIN_ACCURACY = 0.96
LARGE_MIN_GEMM_FRACTION = 0.72
NOTEBOOK_MIN_SPEEDUP = 15.0
MEMORY_MAX_FACTOR = 1.5
MEMORY_SLACK_BYTES = 50 * MB
GROWTH_MAX_FLOOR_RATIO = 1.05  # in every cell of the cost-growth table

# Cost growth: one hidden layer, synthetic data, a fixed number of steps per cell.
GROWTH_INPUT, GROWTH_CLASSES = 256, 10
GROWTH_BATCHES_PER_EPOCH = 8
GROWTH_STEPS, GROWTH_QUICK_STEPS = 384, 16
GROWTH_BATCH_SIZES, GROWTH_WIDTH = (16, 64, 256, 1024), 256
GROWTH_WIDTHS, GROWTH_BATCH = (64, 256, 1024), 256


# ====================================================================== helpers
def timed(fn):
    """Seconds taken by ``fn()`` (after a garbage collection, outside the timer)."""
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def accuracy(probabilities, labels):
    """Fraction of rows whose arg-max is the label."""
    return float(np.mean(np.argmax(probabilities, axis=1) == labels))


def thread_info():
    """The thread pools loaded in this process, as ``["api:threads", ...]``."""
    try:
        import threadpoolctl
        pools = [f"{d.get('internal_api')}:{d.get('num_threads')}"
                 for d in threadpoolctl.threadpool_info()]
    except Exception:  # threadpoolctl missing or confused: not essential
        return ["unknown"]
    if "torch" in sys.modules:  # torch's own intra-op pool
        pools.append(f"torch:{sys.modules['torch'].get_num_threads()}")
    return pools


# ====================================================================== data
def digits_data(seed):
    """scikit-learn's digits: standardized float32 train/test split (75/25)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler
    x, y = load_digits(return_X_y=True)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.25, random_state=seed)
    scaler = StandardScaler().fit(x_tr)
    return (scaler.transform(x_tr).astype(np.float32), y_tr.astype(np.intp),
            scaler.transform(x_te).astype(np.float32), y_te.astype(np.intp))


def large_data(seed, n=16384, n_test=4096, d=784, classes=10):
    """Gaussian inputs, labels from a random linear teacher (plus a little label noise)."""
    rng = np.random.default_rng(seed + 1)
    teacher = rng.standard_normal((d, classes), dtype=np.float32) / np.float32(math.sqrt(d))

    def make(count):
        x = rng.standard_normal((count, d), dtype=np.float32)
        scores = x @ teacher + np.float32(0.1) * rng.standard_normal((count, classes),
                                                                       dtype=np.float32)
        return x, np.argmax(scores, axis=1).astype(np.intp)

    x, y = make(n)
    x_te, y_te = make(n_test)
    return x, y, x_te, y_te


def iris_data(seed):
    """Iris with raw float64 features (the seed only matters for the initial weights)."""
    from sklearn.datasets import load_iris
    x, y = load_iris(return_X_y=True)
    return x.astype(np.float64), y.astype(np.intp)


def growth_data(batch_size, seed):
    """``GROWTH_BATCHES_PER_EPOCH`` batches of standard-normal inputs, random labels."""
    rng = np.random.default_rng(seed)
    n = batch_size * GROWTH_BATCHES_PER_EPOCH
    x = rng.standard_normal((n, GROWTH_INPUT), dtype=np.float32)
    return x, rng.integers(0, GROWTH_CLASSES, n).astype(np.intp)


SECTION_DATA = {"digits": digits_data, "large": large_data, "notebook": iris_data,
                "memory": large_data}


# ====================================================================== trainers
# Each trains an MLP ``sizes`` (ReLU hidden layers, softmax output, sparse categorical
# cross-entropy, Adam(1e-3), one shuffle per epoch) and returns ``(seconds, predict)``:
# only the training call is timed; ``predict(x)`` gives class scores.
def minikeras_mlp(sizes, seed, metrics=None, jit_compile="auto"):
    """A compiled float32 minikeras ``Sequential`` MLP (Glorot-uniform, zero biases);
    ``jit_compile`` as given to ``compile`` ("auto": numba's Adam kernel if installed)."""
    import minikeras as mk
    mk.config.set_floatx("float32")
    mk.utils.set_random_seed(seed)
    layers = [mk.Input((sizes[0],))]
    layers += [mk.layers.Dense(w, activation="relu") for w in sizes[1:-1]]
    layers.append(mk.layers.Dense(sizes[-1], activation="softmax"))
    model = mk.Sequential(layers)
    model.compile(optimizer=mk.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=metrics, jit_compile=jit_compile)
    return model


def fit_minikeras(x, y, sizes, batch_size, epochs, seed, metrics=None, jit_compile="auto"):
    """minikeras ``fit(verbose=0)``; ``metrics`` and ``jit_compile`` as given to ``compile``."""
    model = minikeras_mlp(sizes, seed, metrics, jit_compile)
    seconds = timed(lambda: model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0))
    return seconds, lambda inputs: model.predict(inputs, batch_size=PREDICT_BATCH, verbose=0)


def fit_floor(x, y, sizes, batch_size, epochs, seed):
    """The hand-written numpy floor, ``numpy_floor.NumpyMLP``."""
    model = NumpyMLP(sizes, batch_size=batch_size, lr=1e-3, seed=seed)
    seconds = timed(lambda: model.fit(x, y, epochs))
    return seconds, lambda inputs: model.predict(inputs, batch_size=PREDICT_BATCH)


def fit_sklearn(x, y, sizes, batch_size, epochs, seed):
    """scikit-learn's ``MLPClassifier`` with Adam, no regularization, no early stop."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    clf = MLPClassifier(hidden_layer_sizes=sizes[1:-1], activation="relu", solver="adam",
                        batch_size=batch_size, learning_rate_init=1e-3, max_iter=epochs,
                        alpha=0.0, tol=0.0, n_iter_no_change=10**9, shuffle=True,
                        epsilon=1e-7, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        seconds = timed(lambda: clf.fit(x, y))
    return seconds, clf.predict_proba


def fit_torch(x, y, sizes, batch_size, epochs, seed):
    """torch eager: Xavier-uniform weights, zero biases, ``loss.item()`` every batch."""
    import torch
    from torch import nn
    torch.manual_seed(seed)
    modules = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        linear = nn.Linear(a, b)
        nn.init.xavier_uniform_(linear.weight)  # Glorot uniform, zero bias, as Keras
        nn.init.zeros_(linear.bias)
        modules.append(linear)
        if i < len(sizes) - 2:
            modules.append(nn.ReLU())
    net = nn.Sequential(*modules)
    # torch adds eps to sqrt(v_hat) (bias-corrected), Keras to sqrt(v): a negligible difference
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()  # softmax + mean cross-entropy from the logits
    X, Y = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))
    n = len(X)

    def train():
        for _ in range(epochs):
            order = torch.randperm(n)
            xs, ys = X[order], Y[order]
            total = 0.0
            for start in range(0, n, batch_size):
                xb, yb = xs[start:start + batch_size], ys[start:start + batch_size]
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(net(xb), yb)
                loss.backward()
                opt.step()
                total += loss.item() * len(xb)  # the loss value, every batch

    def predict(inputs):
        with torch.no_grad():
            return net(torch.from_numpy(inputs)).numpy()

    return timed(train), predict


def fit_keras(x, y, sizes, batch_size, epochs, seed):
    """Keras 3 on JAX; the timed ``fit`` includes its one-off tracing, as a user's does."""
    import keras
    keras.utils.set_random_seed(seed)
    layers = [keras.Input((sizes[0],))]
    layers += [keras.layers.Dense(w, activation="relu") for w in sizes[1:-1]]
    layers.append(keras.layers.Dense(sizes[-1], activation="softmax"))
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    seconds = timed(lambda: model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0))
    return seconds, lambda inputs: np.asarray(model.predict(inputs, batch_size=PREDICT_BATCH,
                                                            verbose=0))


# ====================================================================== table rows
def classification_row(trainer, sizes, batch_size, data, epochs, seed, time_predict=False,
                       **options):
    """Train with ``trainer`` on ``data = (x, y, x_test, y_test)``.

    Returns ``seconds``, ``per_epoch``, ``accuracy`` (on the test part) and, with
    ``time_predict``, ``predict_per_s``: samples per second of ``predict`` on ``x``.
    """
    x, y, x_te, y_te = data
    seconds, predict = trainer(x, y, sizes, batch_size, epochs, seed, **options)
    result = {"seconds": seconds, "per_epoch": seconds / epochs}
    if time_predict:
        result["predict_per_s"] = len(x) / timed(lambda: predict(x))
    result["accuracy"] = accuracy(predict(x_te), y_te)
    return result


def notebook_autograd(data, epochs, seed):
    """The notebook's own training loop (``notebook_loop.py``), timed as it is."""
    x, y = data
    seconds, probabilities = notebook_loop.train_notebook(x, np.eye(3)[y], epochs, seed)
    return {"seconds": seconds, "accuracy": accuracy(probabilities, y)}


def notebook_lean(data, epochs, seed):
    """The same maths as a lean hand-written numpy loop: how fast plain numpy gets."""
    x, y = data
    seconds, probabilities = notebook_loop.train_lean(x, np.eye(3)[y], epochs, seed)
    return {"seconds": seconds, "accuracy": accuracy(probabilities, y)}


def notebook_minikeras(data, epochs, seed):
    """The same network and initial weights with minikeras (float64, like the notebook)."""
    import minikeras as mk
    x, y = data
    target = np.eye(3)[y]
    mk.config.set_floatx("float64")  # this process runs this row only
    model = mk.Sequential([mk.Input((4,)), mk.layers.Dense(8, activation="sigmoid"),
                           mk.layers.Dense(3, activation="softmax")])
    (W1, b1), (W2, b2) = notebook_loop.initial_layers(seed)
    model.set_weights([W1, b1.ravel(), W2, b2.ravel()])
    # mean loss: learning rate 0.001 * 150 on the mean equals 0.001 on the sum
    model.compile(optimizer=mk.optimizers.SGD(learning_rate=0.15),
                  loss="categorical_crossentropy")
    seconds = timed(lambda: model.fit(x, target, batch_size=150, epochs=epochs, shuffle=False,
                                      verbose=0))
    return {"seconds": seconds,
            "accuracy": accuracy(model.predict(x, batch_size=150, verbose=0), y)}


def memory_fit(data, epochs, seed):
    """Peak bytes that ``model.fit`` allocates on the large task, by tracemalloc."""
    x, y = data[0], data[1]
    model = minikeras_mlp(LARGE_SIZES, seed)
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        model.fit(x, y, batch_size=LARGE_BATCH, epochs=epochs, verbose=0)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    arrays = x.nbytes + y.nbytes
    return {"peak_bytes": peak, "array_bytes": arrays, "ratio": peak / arrays,
            "budget_bytes": MEMORY_MAX_FACTOR * arrays + MEMORY_SLACK_BYTES}


def large_gemm(data, epochs, seed):
    """Seconds of the matrix products alone, ``numpy_floor.gemm_floor_epoch``."""
    gc.collect()
    seconds = sum(gemm_floor_epoch(data[0], LARGE_SIZES, LARGE_BATCH, seed=seed)
                  for _ in range(epochs))
    return {"seconds": seconds, "per_epoch": seconds / epochs}


Row = namedtuple("Row", "key section label fn requires")


def _classifier(trainer, section, **options):
    """A row function training ``trainer`` on the digits or the large task."""
    sizes, batch = {"digits": (DIGITS_SIZES, DIGITS_BATCH),
                    "large": (LARGE_SIZES, LARGE_BATCH)}[section]
    return functools.partial(classification_row, trainer, sizes, batch,
                             time_predict=section == "large", **options)


#: Every table row, in the order the rows run in each round and are printed.
ROWS = (
    Row("digits/minikeras", "digits", "minikeras", _classifier(fit_minikeras, "digits"), ()),
    Row("digits/minikeras+acc", "digits", "minikeras (+accuracy metric)",
        _classifier(fit_minikeras, "digits", metrics=["accuracy"]), ()),
    Row("digits/minikeras-numpy", "digits", "minikeras, numpy only (jit_compile=False)",
        _classifier(fit_minikeras, "digits", jit_compile=False), ()),
    Row("digits/floor", "digits", "numpy floor", _classifier(fit_floor, "digits"), ()),
    Row("digits/sklearn", "digits", "sklearn MLPClassifier",
        _classifier(fit_sklearn, "digits"), ()),
    Row("digits/torch", "digits", "torch eager", _classifier(fit_torch, "digits"), ("torch",)),
    Row("digits/keras", "digits", "Keras 3 on JAX", _classifier(fit_keras, "digits"),
        ("jax", "keras")),
    Row("large/minikeras", "large", "minikeras fit", _classifier(fit_minikeras, "large"), ()),
    Row("large/minikeras-numpy", "large", "minikeras, numpy only (jit_compile=False)",
        _classifier(fit_minikeras, "large", jit_compile=False), ()),
    Row("large/floor", "large", "numpy floor", _classifier(fit_floor, "large"), ()),
    Row("large/gemm", "large", "GEMM-only floor", large_gemm, ()),
    Row("large/keras", "large", "Keras 3 on JAX", _classifier(fit_keras, "large"),
        ("jax", "keras")),
    Row("notebook/autograd", "notebook", "notebook autograd loop", notebook_autograd, ()),
    Row("notebook/lean", "notebook", "lean numpy loop", notebook_lean, ()),
    Row("notebook/minikeras", "notebook", "minikeras fit (SGD 0.15)", notebook_minikeras, ()),
    Row("memory/minikeras", "memory", "minikeras fit peak (large)", memory_fit, ()),
)
ROW_BY_KEY = {row.key: row for row in ROWS}


# ====================================================================== growth cells
#: Growth-table trainers: name -> (trainer, modules it needs).
GROWTH_TRAINERS = {"minikeras": (fit_minikeras, ()), "floor": (fit_floor, ()),
                   "torch": (fit_torch, ("torch",))}


def growth_sweeps():
    """The growth table's sweeps: ``[(name, [(batch, width), ...]), ...]``."""
    return [(f"batch (width {GROWTH_WIDTH})", [(b, GROWTH_WIDTH) for b in GROWTH_BATCH_SIZES]),
            (f"width (batch {GROWTH_BATCH})", [(GROWTH_BATCH, w) for w in GROWTH_WIDTHS])]


def growth_key(impl, batch, width):
    """The :func:`measure` key of one growth cell."""
    return f"growth/{impl}/{batch}x{width}"


def growth_cell(trainer, batch, width, steps, seed):
    """Seconds per training step of an MLP ``GROWTH_INPUT -> width -> GROWTH_CLASSES``.

    One untimed epoch (``GROWTH_BATCHES_PER_EPOCH`` steps) warms up, then a fresh model
    trains ``steps`` steps, a whole number of epochs over the same synthetic data.
    """
    x, y = growth_data(batch, seed)
    sizes = (GROWTH_INPUT, width, GROWTH_CLASSES)
    trainer(x, y, sizes, batch, 1, seed)
    epochs = steps // GROWTH_BATCHES_PER_EPOCH
    seconds, _ = trainer(x, y, sizes, batch, epochs, seed)
    steps = epochs * GROWTH_BATCHES_PER_EPOCH
    return {"seconds": seconds, "per_step": seconds / steps}


# ====================================================================== entry points
def _parse_growth_key(key):
    _, impl, cell = key.split("/")
    batch, width = (int(v) for v in cell.split("x"))
    return impl, batch, width


def requirements(key):
    """The optional modules that the measurement ``key`` imports.

    Parameters
    ----------
    key : str
        A table-row key (``ROWS``) or a growth-cell key (:func:`growth_key`).

    Returns
    -------
    tuple of str
        Module names; the measurement is skipped when one of them is not installed.
    """
    if key.startswith("growth/"):
        return GROWTH_TRAINERS[_parse_growth_key(key)[0]][1]
    return ROW_BY_KEY[key].requires


def measure(key, quick, seed):
    """Run one measurement in this process: data, untimed warm-up, timed run.

    Parameters
    ----------
    key : str
        A table-row key (``ROWS``) or a growth-cell key (:func:`growth_key`).
    quick : bool
        Use the smoke-test sizes (``QUICK_EPOCHS``, ``GROWTH_QUICK_STEPS``).
    seed : int
        Seeds the data set, the initial weights and the shuffles.

    Returns
    -------
    dict
        Numeric results: ``seconds`` and ``per_epoch``/``per_step``, plus the row's own
        fields (``accuracy``, ``predict_per_s``, or the memory fields).
    """
    if key.startswith("growth/"):
        impl, batch, width = _parse_growth_key(key)
        steps = GROWTH_QUICK_STEPS if quick else GROWTH_STEPS
        return growth_cell(GROWTH_TRAINERS[impl][0], batch, width, steps, seed)
    row = ROW_BY_KEY[key]
    data = SECTION_DATA[row.section](seed)
    row.fn(data, WARMUP_EPOCHS[row.section], seed)
    return row.fn(data, (QUICK_EPOCHS if quick else EPOCHS)[row.section], seed)
