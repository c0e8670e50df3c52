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

The step is compiled with ``tf.function``. :func:`render` keeps the best image
by objective as well as the last one, returns snapshots at chosen steps,
shows a progress bar, calls ``callback(step, total, preview) -> bool`` (False
stops, as widgets' Stop buttons do), returns what it has on
KeyboardInterrupt, and flags images whose gradient was identically zero
("dead" filters) instead of returning NaN. ``precision="bfloat16"`` (CPUs) or
``"float16"`` (GPUs) runs the model in mixed precision on a clone.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from helpers import config
from helpers import objectives as O
from helpers import param as P
from helpers import transforms as T


@dataclass
class RenderResult:
    """What :func:`render` returns.

    Attributes:
      images: the chosen result per image (``best`` or ``last``, see ``keep``), in [0, 1].
      best: image with the highest objective seen during the run, per image.
      last: the image after the final step.
      values: objective per step and image, ``[steps_done, batch]``.
      best_values: the best objective per image.
      snapshots: ``{step: images}`` at the requested steps.
      dead: True where the gradient was identically zero at every step.
      stopped: True if stopped early (callback or KeyboardInterrupt).
      steps_done: steps completed.
      objective: the objective's name.
      seconds: wall time of the optimization.
      notes: anything the caller should know (e.g. a regularizer skipped).
    """

    images: np.ndarray
    best: np.ndarray
    last: np.ndarray
    values: np.ndarray
    best_values: np.ndarray
    snapshots: dict = field(default_factory=dict)
    dead: np.ndarray = None
    stopped: bool = False
    steps_done: int = 0
    objective: str = ""
    seconds: float = 0.0
    notes: list = field(default_factory=list)


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


def render(model, objective: O.Objective, batch: int | None = None, size: int | tuple | None = None,
           param="pixel", transforms=(), steps: int = 64, lr: float = 0.05, thresholds=(),
           normalize: bool = True, keep: str = "best", callback=None, preview_every: int | None = None,
           progress: bool = True, seed: int = 0, precision: str = "float32", init=None,
           param_kwargs: dict | None = None, jit_compile: bool = False, score_clean: bool = False,
           patience: int | None = None, min_rise: float = 0.0) -> RenderResult:
    """Optimize a batch of images to maximize ``objective`` (one value per image).

    Args:
      model: a Keras model taking images in [0, 1], or a ModelSpec; never modified.
        Layers inside nested base models are reached by path or inner name.
      objective: an :class:`helpers.objectives.Objective`.
      batch: images to optimize; defaults to the objective's per-image count, else 1.
      size: side (or ``(h, w)``) of the images; defaults to the model's input size.
      param: ``"pixel"``, ``"fourier"``, ``"silhouette"`` or a parameterization object.
      transforms: list of :class:`helpers.transforms.Transform` (not modified).
      steps: number of steps, at least 1 (capped by ``helpers.config.steps`` in fast mode).
      lr: step size :math:`\\eta` of the normalized gradient step (finite, positive).
      thresholds: steps (1-based) at which to keep snapshots.
      normalize: divide each image's gradient by its RMS (else the raw gradient).
      keep: ``"best"`` (highest objective seen) or ``"last"`` for ``result.images``.
      callback: ``callback(step, total, preview)`` returning False to stop.
      preview_every: steps between previews sent to ``callback`` (default ~10 per run).
      progress: show a tqdm progress bar.
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
        ``result.notes`` says when); the best image is kept, whatever ``keep``
        says.
      min_rise: :math:`\rho`, the smallest relative rise that counts (0: any rise).
    """
    import tensorflow as tf

    from helpers._checks import finite_float, positive_int
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
    from helpers.adapt import MIN_SIDE, min_side

    fixed = tuple(model.inputs[0].shape[1:3])
    need = max(MIN_SIDE, min_side(model) if fixed[0] is None else MIN_SIDE)
    if min(h, w) < need:
        raise ValueError(f"size {h}x{w} is too small to render: this model needs images of at least {need}x{need}")
    if None not in fixed and (h, w) != fixed:
        raise ValueError(f"{model.name!r} takes {fixed[0]}x{fixed[1]} images only; render at that size "
                         f"(size=None), not {h}x{w}")
    steps = config.steps(steps)
    pre, post = T.split(transforms)
    p = P.make_param(param, batch, h, w, seed=seed, **({"init": init} if init is not None else {}),
                     **(param_kwargs or {}))
    notes = []
    if post and p.kind != "pixel":
        notes.append(f"pixel regularizers ({', '.join(t.name for t in post)}) skipped: they apply to pixel "
                     f"parameterizations; {p.kind} keeps pixels smooth and in range by construction")
        post = []
    fm = O.objective_model(mixed_precision_clone(model, precision), objective)
    var = p.variables[0]
    baxis = 1 if p.kind == "fourier" else 0
    red = [a for a in range(len(var.shape)) if a != baxis]
    best_img = tf.Variable(tf.clip_by_value(p.image(), 0.0, 1.0))
    best_val = tf.Variable(tf.fill([batch], -np.inf))

    def step(t):
        with tf.GradientTape() as tape:
            img = p.image()
            x = img
            for tr in pre:
                x = tr(x, t)
            acts = dict(fm(x, training=False))
            acts[O.INPUT] = img
            vals = objective(acts)
            total = tf.reduce_sum(vals)
        if score_clean and pre:
            vals = objective({**dict(fm(img, training=False)), O.INPUT: img})
        g = tape.gradient(total, var)
        g = tf.where(tf.math.is_finite(g), g, tf.zeros_like(g))
        gnorm = tf.sqrt(tf.reduce_mean(tf.square(g), axis=red))
        if normalize:
            shape = [1] * len(var.shape)
            shape[baxis] = batch
            g = g / (tf.reshape(gnorm, shape) + 1e-8)
        better = vals > best_val
        best_val.assign(tf.where(better, vals, best_val))
        best_img.assign(tf.where(better[:, None, None, None], tf.clip_by_value(img, 0.0, 1.0), best_img))
        new = var + lr * g
        for tr in post:
            new = tr(new, t)
        var.assign(new)
        return vals, gnorm

    compiled = tf.function(step, reduce_retracing=True, jit_compile=bool(jit_compile))

    def run_step(i):
        nonlocal compiled
        try:
            return compiled(tf.constant(i, tf.int32))
        except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError, tf.errors.NotFoundError) as err:
            if not jit_compile or i > 0:
                raise
            notes.append(f"XLA could not compile this step ({type(err).__name__}); ran it as a plain graph")
            compiled = tf.function(step, reduce_retracing=True)
            return compiled(tf.constant(i, tf.int32))

    values, alive = [], np.zeros(batch, bool)
    snapshots, stopped, done = {}, False, 0
    record, since, early = np.full(batch, -np.inf), 0, False  # early stopping: best score so far, steps without a rise
    wanted = {int(s) for s in thresholds}
    every = preview_every or max(1, steps // 10)
    start = time.perf_counter()
    bar = config.progress_bar(steps, objective.name[:40], progress)
    try:
        for i in range(steps):
            vals, gnorm = run_step(i)
            values.append(vals.numpy())
            alive |= gnorm.numpy() > 0
            done = i + 1
            bar.update(1)
            if done in wanted:
                snapshots[done] = p.numpy()
            if patience is not None:
                finite = np.isfinite(record)
                needed = np.where(finite, record + min_rise * np.abs(np.where(finite, record, 0.0)), -np.inf)
                rose = values[-1] > needed
                record, since = np.where(rose, values[-1], record), 0 if rose.any() else since + 1
                if since >= int(patience):
                    stopped = early = True
                    notes.append(f"early stop after {done} of {steps} steps: no image's best rose by more "
                                 f"than {min_rise:.0%} in {int(patience)} steps")
                    break
            if callback is not None:
                preview = mosaic(p.numpy()) if (done % every == 0 or done == steps) else None
                if callback(done, steps, preview) is False:
                    stopped = True
                    break
    except KeyboardInterrupt:
        stopped = True
        notes.append(f"interrupted after {done} of {steps} steps: returning the images so far")
    finally:
        bar.close()
    seconds = time.perf_counter() - start
    last = p.numpy()
    # score the final image too, without transforms, so "best" can be the last one
    if done:
        final_vals = objective({**dict(fm(tf.constant(last), training=False)), O.INPUT: tf.constant(last)}).numpy()
        better = final_vals > best_val.numpy()
        best_val.assign(np.where(better, final_vals, best_val.numpy()))
        best_img.assign(np.where(better[:, None, None, None], last, best_img.numpy()))
    best = best_img.numpy()
    conv = getattr(model, "_course_convention", None)
    if conv is not None and conv.channels == 1:  # a grayscale model sees the mean of R, G and B: show that
        best, last = (np.repeat(a.mean(-1, keepdims=True), 3, axis=-1) for a in (best, last))
        notes.append("grayscale model: the images are shown as the gray the model sees (the mean of R, G and B)")
    dead = ~alive if done else np.zeros(batch, bool)
    if dead.any():
        notes.append(f"{int(dead.sum())} of {batch} images had an identically zero gradient (dead unit): "
                     "their images are the untouched start")
        warnings.warn(notes[-1], stacklevel=2)
    return RenderResult(images=best if keep == "best" or early else last, best=best, last=last,
                        values=np.array(values).reshape(done, batch), best_values=best_val.numpy(),
                        snapshots=snapshots, dead=dead, stopped=stopped, steps_done=done,
                        objective=objective.name, seconds=seconds, notes=notes)
