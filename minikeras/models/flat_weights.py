"""Model-wide storage: all trainable weights in one flat buffer, and their gradients in another.

With the weights and gradients as views into two contiguous arrays, an elementwise
optimizer (SGD, Adam, RMSprop, ...) updates the whole model in a dozen numpy calls per
step instead of a dozen per weight. Every entry sees exactly the arithmetic it would see
updated alone, so results are unchanged; only the number of Python-level calls drops.
"""

import numpy as np


def consolidate(layers, current=()):
    """Move the trainable weights of ``layers`` into flat buffers, one per dtype.

    Layers that keep a weight somewhere other than an attribute are left as they are. If
    the weights already fill the ``current`` buffers exactly, nothing moves and ``current``
    is returned (so the optimizer's state for those buffers stays valid).

    Returns
    -------
    list of (gradient, weight) pairs
        One pair of flat buffers per dtype, to hand to ``optimizer.apply_gradients``.
    """
    movable = [layer for layer in layers if layer.trainable and layer.can_move_weights()]
    items = [(layer, i) for layer in movable for i in layer.trainable_indices()]
    if _fills_exactly(items, current):
        return current
    pairs = []
    for dtype in sorted({layer.weights[i].dtype.str for layer, i in items}):
        group = [(layer, i) for layer, i in items if layer.weights[i].dtype.str == dtype]
        total = sum(layer.weights[i].size for layer, i in group)
        weights = np.empty(total, dtype=dtype)
        gradients = np.zeros(total, dtype=dtype)
        offset = 0
        for layer, i in group:
            size, shape = layer.weights[i].size, layer.weights[i].shape
            layer.move_weight(i, weights[offset:offset + size].reshape(shape),
                              gradients[offset:offset + size].reshape(shape))
            offset += size
        pairs.append((gradients, weights))
    return pairs


def _fills_exactly(items, pairs):
    """True if the weights of ``items`` are views that together cover ``pairs``' buffers."""
    buffers = {id(weights): weights.size for _, weights in pairs}
    covered = dict.fromkeys(buffers, 0)
    for layer, i in items:
        base = layer.weights[i].base
        if base is None or id(base) not in buffers:
            return False
        covered[id(base)] += layer.weights[i].size
    return covered == buffers
