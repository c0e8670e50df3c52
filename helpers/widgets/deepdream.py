"""Lesson 08 panel: DeepDream with a layer mix, step size, octaves and steps, and a live picture."""

from __future__ import annotations

import numpy as np

from helpers.widgets.base import Panel


def parse_layer_mix(text: str, model) -> dict[str, float]:
    """``"conv3: 1, conv4: 0.5"`` -> ``{"conv3": 1.0, "conv4": 0.5}`` (a bare name weighs 1).

    Unknown layers raise :class:`helpers.models.LayerNotFoundError` listing the
    valid names; a bad weight raises ``ValueError`` saying which.
    """
    from helpers.models import get_layer

    mix: dict[str, float] = {}
    for part in [p.strip() for p in str(text).replace(";", ",").split(",") if p.strip()]:
        name, _, weight = part.partition(":")
        name = name.strip()
        try:
            w = float(weight) if weight.strip() else 1.0
        except ValueError:
            raise ValueError(f"the weight of {name!r} must be a number; got {weight.strip()!r}") from None
        get_layer(model, name)
        mix[name] = w
    if not mix:
        raise ValueError("give at least one layer, e.g. 'conv3: 1, conv4: 0.5'")
    return mix


class DeepDreamPanel(Panel):
    """Dream on a sample photo (or an upload) with a mix of layers; the picture updates as it climbs.

    Controls: photo, upload, size (px), layer mix (``"layer: weight, ..."``),
    step size, octaves and steps per octave. Stop keeps the dream so far;
    Save PNG writes the dream itself.
    """

    key = "deepdream"

    def __init__(self, spec, image: str | None = None, projector: bool | None = None):
        import ipywidgets as w

        from helpers import images

        self.spec = spec
        names = list(images.SAMPLE_PHOTOS)
        mix = ", ".join(f"{k}: {v:g}" for k, v in spec.dream_layers.items())
        controls = {
            "image": w.Dropdown(options=names, value=image or names[0], description="Photo"),
            "upload": w.FileUpload(accept="image/*", multiple=False, description="Upload"),
            "size": w.IntSlider(value=192, min=64, max=512, step=32, description="Size (px)", continuous_update=False),
            "layers": w.Text(value=mix, description="Layer mix", continuous_update=False,
                             layout=w.Layout(width="320px")),
            "step": w.FloatLogSlider(value=0.01, base=10, min=-3, max=-1, step=0.1, description="Step size",
                                     continuous_update=False, readout_format=".3f"),
            "octaves": w.IntSlider(value=3, min=1, max=5, description="Octaves", continuous_update=False),
            "steps": w.IntSlider(value=20, min=1, max=100, description="Steps/octave", continuous_update=False),
        }
        super().__init__("DeepDream", controls, live=False, projector=projector)
        # Choosing a photo replaces an earlier upload (a bad upload never sticks).
        controls["image"].observe(lambda _c: setattr(controls["upload"], "value", ()) if controls["upload"].value
                                  else None, names="value")

    def validate(self) -> None:
        parse_layer_mix(self.value("layers"), self.spec.model)

    def photo(self) -> np.ndarray:
        """The chosen photo (an upload wins), square-cropped to the chosen size (capped in fast mode)."""
        from helpers import config, images

        up = self.controls["upload"]
        side = config.size(int(self.value("size")))
        if not up.value:
            return images.resize(images.load_image(self.value("image")), (side, side), crop=True)
        try:
            img = images.load_image(bytes(up.value[0]["content"]))
        except images.ImageError as exc:
            raise images.ImageError(f"{exc} Upload another file, or pick a photo.") from exc
        return images.resize(img, (side, side), crop=True)

    def compute(self, callback):
        from helpers.deepdream import deepdream

        img = self.photo()
        self.dream = deepdream(self.spec.model, img, layers=parse_layer_mix(self.value("layers"), self.spec.model),
                               steps=int(self.value("steps")), step_size=float(self.value("step")),
                               octaves=int(self.value("octaves")), octave_scale=1.4, tile_size=256,
                               callback=callback, progress=False)
        return self.dream.image
