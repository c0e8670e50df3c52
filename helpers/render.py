"""One ``render(...)`` for feature visualization: gradient ascent on a batch of images.

Given an objective :math:`J` (see :mod:`helpers.objectives`) and an image
parameterization :math:`x = P(v)` (see :mod:`helpers.param`), each step does

.. math::

    g = \\nabla_v \\sum_i J_i\\big(T_t(P(v))\\big), \\qquad
    v_i \\leftarrow R_t\\Big(v_i + \\eta\\, \\frac{g_i}{\\sqrt{\\mathrm{mean}(g_i^2)} + \\epsilon}\\Big)

with :math:`T_t` the random robustness transforms of step :math:`t`, :math:`R_t`
the pixel regularizers (blur, median, decay, clip; see :mod:`helpers.transforms`)
and the gradient normalized per image (Chollet, "How convolutional neural
networks see the world", 2016). Image :math:`i` only moves with its own
objective, so every filter of a layer, or every class, is one batch.

The step is compiled with ``tf.function`` (:func:`ascent_step`). :func:`render`
keeps the best image by objective as well as the last one (:class:`BestImages`),
returns snapshots at chosen steps, stops early on a plateau (:class:`Plateau`),
and flags images whose gradient was identically zero ("dead" filters)
instead of returning NaN. Progress bar, ``callback(step, total, preview) -> bool``
(False stops, as widgets' Stop buttons do) and Ctrl-C (returns the best so
far) are :class:`helpers.runcontrol.RunControl`'s, shared with DeepDream; the
parameterization is anything that follows :class:`helpers.param.Parameterization`. ``precision="bfloat16"`` (CPUs) or
``"float16"`` (GPUs) runs the model in mixed precision on a clone.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from helpers import config
from helpers import objectives as O
from helpers import param as P
from helpers import transforms as T
from helpers.runcontrol import RunControl, RunResult


@dataclass
class RenderResult(RunResult):
    """What :func:`render` returns.

    Attributes:
      images: the chosen result per image (``best`` or ``last``, see ``keep``), in [0, 1].
      best: image with the highest objective seen during the run, per image.
      last: the image after the final step.
      values: objective per step and image, ``[steps_done, batch]``.
      best_values: the best objective per image.
      snapshots: ``{step: images}`` at the requested steps.
      dead: True where the gradient was identically zero at every step.
      steps_done: steps completed.
      objective: the objective's name.
      stopped, notes, seconds: as every :class:`helpers.runcontrol.RunResult`
        (stopped early by the callback, Ctrl-C or ``patience``; e.g. a regularizer skipped; wall time).
    """

    images: np.ndarray
    best: np.ndarray
    last: np.ndarray
    values: np.ndarray
    best_values: np.ndarray
    snapshots: dict = field(default_factory=dict)
    dead: np.ndarray = None
    steps_done: int = 0
    objective: str = ""


def mixed_precision_clone(model, precision: str):
    """A clone of ``model`` computing in ``"bfloat16"`` or ``"float16"`` (variables stay float32).

    Uses Keras' ``mixed_bfloat16`` / ``mixed_float16`` policies layer by layer,
    so no global policy changes and the caller's model is untouched.
    """
    import keras

    if precision in (None, "float32"):
        return model
    policies = {"bfloat16": "mixed_bfloat16", "float16": "mixed_float16"}
    if precision not in policies:
        raise ValueError(f"precision must be 'float32', 'bfloat16' or 'float16'; got {precision!r}")

    def clone_layer(layer):
        cfg = layer.get_config()
        if not isinstance(layer, keras.layers.InputLayer):
            cfg["dtype"] = policies[precision]
        return layer.__class__.from_config(cfg)

    from helpers._graph import graph_model, is_nested

    flat = graph_model(model) if is_nested(model) else model  # clone the layers inside a nested base too
    clone = keras.models.clone_model(flat, clone_function=clone_layer)
    clone.set_weights(flat.get_weights())
    return clone


def mosaic(images: np.ndarray, cols: int | None = None, gap: int = 2) -> np.ndarray:
    """Tile ``[b, h, w, 3]`` images into one picture (white gaps), for previews."""
    images = np.clip(np.asarray(images, np.float32), 0, 1)
    b, h, w, _ = images.shape
    cols = cols or int(np.ceil(np.sqrt(b)))
    rows = int(np.ceil(b / cols))
    out = np.ones((rows * (h + gap) - gap, cols * (w + gap) - gap, 3), np.float32)
    for i, im in enumerate(images):
        r, c = divmod(i, cols)
        out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = im
    return out


def _size(size) -> tuple[int, int]:
    """``size`` as ``(h, w)``: an int, a numeric string ("64") or a pair; anything else is refused."""
    try:
        h, w = (size, size) if np.isscalar(size) else tuple(size)
        h, w = int(h), int(w)
    except (TypeError, ValueError):
        raise ValueError(f"size must be a side in pixels (64) or (height, width); got {size!r}") from None
    return h, w


def _input_size(model) -> tuple[int, int]:
    shape = model.inputs[0].shape
    return int(shape[1] or 128), int(shape[2] or 128)


def _checked(model, objective, batch, size, steps, lr, keep, patience):
    """Validated ``(model, batch, (h, w), steps, lr)`` for :func:`render` (steps capped in fast mode)."""
    from helpers._checks import finite_float, positive_int
    from helpers.adapt import MIN_SIDE, min_side
    from helpers.models import as_model

    model = as_model(model)
    steps = positive_int("steps", steps)
    lr = finite_float("lr", lr, positive=True)
    if batch is not None:
        batch = positive_int("batch", batch)
    if keep not in ("best", "last"):
        raise ValueError(f"keep must be 'best' or 'last'; got {keep!r}")
    if not isinstance(objective, O.Objective):
        raise TypeError(f"objective must be a helpers.objectives.Objective; got {type(objective).__name__}")
    if patience is not None and int(patience) < 1:
        raise ValueError(f"patience must be a positive number of steps; got {patience}")
    batch = int(batch or objective.batch or 1)
    objective.validate(model, batch=batch)
    h, w = _input_size(model) if size is None else _size(size)
    fixed = tuple(model.inputs[0].shape[1:3])
    need = max(MIN_SIDE, min_side(model) if fixed[0] is None else MIN_SIDE)
    if min(h, w) < need:
        raise ValueError(f"size {h}x{w} is too small to render: this model needs images of at least {need}x{need}")
    if None not in fixed and (h, w) != fixed:
        raise ValueError(f"{model.name!r} takes {fixed[0]}x{fixed[1]} images only; render at that size "
                         f"(size=None), not {h}x{w}")
    return model, batch, (h, w), config.steps(steps), lr


def _transforms_for(p, transforms) -> tuple[list, list, list]:
    """``(input transforms, pixel regularizers, notes)``: regularizers only where ``p`` is pixels."""
    pre, post = T.split(transforms)
    if not post or p.pixel_space:
        return pre, post, []
    return pre, [], [f"pixel regularizers ({', '.join(t.name for t in post)}) skipped: they apply to pixel "
                     f"parameterizations; {p.kind} keeps pixels smooth and in range by construction"]


def score(fm, objective, image, seen=None):
    """The objective per image of ``image``; the network sees ``seen`` (a transformed copy) if given."""
    import tensorflow as tf

    image = tf.convert_to_tensor(image)
    return objective({**dict(fm(image if seen is None else seen, training=False)), O.INPUT: image})


class BestImages:
    """The best image per batch entry by objective, and its value (updated in the compiled step and after)."""

    def __init__(self, p, batch: int):
        import tensorflow as tf

        self.images = tf.Variable(tf.clip_by_value(p.image(), 0.0, 1.0))
        self.values = tf.Variable(tf.fill([batch], -np.inf))

    def update(self, values, images) -> None:
        """Keep ``images`` (clipped to [0, 1]) wherever ``values`` beat the best so far."""
        import tensorflow as tf

        better = values > self.values
        self.values.assign(tf.where(better, values, self.values))
        self.images.assign(tf.where(better[:, None, None, None], tf.clip_by_value(images, 0.0, 1.0), self.images))


class Plateau:
    """Early stopping: stale once no image raised its best score :math:`s^*` above
    :math:`s^* + \\rho |s^*|` for ``patience`` consecutive steps (never, for ``patience=None``)."""

    def __init__(self, patience: int | None, min_rise: float, batch: int):
        self.patience, self.min_rise = patience, float(min_rise)
        self.record, self.since = np.full(batch, -np.inf), 0

    def stale(self, values) -> bool:
        """Count one step's ``values``; True once the run should stop."""
        if self.patience is None:
            return False
        finite = np.isfinite(self.record)
        needed = np.where(finite, self.record + self.min_rise * np.abs(np.where(finite, self.record, 0.0)), -np.inf)
        rose = values > needed
        self.record, self.since = np.where(rose, values, self.record), 0 if rose.any() else self.since + 1
        return self.since >= int(self.patience)

    def note(self, done: int, steps: int) -> str:
        return (f"early stop after {done} of {steps} steps: no image's best rose by more "
                f"than {self.min_rise:.0%} in {int(self.patience)} steps")


