"""Learning-rate schedules: Keras 3's formulas written out by hand, configs, bad arguments,
and a schedule driving an optimizer inside ``fit``."""

import json
import math

import numpy as np
import pytest

import minikeras as mk
from minikeras import layers, optimizers
from minikeras.optimizers import schedules

STEPS = [0, 1, 5, 9, 10, 11, 25, 100]


def _values(schedule, steps=STEPS):
    values = [schedule(step) for step in steps]
    assert all(type(v) is float for v in values)
    return values


def test_exponential_decay():
    smooth = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    stairs = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    np.testing.assert_allclose(_values(smooth), [0.1 * 0.5 ** (s / 10) for s in STEPS],
                               rtol=1e-15)
    np.testing.assert_allclose(_values(stairs), [0.1 * 0.5 ** (s // 10) for s in STEPS],
                               rtol=1e-15)
    assert stairs(9) == stairs(0) == 0.1 and stairs(10) == 0.05


def test_inverse_time_decay():
    smooth = schedules.InverseTimeDecay(0.2, decay_steps=4, decay_rate=0.5)
    stairs = schedules.InverseTimeDecay(0.2, decay_steps=4, decay_rate=0.5, staircase=True)
    np.testing.assert_allclose(_values(smooth), [0.2 / (1 + 0.5 * s / 4) for s in STEPS],
                               rtol=1e-15)
    np.testing.assert_allclose(_values(stairs), [0.2 / (1 + 0.5 * (s // 4)) for s in STEPS],
                               rtol=1e-15)


def test_piecewise_constant_decay_includes_each_boundary_in_the_interval_before_it():
    schedule = schedules.PiecewiseConstantDecay([3, 6], [1.0, 0.5, 0.1])
    assert [schedule(s) for s in range(9)] == [1.0] * 4 + [0.5] * 3 + [0.1] * 2
    assert schedules.PiecewiseConstantDecay([], [0.3])(50) == 0.3


def test_polynomial_decay_stops_at_the_end_rate_or_cycles():
    linear = schedules.PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.01)
    expected = [0.09 * (1 - min(s, 10) / 10) + 0.01 for s in STEPS]
    np.testing.assert_allclose(_values(linear), expected, rtol=1e-14)
    assert linear(10) == linear(1000) == pytest.approx(0.01)

    square = schedules.PolynomialDecay(0.1, 10, end_learning_rate=0.0, power=2.0, cycle=True)
    # decay_steps grows to the first multiple of 10 reaching the step (10 at step 0)
    for step, span in ((0, 10), (4, 10), (10, 10), (11, 20), (25, 30), (100, 100)):
        assert square(step) == pytest.approx(0.1 * (1 - step / span) ** 2, rel=1e-14, abs=1e-16)
    assert square(10) == 0.0 and square(11) > square(9)  # restarted


def test_cosine_decay_without_warmup():
    schedule = schedules.CosineDecay(0.1, decay_steps=20, alpha=0.1)
    expected = [0.1 * (0.9 * 0.5 * (1 + math.cos(math.pi * min(s, 20) / 20)) + 0.1)
                for s in STEPS]
    np.testing.assert_allclose(_values(schedule), expected, rtol=1e-14)
    assert schedule(0) == pytest.approx(0.1)
    assert schedule(20) == schedule(500) == pytest.approx(0.01)


def test_cosine_decay_with_warmup():
    schedule = schedules.CosineDecay(0.0, decay_steps=10, warmup_target=0.2, warmup_steps=5)
    for step in range(5):
        assert schedule(step) == pytest.approx(0.2 * step / 5, abs=1e-16)
    for step in range(5, 16):
        expected = 0.2 * 0.5 * (1 + math.cos(math.pi * (step - 5) / 10))
        assert schedule(step) == pytest.approx(expected, rel=1e-14, abs=1e-16)
    assert schedule(5) == pytest.approx(0.2) and schedule(40) == pytest.approx(0.0, abs=1e-16)
    # a warmup target without warmup steps: the decay starts from the target at once
    assert schedules.CosineDecay(0.5, 10, warmup_target=0.2)(0) == pytest.approx(0.2)
    # warmup_steps alone does nothing (as in Keras)
    assert schedules.CosineDecay(0.5, 10, warmup_steps=5)(0) == pytest.approx(0.5)


def _sgdr(step, lr, first, t_mul, m_mul, alpha):
    """SGDR by walking the periods one by one (not Keras' closed form)."""
    start, length, restarts = 0.0, float(first), 0
    while step >= start + length:
        start, length, restarts = start + length, length * t_mul, restarts + 1
    cosine = 0.5 * m_mul ** restarts * (1 + math.cos(math.pi * (step - start) / length))
    return lr * ((1 - alpha) * cosine + alpha)


@pytest.mark.parametrize("t_mul, m_mul, alpha", [(1.0, 1.0, 0.0), (2.0, 1.0, 0.0),
                                                 (2.0, 0.5, 0.1), (1.0, 0.8, 0.2)])
def test_cosine_decay_restarts(t_mul, m_mul, alpha):
    schedule = schedules.CosineDecayRestarts(0.1, 10, t_mul=t_mul, m_mul=m_mul, alpha=alpha)
    steps = [0, 3, 9, 10, 15, 29, 30, 31, 69, 70, 75]
    expected = [_sgdr(s, 0.1, 10, t_mul, m_mul, alpha) for s in steps]
    np.testing.assert_allclose(_values(schedule, steps), expected, rtol=1e-12)
    # each restart goes back up to initial_learning_rate * m_mul ** (restarts so far)
    restart = 20 if t_mul == 1.0 else 30  # the second restart
    assert schedule(restart) == pytest.approx(0.1 * ((1 - alpha) * m_mul ** 2 + alpha))


SCHEDULES = [
    schedules.ExponentialDecay(0.1, 100, 0.96, staircase=True),
    schedules.InverseTimeDecay(0.1, 10.0, 0.5, name="inverse"),
    schedules.PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001]),
    schedules.PolynomialDecay(0.1, 50, 0.01, power=0.5, cycle=True),
    schedules.CosineDecay(0.0, 100, alpha=0.1, warmup_target=0.1, warmup_steps=10),
    schedules.CosineDecayRestarts(0.1, 10, t_mul=1.5, m_mul=0.9, alpha=0.05),
]


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: type(s).__name__)
def test_config_round_trips(schedule):
    config = schedule.get_config()
    json.dumps(config)
    rebuilt = schedules.get(json.loads(json.dumps(schedules.serialize(schedule))))
    assert type(rebuilt) is type(schedule) and rebuilt.get_config() == config
    assert _values(rebuilt) == _values(schedule)


def test_configs_use_keras_names_and_accept_keras_configs():
    assert schedules.CosineDecayRestarts(0.1, 10).get_config() == {
        "initial_learning_rate": 0.1, "first_decay_steps": 10, "t_mul": 2.0, "m_mul": 1.0,
        "alpha": 0.0, "name": "SGDRDecay"}
    assert schedules.ExponentialDecay(0.1, 10, 0.5).name == "ExponentialDecay"
    assert schedules.PiecewiseConstantDecay([1], [1.0, 0.5]).name == "PiecewiseConstant"
    keras_config = {"class_name": "PolynomialDecay",
                    "config": {"cycle": False, "decay_steps": 10000, "end_learning_rate": 0.01,
                               "initial_learning_rate": 0.1, "name": None, "power": 0.5}}
    schedule = schedules.get(keras_config)
    assert schedule.name == "PolynomialDecay" and schedule(10000) == pytest.approx(0.01)


@pytest.mark.parametrize("make, argument", [
    (lambda: schedules.ExponentialDecay(0.1, 0, 0.5), "decay_steps"),
    (lambda: schedules.ExponentialDecay(-0.1, 10, 0.5), "initial_learning_rate"),
    (lambda: schedules.ExponentialDecay(0.1, 10, -0.5), "decay_rate"),
    (lambda: schedules.ExponentialDecay(0.1, 10, 0.5, staircase="yes"), "staircase"),
    (lambda: schedules.InverseTimeDecay(0.1, -1, 0.5), "decay_steps"),
    (lambda: schedules.InverseTimeDecay(0.1, 10, 0.5, name=3), "name"),
    (lambda: schedules.PiecewiseConstantDecay([10], [0.1]), "values"),
    (lambda: schedules.PiecewiseConstantDecay([10, 10], [0.1, 0.2, 0.3]), "boundaries"),
    (lambda: schedules.PiecewiseConstantDecay([10], [0.1, -0.2]), r"values\[1\]"),
    (lambda: schedules.PiecewiseConstantDecay(10, [0.1, 0.2]), "boundaries"),
    (lambda: schedules.PolynomialDecay(0.1, 10, end_learning_rate=-1), "end_learning_rate"),
    (lambda: schedules.PolynomialDecay(0.1, 10, power=-1), "power"),
    (lambda: schedules.PolynomialDecay(0.1, 10, cycle=1), "cycle"),
    (lambda: schedules.CosineDecay(0.1, 10, alpha=1.5), "alpha"),
    (lambda: schedules.CosineDecay(0.1, 10, warmup_target=-1.0), "warmup_target"),
    (lambda: schedules.CosineDecay(0.1, 10, warmup_steps=-1), "warmup_steps"),
    (lambda: schedules.CosineDecay(0.1, float("nan")), "decay_steps"),
    (lambda: schedules.CosineDecayRestarts(0.1, 0), "first_decay_steps"),
    (lambda: schedules.CosineDecayRestarts(0.1, 10, t_mul=0.5), "t_mul"),
    (lambda: schedules.CosineDecayRestarts(0.1, 10, m_mul=-1), "m_mul"),
])
def test_bad_arguments_raise_naming_the_argument(make, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        make()


def test_an_optimizer_follows_its_schedule_inside_fit():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    mk.utils.set_random_seed(0)
    model = mk.Sequential([mk.Input((3,)), layers.Dense(1)])
    # 4 batches an epoch: steps 0-3 at 0.1, then nothing moves
    rate = schedules.PiecewiseConstantDecay([3], [0.1, 0.0])
    model.compile(optimizer=optimizers.SGD(rate), loss="mse")
    start = model.get_weights()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    after_one = model.get_weights()
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert model.optimizer.iterations == 12
    assert not np.array_equal(start[0], after_one[0])
    for a, b in zip(after_one, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    config = model.get_compile_config()["optimizer"]
    rebuilt = optimizers.get(json.loads(json.dumps(config)))
    assert isinstance(rebuilt.learning_rate_schedule, schedules.PiecewiseConstantDecay)
    assert rebuilt.get_config() == model.optimizer.get_config()


def test_a_decaying_schedule_lowers_the_step_size_in_fit():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 2)).astype(np.float32)
    y = x[:, :1] * 2.0
    rate = schedules.ExponentialDecay(0.05, decay_steps=1, decay_rate=0.5)
    mk.utils.set_random_seed(0)
    model = mk.Sequential([mk.Input((2,)), layers.Dense(1)])
    model.compile(optimizer=optimizers.Adam(rate), loss="mse")
    previous, moves = model.get_weights()[0], []
    for _ in range(4):
        model.fit(x, y, batch_size=16, epochs=1, verbose=0)
        current = model.get_weights()[0]
        moves.append(np.abs(current - previous).max())
        previous = current
    assert model.optimizer.current_learning_rate() == pytest.approx(0.05 / 16)
    assert all(later < earlier for earlier, later in zip(moves, moves[1:]))
