"""Keras 3's classification and regression metrics, checked against scikit-learn and by hand.

Every metric must give one call on all the data the same value as batch-by-batch updates
(float64 totals: equal up to rounding), honour sample weights, and read ``(n,)`` and
``(n, 1)`` arrays alike.
"""

import json

import numpy as np
import pytest
from sklearn import metrics as skm

import minikeras as mk
from minikeras import metrics


def _batched(metric, *arrays, size=7):
    """``metric`` updated with ``arrays`` (y_true, y_pred[, sample_weight]) in batches."""
    for start in range(0, len(arrays[0]), size):
        metric.update_state(*(a[start:start + size] for a in arrays))
    return metric.result()


def _once(metric, *arrays):
    metric.update_state(*arrays)
    return metric.result()


@pytest.fixture
def binary(rng):
    """Binary targets, well-spread scores in [0, 1] that favour the positives, weights."""
    y = rng.integers(0, 2, 1000)
    scores = np.clip(rng.normal(0.5 + 0.25 * (y - 0.5), 0.2), 0.0, 1.0)
    weights = rng.uniform(0.0, 3.0, 1000)
    return y, scores, weights


def _keras_buckets(scores, num_thresholds=200):
    """The bucket Keras' AUC puts each score in (thresholds i / (T - 1); every score passes
    the first, -epsilon): AUC on these is the exact area Keras' trapezoidal sum computes."""
    return np.maximum(np.ceil(np.clip(scores, 0, 1) * (num_thresholds - 1)), 1)


# ---------------------------------------------------------------- names and configs

NAMES = {"precision": metrics.Precision, "recall": metrics.Recall, "auc": metrics.AUC,
         "f1_score": metrics.F1Score, "root_mean_squared_error": metrics.RootMeanSquaredError,
         "rmse": metrics.RootMeanSquaredError,
         "mean_absolute_percentage_error": metrics.MeanAbsolutePercentageError,
         "mape": metrics.MeanAbsolutePercentageError,
         "top_k_categorical_accuracy": metrics.TopKCategoricalAccuracy,
         "sparse_top_k_categorical_accuracy": metrics.SparseTopKCategoricalAccuracy,
         "r2_score": metrics.R2Score}


@pytest.mark.parametrize("name", sorted(NAMES))
def test_string_names_resolve_and_default_names_are_keras(name):
    metric = metrics.get(name)
    assert type(metric) is NAMES[name]
    assert name in {metric.name, "rmse", "mape"}  # the aliases name the long form
    rebuilt = metrics.get(metrics.serialize(metric))
    assert type(rebuilt) is type(metric) and rebuilt.get_config() == metric.get_config()
    json.dumps(metric.get_config())


def test_configs_round_trip_with_arguments():
    for metric in (metrics.Precision(thresholds=[0.7, 0.2], class_id=1, name="p"),
                   metrics.Recall(top_k=3), metrics.AUC(thresholds=(0.9, 0.1), curve="pr",
                                                        summation_method="Minoring"),
                   metrics.AUC(num_thresholds=7, multi_label=True, from_logits=True),
                   metrics.F1Score(average="weighted", threshold=0.4),
                   metrics.TopKCategoricalAccuracy(k=2), metrics.R2Score(None, 2)):
        config = metric.get_config()
        rebuilt = metrics.get(json.loads(json.dumps(metrics.serialize(metric))))
        assert rebuilt.get_config() == config
    auc = metrics.AUC(thresholds=[0.9, 0.1], curve="pr")
    assert auc.get_config() == {"num_thresholds": 4, "curve": "PR",
                                "summation_method": "interpolation", "thresholds": [0.1, 0.9],
                                "multi_label": False, "from_logits": False, "name": "auc"}


