r"""A small layer API in which softmax composes with any loss by the chain rule.

Every layer has ``forward(x)``, which computes and remembers what its
backward pass needs, and ``backward(g)``, which receives the upstream
gradient :math:`g = \partial E / \partial(\text{output})` and returns
:math:`\partial E / \partial(\text{input})`. Every loss has
``forward(prediction, targets)``, returning a scalar, and ``backward()``,
returning :math:`\partial E / \partial(\text{prediction})`. Nothing else
passes between them, which is what lets any activation meet any loss:

.. code-block:: python

    s = softmax_layer.forward(z)          # (N, K)
    E = loss.forward(s, y)                # scalar
    dz = softmax_layer.backward(loss.backward())  # = J^T g, sample by sample

Conventions
-----------
* The class (feature) axis is the last one; every other axis counts
  samples, and :math:`N` is the product of their lengths (1 for a single
  1-D sample).
* Every loss is a **mean over the N samples**, so ``loss.backward()``
  already carries the factor :math:`1/N`. Layers never divide by
  :math:`N` again: :class:`Linear` sums its per-sample weight gradients,
  which makes them gradients of the mean loss.
* ``backward`` overwrites stored parameter gradients (it does not
  accumulate) and must follow a ``forward``; the cached values are those of
  the most recent ``forward``. A ``forward`` that raises clears the cache,
  so a ``backward`` after it raises instead of reusing the previous call's
  values.

Ownership
---------
A layer **copies** what it caches for its backward pass, and the arrays it
returns are the caller's. So the caller may modify its input, or the output
it received, in place (``x *= 10``, ``np.log(s, out=s)``) between
``forward`` and ``backward`` without changing the gradient. Copies rather
than read-only views: a view would make the caller's own in-place updates
fail, and the cost is one array per layer per ``forward``. Parameters are
the exception: ``weight`` and ``bias`` belong to the layer and an optimizer
updates them in place after ``backward``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator

import numpy as np
from numpy.typing import ArrayLike

from softmax_course._validation import _describe, as_array, as_real_array
from softmax_course.core import softmax
from softmax_course.derivatives import softmax_vjp
from softmax_course.losses import (
    _ambiguous_targets,
    cross_entropy,
    cross_entropy_grad,
    one_hot,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
)

__all__ = [
    "CrossEntropy",
    "Layer",
    "Linear",
    "Loss",
    "Sequential",
    "Softmax",
    "SoftmaxCrossEntropy",
    "SquaredError",
    "Tanh",
]


def _not_yet(owner: object) -> RuntimeError:
    name = type(owner).__name__
    return RuntimeError(
        f"{name}.backward() was called before {name}.forward() (or after a forward() that "
        "raised); run the forward pass first, it stores what the backward pass needs"
    )


def _own(array: np.ndarray) -> np.ndarray:
    """A private copy of ``array`` for the backward pass (see "Ownership" above)."""
    return np.array(array, copy=True)


def _check_rng(rng: object) -> np.random.Generator:
    """A Generator from an int seed or a Generator; anything else names ``rng``."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (bool, np.bool_)) or not isinstance(rng, numbers.Integral):
        raise TypeError(
            f"rng must be a numpy.random.Generator or an int seed; received {_describe(rng)}; "
            "expected e.g. rng=np.random.default_rng(0)"
        )
    if rng < 0:
        raise ValueError(
            f"rng must be a non-negative int seed or a numpy.random.Generator; received "
            f"{int(rng)}; expected e.g. rng=0 or rng=np.random.default_rng(0)"
        )
    return np.random.default_rng(int(rng))


