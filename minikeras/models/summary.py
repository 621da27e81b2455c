"""The text table that ``Sequential.summary()`` prints: layers, output shapes, parameters."""

import re

from .. import validation

__all__ = ["summary_table", "format_bytes"]

_HEADER = ("Layer (type)", "Output Shape", "Param #", "Trainable")
_MIN_WIDTHS = (30, 24, 12, 11)

_BOX = "─│┌┬┐├┼┤└┴┘"
_ASCII = "-|+++++++++"


def summary_table(model, ascii=False, line_length=None, positions=None, expand_nested=False,
                  show_trainable=False, layer_range=None):
    """Return the summary of ``model`` as a box-drawn table, Keras style.

    Parameters
    ----------
    model : Sequential
    ascii : bool
        Plain ASCII rules, for outputs that cannot show box-drawing characters.
    line_length : int, optional
        Total width of the table; the first column takes up what the others leave.
    positions : sequence of float, optional
        Right edge of each column: fractions of ``line_length`` (all at most 1) or
        character positions, increasing. A column is never narrower than its text.
    expand_nested : bool
        Also list the layers each layer keeps in its attributes, indented below it.
    show_trainable : bool
        Add a column: ``Y`` if the layer trains, ``N`` if frozen, ``-`` without weights.
    layer_range : (str, str), optional
        Only the layers from the first whose name matches ``layer_range[0]`` to the last
        whose name matches ``layer_range[1]`` (both inclusive; regular expressions, matched
        at the start of the name as Keras does). The totals still count the whole model.
    """
    columns = 4 if show_trainable else 3
    line_length = validation.check_int("line_length", line_length, minimum=20, allow_none=True)
    layers = _layer_range(model.layers, layer_range)
    widths = _widths(positions, line_length, columns)
    rows = []
    for layer in layers:
        rows.append(_row(layer, ""))
        if expand_nested:
            rows.extend(_row(sub, "  " * depth + " └ ") for sub, depth in _nested(layer))
    header = _HEADER[:columns]
    rows = [cells[:columns] for cells in rows]
    needed = [max(len(r[i]) for r in rows + [header]) + 2 for i in range(columns)]
    widths = [max(w, n) for w, n in zip(widths, needed)]
    if line_length is not None and positions is None:  # the first column takes the rest
        widths[0] = max(needed[0], line_length - sum(widths[1:]) - columns - 1)
    line, bar, *corners = _ASCII if ascii else _BOX
    tl, tm, tr, ml, mm, mr, bl, bm, br = corners

    def rule(left, mid, right):
        return left + mid.join(line * w for w in widths) + right

    def row(cells):
        text = [cells[0].ljust(widths[0] - 1), cells[1].ljust(widths[1] - 1),
                cells[2].rjust(widths[2] - 1) + " "]
        if columns == 4:
            text.append(cells[3].center(widths[3]))
        return f"{bar} " + f"{bar} ".join(text[:2]) + bar + bar.join(text[2:]) + bar

    lines = [f'Model: "{model.name}"', rule(tl, tm, tr), row(header), rule(ml, mm, mr)]
    for i, cells in enumerate(rows):
        lines.append(row(cells))
        if i < len(rows) - 1:
            lines.append(rule(ml, mm, mr))
    lines.append(rule(bl, bm, br))
    groups = {"Total": model.weights, "Trainable": model.trainable_weights,
              "Non-trainable": model.non_trainable_weights}
    for label, weights in groups.items():
        count, size = sum(w.size for w in weights), sum(w.nbytes for w in weights)
        lines.append(f" {label} params: {count:,} ({format_bytes(size)})")
    return "\n".join(lines)


def _row(layer, indent):
    built = layer.built and getattr(layer, "output_shape", None) is not None
    if not layer.weights:
        trainable = "-"
    else:
        trainable = "Y" if layer.trainable else "N"
    return (f"{indent}{layer.name} ({type(layer).__name__})",
            str(layer.output_shape) if built else "?",
            f"{layer.count_params():,}" if layer.built else "0 (unbuilt)",
            trainable)


def _nested(layer, depth=0):
    """``(sublayer, depth)`` for the layers ``layer`` keeps in its attributes, depth first."""
    for sub in layer._sublayers:
        yield sub, depth
        yield from _nested(sub, depth + 1)


def _layer_range(layers, layer_range):
    if layer_range is None:
        return layers
    if (not isinstance(layer_range, (list, tuple)) or len(layer_range) != 2
            or not all(isinstance(p, str) for p in layer_range)):
        raise ValueError("Argument `layer_range` must be a list or tuple of two strings (first "
                         f"and last layer name or pattern), got {validation.describe(layer_range)}.")
    first_pattern, last_pattern = layer_range
    starts = [i for i, layer in enumerate(layers) if re.match(first_pattern, layer.name)]
    ends = [i for i, layer in enumerate(layers) if re.match(last_pattern, layer.name)]
    names = [layer.name for layer in layers]
    if not starts or not ends or ends[-1] < starts[0]:
        raise ValueError(f"Argument `layer_range` {list(layer_range)!r} selects no layers of "
                         f"{names}: the first pattern must match a layer at or before the last "
                         "layer the second pattern matches.")
    return layers[starts[0]:ends[-1] + 1]


def _widths(positions, line_length, columns):
    """Column widths from ``positions`` (right edges), else the default minimums."""
    if positions is None:
        return list(_MIN_WIDTHS[:columns])
    ok = (isinstance(positions, (list, tuple)) and len(positions) == columns
          and all(isinstance(p, (int, float)) and not isinstance(p, bool) and p > 0
                  for p in positions)
          and all(a < b for a, b in zip(positions, positions[1:])))
    if not ok:
        raise ValueError(f"Argument `positions` must be {columns} increasing positive numbers "
                         "(the right edge of each column, as fractions of `line_length` or as "
                         f"character positions), got {validation.describe(positions)}.")
    if positions[-1] <= 1:  # fractions of the whole line, rules included
        total = line_length or sum(_MIN_WIDTHS[:columns]) + columns + 1
        positions = [round(p * (total - 1)) for p in positions]
    edges = [0] + [int(p) for p in positions]  # where each column's right rule stands
    return [max(b - a - 1, 1) for a, b in zip(edges, edges[1:])]


def format_bytes(n):
    """``268`` -> ``"268.00 B"``, ``2048`` -> ``"2.00 KB"``."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.2f} {unit}"
        n /= 1024
