"""Shared machinery of the attribution methods: batching, class lookup, compiled gradients.

Kept apart from :mod:`helpers.attribution` so that each module stays short.
Compiled functions are cached per model (and dropped with it); the scores
are always the pre-softmax logits (:func:`helpers.models.without_softmax`).
"""

from __future__ import annotations

import logging
import warnings
import weakref

import numpy as np

from helpers import images as _images
from helpers.models import without_softmax

#: Images per compiled call; larger batches are processed in chunks of this size.
CHUNK = 64
_CACHE: dict[int, tuple] = {}
#: Our own compiled functions, built once per (model, layer) on purpose.
_OWN_FUNCTIONS = ("_cam_fn.<locals>.fn", "_input_grad_fn.<locals>.fn")


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


def _cached(model, key, build):
    """A per-model cache (logits model, compiled functions) dropped with the model."""
    entry = _CACHE.get(id(model))
    if entry is None or entry[0]() is not model:
        entry = (weakref.ref(model), {})
        _CACHE[id(model)] = entry
    store = entry[1]
    if key not in store:
        store[key] = build()
    return store[key]


def _logits(model):
    return _cached(model, "logits", lambda: without_softmax(model))


def _prepare(model, images, class_index):
    """Validate the batch and resolve the class per image (``"auto"``: predicted)."""
    x = _images.as_batch(images)
    logits = _logits(model)
    n_classes = int(logits.outputs[0].shape[-1])
    if isinstance(class_index, str):
        if class_index != "auto":
            raise ValueError(f"class_index must be an int, a list of ints or 'auto'; got {class_index!r}")
        cls = np.concatenate([np.argmax(np.asarray(logits(x[i:i + CHUNK], training=False)), 1)
                              for i in range(0, len(x), CHUNK)])
    else:
        cls = np.broadcast_to(np.asarray(class_index, dtype=np.int64), (len(x),)).copy()
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


def _chunked(fn, x, cls, chunk=CHUNK):
    """Call a compiled fn chunk by chunk and concatenate its outputs."""
    import tensorflow as tf

    outs = []
    for i in range(0, len(x), chunk):
        res = fn(tf.constant(x[i:i + chunk]), tf.constant(cls[i:i + chunk]))
        outs.append([np.asarray(r) for r in (res if isinstance(res, (tuple, list)) else [res])])
    return [np.concatenate(parts) for parts in zip(*outs)]


def _grads_and_scores(model, images, class_index="auto", guided: str | None = None):
    x, cls, logits = _prepare(model, images, class_index)
    net = logits
    if guided:
        from helpers.guided import guided_model

        net = _cached(model, f"clone-{guided}", lambda: guided_model(logits, rule=guided))
    fn = _cached(net, "input_grad", lambda: _input_grad_fn(net))
    return _chunked(fn, x, cls)


def input_gradients(model, images, class_index="auto", guided: str | None = None):
    """Raw gradients :math:`\\partial z_c / \\partial x`, shape ``[n, h, w, 3]``.

    Args:
      guided: ``None`` for true gradients, ``"guided"`` or ``"deconvnet"`` for
        the modified ReLU rules of :mod:`helpers.guided` (computed on a clone).
    """
    return _grads_and_scores(model, images, class_index, guided)[0]


def empty_maps(maps) -> np.ndarray:
    """Boolean per map: True where the map is all zeros (no evidence at all)."""
    m = np.asarray(maps)
    return ~np.any(m > 0, axis=tuple(range(1, m.ndim)))


def _finish(maps, method: str) -> np.ndarray:
    """Scale each map to [0, 1] by its maximum; all-zero maps stay zero (flagged)."""
    m = np.maximum(np.asarray(maps, dtype=np.float32), 0.0)
    top = m.reshape(len(m), -1).max(1).reshape(-1, *([1] * (m.ndim - 1)))
    out = np.where(top > 0, m / np.where(top > 0, top, 1.0), 0.0).astype(np.float32)
    n_empty = int(empty_maps(out).sum())
    if n_empty:
        warnings.warn(f"{method}: {n_empty} of {len(out)} maps are all zeros (no positive evidence); "
                      "they are returned as zeros.", stacklevel=3)
    return out
