"""The "floor": a lean, hand-written numpy MLP training loop, and a GEMM-only floor.

``train_numpy_mlp`` trains a multilayer perceptron with exactly the maths minikeras uses
for ``Dense(relu) ... Dense(softmax)`` + ``sparse_categorical_crossentropy`` + ``Adam``:

* Glorot-uniform kernels (``limit = sqrt(6 / (fan_in + fan_out))``), zero biases;
* ReLU hidden layers, softmax output;
* loss = mean over the batch of ``logsumexp(z) - z[y]`` (from the logits), evaluated on
  every batch as a framework would (the value is returned per epoch);
* the fused softmax + cross-entropy gradient ``dL/dz = (softmax(z) - onehot(y)) / n``;
* Keras 3's Adam: ``m += (g - m)(1 - b1)``, ``v += (g*g - v)(1 - b2)``,
  ``alpha = lr sqrt(1 - b2^t) / (1 - b1^t)``, ``w -= alpha m / (sqrt(v) + eps)``, eps 1e-7;
* one shuffle per epoch, float32 throughout.

What makes it lean (and what a framework could copy):

* every parameter lives in ONE flat float32 buffer (kernels and biases are reshaped views),
  and so do the gradients and the two Adam moments, so the optimizer step is a dozen
  whole-buffer numpy calls whatever the number of layers (the elementwise maths, and so
  the results, are identical to updating each array on its own);
* every activation, gradient, mask and reduction buffer is allocated once, for the full
  batch size; the last, shorter batch uses leading-row views of the same buffers;
* every ufunc and matmul writes into its buffer with ``out=``; ReLU is applied in place
  and its derivative is read from the stored activation (``a > 0`` iff ``z > 0``);
* the epoch's shuffled copy of ``x`` is written into a preallocated buffer by ``np.take``
  (``mode="clip"``, which skips numpy's temporary copy).

``gemm_floor_epoch`` times only the matrix products of one epoch of the same network,
which no numpy implementation of this model can avoid.
"""

import math
import time

import numpy as np

__all__ = ["NumpyMLP", "train_numpy_mlp", "gemm_floor_epoch"]


