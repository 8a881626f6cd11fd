"""The explorers' callbacks, driven by setting widget values in plain pytest.

Setting ``slider.value`` fires the ``observe`` handlers synchronously, so
each test moves a slider the way a learner would and reads the numbers the
explorer shows, comparing them with ``scipy.special`` and central finite
differences.
"""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from softmax_course.widgets import (
    GradientStepExplorer,
    JacobianExplorer,
    LogitsExplorer,
    format_vector,
    gradient_step_explorer,
    jacobian_explorer,
    logits_explorer,
)
from tests.references import central_jacobian

ipywidgets = pytest.importorskip("ipywidgets")

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def shown_numbers(html_value: str) -> np.ndarray:
    """The numbers printed inside a readout, in order."""
    return np.array([float(v) for v in re.findall(r"-?\d+\.\d+", html_value)])


def test_import_does_not_load_ipywidgets_or_matplotlib():
    code = (
        "import sys, softmax_course, softmax_course.widgets; "
        "print('ipywidgets' in sys.modules, 'matplotlib' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False"]


def test_format_vector():
    assert format_vector([0.5, 1 / 3, -0.0, -1e-9]) == "[0.5000, 0.3333, 0.0000, -0.0000]"
    assert format_vector(np.array([[1.0, 2.0]]), decimals=1) == "[1.0, 2.0]"


# --- logits explorer ----------------------------------------------------------------------


def test_logits_explorer_builds_and_displays():
    explorer = logits_explorer()
    assert isinstance(explorer, LogitsExplorer)
    assert isinstance(explorer.widget, ipywidgets.VBox)
    assert [s.description for s in explorer.logit_sliders] == ["z0", "z1", "z2"]
    assert_allclose(explorer.logits, [3.0, 1.0, 0.2])
    assert explorer.temperature.value == 1.0
    bundle = explorer._repr_mimebundle_()
    assert WIDGET_VIEW in bundle
    assert bundle[WIDGET_VIEW]["model_id"] == explorer.widget.model_id
    assert "softmax-course-probabilities" in explorer.probabilities_text._dom_classes


def test_initial_readout_matches_scipy():
    explorer = logits_explorer([3.0, 1.0, 0.2])
    expected = scipy.special.softmax([3.0, 1.0, 0.2])
    assert explorer.probabilities_text.value == "<code>s = [0.8360, 0.1131, 0.0508]</code>"
    assert_allclose(explorer.state["probabilities"], expected, rtol=1e-14)


@pytest.mark.parametrize("temperature", [0.1, 0.5, 2.0, 10.0])
def test_moving_the_temperature_slider_updates_the_probabilities(temperature):
    explorer = logits_explorer([3.0, 1.0, 0.2])
    explorer.temperature.value = temperature
    z = np.array([3.0, 1.0, 0.2])
    expected = scipy.special.softmax(z / temperature)
    assert explorer.state["temperature"] == temperature
    assert_allclose(explorer.state["probabilities"], expected, rtol=1e-12)
    assert_allclose(shown_numbers(explorer.probabilities_text.value), expected, atol=5e-5)
    assert explorer.probabilities_text.value == f"<code>s = {format_vector(expected)}</code>"


def test_high_temperature_flattens_and_low_temperature_sharpens():
    explorer = logits_explorer([3.0, 1.0, 0.2])
    explorer.temperature.value = 10.0
    flat = explorer.state["entropy"]
    explorer.temperature.value = 0.1
    sharp = explorer.state["entropy"]
    assert sharp < 1e-6 < flat < np.log(3)
    assert explorer.probabilities_text.value == "<code>s = [1.0000, 0.0000, 0.0000]</code>"


