"""Dataset examples: the real images that drive one unit hardest (Olah et al. 2017).

An optimized image (lesson 02) shows what a unit *would* respond to most; the
top real images show what it does respond to in data. For a unit ``k`` of a
layer with maps ``A[i, j, k]``, an image's score is its strongest response,
:math:`\\max_{i,j} A_{ij,k}`; the examples are the ``k`` images with the
highest scores, each with a crop centred on the position of its maximum.
Read before its ReLU (``pre_relu=True``), a unit also has *negative* examples:
the images with the most negative minimum, what the unit is most against.

The images are streamed: a generator of batches of any length is read once
and only the current best ``k`` images are kept, never activations of the
whole set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Examples:
    """Top (or most negative) images of one unit.

    Attributes:
      images: ``[k, H, W, 3]`` the images, best first.
      values: ``[k]`` each image's max (for negative examples: min) of the unit.
      indices: ``[k]`` positions of the images in the stream (0 = the first image read).
      positions: ``[k, 2]`` (row, column) in image pixels of the centre of the maximal cell.
      crops: ``[k, c, c, 3]`` the ``c`` x ``c`` window around each position (shifted inside the image).
      maps: ``[k, H, W]`` the unit's map upsampled to the image (bilinear).
    """

    images: np.ndarray
    values: np.ndarray
    indices: np.ndarray
    positions: np.ndarray
    crops: np.ndarray
    maps: np.ndarray


@dataclass
class DatasetExamples:
    """:func:`dataset_examples`' result: ``top`` examples, ``negative`` ones (``None`` unless pre-ReLU), and context."""

    layer: str
    unit: int
    top: Examples
    negative: Examples | None
    n_images: int
    pre_relu: bool


def unit_model(model, layer: str, pre_relu: bool = False):
    """A Keras model from the input to ``layer``'s output (before its ReLU with ``pre_relu``), sharing weights.

    ``pre_relu`` drops the ReLU fused into the layer (``Conv2D(..., activation="relu")``)
    or, for a ``ReLU``/``Activation("relu")`` layer, the layer itself; the caller's model is not changed.
    """
    import keras

    from helpers import _graph
    from helpers.activations import feature_model

    net = _graph.as_model(model)
    path = _graph.resolve(net, layer)
    if not pre_relu:
        return feature_model(net, [path])
    target = dict(_graph.walk(net))[path]
    act = _graph._act_name(getattr(target, "activation", None))
    is_relu_layer = isinstance(target, keras.layers.ReLU) or (isinstance(target, keras.layers.Activation)
                                                              and act == "relu")
    if not is_relu_layer and act != "relu":
        raise ValueError(f"layer {path!r} has no ReLU (its activation is {act or 'none'!r}): its output is already "
                         "the unit's raw value; call with pre_relu=False")

    def substitute(p, lay):
        if p != path:
            return None
        if is_relu_layer:
            return lambda x, *a, **k: x
        return _graph._swapped(lay, keras.activations.linear)

    inputs = keras.Input(tuple(net.inputs[0].shape[1:]), name="image")
    taps, errors = {}, {}
    _graph._replay(net, [inputs], "", taps, substitute, errors)
    if taps.get(path, _graph._MISSING) is _graph._MISSING:
        raise ValueError(f"layer {path!r} cannot be computed: {next(iter(errors.values()), 'unknown error')}")
    return keras.Model(inputs, taps[path], name=f"{net.name}_pre_relu")


def check_unit(n_units: int, unit, layer: str) -> int:
    """``unit`` as an int in ``0..n_units - 1``; otherwise an error stating the range."""
    if isinstance(unit, bool) or not isinstance(unit, (int, np.integer)):
        raise ValueError(f"unit must be a whole number in 0..{n_units - 1} ({layer} has {n_units} units); got {unit!r}")
    if not 0 <= int(unit) < n_units:
        raise ValueError(f"unit {unit} out of range: {layer} has units 0..{n_units - 1}")
    return int(unit)


def _batches(images_or_batches, batch_size: int, model):
    """Yield validated float32 batches from an array, a list of images/batches, or any iterable of batches."""
    from helpers import images as _images

    if isinstance(images_or_batches, np.ndarray) or hasattr(images_or_batches, "numpy"):
        arr = np.asarray(images_or_batches)
        arr = arr[None] if arr.ndim == 3 else arr
        for s in range(0, len(arr), batch_size):
            yield _images.model_batch(arr[s:s + batch_size], model=model)
        return
    if isinstance(images_or_batches, dict):  # spec.sample_images(): {name: (image, class)}
        images_or_batches = [v[0] if isinstance(v, tuple) else v for v in images_or_batches.values()]
    for item in images_or_batches:
        arr = np.asarray(item[0] if isinstance(item, tuple) else item)
        yield _images.model_batch(arr[None] if arr.ndim == 3 else arr, model=model)