class Layer:
    """Base class: ``forward(x)`` then ``backward(g)``; calling the layer runs ``forward``."""

    def forward(self, x: ArrayLike) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, g: ArrayLike) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def parameters(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Pairs ``(parameter, gradient)`` for an optimizer to update in place. None here."""
        return iter(())

    def __call__(self, x: ArrayLike) -> np.ndarray:
        return self.forward(x)


class Softmax(Layer):
    r"""Softmax as an activation layer, with a loss-independent backward pass.

    ``forward(z)`` returns :math:`s = \operatorname{softmax}(z)` and keeps
    it; ``backward(g)`` returns :math:`J^\top g = s \odot (g - \langle s, g
    \rangle)` (:func:`~softmax_course.softmax_vjp`) for any upstream
    gradient ``g``. The :math:`K \times K` Jacobian is never built.

    Parameters
    ----------
    axis : int, optional
        The class axis. Default ``-1`` (the losses here expect the last axis).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.nn import Softmax
    >>> layer = Softmax()
    >>> layer.forward(np.array([[1.0, 2.0, 3.0]])).round(4)
    array([[0.09  , 0.2447, 0.6652]])
    >>> layer.backward(np.array([[0.0, 0.0, 1.0]])).round(4)  # d s_3 / d z
    array([[-0.0599, -0.1628,  0.2227]])
    """

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis
        self.s: np.ndarray | None = None

    def forward(self, z: ArrayLike) -> np.ndarray:
        self.s = None
        # real input only: softmax takes complex z, but backward (softmax_vjp) cannot
        s = softmax(as_real_array(z, "z"), axis=self.axis)
        self.s = _own(s)  # the caller may overwrite s
        return s

    def backward(self, g: ArrayLike) -> np.ndarray:
        if self.s is None:
            raise _not_yet(self)
        return softmax_vjp(self.s, g, axis=self.axis)

    def __repr__(self) -> str:
        return f"Softmax(axis={self.axis})"


class Tanh(Layer):
    r"""Elementwise :math:`h = \tanh(a)`, a hidden-layer activation.

    Unlike softmax, each output depends on its own input only, so the
    Jacobian is diagonal and the backward pass is an elementwise product:
    :math:`\partial E / \partial a = g \odot (1 - h^2)`.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.nn import Tanh
    >>> layer = Tanh()
    >>> layer.forward(np.array([[0.0, 1.0]])).round(4)
    array([[0.    , 0.7616]])
    >>> layer.backward(np.array([[1.0, 1.0]])).round(4)
    array([[1.  , 0.42]])
    """

    def __init__(self) -> None:
        self.h: np.ndarray | None = None

    def forward(self, a: ArrayLike) -> np.ndarray:
        self.h = None
        h = np.tanh(as_real_array(a, "a"))
        self.h = _own(h)  # the caller may overwrite h
        return h

    def backward(self, g: ArrayLike) -> np.ndarray:
        if self.h is None:
            raise _not_yet(self)
        g = as_real_array(g, "g")
        if g.shape != self.h.shape:
            raise ValueError(
                f"g has shape {g.shape}; expected {self.h.shape}, the shape of the forward output"
            )
        return g * (1.0 - self.h**2)

    def __repr__(self) -> str:
        return "Tanh()"


class Linear(Layer):
    r"""Affine layer :math:`a = x W + b` on the last axis.

    Parameters
    ----------
    in_features, out_features : int
        Lengths of the last axis of the input and of the output.
    rng : numpy.random.Generator or int
        Source of the initial weights (an int is a seed), required so that
        every run is reproducible. Weights are drawn from
        :math:`\mathcal{N}(0, 1/\text{in\_features})`, which keeps the
        output's scale near the input's; the bias starts at 0.

    Attributes
    ----------
    weight : ndarray, shape (in_features, out_features)
    bias : ndarray, shape (out_features,)
    grad_weight, grad_bias : ndarray or None
        :math:`\partial E / \partial W` and :math:`\partial E / \partial b`
        after ``backward``.

    Notes
    -----
    With :math:`x` of shape ``(N, in)`` and upstream :math:`g` of shape
    ``(N, out)``:

    .. math::

        \frac{\partial E}{\partial W} = x^\top g, \qquad
        \frac{\partial E}{\partial b} = \sum_n g_n, \qquad
        \frac{\partial E}{\partial x} = g W^\top .

    The sums over samples make these gradients of the *mean* loss, because
    ``g`` from a loss already includes :math:`1/N`. More leading axes are
    treated as more samples.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.nn import Linear
    >>> layer = Linear(2, 3, rng=np.random.default_rng(0))
    >>> layer.forward(np.ones((4, 2))).shape
    (4, 3)
    >>> layer.backward(np.ones((4, 3))).shape
    (4, 2)
    >>> layer.grad_bias
    array([4., 4., 4.])
    """

    def __init__(
        self, in_features: int, out_features: int, *, rng: np.random.Generator | int
    ) -> None:
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
                raise TypeError(f"{name} must be an int; received {_describe(value)}")
            if value < 1:
                raise ValueError(f"{name} must be >= 1; received {value}")
        rng = _check_rng(rng)
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        scale = 1.0 / math.sqrt(self.in_features)
        self.weight = rng.normal(0.0, scale, size=(self.in_features, self.out_features))
        self.bias = np.zeros(self.out_features)
        self.grad_weight: np.ndarray | None = None
        self.grad_bias: np.ndarray | None = None
        self.x: np.ndarray | None = None

    def forward(self, x: ArrayLike) -> np.ndarray:
        self.x = None
        x = as_real_array(x, "x")
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"x has shape {x.shape}; expected a last axis of length in_features="
                f"{self.in_features}, e.g. shape (N, {self.in_features})"
            )
        self.x = _own(x)  # the caller may modify x before backward
        return x @ self.weight + self.bias

    def backward(self, g: ArrayLike) -> np.ndarray:
        if self.x is None:
            raise _not_yet(self)
        g = as_real_array(g, "g")
        expected = self.x.shape[:-1] + (self.out_features,)
        if g.shape != expected:
            raise ValueError(
                f"g has shape {g.shape}; expected {expected}, the shape of this layer's last output"
            )
        x_rows = self.x.reshape(-1, self.in_features)  # every leading axis is a sample axis
        g_rows = g.reshape(-1, self.out_features)
        self.grad_weight = x_rows.T @ g_rows  # sum over samples of x_n g_n^T
        self.grad_bias = g_rows.sum(axis=0)
        return g @ self.weight.T

    def parameters(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(weight, grad_weight)`` and ``(bias, grad_bias)``; update the arrays in place."""
        if self.grad_weight is None or self.grad_bias is None:
            done = "forward() ran but backward() has not" if self.x is not None else "neither ran"
            raise RuntimeError(
                f"Linear.parameters() has no gradients yet ({done}); the gradients come "
                "from backward(): run forward(x), then backward(g), then update the parameters"
            )
        yield self.weight, self.grad_weight
        yield self.bias, self.grad_bias

    def __repr__(self) -> str:
        return f"Linear(in_features={self.in_features}, out_features={self.out_features})"


class Sequential(Layer):
    """Layers applied in order; ``backward`` runs them in reverse.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.nn import Linear, Sequential, Softmax
    >>> model = Sequential(Linear(2, 3, rng=np.random.default_rng(0)), Softmax())
    >>> model
    Sequential(Linear(in_features=2, out_features=3), Softmax(axis=-1))
    >>> model.forward(np.zeros((1, 2)))  # zero input, zero bias: uniform
    array([[0.33333333, 0.33333333, 0.33333333]])
    """

    def __init__(self, *layers: Layer) -> None:
        for layer in layers:
            if isinstance(layer, type):
                raise TypeError(
                    f"every layer must be an instance; received the class {layer.__name__}; "
                    f"expected an instance such as {layer.__name__}() (note the parentheses)"
                )
            if not (hasattr(layer, "forward") and hasattr(layer, "backward")):
                raise TypeError(
                    f"every layer needs forward and backward methods; received {_describe(layer)}"
                )
        self.layers = list(layers)
        self._ready = False  # True after a forward pass that completed

    def forward(self, x: ArrayLike) -> np.ndarray:
        self._ready = False  # a layer that raises leaves the layers after it stale
        for layer in self.layers:
            x = layer.forward(x)
        self._ready = True
        return np.asarray(x)

    def backward(self, g: ArrayLike) -> np.ndarray:
        if not self._ready:
            raise _not_yet(self)
        for layer in reversed(self.layers):
            g = layer.backward(g)
        return np.asarray(g)

    def parameters(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for layer in self.layers:
            yield from layer.parameters()

    def __repr__(self) -> str:
        return f"Sequential({', '.join(repr(layer) for layer in self.layers)})"


class Loss:
    """Base class: ``forward(prediction, targets)`` gives a scalar, ``backward()`` its gradient."""

    def forward(self, prediction: ArrayLike, targets: ArrayLike) -> np.floating:  # pragma: no cover
        raise NotImplementedError

    def backward(self) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, prediction: ArrayLike, targets: ArrayLike) -> np.floating:
        return self.forward(prediction, targets)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _dense_targets(targets: object, shape: tuple[int, ...]) -> np.ndarray:
    """Targets of ``shape``, from a same-shape float array or integer labels of ``shape[:-1]``.

    Integer targets of ``shape`` itself are refused as ambiguous, as in the
    losses module (:func:`~softmax_course.cross_entropy`).
    """
    array = as_array(targets, "targets", "numbers")
    if array.shape == shape and array.dtype.kind in "iu":
        raise _ambiguous_targets(shape, "prediction")
    if array.shape == shape:
        return as_real_array(array, "targets")
    if len(shape) >= 1 and array.shape == shape[:-1]:
        return one_hot(array.reshape(-1), shape[-1]).reshape(shape)
    raise ValueError(
        f"targets has shape {array.shape}, which does not fit predictions of shape {shape}; "
        f"expected {shape} (one target per output) or {shape[:-1]} (integer class labels)"
    )


class SquaredError(Loss):
    r"""Half the squared error, averaged over samples: a loss on probabilities (or anything).

    .. math::

        E = \frac{1}{N} \sum_n \tfrac12 \lVert s_n - y_n \rVert^2, \qquad
        \frac{\partial E}{\partial s} = \frac{s - y}{N}.

    Targets are a floating-point array of the predictions' shape, or
    integer class labels of shape ``prediction.shape[:-1]`` (one-hot
    encoded); integer targets of the predictions' own shape are refused as
    ambiguous, as in :func:`~softmax_course.cross_entropy`. The factor
    :math:`\tfrac12` makes the gradient free of a 2.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.nn import SquaredError
    >>> loss = SquaredError()
    >>> loss.forward(np.array([[0.5, 0.5], [1.0, 0.0]]), np.array([0, 0]))
    np.float64(0.125)
    >>> loss.backward()
    array([[-0.25,  0.25],
           [ 0.  ,  0.  ]])
    """

    def __init__(self) -> None:
        self.residual: np.ndarray | None = None
        self.n = 1

    def forward(self, prediction: ArrayLike, targets: ArrayLike) -> np.floating:
        self.residual = None
        s = as_real_array(prediction, "prediction")
        if s.ndim == 0:
            raise ValueError(
                "prediction must have a class axis; received a 0-dimensional array; "
                "expected shape (K,) or (N, K)"
            )
        y = _dense_targets(targets, s.shape)
        self.n = math.prod(s.shape[:-1])
        self.residual = s - y
        return self.residual.dtype.type(0.5 * np.sum(self.residual**2) / self.n)

    def backward(self) -> np.ndarray:
        if self.residual is None:
            raise _not_yet(self)
        return self.residual / self.n


class CrossEntropy(Loss):
    r"""Cross-entropy on probabilities, for use after a separate :class:`Softmax` layer.

    .. math::

        E = -\frac{1}{N} \sum_n \sum_k y_{nk} \log s_{nk}, \qquad
        \frac{\partial E}{\partial s} = -\frac{1}{N} \frac{y}{s}.

    Wraps :func:`~softmax_course.cross_entropy` and
    :func:`~softmax_course.cross_entropy_grad`; targets are distributions of
    the predictions' shape or integer labels. Pulled back through
    :meth:`Softmax.backward` this gives :math:`(s - y)/N`, the same as the
    fused :class:`SoftmaxCrossEntropy`, which is cheaper and stays finite
    where a probability rounds to 0.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.nn import CrossEntropy
    >>> loss = CrossEntropy()
    >>> loss.forward(np.array([[0.5, 0.25, 0.25]]), np.array([0]))  # -log 0.5
    np.float64(0.6931471805599453)
    >>> loss.backward()
    array([[-2.,  0.,  0.]])
    """

    def __init__(self) -> None:
        self.s: np.ndarray | None = None
        self.targets: np.ndarray | None = None

    def forward(self, prediction: ArrayLike, targets: ArrayLike) -> np.floating:
        self.s = self.targets = None
        value = cross_entropy(prediction, targets)  # validates both
        self.s, self.targets = _own(as_array(prediction)), _own(as_array(targets))
        return value

    def backward(self) -> np.ndarray:
        if self.s is None:
            raise _not_yet(self)
        return cross_entropy_grad(self.s, self.targets)  # type: ignore[arg-type]  # set with s


class SoftmaxCrossEntropy(Loss):
    r"""Softmax and cross-entropy fused: a loss on logits with the short gradient.

    .. math::

        E = -\frac{1}{N} \sum_n \sum_k y_{nk} \log \operatorname{softmax}(z_n)_k,
        \qquad \frac{\partial E}{\partial z} = \frac{s - y}{N}
        \quad (\text{targets summing to } 1).

    Wraps :func:`~softmax_course.softmax_cross_entropy` and
    :func:`~softmax_course.softmax_cross_entropy_grad`. Use it *instead of*
    a :class:`Softmax` layer followed by :class:`CrossEntropy`: same
    gradient, no :math:`1/s`, no ``log`` of a rounded probability.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.nn import SoftmaxCrossEntropy
    >>> loss = SoftmaxCrossEntropy()
    >>> loss.forward(np.zeros((2, 4)), np.array([0, 3]))  # log 4
    np.float64(1.3862943611198906)
    >>> loss.backward()  # (1/4 - y) / 2
    array([[-0.375,  0.125,  0.125,  0.125],
           [ 0.125,  0.125,  0.125, -0.375]])
    """

    def __init__(self) -> None:
        self.z: np.ndarray | None = None
        self.targets: np.ndarray | None = None

    def forward(self, prediction: ArrayLike, targets: ArrayLike) -> np.floating:
        self.z = self.targets = None
        value = softmax_cross_entropy(prediction, targets)  # validates both
        self.z, self.targets = _own(as_array(prediction)), _own(as_array(targets))
        return value

    def backward(self) -> np.ndarray:
        if self.z is None:
            raise _not_yet(self)
        return softmax_cross_entropy_grad(self.z, self.targets)  # type: ignore[arg-type]  # set with z
