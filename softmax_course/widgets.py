r"""Interactive explorers for the lessons: move a slider, watch softmax respond.

Three explorers, each a small class that holds its widgets and recomputes
every number in one plain method, :meth:`update`, called by the widgets'
``observe`` handlers. So the logic runs (and is tested) without a browser:
setting ``explorer.temperature.value = 2.0`` in plain Python fires the
handler at once, and ``explorer.state`` and the text widgets show the result.

- :func:`logits_explorer`: a slider per logit and a temperature slider; a
  bar chart of the probabilities, their values and the entropy.
- :func:`jacobian_explorer`: the Jacobian :math:`\operatorname{diag}(s) - s s^\top`
  as a coloured table (a heat-map with the numbers written in), updating
  with the logit sliders.
- :func:`gradient_step_explorer`: logits, a target class and a learning
  rate; shows :math:`s`, the cross-entropy gradient :math:`s - y` and the
  loss before and after one gradient step, which a button can take.

An explorer displays itself in Jupyter (it has ``_repr_mimebundle_``), and its
``widget`` attribute is the ``ipywidgets.VBox`` to embed elsewhere. The bars
and the heat-map are drawn as HTML inside ``ipywidgets.HTML`` widgets, not as
matplotlib figures, so they render wherever widgets render and update without
flicker.

For browser tests, the numbers are also printed as text with 4 decimals in
HTML widgets carrying these CSS classes:

============================================ ========================================
CSS class                                    text
============================================ ========================================
``softmax-course-probabilities``             ``s = [0.8360, 0.1131, 0.0508]``
``softmax-course-entropy``                   ``H(s) = 0.5245 nats (at most log K = 1.0986)``
``softmax-course-jacobian``                  the Jacobian table, one ``<td>`` per entry
``softmax-course-gradient``                  ``dE/dz = s - y = [...]``
``softmax-course-loss``                      ``loss before = ..., after one step = ...``
============================================ ========================================

ipywidgets is imported when an explorer is created, never at
``import softmax_course``.

Examples
--------
>>> from softmax_course.widgets import logits_explorer
>>> explorer = logits_explorer([3.0, 1.0, 0.2])
>>> explorer.probabilities_text.value
'<code>s = [0.8360, 0.1131, 0.0508]</code>'
>>> explorer.temperature.value = 10.0  # fires the observer, as dragging would
>>> explorer.probabilities_text.value
'<code>s = [0.3884, 0.3180, 0.2936]</code>'
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np

from softmax_course._validation import as_real_array, check_positive_scalar
from softmax_course.core import log_softmax, softmax

__all__ = [
    "GradientStepExplorer",
    "JacobianExplorer",
    "LogitsExplorer",
    "format_vector",
    "gradient_step_explorer",
    "jacobian_explorer",
    "logits_explorer",
]

DEFAULT_LOGITS = (3.0, 1.0, 0.2)
LOGIT_RANGE = (-10.0, 10.0)
TEMPERATURE_RANGE = (0.1, 10.0)
LEARNING_RATE_RANGE = (0.0, 5.0)
_BAR_WIDTH_PX = 240


def _ipywidgets():
    """Import ipywidgets on first use, with a message saying how to get it."""
    try:
        import ipywidgets
    except ImportError as error:
        raise ImportError(
            "softmax_course.widgets needs ipywidgets, which is not installed: "
            "pip install 'softmax-course[widgets]'"
        ) from error
    return ipywidgets


def format_vector(values: Sequence[float] | np.ndarray, decimals: int = 4) -> str:
    """Format numbers as ``[0.8360, 0.1131]`` with a fixed number of decimals.

    The text the explorers print is made here, so tests and browser checks
    can build the string they expect with the same function.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.widgets import format_vector
    >>> format_vector(np.array([0.5, 1 / 3, -0.0]))
    '[0.5000, 0.3333, 0.0000]'
    """
    # -0.0 prints as 0.0000: a sign on zero is noise to a reader.
    return "[" + ", ".join(f"{float(v) + 0.0:.{decimals}f}" for v in np.ravel(values)) + "]"


def _check_logits(logits: object) -> np.ndarray:
    """1-D finite logits with at least two classes, as float64."""
    if logits is None:
        return np.array(DEFAULT_LOGITS)
    z = as_real_array(logits, "logits").astype(np.float64)
    if z.ndim != 1 or z.size < 2:
        raise ValueError(
            f"logits must be a 1-D sequence of at least 2 numbers (one per class); "
            f"received shape {z.shape}"
        )
    if not np.all(np.isfinite(z)):
        raise ValueError(f"logits must be finite; received {format_vector(z)}")
    return z


def _bars(values: np.ndarray, labels: Sequence[str], *, color: str = "#4c72b0") -> str:
    """A horizontal bar chart in HTML: one row per class, bar length proportional to value."""
    rows = []
    for label, value in zip(labels, values, strict=True):
        width = max(0.0, min(1.0, float(value))) * _BAR_WIDTH_PX
        rows.append(
            '<div style="display:flex;align-items:center;gap:8px;font-family:monospace;'
            'height:20px">'
            f'<span style="width:7em;text-align:right">{html.escape(label)}</span>'
            f'<span style="display:inline-block;width:{_BAR_WIDTH_PX}px;height:14px;'
            'background:#eee">'
            f'<span style="display:block;width:{width:.1f}px;height:14px;'
            f'background:{color}"></span></span>'
            f"<span>{float(value):.4f}</span></div>"
        )
    return '<div class="softmax-course-bars">' + "".join(rows) + "</div>"


def _heatmap(matrix: np.ndarray, labels: Sequence[str]) -> str:
    """A table whose cells are coloured by sign and size: red positive, blue negative."""
    scale = float(np.max(np.abs(matrix))) or 1.0
    header = "".join(
        f'<th style="padding:2px 6px">&part;{html.escape(label)}</th>' for label in labels
    )
    body = []
    for i in range(len(labels)):
        cells = []
        for value in matrix[i]:
            alpha = abs(float(value)) / scale
            rgb = "214,39,40" if value > 0 else "31,119,180"
            cells.append(
                f'<td style="padding:2px 6px;text-align:right;font-family:monospace;'
                f'background:rgba({rgb},{alpha:.3f})">{float(value) + 0.0:.4f}</td>'
            )
        row_label = f"&part;s{i}"
        body.append(f'<tr><th style="padding:2px 6px">{row_label}</th>{"".join(cells)}</tr>')
    return (
        '<table class="softmax-course-jacobian" style="border-collapse:collapse">'
        f'<tr><th style="padding:2px 6px">J</th>{header}</tr>{"".join(body)}</table>'
    )


class _Explorer:
    """Shared parts: the logit sliders, the widget tree and the display hook."""

    widget: Any
    logit_sliders: list[Any]

    def _make_logit_sliders(self, z: np.ndarray) -> list[Any]:
        widgets = _ipywidgets()
        low = min(LOGIT_RANGE[0], float(np.floor(z.min())))
        high = max(LOGIT_RANGE[1], float(np.ceil(z.max())))
        self.labels = [f"z{k}" for k in range(z.size)]
        sliders = [
            widgets.FloatSlider(
                value=float(value),
                min=low,
                max=high,
                step=0.1,
                description=label,
                readout_format=".2f",
                continuous_update=True,
            )
            for label, value in zip(self.labels, z, strict=True)
        ]
        for slider in sliders:
            slider.observe(self._on_change, names="value")
        return sliders

    @property
    def logits(self) -> np.ndarray:
        """The logits currently set on the sliders."""
        return np.array([slider.value for slider in self.logit_sliders], dtype=np.float64)

    def set_logits(self, logits: Sequence[float] | np.ndarray) -> None:
        """Move every logit slider at once (the display updates once per slider)."""
        z = _check_logits(logits)
        if z.size != len(self.logit_sliders):
            raise ValueError(
                f"logits must have {len(self.logit_sliders)} entries, one per slider; "
                f"received {z.size}"
            )
        for slider, value in zip(self.logit_sliders, z, strict=True):
            slider.value = float(value)

    def _on_change(self, change: dict[str, Any]) -> None:
        self.update()

    def update(self) -> None:  # pragma: no cover - every explorer defines it
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        # Jupyter shows the VBox: displaying the explorer is displaying its widget. Where
        # widgets cannot render (a static page), the short text below stands in for it.
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):
            bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{key}={format_vector(value) if isinstance(value, np.ndarray) else repr(value)}"
            for key, value in self._summary().items()
        )
        return f"{type(self).__name__}({shown})"

    def _summary(self) -> dict[str, Any]:
        return {"logits": self.logits}


class LogitsExplorer(_Explorer):
    """Sliders for the logits and the temperature; bars, values and entropy of softmax.

    Use :func:`logits_explorer` to create one.

    Attributes
    ----------
    logit_sliders : list of ipywidgets.FloatSlider
        One slider per logit, described ``z0``, ``z1``, ...
    temperature : ipywidgets.FloatSlider
        The temperature :math:`T`.
    bars : ipywidgets.HTML
        The bar chart of the probabilities.
    probabilities_text : ipywidgets.HTML
        ``s = [...]`` with 4 decimals (CSS class ``softmax-course-probabilities``).
    entropy_text : ipywidgets.HTML
        The entropy in nats and its maximum :math:`\\log K`.
    state : dict
        ``logits``, ``temperature``, ``probabilities``, ``entropy`` after the last update.
    widget : ipywidgets.VBox
        Everything above, laid out.
    """

    def __init__(self, logits: object = None, temperature: float = 1.0) -> None:
        widgets = _ipywidgets()
        z = _check_logits(logits)
        temperature = check_positive_scalar(temperature, "temperature")
        self.logit_sliders = self._make_logit_sliders(z)
        self.temperature = widgets.FloatSlider(
            value=temperature,
            min=min(TEMPERATURE_RANGE[0], temperature),
            max=max(TEMPERATURE_RANGE[1], temperature),
            step=0.1,
            description="T",
            readout_format=".2f",
            continuous_update=True,
        )
        self.temperature.observe(self._on_change, names="value")
        self.bars = widgets.HTML()
        self.probabilities_text = widgets.HTML()
        self.probabilities_text.add_class("softmax-course-probabilities")
        self.entropy_text = widgets.HTML()
        self.entropy_text.add_class("softmax-course-entropy")
        self.state: dict[str, Any] = {}
        self.widget = widgets.VBox(
            [
                widgets.HTML("<b>Logits</b> z and <b>temperature</b> T"),
                *self.logit_sliders,
                self.temperature,
                widgets.HTML("<b>Probabilities</b> s = softmax(z / T)"),
                self.bars,
                self.probabilities_text,
                self.entropy_text,
            ]
        )
        self.update()

    def _summary(self) -> dict[str, Any]:
        return {
            "logits": self.logits,
            "temperature": float(self.temperature.value),
            "probabilities": self.state["probabilities"],
        }

    def update(self) -> None:
        """Recompute the probabilities and entropy from the sliders and redraw."""
        z, T = self.logits, float(self.temperature.value)
        s = softmax(z, temperature=T)
        # H = -sum s log s, with log s from log_softmax so that s = 0 never meets log 0.
        entropy = float(-np.sum(s * log_softmax(z, temperature=T)))
        self.state = {"logits": z, "temperature": T, "probabilities": s, "entropy": entropy}
        self.bars.value = _bars(s, self.labels)
        self.probabilities_text.value = f"<code>s = {format_vector(s)}</code>"
        self.entropy_text.value = (
            f"<code>H(s) = {entropy:.4f} nats (at most log K = {np.log(z.size):.4f})</code>"
        )


class JacobianExplorer(_Explorer):
    """Logit sliders and the softmax Jacobian ``diag(s) - s s^T`` as a heat-map table.

    Use :func:`jacobian_explorer` to create one.

    Attributes
    ----------
    logit_sliders : list of ipywidgets.FloatSlider
    heatmap : ipywidgets.HTML
        The Jacobian as a table (CSS class ``softmax-course-jacobian``): red
        cells are positive (the diagonal), blue negative; the numbers have 4
        decimals.
    probabilities_text : ipywidgets.HTML
        ``s = [...]``.
    properties_text : ipywidgets.HTML
        Row sums (all 0: :math:`J \\mathbf{1} = 0`) and the largest entry.
    state : dict
        ``logits``, ``probabilities``, ``jacobian`` after the last update.
    widget : ipywidgets.VBox
    """

    def __init__(self, logits: object = None) -> None:
        widgets = _ipywidgets()
        z = _check_logits(logits)
        self.logit_sliders = self._make_logit_sliders(z)
        self.heatmap = widgets.HTML()
        self.probabilities_text = widgets.HTML()
        self.probabilities_text.add_class("softmax-course-probabilities")
        self.properties_text = widgets.HTML()
        self.state: dict[str, Any] = {}
        self.widget = widgets.VBox(
            [
                widgets.HTML("<b>Logits</b> z"),
                *self.logit_sliders,
                self.probabilities_text,
                widgets.HTML(
                    "<b>Jacobian</b> J[i, j] = &part;s_i/&part;z_j = s_i (&delta;_ij - s_j)"
                ),
                self.heatmap,
                self.properties_text,
            ]
        )
        self.update()

    def update(self) -> None:
        """Recompute s and its Jacobian from the sliders and redraw the table."""
        z = self.logits
        s = softmax(z)
        J = np.diag(s) - np.outer(s, s)  # s_i (delta_ij - s_j), written out as in lesson 04
        self.state = {"logits": z, "probabilities": s, "jacobian": J}
        self.probabilities_text.value = f"<code>s = {format_vector(s)}</code>"
        self.heatmap.value = _heatmap(J, self.labels)
        self.properties_text.value = (
            f"<code>row sums = {format_vector(J.sum(axis=1))} (J 1 = 0: shifting every logit "
            f"changes nothing); largest entry = {J.max():.4f} (at most 1/4)</code>"
        )


class GradientStepExplorer(_Explorer):
    """One step of gradient descent on the cross-entropy of softmax, for one sample.

    Use :func:`gradient_step_explorer` to create one.

    Attributes
    ----------
    logit_sliders : list of ipywidgets.FloatSlider
    target : ipywidgets.Dropdown
        The true class.
    learning_rate : ipywidgets.FloatSlider
    step_button : ipywidgets.Button
        Moves the logit sliders to the logits after the step.
    bars, bars_after : ipywidgets.HTML
        Probabilities before and after the step.
    probabilities_text, gradient_text, loss_text : ipywidgets.HTML
        The numbers with 4 decimals (CSS classes ``softmax-course-probabilities``,
        ``softmax-course-gradient``, ``softmax-course-loss``).
    state : dict
        ``logits``, ``target``, ``learning_rate``, ``probabilities``,
        ``gradient``, ``loss``, ``logits_after``, ``probabilities_after``,
        ``loss_after`` after the last update.
    widget : ipywidgets.VBox
    """

    def __init__(self, logits: object = None, target: int = 0, learning_rate: float = 1.0) -> None:
        widgets = _ipywidgets()
        z = _check_logits(logits)
        K = z.size
        if isinstance(target, (bool, np.bool_)) or not isinstance(target, (int, np.integer)):
            raise TypeError(f"target must be a class index (int); received {target!r}")
        if not 0 <= int(target) < K:
            raise ValueError(f"target must be a class index in [0, {K - 1}]; received {target}")
        learning_rate = float(learning_rate)
        if not (np.isfinite(learning_rate) and learning_rate >= 0):
            raise ValueError(f"learning_rate must be finite and >= 0; received {learning_rate!r}")
        self.logit_sliders = self._make_logit_sliders(z)
        self.target = widgets.Dropdown(
            options=[(f"class {k} (z{k})", k) for k in range(K)],
            value=int(target),
            description="target",
        )
        self.learning_rate = widgets.FloatSlider(
            value=learning_rate,
            min=LEARNING_RATE_RANGE[0],
            max=max(LEARNING_RATE_RANGE[1], learning_rate),
            step=0.05,
            description="rate",
            readout_format=".2f",
        )
        self.target.observe(self._on_change, names="value")
        self.learning_rate.observe(self._on_change, names="value")
        self.step_button = widgets.Button(description="take the step")
        self.step_button.on_click(lambda _button: self.step())
        self.bars = widgets.HTML()
        self.bars_after = widgets.HTML()
        self.probabilities_text = widgets.HTML()
        self.probabilities_text.add_class("softmax-course-probabilities")
        self.gradient_text = widgets.HTML()
        self.gradient_text.add_class("softmax-course-gradient")
        self.loss_text = widgets.HTML()
        self.loss_text.add_class("softmax-course-loss")
        self.state: dict[str, Any] = {}
        self.widget = widgets.VBox(
            [
                widgets.HTML("<b>Logits</b> z, <b>target</b> class and <b>learning rate</b>"),
                *self.logit_sliders,
                self.target,
                self.learning_rate,
                widgets.HTML("<b>Before the step</b>: s = softmax(z)"),
                self.bars,
                self.probabilities_text,
                self.gradient_text,
                widgets.HTML("<b>After one step</b>: z - rate &times; (s - y)"),
                self.bars_after,
                self.loss_text,
                self.step_button,
            ]
        )
        self.update()

    def _summary(self) -> dict[str, Any]:
        return {
            "logits": self.logits,
            "target": int(self.target.value),
            "learning_rate": float(self.learning_rate.value),
        }

    def update(self) -> None:
        """Recompute s, the gradient s - y, and the loss before and after one step."""
        z = self.logits
        k = int(self.target.value)
        rate = float(self.learning_rate.value)
        y = np.zeros_like(z)
        y[k] = 1.0
        s = softmax(z)
        gradient = s - y  # dE/dz for E = -log s_k (one sample, so N = 1)
        loss = float(-log_softmax(z)[k])
        z_after = z - rate * gradient
        s_after = softmax(z_after)
        loss_after = float(-log_softmax(z_after)[k])
        self.state = {
            "logits": z,
            "target": k,
            "learning_rate": rate,
            "probabilities": s,
            "gradient": gradient,
            "loss": loss,
            "logits_after": z_after,
            "probabilities_after": s_after,
            "loss_after": loss_after,
        }
        highlight = [f"{label}{' target' if i == k else ''}" for i, label in enumerate(self.labels)]
        self.bars.value = _bars(s, highlight)
        self.bars_after.value = _bars(s_after, highlight, color="#55a868")
        self.probabilities_text.value = f"<code>s = {format_vector(s)}</code>"
        self.gradient_text.value = f"<code>dE/dz = s - y = {format_vector(gradient)}</code>"
        self.loss_text.value = (
            f"<code>loss before = {loss:.4f}, after one step = {loss_after:.4f}</code>"
        )

    def step(self) -> None:
        """Take the step: move the logit sliders to ``z - rate * (s - y)``."""
        z_after = self.state["logits_after"]
        for slider in self.logit_sliders:  # widen a slider's range if the step leaves it
            slider.min = min(slider.min, float(np.floor(z_after.min())))
            slider.max = max(slider.max, float(np.ceil(z_after.max())))
        self.set_logits(z_after)


def logits_explorer(logits: object = None, temperature: float = 1.0) -> LogitsExplorer:
    """A slider per logit and a temperature slider, with the softmax bars and entropy.

    Parameters
    ----------
    logits : array_like, optional
        Starting logits, 1-D with at least 2 entries. Default ``[3.0, 1.0, 0.2]``.
    temperature : float, optional
        Starting temperature :math:`T > 0`. Default 1.

    Returns
    -------
    LogitsExplorer
        Displays itself in Jupyter; ``.widget`` is the ``ipywidgets.VBox``.

    Raises
    ------
    ValueError, TypeError
        If ``logits`` is not a finite 1-D sequence of at least 2 numbers, or
        ``temperature`` is not finite and positive.

    Examples
    --------
    >>> from softmax_course.widgets import logits_explorer
    >>> explorer = logits_explorer([1.0, 1.0])
    >>> round(explorer.state["entropy"], 4)  # two equal logits: log 2, the most uncertain
    0.6931
    >>> explorer.entropy_text.value
    '<code>H(s) = 0.6931 nats (at most log K = 0.6931)</code>'
    """
    return LogitsExplorer(logits, temperature)


def jacobian_explorer(logits: object = None) -> JacobianExplorer:
    """Logit sliders and a heat-map of the softmax Jacobian that follows them.

    Parameters
    ----------
    logits : array_like, optional
        Starting logits, 1-D with at least 2 entries. Default ``[3.0, 1.0, 0.2]``.

    Returns
    -------
    JacobianExplorer
        Displays itself in Jupyter; ``.widget`` is the ``ipywidgets.VBox``.

    Examples
    --------
    >>> from softmax_course.widgets import jacobian_explorer
    >>> explorer = jacobian_explorer([0.0, 0.0])
    >>> explorer.state["jacobian"]
    array([[ 0.25, -0.25],
           [-0.25,  0.25]])
    """
    return JacobianExplorer(logits)


def gradient_step_explorer(
    logits: object = None, target: int = 0, learning_rate: float = 1.0
) -> GradientStepExplorer:
    """Logits, a target class and a learning rate: one cross-entropy gradient step.

    Shows :math:`s = \\operatorname{softmax}(z)`, the gradient :math:`s - y`
    of :math:`E = -\\log s_{\\text{target}}` and the loss before and after
    :math:`z \\leftarrow z - \\eta (s - y)`.

    Parameters
    ----------
    logits : array_like, optional
        Starting logits, 1-D with at least 2 entries. Default ``[3.0, 1.0, 0.2]``.
    target : int, optional
        The true class index. Default 0.
    learning_rate : float, optional
        The step size :math:`\\eta \\ge 0`. Default 1.

    Returns
    -------
    GradientStepExplorer
        Displays itself in Jupyter; ``.widget`` is the ``ipywidgets.VBox``.

    Examples
    --------
    >>> from softmax_course.widgets import gradient_step_explorer
    >>> explorer = gradient_step_explorer([3.0, 1.0, 0.2], target=1)
    >>> explorer.gradient_text.value
    '<code>dE/dz = s - y = [0.8360, -0.8869, 0.0508]</code>'
    >>> explorer.loss_text.value
    '<code>loss before = 2.1791, after one step = 0.9144</code>'
    """
    return GradientStepExplorer(logits, target, learning_rate)
