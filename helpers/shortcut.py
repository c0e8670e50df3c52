"""The tank story in the shapes world: a spurious cue, a model that cheats, and maps that catch it.

A *shortcut* (Geirhos et al. 2020, *Shortcut Learning in Deep Neural
Networks*) is a feature that predicts the label in the training data but has
nothing to do with the task. Here it is a small coloured **tag** in a corner
of the image: in the training data of the cheating model, the tag's colour
names the class in a fraction ``agreement`` of the images (95 % by default)
and is another class's colour in the rest. A network can learn "read the
tag's colour" far faster than "tell a star from a plus".

Because the generator draws the tag itself, every image comes with the tag's
exact pixels (the *cue mask*), and :func:`cue_energy_report` can measure how
much of each attribution map's mass falls on them:

.. math:: E_{cue} = \\frac{\\sum_{p \\in C} S_p}{\\sum_p S_p}

(the energy-in-mask score of :func:`helpers.metrics.energy_in_mask`, with the
cue mask :math:`C` in place of the object's mask). The tag covers
``TAG**2 / 64**2`` (6.25 %) of the image, so a map that ignores it scores
about that.

The honest twin is trained by the same recipe on the same images, with the
same tags, but their colours are drawn at random: the tag is there and it
carries no information, so the twin learns to ignore it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers import config
from helpers.shapes import CLASS_NAMES, NUM_CLASSES, make_shapes

#: Side of the square tag in pixels: 4 x 4 cells of the shapes CNN's 16 x 16 last conv grid
#: (a 12 px tag gave Grad-CAM too little room: 0.55 of the cheat's map on it, against 0.63 at 16 px).
TAG = 16
#: One tag colour per class (RGB in [0, 1]), in :data:`helpers.shapes.CLASS_NAMES` order.
PALETTE = np.array([
    [1.0, 0.0, 0.0],    # circle: red
    [0.0, 0.8, 0.0],    # square: green
    [0.0, 0.2, 1.0],    # triangle: blue
    [1.0, 1.0, 0.0],    # ring: yellow
    [1.0, 0.0, 1.0],    # plus: magenta
    [0.0, 1.0, 1.0],    # horizontal stripes: cyan
    [1.0, 1.0, 1.0],    # vertical stripes: white
    [0.0, 0.0, 0.0],    # star: black
], dtype=np.float32)
COLOUR_NAMES = ("red", "green", "blue", "yellow", "magenta", "cyan", "white", "black")
#: Training data seed of the cheating model and its honest twin (evaluation uses unseen seeds).
TRAIN_SEED = 5000


@dataclass
class CueData:
    """Shapes images with and without the tag.

    Attributes:
      with_cue: ``[n, h, w, 3]`` images with the tag painted in.
      without_cue: the same images without it (pixel for pixel, elsewhere identical).
      labels: ``[n]`` true classes (the shape).
      masks: ``[n, h, w]`` the object's pixels.
      cue_masks: ``[n, h, w]`` the tag's pixels.
      cue_classes: ``[n]`` the class whose colour the tag has.
    """

    with_cue: np.ndarray
    without_cue: np.ndarray
    labels: np.ndarray
    masks: np.ndarray
    cue_masks: np.ndarray
    cue_classes: np.ndarray


def tag_corner(masks: np.ndarray, tag: int = TAG) -> np.ndarray:
    """Top-left pixel ``[n, 2]`` (row, col) of the corner square farthest from each object's centre.

    The shapes generator keeps every object's centre at least one radius
    plus a pixel from the border, so the farthest corner never touches it.
    """
    n, h, w = masks.shape
    rows, cols = np.mgrid[0:h, 0:w]
    area = masks.sum((1, 2)).clip(min=1)
    cy = (masks * rows).sum((1, 2)) / area
    cx = (masks * cols).sum((1, 2)) / area
    top = np.where(cy >= h / 2, 0, h - tag)
    left = np.where(cx >= w / 2, 0, w - tag)
    return np.stack([top, left], axis=1)


def paint_tag(images, corners, colours, tag: int = TAG) -> tuple[np.ndarray, np.ndarray]:
    """Copies of ``images`` with a ``tag`` x ``tag`` square of ``colours[i]`` at ``corners[i]``; and the tag masks."""
    out = np.array(images, dtype=np.float32, copy=True)
    cue = np.zeros(out.shape[:3], dtype=bool)
    for i, (r, c) in enumerate(np.asarray(corners, dtype=int)):
        out[i, r:r + tag, c:c + tag] = colours[i]
        cue[i, r:r + tag, c:c + tag] = True
    return out, cue


def make_cue_shapes(n: int, seed: int = 0, agreement: float | None = 0.95, size: int = 64,
                    tag: int = TAG) -> CueData:
    """Shapes images with a class-coloured tag in a corner, and the same images without it.

    Args:
      n: number of images.
      seed: seed of the images (:func:`helpers.shapes.make_shapes`) and of the tag colours.
      agreement: the fraction of images whose tag has their own class's colour
        (exactly ``round(agreement * n)`` of them, at random positions); the
        others get one of the other seven colours. ``None`` draws every colour
        uniformly at random, independent of the class (the honest twin's data).
      size: image side in pixels.
      tag: tag side in pixels (at most a quarter of ``size``).

    Returns:
      a :class:`CueData`.
    """
    if agreement is not None and not 0.0 <= float(agreement) <= 1.0:
        raise ValueError(f"agreement must be a fraction between 0 and 1 (or None for random colours); got {agreement}")
    if not 1 <= int(tag) <= int(size) // 4:
        raise ValueError(f"tag must be between 1 and size/4 = {int(size) // 4} pixels; got {tag}")
    x, y, masks = make_shapes(n, seed=seed, size=size)
    rng = config.rng([seed, 11])
    if agreement is None:
        cue_classes = rng.integers(0, NUM_CLASSES, len(y))
    else:
        match = np.zeros(len(y), dtype=bool)
        match[rng.permutation(len(y))[:int(round(float(agreement) * len(y)))]] = True
        other = (y + rng.integers(1, NUM_CLASSES, len(y))) % NUM_CLASSES  # any class but the true one
        cue_classes = np.where(match, y, other)
    with_cue, cue_masks = paint_tag(x, tag_corner(masks, tag), PALETTE[cue_classes], tag)
    return CueData(with_cue, x, y, masks, cue_masks, cue_classes.astype(np.int64))


def with_tag(image, mask, cue_class: int | None, tag: int = TAG) -> np.ndarray:
    """One image ``[h, w, 3]`` with a tag of ``cue_class``'s colour (``None``: the image unchanged)."""
    if cue_class is None:
        return np.array(image, dtype=np.float32, copy=True)
    if not 0 <= int(cue_class) < NUM_CLASSES:
        raise ValueError(f"cue_class {cue_class} out of range 0..{NUM_CLASSES - 1}")
    img, _ = paint_tag(np.asarray(image)[None], tag_corner(np.asarray(mask)[None], tag), PALETTE[[int(cue_class)]], tag)
    return img[0]


def describe_palette() -> str:
    """``"circle: red, square: green, ..."``, for printouts."""
    return ", ".join(f"{c}: {k}" for c, k in zip(CLASS_NAMES, COLOUR_NAMES))


# ------------------------------------------------------------------ models

#: File names of the two shipped models (in ``data/models/``).
MODEL_FILES = {"shortcut": "shapes_cnn_shortcut.keras", "honest": "shapes_cnn_honest.keras"}
#: Training recipe: plain (no adversarial step), same seed and images; epochs per model.
#: The twin needs 8 epochs to learn the shapes (after 3 it was right on 0.79 of fresh images and
#: its maps were diffuse: occlusion put 0.11 of its mass on the tag). The cheat stops at 3: its
#: training accuracy is then near the 0.95 the tag allows and hardly rises after. Trained for 8
#: epochs too, it still cheats (0.96 with the tag, 0.26 without, on 1000 fresh images), but its
#: Grad-CAM is less concentrated on the tag (0.60 of the map on 40 images, against 0.73 at 3 epochs).
RECIPE = {"n_train": 8000, "epochs": {"shortcut": 3, "honest": 8}, "seed": 0}


def train_pair(out, n_train: int = RECIPE["n_train"], epochs: dict | None = None, seed: int = RECIPE["seed"],
               which=("shortcut", "honest"), verbose: int = 2) -> dict:
    """Train the cheating model and/or its honest twin; save them to ``out``; return their training records.

    Both start from the same initial weights and see the same
    ``make_cue_shapes(n_train, seed=TRAIN_SEED)`` images with the same tags;
    the only difference is the tags' colours: the class's own colour in 95 %
    of the cheat's images, random for the twin.

    Args:
      epochs: ``{"shortcut": e1, "honest": e2}`` (default :data:`RECIPE`).
      which: the models to train, ``"shortcut"`` and/or ``"honest"``.
    """
    from pathlib import Path

    from helpers.course.kerasfile import make_portable
    from helpers.train import accuracy, train_shapes_cnn

    epochs = {**RECIPE["epochs"], **(epochs or {})}
    unknown = [k for k in which if k not in MODEL_FILES]
    if unknown:
        raise ValueError(f"unknown model {unknown[0]!r}; choose from {', '.join(MODEL_FILES)}")
    records = {}
    for key in which:
        agreement = 0.95 if key == "shortcut" else None
        data = make_cue_shapes(n_train, seed=TRAIN_SEED, agreement=agreement)
        model, seconds = train_shapes_cnn(seed=seed, n_train=n_train, epochs=epochs[key], adversarial=0.0,
                                          data=(data.with_cue, data.labels), name=f"shapes_cnn_{key}",
                                          verbose=verbose)
        model.save(Path(out) / MODEL_FILES[key])
        make_portable(Path(out) / MODEL_FILES[key])  # loadable by Keras 3.10 and later (helpers.course.kerasfile)
        records[MODEL_FILES[key]] = {
            "seed": seed, "epochs": epochs[key], "n_train": n_train, "adversarial": 0.0,
            "cue": f"{TAG} px corner tag, colour = class in {agreement:.0%} of images" if agreement is not None
            else f"{TAG} px corner tag, random colour",
            "train_seconds": round(seconds, 1), "fresh_accuracy_without_cue": round(accuracy(model), 4),
            "params": int(model.count_params())}
        if verbose:
            print(f"{MODEL_FILES[key]}: trained in {seconds:.0f} s", flush=True)
    return records


def training_records() -> dict:
    """How the shipped cheat and twin were trained: ``{"cheat": record, "twin": record}``.

    Each record is the one :func:`train_pair` wrote to ``data/models/shapes_cnn.json``
    (``seed``, ``epochs``, ``n_train``, ``cue``, ``fresh_accuracy_without_cue`` ...).
    """
    import json

    from helpers import config

    models = json.loads(config.data_path("models", "shapes_cnn.json").read_text())["models"]
    return {"cheat": models[MODEL_FILES["shortcut"]], "twin": models[MODEL_FILES["honest"]]}


def load_pair():
    """``(cheat, honest)`` :class:`helpers.models.ModelSpec` s: ``load_model("shapes_shortcut")``, ``("shapes_honest")``."""
    from helpers.models import load_model

    return load_model("shapes_shortcut"), load_model("shapes_honest")


# ------------------------------------------------------------------ measuring

def accuracy(model, images, labels) -> float:
    """Fraction of ``images`` whose top class is ``labels``."""
    probs = np.asarray(model.predict(images, batch_size=256, verbose=0))
    return float(np.mean(probs.argmax(1) == np.asarray(labels)))


def methods(fast_settings: bool = True) -> dict:
    """Every registered attribution method: ``{name: (function, kwargs)}`` (:data:`helpers.attribution.REGISTRY`).

    ``fast_settings`` uses each method's quick settings (fewer samples for
    the sampling methods: SmoothGrad 16, integrated gradients 16 steps, RISE
    500 masks, LIME 300 samples); the random ones get ``seed=0``.
    """
    from helpers.attribution import REGISTRY

    return {m.name: (m.function, m.settings(quick=fast_settings, seed=0)) for m in REGISTRY.values()}


def cue_energy(model, images, cue_masks, names=None, class_index="auto", fast_settings: bool = True,
               progress: bool = False) -> dict:
    """Per method, the fraction of each map's mass on the tag: ``{name: [n] array}``.

    The maps explain ``class_index`` (default: the model's own prediction,
    "why did you say that?"); ``progress`` shows the methods' own progress bars.
    ``names`` default: every method the lessons teach (``in_lessons`` in
    :data:`helpers.attribution.REGISTRY`); any of :func:`methods` may be named.
    """
    import warnings

    from helpers.attribution import REGISTRY
    from helpers.metrics import energy_in_mask

    table = methods(fast_settings)
    names = [m for m in table if REGISTRY[m].in_lessons] if names is None else list(names)
    unknown = [m for m in names if m not in table]
    if unknown:
        raise ValueError(f"unknown method {unknown[0]!r}; available: {', '.join(table)}")
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in names:
            fn, kw = table[name]
            if REGISTRY[name].takes_progress:
                kw = {**kw, "progress": progress}
            maps = fn(model, images, class_index, **kw)
            out[name] = energy_in_mask(maps, cue_masks)
    return out


def shortcut_report(n: int = 100, seed: int = 777_001) -> dict:
    """The figures of lesson 12, as ``name: value`` (``python -m helpers.course.evaluate shortcut``).

    * ``shortcut_accuracy_with_cue`` / ``_without_cue``: the cheating model on
      ``max(n, 1000)`` fresh images drawn like its training data (tag colour =
      class in 95 %), and on the same images with no tag; ``..._honest``: the twin.
    * ``shortcut_follows_cue``: how often the cheat answers the tag's class.
    * ``shortcut_energy_on_cue_<method>_cheat`` / ``_honest``: mean fraction of
      each map's mass on the tag, on ``n`` tagged images, every registered method.
    * ``shortcut_cue_area``: the tag's share of the image (what a map that ignores it scores).
    """
    cheat, honest = load_pair()
    data = make_cue_shapes(max(n, 1000), seed=seed)
    out = {}
    for label, spec in (("", cheat), ("_honest", honest)):
        out[f"shortcut_accuracy_with_cue{label}"] = accuracy(spec.model, data.with_cue, data.labels)
        out[f"shortcut_accuracy_without_cue{label}"] = accuracy(spec.model, data.without_cue, data.labels)
    out["shortcut_follows_cue"] = accuracy(cheat.model, data.with_cue, data.cue_classes)
    out["shortcut_cue_area"] = float(data.cue_masks.mean())
    x, cue = data.with_cue[:n], data.cue_masks[:n]
    energies = {label: cue_energy(spec.model, x, cue, names=list(methods()))
                for label, spec in (("cheat", cheat), ("honest", honest))}
    for name in energies["cheat"]:
        for label in ("cheat", "honest"):
            out[f"shortcut_energy_on_cue_{name}_{label}"] = float(energies[label][name].mean())
    return out


def display_names() -> dict:
    """``{method: the name a learner sees}``, from :data:`helpers.attribution.REGISTRY` (as the panels)."""
    from helpers.attribution import LABELS

    return dict(LABELS)


#: How the chart draws the cheat's dots, by the tag's colour: ``(legend, face colour, edge colour)``.
TAG_STYLES = {"coloured": ("cheat, coloured tag", "tab:red", "tab:red"),
              "white": ("cheat, white tag", "white", "0.35"),
              "black": ("cheat, black tag", "black", "black")}


def tag_kinds(cue_classes) -> np.ndarray:
    """Per image ``"white"``, ``"black"`` (the two neutral tag colours) or ``"coloured"``."""
    c = np.asarray(cue_classes)
    return np.select([c == COLOUR_NAMES.index("white"), c == COLOUR_NAMES.index("black")],
                     ["white", "black"], "coloured")


def energy_chart(cheat: dict, honest: dict, area: float, kinds=None,
                 title: str = "share of each map on the tag, per image"):
    """Per method, every image's share of the map on the tag (dots) and each model's mean (black bar).

    ``cheat`` and ``honest`` map method names to per-image arrays. Methods run
    down the rows (display names). ``kinds`` (from :func:`tag_kinds`) draws
    the cheat's dots by tag colour (:data:`TAG_STYLES`). A dashed line marks
    ``area``, the share of a uniform map (one that ignores the tag); a dotted
    one marks half.
    """
    from helpers.plotting import _style, new_figure

    names = list(cheat)
    label = display_names()
    fs = max(12, _style()["fontsize"])
    fig, ax = new_figure(10.0, 0.42 * len(names) + 2.2)
    jitter = np.random.default_rng(0)
    n = len(np.atleast_1d(cheat[names[0]]))
    kinds = np.full(n, "coloured") if kinds is None else np.asarray(kinds)
    for row, m in enumerate(names):
        for shift, who, values in ((-0.18, "cheat", cheat[m]), (0.18, "twin", honest[m])):
            v = np.atleast_1d(np.asarray(values, dtype=float))
            y = row + shift + jitter.uniform(-0.09, 0.09, len(v))
            groups = TAG_STYLES.items() if who == "cheat" else [("twin", ("honest twin", "tab:blue", "tab:blue"))]
            for kind, (legend, face, edge) in groups:
                sel = kinds == kind if who == "cheat" else np.ones(len(v), bool)
                if sel.any():
                    ax.scatter(v[sel], y[sel], s=14, c=face, edgecolors=edge, linewidths=0.7, alpha=0.75,
                               label=legend if row == 0 else None)
            ax.plot([v.mean()] * 2, [row + shift - 0.17, row + shift + 0.17], color="black", linewidth=2.5,
                    label="mean" if row == 0 and who == "cheat" else None)
    ax.axvline(area, color="gray", linestyle="--", linewidth=1.2, label=f"tag's area ({area:.2%}): a uniform map")
    ax.axvline(0.5, color="black", linestyle=":", linewidth=1.2, label="half")
    ax.set_yticks(range(len(names)), [label.get(m, m) for m in names], fontsize=fs)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.tick_params(axis="x", labelsize=fs - 1)
    ax.set_xlabel("share of the map on the tag, $E_{tag}$ (upper dots: cheat, lower: twin)", fontsize=fs)
    ax.set_title(title, fontsize=fs + 1)
    ax.legend(fontsize=fs - 1, loc="upper center", bbox_to_anchor=(0.5, -0.06 - 0.45 / fig.get_figheight()),
              ncol=4, frameon=False, markerscale=2)
    fig.tight_layout()
    return fig


def showcase_figure(rows, methods_=None):
    """Rows of (image, then each method's map), the tag outlined in cyan, one colour bar.

    Args:
      rows: a list of ``(row name, image [h, w, 3], cue mask [h, w], {method: map}, {method: share})``;
        the image is shown as it is with its row name as title, each map scaled to [0, 1] on its own
        and titled with its share on the tag.
    """
    from helpers.images import normalize_map
    from helpers.plotting import HEATMAP, _style, new_figure

    label = display_names()
    methods_ = list(methods_ or rows[0][3])
    fs = _style()["fontsize"] + 1
    cols = len(methods_) + 1
    fig, axes = new_figure(1.75 * cols + 1.0, 2.1 * len(rows) + 0.3, nrows=len(rows), ncols=cols, squeeze=False)
    for r, (who, image, cue, maps, shares) in enumerate(rows):
        ax = axes[r, 0]
        ax.imshow(np.clip(image, 0, 1), interpolation="nearest")
        ax.set_title(who, fontsize=fs)
        ax.axis("off")
        for c, m in enumerate(methods_, start=1):
            ax = axes[r, c]
            im = ax.imshow(normalize_map(maps[m]), cmap=HEATMAP, vmin=0, vmax=1, interpolation="nearest")
            ax.contour(np.asarray(cue, dtype=float), [0.5], colors=["cyan"], linewidths=1.5)
            ax.set_title(f"{label.get(m, m)}\n{shares[m]:.0%} on tag", fontsize=fs)
            ax.axis("off")
    fig.tight_layout(rect=(0, 0, 0.93, 1))
    bar = fig.colorbar(im, cax=fig.add_axes((0.945, 0.15, 0.012, 0.7)))
    bar.set_label("each map scaled to its own max", fontsize=fs - 1)
    return fig
