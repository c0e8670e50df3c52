"""Shared machinery of every attribution method: checks, batching, compiled gradients, progress.

What a method does around its formula, public here so that a new method
(see :mod:`helpers.attribution.registry`) is its formula and nothing else:

* :func:`prepare`: validate the batch, resolve the class per image (``"auto"``:
  predicted; out of range: an :class:`IndexError` stating the range) and give
  the pre-softmax :func:`logits_model`;
* :func:`finish`: keep the positive part, scale each map to [0, 1] by its
  maximum; an all-zero map stays zero, never NaN, with a warning
  (:func:`empty_maps` finds them);
* :func:`chunked`: call a compiled ``(x, cls)`` function in :data:`CHUNK`-image pieces;
* :func:`input_gradients` / :func:`grads_and_scores`: :math:`\\partial z_c / \\partial x`;
* :func:`layer_function`: the one compiled "activations and gradients at a
  layer" function of the CAM family, :math:`(A, \\partial z_c / \\partial A)`,
  optionally reduced on the graph by a method's own formula;
* :func:`upsampled`: coarse maps to input resolution (bilinear);
* :func:`progress_bar`: the bar every long method shows (``progress=None``:
  only when the work takes more than one step; from :mod:`helpers.runcontrol`,
  so ``progress`` means the same in render and DeepDream).

Compiled functions are cached per model in the one cache of
:mod:`helpers.cache` (weakly, LRU-bounded, dropped with the model;
:func:`cached` is re-exported here) and share the model's variables, so they follow
``set_weights``; the scores are always the pre-softmax logits
(:func:`helpers.models.without_softmax`).
"""

from __future__ import annotations

import logging
import warnings

import numpy as np

from helpers import images as _images
from helpers._graph import as_model, graph_model
from helpers.cache import CACHE_SIZE, _CACHE, cached  # noqa: F401  (re-exported: the one per-model cache)
from helpers.runcontrol import progress_bar  # noqa: F401  (re-exported: what progress= means everywhere)

#: Images per compiled call; larger batches are processed in chunks of this size.
CHUNK = 64
#: Our own compiled functions, built once per (model, layer) on purpose.
_OWN_FUNCTIONS = ("_layer_function.<locals>.fn", "_input_grad_fn.<locals>.fn")


class _OwnRetracingFilter(logging.Filter):
    """Drop TensorFlow's "triggered tf.function retracing" warning for this module's functions only.

    Every model (and every randomized copy in the sanity check) gets its own
    compiled function by design, which TensorFlow reports as retracing. The
    warning would teach students to worry about nothing; retracing of any
    other function is still reported.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        return not ("triggered tf.function retracing" in msg and any(f in msg for f in _OWN_FUNCTIONS))


_TF_LOGGER = logging.getLogger("tensorflow")  # the same object TensorFlow logs to, imported or not
if not any(isinstance(f, _OwnRetracingFilter) for f in _TF_LOGGER.filters):  # once, even on reload
    _TF_LOGGER.addFilter(_OwnRetracingFilter())


def logits_model(model):
    """The pre-softmax model (always a new Keras model, so the cache never holds ``model`` itself)."""
    return cached(model, "logits", lambda: graph_model(model, head="logits"))


def _class_indices(model, class_index, n: int) -> np.ndarray | None:
    """Explicit class indices per image (names allowed with a ModelSpec), or None for ``"auto"``."""
    if isinstance(class_index, str):
        if class_index == "auto":
            return None
        if hasattr(model, "class_index"):
            return np.full(n, model.class_index(class_index), dtype=np.int64)
        raise ValueError(f"class_index must be an int, a list of ints or 'auto' (class names need a ModelSpec); "
                         f"got {class_index!r}")
    arr = np.asarray(class_index)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool):
        if arr.dtype.kind in "US" and hasattr(model, "class_index"):
            arr = np.array([model.class_index(c) for c in arr.ravel()])
        elif np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"class_index must be an int, a list of ints or 'auto'; got {class_index!r:.80}")
    if arr.ndim > 1 or (arr.ndim == 1 and len(arr) not in (1, n)):
        raise ValueError(f"got {arr.size} class indices for {n} images; give one per image, one for all, or 'auto'")
    return np.broadcast_to(arr.astype(np.int64).ravel() if arr.ndim else arr.astype(np.int64), (n,)).copy()


def prepare(model, images, class_index, checked: bool = True):
    """Validate the batch and resolve the class per image (``"auto"``: predicted).

    ``checked=False`` skips the [0, 1] range check (internal callers feed noisy copies).

    Returns:
      ``(x [n, h, w, 3] float32, cls [n] int32, logits model)``.
    """
    net = as_model(model)
    x = _images.model_batch(images, model=net) if checked else _images.as_batch(images)
    logits = logits_model(net)
    n_classes = int(logits.outputs[0].shape[-1])
    cls = _class_indices(model, class_index, len(x))
    if cls is None:
        cls = np.concatenate([np.argmax(np.asarray(logits(x[i:i + CHUNK], training=False)), 1)
                              for i in range(0, len(x), CHUNK)])
    bad = cls[(cls < 0) | (cls >= n_classes)]
    if bad.size:
        raise IndexError(f"class index {int(bad[0])} out of range: the model has classes 0..{n_classes - 1}")
    return x, cls.astype(np.int32), logits


def _input_grad_fn(model):
    """Compiled ``(x, cls) -> (dz_c/dx, z_c)`` for ``model``'s logits."""
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def fn(x, cls):
        with tf.GradientTape() as tape:
            tape.watch(x)
            score = tf.gather(model(x, training=False), cls, batch_dims=1)
        return tape.gradient(score, x), score

    return fn


