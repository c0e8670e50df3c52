"""Concept activation vectors and TCAV (Kim et al. 2018), with concepts drawn by the shapes world.

A **concept activation vector** (CAV) for a concept :math:`C` at layer
:math:`l` is the unit normal :math:`v_C^l` of a linear classifier that tells
the layer's activations :math:`f_l(x)` of images showing the concept from
those of random images (:func:`cav`). The **conceptual sensitivity** of class
:math:`k` at image :math:`x` is the directional derivative of the class's
logit along it,

.. math:: S_{C,k,l}(x) = \\nabla h_{l,k}(f_l(x)) \\cdot v_C^l,

where :math:`h_{l,k}` maps layer-:math:`l` activations to class :math:`k`'s
logit (never the softmax). The **TCAV score** is the share of class-:math:`k`
images :math:`X_k` for which it is positive (:func:`tcav_score`):

.. math:: \\mathrm{TCAV}_{Q_{C,k,l}} = \\frac{|\\{x \\in X_k : S_{C,k,l}(x) > 0\\}|}{|X_k|}.

**Significance** (:func:`tcav`): a CAV learned from one random set is one
draw; a CAV learned from *two random sets* gives a score that the concept
has nothing to do with. ``n_random`` concept CAVs (concept set :math:`C_i`
vs random set :math:`R_i`) and ``n_random`` random CAVs (random set
:math:`R'_i` vs :math:`R''_i`) give two samples of scores; a two-sided Welch
t-test asks whether their means differ, and with Bonferroni's correction
over the ``n_tests`` tests made together (concepts x classes) a result is
significant when ``p * n_tests < alpha``. Every set is drawn fresh and used
by one CAV only: reusing one concept set in every concept CAV (as Kim et
al.'s code does), or one random set in every random CAV, makes the scores
within a sample dependent and the t-test's p-values optimistic (the class images
:math:`X_k` are still shared by all CAVs, as in the paper). Insignificant results are drawn hatched and grey,
labelled "n.s." (:func:`tcav_chart`).

Concepts (:data:`CONCEPTS`) are drawn on the shapes world's background (its
smooth colour field and pixel noise, :mod:`helpers.shapes`): a striped patch,
a patch with a hole, lesson 12's corner tag of each colour on ordinary shapes
images (:mod:`helpers.shortcut`), and the two kinds of random images.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from helpers import config
from helpers.shapes import CLASS_NAMES, make_shapes

#: The fewest images a concept or random set may have (a classifier on fewer is noise).
MIN_IMAGES = 10
#: The fewest CAVs of each kind (concept, random) for a t-test (the paper's minimum of random runs).
MIN_RANDOM = 10
#: Epochs of the CAV classifier (scikit-learn's SGDClassifier).
MAX_EPOCHS = 100


# ------------------------------------------------------------------ concepts

def derive_seed(seed: int, *keys: int) -> int:
    """An int seed for a sub-draw (set ``keys`` of ``seed``); different keys give independent draws."""
    return int(np.random.SeedSequence([int(config.check_seed(seed)), *map(int, keys)]).generate_state(1)[0])


def _texture(n: int, seed: int, size: int, paint) -> np.ndarray:
    """A texture filling the frame: ``paint(y, x, rng)`` -> mask [n, s, s] in colour 1, the rest in colour 2."""
    rng = config.rng(derive_seed(seed, 97))
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    mask = paint(yy, xx, rng)
    one, two = rng.uniform(0, 1, (2, n, 3)).astype(np.float32)
    two = np.clip(two + np.where(one.mean(1, keepdims=True) > 0.5, -0.35, 0.35), 0, 1)  # the two colours differ
    shade = 0.85 + 0.15 * rng.random((n, size, size, 1), dtype=np.float32)
    img = np.where(mask[..., None], one[:, None, None] * shade, two[:, None, None])
    return np.clip(img + 0.04 * rng.standard_normal(img.shape, dtype=np.float32), 0, 1).astype(np.float32)


def _stripes(n, seed, size):
    """Parallel bands filling the frame at a random angle; period 6-10 px (the stripe classes' range)."""
    def paint(yy, xx, rng):
        angle = rng.uniform(0, np.pi, n)[:, None, None]
        period = rng.uniform(6, 10, n)[:, None, None] * size / 64
        along = xx * np.cos(angle) + yy * np.sin(angle) + rng.uniform(0, 10, n)[:, None, None]
        return np.floor(along / (period / 2)) % 2 == 0
    return _texture(n, seed, size, paint)


def _hole(n, seed, size):
    """A sheet with a lattice of round holes (the second colour shows through), filling the frame."""
    def paint(yy, xx, rng):
        period = rng.uniform(14, 22, n)[:, None, None] * size / 64
        r = rng.uniform(0.25, 0.4, n)[:, None, None] * period
        oy, ox = rng.uniform(0, 1, (2, n))[..., None, None] * period
        dy = (yy + oy) % period - period / 2
        dx = (xx + ox) % period - period / 2
        return np.hypot(dx, dy) > r
    return _texture(n, seed, size, paint)


def _tag(colour: int):
    def draw(n, seed, size):
        from helpers import shortcut

        x, _, masks = make_shapes(n, seed=seed, size=size)
        tag = max(1, round(shortcut.TAG * size / 64))
        return shortcut.paint_tag(x, shortcut.tag_corner(masks, tag), shortcut.PALETTE[[colour] * n], tag)[0]
    return draw


def _random_tags(n, seed, size):
    from helpers import shortcut

    x, _, masks = make_shapes(n, seed=seed, size=size)
    tag = max(1, round(shortcut.TAG * size / 64))
    colours = config.rng(derive_seed(seed, 17)).integers(0, len(shortcut.PALETTE), n)
    return shortcut.paint_tag(x, shortcut.tag_corner(masks, tag), shortcut.PALETTE[colours], tag)[0]


def _random_shapes(n, seed, size):
    return make_shapes(n, seed=seed, size=size)[0]


def _random_noise(n, seed, size):
    return config.rng(derive_seed(seed, 13)).uniform(0, 1, (n, size, size, 3)).astype(np.float32)


@dataclass(frozen=True)
class Concept:
    """A named concept: what it shows, and ``draw(n, seed, size) -> [n, size, size, 3]`` images in [0, 1]."""

    name: str
    description: str
    draw: object = field(repr=False)


def _registry() -> dict[str, Concept]:
    from helpers.shortcut import COLOUR_NAMES

    out = {
        "stripes": Concept("stripes", "parallel bands of two random colours filling the image, at a random angle, "
                           "6-10 px apart (the stripe classes' range); no object", _stripes),
        "hole": Concept("hole", "a sheet of one colour with a lattice of round holes showing another colour, "
                           "filling the image", _hole),
    }
    for k, colour in enumerate(COLOUR_NAMES):
        out[f"tag {colour}"] = Concept(
            f"tag {colour}", f"an ordinary shapes image (any class) with lesson 12's corner tag in {colour}, "
            f"the tag colour that marks {CLASS_NAMES[k]}s in the cheat's training data", _tag(k))
    out["random shapes"] = Concept("random shapes", "random shapes images, no tag: the default random sets", _random_shapes)
    out["random noise"] = Concept("random noise", "uniform pixel noise", _random_noise)
    out["random tags"] = Concept("random tags", "ordinary shapes images (any class) with lesson 12's corner tag in a "
                                 "random one of the 8 colours: random sets for the tag concepts, so that a tag CAV "
                                 "learns the colour, not the tag", _random_tags)
    return out


#: Every concept by name, each with a description (``CONCEPTS[name].description``).
CONCEPTS: dict[str, Concept] = _registry()
RANDOM_KINDS = ("random shapes", "random noise", "random tags")


def concept_images(name: str, n: int, seed: int = 0, size: int = 64) -> np.ndarray:
    """``n`` images ``[n, size, size, 3]`` of the concept ``name`` (see :data:`CONCEPTS`), drawn from ``seed``."""
    from helpers._checks import positive_int

    if name not in CONCEPTS:
        raise ValueError(f"unknown concept {name!r}; valid concepts: {', '.join(CONCEPTS)}")
    positive_int("n", n)
    return CONCEPTS[name].draw(int(n), config.check_seed(seed), int(size))


# ------------------------------------------------------------------ activations, CAVs, scores

def _input_side(net) -> int:
    shape = net.inputs[0].shape
    return int(shape[1]) if shape[1] is not None else 64


def layer_activations(model, layer: str, images, batch_size: int = 64) -> np.ndarray:
    """Activations of ``layer`` for ``images``, flattened to ``[n, d]`` (streamed in batches, compiled)."""
    from helpers import images as _images
    from helpers._graph import as_model, graph_model, resolve
    from helpers.cache import cached

    net = as_model(model)
    path = resolve(net, layer)
    fm = cached(net, ("tcav_acts", path), lambda: _compiled(graph_model(net, [path], head=None)))
    x = _images.model_batch(images, model=net)
    return np.concatenate([np.asarray(fm(x[i:i + batch_size])).reshape(len(x[i:i + batch_size]), -1)
                           for i in range(0, len(x), batch_size)])


def _compiled(features):
    import tensorflow as tf

    return tf.function(lambda x: features(x, training=False), reduce_retracing=True)


@dataclass
class CAV:
    """A concept activation vector: unit ``direction`` ``[d]`` at ``layer``; ``accuracy`` on held-out activations."""

    direction: np.ndarray
    accuracy: float
    layer: str


def _layer_size(net, path: str) -> int:
    from helpers._graph import get_layer

    return int(np.prod([int(s) for s in get_layer(net, path).output.shape[1:]]))


def _check_set(name: str, acts, d: int | None = None) -> np.ndarray:
    a = np.asarray(acts, dtype=np.float32)
    a = a.reshape(len(a), -1) if a.ndim > 1 else a.reshape(0, 1)
    if len(a) < MIN_IMAGES:
        raise ValueError(f"{name} has {len(a)} images; a CAV needs at least {MIN_IMAGES} per set")
    if d is not None and a.shape[1] != d:
        raise ValueError(f"{name} has {a.shape[1]} values per image; the layer has {d}")
    return a


def cav(model, layer: str, concept_acts, random_acts, seed: int = 0) -> CAV:
    """The CAV of one concept set against one random set at ``layer`` (their activations, ``[n, ...]`` each).

    A linear classifier (scikit-learn's ``SGDClassifier``, hinge loss,
    ``alpha=0.01``, as the paper's code; :data:`MAX_EPOCHS` epochs) is trained on three quarters of the
    flattened activations, concept = 1, random = 0; its weight vector,
    scaled to unit length, points towards the concept. ``accuracy`` is on the
    held-out quarter (0.5 is chance: then the direction means little).
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import SGDClassifier
    from sklearn.model_selection import train_test_split

    from helpers._graph import as_model, resolve

    net = as_model(model)
    path = resolve(net, layer)
    d = _layer_size(net, path)
    a = _check_set("the concept set", concept_acts, d)
    b = _check_set("the random set", random_acts, a.shape[1])
    x = np.concatenate([a, b])
    y = np.r_[np.ones(len(a)), np.zeros(len(b))]
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.25, stratify=y, random_state=config.check_seed(seed))
    with warnings.catch_warnings():  # 100 epochs: the direction agrees with 1,000 epochs' (cosine >= 0.98 on
        warnings.simplefilter("ignore", ConvergenceWarning)  # the course's models) at a tenth of the time
        clf = SGDClassifier(alpha=0.01, max_iter=MAX_EPOCHS, tol=1e-3, random_state=seed).fit(x_tr, y_tr)
    w = clf.coef_[0].astype(np.float32)
    norm = float(np.linalg.norm(w))
    if norm == 0:
        raise ValueError(f"the classifier at {path!r} found no direction (all weights zero): the two sets' "
                         "activations cannot be told apart (an all-zero layer?)")
    return CAV(w / norm, float(clf.score(x_te, y_te)), path)


def activations_and_logits(model, layer: str):
    """A Keras model ``image -> (activations of layer, logits)``: :math:`f_l(x)` and :math:`h_l(f_l(x))` in one pass.

    For a gradient by hand: under a ``tf.GradientTape``, the gradient of a logit
    with respect to the first output is :math:`\\nabla h_{l,k}(f_l(x))`.
    """
    from helpers._graph import as_model, graph_model, resolve

    net = as_model(model)
    return graph_model(net, [resolve(net, layer)], head="logits")


def _grads_only(acts, grads):
    return grads


def logit_gradients(model, layer: str, images, class_index: int) -> np.ndarray:
    """:math:`\\nabla h_{l,k}(f_l(x))` flattened, ``[n, d]``: the gradient of class ``k``'s logit at ``layer``."""
    from helpers.attribution.core import chunked, layer_function, prepare
    from helpers._graph import as_model, resolve

    net = as_model(model)
    path = resolve(net, layer)
    x, cls, _ = prepare(net, images, int(class_index))
    grads = chunked(layer_function(net, path, _grads_only), x, cls)[0]
    return grads.reshape(len(grads), -1)


def tcav_score(model, layer: str, cav: CAV, images, class_index: int) -> float:
    """The share of ``images`` (class ``class_index``'s) whose logit rises along ``cav``: :math:`S_{C,k,l}(x) > 0`."""
    g = logit_gradients(model, layer, images, class_index)
    if g.shape[1] != len(cav.direction):
        raise ValueError(f"the CAV has {len(cav.direction)} values; layer {layer!r} has {g.shape[1]}")
    return float(np.mean(g @ cav.direction > 0))


# ------------------------------------------------------------------ the test

@dataclass
class TCAVResult:
    """TCAV of one concept for one class at one layer, with its significance.

    Attributes:
      score: mean TCAV score over the concept CAVs.
      scores / random_scores: ``[n_random]`` scores of the concept CAVs and of the random CAVs.
      p_value: two-sided Welch t-test, concept scores vs random scores.
      n_tests: the number of tests made together (Bonferroni); ``p_corrected = min(1, p * n_tests)``.
      significant: ``p_corrected < alpha``.
      cav_accuracy: mean held-out accuracy of the concept CAVs.
    """

    concept: str
    layer: str
    class_index: int
    class_name: str
    score: float
    scores: np.ndarray
    random_scores: np.ndarray
    p_value: float
    p_corrected: float
    n_tests: int
    alpha: float
    significant: bool
    cav_accuracy: float


def welch_p(a, b) -> float:
    """Two-sided Welch t-test p-value of ``mean(a) == mean(b)``; 1.0 if both are constant and equal, 0.0 if unequal."""
    import warnings

    from scipy import stats

    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.std() == 0 and b.std() == 0:
        return 1.0 if a.mean() == b.mean() else 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "nearly identical data": one sample constant is fine
        return float(stats.ttest_ind(a, b, equal_var=False).pvalue)


def _class_list(net, classes) -> list[int]:
    from helpers._graph import n_classes

    k = n_classes(net)
    out = list(range(k)) if classes is None else [int(c) for c in np.atleast_1d(classes)]
    bad = [c for c in out if not 0 <= c < k]
    if bad:
        raise IndexError(f"class index {bad[0]} out of range: the model has classes 0..{k - 1}")
    return out


def _random_acts(net, path, n: int, seed: int, n_sets: int, kind: str, side: int):
    from helpers.cache import cached

    def build():
        return [layer_activations(net, path, concept_images(kind, n, derive_seed(seed, 1000 + i), side))
                for i in range(n_sets)]
    return cached(net, ("tcav_random", path, n, seed, n_sets, kind, side), build)


def tcav(model, layer: str, concept, classes=None, n_random: int = MIN_RANDOM, n: int = 50, seed: int = 0,
         images=None, labels=None, n_images: int = 50, random_kind: str = "random shapes",
         n_tests: int | None = None, alpha: float = 0.05, progress: bool = False) -> list[TCAVResult]:
    """TCAV of ``concept`` for each class in ``classes`` at ``layer``, with a t-test against random CAVs.

    Args:
      model: a Keras model or ModelSpec (never modified); the logits are used.
      layer: a layer name or path (inside nested models too).
      concept: a name in :data:`CONCEPTS`, or your own images ``[m, h, w, 3]`` (``m >= 10``).
      classes: class indices (default: every class).
      n_random: CAVs of each kind (at least 10): ``n_random`` concept CAVs and ``n_random`` random CAVs,
        learned from ``n_random`` concept sets and ``3 * n_random`` random sets, each used once.
      n: images per concept and random set.
      seed: draws every set and seeds every classifier.
      images, labels: the class images :math:`X_k` (``images[labels == k]``); default:
        ``n_images`` fresh shapes images of each class.
      random_kind: ``"random shapes"``, ``"random noise"`` or ``"random tags"`` (for the tag concepts).
      n_tests: the Bonferroni factor: how many tests you make together (default ``len(classes)``;
        pass concepts x classes when you test several concepts).
      alpha: the significance level after correction.

    Returns:
      one :class:`TCAVResult` per class.
    """
    from helpers._checks import positive_int
    from helpers._graph import as_model, resolve
    from helpers.runcontrol import progress_bar

    net = as_model(model)
    path = resolve(net, layer)
    cls = _class_list(net, classes)
    n_random = positive_int("n_random", n_random, MIN_RANDOM)
    n = positive_int("n (images per set)", n, MIN_IMAGES)
    if random_kind not in RANDOM_KINDS:
        raise ValueError(f"unknown random_kind {random_kind!r}; choose from {', '.join(RANDOM_KINDS)}")
    config.check_seed(seed)
    side = _input_side(net)
    if isinstance(concept, str):
        name = concept
        c_sets = [concept_images(concept, n, derive_seed(seed, 1, i), side) for i in range(n_random)]
    else:
        name, c_img = "your concept", np.asarray(concept)
        if c_img.ndim != 4 or len(c_img) < MIN_IMAGES:
            raise ValueError(f"a concept set needs at least {MIN_IMAGES} images [m, h, w, 3]; got shape {c_img.shape}")
        c_sets = [c_img]  # one set of yours, reused by every concept CAV (draw more for independent CAVs)
    n_tests = len(cls) if n_tests is None else positive_int("n_tests", n_tests)
    bar = progress_bar(2 * n_random + len(cls), f"TCAV {name} at {path}", progress)
    # 3 x n_random random sets, none used twice: concept CAV i against R_i, random CAV i R_{n+i} against R_{2n+i}
    rand = _random_acts(net, path, n, seed, 3 * n_random, random_kind, side)
    c_acts = [layer_activations(net, path, c) for c in c_sets]
    cavs, rcavs = [], []
    for i in range(n_random):
        cavs.append(cav(net, path, c_acts[i % len(c_acts)], rand[i], seed=seed + i))
        rcavs.append(cav(net, path, rand[n_random + i], rand[2 * n_random + i], seed=seed + i))
        bar.update(2)
    if images is None:
        images = np.concatenate([make_shapes(n_images, seed=derive_seed(seed, 2, k), size=side, classes=[k])[0] for k in cls])
        labels = np.repeat(cls, n_images)
    elif labels is None or len(labels) != len(images):
        raise ValueError("give one label per image (labels=...), so that X_k = images[labels == k]")
    out = []
    for k in cls:
        x_k = np.asarray(images)[np.asarray(labels) == k]
        if not len(x_k):
            raise ValueError(f"no images of class {k} among the {len(images)} given")
        g = logit_gradients(net, path, x_k, k)
        s = np.array([np.mean(g @ v.direction > 0) for v in cavs])
        r = np.array([np.mean(g @ v.direction > 0) for v in rcavs])
        p = welch_p(s, r)
        pc = min(1.0, p * n_tests)
        names = getattr(model, "class_names", None) or (CLASS_NAMES if len(CLASS_NAMES) == len(_class_list(net, None))
                                                         else [str(j) for j in range(len(_class_list(net, None)))])
        out.append(TCAVResult(name, path, k, names[k], float(s.mean()), s, r, p, pc, n_tests, alpha,
                              bool(pc < alpha), float(np.mean([v.accuracy for v in cavs]))))
        bar.update(1)
    bar.close()
    return out


# ------------------------------------------------------------------ pictures and the report

def tcav_chart(results: list[TCAVResult], title: str | None = None, ax=None, labels: list[str] | None = None,
               key: bool = True):
    """TCAV per class: significant results as solid bars; insignificant ones hatched grey, labelled "n.s.".

    Each class also shows its random CAVs' scores (grey dots) and their mean (black line): the
    null distribution the concept's scores were tested against; the dark whisker on a bar spans the
    concept CAVs' scores (one standard deviation either side of the mean). ``ax``: draw into these
    axes; ``labels``: tick labels instead of the class names; ``key``: draw the key under the chart.
    """
    from helpers import plotting

    fs = plotting._style()["fontsize"]
    if labels is not None and len(labels) != len(results):
        raise ValueError(f"labels: give one per result ({len(results)}); got {len(labels)}")
    own_figure = ax is None
    if own_figure:
        fig, ax = plotting.new_figure(max(6.0, 1.0 * len(results) + 1.5), 3.8)
    else:
        fig = ax.figure
    for i, r in enumerate(results):
        if r.significant:   # blue: significantly above the random CAVs; orange: significantly below
            ax.bar(i, r.score, color="tab:blue" if r.score >= r.random_scores.mean() else "tab:orange", width=0.6)
        else:
            ax.bar(i, r.score, color="0.9", edgecolor="0.5", hatch="//", width=0.6)
            ax.text(i, 1.05, "n.s.", ha="center", va="bottom", fontsize=fs, color="0.35")  # above every dot
        sd = float(np.std(r.scores))   # the whisker, clipped to the score's range [0, 1]
        ax.errorbar(i + 0.12, r.score, yerr=[[min(sd, r.score)], [min(sd, 1 - r.score)]], color="navy", capsize=4,
                    lw=1.5, zorder=5)
        jitter = np.linspace(-0.2, 0.2, len(r.random_scores))
        ax.scatter(i + jitter, r.random_scores, s=10, color="0.45", zorder=6, clip_on=False)   # 0s and 1s stay visible
        ax.plot([i - 0.3, i + 0.3], [r.random_scores.mean()] * 2, color="black", lw=2, zorder=4)
    ax.set_xticks(range(len(results)), labels or [r.class_name for r in results], rotation=30, ha="right",
                  fontsize=fs)
    ax.set_ylim(0, 1.15)
    ax.set_ylabel("TCAV score", fontsize=fs)
    r0 = results[0]
    ax.set_title(title or f"'{r0.concept}' at {r0.layer} (Bonferroni x{r0.n_tests}, alpha {r0.alpha:g})",
                 fontsize=fs + 2)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [Patch(color="tab:blue", label="significantly above random"),
           Patch(color="tab:orange", label="significantly below random"),
           Patch(facecolor="0.9", edgecolor="0.5", hatch="//", label="n.s."),
           Line2D([], [], color="black", lw=2, label="random CAVs' mean"),
           Line2D([], [], color="0.45", marker="o", ls="", ms=4, label="one random CAV"),
           Line2D([], [], color="navy", lw=1.5, label="concept CAVs, ±1 sd (beside the bar)")]
    if key and own_figure:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.38), ncol=3, frameon=False,
                  fontsize=fs - 1)
        fig.tight_layout()
    elif key:   # axes of a larger figure: one key for the whole figure, along its bottom
        fig.legend(handles=handles, loc="lower center", ncol=6, frameon=False, fontsize=fs - 1)
        fig.tight_layout(rect=(0, 0.09, 1, 1))
    else:
        fig.tight_layout()
    return fig


