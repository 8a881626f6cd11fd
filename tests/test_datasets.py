"""Tests of the shipped Iris data, the spirals and the stratified split."""

from __future__ import annotations

import hashlib
from importlib import resources

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from softmax_course.datasets import Dataset, load_iris, make_spirals, train_test_split

# --- Iris ---------------------------------------------------------------------------------


def test_iris_file_is_the_recorded_copy():
    data = resources.files("softmax_course.datasets").joinpath("data", "iris.csv").read_bytes()
    assert hashlib.sha256(data).hexdigest() == (
        "f13ffa8fdd56fd8e6c8d16d4081a3fbd3114bcd0aae4256c43205169cd9d1449"
    )
    readme = resources.files("softmax_course.datasets").joinpath("data", "README.md").read_text()
    assert "Fisher" in readme and "CC BY 4.0" in readme and "BSD 3-Clause" in readme


def test_iris_shapes_and_types():
    iris = load_iris()
    assert isinstance(iris, Dataset)
    assert iris.X.shape == (150, 4) and iris.X.dtype == np.float64
    assert iris.y.shape == (150,) and iris.y.dtype == np.int64
    assert iris.class_names == ("setosa", "versicolor", "virginica")
    assert iris.num_classes == 3
    assert len(iris.feature_names) == 4
    assert "Fisher" in iris.description


def test_iris_class_counts_and_order():
    y = load_iris().y
    assert_array_equal(np.bincount(y), [50, 50, 50])
    assert_array_equal(y, np.repeat([0, 1, 2], 50))


def test_iris_summary_statistics():
    # The values in Fisher's table, as printed in scikit-learn's description of the data.
    X = load_iris().X
    assert_array_equal(X.min(axis=0), [4.3, 2.0, 1.0, 0.1])
    assert_array_equal(X.max(axis=0), [7.9, 4.4, 6.9, 2.5])
    assert_allclose(
        X.mean(axis=0), [5.843333333333334, 3.0573333333333337, 3.758, 1.1993333333333336]
    )
    assert_allclose(X.sum(axis=0), [876.5, 458.6, 563.7, 179.9], rtol=1e-13)


def test_iris_follows_fishers_paper_not_the_uci_typos():
    X = load_iris().X
    assert_array_equal(X[34], [4.9, 3.1, 1.5, 0.2])  # UCI: 4.9, 3.1, 1.5, 0.1
    assert_array_equal(X[37], [4.9, 3.6, 1.4, 0.1])  # UCI: 4.9, 3.1, 1.5, 0.1


def test_iris_arrays_are_fresh_on_every_call():
    first = load_iris()
    first.X[:] = 0
    assert load_iris().X[0, 0] == 5.1


# --- spirals ------------------------------------------------------------------------------


def test_spirals_are_deterministic_for_a_seed():
    a, b = make_spirals(50, rng=3), make_spirals(50, rng=3)
    assert_array_equal(a.X, b.X)
    assert not np.array_equal(a.X, make_spirals(50, rng=4).X)
    generated = make_spirals(50, rng=np.random.default_rng(3))
    assert_array_equal(generated.X, a.X)


def test_spirals_shapes_labels_and_geometry():
    data = make_spirals(40, num_classes=4, noise=0.0)
    assert data.X.shape == (160, 2) and data.X.dtype == np.float64
    assert_array_equal(data.y, np.repeat(np.arange(4), 40))
    assert data.num_classes == 4
    radius = np.hypot(data.X[:, 0], data.X[:, 1])
    assert_allclose(radius[:40], np.linspace(0, 1, 40), atol=1e-15)
    # without noise the arms are rotated copies: rotating arm 0 by 2 pi / 4 gives arm 1
    angle = -2 * np.pi / 4  # x = r (sin t, cos t), so adding to t rotates clockwise
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    assert_allclose(data.X[:40] @ rotation.T, data.X[40:80], atol=1e-12)


