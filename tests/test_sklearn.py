"""The scikit-learn wrappers: scikit-learn's own estimator checks, pipelines, searches."""

import pickle

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

import minikeras as mk
from minikeras.wrappers import SKLearnClassifier, SKLearnRegressor, build_mlp

# Checks that must fail, with the reason (also listed in the README). Aim: none.
EXPECTED_FAILURES = {}


def _estimators():
    options = {"epochs": 60, "batch_size": 64}
    return [SKLearnClassifier(build_mlp, model_kwargs={"hidden": (16,), "learning_rate": 0.03},
                              fit_kwargs=options, random_state=0),
            SKLearnRegressor(build_mlp, model_kwargs={"hidden": (16,), "learning_rate": 0.03},
                             fit_kwargs=options, random_state=0)]


@parametrize_with_checks(_estimators(), expected_failed_checks=lambda e: EXPECTED_FAILURES)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


# ---------------------------------------------------------------- behaviour

def _classifier(**kwargs):
    return SKLearnClassifier(build_mlp, model_kwargs={"hidden": (16,), "learning_rate": 0.03},
                             fit_kwargs={"epochs": 40}, **kwargs)


def _breast_cancer():
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    x, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(x), y


@pytest.mark.parametrize("labels", [np.array(["benign", "malignant"]), np.array([3, 7]),
                                    np.array([False, True])], ids=["str", "int", "bool"])
def test_any_label_type(labels):
    x, y = _breast_cancer()
    classifier = _classifier(random_state=0).fit(x, labels[y])
    np.testing.assert_array_equal(classifier.classes_, labels)
    predictions = classifier.predict(x)
    assert predictions.dtype == labels.dtype and classifier.score(x, labels[y]) > 0.95
    probabilities = classifier.predict_proba(x)
    assert probabilities.shape == (len(x), 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-6)


def test_random_state_repeats_fits_and_leaves_global_generators_alone():
    import random

    x, y = _breast_cancer()
    numpy_state, python_state = np.random.get_state(), random.getstate()
    minikeras_state = mk.utils.rng().bit_generator.state
    first = _classifier(random_state=7).fit(x, y)
    second = _classifier(random_state=7).fit(x, y)
    other = _classifier(random_state=8).fit(x, y)
    for a, b in zip(first.model_.get_weights(), second.model_.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first.model_.get_weights()[0], other.model_.get_weights()[0])
    assert np.random.get_state()[1].tolist() == numpy_state[1].tolist()
    assert random.getstate() == python_state
    assert mk.utils.rng().bit_generator.state == minikeras_state


@pytest.mark.parametrize("argument, value, message", [
    ("warm_start", "yes", "warm_start.*bool"),
    ("random_state", "x", "random_state.*'x'"),
    ("random_state", -1, "random_state.*-1"),
    ("random_state", 2**32, "random_state"),
    ("fit_kwargs", [1], "fit_kwargs.*dict"),
    ("model_kwargs", "hidden", "model_kwargs.*dict"),
])
def test_bad_parameters_are_named_when_fitting(argument, value, message):
    x, y = _breast_cancer()
    classifier = _classifier(random_state=0).fit(x[:50], y[:50])
    fitted = classifier.model_
    classifier.set_params(**{argument: value})
    with pytest.raises(ValueError, match=message):
        classifier.fit(x, y)
    assert classifier.model_ is fitted  # a failed fit leaves the estimator as it was


def test_a_compiled_model_is_cloned_for_every_fit():
    x, y = _breast_cancer()
    template = mk.Sequential([mk.Input((30,)), mk.layers.Dense(2, activation="softmax")])
    template.compile(optimizer=mk.optimizers.Adam(0.05), loss="categorical_crossentropy")
    before = template.get_weights()
    classifier = SKLearnClassifier(template, fit_kwargs={"epochs": 10}, random_state=0)
    classifier.fit(x, y)
    assert classifier.model_ is not template
    assert classifier.model_.optimizer.learning_rate == 0.05
    for a, b in zip(before, template.get_weights()):
        np.testing.assert_array_equal(a, b)  # the template is untouched
    assert classifier.score(x, y) > 0.9
    with pytest.raises(ValueError, match="not compiled"):
        SKLearnClassifier(mk.Sequential([mk.Input((30,)), mk.layers.Dense(2)])).fit(x, y)


def test_warm_start_goes_on_training():
    x, y = _breast_cancer()
    classifier = _classifier(warm_start=True, random_state=0).fit(x, y)
    model = classifier.model_
    steps = model.optimizer.iterations
    classifier.fit(x, y)
    assert classifier.model_ is model and model.optimizer.iterations == 2 * steps
    cold = _classifier(random_state=0).fit(x, y)
    first = cold.model_
    cold.fit(x, y)
    assert cold.model_ is not first


