"""minikeras benchmarks: every row measured in its own fresh Python process.

    python benchmarks/run.py [--repeats N] [--quick] [--only digits,large,notebook,memory]
                             [--json PATH] [--seed S]
    python benchmarks/run.py --growth [--repeats N] [--quick] [--json PATH] [--seed S]

Each measurement runs in a new interpreter (``run.py --row KEY``, which prints one JSON
line), so the numpy rows never share a process, or thread pools, with torch, Keras or JAX.
Rounds are interleaved: each repeat runs every row once, in turn; tables show medians over
the repeats, and a ratio between two rows is the median of the per-round ratios.
``--growth`` prints the cost-growth table (minikeras against the numpy floor and torch over
batch sizes and widths) instead of the main table.
See benchmarks/README.md for what each row means and for the targets.
"""

import argparse
import importlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tasks  # noqa: E402
from tasks import MB, ROWS, SECTIONS  # noqa: E402

SKIPPED_NOT_INSTALLED = "skipped (not installed)"


# ====================================================================== child process
def child_main(key, quick, seed):
    """Measure ``key`` in this process and print the result as one JSON line.

    Parameters
    ----------
    key : str
        A key understood by :func:`tasks.measure`.
    quick : bool
        Smoke-test sizes.
    seed : int
        Seed of the data set, the weights and the shuffles.
    """
    try:
        for name in tasks.requirements(key):
            importlib.import_module(name)
    except Exception as exc:  # an installed but broken package: say so, don't crash
        line = {"skipped": f"skipped (import failed: {type(exc).__name__}: {exc})"}
    else:
        line = {"result": tasks.measure(key, quick, seed), "threads": tasks.thread_info()}
    print(json.dumps(line), flush=True)


def run_child(key, quick, seed):
    """Run :func:`child_main` for ``key`` in a fresh interpreter and return its JSON line.

    Parameters
    ----------
    key : str
        A key understood by :func:`tasks.measure`.
    quick : bool
        Smoke-test sizes.
    seed : int
        Seed passed to the child.

    Returns
    -------
    dict
        ``{"result": {...}, "threads": [...]}`` or ``{"skipped": reason}``.
    """
    command = [sys.executable, os.path.abspath(__file__), "--row", key, "--seed", str(seed)]
    if quick:
        command.append("--quick")
    proc = subprocess.run(command, capture_output=True, text=True)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        sys.exit(f"benchmark {key!r} failed (exit code {proc.returncode}):\n"
                 f"{proc.stderr[-4000:]}")
    return json.loads(lines[-1])


# ====================================================================== rounds
class Rounds:
    """Results of interleaved rounds: each round ran every measurement once, in turn.

    Parameters
    ----------
    keys : list of str
        Measurement keys, in run order.
    repeats : int
        Number of rounds.
    quick : bool
        Smoke-test sizes.
    seed : int
        Seed passed to every child.

    Attributes
    ----------
    runs : dict
        ``key -> [result of round 1, round 2, ...]`` for the measurements that ran.
    skipped : dict
        ``key -> reason`` for those that did not (missing or broken optional package).
    threads : dict
        ``key -> thread pools`` loaded in that measurement's process.
    """

    def __init__(self, keys, repeats, quick, seed):
        self.skipped = {k: SKIPPED_NOT_INSTALLED for k in keys
                        if not all(map(installed, tasks.requirements(k)))}
        self.runs = {k: [] for k in keys if k not in self.skipped}
        self.threads = {}
        wall = time.perf_counter()
        for repeat in range(repeats):
            for key in list(self.runs):
                out = run_child(key, quick, seed)
                if "skipped" in out:
                    self.skipped[key] = out["skipped"]
                    del self.runs[key]
                    continue
                self.runs[key].append(out["result"])
                self.threads.setdefault(key, out["threads"])
            print(f"  round {repeat + 1}/{repeats} done ({time.perf_counter() - wall:.0f} s)",
                  file=sys.stderr, flush=True)

    def median(self, key):
        """Median of every field of ``key`` over the rounds, or None if it did not run."""
        runs = self.runs.get(key)
        if not runs:
            return None
        return {field: statistics.median(r[field] for r in runs) for field in runs[0]}

    def ratio(self, num, den, field, den_field=None):
        """Median over the rounds of ``num[field] / den[den_field]`` (None if one is missing).

        The two measurements ran next to each other in every round, so this cancels slow
        phases of the machine better than a ratio of medians.
        """
        if not (self.runs.get(num) and self.runs.get(den)):
            return None
        pairs = zip(self.runs[num], self.runs[den])
        return statistics.median(a[field] / b[den_field or field] for a, b in pairs)


def installed(name):
    """Whether the module ``name`` can be found (without importing it)."""
    return importlib.util.find_spec(name) is not None


