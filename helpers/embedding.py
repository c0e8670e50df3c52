"""Maps of what a network has learned: penultimate features, t-SNE and how well classes separate.

The layer just before the class scores holds the network's final description
of an image (64 numbers on the shapes CNN, 4096 on VGG16). t-SNE
(van der Maaten and Hinton, "Visualizing Data using t-SNE", JMLR 2008) places
one point per image in 2-D so that neighbours stay neighbours: it matches the
affinities

.. math::

    p_{j|i} = \\frac{\\exp(-\\lVert x_i - x_j\\rVert^2 / 2\\sigma_i^2)}{\\sum_{k\\ne i}\\exp(-\\lVert x_i - x_k\\rVert^2 / 2\\sigma_i^2)},
    \\qquad q_{ij} = \\frac{(1 + \\lVert y_i - y_j\\rVert^2)^{-1}}{\\sum_{k\\ne l}(1 + \\lVert y_k - y_l\\rVert^2)^{-1}}

by minimising :math:`KL(P\\,\\Vert\\,Q)`; each :math:`\\sigma_i` is chosen so
that the *perplexity* :math:`2^{H(P_i)}` (an effective number of neighbours)
is the same for every point.

A picture can flatter, so we also measure: k-NN accuracy (k = 5, stratified
5-fold cross-validation with a seeded shuffle) in the feature space and in
the 2-D map, and the silhouette score (Rousseeuw 1987), each compared with
raw pixels and with an untrained copy of the network.
"""

from __future__ import annotations

import numpy as np

from helpers import config

#: k of the k-NN accuracy and the number of cross-validation folds.
K_NEIGHBOURS, FOLDS = 5, 5


def penultimate_layer(model) -> str:
    """Name of the layer whose output feeds the class scores (``"gap"`` on the shapes CNN, ``"fc2"`` on VGG16).

    Found generically: the input of the pre-softmax model's last layer.
    """
    from helpers.models import without_softmax

    logits = without_softmax(model)
    last = logits.layers[-1]
    target = last.input
    for layer in reversed(logits.layers[:-1]):
        if layer.output is target:
            return layer.name
    flat = [layer.name for layer in logits.layers[:-1] if len(getattr(layer.output, "shape", ())) == 2]
    if not flat:
        raise ValueError(f"model {model.name!r} has no flat (vector) layer before its outputs")
    return flat[-1]


def features(model, images, layer: str | None = None, batch_size: int = 64, progress: bool = True,
             callback=None) -> np.ndarray:
    """Activations of ``layer`` (default: :func:`penultimate_layer`) for many images, in batches.

    Feature maps (4-D) are averaged over positions, so every image gives one
    vector. ``callback(done, total)`` may return ``False`` to stop early; the
    features computed so far are returned.
    """
    import tensorflow as tf

    from helpers import _graph
    from helpers.activations import feature_model

    model = _graph.as_model(model)
    name = layer or penultimate_layer(model)
    fm = feature_model(model, name)  # also reaches inside a nested (or adapted) base model
    x = np.asarray(images, dtype=np.float32)
    if x.ndim != 4:
        raise ValueError(f"expected a batch of images [n, h, w, 3]; got shape {x.shape}")
    size = tuple(model.inputs[0].shape[1:3])
    out = []
    starts = range(0, len(x), batch_size)
    bar = config.progress_bar(len(starts), f"features {name}", progress)
    for i, start in enumerate(starts):
        batch = x[start:start + batch_size]
        if None not in size and batch.shape[1:3] != size:  # e.g. 32 px CIFAR-10 upscaled for VGG16
            batch = tf.image.resize(batch, size).numpy()
        f = fm(batch, training=False)
        f = np.asarray(f[0] if isinstance(f, (list, tuple)) else f, dtype=np.float32)
        out.append(f.reshape(len(f), -1, f.shape[-1]).mean(1) if f.ndim == 4 else f.reshape(len(f), -1))
        bar.update(1)
        if callback is not None and callback(i + 1, len(starts)) is False:
            break
    bar.close()
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def cifar10_available() -> tuple[bool, str]:
    """Whether Keras can load CIFAR-10: cached in ``~/.keras/datasets``, or downloads allowed."""
    import os
    from pathlib import Path

    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    if (home / "datasets" / "cifar-10-batches-py").is_dir():
        return True, "cached"
    if os.environ.get("COURSE_OFFLINE", "").lower() in {"1", "true", "yes"}:
        return False, "it is not cached on this machine, and this session is set to work offline"
    return True, "downloaded once by Keras (160 MB)"


