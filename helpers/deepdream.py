"""DeepDream: let the network amplify whatever it already sees in a photo.

Built on the feature-visualization objectives (:mod:`helpers.objectives`):
the DeepDream objective is a weighted sum of mean activations over layers
(Mordvintsev, Olah and Tyka, "Inceptionism", Google Research blog, 2015),

.. math::

    \\mathcal{L}(x) = \\sum_{l} w_l \\, \\frac{1}{H_l W_l C_l} \\sum_{i,j,k} A^{(l)}_{i,j,k}(x),

and the image climbs its gradient with a normalised step,
:math:`x \\leftarrow \\mathrm{clip}_{[0,1]}\\big(x + \\eta\\, g / \\overline{|g|}\\big)`,
:math:`g = \\nabla_x \\mathcal{L}`. Three tricks make it work on real photos:

* **octaves**: dream on a small copy first, then on larger ones (each
  ``octave_scale`` times bigger); between octaves the detail the shrinking
  lost is put back (the upscaled dream plus *original - upscaled shrunk original*);
* **tiles**: the gradient is computed tile by tile (fixed tile size, so big
  photos fit in memory and the compiled step is reused), each tile weighted by
  its share of the image, which makes the sum equal to the whole-image gradient
  away from tile edges;
* **random shifts**: the image is rolled by a random offset before tiling and
  rolled back after, so tile edges fall somewhere else every step and leave no seams;
* **mirror padding**: a roll joins the image's bottom edge to its top (and right to
  left), and that join always lies on the image's own border, whatever the shift. Deep
  layers see it as an edge and dream a frame along it; so :func:`deepdream` rolls and
  tiles a copy padded with its own mirror image, and the join falls in the padding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from helpers import config
from helpers.cache import cached
from helpers.runcontrol import UNSET, RunControl, RunResult, legacy_progress


def size_free_model(model, layers=()):
    """A model taking images of any height and width, calling ``model``'s own layers (no weights copied).

    Convolutional layers do not care about the image size, but a Keras model
    built for 64x64 inputs refuses others. With ``layers`` the new model
    outputs those layers only, so layers after a ``Flatten`` (whose input
    size is fixed) are not needed. The caller's model is not changed.
    """
    from helpers.models import as_model, graph_model

    model = as_model(model)
    return graph_model(model, layers, head=None if layers else "output", input_shape=(None, None, 3))


def octave_shapes(shape, octaves: int = 3, octave_scale: float = 1.4, min_side: int = 16) -> list[tuple[int, int]]:
    """Image sizes of the octaves, smallest first; the last is ``shape`` itself.

    Octave ``i`` (counting down from the last) has side ``round(side / octave_scale**i)``.
    """
    h, w = int(shape[0]), int(shape[1])
    if octaves < 1:
        raise ValueError(f"octaves must be at least 1; got {octaves}")
    if octave_scale <= 1.0 and octaves > 1:
        raise ValueError(f"octave_scale must be above 1; got {octave_scale}")
    shapes = [(int(round(h / octave_scale ** i)), int(round(w / octave_scale ** i))) for i in range(octaves - 1, -1, -1)]
    if min(shapes[0]) < min_side:
        raise ValueError(f"the smallest octave would be {shapes[0][0]}x{shapes[0][1]} px, below {min_side} px: "
                         f"use fewer octaves, a smaller octave_scale or a larger image")
    return shapes


def at_least(shapes, min_side: int) -> list[tuple[int, int]]:
    """Octave sizes with every side raised to ``min_side`` (the smallest the model's layers take), deduplicated.

    InceptionV3's ``mixed`` blocks, for instance, need at least 43 px: a smaller
    octave would leave a pooling window with nothing to pool.
    """
    out: list[tuple[int, int]] = []
    for h, w in shapes:
        shape = (max(int(h), min_side), max(int(w), min_side))
        if not out or out[-1] != shape:
            out.append(shape)
    return out


def _resize(img: np.ndarray, shape) -> np.ndarray:
    import tensorflow as tf

    if tuple(img.shape[:2]) == tuple(shape):
        return img
    return tf.image.resize(img[None], shape, method="bilinear").numpy()[0]


def _tile_starts(n: int, tile: int) -> list[tuple[int, int, int]]:
    """``(start, own_from, own_to)`` per tile: a full tile from ``start``; its gradient is kept on ``[own_from, own_to)``."""
    return [(min(s, n - tile), s, min(s + tile, n)) for s in range(0, n, tile)]


def seam_mask(shape, tile_size: int, shift=(0, 0), width: int = 6) -> np.ndarray:
    """Pixels within ``width`` of a seam of :meth:`Dreamer.tiled_gradient` (``[h, w]`` booleans).

    The seams, in the caller's (unrolled) coordinates, are the tile edges of
    the image rolled by ``shift`` and the roll's wrap-around line (the
    image's own border, where the rolled image joins its two ends).
    """
    h, w = int(shape[0]), int(shape[1])
    mask = np.zeros((h, w), bool)
    for axis, (n, s) in enumerate(((h, shift[0]), (w, shift[1]))):
        tile = min(int(tile_size), n)
        lines = {(own - s) % n for _, own, _ in _tile_starts(n, tile)} | {0}
        near = np.zeros(n, bool)
        for p in lines:
            near[[(p + k) % n for k in range(-width, width)]] = True
        mask |= near[:, None] if axis == 0 else near[None, :]
    return mask


class Dreamer:
    """The compiled gradient of an objective for one model, for images of any size.

    Args:
      model: a Keras image model taking RGB in [0, 1] (never modified).
      objective: a :class:`helpers.objectives.Objective`, or ``{layer: weight}``
        (or one layer name) for :func:`helpers.objectives.deepdream`.
      tile_size: side of the square tiles the gradient is computed on.
    """

    def __init__(self, model, objective, tile_size: int = 256):
        import tensorflow as tf

        from helpers import objectives as O

        from helpers.models import as_model, conv_layer_names

        model = as_model(model)
        self.objective = objective if isinstance(objective, O.Objective) else O.deepdream(objective)
        self.objective.validate(model)  # unknown layers: an error listing the valid names
        self.model_name = model.name
        self.tile_size = int(tile_size)
        h, w = model.inputs[0].shape[1:3]
        fixed = f"{h}x{w}" if h is not None and w is not None else "fixed"
        why = (f"DeepDream works at any image size, but layer {', '.join(sorted(self.objective.layers))} of "
               f"{model.name!r} needs "
               f"inputs of exactly {fixed} pixels (a Flatten or Reshape fixes the size of what follows). "
               f"Dream on a feature-map layer instead: {', '.join(conv_layer_names(model)[-6:])}")
        try:
            self._features = O.objective_model(model, self.objective, input_shape=(None, None, 3))
            if h is not None and w is not None:  # probe a size the layers were not built for
                self._features(tf.zeros([1, int(h) + 8, int(w) + 8, 3]), training=False)
        except (ValueError, tf.errors.InvalidArgumentError) as exc:
            raise ValueError(why) from exc
        from helpers.models import min_input_side

        #: the smallest image side the objective's layers take (tiles are never smaller)
        self.min_side = min_input_side(self._features)
        self.tile_size = max(self.tile_size, self.min_side)
        obj, fm = self.objective, self._features

        def value_and_grad(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                v = obj(O.activations_for(fm, x))[0]
            return v, tape.gradient(v, x)

        sig = [tf.TensorSpec([1, None, None, 3], tf.float32)]  # one trace for every tile and image size
        self._vg = tf.function(value_and_grad, input_signature=sig)

    def _check_side(self, image) -> None:
        if min(image.shape[:2]) < self.min_side:
            raise ValueError(f"a {image.shape[0]}x{image.shape[1]} px image is too small for {self.model_name}'s "
                             f"layers {', '.join(sorted(self.objective.layers))}: they need at least "
                             f"{self.min_side} px per side")

    def gradient(self, image) -> tuple[float, np.ndarray]:
        """Objective and its gradient on the whole image at once (no tiles)."""
        self._check_side(np.asarray(image))
        v, g = self._vg(np.asarray(image, np.float32)[None])
        return float(v), g.numpy()[0]

    def value(self, image) -> float:
        """The objective on the whole image (in one piece up to a megapixel, tiled beyond)."""
        img = np.asarray(image, np.float32)
        if img.shape[0] * img.shape[1] <= 1024 * 1024:
            return self.gradient(img)[0]
        return self.tiled_gradient(img)[0]

    def tiled_gradient(self, image, shift=(0, 0), pad: int = 0) -> tuple[float, np.ndarray]:
        """Objective and gradient computed tile by tile on the image rolled by ``shift`` (rolled back after).

        Tile ``t`` covers :math:`T_t` pixels of the :math:`N`-pixel image; its
        mean-activation gradient is weighted by :math:`T_t / N`, so the sum
        matches :meth:`gradient` wherever a pixel's receptive field stays
        inside its tile.

        With ``pad > 0`` the image is first padded by ``pad`` pixels of its own
        mirror image on every side; the objective and gradient are those of the
        padded copy, and the gradient is cropped back to the image (so the
        roll's wrap-around join lies in the padding, not on the image's border).
        """
        img = np.asarray(image, np.float32)
        self._check_side(img)
        pad = int(pad)
        if pad > 0:
            pad = min(pad, img.shape[0] - 1, img.shape[1] - 1)  # a reflection cannot be wider than the image
            value, grad = self.tiled_gradient(np.pad(img, ((pad, pad), (pad, pad), (0, 0)), mode="reflect"), shift)
            return value, grad[pad:pad + img.shape[0], pad:pad + img.shape[1]]
        h, w = img.shape[:2]
        x = np.roll(img, shift, axis=(0, 1))
        th, tw = min(self.tile_size, h), min(self.tile_size, w)
        grad = np.zeros_like(x)
        total = 0.0
        for y0, oy0, oy1 in _tile_starts(h, th):
            for x0, ox0, ox1 in _tile_starts(w, tw):
                v, g = self._vg(x[None, y0:y0 + th, x0:x0 + tw])
                grad[oy0:oy1, ox0:ox1] = g.numpy()[0, oy0 - y0:oy1 - y0, ox0 - x0:ox1 - x0] * (th * tw / (h * w))
                total += float(v) * (oy1 - oy0) * (ox1 - ox0) / (h * w)
        return total, np.roll(grad, (-shift[0], -shift[1]), axis=(0, 1))


def _objective_key(objective):
    """Cache key: the layer mix itself for ``{layer: weight}``, the object for an Objective (never its name)."""
    from helpers import objectives as O

    if isinstance(objective, O.Objective):
        return ("objective", id(objective))
    weights = {objective: 1.0} if isinstance(objective, str) else dict(objective)
    return ("layers", tuple(sorted((str(k), float(v)) for k, v in weights.items())))


def dreamer_for(model, objective, tile_size: int = 256) -> Dreamer:
    """A :class:`Dreamer`, reused across calls for the same model, objective and tile size.

    Dreamers live in the one per-model cache of :mod:`helpers.cache` (weakly
    keyed by the model, dropped with it, LRU-bounded). Two different
    objectives never share a dreamer, even with the same name; the dreamer
    calls the model's own layers, so it follows ``model.set_weights(...)``.
    """
    from helpers.models import as_model

    model = as_model(model)
    key = ("dreamer", _objective_key(objective), int(tile_size))
    # the entry holds the objective itself, so while it is cached no other object can take its id
    return cached(model, key, lambda: (objective, Dreamer(model, objective, tile_size)))[1]


@dataclass
class DreamResult(RunResult):
    """What :func:`deepdream` returns.

    Attributes:
      image: the dream ``[H, W, 3]`` in [0, 1], the size of the input.
      enlarged: True if the input was smaller than the objective's layers
        take (InceptionV3's ``mixed10`` needs 75 px): it was dreamt on a copy
        enlarged to that side (``shapes``, ``initial`` and ``final`` are that
        copy's) and the dream shrunk back.
      history: the objective before each step (at that step's octave size, on the mirror-padded copy).
      initial, final: the objective on the full-size input and on the dream.
      shapes: the octave sizes, smallest first.
      interrupted: True if a KeyboardInterrupt stopped the run.
      flat: True if the gradient was all zeros (a dead objective): nothing changed.
      objective: the objective's readable name.
      stopped, notes, seconds: as every :class:`helpers.runcontrol.RunResult`
        (True if the callback or Ctrl-C stopped the run: the dream so far is kept, at full size).
    """

    image: np.ndarray
    history: list[float] = field(default_factory=list)
    initial: float = 0.0
    final: float = 0.0
    shapes: list[tuple[int, int]] = field(default_factory=list)
    flat: bool = False
    objective: str = ""
    interrupted: bool = False
    enlarged: bool = False

    @property
    def gain(self) -> float:
        """``final / initial`` (``inf`` when the objective started at zero and rose)."""
        if self.initial > 0:
            return self.final / self.initial
        return float("inf") if self.final > self.initial else 1.0


def deepdream(model, image, layers=None, objective=None, steps: int = 20, step_size: float = 0.01,
              octaves: int = 3, octave_scale: float = 1.4, tile_size: int = 256, seed: int = 0,
              progress: bool | None = None, show_progress=UNSET, pad: float = 0.125, callback=None) -> DreamResult:
    """Dream on ``image`` by gradient ascent of a layer-mix objective, with octaves and shifted tiles.

    Args:
      model: a Keras model or a :class:`helpers.models.ModelSpec` (then
        ``layers`` defaults to ``spec.dream_layers``).
      image: ``[H, W, 3]`` RGB in [0, 1], any size (at least a few tens of pixels).
      layers: ``{layer: weight}`` or a layer name (the DeepDream objective).
      objective: any :class:`helpers.objectives.Objective` instead of ``layers``.
      steps: gradient steps per octave (capped in fast mode).
      step_size: :math:`\\eta`, in image units per step (the gradient is normalised).
      octaves, octave_scale: how many sizes, and the ratio between neighbours.
      tile_size: tile side for the gradient (memory use does not grow with the photo).
      seed: seeds the random shifts.
      pad: mirror padding around each octave before the roll and the tiles, as a
        share of its shorter side (0 = none: the roll's wrap-around join then lies
        on the image's border at every step, and deep layers dream a frame along it).
      progress: show a progress bar (``None``: when there is more than one step).
      callback: ``callback(step, total, preview) -> bool`` (``preview``: the
        image, four times per octave); ``False`` stops the run, as Ctrl-C does,
        and it still returns the dream so far at full size (:mod:`helpers.runcontrol`).
      show_progress: deprecated, use ``progress=``; ``progress=<a function>``
        (the callback) is deprecated too, use ``callback=``.
    """

    from helpers import adapt as _adapt
    from helpers import images as _images
    from helpers._checks import finite_float, positive_int
    from helpers.models import as_model

    progress, callback = legacy_progress(progress, callback, show_progress, "deepdream")
    if hasattr(model, "model") and hasattr(model, "dream_layers"):
        layers = layers if layers is not None or objective is not None else model.dream_layers
    model = as_model(model)
    if objective is None and not layers:
        raise ValueError("give layers={layer: weight} (or a ModelSpec, whose dream_layers are used) or an objective")
    step_size = finite_float("step_size", step_size, positive=True)
    steps = positive_int("steps", steps)
    octaves = positive_int("octaves", octaves)
    tile_size = positive_int("tile_size", tile_size, minimum=8)
    pad = finite_float("pad", pad)
    if not 0.0 <= pad <= 0.5:
        raise ValueError(f"pad is a share of the image's shorter side, between 0 and 0.5; got {pad}")
    original = np.asarray(image) if not isinstance(image, (str, bytes)) else image
    if getattr(original, "ndim", 0) not in (2, 3) or (original.ndim == 3 and original.shape[-1] not in (1, 3)):
        raise ValueError(f"expected one image [H, W, 3] (or [H, W] grayscale); "
                         f"got {getattr(original, 'shape', type(image).__name__)}")
    original = _images.model_batch(original, "the image")[0]
    if min(original.shape[:2]) < _adapt.MIN_SIDE:
        raise _images.ImageError(f"the image is {original.shape[0]}x{original.shape[1]} pixels; DeepDream needs at "
                                 f"least {_adapt.MIN_SIDE}x{_adapt.MIN_SIDE} (it is enlarged to the layers' minimum "
                                 "and shrunk back, but a smaller image holds nothing to dream on).")
    dreamer = dreamer_for(model, objective if objective is not None else layers, tile_size)
    given = tuple(original.shape[:2])
    if min(given) < dreamer.min_side:  # too small for the layers: dream on an enlarged copy, shrink the dream back
        k = dreamer.min_side / min(given)
        original = _resize(original, tuple(max(dreamer.min_side, round(side * k)) for side in given))
    shapes = at_least(octave_shapes(original.shape, octaves, octave_scale, min_side=1), dreamer.min_side)
    steps = config.steps(steps)
    rng = config.rng(seed)
    result = DreamResult(original, shapes=shapes, objective=dreamer.objective.name)
    result.enlarged = given != tuple(original.shape[:2])
    result.initial = dreamer.value(original)
    img = _resize(original, shapes[0])
    shrunk = img
    run = RunControl(steps * len(shapes), "deepdream", progress, callback, max(1, steps // 4), result.notes)
    for o, shape in enumerate(shapes):
        if o > 0:  # upscale the dream and put back the detail the shrinking lost
            same_size = _resize(original, shape)
            img = np.clip(_resize(img, shape) + same_size - _resize(shrunk, shape), 0.0, 1.0)
            shrunk = same_size
        if run.stopped or result.flat:
            continue
        with run.guard():  # Ctrl-C: keep the dream so far (upscaled to full size by the octaves left)
            margin = int(round(pad * min(shape)))
            for _ in range(steps):
                img, result.flat = _dream_step(dreamer, img, shape, margin, rng, tile_size, step_size, result.history)
                if result.flat or not run.step(lambda: img):
                    break
    result.stopped, result.interrupted, result.seconds = run.stopped, run.interrupted, run.close()
    result.image = img.astype(np.float32)
    result.final = dreamer.value(result.image)
    if result.enlarged:
        result.image = _resize(result.image, given)
    return result


def _dream_step(dreamer, img, shape, margin, rng, tile_size, step_size, history):
    """One step of the module docstring's update on a randomly shifted, mirror-padded, tiled copy.

    Returns ``(image, flat)``; ``flat`` (a dead objective: the gradient is all
    zeros, no direction to climb) leaves the image as it is.
    """
    padded = (shape[0] + 2 * margin, shape[1] + 2 * margin)
    shift = (int(rng.integers(0, min(tile_size, padded[0]))), int(rng.integers(0, min(tile_size, padded[1]))))
    v, g = dreamer.tiled_gradient(img, shift, pad=margin)
    history.append(v)
    scale = float(np.mean(np.abs(g)))
    if not np.isfinite(scale) or scale < 1e-12:
        return img, True
    return np.clip(img + step_size * g / scale, 0.0, 1.0), False


def dream_grid(model, image, layer_sets: dict, **kwargs):
    """Dream once per entry of ``layer_sets`` (``{title: {layer: weight}}``); returns ``{title: DreamResult}``."""
    return {title: deepdream(model, image, layers=layers, **kwargs) for title, layers in layer_sets.items()}


def deepdream_report(n: int = 1, seed: int = 0, size: int = 128) -> dict[str, float]:
    """DeepDream on ``n`` sample photos (``size`` px) with the shapes CNN's default layer mix.

    ``deepdream_objective_gain`` is the final objective divided by the initial
    one, both on the full-size image (mean over the photos; ``_min`` the worst).
    """
    from helpers import images
    from helpers.models import load_shapes

    spec = load_shapes("a")
    names = list(images.SAMPLE_PHOTOS)
    gains, first, last = [], [], []
    for i in range(max(1, n)):
        photo = images.resize(images.load_image(names[i % len(names)]), (size, size), crop=True)
        res = deepdream(spec, photo, steps=20, step_size=0.01, octaves=3, octave_scale=1.4, tile_size=64,
                        seed=seed + i)
        gains.append(res.gain)
        first.append(res.initial)
        last.append(res.final)
    return {"deepdream_objective_initial": float(np.mean(first)), "deepdream_objective_final": float(np.mean(last)),
            "deepdream_objective_gain": float(np.mean(gains)), "deepdream_objective_gain_min": float(np.min(gains))}
