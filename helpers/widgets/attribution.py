"""Lessons 05-07 panel: an attribution map for any image, class, method and layer."""

from __future__ import annotations

import numpy as np

from helpers.attribution import LABELS  # noqa: F401  (the name a learner sees for each method; lessons import it here)
from helpers.widgets.base import Panel, chosen_image, image_source_controls

PREDICTED = "(predicted)"


class AttributionPanel(Panel):
    """Pick an image (or upload one), a class, a method and a layer; see the map over the image.

    The picture shows the input, the map alone, and the map laid over the
    image with the chosen opacity. The Layer control is offered only when a
    method that takes a layer (the Grad-CAM family,
    :data:`helpers.attribution.LAYER_METHODS`) is on the list, and it is
    greyed out while a method that always goes back to the input is chosen.

    Args:
      spec: a :class:`helpers.models.ModelSpec`.
      methods: the method names offered (default: all of
        :data:`helpers.attribution.METHODS`).
      method: the method selected at start.
      layer: the layer selected at start (default: ``spec.layers["last_conv"]``).
    """

    key = "attribution"

    def __init__(self, spec, methods=None, method: str | None = None, layer: str | None = None,
                 projector: bool | None = None):
        import ipywidgets as w

        from helpers.attribution import LAYER_METHODS, METHODS

        self.spec = spec
        names = list(methods or METHODS)
        unknown = [m for m in names if m not in METHODS]
        if unknown:
            raise ValueError(f"unknown method {unknown[0]!r}; choose from {', '.join(METHODS)}")
        dropdown, upload = image_source_controls(spec, self.key)
        classes = w.Dropdown(options=[PREDICTED, *spec.class_names], value=PREDICTED, description="Class")
        method_dd = w.Dropdown(options=[(LABELS.get(m, m), m) for m in names], value=method or names[0], description="Method")
        controls = {"image": dropdown, "upload": upload, "class": classes, "method": method_dd}
        if any(m in LAYER_METHODS for m in names):
            layers = spec.conv_layers
            layer_dd = w.Dropdown(options=layers, value=layer or spec.layers.get("last_conv", layers[-1]),
                                  description="Layer")

            def _grey_out(_change=None):
                layer_dd.disabled = method_dd.value not in LAYER_METHODS

            method_dd.observe(_grey_out, names="value")
            _grey_out()
            controls["layer"] = layer_dd
        controls["opacity"] = w.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.05, description="Opacity",
                                            continuous_update=False)
        super().__init__("Where does the network look?", controls, live=False, projector=projector)

    def class_index(self, img) -> int:
        """The chosen class, or the model's top prediction for ``img``."""
        choice = self.value("class")
        if choice == PREDICTED:
            return int(np.argmax(self.spec.predict(img[None])[0]))
        return self.spec.class_index(choice)

    def compute(self, callback):
        from helpers import attribution, plotting

        img, _, label = chosen_image(self.spec, self.controls["image"], self.controls["upload"])
        cls = self.class_index(img)
        callback(1, 3)
        method = self.value("method")
        layer = self.value("layer") if method in attribution.LAYER_METHODS else None
        self.map = attribution.attribute(self.spec.model, img[None], cls, method=method, layer=layer)[0]
        callback(2, 3)
        prob = float(self.spec.predict(img[None])[0, cls])
        where = f" @ {layer}" if method in attribution.LAYER_METHODS else ""
        note = " (all zeros: no positive evidence)" if not np.any(self.map > 0) else ""
        overlay = plotting.heatmap_overlay(img, self.map, alpha=float(self.value("opacity")))
        fig = plotting.image_grid(
            [img, self.map, overlay],
            [f"{label}", f"{LABELS.get(method, method)}{where}{note}", f"{self.spec.class_names[cls]} (p={prob:.2f})"],
            cols=3, cell=3.6, vmin=0, vmax=1, colorbar="share of the map's maximum")
        callback(3, 3)
        return fig