def dataset(spec, n: int, seed: int = 0, verbose: bool = True):
    """A labelled image set for ``spec``: ``(images, labels, class_names)``.

    The shapes CNN gets ``n`` fresh shapes images (a seed of your choice; the
    models were trained on seeds 1000 and 1001). Any other model gets a seeded
    sample of the CIFAR-10 test set (downloaded by Keras, 160 MB, on first use;
    its 32 px images are upscaled batch by batch in :func:`features` and by
    ``spec.predict``), or, when CIFAR-10 cannot be had offline, shapes images
    at the model's input size (printed). ``class_names`` name the *data's*
    labels, which are not the model's own classes (``spec.class_names``).
    """
    from helpers.shapes import CLASS_NAMES, make_shapes

    usable, why = (False, "") if spec.name.startswith("shapes") else cifar10_available()
    if not usable:
        if why and verbose:
            print(f"CIFAR-10 is unavailable ({why}): using shapes images at {spec.name}'s input size instead; "
                  f"their labels are the 8 shapes classes, not {spec.name}'s {len(spec.class_names)} classes.")
        x, y, _ = make_shapes(n, seed=seed, size=spec.input_size[0])
        return x, y, list(CLASS_NAMES)
    import keras

    (_, _), (x, y) = keras.datasets.cifar10.load_data()
    pick = config.rng(seed).choice(len(x), size=min(n, len(x)), replace=False)
    return x[pick].astype(np.float32) / 255.0, y[pick, 0].astype(int), list(CIFAR10_CLASSES)


def pixels(images) -> np.ndarray:
    """Raw pixels as feature vectors ``[n, h*w*3]`` (the baseline with no network at all)."""
    x = np.asarray(images, dtype=np.float32)
    return x.reshape(len(x), -1)


def untrained_twin(model, seed: int = 0):
    """A copy of ``model`` with freshly initialised, seeded weights (the caller's model is untouched).

    The shapes CNN gets :func:`helpers.train.build_shapes_cnn`; any other
    model a clone whose weights are redrawn from each layer's initializer.
    """
    import keras

    if model.name.startswith("shapes_cnn"):
        from helpers.train import build_shapes_cnn

        return build_shapes_cnn(size=int(model.inputs[0].shape[1]), seed=seed, name=f"untrained_{seed}")
    from helpers.metrics import _fresh_value

    def leaves(layer):  # the layers of a nested base model one by one, each with its own initializers
        inner = getattr(layer, "layers", None)
        return [leaf for sub in inner for leaf in leaves(sub)] if inner else [layer]

    twin = keras.models.clone_model(model)
    for i, layer in enumerate(leaves(twin)):
        for j, var in enumerate(layer.weights):
            var.assign(_fresh_value(layer, var, seed * 1000 + i * 10 + j))
    return twin


