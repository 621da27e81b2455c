import numpy as np
import pytest

from minikeras import Variable, optimizers
from minikeras.optimizers import schedules


def _run(optimizer, steps=5, seed=0):
    rng = np.random.default_rng(seed)
    w = Variable(rng.normal(size=(3, 2)))
    grads = [rng.normal(size=(3, 2)) for _ in range(steps)]
    for g in grads:
        optimizer.apply_gradients([(g, w)])
    return w.numpy(), grads, rng


def _reference(update, steps=5, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(3, 2))
    grads = [rng.normal(size=(3, 2)) for _ in range(steps)]
    state = {}
    for t, g in enumerate(grads):
        w = update(w, g, t, state)
    return w


def test_gd_is_plain_gradient_descent():
    w, _, _ = _run(optimizers.get("gd"))
    expected = _reference(lambda w, g, t, s: w - 0.01 * g)
    np.testing.assert_allclose(w, expected, rtol=1e-12)
    assert optimizers.get("gd").momentum == 0.0


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum(nesterov):
    w, _, _ = _run(optimizers.SGD(0.1, momentum=0.9, nesterov=nesterov))

    def update(w, g, t, s):
        v = s.get("v", np.zeros_like(w))
        v = 0.9 * v - 0.1 * g
        s["v"] = v
        return w + 0.9 * v - 0.1 * g if nesterov else w + v

    np.testing.assert_allclose(w, _reference(update), rtol=1e-12)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_matches_keras_rule(amsgrad):
    w, _, _ = _run(optimizers.Adam(0.01, amsgrad=amsgrad))

    def update(w, g, t, s):
        m, v, vh = s.get("m", 0 * w), s.get("v", 0 * w), s.get("vh", 0 * w)
        m = m + (g - m) * (1 - 0.9)
        v = v + (g * g - v) * (1 - 0.999)
        s.update(m=m, v=v)
        if amsgrad:
            vh = np.maximum(vh, v)
            s["vh"] = vh
            v = vh
        alpha = 0.01 * np.sqrt(1 - 0.999 ** (t + 1)) / (1 - 0.9 ** (t + 1))
        return w - alpha * m / (np.sqrt(v) + 1e-7)

    np.testing.assert_allclose(w, _reference(update), rtol=1e-12)


@pytest.mark.parametrize("momentum, centered", [(0.0, False), (0.5, False), (0.0, True),
                                                (0.5, True)])
def test_rmsprop_matches_keras_rule(momentum, centered):
    w, _, _ = _run(optimizers.RMSprop(0.01, momentum=momentum, centered=centered))

    def update(w, g, t, s):
        vel = 0.9 * s.get("vel", 0 * w) + 0.1 * g * g
        s["vel"] = vel
        denominator = vel + 1e-7
        if centered:
            avg = 0.9 * s.get("avg", 0 * w) + 0.1 * g
            s["avg"] = avg
            denominator = vel - avg * avg + 1e-7
        increment = 0.01 * g / np.sqrt(denominator)
        if momentum:
            s["mom"] = momentum * s.get("mom", 0 * w) + increment
            return w - s["mom"]
        return w - increment

    np.testing.assert_allclose(w, _reference(update), rtol=1e-12)


def test_iterations_and_per_variable_state():
    opt = optimizers.Adam()
    a, b = Variable(np.zeros(2), name="a"), Variable(np.zeros(3), name="b")
    opt.apply_gradients([(np.ones(2), a), (np.ones(3), b)])
    opt.apply_gradients([(np.ones(2), a), (np.ones(3), b)])
    assert opt.iterations == 2
    assert opt.slots_for(a)[0].shape == (2,) and opt.slots_for(b)[0].shape == (3,)
    # Keras' order: every first moment, then every second moment
    assert [v.name for v in opt.variables] == ["a_momentum", "b_momentum", "a_velocity",
                                                "b_velocity"]


def test_clipping():
    g = np.array([3.0, 4.0])
    w = Variable(np.zeros(2))
    optimizers.SGD(1.0, clipnorm=1.0).apply_gradients([(g, w)])
    np.testing.assert_allclose(w, [-0.6, -0.8])
    np.testing.assert_array_equal(g, [3.0, 4.0])  # the caller's gradient is left alone
    w = Variable(np.zeros(2))
    optimizers.SGD(1.0, clipvalue=3.5).apply_gradients([(g, w)])
    np.testing.assert_allclose(w, [-3.0, -3.5])
    w1, w2 = Variable(np.zeros(1)), Variable(np.zeros(1))
    optimizers.SGD(1.0, global_clipnorm=1.0).apply_gradients(
        [(np.array([3.0]), w1), (np.array([4.0]), w2)])
    np.testing.assert_allclose([w1[0], w2[0]], [-0.6, -0.8])
    with pytest.raises(ValueError, match="clipnorm"):
        optimizers.SGD(clipnorm=1.0, global_clipnorm=1.0)


def test_schedule_as_learning_rate():
    class Halving(schedules.LearningRateSchedule):
        def __call__(self, step):
            return 1.0 / 2 ** step

    w = Variable(np.zeros(1))
    opt = optimizers.SGD(Halving())
    for _ in range(3):
        opt.apply_gradients([(np.ones(1), w)])
    np.testing.assert_allclose(w, [-1.75])


def test_registry_and_config():
    assert isinstance(optimizers.get("adam"), optimizers.Adam)
    assert isinstance(optimizers.get("SGD"), optimizers.SGD)
    assert isinstance(optimizers.get("rmsprop"), optimizers.RMSprop)
    opt = optimizers.get({"class_name": "Adam", "config": {"learning_rate": 0.5, "amsgrad": True}})
    assert opt.learning_rate == 0.5 and opt.amsgrad
    config = optimizers.SGD(0.3, momentum=0.2, clipnorm=2.0).get_config()
    assert config["learning_rate"] == 0.3 and config["momentum"] == 0.2 and config["clipnorm"] == 2.0
    assert optimizers.SGD.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="adamm"):
        optimizers.get("adamm")


def test_bad_hyper_parameters():
    with pytest.raises(ValueError, match="learning_rate.*-1"):
        optimizers.SGD(-1)
    with pytest.raises(ValueError, match="beta_1"):
        optimizers.Adam(beta_1=1.0)
