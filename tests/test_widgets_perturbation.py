"""The lesson 11 panel: a map and its curves, a new picture when a control moves, clear errors."""

import datetime

import numpy as np
import pytest

from helpers.widgets.perturbation import METHODS, PerturbationPanel, method_function


def test_panel_draws_map_and_curves_and_follows_its_controls(shapes_spec):
    panel = PerturbationPanel(shapes_spec)
    panel.run(wait=True)
    assert panel.error is None and panel.png is not None, panel.error
    first, first_map = panel.png, panel.map.copy()
    assert panel.map.shape == tuple(shapes_spec.input_size) and panel.map.max() == 1.0
    for kind in ("deletion", "insertion"):
        assert np.all((0 <= panel.curves[(kind, "occlusion")]) & (panel.curves[(kind, "occlusion")] <= 1))
    # Deleting the occlusion map's pixels first hurts the score more than deleting random ones.
    assert panel.curves[("deletion", "occlusion")].mean() < panel.curves[("deletion", "random")].mean()
    panel.controls["patch"].value = 16
    panel.run(wait=True)
    assert panel.png != first and not np.array_equal(panel.map, first_map)
    panel.controls["method"].value = "rise"
    panel.run(wait=True)
    assert panel.error is None and "cnn-ok" in panel.message.value
    assert "cnn-perturbation-masks" in panel.controls["masks"]._dom_classes


def test_bad_upload_is_a_clear_line_not_a_traceback(shapes_spec):
    panel = PerturbationPanel(shapes_spec)
    panel.controls["upload"].value = ({"name": "x.png", "type": "image/png", "size": 3, "content": memoryview(b"bad"),
                                       "last_modified": datetime.datetime.now(datetime.timezone.utc)},)
    panel.run(wait=True)
    assert "cnn-error" in panel.message.value and "not a readable image" in panel.message.value
    assert "Traceback" not in panel.message.value


def test_every_offered_method_exists_and_unknown_ones_are_refused(shapes_spec):
    assert all(callable(method_function(m)) for m in METHODS)
    with pytest.raises(ValueError, match="occlusion"):
        PerturbationPanel(shapes_spec, method="deeplift")
