"""Class activation maps beyond Grad-CAM: CAM, Layer-CAM and Score-CAM.

Same call shape as :mod:`helpers.attribution`: a Keras model, an image or
batch ``[n, h, w, 3]``, a class per image (int, list or ``"auto"``) and an
optional ``layer``; the result is ``[n, h, w]`` maps at input resolution,
each scaled to [0, 1] (all-zero maps stay zero, with a warning). Scores are
pre-softmax logits (:func:`helpers.models.without_softmax`); the caller's
model is never changed.

* :func:`cam`: Zhou et al. 2016, *Learning Deep Features for Discriminative
  Localization*. For a network that ends conv :math:`\\to` global average
  pooling :math:`\\to` dense, the logit is
  :math:`z_c = \\sum_k w_{kc} \\frac{1}{HW}\\sum_{ij} A_{ijk} + b_c
  = \\frac{1}{HW}\\sum_{ij} M^c_{ij} + b_c` with
  :math:`M^c = \\sum_k w_{kc} A_k`: the map *is* the logit, spread over
  space, with no gradient and no approximation. Any other architecture
  raises :class:`CamNotApplicable` saying why.
* :func:`layer_cam`: Jiang et al. 2021, *LayerCAM*:
  :math:`M = \\mathrm{ReLU}(\\sum_k \\mathrm{ReLU}(\\partial z_c/\\partial A_{ijk})\\, A_{ijk})`,
  a per-pixel weight instead of Grad-CAM's per-channel average.
* :func:`score_cam`: Wang et al. 2020, *Score-CAM*: each channel's upsampled,
  min-max normalised map :math:`H_k` masks the input; its score gain over a
  black baseline :math:`x_b`, :math:`s_k = z_c(x \\odot H_k) - z_c(x_b)`, is
  turned into weights by a softmax over channels,
  :math:`\\alpha_k = e^{s_k} / \\sum_{k'} e^{s_{k'}}`, and
  :math:`M = \\mathrm{ReLU}(\\sum_k \\alpha_k A_k)` (the paper's Algorithm 1).
  No gradient at all. The paper scores with the softmax probability;
  ``score="probability"`` does that, the default uses the logit.
"""

from __future__ import annotations

import numpy as np

from helpers._gradients import CHUNK, _cached, _chunked, _finish, _prepare
from helpers.models import as_model, get_layer, graph_model


class CamNotApplicable(ValueError):
    """CAM needs conv -> global average pooling -> dense logits; this model is built otherwise."""


def _producer(tensor):
    """The layer that produced a Keras symbolic tensor."""
    return tensor._keras_history.operation


def cam_layers(model) -> tuple[str, str]:
    """``(feature layer, dense layer)`` of a conv -> GAP -> dense model, or :class:`CamNotApplicable`.

    The model is read through :func:`helpers.models.without_softmax`, so a
    final softmax (separate or fused into the dense layer) is allowed.
    """
    import keras

    from helpers._gradients import _logits

    logits = _logits(model)
    dense = _producer(logits.outputs[0])
    swapped = hasattr(dense, "inner")  # a fused softmax/sigmoid run as linear (helpers._graph), own weights
    layer = dense.inner if swapped else dense
    why = "CAM is exact only for conv -> GlobalAveragePooling2D -> Dense logits (Zhou et al. 2016); "
    if not isinstance(layer, keras.layers.Dense):
        raise CamNotApplicable(why + f"this model's logits come from {dense.name!r} ({type(dense).__name__}), "
                               "not a Dense layer. Use grad_cam, which works for any CNN.")
    if not swapped and getattr(dense, "activation", None) not in (None, keras.activations.linear):
        raise CamNotApplicable(why + f"the dense layer {dense.name!r} has a non-linear activation.")
    gap = _producer(dense.input)
    if not isinstance(gap, keras.layers.GlobalAveragePooling2D):
        raise CamNotApplicable(why + f"the dense layer {dense.name!r} is fed by {gap.name!r} "
                               f"({type(gap).__name__}), not by global average pooling, so its weights do not "
                               "map onto positions. Use grad_cam, which works for any CNN.")
    return _producer(gap.input).name, layer.name


def _upsampled(coarse, size):
    from helpers.activations import upsample

    if coarse.shape[1:] == tuple(size):
        return coarse
    return np.stack([upsample(c, size) for c in coarse])


def cam_coarse(model, images, class_index="auto") -> np.ndarray:
    """The raw CAM :math:`M^c = \\sum_k w_{kc} A_k` at the feature maps' resolution, signed, unscaled.

    Its spatial mean plus the dense bias :math:`b_c` is exactly the logit :math:`z_c`.
    """
    from helpers.activations import get_activations

    x, cls, logits = _prepare(model, images, class_index)
    feat, dense = cam_layers(model)
    kernel = np.asarray(get_layer(as_model(model), dense).kernel)    # [K, classes]
    acts = get_activations(model, x, [feat], batch_size=CHUNK)[feat]  # [n, h', w', K]
    return np.einsum("nijk,kn->nij", acts, kernel[:, cls]).astype(np.float32)


