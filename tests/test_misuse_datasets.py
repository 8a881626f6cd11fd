"""Misuse of softmax_course.datasets: damaged data files, bad seeds, degenerate splits.

Every damaged form of ``iris.csv`` is written to a temporary copy and must
give one ``ValueError`` that names the file and the line, and says what is
wrong there.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from softmax_course.datasets import load_iris, make_spirals, train_test_split

GOOD = resources.files("softmax_course.datasets").joinpath("data", "iris.csv").read_bytes()
LINES = GOOD.decode("ascii").split("\n")[:-1]  # the file ends with a newline


def with_field(line: int, field: int, value: str) -> bytes:
    """The good file with field ``field`` of (1-based) line ``line`` replaced by ``value``."""
    lines = list(LINES)
    fields = lines[line - 1].split(",")
    fields[field] = value
    lines[line - 1] = ",".join(fields)
    return ("\n".join(lines) + "\n").encode("ascii")


def with_line(line: int, text: str) -> bytes:
    lines = list(LINES)
    lines[line - 1] = text
    return ("\n".join(lines) + "\n").encode("ascii")


def replaced(line: int, old: bytes, new: bytes) -> bytes:
    """The good file with the first ``old`` of (1-based) line ``line`` replaced by ``new``."""
    lines = GOOD.split(b"\n")
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    return b"\n".join(lines)


def with_header(header: str) -> bytes:
    return with_line(1, header)


DAMAGED = {
    # measurements that are not finite decimal numbers
    "nan measurement": (with_field(6, 0, "nan"), 6, r"measurement 'nan' \(sepal length"),
    "inf measurement": (with_field(7, 1, "inf"), 7, r"measurement 'inf' \(sepal width"),
    "1e400 measurement": (with_field(8, 2, "1e400"), 8, r"measurement '1e400'"),
    "huge measurement": (with_field(8, 2, "9" * 400), 8, r"measurement '9999.*\.\.\.'"),
    "negative measurement": (with_field(9, 3, "-0.2"), 9, r"measurement '-0.2'"),
    "empty measurement": (with_field(9, 3, ""), 9, r"measurement ''"),
    "padded measurement": (with_field(9, 3, " 0.2"), 9, r"measurement ' 0.2'"),
    # labels that are not one of the header's classes
    "label 2.5": (with_field(121, 4, "2.5"), 121, r"class label '2.5' is not one of the 3"),
    "label 7": (with_field(121, 4, "7"), 121, r"class label '7'.*from 0 to 2"),
    "label -1": (with_field(4, 4, "-1"), 4, r"class label '-1'"),
    "label nan": (with_field(4, 4, "nan"), 4, r"class label 'nan'"),
    "label 1.0": (with_field(60, 4, "1.0"), 60, r"class label '1.0'"),
    # headers
    "no class names": (with_header("150,4"), 1, r"names 0 classes"),
    "one class name": (with_header("150,4,setosa"), 1, r"names 1 class;"),
    "two class names": (
        with_header("150,4,setosa,versicolor"),
        102,
        r"class label '2' is not one of the 2 classes.*\(setosa, versicolor\)",
    ),
    "four class names": (
        with_header("150,4,setosa,versicolor,virginica,iris"),
        1,
        r"names class 3 \(iris\) but no sample has label 3",
    ),
    "repeated class name": (with_header("150,4,setosa,setosa,virginica"), 1, r"repeat"),
    "empty class name": (with_header("150,4,setosa,,virginica"), 1, r"class name '' is empty"),
    "padded class name": (with_header("150,4,setosa, versicolor,virginica"), 1, r"' versicolor'"),
    "150x": (with_header("150x,4,setosa,versicolor,virginica"), 1, r"'150x,4,.*two whole"),
    "missing counts": (with_header("setosa,versicolor,virginica"), 1, r"two whole numbers"),
    "wrong sample count": (with_header("149,4,setosa,versicolor,virginica"), 1, r"149 samples"),
    "wrong feature count": (with_header("150,5,setosa,versicolor,virginica"), 1, r"5 features"),
    # structure
    "empty file": (b"", 1, r"the file is empty"),
    "only a newline": (b"\n", 1, r"the line is blank|the file is empty"),
    "ragged line": (with_line(11, "4.9,3.1,1.5,0"), 11, r"'4.9,3.1,1.5,0' has 4 values"),
    "long line": (with_line(11, "4.9,3.1,1.5,0.1,0,0"), 11, r"has 6 values; expected 5"),
    "blank line": (with_line(11, ""), 11, r"the line is blank"),
    "whitespace line": (with_line(11, "  "), 11, r"the line is blank"),
    "blank line at the end": (GOOD + b"\n", 152, r"the line is blank"),
    "truncated": (GOOD[: GOOD.index(b"\n", 2000)], 1, r"declares 150 samples but \d+ sample"),
    "byte-order mark": (b"\xef\xbb\xbf" + GOOD, 1, r"byte 0xef at column 1.*byte-order mark"),
    "non-ASCII byte": (replaced(21, b".", b"\xc2\xb7"), 21, r"byte 0xc2 at column 2 is not"),
    "latin-1 byte": (replaced(1, b"virginica", b"virginic\xe9"), 1, r"byte 0xe9 at column 33"),
}


@pytest.mark.parametrize(("data", "line", "pattern"), DAMAGED.values(), ids=DAMAGED.keys())
def test_every_damaged_file_gives_one_error_naming_file_and_line(tmp_path, data, line, pattern):
    path = tmp_path / "iris.csv"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=pattern) as excinfo:
        load_iris(path=path)
    error = excinfo.value
    assert str(error).startswith(f"{path}, line {line}: ")
    assert "; expected " in str(error)
    assert error.__cause__ is None and error.__context__ is None  # one error, not a chain


@pytest.mark.parametrize(
    "data",
    [GOOD, GOOD.replace(b"\n", b"\r\n"), GOOD.rstrip(b"\n")],
    ids=["identical copy", "Windows line ends", "no final newline"],
)
def test_an_intact_copy_loads_like_the_packaged_file(tmp_path, data):
    path = tmp_path / "copy.csv"
    path.write_bytes(data)
    packaged, copy = load_iris(), load_iris(path=str(path))
    assert_array_equal(copy.X, packaged.X)
    assert_array_equal(copy.y, packaged.y)
    assert copy.class_names == packaged.class_names


def test_a_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.csv"):
        load_iris(path=tmp_path / "nothing.csv")


def test_path_of_the_wrong_type():
    with pytest.raises(TypeError, match=r"path must be a str or os.PathLike"):
        load_iris(path=3)


# --- item 12: seeds and degenerate splits ------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: make_spirals(5, rng=-1),
        lambda: train_test_split(np.zeros((4, 2)), np.array([0, 1, 0, 1]), rng=-1),
    ],
    ids=["make_spirals", "train_test_split"],
)
def test_negative_seed_names_rng(call):
    with pytest.raises(ValueError, match=r"^rng must be a non-negative int seed.*received -1"):
        call()


def test_a_split_that_leaves_a_class_without_training_samples_is_refused():
    X, y = np.arange(6.0).reshape(3, 2), np.array([0, 1, 2])  # one sample per class
    with pytest.raises(ValueError, match=r"test_fraction=0.9 .*class 0, leaving none"):
        train_test_split(X, y, test_fraction=0.9)


def test_a_split_that_holds_out_nothing_is_refused():
    X, y = np.arange(12.0).reshape(6, 2), np.array([0, 0, 1, 1, 2, 2])
    with pytest.raises(ValueError, match=r"holds out no sample"):
        train_test_split(X, y, test_fraction=0.1)  # round(0.2) = 0 for every class


def test_the_smallest_valid_split_keeps_every_class_on_both_sides():
    X, y = np.arange(12.0).reshape(6, 2), np.array([0, 0, 1, 1, 2, 2])
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_fraction=0.5, rng=3)
    assert_array_equal(np.bincount(y_train), [1, 1, 1])
    assert_array_equal(np.bincount(y_test), [1, 1, 1])
    assert_array_equal(X_train[:, 0] // 4, y_train)
