import warnings

import numpy as np
import pytest

import minikeras as mk
from minikeras import activations, ops

from helpers import assert_close_gradient, autograd_vjp

BUILT_INS = [
    activations.ReLU(), activations.LeakyReLU(), activations.LeakyReLU(0.05),
    activations.ELU(), activations.ELU(alpha=0.5), activations.Sigmoid(), activations.Tanh(),
    activations.Softmax(), activations.Softmax(axis=0), activations.Linear(),
    activations.Softplus(), activations.GELU(), activations.GELU(approximate=True),
    activations.SiLU(), activations.SELU(), activations.Softsign(), activations.HardSigmoid(),
    activations.HardSiLU(), activations.ReLU6(), activations.Mish(), activations.LogSoftmax(),
    activations.LogSoftmax(axis=0),
]


@pytest.mark.parametrize("activation", BUILT_INS, ids=repr)
def test_backward_matches_autograd(activation, rng):
    z = rng.normal(scale=3.0, size=(6, 5))
    z[np.abs(z) < 1e-3] = 0.5  # keep away from ReLU's kink
    a = activation(z)
    upstream = rng.normal(size=a.shape)
    expected = autograd_vjp(activation.__call__, z, upstream)
    assert_close_gradient(activation.backward(z, a, upstream), expected)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("activation", BUILT_INS, ids=repr)
def test_finite_without_warnings_for_huge_inputs(activation, dtype):
    z = np.array([[-1e4, -100.0, -1.0, 0.0, 1.0, 100.0, 1e4]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = activation(z)
        g = activation.backward(z, a, np.ones_like(a))
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(g))
    assert a.dtype == np.dtype(dtype)


def test_known_values():
    z = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_allclose(activations.get("relu")(z), [[0, 0, 3]])
    np.testing.assert_allclose(activations.get("leaky_relu")(z), [[-0.4, 0, 3]])
    np.testing.assert_allclose(activations.get("sigmoid")(z), 1 / (1 + np.exp(-z)))
    np.testing.assert_allclose(activations.get("softmax")(z).sum(), 1.0)
    np.testing.assert_allclose(activations.get("elu")(z), [[np.exp(-2) - 1, 0, 3]])
    np.testing.assert_allclose(activations.get("softplus")(z), np.log1p(np.exp(z)))
    np.testing.assert_allclose(activations.get("silu")(z), z / (1 + np.exp(-z)))
    np.testing.assert_allclose(activations.get("gelu")(np.array([1.0])), [0.8413447460685429])
    # Keras 3's definitions, written out
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    np.testing.assert_allclose(activations.get("selu")(z),
                               scale * np.where(z > 0, z, alpha * np.expm1(z)))
    np.testing.assert_allclose(activations.get("softsign")(z), z / (1 + np.abs(z)))
    wide = np.array([[-4.0, -3.0, -1.5, 0.0, 2.0, 3.0, 7.0]])
    hard = np.clip(wide / 6 + 0.5, 0, 1)
    np.testing.assert_allclose(activations.get("hard_sigmoid")(wide), hard)
    np.testing.assert_allclose(activations.get("hard_swish")(wide), wide * hard)
    np.testing.assert_allclose(activations.get("relu6")(wide), [[0, 0, 0, 0, 2, 3, 6]])
    np.testing.assert_allclose(activations.get("mish")(z),
                               z * np.tanh(np.log1p(np.exp(z))))
    np.testing.assert_allclose(activations.log_softmax(z),
                               np.log(np.exp(z) / np.exp(z).sum()))


def test_user_subclass_gets_backward_from_autograd(rng):
    class Cube(activations.Activation):
        def __call__(self, z):
            return z ** 3 + ops.sin(z)

    z = rng.normal(size=(4, 3))
    upstream = rng.normal(size=(4, 3))
    f = Cube()
    assert_close_gradient(f.backward(z, f(z), upstream), upstream * (3 * z**2 + np.cos(z)))


def test_plain_callable_is_wrapped(rng):
    f = activations.get(lambda z: ops.tanh(z) * 2)
    z = rng.normal(size=(3, 2))
    assert_close_gradient(f.backward(z, f(z), np.ones_like(z)), 2 * (1 - np.tanh(z) ** 2))


@pytest.mark.parametrize("name, cls", [
    ("relu", activations.ReLU), ("ReLU", activations.ReLU), ("swish", activations.SiLU),
    ("silu", activations.SiLU), ("leaky_relu", activations.LeakyReLU), ("linear", activations.Linear),
    ("gelu", activations.GELU), ("softplus", activations.Softplus), ("tanh", activations.Tanh),
])
def test_registry_names(name, cls):
    assert type(activations.get(name)) is cls


def test_unknown_name_lists_valid_ones():
    with pytest.raises(ValueError, match=r"relus.*relu"):
        activations.get("relus")


def test_config_round_trip():
    original = activations.LeakyReLU(negative_slope=0.1)
    rebuilt = activations.get(activations.serialize(original))
    assert type(rebuilt) is activations.LeakyReLU and rebuilt.negative_slope == 0.1


def test_register_user_activation():
    @activations.register("my_square_test")
    class Square(activations.Activation):
        def __call__(self, z):
            return z * z

    assert isinstance(activations.get("my_square_test"), Square)
    assert isinstance(mk.layers.Dense(2, activation="my_square_test").activation, Square)


@pytest.mark.parametrize("activation", BUILT_INS, ids=repr)
def test_python_lists_are_accepted(activation):
    z = [[-1.0, 0.5, 2.0]]
    np.testing.assert_allclose(np.asarray(activation(z)), activation(np.array(z)))


class Leaky(mk.activations.ReLU):
    """Changes ReLU's __call__ only: neither its in-place path nor its backward apply."""

    def __call__(self, z):
        return mk.ops.where(z > 0, z, 0.1 * z)


def test_a_subclass_changing_call_is_used_and_differentiated_by_autograd(float64):
    from minikeras.testing import run_layer_test

    dense = mk.layers.Dense(3, activation=Leaky(), kernel_initializer="ones")
    np.testing.assert_allclose(dense(-np.ones((2, 4)))[0], [-0.4] * 3)
    z, grad = np.array([[-2.0, 3.0]]), np.ones((1, 2))
    np.testing.assert_allclose(Leaky().backpropagate(z, Leaky()(z), grad), [[0.1, 1.0]])
    mk.saving.get_custom_objects()["ActivationTests>Leaky"] = Leaky
    run_layer_test(mk.layers.Dense, (5, 4), {"units": 3, "activation": Leaky()},
                   custom_objects={"Leaky": Leaky})
