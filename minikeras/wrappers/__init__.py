"""scikit-learn estimators around minikeras models, and a model function for them."""

from .mlp import build_mlp
from .sklearn import SKLearnClassifier, SKLearnRegressor

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "build_mlp"]
