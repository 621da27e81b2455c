"""Optional compiled update kernels: one pass over the weights instead of a dozen.

numpy runs an optimizer step as a sequence of whole-array operations (Adam: twelve), each
reading and writing the flat buffers again; on a large model that memory traffic is a
fifth of a training step. With `numba <https://numba.pydata.org>`_ installed (the
``minikeras[fast]`` extra), a kernel here updates each entry once, doing the same float
operations in the same order in the variables' dtype: no fast-math and no fused
multiply-add, so the results are bit for bit those of the numpy path (the tests compare
them). numba is imported, and a kernel compiled (about half a second, cached on disk
afterwards), only when a training step first asks for it.

Which steps use a kernel is the model's choice: ``compile(jit_compile="auto")`` (the
default) uses them when numba is installed, ``True`` requires them, ``False`` never uses
them.
"""

import functools
import importlib.util

import numpy as np

__all__ = ["available", "get"]


@functools.lru_cache(maxsize=None)
def available():
    """True if numba can be imported (looked up once, without importing it)."""
    return importlib.util.find_spec("numba") is not None


def get(name):
    """The compiled kernel ``name`` ("adam"), compiled on first use.

    Raises
    ------
    ImportError
        If numba is not installed.
    """
    kernel = _compiled.get(name)
    if kernel is None:
        if not available():
            raise ImportError(
                "Compiled update kernels need numba: pip install 'minikeras[fast]' (or "
                "compile the model with jit_compile=False)."
            )
        import numba
        # error_model="numpy": a division by zero gives inf or nan as numpy's does, and no
        # Python-exception check per entry keeps the loop vectorised.
        kernel = _compiled[name] = numba.njit(cache=True, nogil=True, error_model="numpy")(
            _LOOPS[name])
    return kernel


def _adam_loop(gradient, variable, m, v, c1, c2, alpha, epsilon):
    # Adam's update_step for one flat stretch, entry by entry, in the same order:
    # m += (g - m) * c1; v += (g * g - v) * c2; w -= (m * alpha) / (sqrt(v) + epsilon).
    for i in range(gradient.shape[0]):
        g = gradient[i]
        m_i = m[i] + (g - m[i]) * c1
        v_i = v[i] + (g * g - v[i]) * c2
        m[i] = m_i
        v[i] = v_i
        variable[i] = variable[i] - (m_i * alpha) / (np.sqrt(v_i) + epsilon)


_LOOPS = {"adam": _adam_loop}
_compiled = {}
