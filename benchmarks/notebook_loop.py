"""The course notebook's own training loop (FYS-STK4155, week 41, exercise 7), kept as written.

``train_notebook`` runs the notebook's functions unchanged in substance: layers are
``(W, b)`` tuples from ``np.random.randn``, the batched feed-forward pass, the summed
cross-entropy, ``autograd.grad(cost, 1)`` and plain gradient descent with learning rate
0.001. Its softmax subtracts ``np.max(z, axis=0)`` (a per-column maximum), exactly as the
notebook does; that is the code whose speed minikeras is compared with.

``train_lean`` is the same network and maths (a per-row shift in the softmax) written as
a lean, hand-derived numpy loop, to show how fast plain numpy can run this tiny problem.
"""

import time

import autograd.numpy as anp
import numpy as np
from autograd import grad


# ---------------------------------------------------------------- the notebook, as written
def sigmoid(z):
    return 1 / (1 + anp.exp(-z))


def softmax(z):
    e_z = anp.exp(z - anp.max(z, axis=0))
    return e_z / anp.sum(e_z, axis=1)[:, anp.newaxis]


def create_layers_batch(network_input_size, layer_output_sizes):
    layers = []
    i_size = network_input_size
    for layer_output_size in layer_output_sizes:
        W = np.random.randn(i_size, layer_output_size)
        b = np.random.randn(1, layer_output_size)
        layers.append((W, b))
        i_size = layer_output_size
    return layers


def feed_forward_batch(inputs, layers, activation_funcs):
    a = inputs
    for (W, b), activation_func in zip(layers, activation_funcs):
        z = a @ W + b
        a = activation_func(z)
    return a


def cross_entropy(predict, target):
    return anp.sum(-target * anp.log(predict))


def cost(input, layers, activation_funcs, target):
    predict = feed_forward_batch(input, layers, activation_funcs)
    return cross_entropy(predict, target)


gradient_func = grad(cost, 1)


def train_network(inputs, layers, activation_funcs, targets, learning_rate=0.001, epochs=100):
    for _ in range(epochs):
        layers_grad = gradient_func(inputs, layers, activation_funcs, targets)
        for (W, b), (W_g, b_g) in zip(layers, layers_grad):
            W -= W_g * learning_rate
            b -= b_g * learning_rate
    return layers


def initial_layers(seed):
    """The notebook's weights: ``np.random.randn`` after ``np.random.seed(seed)``."""
    np.random.seed(seed)
    return create_layers_batch(4, [8, 3])


def train_notebook(x, targets, epochs, seed):
    """Seconds and trained layers of the notebook's loop."""
    layers = initial_layers(seed)
    start = time.perf_counter()
    train_network(x, layers, [sigmoid, softmax], targets, epochs=epochs)
    return time.perf_counter() - start, feed_forward_batch(x, layers, [sigmoid, softmax])


# ---------------------------------------------------------------- a lean numpy loop
def train_lean(x, targets, epochs, seed, learning_rate=0.001):
    """The same training written by hand in plain numpy: seconds and final probabilities."""
    (W1, b1), (W2, b2) = [(W.copy(), b.ravel().copy()) for W, b in initial_layers(seed)]
    labels = targets.argmax(axis=1)
    rows = np.arange(len(x))
    ones_n, ones_k = np.ones(len(x)), np.ones(W2.shape[1])
    start = time.perf_counter()
    for _ in range(epochs):
        a1 = x @ W1
        a1 += b1
        np.negative(a1, out=a1)
        np.exp(a1, out=a1)
        a1 += 1
        np.reciprocal(a1, out=a1)                    # sigmoid
        z2 = a1 @ W2
        z2 += b2
        z2 -= z2.max(axis=1, keepdims=True)
        p = np.exp(z2)
        total = p @ ones_k
        p /= total[:, None]
        _ = np.log(total).sum() - z2[rows, labels].sum()   # the summed loss, as a framework reports it
        p[rows, labels] -= 1                          # d(sum of cross-entropies)/dz2
        gW2 = a1.T @ p
        gb2 = ones_n @ p
        g1 = p @ W2.T
        g1 *= a1
        a1 -= 1
        g1 *= a1
        np.negative(g1, out=g1)                       # times sigmoid' = a (1 - a)
        gW1 = x.T @ g1
        gb1 = ones_n @ g1
        for w, g in ((W1, gW1), (b1, gb1), (W2, gW2), (b2, gb2)):
            g *= learning_rate
            w -= g
    seconds = time.perf_counter() - start
    h = 1 / (1 + np.exp(-(x @ W1 + b1)))
    z = h @ W2 + b2
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return seconds, e / e.sum(axis=1, keepdims=True)
