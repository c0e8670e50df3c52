"""The explorer gathers the panels that exist, notes the ones that do not, and drives projector mode."""

from __future__ import annotations

import io
import sys
import types

import pytest
from PIL import Image

from helpers import config
from helpers.widgets.base import Panel
from helpers.widgets.explorer import Explorer, find_panel_class

ACT = ("Activations", "helpers.widgets.activations", "activations")


def _width(png: bytes) -> int:
    return Image.open(io.BytesIO(png)).size[0]


@pytest.fixture
def broken_module(monkeypatch):
    """A module whose panel fails to build, as a half-finished lesson would."""
    mod = types.ModuleType("fake_lesson_panels")

    class BrokenPanel(Panel):
        key = "broken"

        def __init__(self, spec, projector=None):
            raise ValueError("this model has no layer called 'mixed4a'")

    BrokenPanel.__module__ = mod.__name__
    mod.BrokenPanel = BrokenPanel
    monkeypatch.setitem(sys.modules, mod.__name__, mod)
    return mod.__name__


def test_missing_and_broken_panels_become_notes(shapes_spec, broken_module):
    ex = Explorer(shapes_spec, autorun=False, panels=[
        ACT, ("Ghost", "helpers.widgets.no_such_lesson", "ghost"), ("Broken", broken_module, "broken")])
    assert list(ex.panels) == ["activations"]
    assert "No module named" in ex.notes["ghost"]
    assert "mixed4a" in ex.notes["broken"]
    assert len(ex.tabs.children) == 3 and ex.tabs.titles == ("Activations", "Ghost", "Broken")
    notes = [c for c in ex.tabs.children if "cnn-broken-unavailable" in c._dom_classes]
    assert notes and "unavailable" in notes[0].value and "mixed4a" in notes[0].value


def test_find_panel_class_lists_the_keys_it_has():
    assert find_panel_class("helpers.widgets.activations", "activations").key == "activations"
    with pytest.raises(LookupError, match="activations"):
        find_panel_class("helpers.widgets.activations", "deepdream")


def test_first_tab_computes_its_picture_and_projector_redraws_it_larger(shapes_spec):
    try:
        ex = Explorer(shapes_spec, panels=[ACT], projector=False)
        panel = ex.panels["activations"].wait(60)
        assert panel.runs == 1 and panel.error is None and panel.png is not None
        small = panel.png
        ex.projector_toggle.value = True            # what a click in the browser does
        panel.wait(60)
        assert config.projector() and panel.runs == 2 and panel.error is None
        assert _width(panel.png) > 1.3 * _width(small)
        assert panel.image.layout.max_width == "100%"
    finally:
        config.set_projector(False)


def test_explorer_leaves_the_model_alone(shapes_spec):
    from conftest import assert_weights_equal, weights_snapshot

    before, n_layers = weights_snapshot(shapes_spec.model), len(shapes_spec.model.layers)
    ex = Explorer(shapes_spec, panels=[ACT])
    ex.panels["activations"].wait(60)
    assert_weights_equal(shapes_spec.model, before)
    assert len(shapes_spec.model.layers) == n_layers
    assert shapes_spec.model.layers[-1].get_config()["activation"] == "softmax"


@pytest.mark.slow
def test_explorer_on_vgg16_takes_its_layers_from_the_spec():
    """The ImageNet path, offline: VGG16 with random weights (no download) drives the same explorer."""
    from helpers.models import load_model

    spec = load_model("vgg16", weights=None)
    ex = Explorer(spec)
    panel = ex.panels["activations"].wait(120)
    assert panel.error is None and panel.png is not None
    assert list(panel.controls["layer"].options) == spec.conv_layers and "block5_conv3" in spec.conv_layers
    assert not [k for k, why in ex.notes.items() if "No module named" not in why], ex.notes
