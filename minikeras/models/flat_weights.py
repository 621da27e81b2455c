"""Model-wide storage: every weight in one flat buffer per dtype, gradients in another.

With the weights and gradients as views into contiguous arrays, an elementwise optimizer
(SGD, Adam, RMSprop, ...) updates a whole model in a dozen numpy calls per step instead of
a dozen per weight. Every entry sees exactly the arithmetic it would see updated alone, so
results are unchanged; only the number of Python-level calls drops.

Frozen weights stay in the buffer (so freezing moves nothing and keeps every array and the
optimizer's state); the optimizer is handed the contiguous runs of trainable entries.
"""

import numpy as np


class FlatBuffer:
    """One dtype's weights and gradients, and where each layer's weight lives in them."""

    def __init__(self, weights, gradients, entries):
        self.weights = weights
        self.gradients = gradients
        self.entries = entries  # (layer, index in layer.weights, offset, size), in order

    def trainable_segments(self):
        """``(gradient, weight)`` views of the maximal runs of trainable entries."""
        segments, start, stop = [], None, None
        for layer, index, offset, size in self.entries:
            if layer.trainable and index in layer.trainable_indices():
                if start is None or offset != stop:
                    if start is not None:
                        segments.append((start, stop))
                    start = offset
                stop = offset + size
        if start is not None:
            segments.append((start, stop))
        if segments == [(0, self.weights.size)]:  # all trainable: the buffers themselves
            return [(self.gradients, self.weights)]
        return [(self.gradients[a:b], self.weights[a:b]) for a, b in segments]


def consolidate(layers, current=()):
    """Move the weights of ``layers`` into flat buffers, one per dtype.

    Layers that keep a weight somewhere other than an attribute are left as they are. If
    the weights already fill the ``current`` buffers exactly, in order, nothing moves and
    ``current`` is returned.

    Returns
    -------
    list of FlatBuffer
    """
    items = [(layer, i) for layer in layers if layer.can_move_weights()
             for i in range(len(layer.weights))]
    if _fills_exactly(items, current):
        return current
    buffers = []
    for dtype in sorted({layer.weights[i].dtype.str for layer, i in items}):
        group = [(layer, i) for layer, i in items if layer.weights[i].dtype.str == dtype]
        total = sum(layer.weights[i].size for layer, i in group)
        weights = np.empty(total, dtype=dtype)
        gradients = np.zeros(total, dtype=dtype)
        entries, offset = [], 0
        for layer, i in group:
            size, shape = layer.weights[i].size, layer.weights[i].shape
            layer.move_weight(i, weights[offset:offset + size].reshape(shape),
                              gradients[offset:offset + size].reshape(shape))
            entries.append((layer, i, offset, size))
            offset += size
        buffers.append(FlatBuffer(weights, gradients, entries))
    return buffers


def _fills_exactly(items, buffers):
    """True if ``items`` are, in order, exactly the entries of ``buffers``."""
    entries = [(layer, i) for buffer in buffers for layer, i, _, _ in buffer.entries]
    by_dtype = sorted(items, key=lambda item: item[0].weights[item[1]].dtype.str)
    return entries == by_dtype and all(
        layer.weights[i].base is buffer.weights
        for buffer in buffers for layer, i, _, _ in buffer.entries)
