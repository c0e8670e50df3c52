"""Lesson 11 panel: a perturbation (or gradient) map and its deletion and insertion curves."""

from __future__ import annotations

import numpy as np

from helpers.attribution import LABELS  # noqa: F401  (the name a learner sees: dropdown, title and legend)
from helpers.widgets.base import Panel, chosen_image, image_source_controls

PREDICTED = "(predicted)"
#: Methods offered, perturbation first; the gradient ones are there to compare.
METHODS = ("occlusion", "rise", "lime", "score_cam", "layer_cam", "cam", "grad_cam", "saliency")


def method_function(name: str):
    """The attribution function called ``name`` (:data:`helpers.attribution.REGISTRY`)."""
    from helpers.attribution import REGISTRY

    if name not in REGISTRY:
        raise ValueError(f"unknown method {name!r}; choose one of {', '.join(METHODS)}")
    return REGISTRY[name].function


class PerturbationPanel(Panel):
    """Pick an image, a class and a method; see its map and how faithful it is.

    The picture shows the map over the image, then the deletion curve (the
    class probability as the most important pixels are blurred away first)
    and the insertion curve (as they are put back into a blurred copy), each
    against a random map. ``patch`` is occlusion's square and RISE's grid
    cell (in pixels); ``masks`` is RISE's mask count and LIME's sample count.

    Args:
      spec: a :class:`helpers.models.ModelSpec`.
      method: the method selected at start.
      seed: seed of RISE, LIME and the tie-breaking of the curves.
    """

    key = "perturbation"

    def __init__(self, spec, method: str = "occlusion", seed: int = 0, projector: bool | None = None):
        import ipywidgets as w

        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
        self.spec, self.seed = spec, seed
        side = min(spec.input_size)
        dropdown, upload = image_source_controls(spec, self.key)
        classes = w.Dropdown(options=[PREDICTED, *spec.class_names], value=PREDICTED, description="Class")
        method_dd = w.Dropdown(options=[(LABELS[m], m) for m in METHODS], value=method, description="Method")
        patch = w.IntSlider(value=max(2, side // 8), min=2, max=max(4, side // 2), step=2, description="Patch px",
                            continuous_update=False)
        masks = w.IntSlider(value=500, min=100, max=3000, step=100, description="Masks", continuous_update=False)
        super().__init__("Perturb it: which pixels does the score need?",
                         {"image": dropdown, "upload": upload, "class": classes, "method": method_dd,
                          "patch": patch, "masks": masks}, live=False, projector=projector)

    def class_index(self, img) -> int:
        choice = self.value("class")
        if choice == PREDICTED:
            return int(np.argmax(self.spec.predict(img[None])[0]))
        return self.spec.class_index(choice)

    def _map(self, img, cls):
        name, patch, masks = self.value("method"), int(self.value("patch")), int(self.value("masks"))
        kw = {"occlusion": {"patch": patch, "stride": max(1, patch // 2), "progress": False},
              "rise": {"masks": masks, "cell": max(2, min(img.shape[:2]) // patch), "seed": self.seed,
                       "progress": False},
              "lime": {"samples": masks, "seed": self.seed, "progress": False},
              "score_cam": {"progress": False}}.get(name, {})
        return method_function(name)(self.spec.model, img[None], cls, **kw)[0]

    def compute(self, callback):
        import warnings

        from helpers import faithfulness as F
        from helpers import metrics, plotting

        img, _, label = chosen_image(self.spec, self.controls["image"], self.controls["upload"])
        cls = self.class_index(img)
        callback(1, 4)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.map = self._map(img, cls)
        callback(2, 4)
        maps = {LABELS[self.value("method")]: self.map[None],
                "random": metrics.random_maps(1, img.shape[:2], seed=self.seed)}
        self.curves = {}
        fig, axes = plotting.new_figure(13, 3.4, ncols=3)
        axes[0].imshow(plotting.heatmap_overlay(img, self.map, 0.5))
        axes[0].set_title(f"{label}: {LABELS[self.value('method')]} for {self.spec.class_names[cls]}")
        axes[0].axis("off")
        for step, (ax, kind) in enumerate(zip(axes[1:], ("deletion", "insertion"))):
            curve = F.deletion_curve if kind == "deletion" else F.insertion_curve
            for name, m in maps.items():
                f, s = curve(self.spec.model, img[None], m, cls, steps=32, seed=self.seed)
                self.curves[(kind, name)] = s[0]
                ax.plot(f, s[0], ls="--" if name == "random" else "-", color="0.5" if name == "random" else None,
                        label=f"{name} (AUC {F.auc(f, s)[0]:.2f})")
            ax.set_ylim(0, 1.02)
            ax.set_xlabel(f"fraction of pixels {'deleted' if kind == 'deletion' else 'inserted'}")
            ax.set_ylabel("class probability")
            ax.set_title(f"{kind} ({'lower' if kind == 'deletion' else 'higher'} AUC is better)")
            ax.legend(fontsize=10)
            callback(3 + step, 4, fig if step == 0 else None)
        fig.tight_layout()
        return fig
