"""Lesson 12 panel: put the tag on, take it off or repaint it, and watch both models' answers and maps."""

from __future__ import annotations

import numpy as np

from helpers.widgets.base import Panel

OWN = "own class's colour"
NONE = "no tag"
#: Fresh images the panel picks from (an evaluation seed no model was trained on).
N_IMAGES, IMAGE_SEED = 64, 31_337


class ShortcutPanel(Panel):
    """One shapes image with a tag of any colour (or none), explained for the cheat and its honest twin.

    The picture shows the image, then each model's map laid over it, titled
    with the model's answer, its probability and the share of the map on the
    tag (outlined in cyan). The panel always uses lesson 12's two shapes models (the spec it is
    given is only used for its name); images come from a fixed fresh set.

    Args:
      spec: a :class:`helpers.models.ModelSpec` (ignored apart from printouts).
      method: the attribution method selected at start.
    """

    key = "shortcut"

    def __init__(self, spec=None, method: str = "grad_cam", projector: bool | None = None):
        import ipywidgets as w

        from helpers import shortcut
        from helpers.shapes import CLASS_NAMES

        self.spec = spec
        self.table = shortcut.methods()
        if method not in self.table:
            raise ValueError(f"unknown method {method!r}; choose from {', '.join(self.table)}")
        self.data = shortcut.make_cue_shapes(N_IMAGES, seed=IMAGE_SEED, agreement=1.0)
        self.models = dict(zip(("cheat", "honest"), shortcut.load_pair()))
        colours = [f"{c} ({k})" for k, c in zip(CLASS_NAMES, shortcut.COLOUR_NAMES)]
        index = w.IntText(value=0, description="Image #")  # range checked in validate
        tag = w.Dropdown(options=[OWN, NONE, *colours], value=OWN, description="Tag")
        names = shortcut.display_names()
        method_dd = w.Dropdown(options=[(names.get(m, m), m) for m in self.table], value=method,
                               description="Method")
        super().__init__("Tank story: does the model read the tag?",
                         {"index": index, "tag": tag, "method": method_dd}, live=False, projector=projector)

    def validate(self) -> None:
        i = self.value("index")
        if not 0 <= int(i) < N_IMAGES:
            raise ValueError(f"image {i} out of range 0..{N_IMAGES - 1}")

    def tag_class(self) -> int | None:
        """The class whose colour the tag gets (``None``: no tag)."""
        choice = self.value("tag")
        if choice == NONE:
            return None
        if choice == OWN:
            return int(self.data.labels[int(self.value("index"))])
        return list(self.controls["tag"].options).index(choice) - 2

    def tagged_image(self) -> tuple[np.ndarray, np.ndarray]:
        """The chosen image with the chosen tag, and its tag mask."""
        from helpers import shortcut

        i = int(self.value("index"))
        img = shortcut.with_tag(self.data.without_cue[i], self.data.masks[i], self.tag_class())
        return img, np.any(img != self.data.without_cue[i], axis=-1)

    def compute(self, callback):
        import warnings

        from helpers import plotting
        from helpers.metrics import energy_in_mask
        from helpers.shapes import CLASS_NAMES

        img, cue = self.tagged_image()
        label = CLASS_NAMES[int(self.data.labels[int(self.value("index"))])]
        fn, kw = self.table[self.value("method")]
        cells, titles = [img], [f"a {label}" + ("" if cue.any() else ", no tag")]
        for step, (name, spec) in enumerate(self.models.items(), start=1):
            probs = spec.predict(img[None])[0]
            cls = int(probs.argmax())
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                heat = fn(spec.model, img[None], cls, **kw)[0]
            share = f", {float(energy_in_mask(heat, cue)[0]):.0%} on tag" if cue.any() else ""
            cells.append(plotting.heatmap_overlay(img, heat, 0.5))
            titles.append(f"{name}: {CLASS_NAMES[cls]} ({probs[cls]:.2f}){share}")
            if not callback(step, len(self.models)):
                break
        fig = plotting.image_grid(cells, titles, cols=len(cells), cell=3.2)
        if cue.any():  # the overlay dims the tag (white looks grey): outline it on each map
            for ax in fig.axes[1:len(cells)]:
                ax.contour(cue.astype(float), [0.5], colors=["cyan"], linewidths=1.5)
        return fig