class NumpyMLP:
    """An MLP ``sizes[0] -> ... -> sizes[-1]`` trained by minibatch Adam on integer labels.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first, number of classes last (e.g. ``(64, 128, 64, 10)``).
    batch_size : int
    lr, beta_1, beta_2, epsilon : float
        Adam hyper-parameters (Keras defaults).
    seed : int
        Seeds the generator used for the initial weights and the shuffles.
    dtype : numpy dtype, default float32
    """

    def __init__(self, sizes, batch_size=32, lr=1e-3, seed=0, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, dtype=np.float32):
        self.sizes = tuple(int(s) for s in sizes)
        if len(self.sizes) < 2:
            raise ValueError("sizes needs at least an input and an output width")
        self.batch_size = int(batch_size)
        self.lr, self.beta_1, self.beta_2, self.epsilon = lr, beta_1, beta_2, epsilon
        self.dtype = np.dtype(dtype)
        self.rng = np.random.default_rng(seed)
        self.t = 0

        shapes = []
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:]):
            shapes += [(fan_in, fan_out), (fan_out,)]
        total = sum(math.prod(s) for s in shapes)
        # One flat buffer each for parameters, gradients, Adam's m and v, and scratch.
        self.flat = np.zeros(total, dtype=self.dtype)
        self.flat_grad = np.zeros(total, dtype=self.dtype)
        self.m = np.zeros(total, dtype=self.dtype)
        self.v = np.zeros(total, dtype=self.dtype)
        self.scratch = np.empty(total, dtype=self.dtype)
        self.scratch2 = np.empty(total, dtype=self.dtype)
        self.params, self.grads = [], []
        offset = 0
        for shape in shapes:
            size = math.prod(shape)
            self.params.append(self.flat[offset:offset + size].reshape(shape))
            self.grads.append(self.flat_grad[offset:offset + size].reshape(shape))
            offset += size
        self.W, self.b = self.params[0::2], self.params[1::2]
        self.gW, self.gb = self.grads[0::2], self.grads[1::2]
        for W in self.W:
            limit = math.sqrt(6.0 / (W.shape[0] + W.shape[1]))
            W[...] = self.rng.uniform(-limit, limit, size=W.shape)
        # biases stay zero

        bs = self.batch_size
        widths = self.sizes[1:]
        self.Z = [np.empty((bs, w), dtype=self.dtype) for w in widths]      # activations
        self.G = [np.empty((bs, w), dtype=self.dtype) for w in widths[:-1]]  # dL/dz hidden
        self.mask = [np.empty((bs, w), dtype=bool) for w in widths[:-1]]
        self.P = np.empty((bs, widths[-1]), dtype=self.dtype)               # softmax / dL/dz
        self.rowmax = np.empty((bs, 1), dtype=self.dtype)
        self.rowsum = np.empty((bs, 1), dtype=self.dtype)
        self.rows = np.arange(bs)

    # ------------------------------------------------------------------ one step
    def train_step(self, xb, yb):
        """Forward, loss, backward and Adam update on one batch; returns the loss."""
        m = xb.shape[0]
        L = len(self.W)
        W, b, Z = self.W, self.b, self.Z

        # forward: z = a @ W + b, ReLU in place on hidden layers
        a = xb
        for l in range(L):
            z = Z[l][:m]
            np.matmul(a, W[l], out=z)
            z += b[l]
            if l < L - 1:
                np.maximum(z, 0, out=z)
            a = z

        # loss from the logits by log-sum-exp, and the softmax
        z = a
        rows = self.rows[:m]
        mx = self.rowmax[:m]
        s = self.rowsum[:m]
        p = self.P[:m]
        np.max(z, axis=1, keepdims=True, out=mx)
        z -= mx                                   # shifted logits
        np.exp(z, out=p)
        np.sum(p, axis=1, keepdims=True, out=s)
        picked = z[rows, yb]                      # shifted logit of the true class
        np.log(s, out=mx)                         # reuse: log-sum-exp of shifted logits
        loss = (float(mx.sum(dtype=np.float64)) - float(picked.sum(dtype=np.float64))) / m

        # fused softmax + cross-entropy gradient: (p - onehot) / n
        np.divide(p, s, out=p)
        p[rows, yb] -= 1
        p *= 1.0 / m

        # backward
        g = p
        for l in range(L - 1, -1, -1):
            a_prev = xb if l == 0 else Z[l - 1][:m]
            np.matmul(a_prev.T, g, out=self.gW[l])
            np.sum(g, axis=0, out=self.gb[l])
            if l > 0:
                gp = self.G[l - 1][:m]
                np.matmul(g, W[l].T, out=gp)
                mask = self.mask[l - 1][:m]
                np.greater(a_prev, 0, out=mask)   # ReLU'(z) from the stored activation
                np.multiply(gp, mask, out=gp)
                g = gp

        self._adam()
        return loss

    def _adam(self):
        self.t += 1
        real = self.dtype.type  # Keras computes the step size in the variables' dtype
        t, b1, b2 = real(self.t), real(self.beta_1), real(self.beta_2)
        alpha = real(self.lr) * np.sqrt(real(1) - b2 ** t) / (real(1) - b1 ** t)
        g, m, v, s, d = self.flat_grad, self.m, self.v, self.scratch, self.scratch2
        np.subtract(g, m, out=s)
        s *= 1 - self.beta_1
        m += s
        np.multiply(g, g, out=s)
        s -= v
        s *= 1 - self.beta_2
        v += s
        np.multiply(m, alpha, out=s)
        np.sqrt(v, out=d)
        d += self.epsilon
        s /= d
        self.flat -= s

    # ------------------------------------------------------------------ fit / predict
    def fit(self, x, y, epochs, shuffle=True):
        """Train; returns the list of per-epoch mean losses."""
        x = np.ascontiguousarray(x, dtype=self.dtype)
        y = np.ascontiguousarray(y, dtype=np.intp)
        n, bs = len(x), self.batch_size
        xs = np.empty_like(x)
        ys = np.empty_like(y)
        history = []
        for _ in range(epochs):
            if shuffle:
                order = self.rng.permutation(n)
                # mode="clip": without it numpy gathers into a temporary array first
                np.take(x, order, axis=0, out=xs, mode="clip")
                np.take(y, order, out=ys, mode="clip")
            else:
                xs, ys = x, y
            total = 0.0
            for start in range(0, n, bs):
                stop = min(start + bs, n)
                total += self.train_step(xs[start:stop], ys[start:stop]) * (stop - start)
            history.append(total / n)
        return history

    def predict(self, x, batch_size=4096):
        """Softmax probabilities for ``x``."""
        x = np.asarray(x, dtype=self.dtype)
        out = np.empty((len(x), self.sizes[-1]), dtype=self.dtype)
        L = len(self.W)
        for start in range(0, len(x), batch_size):
            a = x[start:start + batch_size]
            for l in range(L):
                a = a @ self.W[l]
                a += self.b[l]
                if l < L - 1:
                    np.maximum(a, 0, out=a)
            a -= a.max(axis=1, keepdims=True)
            np.exp(a, out=a)
            a /= a.sum(axis=1, keepdims=True)
            out[start:start + batch_size] = a
        return out


