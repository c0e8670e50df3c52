"""Lesson 09 panel: a t-SNE map of penultimate features, with perplexity, sample count and feature source."""

from __future__ import annotations

from helpers.widgets.base import Panel

SOURCES = ("trained network", "untrained network", "raw pixels")


class EmbeddingPanel(Panel):
    """t-SNE of a labelled image set: pick the perplexity, how many images and which features.

    The picture is the map coloured by class with thumbnails, misclassified
    points (leave-one-out 5-NN in 2-D) ringed, and the 5-NN accuracy and
    silhouette in the title.
    """

    key = "embedding"

    def __init__(self, spec, projector: bool | None = None):
        import ipywidgets as w

        self.spec = spec
        controls = {
            "perplexity": w.IntSlider(value=30, min=2, max=100, description="Perplexity", continuous_update=False),
            "samples": w.IntSlider(value=400, min=50, max=2000, step=50, description="Images", continuous_update=False),
            "features": w.Dropdown(options=SOURCES, value=SOURCES[0], description="Features"),
            "thumbnails": w.IntSlider(value=15, min=0, max=150, step=10, description="Thumbnails",
                                      continuous_update=False),
            "seed": w.IntText(value=0, description="Seed", layout=w.Layout(width="160px")),
        }
        super().__init__("t-SNE of learned features", controls, live=False, projector=projector)

    def validate(self) -> None:
        from helpers import config

        n, p = config.samples(int(self.value("samples"))), int(self.value("perplexity"))
        if p >= n:
            raise ValueError(f"perplexity {p} out of range: it must be below the number of images ({n})")

    def compute(self, callback):
        from helpers import config
        from helpers import embedding as E

        n = config.samples(int(self.value("samples")))
        seed = int(self.value("seed"))
        x, y, names = E.dataset(self.spec, n, seed=10_000 + seed)
        callback(1, 4)
        source = self.value("features")
        if source == "raw pixels":
            feats = E.pixels(x)
        else:
            model = self.spec.model if source == "trained network" else E.untrained_twin(self.spec.model, seed)
            feats = E.features(model, x, progress=False)
        callback(2, 4)  # t-SNE itself cannot be interrupted; it takes seconds
        emb = E.tsne(feats, perplexity=int(self.value("perplexity")), seed=seed)
        callback(3, 4)
        wrong = E.knn_predictions(emb, y) != y
        title = (f"{source}, perplexity {self.value('perplexity')}, {n} images: 5-NN accuracy "
                 f"{E.knn_accuracy(emb, y, seed=seed):.2f}, silhouette {E.silhouette(emb, y):.2f}")
        fig = E.scatter(emb, y, names, images=x, thumbs=int(self.value("thumbnails")), highlight=wrong,
                        title=title, seed=seed)
        callback(4, 4)
        return fig
