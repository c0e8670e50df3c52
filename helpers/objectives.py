"""Composable objectives for feature visualization (what a unit "wants to see").

An :class:`Objective` maps a dict of activations ``{layer_name: tensor [b, h, w, c]}``
(plus :data:`LOGITS`, the pre-softmax scores ``[b, n_classes]``, and
:data:`INPUT`, the image batch ``[b, H, W, 3]``, when it needs them) to one
score per image, a tensor ``[b]``. Objectives compose like numbers, as in
lucid (Olah et al., "Feature Visualization", Distill 2017)::

    obj = channel("conv4", 3) - 0.05 * total_variation()
    obj = 0.2 * channel("conv4", 3) + 0.8 * channel("conv4", 7)

Each one has a readable ``.name``, the set of layers it reads (``.layers``)
and whether it needs the logits (``.needs_logits``). Every index may also be a
list with one entry per image, so a whole layer's filters (or every class)
is one batch with a per-image objective: ``channel("conv4", range(64))``.

:func:`objective_model` builds the Keras model that feeds an objective: it
outputs the needed layers and, for class objectives, the pre-softmax logits
of a copy made with :func:`helpers.models.without_softmax`, so the caller's
model is never changed.

Penalties (:func:`l1`, :func:`l2`, :func:`total_variation`) are positive
numbers about the image; subtract them. :func:`diversity` is a reward (minus
the mean similarity to the other images of the batch); add it.
"""

from __future__ import annotations

from typing import Callable, Iterable

import numpy as np

#: Key of the pre-softmax class scores in an activation dict.
LOGITS = "<logits>"
#: Key of the image batch itself in an activation dict.
INPUT = "<input>"


def _fmt(w: float) -> str:
    return f"{w:g}"


class Objective:
    """A per-image score computed from activations; supports ``+``, ``-``, ``*`` by a scalar.

    Args:
      fn: ``fn(acts) -> tensor [batch]`` where ``acts`` is ``{name: tensor}``.
      name: readable description, e.g. ``"channel(conv4, 3)"``.
      layers: layer names ``fn`` reads.
      needs_logits: whether ``fn`` reads ``acts[LOGITS]``.
      checks: callables ``check(model)`` that raise a clear error for bad
        indices (run by :meth:`validate`).
      batch: number of images the objective is written for (per-image index
        lists), or ``None`` for any batch.
    """

    def __init__(self, fn: Callable, name: str, layers: Iterable[str] = (), needs_logits: bool = False,
                 checks: Iterable[Callable] = (), batch: int | None = None):
        self.fn, self.name = fn, name
        self.layers = frozenset(layers)
        self.needs_logits = bool(needs_logits)
        self.checks = tuple(checks)
        self.batch = batch

    def __call__(self, acts: dict):
        import tensorflow as tf

        out = tf.cast(self.fn(acts), tf.float32)
        if out.shape.rank == 0:  # a batch-level term: the same for every image
            ref = next(iter(acts.values()))
            out = tf.fill([tf.shape(ref)[0]], out)
        return out

    def __repr__(self) -> str:
        return f"Objective({self.name})"

    # ------------------------------------------------------------- algebra
    def _combine(self, other: "Objective", sign: float, op: str) -> "Objective":
        if self.batch and other.batch and self.batch != other.batch:
            raise ValueError(f"cannot combine objectives for {self.batch} and {other.batch} images")
        a, b = self.fn, other.fn
        return Objective(lambda acts: _as_f32(a(acts)) + sign * _as_f32(b(acts)), f"{self.name} {op} {other.name}",
                         self.layers | other.layers, self.needs_logits or other.needs_logits,
                         self.checks + other.checks, self.batch or other.batch)

    def __add__(self, other):
        if isinstance(other, (int, float)):
            return Objective(lambda acts: _as_f32(self.fn(acts)) + float(other), f"{self.name} + {_fmt(other)}",
                             self.layers, self.needs_logits, self.checks, self.batch)
        if not isinstance(other, Objective):
            return NotImplemented
        return self._combine(other, 1.0, "+")

    __radd__ = __add__

    def __sub__(self, other):
        if isinstance(other, (int, float)):
            return self + (-float(other))
        if not isinstance(other, Objective):
            return NotImplemented
        return self._combine(other, -1.0, "-")

    def __rsub__(self, other):
        return (-self) + other

    def __neg__(self):
        return -1.0 * self

    def __mul__(self, k):
        if not isinstance(k, (int, float, np.floating, np.integer)):
            return NotImplemented
        k = float(k)
        inner = f"({self.name})" if (" + " in self.name or " - " in self.name) else self.name
        return Objective(lambda acts: k * _as_f32(self.fn(acts)), f"{_fmt(k)}*{inner}", self.layers,
                         self.needs_logits, self.checks, self.batch)

    __rmul__ = __mul__

    def __truediv__(self, k):
        return self * (1.0 / float(k))

    # ------------------------------------------------------------- checks
    def validate(self, model, batch: int | None = None) -> None:
        """Raise a clear error if a layer, channel, class or position is invalid for ``model`` (or a ModelSpec)."""
        from helpers.models import as_model, get_layer

        model = as_model(model)
        for name in sorted(self.layers):
            get_layer(model, name)
        for check in self.checks:
            check(model)
        if batch is not None and self.batch is not None and batch != self.batch:
            raise ValueError(f"objective {self.name!r} has one index per image for {self.batch} images, "
                             f"but the batch has {batch}")