def tsne(feats, perplexity: float = 30.0, seed: int = 0, pca_dims: int = 50) -> np.ndarray:
    """2-D t-SNE of ``feats [n, d]``: seeded, PCA initialisation, learning rate "auto".

    Features are first reduced to ``pca_dims`` by PCA when wider (the usual
    speed-up; it keeps the distances t-SNE looks at). The perplexity must be
    below the number of points.
    """
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    x = np.asarray(feats, dtype=np.float32)
    n = len(x)
    if x.ndim != 2 or n < 4:
        raise ValueError(f"t-SNE needs at least 4 feature vectors [n, d]; got shape {x.shape}")
    if not 0 < perplexity < n:
        raise ValueError(f"perplexity {perplexity} out of range: it must be between 0 and the number of points ({n})")
    if x.shape[1] > pca_dims and n > pca_dims:
        x = PCA(pca_dims, random_state=seed).fit_transform(x)
    model = TSNE(2, perplexity=float(perplexity), init="pca", learning_rate="auto", random_state=seed)
    # OpenMP threads cost more than they save on a busy 2-core machine (1000 points: 14 s on one thread, 67 s on all).
    with threadpool_limits(1):
        return model.fit_transform(x).astype(np.float32)


def _labels_for(points, labels) -> np.ndarray:
    """``labels`` as whole class indices, one per point; a clear error otherwise."""
    y = np.asarray(labels)
    n = len(np.asarray(points))
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"{y.size} labels for {n} points; give one class index per point")
    if not np.issubdtype(y.dtype, np.integer):
        if np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y)):
            y = y.astype(np.int64)
        else:
            raise TypeError(f"labels must be class indices (whole numbers); got dtype {y.dtype}")
    if y.size and y.min() < 0:
        raise ValueError(f"labels must be class indices 0 or more; got {int(y.min())}")
    return y


def knn_accuracy(x, labels, k: int = K_NEIGHBOURS, folds: int = FOLDS, seed: int = 0) -> float:
    """Mean k-NN accuracy over stratified ``folds``-fold cross-validation (shuffled with ``seed``)."""
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    y = _labels_for(x, labels)
    folds = max(2, min(folds, int(np.bincount(y).min())))
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    return float(cross_val_score(KNeighborsClassifier(k), np.asarray(x, np.float32), y, cv=cv).mean())


def knn_predictions(x, labels, k: int = K_NEIGHBOURS) -> np.ndarray:
    """Leave-one-out k-NN label of every point (the neighbours exclude the point itself)."""
    from sklearn.neighbors import NearestNeighbors

    y = _labels_for(x, labels)
    idx = NearestNeighbors(n_neighbors=k + 1).fit(x).kneighbors(x, return_distance=False)[:, 1:]
    n_classes = int(y.max()) + 1
    votes = np.stack([np.bincount(row, minlength=n_classes) for row in y[idx]])
    return votes.argmax(1)


def silhouette(x, labels) -> float:
    """Silhouette score: :math:`\\mathrm{mean}_i (b_i - a_i)/\\max(a_i, b_i)`, in [-1, 1]; higher = tighter, apart."""
    from sklearn.metrics import silhouette_score

    return float(silhouette_score(np.asarray(x, np.float32), _labels_for(x, labels)))


def metrics(feats, emb, labels, seed: int = 0, prefix: str = "") -> dict[str, float]:
    """k-NN accuracy in the feature space and in 2-D, plus the 2-D silhouette, as ``{name: value}``."""
    return {f"{prefix}knn_accuracy": knn_accuracy(emb, labels, seed=seed),
            f"{prefix}feature_knn_accuracy": knn_accuracy(feats, labels, seed=seed),
            f"{prefix}silhouette": silhouette(emb, labels)}


