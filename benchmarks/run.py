"""minikeras benchmarks: one table, every row measured in this process.

    python benchmarks/run.py [--repeats N] [--quick] [--only digits,large,notebook,memory]
                             [--json PATH] [--seed S]

Rows are interleaved: each repeat runs every timed row once, round-robin, and the table
reports the median over the repeats, so slow drifts of the machine hit all rows alike.
Thread counts are left as the libraries set them (the same for every row) and printed.
See benchmarks/README.md for what each row means.
"""

import argparse
import gc
import importlib.util
import json
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from numpy_floor import NumpyMLP, gemm_floor_epoch  # noqa: E402
import notebook_loop as notebook_loop_module  # noqa: E402

import minikeras as mk  # noqa: E402

SECTIONS = ("digits", "large", "notebook", "memory")
MB = 1024 * 1024

# Targets (see README): digits <= 1.25x floor; large >= 75% of the GEMM floor;
# notebook >= 15x; memory <= 1.5x the training arrays + 50 MB.
DIGITS_MAX_RATIO = 1.25
LARGE_MIN_GEMM_FRACTION = 0.75
NOTEBOOK_MIN_SPEEDUP = 15.0
MEMORY_MAX_FACTOR = 1.5
MEMORY_SLACK_BYTES = 50 * MB


# ====================================================================== helpers
def timed(fn):
    gc.collect()
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def accuracy(probabilities, labels):
    return float(np.mean(np.argmax(probabilities, axis=1) == labels))


def optional_module(name):
    """``(module, None)`` if ``name`` imports, else ``(None, reason)``."""
    if importlib.util.find_spec(name) is None:
        return None, "skipped (not installed)"
    try:
        return __import__(name), None
    except Exception as exc:  # an installed but broken package: say so, don't crash
        return None, f"skipped (import failed: {type(exc).__name__}: {exc})"


def mk_mlp(sizes, hidden="relu"):
    layers = [mk.Input((sizes[0],))]
    layers += [mk.layers.Dense(w, activation=hidden) for w in sizes[1:-1]]
    layers.append(mk.layers.Dense(sizes[-1], activation="softmax"))
    return mk.Sequential(layers)


def load_average():
    try:
        return "/".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def thread_info():
    try:
        import threadpoolctl
        return [f"{d.get('internal_api')}:{d.get('num_threads')}"
                for d in threadpoolctl.threadpool_info()]
    except Exception:  # threadpoolctl missing or confused: not essential
        return ["unknown"]


# ====================================================================== data
def digits_data(seed):
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


def iris_data():
    from sklearn.datasets import load_iris
    x, y = load_iris(return_X_y=True)
    return x.astype(np.float64), y.astype(np.intp)


# ====================================================================== digits rows
DIGITS_SIZES = (64, 128, 64, 10)


def digits_minikeras(data, epochs, seed, metrics=None):
    x_tr, y_tr, x_te, y_te = data
    mk.utils.set_random_seed(seed)
    model = mk_mlp(DIGITS_SIZES)
    model.compile(optimizer=mk.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=metrics)
    seconds, _ = timed(lambda: model.fit(x_tr, y_tr, batch_size=32, epochs=epochs, verbose=0))
    return {"seconds": seconds, "per_epoch": seconds / epochs,
            "accuracy": accuracy(model.predict(x_te, batch_size=1024, verbose=0), y_te)}


def digits_floor(data, epochs, seed):
    x_tr, y_tr, x_te, y_te = data
    model = NumpyMLP(DIGITS_SIZES, batch_size=32, lr=1e-3, seed=seed)
    seconds, _ = timed(lambda: model.fit(x_tr, y_tr, epochs))
    return {"seconds": seconds, "per_epoch": seconds / epochs,
            "accuracy": accuracy(model.predict(x_te), y_te)}