def train_numpy_mlp(x, y, sizes, epochs, batch_size, lr, seed, history=None):
    """Train the floor MLP and return ``(params, predict)``.

    Parameters
    ----------
    x : array (n, sizes[0]); y : int array (n,)
    sizes : e.g. ``(64, 128, 64, 10)``
    epochs, batch_size, lr, seed
    history : list, optional
        If given, the per-epoch mean training losses are appended to it.

    Returns
    -------
    params : list of arrays ``[W1, b1, W2, b2, ...]`` (copies)
    predict : callable ``predict(x) -> probabilities``
    """
    model = NumpyMLP(sizes, batch_size=batch_size, lr=lr, seed=seed)
    losses = model.fit(x, y, epochs)
    if history is not None:
        history.extend(losses)
    return [p.copy() for p in model.params], model.predict


def gemm_floor_epoch(x, sizes, batch_size, dtype=np.float32, seed=0):
    """Seconds spent by the matrix products alone in one epoch of the MLP ``sizes``.

    Per batch: the forward ``a @ W`` of every layer, the weight gradients ``a.T @ g`` of
    every layer, and the input gradients ``g @ W.T`` of every layer except the first, all
    with preallocated outputs (``np.matmul(..., out=)``). Operand values are random normal
    (the speed of a GEMM does not depend on them; no denormals).
    """
    rng = np.random.default_rng(seed)
    x = np.ascontiguousarray(x, dtype=dtype)
    n = len(x)
    widths = list(sizes)
    W = [rng.standard_normal((a, c)).astype(dtype) for a, c in zip(widths[:-1], widths[1:])]
    A = [rng.standard_normal((batch_size, w)).astype(dtype) for w in widths[1:]]   # outputs
    G = [rng.standard_normal((batch_size, w)).astype(dtype) for w in widths[1:]]   # dL/dz
    GI = [np.empty((batch_size, w), dtype=dtype) for w in widths[:-1]]             # dL/da
    GW = [np.empty_like(w) for w in W]
    L = len(W)
    start_time = time.perf_counter()
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        m = stop - start
        xb = x[start:stop]
        a = xb
        for l in range(L):
            np.matmul(a, W[l], out=A[l][:m])
            a = A[l][:m]
        for l in range(L - 1, -1, -1):
            a_prev = xb if l == 0 else A[l - 1][:m]
            np.matmul(a_prev.T, G[l][:m], out=GW[l])
            if l > 0:
                np.matmul(G[l][:m], W[l].T, out=GI[l][:m])
    return time.perf_counter() - start_time
