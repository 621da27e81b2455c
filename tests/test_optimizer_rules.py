"""Adagrad, AdamW, Nadam, Adamax and the base's weight decay, checked against Keras 3's
update rules written out here in plain numpy."""

import copy
import pickle

import numpy as np
import pytest

import minikeras as mk
from minikeras import Variable, layers, optimizers

STEPS = 6


def _gradients(seed=0, shape=(3, 2), steps=STEPS):
    rng = np.random.default_rng(seed)
    return rng.normal(size=shape), [rng.normal(size=shape) for _ in range(steps)]


def _run(optimizer, dtype=np.float64, seed=0):
    """The value after ``STEPS`` steps of ``optimizer`` on one variable."""
    start, grads = _gradients(seed)
    w = Variable(start.astype(dtype))
    for g in grads:
        optimizer.apply_gradients([(g.astype(dtype), w)])
    return w.numpy()


def _reference(update, seed=0):
    """The value after ``STEPS`` steps of ``update(w, g, t, state)``, ``t`` counted from 1."""
    w, grads = _gradients(seed)
    state = {}
    for t, g in enumerate(grads, start=1):
        w = update(w, g, t, state)
    return w


# ---------------------------------------------------------------- reference rules
def adagrad_rule(lr, initial=0.1, eps=1e-7):
    def update(w, g, t, s):
        s["acc"] = s.get("acc", np.full_like(w, initial)) + g * g
        return w - lr * g / np.sqrt(s["acc"] + eps)
    return update


def adam_rule(lr, b1=0.9, b2=0.999, eps=1e-7, amsgrad=False, weight_decay=None):
    def update(w, g, t, s):
        if weight_decay is not None:
            w = w - w * weight_decay * lr
        s["m"] = s.get("m", 0 * w) + (g - s.get("m", 0 * w)) * (1 - b1)
        s["v"] = s.get("v", 0 * w) + (g * g - s.get("v", 0 * w)) * (1 - b2)
        v = s["v"]
        if amsgrad:
            s["vh"] = v = np.maximum(s.get("vh", 0 * w), v)
        alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        return w - alpha * s["m"] / (np.sqrt(v) + eps)
    return update


def nadam_rule(lr, b1=0.9, b2=0.999, eps=1e-7):
    def update(w, g, t, s):
        u_t = b1 * (1 - 0.5 * 0.96 ** t)
        u_next = b1 * (1 - 0.5 * 0.96 ** (t + 1))
        s["u_product"] = s.get("u_product", 1.0) * u_t
        m = s["m"] = s.get("m", 0 * w) * b1 + (1 - b1) * g
        v = s["v"] = s.get("v", 0 * w) * b2 + (1 - b2) * g * g
        m_hat = u_next * m / (1 - s["u_product"] * u_next) + (1 - u_t) * g / (1 - s["u_product"])
        v_hat = v / (1 - b2 ** t)
        return w - lr * m_hat / (np.sqrt(v_hat) + eps)
    return update


def adamax_rule(lr, b1=0.9, b2=0.999, eps=1e-7):
    def update(w, g, t, s):
        m = s["m"] = b1 * s.get("m", 0 * w) + (1 - b1) * g
        u = s["u"] = np.maximum(b2 * s.get("u", 0 * w), np.abs(g))
        return w - lr / (1 - b1 ** t) * m / (u + eps)
    return update


CASES = {
    "adagrad": (lambda: optimizers.Adagrad(0.1), adagrad_rule(0.1)),
    "adagrad_options": (lambda: optimizers.Adagrad(0.05, initial_accumulator_value=0.5,
                                                   epsilon=1e-3),
                        adagrad_rule(0.05, initial=0.5, eps=1e-3)),
    "adamw": (lambda: optimizers.AdamW(0.01), adam_rule(0.01, weight_decay=0.004)),
    "adamw_amsgrad": (lambda: optimizers.AdamW(0.01, weight_decay=0.1, amsgrad=True),
                      adam_rule(0.01, weight_decay=0.1, amsgrad=True)),
    "nadam": (lambda: optimizers.Nadam(0.01), nadam_rule(0.01)),
    "nadam_betas": (lambda: optimizers.Nadam(0.02, beta_1=0.5, beta_2=0.9, epsilon=1e-4),
                    nadam_rule(0.02, b1=0.5, b2=0.9, eps=1e-4)),
    "adamax": (lambda: optimizers.Adamax(0.01), adamax_rule(0.01)),
    "adamax_betas": (lambda: optimizers.Adamax(0.02, beta_1=0.5, beta_2=0.9, epsilon=1e-4),
                     adamax_rule(0.02, b1=0.5, b2=0.9, eps=1e-4)),
}