def test_single_point_per_class():
    assert make_spirals(1, num_classes=2).X.shape == (2, 2)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_per_class": 0}, ValueError, r"n_per_class must be at least 1; received 0"),
        ({"n_per_class": 2.5}, TypeError, r"n_per_class must be an int; received 2\.5"),
        ({"n_per_class": 5, "num_classes": 1}, ValueError, r"num_classes must be at least 2"),
        ({"n_per_class": 5, "noise": -0.1}, ValueError, r"noise must be finite and >= 0"),
        ({"n_per_class": 5, "noise": np.inf}, ValueError, r"noise must be finite"),
        ({"n_per_class": 5, "noise": "a"}, TypeError, r"noise must be a real number"),
        ({"n_per_class": 5, "rng": None}, TypeError, r"rng must be an int seed or a"),
        ({"n_per_class": 5, "rng": 1.5}, TypeError, r"rng must be an int seed"),
    ],
)
def test_spirals_reject_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_spirals(**kwargs)


# --- train_test_split ---------------------------------------------------------------------


def test_split_is_stratified_disjoint_and_complete():
    iris = load_iris()
    X_train, X_test, y_train, y_test = train_test_split(iris.X, iris.y, test_fraction=0.2, rng=1)
    assert_array_equal(np.bincount(y_test), [10, 10, 10])
    assert_array_equal(np.bincount(y_train), [40, 40, 40])
    rows = {tuple(r) for r in np.concatenate([X_train, X_test])}
    assert rows == {tuple(r) for r in iris.X}
    assert len(X_train) + len(X_test) == 150


def test_split_pairs_features_with_their_labels():
    X = np.arange(30.0).reshape(15, 2)
    y = np.repeat([0, 1, 2], 5)
    X_train, X_test, y_train, y_test = train_test_split(X, y, rng=0)
    assert_array_equal(X_train[:, 0] // 10, y_train)
    assert_array_equal(X_test[:, 0] // 10, y_test)


def test_split_is_deterministic_and_depends_on_the_seed():
    iris = load_iris()
    a = train_test_split(iris.X, iris.y, rng=0)
    b = train_test_split(iris.X, iris.y, rng=0)
    c = train_test_split(iris.X, iris.y, rng=1)
    for left, right in zip(a, b, strict=True):
        assert_array_equal(left, right)
    assert not np.array_equal(a[1], c[1])


def test_split_leaves_inputs_alone():
    X, y = np.arange(20.0).reshape(10, 2), np.repeat([0, 1], 5)
    X_copy, y_copy = X.copy(), y.copy()
    X_train, _, y_train, _ = train_test_split(X, y, rng=0)
    X_train[:] = -1
    y_train[:] = -1
    assert_array_equal(X, X_copy)
    assert_array_equal(y, y_copy)


@pytest.mark.parametrize(
    ("X", "y", "kwargs", "error", "match"),
    [
        (np.zeros((4, 2)), [0, 1, 0], {}, ValueError, r"same number of samples.*\(4, 2\)"),
        (np.zeros((4, 2)), [[0, 1, 0, 1]], {}, ValueError, r"y must be 1-dimensional"),
        (np.zeros((4, 2)), [0.0, 1.0, 0, 1], {}, TypeError, r"y must hold integer class labels"),
        (np.zeros((4, 2)), [0, -1, 0, 1], {}, ValueError, r"y must be non-negative"),
        (np.zeros((4, 2)), [0, 1, 0, 1], {"test_fraction": 1.0}, ValueError, r"strictly between"),
        (np.zeros((4, 2)), [0, 1, 0, 1], {"test_fraction": "x"}, TypeError, r"test_fraction must"),
        (np.zeros((4, 2)), [0, 1, 0, 1], {"rng": None}, TypeError, r"rng must be an int seed"),
    ],
)
def test_split_rejects_bad_arguments(X, y, kwargs, error, match):
    with pytest.raises(error, match=match):
        train_test_split(X, y, **kwargs)
