"""Lesson 14 panel: pick a model, a concept and a layer; see TCAV per class, with significance."""

from __future__ import annotations

from helpers.widgets.base import Panel

#: The models the panel offers: the one it was given, and lesson 12's pair.
MODELS = ("this model", "cheat (lesson 12)", "honest twin (lesson 12)")


class TCAVPanel(Panel):
    """TCAV of one concept for every class at one layer, drawn by :func:`helpers.tcav.tcav_chart`.

    Significant classes are solid bars; insignificant ones are hatched grey
    and labelled "n.s."; the grey dots are the random CAVs' scores (the null).
    Bonferroni's correction is over the classes shown.

    Args:
      spec: a :class:`helpers.models.ModelSpec` ("this model").
      concept: the concept selected at start (a name in :data:`helpers.tcav.CONCEPTS`).
      layer: the layer at start (default: the second-to-last conv layer, else the last).
      n: images per concept and random set; ``n_random``: concept CAVs and random CAVs (each).
    """

    key = "tcav"

    def __init__(self, spec, concept: str = "stripes", layer: str | None = None, model: str = MODELS[0],
                 n: int = 30, n_random: int = 10, projector: bool | None = None):
        import ipywidgets as w

        from helpers import tcav

        if concept not in tcav.CONCEPTS:
            raise ValueError(f"unknown concept {concept!r}; valid concepts: {', '.join(tcav.CONCEPTS)}")
        if model not in MODELS:
            raise ValueError(f"unknown model {model!r}; choose from {', '.join(MODELS)}")
        self.spec, self.n, self.n_random = spec, n, n_random
        convs = list(spec.conv_layers)
        layer = layer or (convs[-2] if len(convs) > 1 else convs[-1])
        controls = {"model": w.Dropdown(options=list(MODELS), value=model, description="Model"),
                    "concept": w.Dropdown(options=list(tcav.CONCEPTS), value=concept, description="Concept"),
                    "layer": w.Text(value=layer, description="Layer", continuous_update=False)}
        super().__init__("Concept vectors: does a concept push each class's logit up?", controls, live=False,
                         projector=projector)

    def model(self):
        """The chosen model's spec."""
        choice = self.value("model")
        if choice == MODELS[0]:
            return self.spec
        from helpers.shortcut import load_pair

        return load_pair()[MODELS.index(choice) - 1]

    def validate(self) -> None:
        from helpers._graph import resolve

        resolve(self.model().model, self.value("layer").strip())

    def compute(self, callback):
        from helpers import config, tcav

        spec = self.model()
        callback(0, 1)
        concept = self.value("concept")
        res = tcav.tcav(spec, self.value("layer").strip(), concept, n=config.samples(self.n),
                        n_images=min(20, config.samples(self.n)), n_random=self.n_random, seed=0,
                        random_kind="random tags" if concept.startswith("tag ") else "random shapes")
        callback(1, 1)
        return tcav.tcav_chart(res, title=f"{self.value('model')}: '{res[0].concept}' at {res[0].layer} "
                               f"(Bonferroni x{res[0].n_tests})")