# ====================================================================== output helpers
def pct(value):
    """``0.973 -> "97.3%"``."""
    return f"{100 * value:.1f}%"


def status(ok):
    """``True/False/None -> "PASS"/"FAIL"/"n/a"``."""
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def print_table(header, table):
    """Print ``table`` (tuples of cells) in columns, a rule between groups of column 0."""
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


def print_targets(targets):
    """The footer's target lines: ``(name, measured value, goal, status)`` each."""
    print("\nTargets")
    width = max((len(t[1]) for t in targets), default=0)
    for name, value, goal, state in targets:
        print(f"  [{state:^4}] {name:<9} {value:<{width}}  target {goal}")


def print_threads(threads):
    """One line per distinct set of thread pools, with the measurements that had it."""
    groups = {}
    for key, pools in threads.items():
        if key.startswith("growth/"):  # one name per library: growth/torch/*
            key = key.rsplit("/", 1)[0] + "/*"
        groups.setdefault(", ".join(sorted(pools)), {})[key] = None
    print("thread pools per process:")
    for pools, keys in groups.items():
        print(f"  {pools or 'none'}: {', '.join(keys)}")


def load_average():
    """The 1/5/15-minute load averages, or "n/a"."""
    try:
        return "/".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def versions():
    """``"minikeras 0.1.0 | numpy 2.4.6 | torch ..."`` for the installed packages (numba:
    minikeras' rows run its compiled Adam kernel, ``jit_compile="auto"``)."""
    parts = [f"python {platform.python_version()}"]
    for name in ("minikeras", "numpy", "numba", "scikit-learn", "torch", "keras", "jax"):
        try:
            parts.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    return " | ".join(parts)


def print_header(title, details):
    """Print the run's title, versions, CPU count and load, and ``details``."""
    print(f"{title} | {versions()} | cpus {os.cpu_count()}")
    print(f"{details} | load avg at start {load_average()}", flush=True)


def print_footer(rounds):
    """Print the end load average and the thread pools of the children."""
    print(f"\n(load avg at end {load_average()}; a load near or above 1 means other "
          "processes competed for the 2 cores and timings are noisy)")
    print_threads(rounds.threads)


def write_json(path, config, rounds, **extra):
    """Write the configuration, every round, the medians and ``extra`` to ``path``."""
    payload = {"config": dict(config, load_average_end=load_average(), versions=versions()),
               "runs": rounds.runs, "median": {k: rounds.median(k) for k in rounds.runs},
               "skipped": rounds.skipped, "threads": rounds.threads, **extra}
    with open(path, "w") as fh:
        json.dump(payload, fh, indent=2)
    print(f"\nwrote {path}")


# ====================================================================== main table
def digits_report(rounds, rows, epochs):
    """Table lines and targets of the digits section."""
    table, targets = [], []
    for row in rows:
        r = rounds.median(row.key)
        if r is None:
            table.append(("digits", row.label, rounds.skipped[row.key], "", "", ""))
            continue
        ratio = rounds.ratio(row.key, "digits/floor", "per_epoch")
        table.append(("digits", row.label, f"{1000 * r['per_epoch']:.1f} ms/epoch",
                      f"{ratio:.2f}x floor" if ratio else "", pct(r["accuracy"]),
                      f"{r['seconds']:.2f} s for {epochs} ep"))
    value = rounds.ratio("digits/minikeras", "digits/floor", "per_epoch")
    if value is not None:
        acc = rounds.median("digits/minikeras")["accuracy"]
        targets.append(("digits", f"{value:.2f}x the numpy floor, test acc {pct(acc)}",
                        f"<= {tasks.DIGITS_MAX_RATIO:.2f}x and acc >= "
                        f"{pct(tasks.DIGITS_MIN_ACCURACY)}",
                        status(value <= tasks.DIGITS_MAX_RATIO
                               and acc >= tasks.DIGITS_MIN_ACCURACY)))
    return table, targets