def _as_f32(t):
    import tensorflow as tf

    return tf.cast(t, tf.float32)


def _indices(c) -> tuple[np.ndarray, bool]:
    """``(indices as int array, per_image)``; a scalar gives a 0-d array."""
    if isinstance(c, (int, np.integer)):
        return np.asarray(int(c)), False
    arr = np.asarray(list(c) if not isinstance(c, np.ndarray) else c)
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"an index must be an int or a non-empty list of ints, one per image; got {c!r}")
    return arr.astype(np.int64), True


def _label(idx: np.ndarray, per_image: bool) -> str:
    if not per_image:
        return str(int(idx))
    if len(idx) > 1 and np.array_equal(idx, np.arange(idx[0], idx[0] + len(idx))):
        return f"{idx[0]}..{idx[-1]}"
    return ",".join(map(str, idx[:6])) + (",..." if len(idx) > 6 else "")


def _channel_check(layer: str, idx: np.ndarray, what: str = "channel"):
    def check(model):
        from helpers.models import get_layer

        n = int(get_layer(model, layer).output.shape[-1])
        bad = idx[(idx < 0) | (idx >= n)]
        if bad.size:
            raise IndexError(f"{what} index {int(bad.flat[0])} out of range: layer {layer!r} has {what}s 0..{n - 1}")
    return check


def _pick(values, idx: np.ndarray, per_image: bool):
    """``values [b, n]`` -> ``values[i, idx[i]]`` (or ``values[:, idx]``) as ``[b]``."""
    import tensorflow as tf

    values = _as_f32(values)
    if not per_image:
        return values[:, int(idx)]
    return tf.gather(values, tf.constant(idx), axis=1, batch_dims=1)


# ----------------------------------------------------------------- units

def channel(layer: str, c, crop: int = 0) -> Objective:
    """Mean activation of channel ``c`` of ``layer``: :math:`\\frac{1}{HW}\\sum_{i,j} A_{i,j,c}`.

    ``c`` may be a list with one channel per image. This is the "filter"
    objective of Chollet's Keras example and of Erhan et al. 2009.

    Args:
      crop: leave out ``crop`` rows and columns at each border of the map
        (the mean runs over :math:`crop \\le i < H - crop`, same for
        :math:`j`), as the Keras filter-visualization example does with
        ``activation[:, 2:-2, 2:-2, k]``. Units at the border see the zero
        padding of "same" convolutions, a fixed pattern that real images
        never move; their activation can often be raised fastest by
        saturating the image's edge pixels against that padding, and then
        the whole ascent piles up in a strip at the border. Cropping leaves
        only units whose receptive field is mostly inside the image.
    """
    idx, per = _indices(c)
    crop = int(crop)
    if crop < 0:
        raise ValueError(f"crop must be >= 0 (rows/columns left out at each border); got {crop}")

    def fn(acts):
        t = _as_f32(acts[layer])
        if crop and t.shape.rank == 4:
            t = t[:, crop:-crop, crop:-crop, :]
        return _pick(_spatial_mean(t), idx, per)

    def check_crop(model):
        from helpers.models import get_layer

        shape = get_layer(model, layer).output.shape
        if crop and len(shape) == 4 and shape[1] is not None and min(shape[1], shape[2]) <= 2 * crop:
            raise ValueError(f"crop={crop} leaves nothing of the {shape[2]}x{shape[1]} maps of {layer!r}; "
                             f"use crop <= {(min(shape[1], shape[2]) - 1) // 2}")

    label = f", crop={crop}" if crop else ""
    return Objective(fn, f"channel({layer}, {_label(idx, per)}{label})", [layer],
                     checks=[_channel_check(layer, idx), check_crop], batch=len(idx) if per else None)


def _spatial_mean(t):
    import tensorflow as tf

    t = _as_f32(t)
    return tf.reduce_mean(t, axis=[1, 2]) if t.shape.rank == 4 else t


