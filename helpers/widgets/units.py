"""Lesson 13 panel: pick a layer and a unit; see its dataset examples, its optimized image and its label."""

from __future__ import annotations

from helpers import config
from helpers.widgets.base import Panel

#: Fresh images the examples and the labels come from (an evaluation seed no model was trained on).
N_IMAGES, IMAGE_SEED = 500, 31_337


class UnitsPanel(Panel):
    """What does one unit mean? Its top real images, the crops around their maxima and its optimized image.

    The title gives the unit's network-dissection label at the chosen IoU threshold
    (best concept and IoU, or "no detector"), from :func:`helpers.dissection.dissect` on
    ``N_IMAGES`` fresh shapes (measured once per layer, then kept). The cyan outline marks
    where the unit exceeds its top-0.5 % level, the pixels dissection compares with the concept.

    Args:
      spec: a :class:`helpers.models.ModelSpec` of a model taking the shapes' 64 px images (or any size:
        shapes are drawn at the model's input size).
      layer, unit: the unit shown first.
    """

    key = "units"

    def __init__(self, spec, layer: str | None = None, unit: int = 0, projector: bool | None = None):
        import ipywidgets as w

        self.spec = spec
        self._dissections: dict = {}
        controls = {
            "layer": w.Dropdown(options=list(spec.conv_layers), value=layer or spec.layers["last_conv"],
                                description="Layer"),
            "unit": w.IntText(value=int(unit), description="Unit"),      # range checked in validate
            "iou": w.Dropdown(options=[0.02, 0.04, 0.08], value=0.04, description="IoU ≥"),
            "steps": w.IntSlider(value=128, min=8, max=512, description="Steps", continuous_update=False),
        }
        super().__init__("What does a unit mean?", controls, live=False, projector=projector)

    def _units(self) -> int:
        return int(self.spec.layer(self.value("layer")).output.shape[-1])

    def validate(self) -> None:
        n, u = self._units(), self.value("unit")
        if not 0 <= int(u) < n:
            raise ValueError(f"unit {u} out of range: {self.value('layer')} has units 0..{n - 1}")

    def dissection(self, layer: str):
        """The layer's dissection on the panel's images (computed once, then kept)."""
        from helpers.dissection import dissect

        if layer not in self._dissections:
            self._dissections[layer] = dissect(self.spec, layer, config.samples(N_IMAGES), IMAGE_SEED, progress=False)
        return self._dissections[layer]

    def compute(self, callback):
        from helpers.dissection import dataset_examples, optimized_image, shapes_stream
        from helpers.unit_examples import examples_figure

        layer, unit, t = self.value("layer"), int(self.value("unit")), float(self.value("iou"))
        size = int(self.spec.input_size[0])
        d = self.dissection(layer)
        callback(1, 3, None)
        ex = dataset_examples(self.spec, layer, unit, (b[0] for b in shapes_stream(config.samples(N_IMAGES),
                                                                                  IMAGE_SEED, size=size)), k=6)
        if callback(2, 3, None) is False:
            return examples_figure(ex, cutoff=float(d.cutoffs[unit]), title=f"{layer}:{unit} (stopped)")
        res = optimized_image(self.spec, layer, unit, steps=int(self.value("steps")))
        callback(3, 3, None)
        label = d.label(unit, t)
        best = d.concepts[d.best[unit]]
        if label == "non-finite":
            says = "gives NaN or inf: no label"
        elif label == "dead":
            says = "dead (constant on every image)"
        elif label is None:
            says = f"no detector at IoU ≥ {t:g} (best: {best}, IoU {d.best_iou[unit]:.3f})"
        else:
            says = f"{label} detector, IoU {d.best_iou[unit]:.3f} ≥ {t:g}"
        return examples_figure(ex, res.images[0], cutoff=float(d.cutoffs[unit]),
                               title=f"{layer}:{unit}: {says}; top {len(ex.top.values)} of {ex.n_images} images")
