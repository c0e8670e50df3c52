"""Does a heatmap point at the object? Scores against ground-truth masks, and sanity checks.

* :func:`pointing_game`: a hit when the map's maximum lies inside the object's
  mask grown by ``tolerance`` pixels (Zhang et al. 2016, *Top-down Neural
  Attention by Excitation Backprop*, use 15 px on ImageNet; the shapes world
  uses 3 px).
* :func:`energy_in_mask`: the share of the map's mass inside the mask,
  :math:`\\sum_{p \\in M} S_p / \\sum_p S_p` (Wang et al. 2020, *Score-CAM*).
* :func:`random_maps` and :func:`centre_maps`: the baselines any method must beat.
* :func:`randomization_cascade`: Adebayo et al. 2018, *Sanity Checks for
  Saliency Maps*: re-initialise the weights layer by layer from the top and
  measure the Spearman rank correlation between the maps of the trained and
  the randomized model. A method that explains the *model* must change; one
  that stays similar is mostly showing the *image*.
"""

from __future__ import annotations

import numpy as np

from helpers import config


def _check(maps, masks):
    maps, masks = np.asarray(maps, dtype=np.float32), np.asarray(masks, dtype=bool)
    if maps.ndim == 2:
        maps, masks = maps[None], masks[None] if masks.ndim == 2 else masks
    if maps.shape != masks.shape:
        raise ValueError(f"maps {maps.shape} and masks {masks.shape} must have the same shape [n, h, w]")
    return maps, masks


def dilate(masks, tolerance: int = 3) -> np.ndarray:
    """Grow boolean masks ``[n, h, w]`` by ``tolerance`` pixels (a disc)."""
    from scipy import ndimage

    masks = np.asarray(masks, dtype=bool)
    if tolerance <= 0:
        return masks
    r = int(tolerance)
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    disc = (yy ** 2 + xx ** 2) <= r * r
    return ndimage.binary_dilation(masks, structure=disc[None]) if masks.ndim == 3 else \
        ndimage.binary_dilation(masks, structure=disc)


def pointing_game(maps, masks, tolerance: int = 3) -> np.ndarray:
    """Per image: 1.0 when the map's peak lies within ``tolerance`` px of the object, else 0.0.

    An all-zero map points nowhere and counts as a miss. With several equal
    maxima, all of them must be on the object.
    """
    maps, masks = _check(maps, masks)
    grown = dilate(masks, tolerance)
    flat, inside = maps.reshape(len(maps), -1), grown.reshape(len(maps), -1)
    peak = flat == flat.max(1, keepdims=True)
    hit = np.all(~peak | inside, axis=1) & (flat.max(1) > 0)
    return hit.astype(np.float32)


def energy_in_mask(maps, masks) -> np.ndarray:
    """Per image: the fraction of the map's total mass that falls on the object (0 for an empty map)."""
    maps, masks = _check(maps, masks)
    m = np.maximum(maps, 0.0).reshape(len(maps), -1)
    total = m.sum(1)
    inside = (m * masks.reshape(len(maps), -1)).sum(1)
    return np.where(total > 0, inside / np.where(total > 0, total, 1.0), 0.0).astype(np.float32)


def random_maps(n: int, size=(64, 64), seed: int = 0) -> np.ndarray:
    """Uniform noise maps: a method that knows nothing."""
    return config.rng(seed).random((n, *size)).astype(np.float32)


def centre_maps(n: int, size=(64, 64)) -> np.ndarray:
    """A Gaussian bump in the middle: the 'objects are usually central' prior."""
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w]
    bump = np.exp(-(((yy - (h - 1) / 2) / (h / 4)) ** 2 + ((xx - (w - 1) / 2) / (w / 4)) ** 2))
    return np.broadcast_to(bump.astype(np.float32), (n, h, w)).copy()


