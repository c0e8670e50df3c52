"""Lessons 02 and 03 panels: what a filter wants to see, and what a class wants to see."""

from __future__ import annotations

import numpy as np

from helpers import config
from helpers.widgets.base import Panel

TRANSFORM_NAMES = ["jitter", "scale", "rotate", "blur", "median", "decay", "clip"]
#: The classes panel renders every class in one batch only up to this many classes
#: (1000 ImageNet classes at 224 px would need about 17 GB); beyond it, "a few" of them.
MAX_CLASS_BATCH, FEW = 8, 4


def few_classes(n: int) -> list[int]:
    """``FEW`` class indices spread evenly over ``0..n-1`` (all of them when ``n`` is small)."""
    if n <= MAX_CLASS_BATCH:
        return list(range(n))
    return sorted({int(round(i)) for i in np.linspace(0, n - 1, FEW)})


def _transforms(chosen, size: int, seed: int) -> list:
    from helpers import transforms as T

    j = max(1, size // 16)
    make = {"jitter": lambda: T.jitter(j, seed=seed), "scale": lambda: T.random_scale(seed=seed + 1),
            "rotate": lambda: T.random_rotate(10, seed=seed + 2), "blur": lambda: T.gaussian_blur(0.7, every=4),
            "median": lambda: T.median_filter(3, every=8), "decay": lambda: T.decay(0.01), "clip": lambda: T.clip()}
    return [make[name]() for name in TRANSFORM_NAMES if name in chosen]


def _common_controls(steps: int, lr: float, transforms):
    import ipywidgets as w

    return {
        "steps": w.IntSlider(value=steps, min=1, max=512, description="Steps", continuous_update=False),
        "lr": w.FloatLogSlider(value=lr, base=10, min=-3, max=0, step=0.1, description="Step size",
                               continuous_update=False),
        "transforms": w.SelectMultiple(options=TRANSFORM_NAMES, value=tuple(transforms), rows=7,
                                       description="Transforms"),
    }


class FiltersPanel(Panel):
    """Pick a layer and a filter (or a run of filters); watch gradient ascent draw what it wants.

    Controls: layer, first filter, how many filters (one batch), steps, step
    size, each transform on or off, pixel or Fourier parameterization. The
    picture updates live while it runs; Stop keeps the best images so far.
    """

    key = "featvis_filters"

    def __init__(self, spec, layer: str | None = None, steps: int = 128, projector: bool | None = None):
        import ipywidgets as w

        self.spec = spec
        layer_dd = w.Dropdown(options=spec.conv_layers, value=layer or spec.layers["last_conv"], description="Layer")
        controls = {"layer": layer_dd,
                    "filter": w.BoundedIntText(value=0, min=0, max=100000, description="Filter"),
                    "count": w.IntSlider(value=8, min=1, max=64, description="Filters", continuous_update=False),
                    **_common_controls(steps, 0.05, ["jitter", "scale", "rotate", "clip"]),
                    "param": w.ToggleButtons(options=["pixel", "fourier"], value="pixel", description="Param")}
        super().__init__("What does a filter want to see?", controls, projector=projector)

    def _channels(self) -> int:
        return int(self.spec.layer(self.value("layer")).output.shape[-1])

    def validate(self) -> None:
        n, first, count = self._channels(), int(self.value("filter")), int(self.value("count"))
        if not 0 <= first < n:
            raise ValueError(f"filter {first} out of range: {self.value('layer')} has filters 0..{n - 1}")
        if first + count > n:
            raise ValueError(f"filters {first}..{first + count - 1} run past the last filter ({n - 1}) "
                             f"of {self.value('layer')}")

    def compute(self, callback):
        from helpers import objectives as O
        from helpers import plotting
        from helpers.render import render

        first, count, layer = int(self.value("filter")), int(self.value("count")), self.value("layer")
        size = self.spec.input_size[0]  # the zoo's models take their own input size only
        side = int(self.spec.layer(layer).output.shape[1])
        crop = min(2, max(0, (side - 2) // 2))  # leave the border units out, as lesson 02 does
        res = render(self.spec.model, O.channel(layer, list(range(first, first + count)), crop=crop), size=size,
                     param=self.value("param"), transforms=_transforms(self.value("transforms"), size, 0),
                     steps=config.steps(int(self.value("steps"))), lr=float(self.value("lr")),
                     callback=callback, progress=False)
        titles = [f"{layer}:{first + i}" + (" (dead)" if d else "") for i, d in enumerate(res.dead)]
        cols = min(8, count)
        # shown as rendered, in [0, 1], as in lesson 02 (a flat wash stays visible as a flat colour)
        fig = plotting.image_grid(list(res.images), titles, cols=cols, cell=2.0 if count > 1 else 4.0,
                                  suptitle=f"{layer}, border cropped ({crop}), as rendered")
        if count > cols:
            fig.subplots_adjust(hspace=0.3)
        return fig


class ClassesPanel(Panel):
    """Pick a class and a recipe (naive, one regularizer, or all of them); see the class image.

    ``Param`` switches between pixels and the silhouette parameterization
    (one flat-coloured shape; it uses only the robustness transforms, so the
    recipe is ignored, and switching to it sets the step size to 0.1). The
    title of each picture gives the network's probability for the class; with
    a ``judge``, the maker A's probability and the class (and probability) a
    second model B gives it, so adversarial noise is easy to spot.
    """

    key = "featvis_classes"

    def __init__(self, spec, judge=None, steps: int = 200, projector: bool | None = None):
        import ipywidgets as w

        from helpers.classviz import RECIPES, SILHOUETTE

        self.spec, self.judge = spec, judge
        lr_for = {"pixel": 0.01, "silhouette": SILHOUETTE["lr"]}
        # A combobox: type a class name (handy with 1000 ImageNet classes) or pick one; "all" renders
        # every class in one batch when there are few, "a few" a handful spread over a long list.
        self.many = "all" if len(spec.class_names) <= MAX_CLASS_BATCH else "a few"
        controls = {"cls": w.Combobox(options=[self.many, *spec.class_names], value=self.many, description="Class",
                                      placeholder=f"a class name, or {self.many}", ensure_option=False),
                    "recipe": w.Dropdown(options=list(RECIPES), value="combined", description="Recipe"),
                    "objective": w.ToggleButtons(options=["log-prob", "logit"], value="log-prob",
                                                 description="Objective"),
                    "steps": w.IntSlider(value=steps, min=1, max=512, description="Steps", continuous_update=False),
                    "lr": w.FloatLogSlider(value=lr_for["pixel"], base=10, min=-3, max=0, step=0.1,
                                           description="Step size", continuous_update=False),
                    "keep": w.ToggleButtons(options=["best", "last"], value="best", description="Keep"),
                    "param": w.ToggleButtons(options=["pixel", "silhouette"], value="pixel", description="Param")}
        super().__init__("What does a class want to see?", controls, projector=projector)
        controls["param"].observe(lambda ch: setattr(controls["lr"], "value", lr_for[ch["new"]]), names="value")

    def compute(self, callback):
        from helpers import plotting
        from helpers.classviz import RECIPES, class_objective, robust
        from helpers.render import render

        param = self.value("param")
        transforms = robust(0, self.spec.input_size[0]) if param == "silhouette" else RECIPES[self.value("recipe")](0)
        choice = str(self.value("cls")).strip()
        classes = few_classes(len(self.spec.class_names)) if choice in ("all", "a few", "") else \
            [self.spec.class_index(choice)]
        # the spec's one cached pre-softmax model: no copy of the network per render
        res = render(self.spec.logits_model, class_objective(classes, self.value("objective")),
                     transforms=transforms, param=param, steps=config.steps(int(self.value("steps"))),
                     lr=float(self.value("lr")), keep=self.value("keep"), callback=callback, progress=False)
        probs = self.spec.predict(res.images)
        titles = []
        judged = self.judge.predict(res.images) if self.judge is not None else None
        for i, c in enumerate(classes):
            if judged is None:  # one network: its probability for the class
                t = f"{self.spec.class_names[c]}\np = {probs[i, c]:.0%}"
            else:  # the maker A's probability for the class, and the judge B's verdict with its probability
                b = int(np.argmax(judged[i]))
                t = (f"{self.spec.class_names[c]}\nA {probs[i, c]:.0%} · "
                     f"B: {self.judge.class_names[b]} {judged[i, b]:.0%}")
            titles.append(t)
        return plotting.image_grid(list(res.images), titles, cols=min(4, len(classes)),
                                   cell=2.4 if len(classes) > 1 else 4.0)
