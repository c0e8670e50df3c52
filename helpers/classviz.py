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
asks an *independent* model (same architecture and data, different seed,
``load_model("shapes_b")``) to classify model A's images. Features that
look like the class transfer; adversarial noise mostly does not.
"""

from __future__ import annotations

import numpy as np

from helpers import config
from helpers import objectives as O
from helpers import transforms as T
from helpers.render import RenderResult, render

#: Regularizers on their own, for the ablation grid (sources/003: clip, decay, blur, median, jitter...).
ABLATIONS = {
    "naive": lambda seed: [],
    "clip": lambda seed: [T.clip()],
    "decay": lambda seed: [T.decay(0.02), T.clip()],
    "blur": lambda seed: [T.gaussian_blur(0.7, every=4), T.clip()],
    "median": lambda seed: [T.median_filter(3, every=4), T.clip()],
    "norm clip": lambda seed: [T.norm_clip(50.0, every=4), T.clip()],
    "jitter/scale/rotate": lambda seed: [T.jitter(3, seed=seed), T.random_scale(seed=seed + 1),
                                         T.random_rotate(10, seed=seed + 2), T.clip()],
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
             progress: bool = True) -> dict[str, RenderResult]:
    """``{recipe name: result}`` for each single regularizer (and the combination), same start and steps."""
    recipes = dict(recipes or {**ABLATIONS, "combined": lambda s: regularized(s)})
    return {name: visualize_classes(model, classes, make(seed), steps=steps, lr=lr, seed=seed, progress=progress)
            for name, make in recipes.items()}


def predict_classes(model, images) -> np.ndarray:
    """Argmax class of a model for a batch of images."""
    return np.asarray(model(np.asarray(images, np.float32), training=False)).argmax(1)


def transfer_rate(judge_model, images, classes) -> float:
    """Fraction of ``images`` that ``judge_model`` classifies as the intended ``classes``."""
    return float(np.mean(predict_classes(judge_model, images) == np.asarray(classes)))


def random_search(model, judge_model, classes, trials: int = 8, steps: int = 100, seed: int = 0,
                  progress: bool = True) -> list[dict]:
    """Random hyperparameter search (Bergstra and Bengio 2012) scored by transfer to ``judge_model``.

    Each trial draws the learning rate (log-uniform), blur sigma and period,
    median size and period, decay and jitter at random from a seeded
    generator, renders every class once and records the transfer rate.
    Returns the trials sorted best first: ``[{"params": ..., "transfer": ..., "images": ...}]``.
    """
    rng = np.random.default_rng(seed)
    size = int(model.inputs[0].shape[1] or 64)
    out = []
    for t in range(trials):
        params = {"lr": float(np.exp(rng.uniform(np.log(0.003), np.log(0.1)))),
                  "blur": float(rng.choice([0.0, 0.5, 0.7, 1.0])), "blur_every": int(rng.choice([2, 4, 8])),
                  "median": int(rng.choice([0, 3, 5])), "median_every": int(rng.choice([4, 8, 12])),
                  "decay": float(rng.choice([0.0, 0.005, 0.01, 0.03])), "jitter": int(rng.integers(0, 6))}
        kw = {k: v for k, v in params.items() if k != "lr"}
        tr = regularized(seed + 10 * t, size=size, **kw) if params["jitter"] else \
            [x for x in regularized(seed + 10 * t, size=size, **{**kw, "jitter": 1}) if x.kind == "post"]
        res = visualize_classes(model, classes, tr, steps=steps, lr=params["lr"], seed=seed + t, progress=progress)
        out.append({"params": params, "transfer": transfer_rate(judge_model, res.images, classes),
                    "images": res.images})
    return sorted(out, key=lambda d: -d["transfer"])


def classviz_report(n: int = 64, seed: int = 0, steps: int = 200, judge: str | None = None) -> dict[str, float]:
    """Transfer of model A's class visualizations to the independent model B.

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