def test_not_fitted_pickle_and_dataframes():
    import pandas as pd
    from sklearn.exceptions import NotFittedError

    x, y = _breast_cancer()
    with pytest.raises(NotFittedError):
        _classifier().predict(x)
    frame = pd.DataFrame(x[:, :5], columns=[f"f{i}" for i in range(5)])
    classifier = _classifier(random_state=0).fit(frame, y)
    assert classifier.n_features_in_ == 5
    assert list(classifier.feature_names_in_) == list(frame.columns)
    restored = pickle.loads(pickle.dumps(classifier))
    np.testing.assert_array_equal(restored.predict_proba(frame), classifier.predict_proba(frame))


def test_regressor_keeps_the_target_shape():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    y = x @ np.array([1.0, -1.0, 0.5]) + 0.1 * rng.normal(size=200)
    regressor = SKLearnRegressor(build_mlp, fit_kwargs={"epochs": 60}, random_state=0).fit(x, y)
    assert regressor.predict(x).shape == (200,) and regressor.score(x, y) > 0.95
    two = SKLearnRegressor(build_mlp, fit_kwargs={"epochs": 5}, random_state=0)
    assert two.fit(x, np.c_[y, -y]).predict(x).shape == (200, 2)


# ---------------------------------------------------------------- composition

def test_pipeline_cross_validation_and_parallel_grid_search():
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.datasets import load_breast_cancer

    x, y = load_breast_cancer(return_X_y=True)
    pipeline = make_pipeline(StandardScaler(), _classifier(random_state=0))
    scores = cross_val_score(pipeline, x, y, cv=3)
    assert scores.mean() > 0.93
    grid = {"sklearnclassifier__model_kwargs": [{"hidden": (8,), "learning_rate": rate}
                                                for rate in (0.003, 0.03)]}
    serial = GridSearchCV(pipeline, grid, cv=3, n_jobs=1).fit(x, y)
    parallel = GridSearchCV(pipeline, grid, cv=3, n_jobs=2).fit(x, y)
    np.testing.assert_array_equal(serial.cv_results_["mean_test_score"],
                                  parallel.cv_results_["mean_test_score"])
    assert serial.best_params_ == parallel.best_params_
    pickle.loads(pickle.dumps(serial.best_estimator_)).predict(x)


@pytest.mark.slow
def test_grid_search_on_a_dask_cluster_equals_the_serial_one():
    distributed = pytest.importorskip("distributed")
    import joblib
    from sklearn.model_selection import GridSearchCV

    x, y = _breast_cancer()
    grid = {"model_kwargs": [{"hidden": (8,), "learning_rate": rate, "l2": l2}
                             for rate in (0.003, 0.03) for l2 in (0.0, 0.01)]}
    serial = GridSearchCV(_classifier(random_state=0), grid, cv=3, n_jobs=1).fit(x, y)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        with joblib.parallel_backend("dask"):
            on_dask = GridSearchCV(_classifier(random_state=0), grid, cv=3).fit(x, y)
    np.testing.assert_array_equal(serial.cv_results_["mean_test_score"],
                                  on_dask.cv_results_["mean_test_score"])
    assert serial.best_params_ == on_dask.best_params_


def test_a_failed_fit_leaves_the_estimator_as_it_was():
    x, y = _breast_cancer()
    classifier = _classifier(random_state=0).fit(x, y)
    model, score = classifier.model_, classifier.score(x, y)
    with pytest.raises(ValueError, match="epochs"):
        classifier.fit(x, y, epochs=-1)
    assert classifier.model_ is model and classifier.score(x, y) == score
    with pytest.raises(ValueError):
        classifier.fit(x, np.where(y == 1, "a", "b"), epochs=-1)
    np.testing.assert_array_equal(classifier.classes_, [0, 1])
    warm = _classifier(warm_start=True, random_state=0).fit(x, y)
    with pytest.raises(ValueError, match="features"):
        warm.fit(x[:, :3], y)
    assert warm.n_features_in_ == 30 and warm.predict(x).shape == (len(x),)


def test_a_classifier_with_the_wrong_number_of_outputs_gets_advice():
    x, y = _breast_cancer()

    def one_sigmoid(X, y_one_hot):
        model = mk.Sequential([mk.Input((X.shape[1],)), mk.layers.Dense(1, "sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy")
        return model

    with pytest.raises(ValueError, match=r"Dense\(2, activation='softmax'\)"):
        SKLearnClassifier(one_sigmoid).fit(x, y)
