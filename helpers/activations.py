"""Intermediate activations: feature maps, grids, sparsity and activation masks.

A convolutional layer with ``K`` filters turns an image into ``K`` feature
maps, one per filter: ``A[i, j, k]`` is how strongly filter ``k`` responds at
position ``(i, j)``. Looking at them layer by layer shows the "information
distillation pipeline": early maps are large and look like edge/colour
detectors; deeper maps are smaller, more numerous and sparser.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers import images as _images
from helpers.models import get_layer


def feature_model(model, layer_names: list[str] | str):
    """A Keras model mapping the input to the outputs of ``layer_names``.

    ``model`` may be a ModelSpec; layers inside a nested base model are
    reached by path (``"base/conv"``) or by their own name when unambiguous.
    Unknown names raise :class:`helpers.models.LayerNotFoundError` listing the
    valid ones. The original model is not modified (weights are shared).
    """
    import keras

    from helpers import _graph

    net = _graph.as_model(model)
    names = [layer_names] if isinstance(layer_names, str) else list(layer_names)
    if not names:
        raise ValueError("give at least one layer name")
    if not _graph.is_nested(net):
        outputs = [get_layer(net, n).output for n in names]
        inputs = net.inputs[0] if len(net.inputs) == 1 else net.inputs
        try:
            return keras.Model(inputs, outputs, name=f"{net.name}_features")
        except ValueError:  # layers shared with another model (e.g. spec.logits_model): rebuild instead
            pass
    return _graph.graph_model(net, names, head=None)


def _graph_as_model(model):
    from helpers import _graph

    return _graph.as_model(model)


def get_activations(model, batch, layer_names: list[str] | str, batch_size: int = 32) -> dict[str, np.ndarray]:
    """Activations of ``layer_names`` for an image or batch, as ``{name: array}``.

    The batch is validated (:func:`helpers.images.model_batch`): uint8 is
    converted with a warning; NaN, 0..255 floats and empty batches are refused.
    """
    from helpers._checks import positive_int

    names = [layer_names] if isinstance(layer_names, str) else list(layer_names)
    batch_size = positive_int("batch_size", batch_size)
    x = _images.model_batch(batch, model=_graph_as_model(model))
    fm = feature_model(model, names)
    chunks: list[list[np.ndarray]] = []
    for start in range(0, len(x), batch_size):
        out = fm(x[start:start + batch_size], training=False)
        out = out if isinstance(out, (list, tuple)) else [out]
        chunks.append([np.asarray(o) for o in out])
    return {n: np.concatenate([c[i] for c in chunks]) for i, n in enumerate(names)}


def _check_channels(n_channels: int, channels) -> list[int]:
    if channels is None:
        return list(range(n_channels))
    if isinstance(channels, range) or isinstance(channels, slice):
        channels = list(range(n_channels))[channels] if isinstance(channels, slice) else list(channels)
    chans = [int(c) for c in np.atleast_1d(channels)]
    bad = [c for c in chans if not 0 <= c < n_channels]
    if bad:
        raise IndexError(f"channel index {bad[0]} out of range: this layer has channels 0..{n_channels - 1}")
    return chans


def normalize_channel(fmap: np.ndarray) -> np.ndarray:
    """Display normalisation of one feature map: standardise, then map to [0, 1].

    Mean 0.5 and ±2 standard deviations span the range (the usual Keras
    recipe); a dead, constant map becomes uniformly black rather than NaN.
    """
    f = np.asarray(fmap, dtype=np.float32)
    std = f.std()
    if std < 1e-8:
        return np.zeros_like(f) if f.max() <= 0 else np.full_like(f, 0.5)
    return np.clip((f - f.mean()) / (4 * std) + 0.5, 0.0, 1.0)


@dataclass
class ActivationGrid:
    """A tiled picture of several feature maps, with the channel of each tile."""

    image: np.ndarray  # [rows * h + gaps, cols * w + gaps] in [0, 1]
    channels: list[int]
    cols: int
    tile: tuple[int, int]


def activation_grid(act: np.ndarray, channels=None, cols: int | None = None, gap: int = 1,
                    fill: float = 1.0, scale: str = "std") -> ActivationGrid:
    """Tile the feature maps of one image, each normalised on its own.

    Args:
      act: activations of one image ``[h, w, K]`` (or ``[1, h, w, K]``).
      channels: which channels to show (indices, a range or a slice); all by default.
      cols: tiles per row (default: about square).
      gap: pixels of background between tiles.
      fill: value of the gap pixels; ``np.nan`` lets a plot draw them in a colour
        outside the colour map (see :data:`helpers.plotting.HEATMAP_GAPS`).
      scale: ``"std"`` (:func:`normalize_channel`: the map's mean at 0.5, ±2 standard
        deviations span [0, 1], the Keras recipe) or ``"max"`` (each map divided by its
        own maximum: 0 stays 0, the strongest value is 1; an all-zero map is 0).
    """
    if scale not in ("std", "max"):
        raise ValueError(f"scale must be 'std' or 'max'; got {scale!r}")
    a = np.asarray(act)
    if a.ndim == 4:
        if a.shape[0] != 1:
            raise ValueError(f"activation_grid shows one image at a time; got a batch of {a.shape[0]}")
        a = a[0]
    if a.ndim != 3:
        raise ValueError(f"expected feature maps [h, w, channels]; got shape {a.shape} (is this a dense layer?)")
    chans = _check_channels(a.shape[-1], channels)
    n = len(chans)
    cols = cols or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    h, w = a.shape[:2]
    grid = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), fill, dtype=np.float32)
    for t, c in enumerate(chans):
        r, q = divmod(t, cols)
        f = a[..., c].astype(np.float32)
        tile = normalize_channel(f) if scale == "std" else np.clip(f, 0, None) / max(float(f.max()), 1e-12)
        grid[r * (h + gap):r * (h + gap) + h, q * (w + gap):q * (w + gap) + w] = tile
    return ActivationGrid(grid, chans, cols, (h, w))


def sparsity(act: np.ndarray) -> float:
    """Fraction of exactly-zero activations (after a ReLU most zeros are exact)."""
    return float(np.mean(np.asarray(act) <= 0.0))


def layer_statistics(model, batch, layer_names: list[str] | None = None) -> list[dict]:
    """Per layer: name, spatial size, channel count and fraction of zeros."""
    from helpers.models import conv_layer_names

    names = layer_names or conv_layer_names(model)  # inner layers of nested models included
    acts = get_activations(model, batch, names)
    return [
        {"layer": n, "height": a.shape[1], "width": a.shape[2], "channels": a.shape[-1], "zeros": sparsity(a)}
        for n, a in acts.items()
    ]


def activation_mask(image: np.ndarray, fmap: np.ndarray, floor: float = 0.15) -> np.ndarray:
    """Lay one feature map over its image as a mask: bright where the filter fires.

    The map is upsampled to the image size and scaled to [0, 1]; the image is
    multiplied by ``floor + (1 - floor) * map``, so silent regions are dimmed
    rather than hidden.
    """
    img = np.asarray(image, dtype=np.float32)
    if img.ndim != 3:
        raise ValueError(f"expected one image [h, w, 3]; got shape {img.shape}")
    m = np.maximum(np.asarray(fmap, dtype=np.float32), 0.0)
    m = _images.normalize_map(m)
    m = upsample(m, img.shape[:2])
    return img * (floor + (1.0 - floor) * m[..., None])


def upsample(fmap: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a 2-D map to ``size`` (no value clipping)."""
    import tensorflow as tf

    m = np.asarray(fmap, dtype=np.float32)
    if m.shape == tuple(size):
        return m
    return tf.image.resize(m[None, ..., None], size, method="bilinear").numpy()[0, ..., 0]


