"""Seeding, label encoding, batching, gradient checking and plotting helpers."""

import contextlib
import random
import threading
import warnings

import numpy as np

from . import config, validation

__all__ = ["set_random_seed", "rng", "seeded", "to_categorical", "check_gradients", "relative_error",
           "plot_history", "pyplot", "batch_slices", "Batcher", "batches", "RandomState"]

_rng = np.random.default_rng()
_local = threading.local()


def set_random_seed(seed):
    """Seed every source of randomness minikeras uses, so a whole run is bit-identical.

    Seeds minikeras' own generator (initializers, dropout, shuffling), numpy's global
    generator and Python's ``random``, as ``keras.utils.set_random_seed`` does.

    Parameters
    ----------
    seed : int
        A non-negative integer.
    """
    global _rng
    seed = validation.check_int("seed", seed, minimum=0)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    _rng = np.random.default_rng(seed)
    if getattr(_local, "rng", None) is not None:  # inside seeded(): that generator too
        _local.rng = np.random.default_rng(seed)


def rng():
    """Return the generator that initializers, dropout and shuffling draw from: minikeras'
    own, or this thread's inside :func:`seeded`."""
    return getattr(_local, "rng", None) or _rng


@contextlib.contextmanager
def seeded(seed):
    """Within the block, this thread's minikeras randomness comes from a generator of its
    own seeded with ``seed``: two blocks with the same seed run bit-identically, and
    nothing else is touched (not minikeras' generator, nor numpy's or Python's global
    ones). The scikit-learn wrappers fit with it for their ``random_state``.

    Parameters
    ----------
    seed : int
        A non-negative integer.

    Yields
    ------
    numpy.random.Generator
        The block's generator (what :func:`rng` returns in it).
    """
    seed = validation.check_int("seed", seed, minimum=0)
    previous = getattr(_local, "rng", None)
    _local.rng = np.random.default_rng(seed)
    try:
        yield _local.rng
    finally:
        _local.rng = previous


def to_categorical(y, num_classes=None):
    """One-hot encode integer class labels.

    Parameters
    ----------
    y : array-like of int, shape (n,) or (n, 1)
        Class indices in ``[0, num_classes)``.
    num_classes : int, optional
        Defaults to ``max(y) + 1``.

    Returns
    -------
    ndarray of shape (n, num_classes), in the default float type.
    """
    labels = np.asarray(y)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError(f"Argument `y` must be a 1-D array of class indices, got shape {labels.shape}.")
    if labels.dtype.kind not in "iub" and not np.all(np.mod(labels, 1) == 0):
        raise ValueError("Argument `y` must hold integer class indices, got non-integer values.")
    labels = labels.astype(np.int64)
    if num_classes is None:
        num_classes = int(labels.max()) + 1
    num_classes = validation.check_int("num_classes", num_classes, minimum=1)
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(
            f"Argument `y` holds labels in [{labels.min()}, {labels.max()}], "
            f"expected [0, {num_classes - 1}] for num_classes={num_classes}."
        )
    out = np.zeros((labels.size, num_classes), dtype=config.floatx())
    out[np.arange(labels.size), labels] = 1
    return out


def batch_slices(n, batch_size):
    """Yield ``slice`` objects covering ``range(n)`` in consecutive batches.

    Parameters
    ----------
    n : int
        The number of rows.
    batch_size : int
        Rows per slice (the last slice may have fewer).

    Yields
    ------
    slice
    """
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