def p_text(p: float) -> str:
    """A p-value with two significant digits, never in a form that hides how it compares with 0.05 (0.046, 3.1e-08)."""
    return f"{p:.2g}" if p >= 1e-3 else f"{p:.1e}"


def check_lesson14(stripes=None, study=None) -> None:
    """Lesson 14's figures: print the summary lines its prose relies on and check its claims.

    ``stripes``: the results of "stripes" on the shapes CNN (section 3); ``study``: ``{"cheat": ..., "twin": ...}``
    from :func:`tag_study` (section 4).
    """
    from helpers.claims import claim

    if stripes is not None:
        both = [r for r in stripes if "stripes" in r.class_name]
        sig = [r for r in stripes if r.significant]
        print(f"'stripes' is significant for {len(sig)} of {len(stripes)} classes, "
              f"{sum(r.score < 0.5 for r in sig)} of them with a score below 0.5 (stripes lower their logit).")
        if both:  # the stripe classes exist on the shapes CNN only (a user's model is told below, not checked)
            claim("the smaller TCAV score of stripes for the two stripe classes", min(r.score for r in both),
                  at_least=0.85, quiet=True)
            claim("stripes is significant for both stripe classes", all(r.significant for r in both), quiet=True)
        else:
            print("This model has no stripe classes; the text's stripe figures are the shapes CNN's.")
        claim("a class where stripes is significant with a score below one half",
              any(r.significant and r.score < 0.5 for r in stripes), quiet=True)
    if study is not None:
        cheat, twin = study["cheat"], study["twin"]
        up = {who: sum(r.significant and r.score > r.random_scores.mean() for r in res) for who, res in study.items()}
        down = {who: sum(r.significant and r.score < r.random_scores.mean() for r in res) for who, res in study.items()}
        acc = {who: float(np.mean([r.cav_accuracy for r in res])) for who, res in study.items()}
        t = [r.score for r in twin]
        print(f"Cheat: TCAV scores from {min(r.score for r in cheat):.2f} to {max(r.score for r in cheat):.2f}, "
              f"mean {np.mean([r.score for r in cheat]):.3f}; significantly above its random CAVs for {up['cheat']} "
              f"of {len(cheat)} classes, below for {down['cheat']}.")
        print(f"Twin: TCAV scores from {min(t):.2f} to {max(t):.2f}, mean {np.mean(t):.3f}; significantly above its "
              f"random CAVs for {up['twin']} of {len(twin)} classes, below for {down['twin']}.")
        print(f"Mean held-out accuracy of the tag CAVs: cheat {acc['cheat']:.2f}, twin {acc['twin']:.2f}.")
        claim("the cheat's smallest TCAV score for its own tag colour", min(r.score for r in cheat),
              at_least=0.6, quiet=True)
        claim("the cheat's mean TCAV score for its own tag colour (nearly every CAV along the class's weights)",
              float(np.mean([r.score for r in cheat])), at_least=0.9, quiet=True)
        claim("classes where the cheat's tag colour is significantly above its random CAVs", up["cheat"],
              at_least=6, quiet=True)
        claim("classes where the twin's tag colour is significant (above or below its random CAVs)",
              up["twin"] + down["twin"], at_most=2, quiet=True)
        claim("classes where the twin's tag colour is significantly above its random CAVs", up["twin"],
              at_most=1, quiet=True)
        claim("the twin has scores on both sides of its random lines",
              any(r.score > r.random_scores.mean() for r in twin) and any(r.score < r.random_scores.mean() for r in twin),
              quiet=True)
        claim("the twin's mean TCAV score for its own tag colour", float(np.mean(t)), between=(0.25, 0.75),
              quiet=True)
        claim("the cheat's mean tag-CAV accuracy", acc["cheat"], at_least=0.8, quiet=True)
        claim("the cheat's mean tag-CAV accuracy minus the twin's", acc["cheat"] - acc["twin"], at_least=0.1,
              quiet=True)
        claim("the twin's mean tag-CAV accuracy (barely above chance)", acc["twin"], between=(0.45, 0.65), quiet=True)