@pytest.mark.parametrize("build, argument", [
    (lambda: metrics.Precision(thresholds=1.5), "thresholds"),
    (lambda: metrics.Precision(thresholds=[]), "thresholds"),
    (lambda: metrics.Recall(thresholds="0.5"), "thresholds"),
    (lambda: metrics.Precision(top_k=0), "top_k"),
    (lambda: metrics.Recall(class_id=-1), "class_id"),
    (lambda: metrics.AUC(num_thresholds=1), "num_thresholds"),
    (lambda: metrics.AUC(curve="PRGAIN"), "curve"),
    (lambda: metrics.AUC(summation_method="trapezoid"), "summation_method"),
    (lambda: metrics.AUC(thresholds=0.5), "thresholds"),
    (lambda: metrics.AUC(multi_label="yes"), "multi_label"),
    (lambda: metrics.AUC(from_logits=1), "from_logits"),
    (lambda: metrics.F1Score(average="samples"), "average"),
    (lambda: metrics.F1Score(threshold=0.0), "threshold"),
    (lambda: metrics.TopKCategoricalAccuracy(k=0), "k"),
    (lambda: metrics.SparseTopKCategoricalAccuracy(k=2.0), "k"),
    (lambda: metrics.R2Score(class_aggregation="raw_values"), "class_aggregation"),
    (lambda: metrics.R2Score(num_regressors=-1), "num_regressors"),
])
def test_constructor_arguments_are_validated(build, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        build()


def test_data_errors_name_the_problem():
    with pytest.raises(ValueError, match="top_k"):
        metrics.Precision(top_k=3).update_state([[0, 1]], [[0.2, 0.8]])
    with pytest.raises(ValueError, match="class_id"):
        metrics.Recall(class_id=2).update_state([[0, 1]], [[0.2, 0.8]])
    with pytest.raises(ValueError, match="sample_weight"):
        metrics.Precision().update_state([0, 1, 1], [0.2, 0.8, 0.6], sample_weight=[1, 2])
    with pytest.raises(ValueError, match="shape"):
        metrics.AUC().update_state(np.zeros((4, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="multi_label"):
        metrics.AUC(multi_label=True).update_state([0, 1], [0.2, 0.8])
    auc = metrics.AUC(multi_label=True)
    auc.update_state(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="3 labels"):
        auc.update_state(np.zeros((2, 2)), np.zeros((2, 2)))
    f1 = metrics.F1Score()
    f1.update_state(np.eye(3), np.eye(3))
    with pytest.raises(ValueError, match="3 classes"):
        f1.update_state(np.eye(2), np.eye(2))


# ---------------------------------------------------------------- precision and recall

def test_precision_and_recall_match_scikit_learn(binary):
    y, scores, w = binary
    predicted = scores > 0.5  # Keras: strictly above the threshold
    for cls, reference in ((metrics.Precision, skm.precision_score),
                           (metrics.Recall, skm.recall_score)):
        assert _once(cls(), y, scores) == pytest.approx(reference(y, predicted), rel=1e-12)
        assert _batched(cls(), y, scores) == pytest.approx(reference(y, predicted), rel=1e-12)
        weighted = reference(y, predicted, sample_weight=w)
        assert _once(cls(), y, scores, w) == pytest.approx(weighted, rel=1e-12)
        assert _batched(cls(), y, scores, w) == pytest.approx(weighted, rel=1e-12)
        # (n,) against (n, 1), either way round, and (n, 1) weights
        assert _once(cls(), y[:, None], scores, w[:, None]) == pytest.approx(weighted, rel=1e-12)
        assert _once(cls(), y, scores[:, None], w) == pytest.approx(weighted, rel=1e-12)


@pytest.mark.parametrize("thresholds", [[0.7, 0.2, 0.5], [0.0, 0.5, 1.0],
                                        [0.0, 0.25, 0.5, 0.75, 1.0]])
def test_several_thresholds_give_one_value_each_in_their_order(binary, thresholds):
    y, scores, w = binary
    result = _batched(metrics.Precision(thresholds=thresholds), y, scores, w)
    expected = [skm.precision_score(y, scores > t, sample_weight=w, zero_division=0)
                for t in thresholds]
    np.testing.assert_allclose(result, expected, rtol=1e-12)
    recall = _once(metrics.Recall(thresholds=thresholds), y, scores)
    np.testing.assert_allclose(recall, [skm.recall_score(y, scores > t) for t in thresholds],
                               rtol=1e-12)


def test_precision_pools_multi_label_values_and_class_id_picks_one(rng):
    y = rng.integers(0, 2, (60, 4))
    scores = rng.uniform(size=(60, 4))
    assert _batched(metrics.Precision(), y, scores) == pytest.approx(
        skm.precision_score(y.ravel(), scores.ravel() > 0.5), rel=1e-12)
    w = rng.uniform(size=60)
    assert _batched(metrics.Recall(class_id=2), y, scores, w) == pytest.approx(
        skm.recall_score(y[:, 2], scores[:, 2] > 0.5, sample_weight=w), rel=1e-12)


def test_top_k_as_keras():
    # Keras' own examples: on (n,) predictions the top k are taken over the batch axis.
    assert _once(metrics.Precision(top_k=2), [0, 0, 1, 1], [1, 1, 1, 1]) == 0.0
    assert _once(metrics.Precision(top_k=4), [0, 0, 1, 1], [1, 1, 1, 1]) == 0.5
    y = np.array([[0, 0, 1, 1], [1, 0, 0, 1]])
    p = np.array([[0.1, 0.4, 0.3, 0.2], [0.5, 0.9, 0.3, 0.1]])
    # top 2 per row: columns {1, 2} and {0, 1} -> 1 + 1 correct of 4 predicted, of 4 labels
    assert _once(metrics.Precision(top_k=2), y, p) == 0.5
    assert _once(metrics.Recall(top_k=2), y, p) == 0.5
    # a threshold too: of those, only values above 0.35 count -> 0.4 (wrong), 0.5 (right),
    # 0.9 (wrong)
    assert _once(metrics.Precision(top_k=2, thresholds=0.35), y, p) == pytest.approx(1 / 3)
    assert _once(metrics.Recall(top_k=2, class_id=2), y, p) == 1.0


def test_keras_documented_values():
    m = metrics.Precision()
    assert _once(m, [0, 1, 1, 1], [1, 0, 1, 1]) == pytest.approx(2 / 3)
    m.reset_state()
    assert _once(m, [0, 1, 1, 1], [1, 0, 1, 1], [0, 0, 1, 0]) == 1.0
    assert _once(metrics.Recall(), [0, 1, 1, 1], [1, 0, 1, 1]) == pytest.approx(2 / 3)
    assert _once(metrics.Precision(), [0, 0], [0.1, 0.2]) == 0.0  # 0 / 0


# ---------------------------------------------------------------- AUC

def test_auc_by_hand_as_in_the_keras_docs():
    # thresholds [-1e-7, 0.5, 1 + 1e-7]: tp [2, 1, 0], fp [2, 0, 0], fn [0, 1, 2], tn [0, 2, 2]
    y, p = [0, 0, 1, 1], [0, 0.5, 0.3, 0.9]
    roc = metrics.AUC(num_thresholds=3)
    assert _once(roc, y, p) == pytest.approx(0.75, abs=1e-15)  # (1 + 0.5) / 2 * (1 - 0)
    roc.reset_state()
    assert _once(roc, y, p, [1, 0, 0, 1]) == 1.0
    # recall [1, 0.5, 0], fp rate [1, 0, 0], precision [0.5, 1, 0]
    assert _once(metrics.AUC(3, summation_method="minoring"), y, p) == 0.5
    assert _once(metrics.AUC(3, summation_method="majoring"), y, p) == 1.0
    assert _once(metrics.AUC(3, "PR", "minoring"), y, p) == 0.25  # 0.5*0.5 + 0.5*0
    assert _once(metrics.AUC(3, "PR", "majoring"), y, p) == 1.0
    # PR interpolation: P = TP + FP = [4, 1, 0]; first interval slope 1/3, intercept 2/3,
    # area (1/3)(1 + (2/3) ln 4) / 2; second slope 1, intercept 0, area 1 / 2
    expected = (1 + 2 / 3 * np.log(4)) / 6 + 0.5
    assert _once(metrics.AUC(3, "PR"), y, p) == pytest.approx(expected, rel=1e-14)
    assert metrics.AUC().result() == 0.0


def test_roc_auc_matches_scikit_learn(binary):
    y, scores, w = binary
    auc = _once(metrics.AUC(), y, scores)
    # Exactly the trapezoidal area of the bucketed scores: pairs in one bucket are ties.
    assert auc == pytest.approx(skm.roc_auc_score(y, _keras_buckets(scores)), abs=1e-12)
    # Against the exact AUC, the only error is those ties' half credit: at most half the
    # fraction of (positive, negative) pairs sharing a bucket (about 1/200 here).
    buckets = _keras_buckets(scores).astype(int)
    pos = np.bincount(buckets[y == 1], minlength=201)
    neg = np.bincount(buckets[y == 0], minlength=201)
    bound = 0.5 * (pos @ neg) / (pos.sum() * neg.sum())
    assert abs(auc - skm.roc_auc_score(y, scores)) <= bound
    assert bound < 3e-3 and abs(auc - skm.roc_auc_score(y, scores)) < 1e-3
    weighted = skm.roc_auc_score(y, _keras_buckets(scores), sample_weight=w)
    assert _batched(metrics.AUC(), y, scores, w) == pytest.approx(weighted, abs=1e-12)
    assert _once(metrics.AUC(), y[:, None], scores, w[:, None]) == pytest.approx(weighted,
                                                                                  abs=1e-12)


def test_pr_auc_is_the_davis_goadrich_interpolation(binary):
    y, scores, w = binary
    auc = metrics.AUC(curve="PR", num_thresholds=50)
    result = _batched(auc, y, scores, w)
    assert result == pytest.approx(_once(metrics.AUC(curve="PR", num_thresholds=50),
                                         y, scores, w), rel=1e-12)
    # Integrate precision over recall numerically, TP and TP + FP linear between thresholds.
    tp, fp, fn = auc.true_positives, auc.false_positives, auc.false_negatives
    u = (np.arange(20000) + 0.5) / 20000
    area = 0.0
    for i in range(len(tp) - 1):
        if tp[i] > tp[i + 1]:
            true = tp[i + 1] + u * (tp[i] - tp[i + 1])
            predicted = (tp[i + 1] + fp[i + 1]) + u * (tp[i] + fp[i] - tp[i + 1] - fp[i + 1])
            area += np.mean(true / predicted) * (tp[i] - tp[i + 1]) / (tp[0] + fn[0])
    assert result == pytest.approx(area, rel=1e-6)
    # The same area as scikit-learn's step-wise average precision up to the curve's
    # variation within one bucket: about 1e-3 on 1000 well-spread scores.
    pr = _once(metrics.AUC(curve="PR"), y, scores)
    assert pr == pytest.approx(skm.average_precision_score(y, scores), abs=5e-3)


def test_auc_thresholds_multi_label_and_logits(rng, binary):
    y, scores, w = binary
    # Given evenly spaced thresholds are the default ones; others are compared directly.
    assert _once(metrics.AUC(thresholds=[0.25, 0.5, 0.75]), y, scores) == pytest.approx(
        _once(metrics.AUC(num_thresholds=5), y, scores), abs=1e-15)
    cuts = np.array([0.3, 0.45, 0.5, 0.8])
    ranks = np.searchsorted(cuts, scores, side="left")  # thresholds strictly below each score
    assert _once(metrics.AUC(thresholds=[0.8, 0.3, 0.45, 0.5]), y, scores) == pytest.approx(
        skm.roc_auc_score(y, ranks), abs=1e-12)
    labels = rng.integers(0, 2, (300, 3))
    probs = np.clip(rng.normal(0.5 + 0.3 * (labels - 0.5), 0.2), 0, 1)
    per_label = [skm.roc_auc_score(labels[:, j], _keras_buckets(probs[:, j])) for j in range(3)]
    assert _batched(metrics.AUC(multi_label=True), labels, probs) == pytest.approx(
        np.mean(per_label), abs=1e-12)
    assert _batched(metrics.AUC(), labels, probs) == pytest.approx(
        skm.roc_auc_score(labels.ravel(), _keras_buckets(probs.ravel())), abs=1e-12)
    logits = rng.normal(size=200) * 3
    truth = rng.integers(0, 2, 200)
    assert _once(metrics.AUC(from_logits=True), truth, logits) == pytest.approx(
        _once(metrics.AUC(), truth, 1 / (1 + np.exp(-logits))), abs=1e-12)


# ---------------------------------------------------------------- F1

@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
def test_f1_matches_scikit_learn(rng, average):
    # scikit-learn has no epsilon in its divisions: Keras' 1e-7 changes each ratio of
    # counts >= 1 by less than 1e-6 relative.
    labels = rng.integers(0, 4, 150)
    probs = rng.dirichlet(np.ones(4), 150)
    onehot = np.eye(4)[labels]
    w = rng.uniform(0.5, 2.0, 150)
    expected = skm.f1_score(labels, probs.argmax(1), average=average, labels=range(4),
                            sample_weight=w)
    np.testing.assert_allclose(_batched(metrics.F1Score(average), onehot, probs, w), expected,
                               rtol=1e-6)
    np.testing.assert_allclose(_once(metrics.F1Score(average), onehot, probs, w), expected,
                               rtol=1e-6)
    multi = rng.integers(0, 2, (150, 3))
    scores = rng.uniform(size=(150, 3))
    expected = skm.f1_score(multi, scores > 0.4, average=average, zero_division=0)
    np.testing.assert_allclose(_batched(metrics.F1Score(average, threshold=0.4), multi, scores),
                               expected, rtol=1e-6)


def test_f1_as_keras_by_hand():
    y = np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]])
    p = np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    np.testing.assert_allclose(_once(metrics.F1Score(threshold=0.5), y, p), [0.5, 0.8, 2 / 3],
                               rtol=1e-6)  # Keras' documented values
    # threshold None: every tied maximum is predicted, a row of zeros predicts nothing
    tied = _once(metrics.F1Score(), np.array([[1, 0], [0, 1]]), np.array([[0.5, 0.5], [0, 0]]))
    np.testing.assert_allclose(tied, [1.0, 0.0], atol=1e-6)  # class 0: P 1, R 1; class 1: TP 0
    assert metrics.F1Score("macro").result() == 0.0


