"""Class maximization recipes, regularizer ablations, random search, and the transfer test.

A class visualization maximizes the pre-softmax score :math:`z_c(x)` over the
image (Simonyan, Vedaldi and Zisserman 2014):

.. math:: x^* = \\arg\\max_x\\; z_c(x) - \\lambda R(x)

where the regularizer :math:`R` is either a penalty or, as in Yosinski et al.
2015 and the course notes (sources/003), an operation applied to the image
every few steps: clipping, decay toward grey, Gaussian blur, median filter,
plus random jitter/scale/rotation for robustness.

How to tell a good visualization from adversarial noise? Not by model A's
confidence: noise reaches >99% in a few steps. Instead :func:`transfer_rate`
asks a second model (same architecture, data and training, another seed,
``load_model("shapes_b")``) to classify model A's images. Features that
look like the class transfer; adversarial noise mostly does not.

:func:`recipe_for` picks the settings: sources/003's per-target VGG16 table
(:data:`VGG16_CLASSES`, :data:`VGG16_LAYERS`) on a VGG16, the course's
:func:`regularized` recipe otherwise. :func:`random_search` (Bergstra and
Bengio 2012) reports each trial on held-out start images as well as on the
images it was chosen by; :func:`restarts` and :func:`pick` compare ways of
keeping one image per class out of several runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from helpers import config
from helpers import objectives as O
from helpers import transforms as T
from helpers.render import RenderResult, render

#: Regularizers on their own, for the ablation grid: each column is one part of :func:`regularized`, with the
#: same settings (plus clipping), and ``norm clip`` (Yosinski et al. 2015), which the combined recipe leaves out.
ABLATIONS = {
    "naive": lambda seed: [],
    "clip": lambda seed: [T.clip()],
    "decay": lambda seed: [T.decay(0.01), T.clip()],
    "blur": lambda seed: [T.gaussian_blur(0.7, every=4), T.clip()],
    "median": lambda seed: [T.median_filter(3, every=8), T.clip()],
    "norm clip": lambda seed: [T.norm_clip(50.0, every=4), T.clip()],
    "shift/scale/rotate": lambda seed: robust(seed) + [T.clip()],
}


def robust(seed: int = 0, size: int = 64, rotate: float = 10.0, jitter: int | None = None) -> list:
    """The robustness transforms alone (pad, jitter, scale, rotate); jitter defaults to size / 16 pixels."""
    j = jitter if jitter is not None else max(1, size // 16)
    return [T.pad(j, seed=seed), T.jitter(j, seed=seed + 1), T.random_scale(seed=seed + 2),
            T.random_rotate(rotate, seed=seed + 3)]


def regularized(seed: int = 0, size: int = 64, blur: float = 0.7, blur_every: int = 4, median: int = 3,
                median_every: int = 8, decay: float = 0.01, jitter: int | None = None,
                rotate: float = 10.0) -> list:
    """The combined recipe: robustness transforms plus blur, median, decay and clip."""
    out = robust(seed, size, rotate=rotate, jitter=jitter)
    if blur > 0:
        out.append(T.gaussian_blur(blur, every=blur_every))
    if median >= 2:
        out.append(T.median_filter(median, every=median_every))
    if decay > 0:
        out.append(T.decay(decay))
    return out + [T.clip()]


#: The silhouette recipe: one flat-coloured shape in a central window (see
#: :class:`helpers.param.SilhouetteParam`) with the robustness transforms.
#: Its mask logits move slowly, hence the larger step.
SILHOUETTE = {"param": "silhouette", "lr": 0.1}


def visualize_silhouettes(model, classes, steps: int = 200, seed: int = 0, size: int | None = None,
                          **kwargs) -> RenderResult:
    """Class images restricted to one silhouette each (the shapes world's prior); see :data:`SILHOUETTE`."""
    size = size or int(model.inputs[0].shape[1] or 64)
    opts = {**SILHOUETTE, **kwargs}
    return visualize_classes(model, classes, robust(seed, size), steps=steps, seed=seed, **opts)


#: Every recipe by name, for widgets: ``RECIPES[name](seed) -> transforms``.
RECIPES = {**ABLATIONS, "combined": lambda seed: regularized(seed)}

#: sources/003's VGG16 settings, in its units: pixels 0-255 (mean subtracted), the raw gradient times the
#: learning rate, clipping at every step and a median filter of ``size`` every ``every`` steps.
#: Classes: the class score, 1000 steps. Layers: the channel summed over space, 200 steps.
VGG16_CLASSES = {"lr": 8000.0, "median": 5, "every": 4, "steps": 1000}
VGG16_LAYERS = {name: {"lr": lr, "median": m, "every": e, "steps": 200} for names, lr, m, e in [
    (("block1_conv1", "block1_conv2"), 1.0, 0, 0), (("block2_conv1", "block2_conv2"), 2.0, 3, 12),
    (("block3_conv1",), 6.0, 3, 6), (("block3_conv2", "block3_conv3"), 10.0, 3, 6),
    (("block4_conv1", "block4_conv2", "block4_conv3"), 40.0, 5, 4),
    (("block5_conv1", "block5_conv2", "block5_conv3"), 80.0, 5, 4)] for name in names}


@dataclass(frozen=True)
class Recipe:
    """Step size, steps, regularizers and objective of a class or layer visualization.

    ``recipe.kwargs(seed)`` gives ``transforms``, ``lr``, ``steps`` and
    ``normalize`` for :func:`visualize_classes` or :func:`helpers.render.render`;
    ``objective`` names the objective the step size was set for (a
    :func:`class_objective` kind, or ``"channel"`` for a layer's filters).
    """

    name: str
    lr: float
    steps: int
    make: Callable[[int], list]
    normalize: bool = True
    objective: str = "log-prob"
    source: str = ""

    def kwargs(self, seed: int = 0) -> dict:
        """``transforms``, ``lr``, ``steps`` and ``normalize`` as keyword arguments."""
        return {"transforms": self.make(seed), "lr": self.lr, "steps": self.steps, "normalize": self.normalize}


def _all_layers(model) -> list:
    out = []
    for layer in model.layers:
        out.append(layer)
        if hasattr(layer, "layers"):  # a nested model
            out += _all_layers(layer)
    return out


def is_vgg16(model) -> bool:
    """Whether ``model`` contains Keras' VGG16 convolutions (``block1_conv1`` ... ``block5_conv3``)."""
    return set(VGG16_LAYERS) <= {layer.name for layer in _all_layers(model)}


def _median_recipe(median: int, every: int):
    return lambda seed: ([T.median_filter(median, every=every)] if median else []) + [T.clip()]


def recipe_for(model, layer: str | None = None) -> Recipe:
    """The recipe for ``model``: sources/003's VGG16 table on a VGG16, the course's recipe otherwise.

    The table's learning rates :math:`\eta_{src}` apply to 0-255 pixels and the
    raw gradient. The course's models take pixels in [0, 1], so the same
    update :math:`\Delta x_{255} = \eta_{src} \nabla_{x_{255}} J` is
    :math:`\Delta x_{01} = (\eta_{src} / 255^2) \nabla_{x_{01}} J`; for a
    layer, the source sums the channel over space where
    :func:`helpers.objectives.channel` averages it, so the rate is also
    multiplied by the layer's :math:`H \times W`. ``layer=None``: the class
    recipe; a layer name: that layer's row (VGG16 only).
    """
    if is_vgg16(model):
        if layer is None:
            row, scale, objective = VGG16_CLASSES, 1.0, "logit"
        elif layer not in VGG16_LAYERS:
            raise ValueError(f"no VGG16 recipe for layer {layer!r}; choose from {', '.join(VGG16_LAYERS)}")
        else:
            shape = {lay.name: lay for lay in _all_layers(model)}[layer].output.shape
            row, scale, objective = VGG16_LAYERS[layer], float(shape[1] * shape[2]), "channel"
        return Recipe(f"VGG16 {layer or 'classes'} (sources/003)", row["lr"] * scale / 255.0 ** 2, row["steps"],
                      _median_recipe(row["median"], row["every"]), normalize=False, objective=objective,
                      source=f"lr {row['lr']:g}" + (f", median {row['median']} every {row['every']}"
                                                     if row["median"] else ""))
    if layer is not None:
        raise ValueError(f"per-layer recipes exist for VGG16 only (sources/003); {model.name!r} is not a VGG16")
    return Recipe("course recipe", 0.01, 200, lambda seed: regularized(seed), source="regularized()")


def vgg16_table() -> str:
    """sources/003's VGG16 recipes as a Markdown table (its units: 0-255 pixels, raw gradient)."""
    rows = [("classes", VGG16_CLASSES)] + list(VGG16_LAYERS.items())
    lines = ["| target | learning rate | median filter | steps |", "|---|---|---|---|"]
    for name, r in rows:
        median = f"{r['median']}x{r['median']} every {r['every']}" if r["median"] else "none"
        lines.append(f"| {name} | {r['lr']:g} | {median} | {r['steps']} |")
    return "\n".join(lines)


def class_objective(classes, kind: str = "log-prob") -> O.Objective:
    """The class objective for one image per class.

    ``"logit"``: the pre-softmax score :math:`z_c`. ``"log-prob"``:
    :math:`\\log p_c + 0.1\\,z_c`, still computed from the pre-softmax scores
    (never from a saturated softmax) but relative to the other classes. On the
    shapes CNN, whose global average pooling adds evidence from everywhere,
    :math:`z_c` alone is often best raised by a texture that raises another
    class even more. ``"softmax"``: :math:`p_c`, for comparison only.
    """
    classes = list(classes)
    names = [c for c in classes if isinstance(c, str)]
    if names:
        raise TypeError(f"classes are indices; got the name {names[0]!r}: use spec.class_index(name)")
    classes = [int(c) for c in classes]
    kinds = {"logit": lambda: O.class_logit(classes),
             "log-prob": lambda: O.class_logprob(classes) + 0.1 * O.class_logit(classes),
             "softmax": lambda: O.class_probability(classes)}
    if kind not in kinds:
        raise ValueError(f"unknown class objective {kind!r}; choose from {', '.join(kinds)}")
    return kinds[kind]()


def visualize_classes(model, classes, transforms=(), steps: int = 200, lr: float = 0.01, seed: int = 0,
                      param: str = "pixel", keep: str = "best", objective: str = "log-prob",
                      **kwargs) -> RenderResult:
    """Render one image per class in ``classes`` as one batch (objective from :func:`class_objective`)."""
    return render(model, class_objective(classes, objective), transforms=list(transforms), steps=steps, lr=lr,
                  seed=seed, param=param, keep=keep, **kwargs)


def ablation(model, classes, steps: int = 200, lr: float = 0.01, seed: int = 0, recipes: dict | None = None,
             progress: bool = True, done: dict | None = None, **kwargs) -> dict[str, RenderResult]:
    """``{recipe name: result}`` for each single regularizer (and the combination), same start and steps.

    ``done``: results already rendered with these settings (``{name: result}``), reused instead of re-run;
    ``kwargs`` go to :func:`visualize_classes`.
    """
    recipes = dict(recipes or RECIPES)
    done = done or {}
    return {name: done[name] if name in done else
            visualize_classes(model, classes, make(seed), steps=steps, lr=lr, seed=seed, progress=progress, **kwargs)
            for name, make in recipes.items()}


def predict_classes(model, images) -> np.ndarray:
    """Argmax class of a model for a batch of images."""
    return np.asarray(model(np.asarray(images, np.float32), training=False)).argmax(1)


def transfer_rate(judge_model, images, classes) -> float:
    """Fraction of ``images`` that ``judge_model`` classifies as the intended ``classes``."""
    return float(np.mean(predict_classes(judge_model, images) == np.asarray(classes)))


def draw_params(rng: np.random.Generator) -> dict:
    """One random draw of every hyperparameter of :func:`regularized`, within sources/003's ranges.

    Learning rate log-uniform in [0.003, 0.1]; blur sigma uniform in [0.3, 1]
    (or off, one time in three) every 4-8 steps; median 3 or 5 (or off) every
    4-12 steps; decay log-uniform in [0.001, 0.03] (or off); jitter 0-5 pixels.
    """
    off = lambda: rng.uniform() < 1 / 3  # noqa: E731
    return {"lr": round(float(np.exp(rng.uniform(np.log(0.003), np.log(0.1)))), 4),
            "blur": 0.0 if off() else round(float(rng.uniform(0.3, 1.0)), 2),
            "blur_every": int(rng.integers(4, 9)), "median": int(rng.choice([0, 3, 5])),
            "median_every": int(rng.integers(4, 13)),
            "decay": 0.0 if off() else round(float(np.exp(rng.uniform(np.log(0.001), np.log(0.03)))), 4),
            "jitter": int(rng.integers(0, 6))}


def _recipe_from(params: dict, seed: int, size: int) -> list:
    kw = {k: v for k, v in params.items() if k != "lr"}
    if params["jitter"]:
        return regularized(seed, size=size, **kw)
    return [t for t in regularized(seed, size=size, **{**kw, "jitter": 1}) if t.kind == "post"]


def random_search(model, judge_model, classes, trials: int = 8, steps: int = 100, seed: int = 0,
                  held_out: int = 2, progress: bool = True) -> list[dict]:
    """Random hyperparameter search (Bergstra and Bengio 2012), scored by transfer to ``judge_model``.

    Each trial draws every hyperparameter (:func:`draw_params`) from a
    generator seeded with ``seed`` and renders every class ``1 + held_out``
    times in one batch, from different start images. The first copy is the
    search's score (``"search"``), the others are only measured
    (``"held_out"``): picking the best of several noisy scores favours a
    lucky draw, so the winner's search score is biased upward and its
    held-out score is the honest estimate. Returns the trials sorted by
    search score: ``[{"params", "search", "held_out", "images"}]``.
    """
    rng = config.rng(seed)
    size = int(model.inputs[0].shape[1] or 64)
    classes = [int(c) for c in classes]
    k, out = len(classes), []
    for t in range(trials):
        params = draw_params(rng)
        res = visualize_classes(model, classes * (1 + held_out), _recipe_from(params, seed + 10 * t, size),
                                steps=steps, lr=params["lr"], seed=seed + t, progress=progress)
        hits = predict_classes(judge_model, res.images) == np.asarray(classes * (1 + held_out))
        out.append({"params": params, "search": float(hits[:k].mean()),
                    "held_out": float(hits[k:].mean()) if held_out else float("nan"), "images": res.images[:k]})
    return sorted(out, key=lambda d: -d["search"])


def restarts(model, classes, n: int = 4, seed: int = 0, recipe: Recipe | None = None, **kwargs) -> RenderResult:
    """Render every class ``n`` times from different start images, in one batch (class-major per restart).

    Image ``r * len(classes) + i`` is restart ``r`` of ``classes[i]``. Each
    image is scored without the random transforms (``score_clean``), so its
    ``best_values`` entry is its own objective.
    """
    recipe = recipe or recipe_for(model)
    opts = {**recipe.kwargs(seed), "objective": recipe.objective, "score_clean": True, **kwargs}
    return visualize_classes(model, [int(c) for c in classes] * n, seed=seed, **opts)


def pick(result: RenderResult, classes, by: str = "objective", judge_model=None) -> np.ndarray:
    """One image per class from :func:`restarts`: ``by="first"`` (restart 0, no choice),
    ``"objective"`` (highest objective of the model that made them) or ``"judge"``
    (highest probability of the intended class under ``judge_model``)."""
    k = len(classes)
    n = len(result.images) // k
    if by == "first":
        scores = np.zeros((n, k))
        scores[0] = 1
    elif by == "objective":
        scores = result.best_values.reshape(n, k)
    elif by == "judge":
        if judge_model is None:
            raise ValueError("pick(by='judge') needs judge_model")
        probs = np.asarray(judge_model(np.asarray(result.images, np.float32), training=False))
        scores = probs[np.arange(n * k), list(classes) * n].reshape(n, k)
    else:
        raise ValueError(f"unknown picking strategy {by!r}; choose first, objective or judge")
    chosen = scores.argmax(0)
    return result.images.reshape(n, k, *result.images.shape[1:])[chosen, np.arange(k)]


def ablation_figure(results: dict, names, judge_model=None, classes=None, rows: int = 4, cell: float = 1.45):
    """Recipes as columns (titled with their transfer to ``judge_model`` over all classes), classes as rows."""
    from helpers import plotting

    cols = len(results)
    rows = max(1, min(rows, min(len(r.images) for r in results.values())))  # a two-class model has two rows
    fs = plotting._style()["fontsize"] + (1 if cell >= 1.8 else -1)
    fig, axes = plotting.new_figure(cell * cols, cell * rows + 0.6, nrows=rows, ncols=cols, squeeze=False)
    for j, (recipe, res) in enumerate(results.items()):
        title = recipe.replace("shift/scale/rotate", "shift/scale/\nrotate")
        if judge_model is not None:
            title += f"\nB: {transfer_rate(judge_model, res.images, classes):.0%}"
        for i in range(rows):
            ax = axes[i, j]
            ax.imshow(np.clip(res.images[i], 0, 1), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(title, fontsize=fs)
            if j == 0:
                ax.set_ylabel(names[i], fontsize=fs)
    fig.tight_layout()
    return fig


def classviz_report(n: int = 64, seed: int = 0, steps: int = 200, judge: str | None = None) -> dict[str, float]:
    """Transfer of model A's class visualizations to a second model B (another seed).

    Renders ``n`` images (all 8 classes, ``ceil(n / 8)`` start seeds) with the
    naive recipe (plain normalized-gradient ascent, no regularizer) and with the
    regularized recipe, at equal steps and with the same objective
    (:func:`class_objective`'s default, :math:`\\log p_c + 0.1\\,z_c`, computed
    from the pre-softmax scores), so only the regularizers differ; then
    reports the fraction that ``load_model("shapes_b")`` classifies as the
    intended class, plus model A's own softmax confidence for comparison.
    ``seed`` offsets the start images (the evaluate CLI passes its unseen seed).

    Two more lines measure the silhouette parameterization
    (:func:`visualize_silhouettes`): its transfer from model A, and the same
    recipe run on a fully re-initialised copy of model A, a control showing
    how much of the transfer the prior alone would give.

    ``judge``: a ``.keras`` file (loaded with ``safe_mode``) to use instead of
    model B, e.g. a third twin trained with another seed, to check that the
    figures are not a property of model B alone.
    """
    from helpers.metrics import randomized_model
    from helpers.models import load_model

    a, b = load_model("shapes"), load_model("shapes_b" if judge is None else judge)
    k = len(a.class_names)
    rounds = max(1, int(np.ceil(n / k)))
    steps = config.steps(steps)
    out: dict[str, list] = {"regularized": [], "naive": [], "conf_reg": [], "conf_naive": [], "silhouette": [],
                            "silhouette_random": []}
    random_a = randomized_model(a.model, seed=seed)
    for r in range(rounds):
        s = int(seed) % 100_000 + r
        classes = list(range(k))
        reg = visualize_classes(a.model, classes, regularized(s), steps=steps, seed=s, progress=False)
        naive = visualize_classes(a.model, classes, [], steps=steps, seed=s, progress=False)
        out["regularized"].append(predict_classes(b.model, reg.images) == classes)
        out["naive"].append(predict_classes(b.model, naive.images) == classes)
        out["conf_reg"].append(a.predict(reg.images)[np.arange(k), classes])
        out["conf_naive"].append(a.predict(naive.images)[np.arange(k), classes])
        sil = visualize_silhouettes(a.model, classes, steps=steps, seed=s, progress=False)
        sil_random = visualize_silhouettes(random_a, classes, steps=steps, seed=s, progress=False)
        out["silhouette"].append(predict_classes(b.model, sil.images) == classes)
        out["silhouette_random"].append(predict_classes(b.model, sil_random.images) == classes)
    mean = lambda key: float(np.mean(np.concatenate(out[key])))  # noqa: E731
    return {"classviz_transfer_regularized": mean("regularized"), "classviz_transfer_naive": mean("naive"),
            "classviz_model_a_confidence_regularized": mean("conf_reg"),
            "classviz_model_a_confidence_naive": mean("conf_naive"),
            "classviz_transfer_silhouette": mean("silhouette"),
            "classviz_transfer_silhouette_random_model": mean("silhouette_random"),
            "classviz_images": float(rounds * k)}
