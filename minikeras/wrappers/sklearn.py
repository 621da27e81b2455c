"""scikit-learn estimators around minikeras models: ``SKLearnClassifier`` and
``SKLearnRegressor``, with Keras 3's signature.

They are real estimators: ``get_params``/``set_params``/``clone``, input checks with
scikit-learn's own ``validate_data``, ``NotFittedError`` before ``fit``, pickling of fitted
estimators, and they pass scikit-learn's estimator checks. They work in ``Pipeline``,
``cross_val_score`` and ``GridSearchCV`` (``n_jobs`` processes, or a Dask cluster through
joblib's Dask backend), each fit on its own copy of the model.
"""

import collections.abc
import contextlib
import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import utils, validation
from ..models import Sequential, clone_model

__all__ = ["SKLearnClassifier", "SKLearnRegressor"]


class _SKLearnModel(BaseEstimator):
    """What both estimators share: building the model, seeding, fitting, predicting.

    Parameters
    ----------
    model : callable or Sequential
        ``model(X, y, **model_kwargs)`` returning a compiled ``Sequential`` (called at
        every fit, ``y`` as the network sees it), or a compiled ``Sequential``, cloned with
        fresh weights and the same compile settings for every fit.
    warm_start : bool, default False
        A second ``fit`` goes on training the fitted model instead of starting anew.
    model_kwargs : dict, optional
        Passed to ``model`` when it is a callable.
    fit_kwargs : dict, optional
        Passed to ``model.fit`` (``epochs``, ``batch_size``, ``callbacks``, ...;
        ``verbose`` defaults to 0). ``fit(X, y, **kwargs)`` adds to them.
    random_state : int, RandomState or None
        Seeds the weights, the shuffling and dropout of every fit, so that two fits with
        the same int give bit-identical models, without touching numpy's or Python's
        global generators (nor minikeras' own).
    """

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None,
                 random_state=None):
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs
        self.random_state = random_state

    def fit(self, X, y, **kwargs):
        """Fit a (new) model to ``X`` and ``y``; returns ``self``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        **kwargs
            Passed to ``model.fit`` (``sample_weight``, ``epochs``, ...).
        """
        self._check_params()
        fitted = {k: v for k, v in vars(self).items() if k.endswith("_") or k == "_target_ndim"}
        try:
            warm = self.warm_start and hasattr(self, "model_")
            X, y = self._validate_fit_data(X, y, reset=not warm)
            targets = self._encode_targets(y)
            options = {"verbose": 0, **(self.fit_kwargs or {}), **kwargs}
            with self._randomness():
                model = self.model_ if warm else self._new_model(X, targets)
                self._check_outputs(model, X, targets)
                self.history_ = model.fit(X, targets, **options).history
            self.model_ = model
        except BaseException:  # a failed fit leaves the estimator as it was
            for key in [k for k in vars(self) if k.endswith("_") or k == "_target_ndim"]:
                delattr(self, key)
            vars(self).update(fitted)
            raise
        return self

    def _check_outputs(self, model, X, targets):
        """Raise ValueError with advice if the model's outputs cannot fit ``targets``
        (the classifier's check; the regressor leaves it to ``fit``)."""

    def _check_params(self):
        """Raise ValueError naming a constructor argument that cannot be used (scikit-learn
        checks parameters in ``fit``, not in ``__init__``)."""
        validation.check_bool("warm_start", self.warm_start)
        for name in ("model_kwargs", "fit_kwargs"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, collections.abc.Mapping):
                raise ValueError(f"Argument `{name}` must be a dict or None, got "
                                 f"{validation.describe(value)}.")
        seed = self.random_state
        if isinstance(seed, numbers.Integral) and not isinstance(seed, (bool, np.bool_)):
            validation.check_int("random_state", seed, minimum=0, maximum=2**32 - 1)
        elif seed is not None and not isinstance(seed, np.random.RandomState):
            raise ValueError("Argument `random_state` must be None, an int in [0, 2**32 - 1] "
                             f"or a numpy RandomState, got {validation.describe(seed)}.")

    def _randomness(self):
        if self.random_state is None:
            return contextlib.nullcontext()
        if isinstance(self.random_state, numbers.Integral) and self.random_state >= 0:
            return utils.seeded(int(self.random_state))
        return utils.seeded(int(check_random_state(self.random_state).randint(2**31 - 1)))

    def _new_model(self, X, y):
        if isinstance(self.model, Sequential):
            config = self.model.get_compile_config()
            if config is None:
                raise ValueError("Argument `model` is a Sequential that is not compiled; "
                                 "compile it (the estimator clones it for every fit).")
            model = clone_model(self.model)
            model.compile_from_config(config)
        elif callable(self.model):
            model = self.model(X, y, **(self.model_kwargs or {}))
            if not isinstance(model, Sequential) or not model.compiled:
                raise ValueError(
                    f"Argument `model` returned {model!r}; it must return a compiled "
                    "minikeras Sequential.")
        else:
            raise ValueError(f"Argument `model` must be a compiled Sequential or a function "
                             f"building one, got {self.model!r}.")
        return model

    def _network_outputs(self, X):
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        outputs = self.model_.predict(X, batch_size=max(len(X), 1), verbose=0)
        return outputs.astype(np.float64)  # what scikit-learn's metrics expect

    def __sklearn_is_fitted__(self):
        return hasattr(self, "model_")


