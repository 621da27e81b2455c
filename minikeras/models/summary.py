"""The text table that ``Sequential.summary()`` prints: layers, output shapes, parameters."""

__all__ = ["summary_table", "format_bytes"]

_MIN_WIDTHS = (30, 24, 12)


def summary_table(model):
    """Return the summary of ``model`` as a box-drawn table, Keras style."""
    rows = [(f"{layer.name} ({type(layer).__name__})",
             str(layer.output_shape if layer.built else "?"),
             f"{layer.count_params():,}" if layer.built else "0 (unbuilt)")
            for layer in model.layers]
    header = ("Layer (type)", "Output Shape", "Param #")
    widths = [max(max(len(r[i]) for r in rows + [header]) + 2, _MIN_WIDTHS[i]) for i in range(3)]

    def rule(left, mid, right):
        return left + mid.join("─" * w for w in widths) + right

    def row(cells):
        return ("│ " + cells[0].ljust(widths[0] - 1) + "│ " + cells[1].ljust(widths[1] - 1)
                + "│" + cells[2].rjust(widths[2] - 1) + " │")

    lines = [f'Model: "{model.name}"', rule("┌", "┬", "┐"), row(header), rule("├", "┼", "┤")]
    for i, cells in enumerate(rows):
        lines.append(row(cells))
        if i < len(rows) - 1:
            lines.append(rule("├", "┼", "┤"))
    lines.append(rule("└", "┴", "┘"))
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
