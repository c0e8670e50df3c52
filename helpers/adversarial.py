"""Adversarial examples: FGSM and PGD, batched and compiled, and accuracy against the attack's size ε.

An adversarial example is an image :math:`x' = x + \\delta` that looks like
:math:`x` (:math:`\\lVert\\delta\\rVert \\le \\varepsilon`) but is classified
differently. Both attacks climb an objective :math:`J` of the logits
:math:`z` (never the softmax: it saturates):

* **FGSM** (Goodfellow, Shlens & Szegedy 2015): one step,
  :math:`x' = \\mathrm{clip}_{[0,1]}(x + \\varepsilon\\,\\mathrm{sign}\\,\\nabla_x J)`.
* **PGD** (Madry et al. 2018): a random start in the ball, then ``steps`` steps
  of size :math:`\\alpha`, each projected back onto the ε-ball and [0, 1]:

  .. math:: x_{t+1} = \\Pi_{B_\\varepsilon(x) \\cap [0,1]^d}\\big(x_t + \\alpha\\,
            s(\\nabla_x J(x_t))\\big), \\quad s = \\mathrm{sign} \\text{ (L}\\infty\\text{)}
            \\text{ or } g/\\lVert g\\rVert_2 \\text{ (L2)}.

The objective: untargeted, push the true class ``y`` down; targeted, pull
``target`` up. ``loss="margin"`` (Carlini & Wagner 2017) uses
:math:`J = \\max_{k\\ne y} z_k - z_y` (untargeted) or
:math:`z_t - \\max_{k\\ne t} z_k` (targeted); ``loss="ce"`` uses the
cross-entropy of ``y`` (or minus that of ``target``).

One compiled step per (model, norm, loss) is built once (:func:`helpers.cache.cached`)
and reused for every ε, batch size and call: ε, α and the target are tensors,
and the batch dimension is left open, so nothing retraces
(:data:`TRACES` counts the traces).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from helpers import config
from helpers.runcontrol import RunControl, RunResult

NORMS = ("linf", "l2")
LOSSES = ("margin", "ce")
#: Images per compiled call.
CHUNK = 250
#: How many times each compiled step was traced, by ``(norm, loss)``: one per model and kind, never per call.
TRACES: dict = {}


@dataclass(kw_only=True)
class AttackResult(RunResult):
    """What :func:`pgd` and :func:`fgsm` return.

    Attributes:
      images: ``[n, h, w, 3]`` the adversarial images (the caller's are untouched).
      perturbation: ``images - original``.
      clean_pred, adv_pred: ``[n]`` the model's class before and after.
      success: ``[n]`` untargeted: ``adv_pred != labels``; targeted: ``adv_pred == target``.
      eps, norm, steps: the attack's settings.
    """

    images: np.ndarray
    perturbation: np.ndarray
    clean_pred: np.ndarray
    adv_pred: np.ndarray
    success: np.ndarray
    eps: float
    norm: str
    steps: int


def _objective(z, cls, targeted, loss):
    """Per image, the objective to climb (see the module docstring)."""
    import tensorflow as tf

    onehot = tf.one_hot(cls, tf.shape(z)[-1])
    if loss == "ce":
        ce = tf.nn.sparse_softmax_cross_entropy_with_logits(cls, z)
        return tf.where(targeted, -ce, ce)
    own = tf.reduce_sum(z * onehot, axis=-1)
    other = tf.reduce_max(z - 1e9 * onehot, axis=-1)
    return tf.where(targeted, own - other, other - own)


def _step_fn(model, norm: str, loss: str):
    """The compiled PGD step for ``model``'s logits: ``(x, x0, cls, targeted, eps, alpha) -> (x_next, J(x))``."""
    import tensorflow as tf

    shape = [None, *model.inputs[0].shape[1:]]
    image = tf.TensorSpec(shape, tf.float32)
    scalar = tf.TensorSpec([], tf.float32)

    @tf.function(input_signature=[image, image, tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.bool),
                                  scalar, scalar])
    def step(x, x0, cls, targeted, eps, alpha):
        TRACES[(norm, loss)] = TRACES.get((norm, loss), 0) + 1  # Python runs only while tracing
        with tf.GradientTape() as tape:
            tape.watch(x)
            j = _objective(model(x, training=False), cls, targeted, loss)
            total = tf.reduce_sum(j)
        g = tape.gradient(total, x)
        if norm == "linf":
            x = tf.clip_by_value(x + alpha * tf.sign(g), x0 - eps, x0 + eps)
        else:
            g = g / (tf.sqrt(tf.reduce_sum(g * g, axis=[1, 2, 3], keepdims=True)) + 1e-12)
            d = x + alpha * g - x0
            r = tf.sqrt(tf.reduce_sum(d * d, axis=[1, 2, 3], keepdims=True))
            x = x0 + d * tf.minimum(1.0, eps / (r + 1e-12))
        return tf.clip_by_value(x, 0.0, 1.0), j  # clipping towards x0 (inside [0, 1]) never leaves the ball

    return step