def chunked(fn, x, cls, chunk=CHUNK):
    """Call a compiled fn chunk by chunk and concatenate its outputs."""
    import tensorflow as tf

    outs = []
    for i in range(0, len(x), chunk):
        res = fn(tf.constant(x[i:i + chunk]), tf.constant(cls[i:i + chunk]))
        outs.append([np.asarray(r) for r in (res if isinstance(res, (tuple, list)) else [res])])
    return [np.concatenate(parts) for parts in zip(*outs)]


def grads_and_scores(model, images, class_index="auto", guided: str | None = None, checked: bool = True):
    """``(dz_c/dx [n, h, w, 3], z_c [n])``; arguments as :func:`input_gradients`."""
    x, cls, logits = prepare(model, images, class_index, checked)
    net = as_model(model)
    if guided:
        from helpers.guided import guided_model

        logits = cached(net, ("guided", guided), lambda: guided_model(net, rule=guided, head="logits"))
    fn = cached(net, ("input_grad", guided), lambda: _input_grad_fn(logits))
    return chunked(fn, x, cls)


def input_gradients(model, images, class_index="auto", guided: str | None = None, checked: bool = True):
    """Raw gradients :math:`\\partial z_c / \\partial x`, shape ``[n, h, w, 3]``.

    Args:
      model: a Keras model or a ModelSpec (never modified).
      guided: ``None`` for true gradients, ``"guided"`` or ``"deconvnet"`` for
        the modified ReLU rules of :mod:`helpers.guided` (inside nested base models too).
      checked: validate that ``images`` are in [0, 1] (off for internal noisy copies).
    """
    return grads_and_scores(model, images, class_index, guided, checked)[0]


def empty_maps(maps) -> np.ndarray:
    """Boolean per map: True where the map is all zeros (no evidence at all)."""
    m = np.asarray(maps)
    return ~np.any(m > 0, axis=tuple(range(1, m.ndim)))


def finish(maps, method: str) -> np.ndarray:
    """Scale each map to [0, 1] by its maximum; all-zero maps stay zero (flagged)."""
    m = np.maximum(np.asarray(maps, dtype=np.float32), 0.0)
    top = m.reshape(len(m), -1).max(1).reshape(-1, *([1] * (m.ndim - 1)))
    out = np.where(top > 0, m / np.where(top > 0, top, 1.0), 0.0).astype(np.float32)
    n_empty = int(empty_maps(out).sum())
    if n_empty:
        warnings.warn(f"{method}: {n_empty} of {len(out)} maps are all zeros (no positive evidence); "
                      "they are returned as zeros.", stacklevel=3)
    return out


def layer_function(model, layer_name: str, formula=None):
    """Compiled ``(x, cls) -> (A, dz_c/dA)`` at one layer, or ``formula(A, dz_c/dA)`` computed on the graph.

    The one "activations and gradients at a layer" function of the CAM
    family, against the pre-softmax scores; it works inside nested base
    models and is cached per model, layer and formula. ``formula`` (a
    function of two TensorFlow tensors ``[n, h', w', K]``) lets a method
    reduce to its coarse map before anything leaves the graph.
    """
    net = as_model(model)
    key = ("layer_function", layer_name, getattr(formula, "__qualname__", None))
    return cached(net, key, lambda: _layer_function(net, layer_name, formula))


def _layer_function(model, layer_name: str, formula):
    import tensorflow as tf

    two = graph_model(model, [layer_name], head="logits")  # shares the weights; works inside nested bases

    @tf.function(reduce_retracing=True)
    def fn(x, cls):
        with tf.GradientTape() as tape:
            acts, z = two(x, training=False)
            score = tf.gather(z, cls, batch_dims=1)
        grads = tape.gradient(score, acts)
        return (acts, grads) if formula is None else formula(acts, grads)

    return fn


def upsampled(coarse, size) -> np.ndarray:
    """Maps ``[n, h', w']`` resized bilinearly to ``size`` (returned as they are when already that size)."""
    from helpers.activations import upsample

    if coarse.shape[1:] == tuple(size):
        return coarse
    return np.stack([upsample(c, size) for c in coarse])
