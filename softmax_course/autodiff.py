r"""A small reverse-mode automatic differentiation engine on numpy arrays.

Every operation the course uses (``+ - * / **``, ``@``, ``exp``, ``log``,
``tanh``, ``sum``, ``max`` and ``mean`` along an axis, indexing) records its
inputs and a **vector-Jacobian product** (VJP), as in lesson 05: given the
upstream gradient :math:`g = \partial E/\partial(\text{output})` it returns
:math:`\partial E/\partial(\text{input}) = J^\top g` for each input, without
building any Jacobian. :meth:`Tensor.backward` walks the recorded graph from
the output back to the inputs in reverse topological order (the *tape*) and
adds up the contributions that reach each node.

Two rules cover all the shape bookkeeping:

* **broadcast forward = sum backward.** When an input of shape ``(N, 1)``
  was stretched to ``(N, K)``, every copy sent gradient back, so the copies'
  gradients are summed over the stretched axes (:func:`unbroadcast`).
* **reduction forward = broadcast backward.** ``x.sum(axis)`` gives every
  summed entry the same upstream gradient, so ``g`` is broadcast back to
  ``x``'s shape.

This answers the question of how a library lets *any* activation meet *any*
loss: each piece only knows its own VJP, and the chain rule is their
composition.

Examples
--------
The stable softmax cross-entropy written as small steps rediscovers
:math:`\partial E/\partial z = (S - Y)/N`:

>>> import numpy as np
>>> from softmax_course.autodiff import Tensor, exp, log
>>> z = Tensor(np.array([[1.0, 2.0, 3.0], [1.0, 0.0, -1.0]]))
>>> y = np.array([2, 0])
>>> u = z - z.max(axis=1, keepdims=True)
>>> log_s = u - log(exp(u).sum(axis=1, keepdims=True))
>>> E = -log_s[np.arange(2), y].mean()
>>> E.backward()
>>> S = np.exp(log_s.value)
>>> np.allclose(z.grad, (S - np.eye(3)[y]) / 2)
True
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from softmax_course._validation import _describe, as_real_array

__all__ = [
    "Tensor",
    "exp",
    "grad",
    "log",
    "softmax_cross_entropy",
    "tanh",
    "unbroadcast",
]


def unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``g`` over the axes along which an array of ``shape`` was broadcast.

    The backward half of "broadcast forward = sum backward".

    Parameters
    ----------
    g : ndarray
        Gradient with respect to the broadcast result.
    shape : tuple of int
        Shape of the input before broadcasting.

    Returns
    -------
    ndarray of shape ``shape``

    Examples
    --------
    >>> import numpy as np
    >>> unbroadcast(np.ones((2, 3)), (2, 1))  # each row's single entry was used 3 times
    array([[3.],
           [3.]])
    >>> unbroadcast(np.ones((2, 3)), (3,))  # a bias added to 2 rows
    array([2., 2., 2.])
    """
    while g.ndim > len(shape):  # axes that broadcasting added in front
        g = g.sum(axis=0)
    stretched = tuple(axis for axis, n in enumerate(shape) if n == 1 and g.shape[axis] != 1)
    return g.sum(axis=stretched, keepdims=True) if stretched else g


def _as_tensor(x: object) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)  # type: ignore[arg-type]  # Tensor validates it