def ascent_step(p, fm, objective, pre, post, best: BestImages, lr: float, normalize: bool, score_clean: bool):
    """One step ``t`` of the module docstring's update on ``p``'s variables; returns ``(values, alive)``.

    ``values`` is the objective per image (on the clean image with
    ``score_clean``), ``alive`` whether the image's gradient was non-zero.
    """
    import tensorflow as tf

    def step(t):
        with tf.GradientTape() as tape:
            img = p.image()
            x = img
            for tr in pre:
                x = tr(x, t)
            vals = score(fm, objective, img, x)
            total = tf.reduce_sum(vals)
        if score_clean and pre:
            vals = score(fm, objective, img)
        updates, alive = [], tf.zeros_like(vals, tf.bool)
        for var, g in zip(p.variables, tape.gradient(total, p.variables)):
            g = tf.where(tf.math.is_finite(g), g, tf.zeros_like(g))
            rms = tf.sqrt(tf.reduce_mean(tf.square(g), axis=p.gradient_axes(var), keepdims=True))
            alive = alive | (tf.reshape(rms, [-1]) > 0)
            updates.append(var + lr * (g / (rms + 1e-8) if normalize else g))
        best.update(vals, img)
        for var, new in zip(p.variables, updates):
            for tr in post:
                new = tr(new, t)
            var.assign(new)
        return vals, alive

    return step