def test_moving_a_logit_slider_updates_bars_and_entropy():
    explorer = logits_explorer([0.0, 0.0, 0.0, 0.0])
    assert_allclose(explorer.state["entropy"], np.log(4), rtol=1e-14)
    explorer.logit_sliders[2].value = 3.5
    z = np.array([0.0, 0.0, 3.5, 0.0])
    s = scipy.special.softmax(z)
    assert_allclose(explorer.state["probabilities"], s, rtol=1e-14)
    assert_allclose(explorer.state["entropy"], np.sum(scipy.special.entr(s)), rtol=1e-12)
    assert explorer.entropy_text.value == (
        f"<code>H(s) = {np.sum(scipy.special.entr(s)):.4f} nats "
        f"(at most log K = {np.log(4):.4f})</code>"
    )
    widths = [
        float(w)
        for w in re.findall(r"width:([\d.]+)px;height:14px;background:#4c", (explorer.bars.value))
    ]
    assert_allclose(widths, s * 240, atol=0.06)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(-10, 10), min_size=2, max_size=6),
    st.floats(0.1, 10.0),
)
def test_readout_always_shows_scipy_softmax(z, temperature):
    explorer = logits_explorer([0.0] * len(z))
    explorer.set_logits(z)
    explorer.temperature.value = temperature
    expected = scipy.special.softmax(np.array(z) / temperature)
    assert_allclose(explorer.state["probabilities"], expected, rtol=1e-10, atol=1e-300)
    assert_allclose(shown_numbers(explorer.probabilities_text.value), expected, atol=5.1e-5)