def activity_maps(model, images, layer: str) -> np.ndarray:
    """Class-free baseline: ``layer``'s activations summed over channels, :math:`\\sum_k A_k`, upsampled to the image.

    It does not depend on any class, so a class map that agrees with it
    rank for rank says little about the class (lesson 10, Grad-CAM++).
    """
    from helpers.activations import get_activations, upsample

    x = np.asarray(images, dtype=np.float32)
    acts = get_activations(model, x, [layer])[layer].sum(-1)
    return np.stack([upsample(a, x.shape[1:3]) for a in acts]).astype(np.float32)


def spearman(a, b) -> np.ndarray:
    """Per-row Spearman rank correlation of two batches of maps (0 where a map is constant)."""
    from scipy.stats import rankdata

    a = np.asarray(a, dtype=np.float64).reshape(len(a), -1)
    b = np.asarray(b, dtype=np.float64).reshape(len(b), -1)
    ra, rb = rankdata(a, axis=1), rankdata(b, axis=1)
    ra -= ra.mean(1, keepdims=True)
    rb -= rb.mean(1, keepdims=True)
    den = np.sqrt((ra ** 2).sum(1) * (rb ** 2).sum(1))
    return np.where(den > 0, (ra * rb).sum(1) / np.where(den > 0, den, 1.0), 0.0)


def _fresh_value(layer, var, seed: int) -> np.ndarray:
    """New random values for one weight, drawn from the layer's own initializer with a seed."""
    import keras

    init = getattr(layer, f"{var.name}_initializer", None)
    if init is None:
        init = keras.initializers.GlorotUniform()
    cfg = init.get_config()
    if "seed" in cfg:
        cfg["seed"] = seed
    return np.asarray(init.__class__.from_config(cfg)(tuple(var.shape), dtype=var.dtype))


def _reinitialise_top_down(model, seed: int):
    """Clone ``model`` and re-initialise its weighted layers from the top; yield ``(name, clone)`` after each."""
    import keras

    work = keras.models.clone_model(model)
    work.set_weights(model.get_weights())
    weighted = [layer for layer in work.layers if layer.weights]
    for depth, layer in enumerate(reversed(weighted)):
        for j, var in enumerate(layer.weights):
            var.assign(_fresh_value(layer, var, seed * 1000 + depth * 10 + j))
        yield layer.name, work


def randomized_copies(model, seed: int = 0):
    """Yield ``(layer_name, model)``: copies re-initialised cumulatively from the top layer down.

    The first copy has only the top layer with weights re-initialised, the
    last one every layer. Each stage is a fresh clone, so caches keyed on a
    model never see stale weights, and the caller's model is never modified.
    """
    import keras

    for name, work in _reinitialise_top_down(model, seed):
        stage = keras.models.clone_model(work)
        stage.set_weights(work.get_weights())
        yield name, stage


def randomized_model(model, seed: int = 0):
    """A copy of ``model`` with every layer re-initialised: the last stage of :func:`randomized_copies`.

    The same values as that cascade's final stage, in one clone instead of
    one per layer. The caller's model is never modified.
    """
    work = None
    for _, work in _reinitialise_top_down(model, seed):
        pass
    if work is None:
        raise ValueError(f"model {model.name!r} has no weights to re-initialise")
    return work


def randomization_cascade(model, images, class_index, method, seed: int = 0, method_kwargs: dict | None = None) -> dict:
    """Spearman correlation between trained and randomized maps, layer by layer from the top.

    Args:
      method: an attribution function ``f(model, images, class_index, **method_kwargs)``.
      seed: seed of the re-initialisation.

    Returns:
      ``{"layers": [...], "spearman": [mean per stage], "maps": [maps of one image per stage],
      "empty": [fraction of all-zero maps per stage]}``; stage 0 is the trained model.
    """
    import warnings

    kwargs = dict(method_kwargs or {})
    x = np.asarray(images, dtype=np.float32)
    cls = np.broadcast_to(np.asarray(class_index), (len(x),))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = method(model, x, cls, **kwargs)
        out = {"layers": ["trained"], "spearman": [1.0], "maps": [ref[0]], "empty": [float(np.mean(ref.max((1, 2)) <= 0))]}
        for name, rand in randomized_copies(model, seed):
            maps = method(rand, x, cls, **kwargs)
            out["layers"].append(name)
            out["spearman"].append(float(np.mean(spearman(ref, maps))))
            out["maps"].append(maps[0])
            out["empty"].append(float(np.mean(maps.max((1, 2)) <= 0)))
    return out