def cam(model, images, class_index="auto", layer: str | None = None) -> np.ndarray:
    """Class activation maps (Zhou et al. 2016): positive part of :func:`cam_coarse`, upsampled, scaled.

    Args:
      layer: accepted for the same call shape as Grad-CAM; it must be the
        layer that feeds the global average pooling (the only one CAM is
        defined for), or ``None``.
    """
    feat, _ = cam_layers(model)
    if layer is not None and layer != feat:
        raise CamNotApplicable(f"CAM is defined only for {feat!r}, the layer feeding global average pooling; "
                               f"got layer={layer!r}. Use grad_cam or layer_cam for other layers.")
    x = np.asarray(images, dtype=np.float32)
    size = x.shape[-3:-1]
    return _finish(_upsampled(cam_coarse(model, images, class_index), size), "cam")


def _acts_grads_fn(model, layer_name: str):
    """Compiled ``(x, cls) -> (A, dz_c/dA)`` for one layer, against the pre-softmax scores."""
    import tensorflow as tf

    two = graph_model(model, [layer_name], head="logits")  # shares the weights; works inside nested bases

    @tf.function(reduce_retracing=True)
    def fn(x, cls):
        with tf.GradientTape() as tape:
            acts, z = two(x, training=False)
            score = tf.gather(z, cls, batch_dims=1)
        return acts, tape.gradient(score, acts)

    return fn


def _layer(logits, layer, method: str = "Layer-CAM"):
    from helpers.attribution import default_cam_layer

    from helpers._graph import feature_map_layer

    return feature_map_layer(logits, layer or default_cam_layer(logits), method)


def layer_cam(model, images, class_index="auto", layer: str | None = None) -> np.ndarray:
    """Layer-CAM maps (Jiang et al. 2021): positive gradients weight each position of each channel.

    Args:
      layer: the feature-map layer; default the last convolutional one, as Grad-CAM.
    """
    x, cls, logits = _prepare(model, images, class_index)
    name = _layer(model, layer)
    fn = _cached(as_model(model), ("cams_acts_grads", name), lambda: _acts_grads_fn(model, name))
    acts, grads = _chunked(fn, x, cls)
    coarse = np.maximum((np.maximum(grads, 0.0) * acts).sum(-1), 0.0)
    return _finish(_upsampled(coarse, x.shape[1:3]), "layer_cam")


def score_cam(model, images, class_index="auto", layer: str | None = None, score: str = "logit",
              progress: bool | None = None, max_channels: int | None = None) -> np.ndarray:
    """Score-CAM maps (Wang et al. 2020): each channel is weighted by the score of the input it reveals.

    Costs one forward pass per channel per image (64 for the shapes CNN's
    last layer, 512 for VGG16's), batched; ``max_channels`` caps that.

    Args:
      layer: the feature-map layer; default the last convolutional one.
      score: ``"logit"`` (the course's convention) or ``"probability"`` (the paper's).
      progress: show a progress bar (default: when there are several images).
      max_channels: if set, score only this many channels per image, those
        with the largest mean activation; the softmax and the sum then run
        over them alone (the other channels get weight 0). ``None``: all.
    """
    from helpers.activations import get_activations
    from helpers.attribution import _bar
    from helpers.perturbation import class_scores

    if score not in ("logit", "probability"):
        raise ValueError(f"score must be 'logit' or 'probability'; got {score!r}")
    if max_channels is not None and (isinstance(max_channels, bool) or int(max_channels) != max_channels
                                     or max_channels < 1):
        raise ValueError(f"max_channels must be a positive integer or None; got {max_channels!r}")
    x, cls, logits = _prepare(model, images, class_index)
    name = _layer(model, layer, "Score-CAM")
    acts = get_activations(model, x, [name], batch_size=CHUNK)[name]     # [n, h', w', K]
    base = class_scores(model, np.zeros_like(x[:1]).repeat(len(x), 0), cls, score=score)
    out = np.zeros(acts.shape[:3], dtype=np.float32)
    with _bar(len(x), "Score-CAM", progress if progress is not None else len(x) > 1) as bar:
        for i in range(len(x)):
            a = np.moveaxis(acts[i], -1, 0)                                 # [K, h', w']
            if max_channels is not None and len(a) > max_channels:         # top channels by mean activation
                a = a[np.sort(np.argsort(-a.mean(axis=(1, 2)), kind="stable")[:int(max_channels)])]
            h = _upsampled(a, x.shape[1:3])
            lo, hi = h.min(axis=(1, 2), keepdims=True), h.max(axis=(1, 2), keepdims=True)
            h = np.where(hi > lo, (h - lo) / np.where(hi > lo, hi - lo, 1.0), 0.0).astype(np.float32)
            gain = class_scores(model, x[i][None] * h[..., None], cls[i], score=score) - base[i]
            alpha = np.exp(gain - gain.max())
            out[i] = np.maximum(np.einsum("kij,k->ij", a, alpha / alpha.sum()), 0.0)
            bar.update(1)
    return _finish(_upsampled(out, x.shape[1:3]), "score_cam")


#: name -> function, in the order the lessons use them; all take ``layer=``.
CAMS = {"cam": cam, "layer_cam": layer_cam, "score_cam": score_cam}