@pytest.mark.parametrize("case", CASES)
def test_trajectory_matches_the_keras_rule(case):
    make, rule = CASES[case]
    w = _run(make())
    expected = _reference(rule)
    assert not np.allclose(w, _gradients()[0])  # it moved
    np.testing.assert_allclose(w, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("case", ["adagrad", "adamw", "nadam", "adamax"])
def test_float32_variables_stay_float32_and_follow_the_rule(case):
    make, rule = CASES[case]
    w = _run(make(), dtype=np.float32)
    assert w.dtype == np.float32
    np.testing.assert_allclose(w, _reference(rule), rtol=1e-5, atol=1e-6)


def test_nadam_computes_in_float32_as_keras_does():
    """Bit for bit against Keras' operation order with every scalar cast to float32 (the
    cache product too, kept in the first variable's dtype)."""
    f = np.float32
    start, grads = _gradients(seed=5)
    w, m, v, u_product = start.astype(f), 0, 0, f(1)
    b1, b2, lr = f(0.9), f(0.999), f(0.01)
    for t, g in enumerate(grads, start=1):
        g = g.astype(f)
        u_product = u_product * b1 * (f(1) - f(0.5) * f(0.96) ** f(t))
        u_t = b1 * (f(1) - f(0.5) * f(0.96) ** f(t))
        u_next = b1 * (f(1) - f(0.5) * f(0.96) ** f(t + 1))
        m = m + (g - m) * (f(1) - b1)
        v = v + (g * g - v) * (f(1) - b2)
        m_hat = u_next * m / (f(1) - u_product * u_next) + (f(1) - u_t) * g / (f(1) - u_product)
        w = w - m_hat * lr / (np.sqrt(v / (f(1) - b2 ** f(t))) + f(1e-7))
    actual = _run(optimizers.Nadam(0.01), dtype=np.float32, seed=5)
    np.testing.assert_array_equal(actual, w)


def test_adagrad_starts_its_accumulators_at_the_initial_value():
    opt = optimizers.Adagrad(initial_accumulator_value=0.25)
    w = Variable(np.zeros((2, 2), dtype=np.float32))
    opt.build([w])
    (accumulator,) = opt.slots_for(w)
    assert accumulator.name == "variable_accumulator" and accumulator.dtype == np.float32
    np.testing.assert_array_equal(accumulator.numpy(), np.full((2, 2), 0.25))


def test_state_names_follow_keras():
    w = Variable(np.zeros(2), name="w")
    names = {}
    for opt in (optimizers.Adagrad(), optimizers.AdamW(amsgrad=True), optimizers.Nadam(),
                optimizers.Adamax()):
        opt.build([w])
        names[type(opt).__name__] = [v.name for v in opt.variables]
    assert names == {"Adagrad": ["w_accumulator"],
                     "AdamW": ["w_momentum", "w_velocity", "w_velocity_hat"],
                     "Nadam": ["w_momentum", "w_velocity"],
                     "Adamax": ["w_momentum", "w_norm"]}


# ---------------------------------------------------------------- weight decay
def test_weight_decay_is_applied_before_the_update_with_the_current_rate():
    start, grads = _gradients()
    w = Variable(start)
    rate = optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    opt = optimizers.SGD(rate, weight_decay=0.3)
    expected = start
    for t, g in enumerate(grads):
        opt.apply_gradients([(g, w)])
        lr = 0.1 * 0.5 ** t
        expected = (expected - expected * 0.3 * lr) - lr * g
    np.testing.assert_allclose(w.numpy(), expected, rtol=1e-12)


def test_weight_decay_exclusions_by_variable_and_by_name():
    kernel = Variable(np.ones(3), name="kernel", path="dense/kernel")
    bias = Variable(np.ones(2), name="bias", path="dense/bias")
    other = Variable(np.ones(2), name="kernel", path="dense_1/kernel")
    zero = [(np.zeros(3), kernel), (np.zeros(2), bias), (np.zeros(2), other)]

    opt = optimizers.SGD(0.5, weight_decay=0.2)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.apply_gradients(zero)
    np.testing.assert_allclose(kernel.numpy(), 0.9)  # 1 - 1 * 0.2 * 0.5
    np.testing.assert_array_equal(bias.numpy(), 1.0)
    np.testing.assert_allclose(other.numpy(), 0.9)

    opt.exclude_from_weight_decay(var_list=[kernel], var_names=["dense_1/"])  # replaces
    opt.apply_gradients(zero)
    np.testing.assert_allclose(kernel.numpy(), 0.9)
    np.testing.assert_allclose(bias.numpy(), 0.9)
    np.testing.assert_allclose(other.numpy(), 0.9)

    opt.exclude_from_weight_decay()  # nothing excluded any more
    opt.apply_gradients(zero)
    np.testing.assert_allclose(kernel.numpy(), 0.81)

    opt.exclude_from_weight_decay(var_names=["^bias$", r"_1/"])  # regular expressions, as Keras
    opt.apply_gradients(zero)
    np.testing.assert_allclose(kernel.numpy(), 0.729)
    np.testing.assert_allclose(bias.numpy(), 0.81)
    np.testing.assert_allclose(other.numpy(), 0.81)


def test_no_weight_decay_by_default_except_adamw():
    assert optimizers.Adam().weight_decay is None
    assert optimizers.AdamW().weight_decay == 0.004
    w = Variable(np.ones(2))
    optimizers.SGD(0.5).apply_gradients([(np.zeros(2), w)])
    np.testing.assert_array_equal(w.numpy(), 1.0)


def test_weight_decay_config_round_trips():
    opt = optimizers.RMSprop(0.01, weight_decay=0.05)
    config = opt.get_config()
    assert config["weight_decay"] == 0.05
    assert optimizers.get(optimizers.serialize(opt)).get_config() == config
    config = optimizers.AdamW(weight_decay=0.1, amsgrad=True).get_config()
    assert config["weight_decay"] == 0.1 and config["amsgrad"] is True
    assert optimizers.AdamW.from_config(config).get_config() == config


def test_bad_weight_decay_arguments():
    with pytest.raises(ValueError, match="weight_decay.*-0.1"):
        optimizers.SGD(weight_decay=-0.1)
    with pytest.raises(ValueError, match="weight_decay.*None"):
        optimizers.AdamW(weight_decay=None)
    opt = optimizers.SGD(weight_decay=0.1)
    opt.exclude_from_weight_decay(var_names=["bias"])
    with pytest.raises(ValueError, match="var_names.*'bias'"):
        opt.exclude_from_weight_decay(var_names="bias")
    with pytest.raises(ValueError, match="var_names"):
        opt.exclude_from_weight_decay(var_names=["bias", 3])
    with pytest.raises(ValueError, match="var_names.*'bias\\('.*regular expression"):
        opt.exclude_from_weight_decay(var_names=["bias("])
    with pytest.raises(ValueError, match="Variable"):
        opt.exclude_from_weight_decay(var_list=[np.zeros(2)])
    with pytest.raises(ValueError, match="var_list"):
        opt.exclude_from_weight_decay(var_list=Variable(np.zeros(2)))
    w = Variable(np.ones(2), name="bias")
    opt.apply_gradients([(np.zeros(2), w)])  # the failed calls changed nothing
    np.testing.assert_array_equal(w.numpy(), 1.0)


# ---------------------------------------------------------------- packing, copies, names
def _with_exclusion(opt):
    opt.exclude_from_weight_decay(var_names=["bias"])
    return opt


PACKED = {
    "adagrad": lambda: optimizers.Adagrad(0.1, weight_decay=0.01),
    "adamw": lambda: _with_exclusion(optimizers.AdamW(0.01, weight_decay=0.1)),
    "adamw_amsgrad": lambda: optimizers.AdamW(0.01, amsgrad=True, clipnorm=0.5),
    "nadam": lambda: optimizers.Nadam(0.01, weight_decay=0.01),
    "adamax": lambda: _with_exclusion(optimizers.Adamax(0.01, weight_decay=0.05)),
    "adam_amsgrad": lambda: optimizers.Adam(0.01, amsgrad=True),
    "sgd_momentum_clipnorm": lambda: optimizers.SGD(0.1, momentum=0.5, clipnorm=0.5),
    "rmsprop_centered": lambda: optimizers.RMSprop(0.01, momentum=0.5, centered=True),
}


@pytest.mark.parametrize("case", PACKED)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_packed_and_separate_updates_agree(case, dtype):
    rng = np.random.default_rng(0)
    shapes, names = ((3, 4), (4,), (4, 2)), ("kernel", "bias", "kernel_1")
    values = [rng.normal(size=s).astype(dtype) for s in shapes]
    grads = [[rng.normal(size=s).astype(dtype) for s in shapes] for _ in range(5)]
    together = [Variable(v, name=n) for v, n in zip(values, names)]
    alone = [Variable(v, name=n) for v, n in zip(values, names)]
    optimizer = PACKED[case]()
    separate = [copy.deepcopy(optimizer) for _ in alone]
    for step in grads:
        optimizer.apply_gradients(zip(step, together))
        for opt, g, v in zip(separate, step, alone):
            opt.apply_gradients([(g, v)])
    for a, b, start in zip(together, alone, values):
        assert a.dtype == dtype
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        assert not np.allclose(a.numpy(), start)


@pytest.mark.parametrize("case", PACKED)
@pytest.mark.parametrize("clone", [copy.deepcopy, lambda x: pickle.loads(pickle.dumps(x))],
                         ids=["deepcopy", "pickle"])
def test_a_copy_mid_trajectory_continues_identically(case, clone):
    start, grads = _gradients(seed=3, steps=8)
    original = (PACKED[case](), Variable(start, name="kernel"))
    for g in grads[:4]:
        original[0].apply_gradients([(g, original[1])])
    copied = clone(original)
    assert copied[0].iterations == original[0].iterations == 4
    for opt, w in (original, copied):
        for g in grads[4:]:
            opt.apply_gradients([(g, w)])
    np.testing.assert_array_equal(copied[1].numpy(), original[1].numpy())


def test_nadam_rebuilds_its_momentum_cache_product_when_iterations_is_set():
    """State copied by hand (the slots and ``iterations``, as loading does) continues
    bit for bit: the scalar product is recomputed from ``iterations``."""
    start, grads = _gradients(seed=4, steps=7)
    a, wa = optimizers.Nadam(0.01), Variable(start.astype(np.float32))
    for g in grads[:4]:
        a.apply_gradients([(g.astype(np.float32), wa)])
    b, wb = optimizers.Nadam(0.01), Variable(wa.numpy())
    b.build([wb])
    for target, source in zip(b.variables, a.variables):
        target.assign(source.numpy())
    b.iterations = a.iterations
    for g in grads[4:]:
        for opt, w in ((a, wa), (b, wb)):
            opt.apply_gradients([(g.astype(np.float32), w)])
    np.testing.assert_array_equal(wa.numpy(), wb.numpy())


def test_nadam_resumes_bit_for_bit_after_save_and_load(tmp_path):
    x, y = _regression()

    def model():
        mk.utils.set_random_seed(0)
        built = mk.Sequential([mk.Input((4,)), layers.Dense(8, activation="tanh"),
                               layers.Dense(1)])
        built.compile(optimizer=optimizers.Nadam(0.01), loss="mse")
        return built

    straight, interrupted = model(), model()
    straight.fit(x, y, batch_size=16, epochs=4, shuffle=False, verbose=0)
    interrupted.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    interrupted.save(tmp_path / "nadam.keras")
    resumed = mk.models.load_model(tmp_path / "nadam.keras")
    resumed.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    assert resumed.optimizer.iterations == straight.optimizer.iterations
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name, cls", [("adagrad", optimizers.Adagrad),
                                       ("AdamW", optimizers.AdamW),
                                       ("adamw", optimizers.AdamW),
                                       ("nadam", optimizers.Nadam),
                                       ("Adamax", optimizers.Adamax)])
