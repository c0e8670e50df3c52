"""Lesson 01 panel: feature-map grids and maps laid over the image, for any layer."""

from __future__ import annotations

import numpy as np

from helpers.widgets.base import Panel, chosen_image, image_source_controls


class ActivationsPanel(Panel):
    """Pick an image (or upload one), a layer and a channel range; see the maps.

    The picture shows the input and either the grid of the chosen channels'
    feature maps (each divided by its own maximum, grey separators) or the eight
    strongest of them laid over the image as heatmaps. It updates
    live as the controls move: one forward pass is quick.
    """

    key = "activations"

    def __init__(self, spec, layer: str | None = None, projector: bool | None = None):
        import ipywidgets as w

        self.spec = spec
        layers = spec.conv_layers
        dropdown, upload = image_source_controls(spec, self.key)
        layer_dd = w.Dropdown(options=layers, value=layer or spec.layers["early"], description="Layer")
        n = self._channels(layer_dd.value)
        chans = w.IntRangeSlider(value=(0, min(n, 16) - 1), min=0, max=n - 1, description="Channels",
                                 continuous_update=False)
        mode = w.ToggleButtons(options=["grid", "overlay"], value="grid", description="Show")
        super().__init__("Intermediate activations",
                         {"image": dropdown, "upload": upload, "layer": layer_dd, "channels": chans, "mode": mode},
                         live=True, projector=projector)
        layer_dd.observe(self._on_layer, names="value")

    def _channels(self, layer: str) -> int:
        return int(self.spec.layer(layer).output.shape[-1])

    def _on_layer(self, change) -> None:
        n = self._channels(change["new"])
        slider = self.controls["channels"]
        lo = min(slider.value[0], n - 1)
        slider.max = n - 1
        slider.value = (lo, min(n - 1, lo + 15))

    def validate(self) -> None:
        lo, hi = self.value("channels")
        if hi - lo + 1 > 256:
            raise ValueError(f"{hi - lo + 1} channels is too many to show at once; pick at most 256.")

    def compute(self, callback):
        from helpers import plotting
        from helpers.activations import activation_grid, get_activations

        img, _, label = chosen_image(self.spec, self.controls["image"], self.controls["upload"])
        layer = self.value("layer")
        lo, hi = self.value("channels")
        act = get_activations(self.spec.model, img[None], layer)[layer][0]
        callback(1, 2)
        chans = list(range(lo, hi + 1))
        if self.value("mode") == "grid":
            grid = activation_grid(act, chans, fill=np.nan, scale="max")
            fig = plotting.image_grid([img, grid.image], [label, f"{layer}: channels {lo}–{hi}"],
                                      cols=2, cell=4.0, cmap=plotting.HEATMAP_GAPS, vmin=0, vmax=1,
                                      colorbar="each map ÷ its own maximum (0 = silent)")
        else:
            order = sorted(chans, key=lambda c: -float(act[..., c].mean()))[:8]
            over = [plotting.heatmap_overlay(img, act[..., c], alpha=0.6) for c in order]
            fig = plotting.image_grid([img, *over], [label, *[f"channel {c}" for c in order]], cols=3, cell=2.6,
                                      suptitle="strongest channels over the image, each map scaled on its own")
        callback(2, 2)
        return fig
