"""The text table that ``Sequential.summary()`` prints: layers, output shapes, parameters."""

import math
import numbers
import re

import numpy as np

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
        Total width of the table: the columns share it as they share the default width.
    positions : sequence of float, optional
        Right edge of each column: fractions of ``line_length`` (all at most 1) or whole
        character positions, increasing. With ``show_trainable``, three fractions are
        read as Keras reads them: scaled by 0.9, the Trainable column taking the rest.
    A column is never narrower than its text, so a table can come out wider than asked.
    expand_nested : bool
        Also list the layers each layer keeps in its attributes, indented below it.
    show_trainable : bool
        Add a column: ``Y`` if the layer trains, ``N`` if frozen, ``-`` without weights.
    layer_range : (str, str), optional
        Only the layers from the first whose name matches ``layer_range[0]`` to the last
        whose name matches ``layer_range[1]`` (both inclusive; regular expressions, matched
        at the start of the name as Keras does; an exact name always matches). Given in
        the wrong order they are swapped, as Keras does. The totals still count the whole
        model.
    """
    columns = 4 if show_trainable else 3
    line_length = validation.check_int("line_length", line_length, minimum=20, allow_none=True)
    layers = _layer_range(model.layers, layer_range)
    widths = _widths(positions, line_length, columns)
    nested = " + " if ascii else " └ "
    rows = []
    for layer in layers:
        rows.append(_row(layer, ""))
        if expand_nested:
            rows.extend(_row(sub, "  " * depth + nested) for sub, depth in _nested(layer))
    header = _HEADER[:columns]
    rows = [cells[:columns] for cells in rows]
    needed = [max(len(r[i]) for r in rows + [header]) + 2 for i in range(columns)]
    widths = [max(w, n) for w, n in zip(widths, needed)]
    if line_length is not None and (positions is None or max(positions) <= 1):
        # take back, from columns with room to spare, what the text pushed out
        excess = sum(widths) + columns + 1 - line_length
        for i in range(columns):
            cut = max(min(excess, widths[i] - needed[i]), 0)
            widths[i] -= cut
            excess -= cut
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
    try:
        patterns = [re.compile(p) for p in layer_range]
    except re.error as error:
        raise ValueError(f"Argument `layer_range` {list(layer_range)!r} holds a pattern that is "
                         f"not a regular expression: {error}.") from None
    matches = [[i for i, layer in enumerate(layers)
                if layer.name == text or pattern.match(layer.name)]
               for text, pattern in zip(layer_range, patterns)]
    if not all(matches):
        raise ValueError(f"Argument `layer_range` {list(layer_range)!r} must match a layer name at "
                         f"each end; the layers are {[layer.name for layer in layers]}.")
    first, last = matches
    if last[-1] < first[0]:  # given in the wrong order
        first, last = last, first
    return layers[first[0]:last[-1] + 1]


def _widths(positions, line_length, columns):
    """Column widths from ``positions`` (right edges) or ``line_length``, else the
    defaults."""
    default = list(_MIN_WIDTHS[:columns])
    if positions is None:
        if line_length is None:
            return default
        room = line_length - columns - 1  # less the vertical rules
        widths = [max(round(w * room / sum(default)), 1) for w in default]
        widths[0] += room - sum(widths)
        return widths
    given = positions
    positions = list(positions) if isinstance(positions, (list, tuple, np.ndarray)) else None
    ok = (positions is not None
          and all(isinstance(p, numbers.Real) and not isinstance(p, bool) and math.isfinite(p)
                  and p > 0 for p in positions)
          and all(a < b for a, b in zip(positions, positions[1:])))
    if ok and len(positions) == 3 and columns == 4 and positions[-1] <= 1:
        positions = [p * 0.9 for p in positions] + [1.0]  # room for Trainable, as Keras
    fractions = ok and positions[-1] <= 1
    ok = ok and len(positions) == columns and (
        fractions or all(p == int(p) and p >= 2 for p in positions))
    if not ok:
        raise ValueError(f"Argument `positions` must be {columns} increasing positive numbers, "
                         "the right edge of each column: fractions of `line_length` (all at "
                         f"most 1) or whole character positions, got {validation.describe(given)}.")
    if fractions:  # of the whole line, rules included
        total = line_length or sum(default) + columns + 1
        positions = [round(p * (total - 1)) for p in positions]
    edges = [0] + [int(p) for p in positions]  # where each column's right rule stands
    return [max(b - a - 1, 1) for a, b in zip(edges, edges[1:])]


def format_bytes(n):
    """``268`` -> ``"268.00 B"``, ``2048`` -> ``"2.00 KB"``."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.2f} {unit}"
        n /= 1024