def digits_sklearn(data, epochs, seed):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    x_tr, y_tr, x_te, y_te = data
    clf = MLPClassifier(hidden_layer_sizes=DIGITS_SIZES[1:-1], activation="relu",
                        solver="adam", batch_size=32, learning_rate_init=1e-3,
                        max_iter=epochs, alpha=0.0, tol=0.0, n_iter_no_change=10**9,
                        shuffle=True, epsilon=1e-7, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        seconds, _ = timed(lambda: clf.fit(x_tr, y_tr))
    return {"seconds": seconds, "per_epoch": seconds / epochs,
            "accuracy": float(clf.score(x_te, y_te))}


def digits_torch(data, epochs, seed):
    import torch
    from torch import nn
    x_tr, y_tr, x_te, y_te = data
    torch.manual_seed(seed)
    widths = DIGITS_SIZES
    modules = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        linear = nn.Linear(a, b)
        nn.init.xavier_uniform_(linear.weight)  # Glorot uniform, zero bias, as Keras
        nn.init.zeros_(linear.bias)
        modules.append(linear)
        if i < len(widths) - 2:
            modules.append(nn.ReLU())
    net = nn.Sequential(*modules)
    # torch adds eps to sqrt(v_hat) (bias-corrected), Keras to sqrt(v): a negligible difference
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()  # softmax + mean CE from the logits
    X, Y = torch.from_numpy(x_tr), torch.from_numpy(y_tr.astype(np.int64))
    n, bs = len(X), 32

    def train():
        for _ in range(epochs):
            order = torch.randperm(n)
            xs, ys = X[order], Y[order]
            total = 0.0
            for start in range(0, n, bs):
                xb, yb = xs[start:start + bs], ys[start:start + bs]
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(net(xb), yb)
                loss.backward()
                opt.step()
                total += loss.item() * len(xb)  # the loss value, every batch
        return total

    seconds, _ = timed(train)
    with torch.no_grad():
        logits = net(torch.from_numpy(x_te)).numpy()
    return {"seconds": seconds, "per_epoch": seconds / epochs, "accuracy": accuracy(logits, y_te)}


def digits_keras(data, epochs, seed):
    import keras
    x_tr, y_tr, x_te, y_te = data
    keras.utils.set_random_seed(seed)
    layers = [keras.Input((DIGITS_SIZES[0],))]
    layers += [keras.layers.Dense(w, activation="relu") for w in DIGITS_SIZES[1:-1]]
    layers.append(keras.layers.Dense(DIGITS_SIZES[-1], activation="softmax"))
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    # includes Keras' one-off graph tracing/compilation, as a user's fit call does
    seconds, _ = timed(lambda: model.fit(x_tr, y_tr, batch_size=32, epochs=epochs, verbose=0))
    return {"seconds": seconds, "per_epoch": seconds / epochs,
            "accuracy": accuracy(np.asarray(model.predict(x_te, verbose=0)), y_te)}


# ====================================================================== large rows
LARGE_SIZES = (784, 512, 256, 10)
LARGE_BATCH = 256
PREDICT_BATCH = 4096


def large_minikeras(data, epochs, seed):
    x, y, x_te, y_te = data
    mk.utils.set_random_seed(seed)
    model = mk_mlp(LARGE_SIZES)
    model.compile(optimizer=mk.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    seconds, _ = timed(lambda: model.fit(x, y, batch_size=LARGE_BATCH, epochs=epochs, verbose=0))
    predict_seconds, _ = timed(lambda: model.predict(x, batch_size=PREDICT_BATCH, verbose=0))
    return {"seconds": seconds, "per_epoch": seconds / epochs,
            "predict_per_s": len(x) / predict_seconds,
            "accuracy": accuracy(model.predict(x_te, batch_size=PREDICT_BATCH, verbose=0), y_te)}


def large_floor(data, epochs, seed):
    x, y, x_te, y_te = data
    model = NumpyMLP(LARGE_SIZES, batch_size=LARGE_BATCH, lr=1e-3, seed=seed)
    seconds, _ = timed(lambda: model.fit(x, y, epochs))
    predict_seconds, _ = timed(lambda: model.predict(x, batch_size=PREDICT_BATCH))
    return {"seconds": seconds, "per_epoch": seconds / epochs,
            "predict_per_s": len(x) / predict_seconds,
            "accuracy": accuracy(model.predict(x_te), y_te)}


def large_gemm(data, epochs, seed):
    x = data[0]
    gc.collect()
    seconds = sum(gemm_floor_epoch(x, LARGE_SIZES, LARGE_BATCH, seed=seed)
                  for _ in range(epochs))
    return {"seconds": seconds, "per_epoch": seconds / epochs}


# ====================================================================== notebook rows
def notebook_loop(data, epochs, seed):
    """The notebook's own training loop (benchmarks/notebook_loop.py), timed as it is."""
    x, y = data
    seconds, probabilities = notebook_loop_module.train_notebook(x, np.eye(3)[y], epochs, seed)
    return {"seconds": seconds, "accuracy": accuracy(probabilities, y)}


def notebook_lean(data, epochs, seed):
    """The same maths as a lean hand-written numpy loop: how fast plain numpy gets."""
    x, y = data
    seconds, probabilities = notebook_loop_module.train_lean(x, np.eye(3)[y], epochs, seed)
    return {"seconds": seconds, "accuracy": accuracy(probabilities, y)}


def notebook_minikeras(data, epochs, seed):
    """The same network and initial weights with minikeras (float64, like the notebook)."""
    x, y = data
    target = np.eye(3)[y]
    previous = mk.config.floatx()
    mk.config.set_floatx("float64")
    try:
        model = mk.Sequential([mk.Input((4,)), mk.layers.Dense(8, activation="sigmoid"),
                               mk.layers.Dense(3, activation="softmax")])
        (W1, b1), (W2, b2) = notebook_loop_module.initial_layers(seed)
        model.set_weights([W1, b1.ravel(), W2, b2.ravel()])
        # mean loss: learning rate 0.001 * 150 on the mean equals 0.001 on the sum
        model.compile(optimizer=mk.optimizers.SGD(learning_rate=0.15),
                      loss="categorical_crossentropy")
        seconds, _ = timed(lambda: model.fit(x, target, batch_size=150, epochs=epochs,
                                             shuffle=False, verbose=0))
        return {"seconds": seconds,
                "accuracy": accuracy(model.predict(x, batch_size=150, verbose=0), y)}
    finally:
        mk.config.set_floatx(previous)


# ====================================================================== memory
def memory_fit(data, epochs, seed):
    """Peak bytes that model.fit allocates on the large task, by tracemalloc."""
    x, y = data[0], data[1]
    mk.utils.set_random_seed(seed)
    model = mk_mlp(LARGE_SIZES)
    model.compile(optimizer=mk.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        model.fit(x, y, batch_size=LARGE_BATCH, epochs=epochs, verbose=0)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    arrays = x.nbytes + y.nbytes
    return {"peak_bytes": peak, "array_bytes": arrays,
            "ratio": peak / arrays,
            "budget_bytes": MEMORY_MAX_FACTOR * arrays + MEMORY_SLACK_BYTES}


# ====================================================================== driver
def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5,
                        help="timed repeats per row (median reported); default 5")
    parser.add_argument("--quick", action="store_true", help="fewer epochs, for a smoke run")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated subset of {','.join(SECTIONS)}")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(args.only) - set(SECTIONS))
    if unknown:
        parser.error(f"--only: unknown section(s) {unknown}; choose from {list(SECTIONS)}")
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    return args


def median_summary(runs):
    """Median of every numeric field over the repeats."""
    keys = runs[0].keys()
    return {k: statistics.median(r[k] for r in runs) for k in keys}


def main(argv=None):
    args = parse_args(argv)
    mk.config.set_floatx("float32")
    epochs = {
        "digits": 5 if args.quick else 20,
        "large": 1 if args.quick else 3,
        "notebook": 300 if args.quick else 1500,
        "memory": 1 if args.quick else 2,
    }
    seed = args.seed

    # ---- data, once
    data = {}
    if "digits" in args.only:
        data["digits"] = digits_data(seed)
    if "large" in args.only or "memory" in args.only:
        data["large"] = large_data(seed)
    if "notebook" in args.only:
        data["notebook"] = iris_data()

    # ---- timed rows: (key, section, label, function or skip reason)
    rows = []
    if "digits" in args.only:
        rows += [
            ("digits/minikeras", "digits", "minikeras", digits_minikeras),
            ("digits/minikeras+acc", "digits", "minikeras (+accuracy metric)",
             lambda d, e, s: digits_minikeras(d, e, s, metrics=["accuracy"])),
            ("digits/floor", "digits", "numpy floor", digits_floor),
            ("digits/sklearn", "digits", "sklearn MLPClassifier", digits_sklearn),
        ]
        torch, why = optional_module("torch")
        rows.append(("digits/torch", "digits", "torch eager", digits_torch if torch else why))
        keras, why = optional_module("keras")
        rows.append(("digits/keras", "digits", "keras", digits_keras if keras else why))
    if "large" in args.only:
        rows += [
            ("large/minikeras", "large", "minikeras", large_minikeras),
            ("large/floor", "large", "numpy floor", large_floor),
            ("large/gemm", "large", "GEMM-only floor", large_gemm),
        ]
    if "notebook" in args.only:
        rows += [
            ("notebook/autograd", "notebook", "notebook autograd loop", notebook_loop),
            ("notebook/lean", "notebook", "lean numpy loop", notebook_lean),
            ("notebook/minikeras", "notebook", "minikeras fit (SGD)", notebook_minikeras),
        ]
    section_data = {"digits": "digits", "large": "large", "notebook": "notebook"}

    print(f"minikeras {mk.__version__} benchmarks | python {platform.python_version()} | "
          f"numpy {np.__version__} | cpus {os.cpu_count()} | threads {', '.join(thread_info())}")
    print(f"repeats {args.repeats} (median, rows interleaved) | epochs {epochs}"
          f"{' | QUICK' if args.quick else ''} | seed {seed} | load avg at start "
          f"{load_average()}", flush=True)

    # ---- untimed warm-up of the minikeras and floor code paths
    if "digits" in data:
        digits_minikeras(data["digits"], 1, seed)
        digits_floor(data["digits"], 1, seed)

    runs = {key: [] for key, _, _, fn in rows if callable(fn)}
    wall = time.perf_counter()
    for repeat in range(args.repeats):
        for key, section, label, fn in rows:
            if not callable(fn):
                continue
            runs[key].append(fn(data[section_data[section]], epochs[section], seed))
        print(f"  repeat {repeat + 1}/{args.repeats} done "
              f"({time.perf_counter() - wall:.1f} s)", file=sys.stderr, flush=True)
    results = {key: median_summary(r) for key, r in runs.items()}

    memory = None
    if "memory" in args.only:
        memory = memory_fit(data["large"], epochs["memory"], seed)

    table, targets = build_report(rows, runs, results, memory, epochs)
    print_table(table)
    print(f"(load avg at end {load_average()}; a load near or above 1 means other "
          "processes competed for the cores and timings are noisy)")
    print()
    print("Targets")
    for name, value, goal, ok in targets:
        status = "n/a " if ok is None else ("PASS" if ok else "FAIL")
        print(f"  [{status}] {name:<10} {value:<34} target {goal}")

    if args.json:
        payload = {
            "config": {"load_average_end": load_average(), "repeats": args.repeats,
                       "quick": args.quick, "epochs": epochs,
                       "seed": seed, "only": args.only, "python": platform.python_version(),
                       "numpy": np.__version__, "minikeras": mk.__version__,
                       "cpus": os.cpu_count(), "threads": thread_info()},
            "runs": runs, "median": results, "memory": memory,
            "skipped": {key: fn for key, _, _, fn in rows if not callable(fn)},
            "targets": [{"name": n, "value": v, "target": g, "pass": ok}
                        for n, v, g, ok in targets],
        }
        with open(args.json, "w") as fh:
            json.dump(payload, fh, indent=2)
        print(f"\nwrote {args.json}")


def build_report(rows, runs, results, memory, epochs):
    """Table lines ``(task, row, time, ratio, accuracy, extra)`` and target checks.

    Times are medians over the repeats. A ratio between two rows is the median of the
    per-repeat ratios: the two rows ran next to each other in every repeat, so this cancels
    slow phases of the machine better than a ratio of medians.
    """
    table = []
    targets = []
    get = results.get

    def ratio(num, den, field="per_epoch", den_field=None):
        den_field = den_field or field
        pairs = zip(runs[num], runs[den])
        return statistics.median(a[field] / b[den_field] for a, b in pairs)

    def pct(a):
        return f"{100 * a:.1f}%"

    # digits
    floor = get("digits/floor")
    for key, section, label, fn in rows:
        if section != "digits":
            continue
        if not callable(fn):
            table.append(("digits", label, fn, "", "", ""))
            continue
        r = results[key]
        text = f"{ratio(key, 'digits/floor'):.2f}x floor" if floor else ""
        table.append(("digits", label, f"{1000 * r['per_epoch']:.1f} ms/epoch", text,
                      pct(r["accuracy"]), f"{r['seconds']:.2f} s for {epochs['digits']} ep"))
    if floor and get("digits/minikeras"):
        value = ratio("digits/minikeras", "digits/floor")
        targets.append(("digits", f"{value:.2f}x the numpy floor", f"<= {DIGITS_MAX_RATIO}x",
                        value <= DIGITS_MAX_RATIO))

    # large
    mkl, fl, gemm = get("large/minikeras"), get("large/floor"), get("large/gemm")
    if mkl:
        parts = []
        if fl:
            parts.append(f"{ratio('large/minikeras', 'large/floor'):.2f}x floor")
        if gemm:
            parts.append(f"{ratio('large/gemm', 'large/minikeras'):.2f} of GEMM")
        table.append(("large", "minikeras fit", f"{mkl['per_epoch']:.3f} s/epoch",
                      ", ".join(parts), pct(mkl["accuracy"]), ""))
    if fl:
        extra = f"{ratio('large/gemm', 'large/floor'):.2f} of GEMM" if gemm else ""
        table.append(("large", "numpy floor", f"{fl['per_epoch']:.3f} s/epoch", "1.00x floor",
                      pct(fl["accuracy"]), extra))
    if gemm:
        text = f"{ratio('large/gemm', 'large/floor'):.2f}x floor" if fl else ""
        table.append(("large", "GEMM-only floor", f"{gemm['per_epoch']:.3f} s/epoch", text,
                      "", "matmuls only"))
    if mkl:
        text = extra = ""
        if fl:
            text = f"{ratio('large/minikeras', 'large/floor', 'predict_per_s'):.2f}x floor"
            extra = f"floor predict {fl['predict_per_s']:,.0f} samples/s"
        table.append(("large", f"minikeras predict (bs {PREDICT_BATCH})",
                      f"{mkl['predict_per_s']:,.0f} samples/s", text, "", extra))
    if mkl and gemm:
        frac = ratio("large/gemm", "large/minikeras")
        targets.append(("large", f"{pct(frac)} of the GEMM floor",
                        f">= {pct(LARGE_MIN_GEMM_FRACTION)}",
                        frac >= LARGE_MIN_GEMM_FRACTION))

    # notebook
    nb = get("notebook/autograd")
    if nb:
        table.append(("notebook", "notebook autograd loop", f"{nb['seconds']:.3f} s", "1.00x",
                      pct(nb["accuracy"]), f"{epochs['notebook']} epochs, train acc"))
    for key, label in (("notebook/lean", "lean numpy loop"),
                       ("notebook/minikeras", "minikeras fit (SGD 0.15)")):
        row = get(key)
        if not row:
            continue
        speedup = ratio("notebook/autograd", key, "seconds") if nb else None
        table.append(("notebook", label, f"{row['seconds']:.3f} s",
                      f"{speedup:.1f}x faster" if speedup else "", pct(row["accuracy"]),
                      f"{epochs['notebook']} epochs, train acc"))
        if speedup and key == "notebook/minikeras":
            targets.append(("notebook", f"{speedup:.1f}x faster than the notebook",
                            f">= {NOTEBOOK_MIN_SPEEDUP:.0f}x", speedup >= NOTEBOOK_MIN_SPEEDUP))

    # memory
    if memory:
        table.append(("memory", "minikeras fit peak (large)",
                      f"{memory['peak_bytes'] / MB:.1f} MB",
                      f"{memory['ratio']:.2f}x arrays", "",
                      f"arrays {memory['array_bytes'] / MB:.1f} MB, "
                      f"budget {memory['budget_bytes'] / MB:.1f} MB"))
        targets.append(("memory",
                        f"{memory['peak_bytes'] / MB:.1f} MB ({memory['ratio']:.2f}x arrays)",
                        f"<= {MEMORY_MAX_FACTOR}x arrays + {MEMORY_SLACK_BYTES // MB} MB "
                        f"= {memory['budget_bytes'] / MB:.1f} MB",
                        memory["peak_bytes"] <= memory["budget_bytes"]))
    return table, targets


def print_table(table):
    header = ("task", "row", "time", "ratio", "accuracy", "notes")
    widths = [max(len(str(r[i])) for r in table + [header]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
    print(line)
    previous = None
    for r in table:
        if previous is not None and r[0] != previous:
            print(line)
        previous = r[0]
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())


if __name__ == "__main__":
    main()