def large_report(rounds, rows, epochs):
    """Table lines and targets of the large section (training, GEMM floor, predict)."""
    table, targets = [], []
    for row in rows:
        r = rounds.median(row.key)
        if r is None:
            table.append(("large", row.label, rounds.skipped[row.key], "", "", ""))
            continue
        parts = []
        to_floor = rounds.ratio(row.key, "large/floor", "per_epoch")
        if to_floor:
            parts.append(f"{to_floor:.2f}x floor")
        of_gemm = rounds.ratio("large/gemm", row.key, "per_epoch")
        if of_gemm and row.key != "large/gemm":
            parts.append(f"{of_gemm:.2f} of GEMM")
        table.append(("large", row.label, f"{r['per_epoch']:.3f} s/epoch", ", ".join(parts),
                      pct(r["accuracy"]) if "accuracy" in r else "",
                      "matmuls only" if row.key == "large/gemm" else f"{epochs} epochs"))
    for row in rows:
        r = rounds.median(row.key)
        if r is None or "predict_per_s" not in r or row.key == "large/floor" \
                or row.key.endswith("-numpy"):  # (predicting runs no optimizer)
            continue
        ratio = rounds.ratio(row.key, "large/floor", "predict_per_s")
        table.append(("large", f"{row.label.split()[0]} predict (bs {tasks.PREDICT_BATCH})",
                      f"{r['predict_per_s']:,.0f} samples/s",
                      f"{ratio:.2f}x floor" if ratio else "", "", "16384 training inputs"))

    fraction = rounds.ratio("large/gemm", "large/minikeras", "per_epoch")
    if fraction is not None:
        targets.append(("large", f"{pct(fraction)} of the GEMM-only floor",
                        f">= {pct(tasks.LARGE_MIN_GEMM_FRACTION)}",
                        status(fraction >= tasks.LARGE_MIN_GEMM_FRACTION)))
    if rounds.median("large/minikeras"):
        speedup = rounds.ratio("large/keras", "large/minikeras", "per_epoch")
        value = (f"{speedup:.2f}x Keras' time" if speedup is not None
                 else f"Keras on JAX {rounds.skipped.get('large/keras', 'not run')}")
        targets.append(("large", value, "faster than Keras 3 on JAX (> 1x)",
                        status(None if speedup is None else speedup > 1)))
        predict = rounds.median("large/minikeras")["predict_per_s"]
        ratio = rounds.ratio("large/minikeras", "large/floor", "predict_per_s")
        targets.append(("predict", f"{predict:,.0f} samples/s"
                        + (f" ({ratio:.2f}x the floor's)" if ratio else ""),
                        "reported", "info"))
    return table, targets


def notebook_report(rounds, rows, epochs):
    """Table lines and the target of the notebook section."""
    table, targets = [], []
    for row in rows:
        r = rounds.median(row.key)
        if r is None:
            continue
        speedup = rounds.ratio("notebook/autograd", row.key, "seconds")
        table.append(("notebook", row.label, f"{r['seconds']:.3f} s",
                      f"{speedup:.1f}x faster" if speedup else "", pct(r["accuracy"]),
                      f"{epochs} epochs, train acc"))
    speedup = rounds.ratio("notebook/autograd", "notebook/minikeras", "seconds")
    if speedup is not None:
        acc = rounds.median("notebook/minikeras")["accuracy"]
        acc_notebook = rounds.median("notebook/autograd")["accuracy"]
        targets.append(("notebook", f"{speedup:.1f}x faster, train acc {pct(acc)} "
                        f"(notebook {pct(acc_notebook)})",
                        f">= {tasks.NOTEBOOK_MIN_SPEEDUP:.0f}x, acc not below the notebook's",
                        status(speedup >= tasks.NOTEBOOK_MIN_SPEEDUP and acc >= acc_notebook)))
    return table, targets


def memory_report(rounds, rows, epochs):
    """Table line and target of the memory section."""
    memory = rounds.median("memory/minikeras")
    if memory is None:
        return [], []
    table = [("memory", rows[0].label, f"{memory['peak_bytes'] / MB:.1f} MB",
              f"{memory['ratio']:.2f}x arrays", "",
              f"arrays {memory['array_bytes'] / MB:.1f} MB, {epochs} epochs")]
    target = ("memory", f"{memory['peak_bytes'] / MB:.1f} MB ({memory['ratio']:.2f}x arrays)",
              f"<= {tasks.MEMORY_MAX_FACTOR}x arrays + {tasks.MEMORY_SLACK_BYTES // MB} MB "
              f"= {memory['budget_bytes'] / MB:.1f} MB",
              status(memory["peak_bytes"] <= memory["budget_bytes"]))
    return table, [target]


SECTION_REPORTS = {"digits": digits_report, "large": large_report,
                   "notebook": notebook_report, "memory": memory_report}


def main_table(args):
    """Run the selected sections' rows in interleaved rounds and print the table."""
    epochs = tasks.QUICK_EPOCHS if args.quick else tasks.EPOCHS
    epochs = {s: epochs[s] for s in args.only}
    rows = [row for row in ROWS if row.section in args.only]
    print_header("minikeras benchmarks",
                 f"repeats {args.repeats} (median, rows interleaved, one process per row) | "
                 f"epochs {epochs}{' | QUICK' if args.quick else ''} | seed {args.seed}")
    rounds = Rounds([row.key for row in rows], args.repeats, args.quick, args.seed)

    table, targets = [], []
    for section in args.only:
        lines, checks = SECTION_REPORTS[section](
            rounds, [row for row in rows if row.section == section], epochs[section])
        table += lines
        targets += checks
    print_table(("task", "row", "time", "ratio", "accuracy", "notes"), table)
    print_footer(rounds)
    print_targets(targets)
    if args.json:
        write_json(args.json, {"mode": "table", "repeats": args.repeats, "quick": args.quick,
                               "epochs": epochs, "seed": args.seed, "only": args.only},
                   rounds, targets=[{"name": n, "value": v, "target": g, "status": s}
                                    for n, v, g, s in targets])