def _check(model, images, labels, eps, steps, norm, loss, target):
    """Validated ``(x, labels, target or None, logits model)``; clear errors for every bad input."""
    from helpers._graph import as_model, n_classes
    from helpers.attribution.core import logits_model
    from helpers.images import ImageError, model_batch

    if norm not in NORMS:
        raise ValueError(f"unknown norm {norm!r}; choose from {', '.join(map(repr, NORMS))}")
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose from {', '.join(map(repr, LOSSES))}")
    if not (isinstance(eps, (int, float, np.floating, np.integer)) and float(eps) > 0 and math.isfinite(eps)):
        raise ValueError(f"eps (the attack's size) must be a number > 0; got {eps!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps <= 0:
        raise ValueError(f"steps must be a whole number >= 1; got {steps!r}")
    net = as_model(model)
    x = model_batch(images, model=net)
    lo, hi = float(x.min()), float(x.max())
    if lo < -1e-6 or hi > 1 + 1e-6:
        raise ImageError(f"an attack needs images in [0, 1] (the ε-ball is measured there); got values in "
                         f"[{lo:.3g}, {hi:.3g}]")
    x = np.clip(x, 0.0, 1.0)  # a new array: the caller's images are never touched
    k = n_classes(net)
    y = np.broadcast_to(np.asarray(labels, dtype=np.int64).ravel(), (len(x),)).copy() \
        if np.ndim(labels) == 0 or np.size(labels) == 1 else np.asarray(labels, dtype=np.int64)
    if len(y) != len(x):
        raise ValueError(f"got {len(y)} labels for {len(x)} images; give one per image")
    for what, arr in (("label", y), ("target class", None if target is None else np.ravel(target))):
        if arr is not None and ((arr < 0) | (arr >= k)).any():
            bad = int(arr[(arr < 0) | (arr >= k)][0])
            raise IndexError(f"{what} {bad} out of range: the model has classes 0..{k - 1}")
    t = None if target is None else np.broadcast_to(np.asarray(target, dtype=np.int64).ravel(), (len(x),)).copy()
    return x, y, t, logits_model(net)


def _random_start(x, eps, norm, seed):
    rng = config.rng(seed)
    if norm == "linf":
        d = rng.uniform(-eps, eps, x.shape)
    else:  # a random direction, a random radius up to eps
        d = rng.standard_normal(x.shape)
        d *= eps * rng.uniform(0, 1, (len(x), 1, 1, 1)) / np.sqrt((d ** 2).sum(axis=(1, 2, 3), keepdims=True))
    return np.clip(x + d, 0.0, 1.0).astype(np.float32)


def pgd(model, images, labels, eps: float, steps: int = 10, norm: str = "linf", step_size: float | None = None,
        target=None, loss: str = "margin", random_start: bool = True, seed: int = 0, progress: bool | None = None,
        callback=None) -> AttackResult:
    """Projected gradient descent (Madry et al. 2018): ``steps`` steps inside the ε-ball around each image.

    Args:
      model: a Keras model or :class:`helpers.models.ModelSpec` (softmax head or not; nested models work).
      images: ``[n, h, w, 3]`` (or one image) in [0, 1].
      labels: the true class per image (or one for all).
      eps: the ball's radius: the largest change per pixel value (``"linf"``) or the L2 length of the change.
      steps: gradient steps (>= 1).
      norm: ``"linf"`` or ``"l2"``.
      step_size: α; default ``2.5 * eps / steps`` (Madry et al.).
      target: a class (or one per image) to steer towards; ``None``: any wrong class will do.
      loss: ``"margin"`` (on the logits) or ``"ce"`` (cross-entropy).
      random_start: start at a random point of the ball (seeded by ``seed``).
      progress, callback: the run control (:mod:`helpers.runcontrol`); a stop or Ctrl-C returns the
        strongest images found so far (images not reached yet stay unchanged).

    Returns:
      an :class:`AttackResult`; per image, the iterate with the highest objective.
    """
    import tensorflow as tf

    from helpers.cache import cached

    x, y, t, logits = _check(model, images, labels, eps, steps, norm, loss, target)
    config.check_seed(seed)
    alpha = 2.5 * float(eps) / steps if step_size is None else float(step_size)
    if not alpha > 0:
        raise ValueError(f"step_size must be > 0; got {step_size!r}")
    step = cached(logits, ("pgd_step", norm, loss), lambda: _step_fn(logits, norm, loss))
    cls = y if t is None else t
    best = x.copy()
    best_j = np.full(len(x), -np.inf, dtype=np.float32)
    chunks = range(0, len(x), CHUNK)
    run = RunControl(steps * len(chunks), "PGD" if steps > 1 else "FGSM", progress, callback)
    e, a = tf.constant(float(eps), tf.float32), tf.constant(alpha, tf.float32)
    with run.guard():
        for c, i in enumerate(chunks):
            sl = slice(i, i + CHUNK)
            x0 = tf.constant(x[sl])
            cur = tf.constant(_random_start(x[sl], eps, norm, [seed, c]) if random_start else x[sl])
            c_t = tf.constant(cls[sl], tf.int32)
            tg = tf.constant(np.full(len(x[sl]), t is not None))
            for s in range(steps + 1):  # the last pass only scores the final iterate
                nxt, j = step(cur, x0, c_t, tg, e, a)
                j = j.numpy()
                better = j > best_j[sl]
                best[sl][better] = cur.numpy()[better]
                best_j[sl] = np.maximum(best_j[sl], j)
                if s == steps:
                    break
                cur = nxt
                if not run.step():
                    break
            if run.stopped:
                run.notes.append(f"stopped after {run.done} of {run.total} steps: images from "
                                 f"{min(i + CHUNK, len(x))} on are unchanged")
                break
    run.close()
    return _result(logits, x, best, y, t, eps, norm, steps, run)


def fgsm(model, images, labels, eps: float, norm: str = "linf", target=None, loss: str = "ce",
         progress: bool | None = False) -> AttackResult:
    """The fast gradient sign method (Goodfellow et al. 2015): one step of size ε from the image itself.

    With ``norm="linf"`` every pixel value moves by exactly ``±eps`` (before clipping to [0, 1]);
    ``"l2"`` moves along the normalized gradient. Same arguments as :func:`pgd`.
    """
    return pgd(model, images, labels, eps, steps=1, norm=norm, step_size=float(eps) if _is_pos(eps) else None,
               target=target, loss=loss, random_start=False, progress=progress)


def _is_pos(v) -> bool:
    try:
        return float(v) > 0
    except (TypeError, ValueError):
        return False


def _predict(logits, x) -> np.ndarray:
    return np.concatenate([np.asarray(logits(x[i:i + CHUNK], training=False)).argmax(1)
                           for i in range(0, len(x), CHUNK)])


def _result(logits, x, adv, y, t, eps, norm, steps, run) -> AttackResult:
    clean, after = _predict(logits, x), _predict(logits, adv)
    success = after != y if t is None else after == t
    return AttackResult(images=adv, perturbation=adv - x, clean_pred=clean, adv_pred=after, success=success,
                        eps=float(eps), norm=norm, steps=int(steps), stopped=run.stopped, notes=run.notes,
                        seconds=run.seconds)


def accuracy_vs_eps(model, images, labels, eps_list, attack: str = "pgd", progress: bool | None = None,
                    **kwargs) -> dict:
    """``{eps: accuracy under the attack}``; ``eps = 0`` is the clean accuracy.

    ``attack`` is ``"pgd"`` or ``"fgsm"``; ``kwargs`` go to it (``steps``, ``norm``, ``loss``, ``seed``...).
    """
    from helpers._graph import as_model
    from helpers.attribution.core import logits_model

    attacks = {"pgd": pgd, "fgsm": fgsm}
    if attack not in attacks:
        raise ValueError(f"unknown attack {attack!r}; choose from {', '.join(attacks)}")
    eps_list = [float(e) for e in eps_list]
    if any(not e >= 0 for e in eps_list):
        raise ValueError(f"every eps must be >= 0 (0: no attack); got {eps_list}")
    y = np.asarray(labels)
    out = {}
    for e in config.progress_bar(eps_list, f"{attack} over eps", progress is not False and len(eps_list) > 1):
        if e == 0:
            x = _check(model, images, labels, 1.0, 1, "linf", "margin", None)[0]
            out[e] = float(np.mean(_predict(logits_model(as_model(model)), x) == y))
        else:
            out[e] = float(np.mean(attacks[attack](model, images, labels, e, progress=False, **kwargs).adv_pred == y))
    return out


def eps_at_half(curve: dict, level: float = 0.5) -> float:
    """The ε where accuracy first falls below ``level``, interpolated linearly between measured ε values.

    ``curve`` is :func:`accuracy_vs_eps`'s dict. 0.0 if it starts below; ``math.inf`` if it never falls below.
    """
    eps = sorted(curve)
    acc = [curve[e] for e in eps]
    if acc[0] < level:
        return 0.0
    for (e0, a0), (e1, a1) in zip(zip(eps, acc), zip(eps[1:], acc[1:])):
        if a1 < level:
            return float(e0 + (a0 - level) / (a0 - a1) * (e1 - e0))
    return math.inf


def magnified(perturbation, eps: float | None = None) -> np.ndarray:
    """A perturbation made visible: ``0.5 + δ / (2 · max|δ|)`` in [0, 1] (grey = no change).

    ``eps`` scales by ε instead of the largest change (so pictures at one ε compare).
    """
    d = np.asarray(perturbation, dtype=np.float32)
    scale = float(eps) if eps else float(np.abs(d).max())
    return np.clip(0.5 + d / (2 * max(scale, 1e-12)), 0, 1)


def attack_figure(image, adversarial, probs_before, probs_after, class_names, label: int, eps: float,
                  title: str = ""):
    """Image, magnified perturbation, adversarial image, and both class-probability bars.

    The perturbation is shown in colour, each channel stretched by the same factor (±ε fills the range; grey: no
    change). ``class_names`` may be a subset (e.g. the top classes), with ``probs_*`` and ``label`` indexing it.
    """
    from helpers.plotting import _style, new_figure

    fs = _style()["fontsize"] + 3
    fig, axes = new_figure(15, 4.2, ncols=4, gridspec_kw={"width_ratios": [1, 1, 1, 1.6]})
    delta = np.asarray(adversarial) - np.asarray(image)
    k = int(np.argmax(probs_after))
    pictures = ((image, f"original: {class_names[int(np.argmax(probs_before))]}"),
                (magnified(delta, eps), f"change δ, colour, ×{0.5 / max(eps, 1e-12):.0f}\n(grey: 0; max |δ| = {np.abs(delta).max():.3f})"),
                (adversarial, f"adversarial: {class_names[k]}"))
    for ax, (img, name) in zip(axes, pictures):
        ax.imshow(np.clip(img, 0, 1), interpolation="nearest")
        ax.set_title(name, fontsize=fs)
        ax.axis("off")
    ax = axes[3]
    pos = np.arange(len(class_names))
    ax.barh(pos - 0.2, probs_before, 0.4, label="before", color="tab:blue")
    ax.barh(pos + 0.2, probs_after, 0.4, label="after", color="tab:red")
    ax.set_yticks(pos, class_names, fontsize=fs - 2)
    ax.get_yticklabels()[int(label)].set_fontweight("bold")
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("probability", fontsize=fs - 1)
    ax.legend(fontsize=fs - 2, loc="lower right")
    if title:
        fig.suptitle(title, fontsize=fs + 1)
    fig.tight_layout()
    return fig


def curves_figure(curves: dict, title: str = "accuracy under attack"):
    """Accuracy against ε, one line per model (``{name: accuracy_vs_eps dict}``), with the 50 % line."""
    from helpers.plotting import _style, new_figure

    fs = _style()["fontsize"] + 3
    fig, ax = new_figure(11, 5.5)
    for name, curve in curves.items():
        eps = sorted(curve)
        ax.plot(eps, [curve[e] for e in eps], marker="o", linewidth=2.5, label=name)
        half = eps_at_half(curve)
        if 0 < half < math.inf:
            ax.axvline(half, linestyle=":", color=ax.lines[-1].get_color(), linewidth=2,
                       label=f"{name.split()[0]}: below 50 % from ε ≈ {half:.3f}")
    ax.axhline(0.5, color="gray", linestyle="--", linewidth=1, label="50 %")
    ax.axhline(1 / 8, color="gray", linestyle=":", linewidth=1, label="chance (1/8)")
    ax.set_xlabel("ε: largest change per pixel value (images in [0, 1])", fontsize=fs)
    ax.set_ylabel("accuracy under the attack", fontsize=fs)
    ax.set_ylim(0, 1.02)
    ax.tick_params(labelsize=fs - 2)
    ax.legend(fontsize=fs - 3)
    ax.set_title(title, fontsize=fs)
    fig.tight_layout()
    return fig


#: The ε values (L∞, per pixel value in [0, 1]) of lesson 15's curves and of :func:`robustness_report`.
LESSON_EPS = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12)