def compiled(step, jit_compile: bool, notes: list):
    """``step`` compiled; with ``jit_compile``, run as a plain graph (and say so in ``notes``) if XLA cannot."""
    import tensorflow as tf

    fns = [tf.function(step, reduce_retracing=True, jit_compile=bool(jit_compile))]
    xla_errors = (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError, tf.errors.NotFoundError)

    def call(i: int):
        try:
            return fns[-1](tf.constant(i, tf.int32))
        except xla_errors as err:
            if not jit_compile or i > 0 or len(fns) > 1:
                raise
            notes.append(f"XLA could not compile this step ({type(err).__name__}); ran it as a plain graph")
            fns.append(tf.function(step, reduce_retracing=True))
            return fns[-1](tf.constant(i, tf.int32))

    return call


def _result(model, objective, best: BestImages, last, values, snapshots, alive, run: RunControl, keep: str):
    """The :class:`RenderResult`: gray models shown as gray, dead units flagged (with a warning)."""
    done, batch = len(values), len(last)
    best_images, notes = best.images.numpy(), run.notes
    conv = getattr(model, "_course_convention", None)
    if conv is not None and conv.channels == 1:  # a grayscale model sees the mean of R, G and B: show that
        best_images, last = (np.repeat(a.mean(-1, keepdims=True), 3, axis=-1) for a in (best_images, last))
        notes.append("grayscale model: the images are shown as the gray the model sees (the mean of R, G and B)")
    dead = ~alive if done else np.zeros(batch, bool)
    if dead.any():
        notes.append(f"{int(dead.sum())} of {batch} images had an identically zero gradient (dead unit): "
                     "their images are the untouched start")
        warnings.warn(notes[-1], stacklevel=3)
    return RenderResult(images=best_images if keep == "best" or run.stopped else last, best=best_images, last=last,
                        values=np.array(values).reshape(done, batch), best_values=best.values.numpy(),
                        snapshots=snapshots, dead=dead, stopped=run.stopped, steps_done=done,
                        objective=objective.name, seconds=run.seconds, notes=notes)


