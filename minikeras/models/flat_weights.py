"""Model-wide storage: all trainable weights in one flat buffer, and their gradients in another.

With the weights and gradients as views into two contiguous arrays, an elementwise
optimizer (SGD, Adam, RMSprop, ...) updates the whole model in a dozen numpy calls per
step instead of a dozen per weight. Every entry sees exactly the arithmetic it would see
updated alone, so results are unchanged; only the number of Python-level calls drops.
"""

import numpy as np


def consolidate(layers):
    """Move the trainable weights of ``layers`` into flat buffers, one per dtype.

    Layers that keep a weight somewhere other than an attribute are left as they are.

    Returns
    -------
    list of (gradient, weight) pairs
        One pair of flat buffers per dtype, to hand to ``optimizer.apply_gradients``.
    """
    movable = [layer for layer in layers if layer.trainable and layer.can_move_weights()]
    items = [(layer, i) for layer in movable for i in layer.trainable_indices()]
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
