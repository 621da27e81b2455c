"""Optional compiled update kernels: one pass over the weights instead of a dozen.

numpy runs an optimizer step as a sequence of whole-array operations (Adam: twelve), each
reading and writing the flat buffers again; on a large model that memory traffic is a
fifth of a training step. With `numba <https://numba.pydata.org>`_ installed (the
``minikeras[fast]`` extra), a kernel here updates each entry once, doing the same float
operations in the same order in the variables' dtype: no fast-math and no fused
multiply-add, so the results are bit for bit those of the numpy path (the tests compare
them). numba is imported, and a kernel compiled (about half a second; cached on disk
where numba finds a writable place), only when a training step first asks for it.

Which steps use a kernel is the model's choice: ``compile(jit_compile="auto")`` (the
default) uses them when numba is installed and works, ``True`` requires numba (checked at
``compile``), ``False`` never uses them. Whenever a kernel cannot be had (numba fails to
import, say, being older than the installed numpy), the numpy path runs instead and
:func:`problem` says why. Kernels exist for float32 and float64 weights; others take the
numpy path too.
"""

import functools
import importlib.util

import numpy as np

__all__ = ["DTYPES", "available", "get", "problem", "require"]

#: The weight dtypes the kernels are compiled for.
DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


@functools.lru_cache(maxsize=None)
def available():
    """True if numba is installed (looked up once, without importing it)."""
    return importlib.util.find_spec("numba") is not None


def get(name):
    """The compiled kernel ``name`` ("adam"), made on first use; None if numba cannot be
    imported or the kernel made (then :func:`problem` says why)."""
    if name not in _compiled:
        _compiled[name] = _make(name)
    return _compiled[name]


def require():
    """Import numba now, or raise ImportError saying why the kernels cannot be had."""
    numba = _numba()
    if numba is None:
        raise ImportError(f"The compiled kernels need numba, and {problem()} (pip install "
                          "'minikeras[fast]', or compile with jit_compile='auto' or False).")


def problem():
    """Why no kernel could be had, or None."""
    return _problems[-1] if _problems else None


def _numba():
    if not available():
        _problems.append("numba is not installed")
        return None
    try:
        import numba
    except Exception as error:  # an installed numba may not work with this numpy
        _problems.append(f"numba failed to import ({type(error).__name__}: {error})")
        return None
    if numba.config.DISABLE_JIT:  # its "compiled" functions would be plain Python loops
        _problems.append("numba's compiler is switched off (NUMBA_DISABLE_JIT)")
        return None
    return numba


def _make(name):
    numba = _numba()
    if numba is None:
        return None
    loop, arguments = _LOOPS[name]
    # error_model="numpy": a division by zero gives inf or nan as numpy's does, and no
    # Python-exception check per entry keeps the loop vectorised. Compiled here for each
    # dtype, so that any failure shows now and not in the middle of a step; cached on disk
    # where numba finds a writable place, else made once per process.
    errors = []
    for cache in (True, False):
        try:
            kernel = numba.njit(cache=cache, nogil=True, error_model="numpy")(loop)
            for dtype in DTYPES:
                kernel.compile(arguments(numba.from_dtype(dtype)))
            return kernel
        except Exception as error:  # (no writable cache location, a numba that fails)
            errors.append(f"{type(error).__name__}: {error}")
    _problems.append(f"numba could not compile the kernel {name!r} ({errors[-1]})")
    return None


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


def _adam_signature(real):
    array = real[::1]
    return (array, array, array, array, real, real, real, real)


_LOOPS = {"adam": (_adam_loop, _adam_signature)}  # name -> (loop, its argument types)
_compiled = {}  # name -> compiled kernel, or None if it could not be made
_problems = []  # what went wrong in this process, last last