def two_object_image(images, masks, i: int, j: int):
    """Image ``i`` with object ``j`` pasted in, as far from object ``i`` as the image allows.

    Object ``i`` stays where it was drawn, on its own background; object ``j``
    is shifted (through its mask) to whichever quarter-point of the image lies
    farthest from object ``i`` and pasted over it: the "two objects, two
    classes" test of Grad-CAM. Returns ``(image, mask_i, mask_j)``.
    """
    x, m = np.asarray(images), np.asarray(masks, dtype=bool)
    h, w = m.shape[1:]
    ci = np.array(np.nonzero(m[i])).mean(1)
    spots = [np.array((r * h // 4, c * w // 4)) for r in (1, 3) for c in (1, 3)]
    target = max(spots, key=lambda p: float(np.hypot(*(p - ci))))
    dy, dx = (target - np.array(np.nonzero(m[j])).mean(1)).round().astype(int)
    b, mb = np.roll(x[j], (dy, dx), (0, 1)), np.roll(m[j], (dy, dx), (0, 1)) & ~m[i]
    img = np.where(mb[..., None], b, x[i])
    return img.astype(np.float32), m[i].copy(), mb


def two_object_pairs(images, labels, masks, pairs=None):
    """Two-object images, one per pair ``(i, j)``: image ``i`` with image ``j``'s object pasted in.

    By default the pairs are every ordered pair of classes ``(a, b)``,
    ``a != b``: the first image of class ``a`` gets the first object of class
    ``b`` (classes missing from ``labels`` are skipped). ``pairs``, a sequence
    of index pairs ``(i, j)`` of images of different classes, chooses them
    instead (:func:`helpers.faithfulness.two_object_images` gives every image
    a random partner). Each image is made by :func:`two_object_image`. Returns
    ``(images, class_a, class_b, mask_a, mask_b)``: ``[n, h, w, 3]``, ``[n]``,
    ``[n]``, ``[n, h, w]``, ``[n, h, w]``, where ``a`` is image ``i``'s class
    and ``b`` image ``j``'s.
    """
    labels = np.asarray(labels)
    if len(labels) != len(images) or len(labels) != len(masks):
        raise ValueError(f"images ({len(images)}), labels ({len(labels)}) and masks ({len(masks)}) "
                         "must have the same length")
    if pairs is None:
        first = {int(c): int(np.flatnonzero(labels == c)[0]) for c in np.unique(labels)}
        pairs = [(first[a], first[b]) for a in first for b in first if a != b]
    pairs = [(int(i), int(j)) for i, j in pairs]
    bad = [k for pair in pairs for k in pair if not 0 <= k < len(images)]
    if bad:
        raise IndexError(f"two_object_pairs: image index {bad[0]} out of range; there are {len(images)} images "
                         f"(0..{len(images) - 1})")
    if not pairs:
        raise ValueError("two_object_pairs needs images of at least two classes")
    if any(labels[i] == labels[j] for i, j in pairs):
        raise ValueError("two_object_pairs needs each pair's two images to be of different classes")
    rows = [(labels[i], labels[j], *two_object_image(images, masks, i, j)) for i, j in pairs]
    a, b, imgs, ma, mb = zip(*rows)
    return np.stack(imgs), np.array(a), np.array(b), np.stack(ma), np.stack(mb)