class Batcher:
    """Cuts ``arrays`` (``None`` entries stay ``None``) into batches, epoch after epoch.

    Without an order the batches are views of consecutive rows. With an order (a
    permutation) the rows are gathered in that order, a chunk of whole batches at a time
    (about ``chunk_bytes``), into buffers made once and reused from chunk to chunk and
    from epoch to epoch: shuffling never copies the whole data set, small batches cost one
    gather per chunk instead of one each, and no epoch pays for fresh memory.

    Parameters
    ----------
    arrays : sequence of ndarray or None
        Arrays with the same number of rows.
    batch_size : int
    chunk_bytes : int
    """

    def __init__(self, arrays, batch_size, chunk_bytes=4 << 20):
        self.arrays = tuple(arrays)
        self.batch_size = batch_size
        present = [a for a in self.arrays if a is not None]
        self.rows = len(present[0])
        row_bytes = sum(a[:1].nbytes for a in present) or 1
        self.chunk = min(self.rows, max(1, chunk_bytes // (row_bytes * batch_size)) * batch_size)
        self._buffers = None  # made at the first shuffled epoch

    def epoch(self, order=None):
        """Yield one tuple of batches per step, in ``order`` if given (a permutation of
        the row indices, which is not checked); a batch is only valid until the next one
        is drawn.

        Parameters
        ----------
        order : numpy.ndarray of int, optional
            The rows in the order to batch them, a permutation of ``range(rows)``; None
            takes them as they are (a batch as large as the data is the arrays themselves).
        """
        arrays, batch_size = self.arrays, self.batch_size
        if self.rows == 0:
            return
        if order is None:
            if batch_size >= self.rows:  # one batch: the arrays themselves (full batch)
                yield arrays
                return
            for rows in batch_slices(self.rows, batch_size):
                yield tuple([None if a is None else a[rows] for a in arrays])
            return
        if self._buffers is None:
            self._buffers = [None if a is None else np.empty((self.chunk,) + a.shape[1:],
                                                             dtype=a.dtype) for a in arrays]
        for start in range(0, self.rows, self.chunk):
            index = order[start:start + self.chunk]
            # mode="clip": the order holds valid rows, and numpy's default mode would first
            # gather into a temporary array
            gathered = [None if a is None else
                        np.take(a, index, axis=0, out=b[:len(index)], mode="clip")
                        for a, b in zip(arrays, self._buffers)]
            for rows in batch_slices(len(index), batch_size):
                yield tuple([None if g is None else g[rows] for g in gathered])


def batches(arrays, batch_size, order=None, chunk_bytes=4 << 20):
    """Yield one tuple of batches of ``arrays`` per step: one epoch of a
    :class:`Batcher` (see there).

    Parameters
    ----------
    arrays : sequence of ndarray or None
        Arrays with the same number of rows.
    batch_size : int
        Rows per batch (the last batch may have fewer).
    order : ndarray of int, optional
        A permutation of the row indices to draw the rows in (not checked).
    chunk_bytes : int, default 4 << 20
        About how many bytes of rows are gathered at a time (4 MiB) when ``order`` is given.

    Yields
    ------
    tuple
        One batch of each array (``None`` for ``None``), valid until the next is drawn.
    """
    yield from Batcher(arrays, batch_size, chunk_bytes).epoch(order)


class RandomState:
    """A snapshot of every random generator ``layers`` draw from: minikeras' own, numpy's
    global one and any generator a layer or its sublayers keep (a seeded ``Dropout``'s).

    :meth:`restore` rewinds them all, so that repeated evaluations (a gradient check's)
    drop the same units each time.

    Parameters
    ----------
    layers : iterable of Layer
        The layers whose generators (and their sublayers') are saved.
    """

    def __init__(self, layers):
        self.generators = [rng()] + [value for layer in layers
                                     for inner in layer._flatten_layers()
                                     for value in vars(inner).values()
                                     if isinstance(value, np.random.Generator)]
        self.states = [g.bit_generator.state for g in self.generators]
        self.global_state = np.random.get_state()

    def restore(self):
        """Put every generator back where it was when the snapshot was taken."""
        np.random.set_state(self.global_state)
        for generator, state in zip(self.generators, self.states):
            generator.bit_generator.state = state


def relative_error(a, b, scale=0.0):
    """Largest elementwise ``|a - b| / (|a| + |b| + floor)``, the floor scaled to the arrays.

    The floor, 1e-6 of the largest magnitude in ``a``, ``b`` or the given ``scale``, keeps
    entries that are (nearly) zero in exact arithmetic, where any formula cancels, from
    reporting rounding noise as a large error: they are judged relative to the largest
    gradient around instead (a gradient check passes the model's largest gradient as
    ``scale``, so a weight whose gradient is exactly zero, such as a bias followed by
    batch normalization, is judged against the rest of the model).

    Parameters
    ----------
    a, b : array-like
        The arrays compared, of one shape.
    scale : float, default 0.0
        A magnitude the floor is also taken relative to.

    Returns
    -------
    float
        0 for equal (or empty) arrays.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    largest = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)),
                  float(scale))
    floor = 1e-6 * largest + 1e-300
    return float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b) + floor), initial=0.0))


def check_gradients(model, x, y, sample_weight=None, numerical=True, step=1e-6,
                    max_entries=200, verbose=False):
    """Compare a compiled model's back-propagated gradients with autograd and finite differences.

    Nothing in the model changes: weights perturbed for central differences are restored
    exactly, and no optimizer step is taken. Every evaluation starts from the same state of
    the random generators, so a ``Dropout`` layer drops the same units each time, and the
    generators end as they began (but for the draws building an unbuilt model takes). Run
    in float64
    (``minikeras.config.set_floatx("float64")`` before building) for meaningful numbers.

    Parameters
    ----------
    model : Sequential
        A compiled model (it is built from ``x`` if needed).
    x, y : array-like
        One batch of data.
    sample_weight : array-like, optional
    numerical : bool
        Also compare against central differences ``(L(w + h) - L(w - h)) / 2h``.
    step : float
        The finite-difference step ``h``.
    max_entries : int or None
        Entries per weight checked by finite differences (the largest-gradient ones first);
        None checks all of them.
    verbose : bool
        Print one line per weight.

    Returns
    -------
    dict
        ``{weight name: {"autograd": error, "numerical": error}}``: the largest relative
        error (see :func:`relative_error`) of the back-propagated gradient against each.
    """

    def loss_and_gradients(method="backprop"):  # leaves the random generators as it found them
        return model.loss_and_gradients(x, y, sample_weight, method=method)

    _, backprop = loss_and_gradients("backprop")  # (builds the model if needed)
    single = sorted({w.path for w in model.trainable_weights if w.dtype != np.float64})
    if numerical and single:
        warnings.warn(
            f"check_gradients: {len(single)} weight(s), such as {single[0]!r}, are not "
            "float64, where finite differences are too coarse to check anything (errors "
            "near 1 are expected). Call minikeras.config.set_floatx('float64') before "
            "building the model.", stacklevel=2)
    _, reference = loss_and_gradients("autograd")
    weights = {w.path: w for w in model.trainable_weights}
    scale = max((float(np.max(np.abs(g), initial=0.0)) for g in backprop.values()),
                default=0.0)
    report = {}
    for name, grad in backprop.items():
        report[name] = {"autograd": relative_error(grad, reference[name], scale)}
        if numerical:
            report[name]["numerical"] = _numerical_error(
                loss_and_gradients, weights[name], grad, step, max_entries, scale)
        if verbose:
            cells = "  ".join(f"{k}: {v:.2e}" for k, v in report[name].items())
            print(f"{name:30s} {cells}")
    return report


def _numerical_error(loss_and_gradients, weight, grad, step, max_entries, scale):
    flat = weight.value.reshape(-1)  # a view: perturbations land in the weight
    order = np.argsort(-np.abs(grad.reshape(-1)), kind="stable")
    indices = order if max_entries is None else order[:max_entries]
    estimates = np.empty(len(indices))
    for k, i in enumerate(indices):
        original = flat[i]
        try:
            flat[i] = original + step
            plus = loss_and_gradients()[0]
            flat[i] = original - step
            minus = loss_and_gradients()[0]
        finally:
            flat[i] = original
        estimates[k] = (plus - minus) / (2 * step)
    return relative_error(grad.reshape(-1)[indices], estimates, scale)


def pyplot():
    """``matplotlib.pyplot``, drawing to files (no screen needed).

    Raises
    ------
    ImportError
        If matplotlib is not installed, saying how to install it (the ``plot`` extra).
    """
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError("Plotting needs matplotlib: pip install 'minikeras[plot]' (in a "
                          "clone of the repository: pip install -e '.[plot]').") from error
    return plt


def plot_history(history, path=None, metrics=None):
    """Draw a ``History``: one panel per quantity (the loss, then each metric), training as a
    solid line and validation dashed, and write it as a PNG if ``path`` is given. The
    epoch axis has whole-number ticks only.

    Needs the optional ``plot`` extra (``pip install 'minikeras[plot]'``).

    Parameters
    ----------
    history : History or dict
        ``model.fit``'s return value or its ``.history`` dict.
    path : str or path-like, optional
        Where to write the PNG.
    metrics : list of str, optional
        The quantities to draw (default: every one without a "val_" prefix, the loss first;
        per-class arrays are drawn one line per class).

    Returns
    -------
    matplotlib Figure

    Raises
    ------
    ImportError
        If matplotlib is not installed, saying how to install it.
    ValueError
        If ``metrics`` names a quantity the history lacks.
    """
    plt = pyplot()
    from matplotlib.ticker import MaxNLocator

    curves = getattr(history, "history", history)
    if metrics is None:
        metrics = sorted((k for k in curves if not k.startswith("val_")),
                         key=lambda k: k != "loss")
    for key in metrics:
        if key not in curves:
            raise ValueError(f"Argument `metrics` names {key!r}, which the history lacks; "
                             f"it has {sorted(curves)}.")
    columns = 2 if len(metrics) == 4 else min(len(metrics), 3)
    rows = -(-len(metrics) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.4 * rows),
                                squeeze=False)
    for ax in axes.flat[len(metrics):]:
        ax.set_visible(False)
    for ax, key in zip(axes.flat, metrics):
        for name, style in ((key, "-"), ("val_" + key, "--")):
            if name in curves:
                values = np.asarray(curves[name], dtype=float)
                epochs = np.arange(1, len(values) + 1)
                ax.plot(epochs, values, linestyle=style,
                        label=name if values.ndim == 1 else
                        [f"{name}[{i}]" for i in range(values.shape[1])])
        ax.set_title(key)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no 1.5, 2.5 epochs
        ax.grid(alpha=0.3)
        ax.legend()
    figure.tight_layout()
    if path is not None:
        figure.savefig(path, dpi=110)
        plt.close(figure)
    return figure