def scatter(emb, labels, class_names, images=None, thumbs: int = 60, highlight=None, title: str = "",
            seed: int = 0, zoom: float | None = None, ax=None, highlight_label: str = "out of place in the map"):
    """Scatter plot of a 2-D embedding, coloured by label, with image thumbnails at some points.

    Args:
      emb: ``[n, 2]`` points; labels: ``[n]`` class indices.
      images: ``[n, h, w, 3]`` images for the thumbnails (None: no thumbnails).
      thumbs: how many thumbnails (a seeded random choice of points).
      highlight: boolean ``[n]``: points ringed in black (e.g. those whose nearest
        neighbours in the map mostly belong to another class).
      ax: draw into these axes instead of a new figure.
      highlight_label: the legend's name for the ringed points (their count is added).
    """
    import matplotlib
    from matplotlib.offsetbox import AnnotationBbox, OffsetImage

    from helpers.plotting import _style, new_figure

    emb, labels = np.asarray(emb), _labels_for(emb, labels)
    if labels.size and labels.max() >= len(class_names):
        raise ValueError(f"label {int(labels.max())} has no class name: {len(class_names)} class names given")
    fig = None
    if ax is None:
        fig, ax = new_figure(8, 6.8)
    colors = matplotlib.colormaps["tab10"]
    for c, name in enumerate(class_names):
        sel = labels == c
        if sel.any():
            ax.scatter(emb[sel, 0], emb[sel, 1], s=10, color=colors(c % 10), label=name, alpha=0.8)
    if highlight is not None and np.any(highlight):
        h = np.asarray(highlight, bool)
        ax.scatter(emb[h, 0], emb[h, 1], s=80, facecolors="none", edgecolors="black", linewidths=1.5,
                   label=f"{highlight_label} ({int(h.sum())})")
    if images is not None and thumbs > 0:
        pick = config.rng(seed).choice(len(emb), size=min(thumbs, len(emb)), replace=False)
        z = zoom or 40.0 / max(np.asarray(images).shape[1:3])  # thumbnails 40 px wide (at 100 dpi)
        for i in pick:
            box = AnnotationBbox(OffsetImage(np.clip(images[i], 0, 1), zoom=z), emb[i], frameon=True,
                                 bboxprops={"edgecolor": colors(int(labels[i]) % 10), "linewidth": 1.5}, pad=0.05)
            ax.add_artist(box)
    fs = _style()["fontsize"]
    ax.legend(fontsize=fs - 1, markerscale=1.5, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              borderaxespad=0.0, frameon=False)  # outside the map: it never covers points
    ax.set_title(title, fontsize=fs + 1)
    ax.set_xticks([])
    ax.set_yticks([])
    if fig is not None:
        fig.tight_layout()
    return fig if fig is not None else ax.figure


def panels(embs: dict, labels, class_names, cell: float = 4.0):
    """Several embeddings side by side (e.g. one per perplexity, or trained vs pixels); titles are the keys."""
    from helpers.plotting import new_figure

    fig, axes = new_figure(cell * len(embs), cell + 0.4, ncols=len(embs), squeeze=False)
    for ax, (title, emb) in zip(axes[0], embs.items()):
        scatter(emb, labels, class_names, title=str(title), ax=ax)
        leg = ax.get_legend()
        if leg is not None and ax is not axes[0][-1]:
            leg.remove()
    fig.tight_layout()
    return fig


def tsne_report(n: int = 1000, seed: int | None = None, perplexity: float = 30.0) -> dict[str, float]:
    """t-SNE and k-NN figures on ``n`` fresh shapes images (an unseen seed), against two baselines.

    ``tsne_*``: the trained shapes CNN's penultimate features; ``pixels_*``: raw
    pixels; ``untrained_*``: the same architecture with fresh random weights.
    ``*_knn_accuracy`` is 5-NN accuracy (stratified 5-fold CV) in the 2-D map,
    ``*_feature_knn_accuracy`` in the full feature space.
    """
    from helpers.config import UNSEEN_SEED
    from helpers.models import load_shapes
    from helpers.shapes import make_shapes

    seed = UNSEEN_SEED if seed is None else seed
    model = load_shapes("a").model
    x, y, _ = make_shapes(n, seed=seed)
    sources = {"tsne": features(model, x), "pixels": pixels(x),
               "untrained": features(untrained_twin(model, seed=1), x)}
    out: dict[str, float] = {}
    for name, feats in sources.items():
        emb = tsne(feats, perplexity=min(perplexity, (n - 1) / 3), seed=0)
        out.update(metrics(feats, emb, y, seed=0, prefix=f"{name}_"))
        out[f"{name}_feature_silhouette"] = silhouette(feats, y)
    return out