def top_channels(act: np.ndarray, k: int = 8) -> list[int]:
    """The ``k`` channels with the highest mean activation for one image."""
    a = np.asarray(act)
    a = a[0] if a.ndim == 4 else a
    return [int(c) for c in np.argsort(-a.mean(axis=(0, 1)))[:k]]


def class_channel_means(model, batch, labels, layer: str, n_classes: int | None = None) -> np.ndarray:
    """Mean activation of every channel of ``layer``, averaged per class: ``[classes, channels]``."""
    act = get_activations(model, batch, layer)[layer]
    if act.ndim != 4:
        raise ValueError(f"layer {layer!r} has no feature maps (output shape {act.shape})")
    per_image = act.mean(axis=(1, 2))
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != len(per_image):
        raise ValueError(f"got {labels.size} labels for {len(per_image)} images; give one label per image")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"labels must be class indices (ints); got dtype {labels.dtype}")
    n_classes = n_classes or int(labels.max()) + 1
    out = np.zeros((n_classes, per_image.shape[1]), dtype=np.float32)
    for c in range(n_classes):
        if np.any(labels == c):
            out[c] = per_image[labels == c].mean(0)
    return out


def most_active_channels(model, batch, layer: str, k: int = 16) -> list[int]:
    """The ``k`` channels of ``layer`` with the highest mean activation over a batch of real images.

    The mean runs over images and positions, :math:`\\bar A_c = \\mathrm{mean}_{n,i,j} A_{n,i,j,c}`.
    A better choice of filters to show than the first ``k``: it skips filters
    that hardly ever fire on the data.
    """
    act = get_activations(model, batch, layer)[layer]
    if act.ndim != 4:
        raise ValueError(f"layer {layer!r} has no feature maps (output shape {act.shape})")
    if not 1 <= int(k) <= act.shape[-1]:
        raise IndexError(f"k must be between 1 and the {act.shape[-1]} channels of {layer!r}; got {k}")
    return [int(c) for c in np.argsort(-act.mean(axis=(0, 1, 2)), kind="stable")[:int(k)]]


def kernel_images(kernel) -> np.ndarray:
    """First-layer kernels as RGB images: ``[kh, kw, 3, K]`` -> ``[K, kh, kw, 3]`` in [0, 1].

    All filters share one symmetric scale, :math:`0.5 + W / (2\\max|W|)`, so
    grey is a zero weight, brighter a positive one, and the filters can be
    compared with each other (the usual picture of AlexNet's first layer,
    Krizhevsky et al. 2012). Only kernels that read three colour channels
    can be drawn in colour.
    """
    w = np.asarray(kernel, dtype=np.float32)
    if w.ndim != 4 or w.shape[2] != 3:
        raise ValueError(f"expected a first-layer kernel [height, width, 3, filters]; got shape {w.shape}")
    top = float(np.abs(w).max())
    scaled = 0.5 + w / (2 * top) if top > 0 else np.full_like(w, 0.5)
    return np.transpose(scaled, (3, 0, 1, 2))