# ====================================================================== growth table
def growth_table(args):
    """Measure the cost-growth cells in interleaved rounds and print the growth table."""
    steps = tasks.GROWTH_QUICK_STEPS if args.quick else tasks.GROWTH_STEPS
    impls = list(tasks.GROWTH_TRAINERS)
    sweeps = tasks.growth_sweeps()
    cells = dict.fromkeys(cell for _, sweep_cells in sweeps for cell in sweep_cells)
    print_header("minikeras cost growth",
                 f"MLP {tasks.GROWTH_INPUT}-width-{tasks.GROWTH_CLASSES}, Adam, {steps} "
                 f"steps per cell | repeats {args.repeats} (median, interleaved, one process "
                 f"per cell and library){' | QUICK' if args.quick else ''} | seed {args.seed}")
    rounds = Rounds([tasks.growth_key(i, b, w) for b, w in cells for i in impls],
                    args.repeats, args.quick, args.seed)

    table, records = [], []
    for sweep, sweep_cells in sweeps:
        for batch, width in sweep_cells:
            key = {i: tasks.growth_key(i, batch, width) for i in impls}
            times = {i: rounds.median(key[i]) for i in impls}
            ratios = {peer: rounds.ratio(key["minikeras"], key[peer], "per_step")
                      for peer in ("floor", "torch")}
            records.append({"batch": batch, "width": width,
                            "ms_per_step": {i: t and 1000 * t["per_step"]
                                            for i, t in times.items()},
                            "minikeras_over": ratios})
            table.append((sweep, batch, width,
                          *(f"{1000 * t['per_step']:.3f}" if t else "skipped"
                            for t in times.values()),
                          *(f"{r:.2f}x" if r else "n/a" for r in ratios.values())))
    print_table(("sweep", "batch", "width", *(f"{i} ms/step" for i in impls),
                 "minikeras/floor", "minikeras/torch"), table)
    for key, reason in rounds.skipped.items():
        print(f"{key}: {reason}")
    print_footer(rounds)
    floor_ratios = [r["minikeras_over"]["floor"] for r in records]
    worst = None if None in floor_ratios else max(floor_ratios)
    # --quick times 16 steps a cell: too few to judge, so the line is informational
    state = "info" if args.quick else status(
        None if worst is None else worst <= tasks.GROWTH_MAX_FLOOR_RATIO)
    targets = [("growth", "n/a" if worst is None else f"worst cell {worst:.2f}x the numpy floor",
                f"<= {tasks.GROWTH_MAX_FLOOR_RATIO:.2f}x the floor in every cell", state)]
    print_targets(targets)
    if args.json:
        write_json(args.json, {"mode": "growth", "repeats": args.repeats, "quick": args.quick,
                               "steps": steps, "seed": args.seed}, rounds, growth=records,
                   targets=[{"name": n, "value": v, "target": g, "status": st}
                            for n, v, g, st in targets])


# ====================================================================== driver
def parse_args(argv=None):
    """Parse the command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int,
                        help="rounds; medians are reported (default 5, 3 with --growth, "
                             "1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="fewer epochs, for a smoke run")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(SECTIONS)}")
    parser.add_argument("--growth", action="store_true",
                        help="print the cost-growth table instead of the main table")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--row", help=argparse.SUPPRESS)  # child mode: one measurement
    args = parser.parse_args(argv)
    if args.growth and args.only:
        parser.error("--only does not apply to --growth")
    args.only = [s.strip() for s in (args.only or ",".join(SECTIONS)).split(",") if s.strip()]
    unknown = sorted(set(args.only) - set(SECTIONS))
    if unknown:
        parser.error(f"--only: unknown section(s) {unknown}; choose from {list(SECTIONS)}")
    if args.repeats is None:
        args.repeats = 1 if args.quick else (3 if args.growth else 5)
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    return args


def main(argv=None):
    """Entry point: a child measurement (``--row``), the growth table or the main table."""
    args = parse_args(argv)
    if args.row:
        child_main(args.row, args.quick, args.seed)
    elif args.growth:
        growth_table(args)
    else:
        main_table(args)


if __name__ == "__main__":
    main()
