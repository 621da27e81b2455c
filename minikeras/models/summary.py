"""The text table that ``Sequential.summary()`` prints: layers, output shapes, parameters."""

__all__ = ["summary_table", "format_bytes"]

_MIN_WIDTHS = (30, 24, 12)


_BOX = "─│┌┬┐├┼┤└┴┘"
_ASCII = "-|+++++++++"


def summary_table(model, ascii=False):
    """Return the summary of ``model`` as a box-drawn table, Keras style (in plain ASCII
    with ``ascii=True``, for outputs that cannot show box-drawing characters)."""
    rows = [(f"{layer.name} ({type(layer).__name__})",
             str(layer.output_shape if layer.built else "?"),
             f"{layer.count_params():,}" if layer.built else "0 (unbuilt)")
            for layer in model.layers]
    header = ("Layer (type)", "Output Shape", "Param #")
    widths = [max(max(len(r[i]) for r in rows + [header]) + 2, _MIN_WIDTHS[i]) for i in range(3)]
    line, bar, *corners = _ASCII if ascii else _BOX
    tl, tm, tr, ml, mm, mr, bl, bm, br = corners

    def rule(left, mid, right):
        return left + mid.join(line * w for w in widths) + right

    def row(cells):
        return (f"{bar} " + cells[0].ljust(widths[0] - 1) + f"{bar} "
                + cells[1].ljust(widths[1] - 1) + bar + cells[2].rjust(widths[2] - 1)
                + f" {bar}")

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


def format_bytes(n):
    """``268`` -> ``"268.00 B"``, ``2048`` -> ``"2.00 KB"``."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.2f} {unit}"
        n /= 1024