class SKLearnClassifier(ClassifierMixin, _SKLearnModel):
    """A scikit-learn classifier around a minikeras model (Keras 3's signature).

    The model sees the classes one-hot encoded (one output per class, in the order of
    ``classes_``), as Keras' wrapper gives them; ``predict`` returns the class of the
    largest output, ``predict_proba`` the outputs. Labels may be of any type (strings,
    ints, bools).

    Parameters
    ----------
    model, warm_start, model_kwargs, fit_kwargs, random_state
        See :class:`minikeras.wrappers.sklearn._SKLearnModel` above: a callable
        ``model(X, y_one_hot, **model_kwargs)`` returning a compiled ``Sequential``, or a
        compiled ``Sequential`` cloned for every fit.

    Attributes
    ----------
    model_ : Sequential
    classes_ : ndarray
    n_features_in_ : int
    feature_names_in_ : ndarray (only when ``X`` had column names)
    history_ : dict
    """

    def _validate_fit_data(self, X, y, reset):
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], reset=reset)
        check_classification_targets(y)
        return X, y

    def _encode_targets(self, y):
        if self.warm_start and hasattr(self, "classes_"):
            unknown = np.setdiff1d(y, self.classes_)
            if len(unknown):
                raise ValueError(f"Argument `y` holds classes {unknown.tolist()} that the "
                                 "warm-started model was not fitted on.")
        else:
            self.classes_ = np.unique(y)
        indices = np.searchsorted(self.classes_, y)
        return np.eye(len(self.classes_), dtype=np.float32)[indices]

    def _check_outputs(self, model, X, targets):
        width = model.expected_output_shape(X.shape)[-1]
        if width != targets.shape[1]:
            raise ValueError(
                f"SKLearnClassifier hands the model its {targets.shape[1]} classes one-hot "
                f"encoded (as Keras' wrapper does), but the model has {width} output(s): end "
                f"it with Dense({targets.shape[1]}, activation='softmax') and "
                "categorical_crossentropy. (A single sigmoid output takes the 0/1 labels "
                "themselves: train the Sequential directly.)")

    def predict_proba(self, X):
        """The model's outputs: one column per class of ``classes_``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            With the features ``fit`` saw.

        Returns
        -------
        numpy.ndarray of shape (n_samples, n_classes)
            float64.
        """
        return self._network_outputs(X)

    def predict(self, X):
        """The class with the largest output for each sample.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            With the features ``fit`` saw.

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        probabilities = self.predict_proba(X)
        return self.classes_[np.argmax(probabilities, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        tags.target_tags.multi_output = False
        return tags


class SKLearnRegressor(RegressorMixin, _SKLearnModel):
    """A scikit-learn regressor around a minikeras model (Keras 3's signature).

    The model sees ``y`` as a 2-D array ``(n_samples, n_outputs)``; ``predict`` returns
    the shape ``y`` had (1-D for one target).

    Parameters
    ----------
    model, warm_start, model_kwargs, fit_kwargs, random_state
        As for :class:`SKLearnClassifier`; the callable gets ``y`` of shape
        ``(n_samples, n_outputs)``.

    Attributes
    ----------
    model_ : Sequential
    n_features_in_ : int
    feature_names_in_ : ndarray (only when ``X`` had column names)
    history_ : dict
    """

    def _validate_fit_data(self, X, y, reset):
        return validate_data(self, X, y, dtype=[np.float64, np.float32], multi_output=True,
                             y_numeric=True, reset=reset)

    def _encode_targets(self, y):
        self._target_ndim = np.ndim(y)
        return np.reshape(y, (len(y), -1))

    def predict(self, X):
        """The model's outputs, shaped as the targets were.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            With the features ``fit`` saw.

        Returns
        -------
        numpy.ndarray of shape (n_samples,) or (n_samples, n_outputs)
            float64.
        """
        outputs = self._network_outputs(X)
        return outputs.ravel() if self._target_ndim == 1 else outputs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