def test_string_names_resolve(name, cls):
    opt = optimizers.get(name)
    assert type(opt) is cls and opt.learning_rate == 0.001


def test_bad_hyper_parameters_name_the_argument():
    for make, argument in ((lambda: optimizers.Adagrad(initial_accumulator_value=-1),
                            "initial_accumulator_value"),
                           (lambda: optimizers.Adagrad(epsilon=-1), "epsilon"),
                           (lambda: optimizers.Nadam(beta_1=1.0), "beta_1"),
                           (lambda: optimizers.Nadam(beta_2=-0.1), "beta_2"),
                           (lambda: optimizers.Adamax(beta_2=1.5), "beta_2"),
                           (lambda: optimizers.AdamW(beta_1=2), "beta_1"),
                           (lambda: optimizers.Adamax(learning_rate=-1), "learning_rate")):
        with pytest.raises(ValueError, match=f"`{argument}`"):
            make()


# ---------------------------------------------------------------- training
def _regression():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0], dtype=np.float32) + 0.3)[:, None]
    return x, y


@pytest.mark.parametrize("optimizer", [optimizers.Adagrad(0.3), optimizers.AdamW(0.1),
                                       optimizers.Nadam(0.1), optimizers.Adamax(0.1)],
                         ids=lambda o: type(o).__name__)
def test_fit_learns_a_linear_map(optimizer):
    x, y = _regression()
    mk.utils.set_random_seed(0)
    model = mk.Sequential([mk.Input((4,)), layers.Dense(1)])
    model.compile(optimizer=copy.deepcopy(optimizer), loss="mse")
    losses = model.fit(x, y, batch_size=16, epochs=20, verbose=0).history["loss"]
    assert model.optimizer.iterations == 80
    assert losses[-1] < 0.1 * losses[0]
