"""One per-model cache for everything built from a model: logits models, compiled functions, dreamers.

Building a Keras sub-model or tracing a ``tf.function`` costs far more than
calling it, so every helper that compiles something for a model asks
:func:`cached` for it: attribution's gradients and layer functions
(:mod:`helpers.attribution.core`), the perturbation scores, DeepDream's
dreamers (:func:`helpers.deepdream.dreamer_for`).

The cache is keyed **weakly** by the caller's model, so it never keeps a model
alive: when the model goes, its entries go. Per model it is a
least-recently-used list of at most :data:`CACHE_SIZE` entries. Everything
cached calls the model's own layers (weights shared, never copied), so a
cached function follows ``model.set_weights(...)``.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict

#: Entries kept per model (logits model, compiled functions, dreamers, ...); the least recently used go first.
CACHE_SIZE = 24
_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def cached(model, key, build):
    """``build()`` for ``model`` and ``key``, built once and then reused (per-model LRU, dropped with the model).

    Args:
      model: the caller's Keras model (held weakly).
      key: anything hashable naming what is built, e.g. ``("layer_function", "conv4", None)``.
      build: a function of no arguments that builds the entry on a miss.
    """
    store = _CACHE.get(model)
    if store is None:
        store = _CACHE[model] = OrderedDict()
    if key in store:
        store.move_to_end(key)
        return store[key]
    value = store[key] = build()
    while len(store) > CACHE_SIZE:
        store.popitem(last=False)
    return value


def entries(model) -> list:
    """The keys cached for ``model``, least recently used first (empty when there are none)."""
    return list(_CACHE.get(model, ()))


def clear(model=None) -> None:
    """Forget what is cached for ``model`` (everything when ``model`` is None)."""
    if model is None:
        _CACHE.clear()
    else:
        _CACHE.pop(model, None)