def _crop(image: np.ndarray, pos, side: int) -> np.ndarray:
    h, w = image.shape[:2]
    side = min(side, h, w)
    top = int(np.clip(pos[0] - side // 2, 0, h - side))
    left = int(np.clip(pos[1] - side // 2, 0, w - side))
    return image[top:top + side, left:left + side].copy()


class _Best:
    """The ``k`` largest scores seen so far, with their images, maps and argmax cells."""

    def __init__(self, k: int):
        self.k, self.score, self.index, self.cell, self.images, self.maps = k, None, None, None, None, None

    def add(self, score, index, cell, images, maps):
        if self.score is not None:
            score, index = np.concatenate([self.score, score]), np.concatenate([self.index, index])
            cell, images = np.concatenate([self.cell, cell]), np.concatenate([self.images, images])
            maps = np.concatenate([self.maps, maps])
        keep = np.argsort(-score, kind="stable")[:self.k]
        self.score, self.index, self.cell = score[keep], index[keep], cell[keep]
        self.images, self.maps = images[keep].copy(), maps[keep].copy()


def _examples(best: _Best, sign: float, crop: int) -> Examples:
    import tensorflow as tf

    h, w = best.images.shape[1:3]
    fh, fw = best.maps.shape[1:3]
    rows = ((best.cell[:, 0] + 0.5) * h / fh).astype(int)
    cols = ((best.cell[:, 1] + 0.5) * w / fw).astype(int)
    pos = np.stack([rows, cols], 1)
    up = tf.image.resize(best.maps[..., None], (h, w), method="bilinear").numpy()[..., 0]
    return Examples(best.images, sign * best.score, best.index, pos,
                    np.stack([_crop(im, p, crop) for im, p in zip(best.images, pos)]), up)


def dataset_examples(model, layer: str, unit: int, images_or_batches, k: int = 8, crop: int | None = None,
                     pre_relu: bool = False, batch_size: int = 64, progress: bool = False) -> DatasetExamples:
    """The ``k`` images (of a stream) on which a unit's strongest response is highest, with crops around it.

    Args:
      model: a Keras model or ModelSpec (nested models: layers by path, e.g. ``"base/conv"``).
      layer: a layer with a feature map ``[batch, h, w, channels]``.
      unit: the channel, in ``0..channels - 1``.
      images_or_batches: an array ``[N, H, W, 3]`` (read ``batch_size`` at a time), a list of images or
        batches, ``spec.sample_images()``, or any iterable (a generator) of batches: read once, never stored.
      k: how many examples (fewer if the stream is shorter).
      crop: side of the crop around each maximum (default: half the image side).
      pre_relu: read the unit before its ReLU and also return the ``k`` most negative examples.
      batch_size: batch size when an array is given.
      progress: show a progress bar (batches read).
    """
    import tensorflow as tf

    from helpers import _graph
    from helpers._checks import positive_int
    from helpers.config import progress_bar

    k, batch_size = positive_int("k", k), positive_int("batch_size", batch_size)
    net = _graph.as_model(model)
    path = _graph.feature_map_layer(net, layer, "dataset examples")
    n_units = int(dict(_graph.walk(net))[path].output.shape[-1])
    unit = check_unit(n_units, unit, path)
    fm = unit_model(net, path, pre_relu)
    forward = tf.function(lambda x: fm(x, training=False)[..., unit], reduce_retracing=True)
    top, neg, seen = _Best(k), _Best(k) if pre_relu else None, 0
    bar = progress_bar(None, "dataset examples (batches)", True) if progress else None
    for x in _batches(images_or_batches, batch_size, net):
        maps = np.asarray(forward(tf.constant(x)))
        flat = maps.reshape(len(x), -1)
        index = np.arange(seen, seen + len(x))
        for best, sign in ((top, 1.0), (neg, -1.0)):
            if best is None:
                continue
            arg = np.argmax(sign * flat, axis=1)
            cell = np.stack(np.unravel_index(arg, maps.shape[1:]), 1)
            best.add(sign * flat[np.arange(len(x)), arg], index, cell, x, maps)
        seen += len(x)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    if seen == 0:
        raise ValueError("images_or_batches gave no images")
    side = int(crop) if crop is not None else max(1, int(top.images.shape[1]) // 2)
    return DatasetExamples(path, unit, _examples(top, 1.0, side), _examples(neg, -1.0, side) if neg else None,
                           seen, bool(pre_relu))


def examples_figure(ex: DatasetExamples, optimized=None, cutoff: float | None = None, title: str | None = None,
                    negative: bool = False, cell: float = 1.9):
    """Top images of a unit (row 1) and the crops around their maxima (row 2), optimized image first.

    ``cutoff``: outline, on each image, where the unit's upsampled map exceeds it (cyan; a
    dissection's ``cutoffs[unit]``, the unit's top-0.5 % level). ``negative``: show the most
    negative examples instead (pre-ReLU only). Titles give each image's max (or min) of the unit.
    """
    from helpers import plotting

    rows = ex.negative if negative else ex.top
    if rows is None:
        raise ValueError("no negative examples: call dataset_examples(..., pre_relu=True)")
    k = len(rows.images)
    lead = [] if optimized is None else [np.asarray(optimized)]
    blank = [] if optimized is None else [np.ones_like(rows.crops[0])]
    word = "min" if negative else "max"
    titles = (["optimized"] if lead else []) + [f"{word} {v:.2f}" for v in rows.values]
    titles += ([""] if lead else []) + ["crop"] * k
    cols = k + len(lead)
    fig = plotting.image_grid(lead + list(rows.images) + blank + list(rows.crops), titles, cols=cols, cell=cell,
                              suptitle=title)
    if blank:
        fig.axes[cols].set_visible(False)
    if cutoff is not None and not negative:
        for i in range(k):
            if (rows.maps[i] > cutoff).any():
                fig.axes[len(lead) + i].contour(rows.maps[i] > cutoff, [0.5], colors=["cyan"], linewidths=3.0)
    return fig