def tag_study(spec, layer: str = "conv4", n: int = 50, n_images: int = 50, n_random: int = 20, seed: int = 0):
    """For each class ``c``: TCAV of "tag <c's colour>" for class ``c`` (Bonferroni over the 8 tests).

    The random sets are "random tags" (the same kind of images with a tag of a random colour), so each CAV
    separates one tag colour from tags of any colour: the test asks about the colour, not about a tag being there.
    """
    from helpers.shortcut import COLOUR_NAMES

    return [tcav(spec, layer, f"tag {COLOUR_NAMES[c]}", classes=[c], n=n, n_images=n_images, n_random=n_random,
                 seed=seed, n_tests=len(COLOUR_NAMES), random_kind="random tags")[0] for c in range(len(COLOUR_NAMES))]


def tcav_report(n: int = 100, seed: int = config.UNSEEN_SEED) -> dict[str, float]:
    """The known answers at full size, as ``name: value`` (``python -m helpers.course.evaluate concepts``).

    * ``tcav_tag_<model>_score_mean`` / ``_significant``: on lesson 12's cheat and its honest twin at
      conv4 (the last conv layer), TCAV of "tag of class c's colour" for class c, mean over the 8 classes and how many
      are significant (Bonferroni over 8), random sets "random tags" (:func:`tag_study`);
      ``..._significant_high``: of those, how many above the model's random CAVs; ``..._cav_accuracy``:
      the concept CAVs' held-out accuracy.
    * ``tcav_stripes_<class>_score`` / ``_p``: "stripes" at conv3 of the shapes CNN for the two stripe
      classes (p corrected over the 8 classes).
    * ``tcav_null_<model>_significant``: a test of the test. The "concept" is drawn from the random
      sets' own distribution ("random shapes" at conv3 of the shapes CNN, "random tags" at conv4 of the
      cheat), so no class should come out significant: how many of the 8 do (Bonferroni over 8).
    """
    from helpers.models import load_model
    from helpers.shortcut import load_pair

    out = {}
    shapes, (cheat, twin) = load_model("shapes"), load_pair()  # loaded once: their cached random sets serve the null tests
    studies = {who: tag_study(m, n=n, n_images=n, n_random=30, seed=seed) for who, m in (("cheat", cheat), ("twin", twin))}
    for who, res in studies.items():
        out[f"tcav_tag_{who}_score_mean"] = float(np.mean([r.score for r in res]))
        out[f"tcav_tag_{who}_significant"] = float(sum(r.significant for r in res))
        out[f"tcav_tag_{who}_p_max" if who == "cheat" else f"tcav_tag_{who}_p_min"] = float(
            (max if who == "cheat" else min)(r.p_corrected for r in res))
        out[f"tcav_tag_{who}_significant_high"] = float(sum(r.significant and r.score > r.random_scores.mean()
                                                            for r in res))
        out[f"tcav_tag_{who}_cav_accuracy"] = float(np.mean([r.cav_accuracy for r in res]))
    stripes = tcav(shapes, "conv3", "stripes", n=n, n_images=n, n_random=30, seed=seed)
    for r in stripes:
        if "stripes" in r.class_name:
            key = r.class_name.split()[0]
            out[f"tcav_stripes_{key}_score"] = r.score
            out[f"tcav_stripes_{key}_p"] = r.p_corrected
    for who, m, layer, kind in (("shapes", shapes, "conv3", "random shapes"), ("cheat", cheat, "conv4", "random tags")):
        res = tcav(m, layer, kind, n=n, n_images=n, n_random=30, seed=seed, random_kind=kind)
        out[f"tcav_null_{who}_significant"] = float(sum(r.significant for r in res))
    return out