def render(model, objective: O.Objective, batch: int | None = None, size: int | tuple | None = None,
           param="pixel", transforms=(), steps: int = 64, lr: float = 0.05, thresholds=(),
           normalize: bool = True, keep: str = "best", callback=None, preview_every: int | None = None,
           progress: bool | None = None, seed: int = 0, precision: str = "float32", init=None,
           param_kwargs: dict | None = None, jit_compile: bool = False, score_clean: bool = False,
           patience: int | None = None, min_rise: float = 0.0) -> RenderResult:
    """Optimize a batch of images to maximize ``objective`` (one value per image).

    Args:
      model: a Keras model taking images in [0, 1], or a ModelSpec; never modified.
        Layers inside nested base models are reached by path or inner name.
      objective: an :class:`helpers.objectives.Objective`.
      batch: images to optimize; defaults to the objective's per-image count, else 1.
      size: side (or ``(h, w)``) of the images; defaults to the model's input size.
      param: ``"pixel"``, ``"fourier"``, ``"silhouette"`` or a
        :class:`helpers.param.Parameterization` (any, also a new one: render
        only uses its protocol).
      transforms: list of :class:`helpers.transforms.Transform` (not modified).
      steps: number of steps, at least 1 (capped by ``helpers.config.steps`` in fast mode).
      lr: step size :math:`\\eta` of the normalized gradient step (finite, positive).
      thresholds: steps (1-based) at which to keep snapshots.
      normalize: divide each image's gradient by its RMS (else the raw gradient).
      keep: ``"best"`` (highest objective seen) or ``"last"`` for ``result.images``;
        a stopped run (callback, Ctrl-C, ``patience``) returns the best so far either way.
      callback: ``callback(step, total, preview)`` returning False to stop
        (see :mod:`helpers.runcontrol`; Ctrl-C stops too, keeping the best so far).
      preview_every: steps between previews sent to ``callback`` (default ~10 per run).
      progress: show a tqdm progress bar (``None``: when there is more than one step).
      seed: seed of the start image (transforms carry their own seeds).
      precision: ``"float32"``, ``"bfloat16"`` or ``"float16"`` (mixed precision clone).
      init: optional start images for the pixel parameterization.
      param_kwargs: extra arguments for the parameterization.
      jit_compile: also compile the step with XLA. On a 2-core CPU this made
        a 16-image VGG16 step about 1.3x faster (``benchmarks/featvis.py``),
        but a single image and a 64-image batch slightly slower: measure. If
        a transform has no XLA kernel (the rotation and scaling ones), the
        step falls back to the plain graph and ``result.notes`` says so.
      score_clean: score each step's image without the random input
        transforms (one more forward pass per step when there are any) and
        use that score for ``best``, early stopping and ``result.values``.
        By default the step's own objective, measured on the transformed
        image, is used; a clean final image then usually beats every
        transformed score, so ``best`` is the last image.
      patience: early stopping. Stop once no image has raised its best score
        :math:`s^*` to more than :math:`s^* + \rho |s^*|` for ``patience``
        consecutive steps (``result.stopped`` is then True and
        ``result.notes`` says when).
      min_rise: :math:`\rho`, the smallest relative rise that counts (0: any rise).
    """
    model, batch, (h, w), steps, lr = _checked(model, objective, batch, size, steps, lr, keep, patience)
    p = P.make_param(param, batch, h, w, seed=seed, **({"init": init} if init is not None else {}),
                     **(param_kwargs or {}))
    pre, post, notes = _transforms_for(p, transforms)
    fm = O.objective_model(mixed_precision_clone(model, precision), objective)
    best = BestImages(p, batch)
    step = compiled(ascent_step(p, fm, objective, pre, post, best, lr, normalize, score_clean), jit_compile, notes)
    run = RunControl(steps, objective.name[:40], progress, callback, preview_every, notes)
    plateau, wanted = Plateau(patience, min_rise, batch), {int(s) for s in thresholds}
    values, alive, snapshots = [], np.zeros(batch, bool), {}
    with run.guard():
        for i in range(steps):
            vals, live = step(i)
            values.append(vals.numpy())
            alive |= live.numpy()
            if i + 1 in wanted:
                snapshots[i + 1] = p.numpy()
            if not run.step(lambda: mosaic(p.numpy())):
                break
            if plateau.stale(values[-1]):
                run.stop(plateau.note(i + 1, steps))
                break
    run.close()
    last = p.numpy()
    if values:  # score the final image too, without transforms, so "best" can be the last one
        best.update(score(fm, objective, last), last)
    return _result(model, objective, best, last, values, snapshots, alive, run, keep)