def test_logit_slider_range_covers_the_starting_logits():
    explorer = logits_explorer([-25.0, 12.5])
    assert explorer.logit_sliders[0].min <= -25 and explorer.logit_sliders[1].max >= 12.5
    assert_allclose(explorer.logits, [-25.0, 12.5])


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"logits": [1.0]}, ValueError, r"logits must be a 1-D sequence of at least 2 numbers"),
        ({"logits": [[1.0, 2.0]]}, ValueError, r"received shape \(1, 2\)"),
        ({"logits": [1.0, np.inf]}, ValueError, r"logits must be finite; received"),
        ({"logits": ["a", "b"]}, TypeError, r"logits must be an array of real numbers"),
        ({"temperature": 0.0}, ValueError, r"temperature must be finite and greater than 0"),
        ({"temperature": "hot"}, TypeError, r"temperature must be a real number"),
    ],
)
def test_logits_explorer_rejects_bad_arguments(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        logits_explorer(**kwargs)


def test_set_logits_checks_the_length():
    explorer = logits_explorer([1.0, 2.0])
    with pytest.raises(ValueError, match=r"logits must have 2 entries, one per slider; received 3"):
        explorer.set_logits([1.0, 2.0, 3.0])


# --- Jacobian explorer --------------------------------------------------------------------


def test_jacobian_explorer_matches_finite_differences_after_a_slider_move():
    explorer = jacobian_explorer([1.0, 2.0, 0.5])
    assert isinstance(explorer, JacobianExplorer)
    explorer.logit_sliders[0].value = -1.5
    z = np.array([-1.5, 2.0, 0.5])
    expected = central_jacobian(scipy.special.softmax, z)
    assert_allclose(explorer.state["jacobian"], expected, atol=1e-9)
    assert_allclose(explorer.state["probabilities"], scipy.special.softmax(z), rtol=1e-14)


def test_jacobian_heatmap_shows_every_entry():
    explorer = jacobian_explorer([1.0, 2.0])
    table = explorer.heatmap.value
    assert 'class="softmax-course-jacobian"' in table
    cells = re.findall(r"<td [^>]*>(-?\d+\.\d{4})</td>", table)
    assert cells == ["0.1966", "-0.1966", "-0.1966", "0.1966"]  # the seed thread's numbers
    # positive entries red, negative blue
    assert table.count("rgba(214,39,40") == 2 and table.count("rgba(31,119,180") == 2
    assert "row sums = [0.0000, 0.0000]" in explorer.properties_text.value
    assert WIDGET_VIEW in explorer._repr_mimebundle_()


def test_jacobian_of_equal_logits():
    explorer = jacobian_explorer([0.0, 0.0])
    explorer.set_logits([5.0, 5.0])
    assert_allclose(explorer.state["jacobian"], [[0.25, -0.25], [-0.25, 0.25]], rtol=1e-15)


# --- gradient step explorer ---------------------------------------------------------------


def loss_of(z, k):
    return -scipy.special.log_softmax(z)[k]


def test_gradient_step_explorer_numbers():
    explorer = gradient_step_explorer([3.0, 1.0, 0.2], target=1, learning_rate=0.5)
    assert isinstance(explorer, GradientStepExplorer)
    z = np.array([3.0, 1.0, 0.2])
    gradient = central_jacobian(lambda v: np.array(loss_of(v, 1)), z)
    assert_allclose(explorer.state["gradient"], gradient, atol=1e-9)
    assert_allclose(explorer.state["loss"], loss_of(z, 1), rtol=1e-14)
    z_after = z - 0.5 * gradient
    assert_allclose(explorer.state["logits_after"], z_after, atol=1e-9)
    assert_allclose(explorer.state["loss_after"], loss_of(z_after, 1), rtol=1e-8)
    assert explorer.state["loss_after"] < explorer.state["loss"]
    assert explorer.loss_text.value == (
        f"<code>loss before = {loss_of(z, 1):.4f}, "
        f"after one step = {loss_of(z_after, 1):.4f}</code>"
    )
    assert_allclose(shown_numbers(explorer.gradient_text.value), gradient, atol=5.1e-5)


def test_changing_target_and_rate_updates():
    explorer = gradient_step_explorer([3.0, 1.0, 0.2])
    explorer.target.value = 2
    explorer.learning_rate.value = 0.0
    z = np.array([3.0, 1.0, 0.2])
    assert explorer.state["target"] == 2
    s = scipy.special.softmax(z)
    assert_allclose(explorer.state["gradient"], s - np.eye(3)[2], rtol=1e-14)
    assert explorer.state["loss_after"] == explorer.state["loss"]  # no step at rate 0


def test_step_button_moves_the_sliders_and_lowers_the_loss():
    explorer = gradient_step_explorer([3.0, 1.0, 0.2], target=2, learning_rate=2.0)
    losses = [explorer.state["loss"]]
    expected_next = explorer.state["loss_after"]
    explorer.step_button.click()
    assert_allclose(explorer.state["loss"], expected_next, rtol=1e-12)
    for _ in range(5):
        explorer.step()
        losses.append(explorer.state["loss"])
    assert all(b < a for a, b in zip(losses, losses[1:], strict=False))
    # The logits always sum to the same value: each step subtracts s - y, which sums to 0.
    assert_allclose(explorer.logits.sum(), 4.2, rtol=1e-12)


def test_step_widens_a_slider_that_the_step_leaves():
    z = np.array([9.9, 9.5])
    explorer = gradient_step_explorer(z, target=0, learning_rate=5.0)
    expected = z - 5.0 * (scipy.special.softmax(z) - [1.0, 0.0])
    assert expected[0] > explorer.logit_sliders[0].max  # the step leaves the range [-10, 10]
    explorer.step()
    assert explorer.logit_sliders[0].max >= expected[0]
    assert_allclose(explorer.logits, expected, rtol=1e-14)


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"target": 3}, ValueError, r"target must be a class index in \[0, 2\]; received 3"),
        ({"target": 1.0}, TypeError, r"target must be a class index \(int\); received 1.0"),
        ({"learning_rate": -1}, ValueError, r"learning_rate must be finite and >= 0"),
    ],
)
def test_gradient_step_explorer_rejects_bad_arguments(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        gradient_step_explorer(**kwargs)


def test_plain_text_stands_in_for_the_widget():
    explorer = logits_explorer([3.0, 1.0, 0.2])
    explorer.temperature.value = 2.0
    text = "LogitsExplorer(logits=[3.0000, 1.0000, 0.2000], temperature=2.0, probabilities=["
    assert repr(explorer).startswith(text)
    assert explorer._repr_mimebundle_()["text/plain"] == repr(explorer)
    assert repr(jacobian_explorer([0.0, 1.0])) == "JacobianExplorer(logits=[0.0000, 1.0000])"
    assert repr(gradient_step_explorer([1.0, 2.0], target=1, learning_rate=0.5)) == (
        "GradientStepExplorer(logits=[1.0000, 2.0000], target=1, learning_rate=0.5)"
    )