class Tensor:
    r"""A numpy array that remembers how it was computed, for the backward pass.

    Parameters
    ----------
    value : array_like
        Real numbers, stored as float64 (the engine's gradients are compared with
        finite differences, which need double precision); complex raises ``TypeError``.
        The tensor stores a **copy**, as ``numpy.array`` and ``torch.tensor`` do:
        writing into the caller's array afterwards changes neither the value nor
        any gradient computed from it.
    name : str, optional
        A label shown in the ``repr``, handy when checking intermediate steps.

    Attributes
    ----------
    value : ndarray
        The forward value.
    grad : ndarray or None
        :math:`\partial E/\partial(\text{this})` after ``E.backward()``, same shape as ``value``.

    Examples
    --------
    >>> import numpy as np
    >>> a = Tensor(np.array([1.0, 2.0]), name="a")
    >>> b = (a * a).sum()  # sum of squares
    >>> b.backward()
    >>> a.grad  # 2 a
    array([2., 4.])
    >>> a
    Tensor(a, shape=(2,))
    """

    __array_ufunc__ = None  # `ndarray + Tensor` defers to Tensor.__radd__

    def __init__(
        self,
        value: ArrayLike,
        name: str = "",
        *,
        _parents: tuple[Tensor, ...] = (),
        _vjp: Callable[[np.ndarray], Sequence[np.ndarray]] | None = None,
    ) -> None:
        if isinstance(value, Tensor):
            raise TypeError(
                f"value must be an array; received a Tensor ({value!r}); use it directly"
            )
        array = as_real_array(value, "value")
        if _parents:  # computed by an operation: a fresh array the engine owns
            self.value = array if array.dtype == np.float64 else array.astype(np.float64)
        else:  # a leaf: copy, so later writes to the caller's array cannot change gradients
            self.value = np.array(array, dtype=np.float64, copy=True)
        self.name = name
        self.grad: np.ndarray | None = None
        self._parents = _parents
        self._vjp = _vjp

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    def __repr__(self) -> str:
        return f"Tensor({self.name or '?'}, shape={self.shape})"

    # --- the backward pass -----------------------------------------------------------------

    def backward(self, g: ArrayLike | None = None) -> None:
        r"""Fill ``.grad`` of this tensor and of every tensor it was computed from.

        Parameters
        ----------
        g : array_like, optional
            The upstream gradient :math:`\partial E/\partial(\text{this})`. Omit it
            when this tensor is the scalar loss :math:`E` itself (then ``g = 1``).

        Raises
        ------
        ValueError
            If ``g`` is omitted for a non-scalar, or has the wrong shape.

        Notes
        -----
        The tape is the graph in reverse topological order: a node's VJP runs
        only after every use of the node has added its share to ``node.grad``
        (a value used twice receives the *sum* of both gradients). Gradients
        are recomputed, not accumulated across calls.
        """
        if g is None:
            if self.value.size != 1:
                raise ValueError(
                    f"g is required for a non-scalar output of shape {self.shape}; "
                    "pass dE/d(output) or call backward() on the scalar loss"
                )
            g = np.ones(self.shape)
        g = as_real_array(g, "g")
        if g.shape != self.shape:
            raise ValueError(f"g has shape {g.shape}; expected {self.shape}, this tensor's shape")
        tape = self._topological_order()
        for node in tape:
            node.grad = np.zeros(node.shape)
        self.grad = self.grad + g
        for node in reversed(tape):  # outputs before the inputs they were computed from
            if node._vjp is None:
                continue
            for parent, parent_grad in zip(node._parents, node._vjp(node.grad), strict=True):  # type: ignore[arg-type]
                parent.grad = parent.grad + parent_grad

    def _topological_order(self) -> list[Tensor]:
        order: list[Tensor] = []
        seen: set[int] = set()
        stack: list[tuple[Tensor, bool]] = [(self, False)]
        while stack:  # an iterative depth-first search: deep graphs don't hit recursion limits
            node, children_done = stack.pop()
            if children_done:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((parent, False) for parent in node._parents if id(parent) not in seen)
        return order

    # --- elementwise arithmetic, with broadcasting -------------------------------------------

    def __add__(self, other: object) -> Tensor:
        a, b = self, _as_tensor(other)
        return Tensor(
            a.value + b.value,
            _parents=(a, b),
            _vjp=lambda g: (unbroadcast(g, a.shape), unbroadcast(g, b.shape)),
        )

    def __sub__(self, other: object) -> Tensor:
        a, b = self, _as_tensor(other)
        return Tensor(
            a.value - b.value,
            _parents=(a, b),
            _vjp=lambda g: (unbroadcast(g, a.shape), unbroadcast(-g, b.shape)),
        )

    def __mul__(self, other: object) -> Tensor:
        a, b = self, _as_tensor(other)
        return Tensor(
            a.value * b.value,
            _parents=(a, b),
            _vjp=lambda g: (unbroadcast(g * b.value, a.shape), unbroadcast(g * a.value, b.shape)),
        )

    def __truediv__(self, other: object) -> Tensor:
        a, b = self, _as_tensor(other)
        return Tensor(
            a.value / b.value,
            _parents=(a, b),
            _vjp=lambda g: (
                unbroadcast(g / b.value, a.shape),  # d(a/b)/da = 1/b
                # d(a/b)/db = -a/b^2, evaluated as -(g (a/b))/b: b**2 would overflow
                # (b = 1e200) or underflow (b = 1e-200) where the gradient is finite.
                unbroadcast(-(g * (a.value / b.value)) / b.value, b.shape),
            ),
        )

    def __pow__(self, power: float) -> Tensor:
        if isinstance(power, Tensor) or not np.isscalar(power) or isinstance(power, (str, bool)):
            raise TypeError(f"power must be a real number; received {_describe(power)}")
        a, c = self, float(power)

        def vjp(g: np.ndarray) -> tuple[np.ndarray]:
            if c == 0.0:  # x**0 = 1 is constant: gradient 0, also at x = 0 (not 0 * 0**-1)
                return (np.zeros(a.shape),)
            return (g * c * a.value ** (c - 1),)

        return Tensor(a.value**c, _parents=(a,), _vjp=vjp)

    def __neg__(self) -> Tensor:
        return self * -1.0

    def __radd__(self, other: object) -> Tensor:
        return _as_tensor(other) + self

    def __rsub__(self, other: object) -> Tensor:
        return _as_tensor(other) - self

    def __rmul__(self, other: object) -> Tensor:
        return _as_tensor(other) * self

    def __rtruediv__(self, other: object) -> Tensor:
        return _as_tensor(other) / self

    def __matmul__(self, other: object) -> Tensor:
        r"""Matrix product: for :math:`C = AB` VJPs :math:`g B^\top` and :math:`A^\top g`."""
        a, b = self, _as_tensor(other)
        for name, t in (("left operand", a), ("right operand", b)):
            if t.value.ndim < 2:
                raise ValueError(
                    f"the {name} of @ has shape {t.shape}; expected at least 2 axes, "
                    "e.g. a row (1, K) or a column (K, 1) instead of a vector"
                )
        return Tensor(
            a.value @ b.value,
            _parents=(a, b),
            _vjp=lambda g: (
                unbroadcast(g @ np.swapaxes(b.value, -1, -2), a.shape),
                unbroadcast(np.swapaxes(a.value, -1, -2) @ g, b.shape),
            ),
        )

    def __rmatmul__(self, other: object) -> Tensor:
        return _as_tensor(other) @ self

    # --- reductions (reduction forward = broadcast backward) ----------------------------------

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Sum along ``axis``; backward broadcasts ``g`` back to every summed entry."""
        a = self
        axes = _axes(axis, a.value.ndim)

        def vjp(g: np.ndarray) -> tuple[np.ndarray]:
            if not keepdims:  # put the summed axes back as length-1 axes, then broadcast
                g = np.expand_dims(g, axes)
            return (np.broadcast_to(g, a.shape).copy(),)

        return Tensor(a.value.sum(axis=axes, keepdims=keepdims), _parents=(a,), _vjp=vjp)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """The sum divided by the count: a composition, so it needs no VJP of its own.

        The mean of no entries is NaN with numpy's ``RuntimeWarning`` "Mean of
        empty slice", as ``np.mean`` gives (PyTorch gives NaN too); its
        gradient with respect to the empty input is an empty array.
        """
        axes = _axes(axis, self.value.ndim)
        count = int(np.prod([self.shape[i] for i in axes]))
        if count == 0:
            warnings.warn("Mean of empty slice", RuntimeWarning, stacklevel=2)
            return self.sum(axis=axes, keepdims=keepdims) * np.nan
        return self.sum(axis=axes, keepdims=keepdims) * (1.0 / count)

    def max(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """Maximum along ``axis``; the gradient goes to the entry that was the maximum.

        Ties share the gradient equally (a subgradient): each of the ``c``
        tied entries receives ``g / c``. Libraries differ here: JAX's
        ``jnp.max`` splits it the same way, and so does PyTorch's full
        reduction ``torch.max(x)`` (``amax`` too), while PyTorch's
        ``torch.max(x, dim)`` sends the whole gradient to the one index it
        returns.
        """
        a = self
        axes = _axes(axis, a.value.ndim)
        m = a.value.max(axis=axes, keepdims=True)

        def vjp(g: np.ndarray) -> tuple[np.ndarray]:
            if not keepdims:
                g = np.expand_dims(g, axes)
            winners = (a.value == m).astype(np.float64)
            return (g * winners / winners.sum(axis=axes, keepdims=True),)

        value = m if keepdims else np.squeeze(m, axis=axes)
        return Tensor(value, _parents=(a,), _vjp=vjp)

    # --- indexing ------------------------------------------------------------------------------

    def __getitem__(self, index: Any) -> Tensor:
        """``x[index]``, e.g. ``z[np.arange(N), y]`` picks each sample's label entry.

        Backward scatters ``g`` into zeros with ``np.add.at``, so an entry
        picked twice receives both gradients.
        """
        a = self

        def vjp(g: np.ndarray) -> tuple[np.ndarray]:
            scattered = np.zeros(a.shape)
            np.add.at(scattered, index, g)
            return (scattered,)

        return Tensor(a.value[index], _parents=(a,), _vjp=vjp)

    def reshape(self, *shape: int) -> Tensor:
        a = self
        return Tensor(a.value.reshape(*shape), _parents=(a,), _vjp=lambda g: (g.reshape(a.shape),))


def _axes(axis: int | tuple[int, ...] | None, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if not isinstance(axis, (tuple, list)) else tuple(axis)
    for ax in axes:
        if isinstance(ax, (bool, np.bool_)) or not isinstance(ax, (int, np.integer)):
            raise TypeError(f"axis must be an int, a tuple of ints or None; received {axis!r}")
        if not -ndim <= ax < ndim:
            raise ValueError(f"axis {ax} is out of range for an array with {ndim} axes")
    return tuple(sorted(int(ax) % ndim for ax in axes))


# --- elementwise functions -------------------------------------------------------------------


def exp(x: Tensor | ArrayLike) -> Tensor:
    r"""Elementwise :math:`e^x`; VJP :math:`g \odot e^x` (the output itself).

    Examples
    --------
    >>> t = Tensor([0.0, 1.0]); exp(t).sum().backward(); t.grad.round(4)
    array([1.    , 2.7183])
    """
    a = _as_tensor(x)
    out = np.exp(a.value)
    return Tensor(out, _parents=(a,), _vjp=lambda g: (g * out,))


def log(x: Tensor | ArrayLike) -> Tensor:
    r"""Elementwise :math:`\log x`; VJP :math:`g / x`.

    Examples
    --------
    >>> t = Tensor([1.0, 4.0]); log(t).sum().backward(); t.grad
    array([1.  , 0.25])
    """
    a = _as_tensor(x)
    return Tensor(np.log(a.value), _parents=(a,), _vjp=lambda g: (g / a.value,))


def tanh(x: Tensor | ArrayLike) -> Tensor:
    r"""Elementwise :math:`h = \tanh x`; VJP :math:`g \odot (1 - h^2)`.

    Examples
    --------
    >>> t = Tensor([0.0]); tanh(t).sum().backward(); t.grad
    array([1.])
    """
    a = _as_tensor(x)
    h = np.tanh(a.value)
    return Tensor(h, _parents=(a,), _vjp=lambda g: (g * (1.0 - h**2),))


# --- compositions and a functional front end ---------------------------------------------------


def softmax_cross_entropy(z: Tensor, labels: ArrayLike) -> Tensor:
    r"""Mean cross-entropy of ``softmax(z)`` against integer labels, built from the primitives.

    The stable chain of lesson 09: row max, subtract, exp, row sum, log,
    pick the label's entry, mean. No VJP is written for it: the engine
    composes those of the steps, and finds :math:`(S - Y)/N`.

    Parameters
    ----------
    z : Tensor of shape (N, K)
        Logits.
    labels : array_like of int, shape (N,)
        Class labels in ``[0, K)``.

    Raises
    ------
    ValueError
        If ``z`` is not of shape ``(N, K)`` with ``N, K >= 1`` (a mean over no
        samples is undefined; the core loss refuses it too), or a label is
        negative or not below ``K`` (``-1`` would silently pick the last class).

    Examples
    --------
    >>> import numpy as np
    >>> z = Tensor(np.zeros((2, 4)))
    >>> E = softmax_cross_entropy(z, [0, 3])
    >>> float(E.value) == float(np.log(4))
    True
    >>> E.backward(); z.grad  # (1/4 - Y) / 2
    array([[-0.375,  0.125,  0.125,  0.125],
           [ 0.125,  0.125,  0.125, -0.375]])
    """
    z = _as_tensor(z)
    labels = np.asarray(labels)
    if z.value.ndim != 2 or labels.shape != z.shape[:1] or labels.dtype.kind not in "iu":
        raise ValueError(
            f"z has shape {z.shape} and labels shape {labels.shape} (dtype {labels.dtype}); "
            "expected z of shape (N, K) and integer labels of shape (N,)"
        )
    if 0 in z.shape:
        raise ValueError(
            f"z must hold at least one sample and one class; received shape {z.shape}; "
            "expected every axis to have length >= 1"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= z.shape[1]):
        bad = int(labels.min()) if labels.min() < 0 else int(labels.max())
        raise ValueError(
            f"labels must be class indices in [0, {z.shape[1]}); received {bad} "
            "(negative indices do not wrap around here)"
        )
    u = z - z.max(axis=1, keepdims=True)
    log_s = u - log(exp(u).sum(axis=1, keepdims=True))
    return -log_s[np.arange(len(labels)), labels].mean()


def grad(f: Callable[..., Tensor], *arrays: ArrayLike) -> tuple[np.ndarray, ...]:
    r"""Gradients of a scalar function of arrays, one per argument.

    Parameters
    ----------
    f : callable
        ``f(*tensors)`` built from the operations of this module, returning
        a scalar :class:`Tensor`.
    *arrays : array_like
        The point at which to differentiate.

    Returns
    -------
    tuple of ndarray
        :math:`\partial f/\partial a_i` for each argument, shaped like it; zeros
        for an argument the output does not depend on (as JAX gives).

    Examples
    --------
    >>> import numpy as np
    >>> grad(lambda a, b: (a * b).sum(), np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    (array([3., 4.]), array([1., 2.]))
    """
    if not callable(f):
        raise TypeError(f"f must be callable; received {_describe(f)}")
    inputs = [Tensor(a, name=f"argument {i}") for i, a in enumerate(arrays)]
    out = f(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"f must return a Tensor; received {_describe(out)}")
    out.backward()
    return tuple(np.zeros(t.shape) if t.grad is None else t.grad for t in inputs)