# ---------------------------------------------------------------- top-k accuracy

@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_top_k_accuracies_match_scikit_learn(rng, k):
    labels = rng.integers(0, 6, 90)
    scores = rng.normal(size=(90, 6))
    w = rng.uniform(size=90)
    expected = skm.top_k_accuracy_score(labels, scores, k=k, labels=range(6), sample_weight=w)
    onehot = np.eye(6)[labels]
    assert _batched(metrics.TopKCategoricalAccuracy(k), onehot, scores, w) == pytest.approx(
        expected, rel=1e-12)
    for target in (labels, labels[:, None], labels.astype(float)):
        assert _batched(metrics.SparseTopKCategoricalAccuracy(k), target, scores, w) == \
            pytest.approx(expected, rel=1e-12)


def test_top_k_ties_and_edges():
    # Ties with the k-th score count as in the top k (TensorFlow's in_top_k).
    assert _once(metrics.SparseTopKCategoricalAccuracy(1), [0, 1], [[0.5, 0.5], [0.5, 0.5]]) == 1
    assert _once(metrics.SparseTopKCategoricalAccuracy(), [2, 1], [[0.1, 0.9, 0.8]] * 2) == 1.0
    assert _once(metrics.SparseTopKCategoricalAccuracy(1), [3, -1], [[0.1, 0.9, 0.8]] * 2) == 0
    m = metrics.TopKCategoricalAccuracy(k=1)
    assert _once(m, [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
                 [0.7, 0.3]) == pytest.approx(0.3)


# ---------------------------------------------------------------- regression

def test_rmse_and_mape_match_scikit_learn(rng):
    y = rng.uniform(1.0, 5.0, (80, 2))
    p = y + rng.normal(size=(80, 2))
    w = rng.uniform(size=80)
    rmse = skm.mean_squared_error(y, p, sample_weight=w) ** 0.5
    assert _batched(metrics.RootMeanSquaredError(), y, p, w) == pytest.approx(rmse, rel=1e-12)
    assert _once(metrics.RootMeanSquaredError(), y[:, 0], p[:, :1]) == pytest.approx(
        skm.mean_squared_error(y[:, 0], p[:, 0]) ** 0.5, rel=1e-12)
    mape = 100 * skm.mean_absolute_percentage_error(y, p, sample_weight=w)  # Keras: percent
    assert _batched(metrics.MeanAbsolutePercentageError(), y, p, w) == pytest.approx(mape,
                                                                                     rel=1e-12)
    assert _once(metrics.MeanAbsolutePercentageError(), y[:, :1], p[:, 0]) == pytest.approx(
        100 * skm.mean_absolute_percentage_error(y[:, 0], p[:, 0]), rel=1e-12)
    # Keras' documented values: a zero target divides by epsilon = 1e-7
    m = metrics.MeanAbsolutePercentageError()
    assert _once(m, [[0, 1], [0, 0]], [[1, 1], [0, 0]]) == pytest.approx(2.5e8)
    r = metrics.RootMeanSquaredError()
    assert _once(r, [[0, 1], [0, 0]], [[1, 1], [0, 0]], [1, 0]) == pytest.approx(0.5 ** 0.5)


@pytest.mark.parametrize("aggregation, multioutput", [
    ("uniform_average", "uniform_average"), ("variance_weighted_average", "variance_weighted"),
    (None, "raw_values")])
def test_r2_matches_scikit_learn(rng, aggregation, multioutput):
    y = rng.normal(size=(70, 3)) * [1.0, 5.0, 0.2] + 1000.0  # a large offset: no cancellation
    p = y + rng.normal(size=(70, 3)) * 0.3
    w = rng.uniform(size=70)
    for weights in (None, w):
        expected = skm.r2_score(y, p, sample_weight=weights, multioutput=multioutput)
        args = (y, p) if weights is None else (y, p, weights)
        np.testing.assert_allclose(_batched(metrics.R2Score(aggregation), *args), expected,
                                   rtol=1e-9)
        np.testing.assert_allclose(_once(metrics.R2Score(aggregation), *args), expected,
                                   rtol=1e-9)


def test_adjusted_r2_and_constant_targets(rng):
    y = rng.normal(size=40)
    p = y + rng.normal(size=40) * 0.5
    r2 = skm.r2_score(y, p)
    assert _once(metrics.R2Score(num_regressors=3), y, p) == pytest.approx(
        1 - (1 - r2) * 39 / 36, rel=1e-12)
    with pytest.warns(UserWarning, match="plain R2"):
        assert _once(metrics.R2Score(num_regressors=39), y, p) == pytest.approx(r2, rel=1e-12)
    assert _once(metrics.R2Score(), np.ones(4), np.ones(4)) == 1.0  # as scikit-learn
    assert _once(metrics.R2Score(), np.ones(4), np.zeros(4)) == 0.0
    assert _once(metrics.R2Score(), [[1], [4], [3]], [[2], [4], [4]]) == pytest.approx(4 / 7)


# ---------------------------------------------------------------- in a model

def test_compiled_precision_recall_auc_match_the_predictions(rng, float64):
    x = rng.normal(size=(120, 3))
    y = (x @ [1.0, -2.0, 0.5] + rng.normal(size=120) > 0).astype(float)
    model = mk.Sequential([mk.Input((3,)), mk.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy",
                  metrics=["precision", "recall", "auc"])
    before = model.predict(x)

    def direct(p):
        return {"precision": skm.precision_score(y, p[:, 0] > 0.5, zero_division=0),
                "recall": skm.recall_score(y, p[:, 0] > 0.5),
                "auc": skm.roc_auc_score(y, _keras_buckets(p[:, 0]))}

    history = model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0,
                        validation_data=(x, y))
    assert set(history.history) == {"loss", "precision", "recall", "auc", "val_loss",
                                    "val_precision", "val_recall", "val_auc"}
    after = model.predict(x)
    for name, value in direct(before).items():  # the one training step saw `before`
        assert history.history[name][0] == pytest.approx(value, abs=1e-12), name
    for name, value in direct(after).items():
        assert history.history["val_" + name][0] == pytest.approx(value, abs=1e-12), name
    logs = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)  # 8 batches
    for name, value in direct(after).items():
        assert logs[name] == pytest.approx(value, abs=1e-12), name