def robustness_report(n: int = 500, seed: int = config.UNSEEN_SEED) -> dict[str, float]:
    """Lesson 15's figures as ``name: value`` (``python -m helpers.course.evaluate robustness``).

    * ``robust_acc_eps<ε>`` / ``plain_acc_eps<ε>``: accuracy of the adversarially trained ``shapes_cnn`` and of
      ``shapes_cnn_plain`` under PGD (L∞, 10 steps, margin loss, seed 0) on ``n`` fresh shapes, at :data:`LESSON_EPS`;
      ``..._eps_at_half``: the ε where each falls below 50 % (:func:`eps_at_half`).
    * ``robust_pointing_saliency`` / ``plain_...``: the pointing game (3 px) of each model's saliency maps (true
      class) on the same images; ``..._energy_saliency``: the share of each map's mass on the object.
    * ``repair_<cheat|twin|repaired>_with_tag`` / ``_without_tag`` / ``_grad_cam_on_tag``: lesson 12's measures on
      ``max(n, 1000)`` (accuracy) and ``min(n, 200)`` (maps) cheat-like images (:func:`helpers.repair.measure`).
    """
    from helpers import metrics as M
    from helpers.attribution import saliency
    from helpers.models import load_shapes
    from helpers.repair import measure
    from helpers.shapes import make_shapes

    x, y, masks = make_shapes(n, seed=seed)
    out: dict[str, float] = {}
    for label, which in (("robust", "a"), ("plain", "plain")):
        model = load_shapes(which).model
        curve = accuracy_vs_eps(model, x, y, LESSON_EPS, steps=10, seed=0, progress=False)
        out.update({f"{label}_acc_eps{e:g}": a for e, a in curve.items()})
        out[f"{label}_eps_at_half"] = eps_at_half(curve)
        maps = saliency(model, x, y)
        out[f"{label}_pointing_saliency"] = float(M.pointing_game(maps, masks).mean())
        out[f"{label}_energy_saliency"] = float(M.energy_in_mask(maps, masks).mean())
    for label, which in (("cheat", "shortcut"), ("twin", "honest"), ("repaired", "repaired")):
        for k, v in measure(load_shapes(which).model, n=max(n, 1000), n_maps=min(n, 200), seed=seed).items():
            out[f"repair_{label}_{k}"] = v
    return out