def neuron(layer: str, c, x: int | None = None, y: int | None = None) -> Objective:
    """One unit: the activation :math:`A_{y,x,c}` (the centre of the map when ``x``/``y`` are None)."""
    idx, per = _indices(c)

    def pos(t):
        h, w = int(t.shape[1]), int(t.shape[2])
        yy, xx = (h // 2 if y is None else int(y)), (w // 2 if x is None else int(x))
        if not (0 <= yy < h and 0 <= xx < w):
            raise IndexError(f"neuron position (x={xx}, y={yy}) outside the {w}x{h} map of {layer!r}")
        return t[:, yy, xx, :]

    def check(model):
        from helpers.models import get_layer

        shape = get_layer(model, layer).output.shape
        h, w = shape[1], shape[2]
        if h is not None and w is not None:
            for v, n, axis in ((x, w, "x"), (y, h, "y")):
                if v is not None and not 0 <= int(v) < int(n):
                    raise IndexError(f"neuron {axis}={v} out of range: {layer!r} maps are {w}x{h} (x 0..{w - 1}, y 0..{h - 1})")

    where = "centre" if x is None and y is None else f"x={x}, y={y}"
    return Objective(lambda acts: _pick(pos(_as_f32(acts[layer])), idx, per),
                     f"neuron({layer}, {_label(idx, per)}, {where})", [layer],
                     checks=[_channel_check(layer, idx), check], batch=len(idx) if per else None)


def layer_mean(layer: str) -> Objective:
    """Mean of all activations of ``layer``: :math:`\\frac{1}{HWC}\\sum A_{i,j,k}` (DeepDream's objective)."""
    import tensorflow as tf

    return Objective(lambda acts: tf.reduce_mean(_as_f32(acts[layer]), axis=list(range(1, len(acts[layer].shape)))),
                     f"layer_mean({layer})", [layer])


def deepdream(layers: dict[str, float] | str) -> Objective:
    """Weighted sum of layer means, :math:`\\sum_l w_l\\,\\mathrm{mean}(A^{(l)})` (Mordvintsev et al. 2015)."""
    weights = {layers: 1.0} if isinstance(layers, str) else dict(layers)
    if not weights:
        raise ValueError("deepdream needs at least one layer, e.g. {'conv3': 1.0}")
    total = None
    for name, w in weights.items():
        term = float(w) * layer_mean(name) if float(w) != 1.0 else layer_mean(name)
        total = term if total is None else total + term
    total.name = "deepdream(" + ", ".join(f"{k}: {_fmt(float(v))}" for k, v in weights.items()) + ")"
    return total


def class_logit(c) -> Objective:
    """Pre-softmax score of class ``c``, :math:`z_c` (Simonyan et al. 2014).

    Maximizing the softmax :math:`p_c = e^{z_c}/\\sum_k e^{z_k}` can succeed by
    pushing the *other* classes down; :math:`z_c` can only rise by looking
    more like ``c``. ``c`` may be a list with one class per image.
    """
    idx, per = _indices(c)

    def check(model):
        from helpers.models import n_classes

        n = n_classes(model)  # a one-unit sigmoid scores two classes: negative, positive
        bad = idx[(idx < 0) | (idx >= n)]
        if bad.size:
            raise IndexError(f"class index {int(bad.flat[0])} out of range: the model has classes 0..{n - 1}")

    return Objective(lambda acts: _pick(acts[LOGITS], idx, per), f"class_logit({_label(idx, per)})",
                     needs_logits=True, checks=[check], batch=len(idx) if per else None)


def class_logprob(c) -> Objective:
    """Log-probability of class ``c`` from the pre-softmax scores: :math:`z_c - \log\sum_k e^{z_k}`.

    Rises when :math:`z_c` rises *relative to* the other classes. Unlike the
    bare logit, it cannot be satisfied by a texture that excites every class;
    unlike the softmax itself it does not saturate at 1 (its gradient stays
    alive). ``c`` may be a list with one class per image.
    """
    import tensorflow as tf

    obj = class_logit(c)
    idx, per = _indices(c)
    return Objective(lambda acts: _pick(tf.nn.log_softmax(_as_f32(acts[LOGITS])), idx, per),
                     f"class_logprob({_label(idx, per)})", needs_logits=True, checks=obj.checks, batch=obj.batch)


def class_probability(c) -> Objective:
    """Softmax probability :math:`p_c = e^{z_c}/\sum_k e^{z_k}` (for the lesson's comparison; prefer logits)."""
    import tensorflow as tf

    obj = class_logit(c)
    idx, per = _indices(c)
    return Objective(lambda acts: _pick(tf.nn.softmax(_as_f32(acts[LOGITS])), idx, per),
                     f"class_probability({_label(idx, per)})", needs_logits=True, checks=obj.checks, batch=obj.batch)


def diversity(layer: str) -> Objective:
    """Reward for images that differ: minus the mean cosine similarity of Gram matrices.

    For image ``i`` with Gram matrix :math:`G_i = A_i^\\top A_i` (over positions),
    the score is :math:`-\\frac{1}{b-1}\\sum_{j\\neq i}\\cos(G_i, G_j)`
    (Olah et al. 2017, "diversity"). Zero for a batch of one.
    """
    import tensorflow as tf

    def fn(acts):
        a = _as_f32(acts[layer])
        b = tf.shape(a)[0]
        flat = tf.reshape(a, [b, -1, a.shape[-1]])
        gram = tf.reshape(tf.matmul(flat, flat, transpose_a=True), [b, -1])
        gram = tf.math.l2_normalize(gram, axis=1)
        sim = tf.matmul(gram, gram, transpose_b=True)
        others = tf.reduce_sum(sim, axis=1) - tf.linalg.diag_part(sim)
        return -others / tf.maximum(tf.cast(b, tf.float32) - 1.0, 1.0)

    return Objective(fn, f"diversity({layer})", [layer])


# ----------------------------------------------------------------- image penalties

def l1(constant: float = 0.5) -> Objective:
    """Mean absolute deviation of the image from ``constant``: :math:`\\mathrm{mean}|x - k|` (subtract it)."""
    import tensorflow as tf

    return Objective(lambda acts: tf.reduce_mean(tf.abs(_as_f32(acts[INPUT]) - constant), axis=[1, 2, 3]),
                     f"l1({_fmt(constant)})")


def l2(constant: float = 0.5) -> Objective:
    """Root mean square deviation from ``constant``: :math:`\\sqrt{\\mathrm{mean}(x-k)^2}` (subtract it)."""
    import tensorflow as tf

    return Objective(lambda acts: tf.sqrt(tf.reduce_mean(tf.square(_as_f32(acts[INPUT]) - constant), axis=[1, 2, 3])
                                          + 1e-12), f"l2({_fmt(constant)})")


def total_variation() -> Objective:
    """Mean absolute difference of neighbouring pixels (Mahendran and Vedaldi 2015); subtract it.

    :math:`TV(x) = \\mathrm{mean}|x_{i+1,j}-x_{i,j}| + \\mathrm{mean}|x_{i,j+1}-x_{i,j}|`
    """
    import tensorflow as tf

    def fn(acts):
        x = _as_f32(acts[INPUT])
        dy = tf.reduce_mean(tf.abs(x[:, 1:] - x[:, :-1]), axis=[1, 2, 3])
        dx = tf.reduce_mean(tf.abs(x[:, :, 1:] - x[:, :, :-1]), axis=[1, 2, 3])
        return dx + dy

    return Objective(fn, "total_variation()")


# ----------------------------------------------------------------- feature model

def objective_model(model, objective: Objective, input_shape=None):
    """A Keras model ``x -> {layer: activation, ..., LOGITS: logits}`` for ``objective``.

    Built with :func:`helpers.models.graph_model`: the model calls ``model``'s
    own layers (weights shared, nothing copied, so it follows ``set_weights``),
    reaches layers inside nested base models, and gives the pre-softmax (or
    pre-sigmoid) logits when the objective needs class scores. The caller's
    model is never modified. Unknown layers and out-of-range indices raise
    clear errors. ``input_shape`` (e.g. ``(None, None, 3)``) overrides the
    per-image input shape; then only the layers the objective reads are computed.
    """
    import keras

    from helpers.models import as_model, graph_model

    model = as_model(model)
    objective.validate(model)
    names = sorted(objective.layers)
    if not names and not objective.needs_logits:  # image-only objective: the image is all it reads
        shape = tuple(input_shape) if input_shape is not None else tuple(model.inputs[0].shape[1:])
        x = keras.Input(shape, name="image")
        return keras.Model(x, {INPUT: x}, name=f"{model.name}_objective")
    gm = graph_model(model, names, head="logits" if objective.needs_logits else None, input_shape=input_shape)
    outputs = dict(zip(names, gm.outputs))
    if objective.needs_logits:
        outputs[LOGITS] = gm.outputs[-1]
    return keras.Model(gm.inputs[0] if len(gm.inputs) == 1 else gm.inputs, outputs, name=f"{model.name}_objective")


def activations_for(feature_model, x) -> dict:
    """Run a model from :func:`objective_model` and add the image under :data:`INPUT`."""
    acts = dict(feature_model(x, training=False))
    acts[INPUT] = x
    return acts


def evaluate(model, objective: Objective, images) -> np.ndarray:
    """The objective's per-image values ``[b]`` for a batch of images (a convenience for checks)."""
    import tensorflow as tf

    from helpers.images import model_batch
    from helpers.models import as_model

    fm = objective_model(model, objective)
    x = tf.convert_to_tensor(model_batch(images, model=as_model(model)))
    objective.validate(model, batch=int(x.shape[0]))
    return np.asarray(objective(activations_for(fm, x)))