def test_per_class_results_flow_through_fit_and_the_progress_line(capsys):
    import minikeras as mk

    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    y = np.eye(3)[rng.integers(0, 3, 60)]
    mk.utils.set_random_seed(0)
    model = mk.Sequential([mk.Input((3,)), mk.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["f1_score"])
    history = model.fit(x, y, epochs=2, verbose=2)
    assert np.shape(history.history["f1_score"][-1]) == (3,)
    assert "f1_score: [" in capsys.readouterr().out


def test_a_metric_that_cannot_score_the_targets_fails_before_training():
    import minikeras as mk

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 3)), rng.integers(0, 3, 20)
    model = mk.Sequential([mk.Input((3,)), mk.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["top_k_categorical_accuracy"])
    before = model.get_weights()
    with pytest.raises(ValueError, match="top_k_categorical_accuracy.*cannot score"):
        model.fit(x, y, verbose=0)
    assert model.optimizer.iterations == 0
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


class LargestError(mk.metrics.Metric):
    """A Keras 3-style metric: state made with add_variable, reset by the base class."""

    def __init__(self, name="largest_error", **kwargs):
        super().__init__(name=name, **kwargs)
        self.largest = self.add_variable(shape=(), initializer="zeros", name="largest")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.largest.assign(mk.ops.maximum(self.largest,
                                           mk.ops.max(mk.ops.abs(y_true - y_pred))))

    def result(self):
        return self.largest


def test_a_keras_style_metric_with_variables(rng):
    x = rng.normal(size=(32, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = mk.Sequential([mk.Input((3,)), mk.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=[LargestError()])
    history = model.fit(x, y, epochs=2, verbose=0).history
    assert len(history["largest_error"]) == 2
    expected = float(np.abs(model.predict(x, verbose=0) - y).max())
    for _ in range(2):  # evaluate resets the state each time, and updates it
        assert model.evaluate(x, y, verbose=0, return_dict=True)["largest_error"] == \
            pytest.approx(expected, rel=1e-6)
    metric = model.metrics[0]
    metric.reset_state()
    assert float(metric.result()) == 0.0


def test_mean_takes_column_weights_as_keras():
    from minikeras import metrics

    mean = metrics.Mean()
    mean.update_state(np.array([1.0, 3.0]), sample_weight=np.array([[1.0], [3.0]]))
    assert mean.result() == pytest.approx(2.5)
    mean.update_state(np.array([5.0]), sample_weight=2.0)
    assert mean.result() == pytest.approx((1 + 9 + 10) / 6)