def check_lesson15_curves(curves: dict, half: dict, eps_list) -> None:
    """Checks: the numbers lesson 15's section 3 relies on (``curves``/``half`` keyed robust first, plain second)."""
    from helpers.claims import claim

    (r, p), (hr, hp) = curves.values(), half.values()
    claim("the ε where the robust model falls below 50 %, over the plain model's", hr / hp, at_least=1.8, quiet=True)
    claim("the plain model's accuracy at the largest ε", p[eps_list[-1]], at_most=0.1, quiet=True)
    claim("the robust model's accuracy at the largest ε", r[eps_list[-1]], at_most=0.1, quiet=True)
    claim("the clean accuracy of both models (the smaller)", min(r[0.0], p[0.0]), at_least=0.97, quiet=True)


def check_lesson15_saliency(point: dict, share: dict, object_area: float) -> None:
    """Checks: the numbers lesson 15's section 4 relies on (pointing game, share of the map on the object)."""
    from helpers.claims import claim

    claim("the difference between the two pointing games", abs(point["robust"] - point["plain"]), at_most=0.03,
          quiet=True)
    claim("both pointing games (the smaller)", min(point.values()), at_least=0.9, quiet=True)
    claim("the robust map's share on the object minus the plain one's", share["robust"] - share["plain"],
          at_least=0.01, quiet=True)
    claim("the robust map's share on the object (about 40 %)", share["robust"], between=(0.37, 0.43), quiet=True)
    claim("the plain map's share on the object (about 36 %)", share["plain"], between=(0.33, 0.39), quiet=True)
    claim("the object's share of the image (under a tenth)", object_area, at_most=0.1, quiet=True)
