import numpy as np
import pytest

import minikeras as mk


@pytest.fixture
def float64():
    """Run a test with float64 weights and inputs, restoring the default afterwards."""
    previous = mk.config.floatx()
    mk.config.set_floatx("float64")
    yield
    mk.config.set_floatx(previous)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def iris():
    from sklearn.datasets import load_iris

    x, y = load_iris(return_X_y=True)
    return x, y
