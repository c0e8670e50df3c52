"""The class-activation-map family: Grad-CAM, Grad-CAM++, guided Grad-CAM, CAM, Layer-CAM, Score-CAM.

Same call shape as every method of :mod:`helpers.attribution`: a Keras
model, an image or batch ``[n, h, w, 3]``, a class per image (int, list or
``"auto"``) and an optional ``layer`` (default: the last convolutional
feature maps, :func:`default_cam_layer`); the result is ``[n, h, w]`` maps
at input resolution (bilinear upsampling), each scaled to [0, 1] (all-zero
maps stay zero, with a warning). Scores are pre-softmax logits
(:func:`helpers.models.without_softmax`); the caller's model is never changed.
The gradient methods share one compiled function,
:func:`helpers.attribution.core.layer_function`, that gives
:math:`A` and :math:`\\partial z_c / \\partial A` at the layer; each
method's own formula is the small function next to it.

* :func:`grad_cam`: :math:`\\alpha_k^c = \\frac{1}{|A_k|}\\sum_{i,j}
  \\partial z_c / \\partial A_{ijk}`, :math:`S = \\mathrm{ReLU}(\\sum_k
  \\alpha_k^c A_k)` (Selvaraju et al. 2017, *Grad-CAM*).
* :func:`grad_cam_plus_plus`: pixel-weighted :math:`\\alpha` (Chattopadhay et
  al. 2018, *Grad-CAM++*).
* :func:`guided_grad_cam`: guided backprop times the upsampled Grad-CAM map.
* :func:`hirescam`: :math:`S = \\mathrm{ReLU}(\\sum_k \\partial z_c / \\partial A_k
  \\odot A_k)`, Grad-CAM without the average over positions (Draelos & Carin
  2020, *Use HiResCAM instead of Grad-CAM for faithful explanations*); the
  same map as Grad-CAM when the gradient is the same at every position.
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
  ``score="probability"`` does that, the default uses the logit. It costs one
  forward pass per channel per image, so by default only the channels of
  largest mean activation that a fixed budget pays for are scored
  (:func:`score_cam_channels`: all 64 on the shapes CNN, 8 on VGG16)
  (as tf-keras-vis's ``max_N``, "Faster Score-CAM", which ranks by spatial
  standard deviation instead); ``max_channels=None`` scores them all.
"""

from __future__ import annotations

import numpy as np

from helpers._graph import as_model, feature_map_layer, get_layer, resolve
from helpers.attribution.core import (
    CHUNK,
    chunked,
    finish,
    layer_function,
    logits_model,
    prepare,
    progress_bar,
    upsampled,
)
from helpers.models import last_conv_layer


def default_cam_layer(model) -> str:
    """The layer the CAM family explains by default: :func:`helpers.models.last_conv_layer`."""
    return last_conv_layer(as_model(model))


def _coarse(model, images, class_index, layer, formula, method: str):
    """``(coarse maps [n, h', w'] from formula(A, dz_c/dA) at the layer, input size)``."""
    x, cls, _ = prepare(model, images, class_index)
    net = as_model(model)
    name = feature_map_layer(net, layer or default_cam_layer(net), method)
    return chunked(layer_function(net, name, formula), x, cls)[0], x.shape[1:3]


def _relu_weighted_sum(acts, alpha):
    """The CAM family's map from channel weights: :math:`\\mathrm{ReLU}(\\sum_k \\alpha_k A_k)`."""
    import tensorflow as tf

    return tf.nn.relu(tf.einsum("nijk,nk->nij", acts, alpha))


def _grad_cam_formula(acts, grads):
    """Selvaraju et al. eq. 1-2: :math:`\\alpha_k^c` = global-average-pooled gradients."""
    import tensorflow as tf

    return _relu_weighted_sum(acts, tf.reduce_mean(grads, axis=(1, 2)))


def _grad_cam_channels_formula(acts, grads):
    """The variant :math:`\\sum_k \\mathrm{ReLU}(\\alpha_k A_k)`: only channels with positive weight count."""
    import tensorflow as tf

    alpha = tf.reduce_mean(grads, axis=(1, 2))
    return tf.reduce_sum(tf.nn.relu(acts * alpha[:, None, None, :]), axis=-1)


def _grad_cam_plus_plus_formula(acts, grads):
    """Chattopadhay et al. eq. 19 with the exponential score: powers of the first derivative."""
    import tensorflow as tf

    g2, g3 = grads ** 2, grads ** 3
    denom = 2.0 * g2 + tf.reduce_sum(acts, axis=(1, 2), keepdims=True) * g3
    a = tf.math.divide_no_nan(g2, denom)
    return _relu_weighted_sum(acts, tf.reduce_sum(a * tf.nn.relu(grads), axis=(1, 2)))


def grad_cam(model, images, class_index="auto", layer: str | None = None, relu: str = "sum"):
    """Grad-CAM maps at input resolution (bilinear upsampling of the layer's map).

    Args:
      layer: the feature-map layer to explain; default: the last
        convolutional feature maps (:func:`default_cam_layer`).
      relu: ``"sum"`` for the paper's :math:`\\mathrm{ReLU}(\\sum_k \\alpha_k A_k)`;
        ``"channels"`` for :math:`\\sum_k \\mathrm{ReLU}(\\alpha_k A_k)`,
        which keeps only the channels with positive weight.
    """
    if relu not in ("sum", "channels"):
        raise ValueError(f"relu must be 'sum' (Selvaraju et al.) or 'channels' (ReLU per channel); got {relu!r}")
    formula = _grad_cam_formula if relu == "sum" else _grad_cam_channels_formula
    return finish(upsampled(*_coarse(model, images, class_index, layer, formula, "Grad-CAM")), "grad_cam")


def grad_cam_plus_plus(model, images, class_index="auto", layer: str | None = None):
    """Grad-CAM++ maps: like :func:`grad_cam` with pixel-wise weighted gradients."""
    coarse, size = _coarse(model, images, class_index, layer, _grad_cam_plus_plus_formula, "Grad-CAM++")
    return finish(upsampled(coarse, size), "grad_cam_plus_plus")


def _hirescam_formula(acts, grads):
    """Draelos & Carin eq. 5: each position keeps its own gradient, :math:`\\sum_k G_k \\odot A_k`."""
    import tensorflow as tf

    return tf.nn.relu(tf.reduce_sum(grads * acts, axis=-1))


def hirescam(model, images, class_index="auto", layer: str | None = None):
    """HiResCAM maps: the gradient times the activation at every position, summed over channels.

    Grad-CAM averages the gradient over positions first, which can move the
    map away from what raised the score; HiResCAM's map summed over positions
    is the gradient's first-order account of the logit (Draelos & Carin 2020).
    """
    coarse, size = _coarse(model, images, class_index, layer, _hirescam_formula, "HiResCAM")
    return finish(upsampled(coarse, size), "hirescam")


def guided_grad_cam(model, images, class_index="auto", layer: str | None = None):
    """Guided Grad-CAM: guided-backprop map times the (upsampled) Grad-CAM map."""
    import warnings

    from helpers.attribution.gradients import guided_backprop

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cam = grad_cam(model, images, class_index, layer)
        gb = guided_backprop(model, images, class_index)
    return finish(gb * cam, "guided_grad_cam")


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

    logits = logits_model(model)
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
    return _feature_path(model, _producer(gap.input)), layer.name


def _feature_path(model, layer) -> str:
    """The path of the layer whose output feeds the pooling, inside a nested base model if that is what feeds it."""
    from helpers._graph import _is_model, walk

    while _is_model(layer):  # a base model as one layer: its own last layer makes the feature maps
        layer = _producer(layer.outputs[0])
    return next((path for path, own in walk(as_model(model)) if own is layer), layer.name)


def cam_coarse(model, images, class_index="auto") -> np.ndarray:
    """The raw CAM :math:`M^c = \\sum_k w_{kc} A_k` at the feature maps' resolution, signed, unscaled.

    Its spatial mean plus the dense bias :math:`b_c` is exactly the logit :math:`z_c`.
    """
    from helpers.activations import get_activations

    x, cls, logits = prepare(model, images, class_index)
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
    if layer is not None and resolve(model, layer) != feat:
        raise CamNotApplicable(f"CAM is defined only for {feat!r}, the layer feeding global average pooling; "
                               f"got layer={layer!r}. Use grad_cam or layer_cam for other layers.")
    x = np.asarray(images, dtype=np.float32)
    size = x.shape[-3:-1]
    return finish(upsampled(cam_coarse(model, images, class_index), size), "cam")


def _layer(model, layer, method: str) -> str:
    net = as_model(model)
    return feature_map_layer(net, layer or default_cam_layer(net), method)


def layer_cam(model, images, class_index="auto", layer: str | None = None) -> np.ndarray:
    """Layer-CAM maps (Jiang et al. 2021): positive gradients weight each position of each channel.

    Args:
      layer: the feature-map layer; default the last convolutional one, as Grad-CAM.
    """
    x, cls, logits = prepare(model, images, class_index)
    acts, grads = chunked(layer_function(model, _layer(model, layer, "Layer-CAM")), x, cls)
    coarse = np.maximum((np.maximum(grads, 0.0) * acts).sum(-1), 0.0)
    return finish(upsampled(coarse, x.shape[1:3]), "layer_cam")


#: Score-CAM's largest channel count: the shapes CNN's last convolutional
#: layer has exactly 64 channels, so its maps are the uncapped ones.
SCORE_CAM_CHANNELS = 64
#: Score-CAM's default budget, in multiply-adds of masked forward passes per
#: image: eight passes of VGG16 (15.5 G each), a few seconds on a laptop CPU.
SCORE_CAM_BUDGET = 1.25e11
#: The fewest channels the default ever scores.
SCORE_CAM_MIN_CHANNELS = 8


def score_cam_channels(model, channels: int) -> int:
    """How many channels :func:`score_cam` scores by default (``max_channels="auto"``).

    As many as :data:`SCORE_CAM_BUDGET` pays for (one forward pass each,
    counted by :func:`helpers._graph.forward_macs`), at least
    :data:`SCORE_CAM_MIN_CHANNELS` and at most :data:`SCORE_CAM_CHANNELS`,
    never more than the layer has. The shapes CNN: all 64; VGG16: 8;
    ResNet50: 32; InceptionV3: 21. A model built for any image size (its
    cost unknown) gets :data:`SCORE_CAM_CHANNELS`. Deterministic: the same
    model always gets the same cap, on any machine.
    """
    from helpers._graph import forward_macs

    macs = forward_macs(model)
    cap = SCORE_CAM_CHANNELS if not macs else int(SCORE_CAM_BUDGET // macs)
    return int(min(channels, SCORE_CAM_CHANNELS, max(SCORE_CAM_MIN_CHANNELS, cap)))


def score_cam(model, images, class_index="auto", layer: str | None = None, score: str = "logit",
              progress: bool | None = None, max_channels: int | str | None = "auto") -> np.ndarray:
    """Score-CAM maps (Wang et al. 2020): each channel is weighted by the score of the input it reveals.

    Costs one forward pass per scored channel per image, batched: the
    shapes CNN's last layer has 64 channels, VGG16's 512; ``max_channels``
    caps that (default ``"auto"``: :func:`score_cam_channels`, all 64 on the
    shapes CNN, 8 on VGG16).

    Args:
      layer: the feature-map layer; default the last convolutional one.
      score: ``"logit"`` (the course's convention) or ``"probability"`` (the paper's).
      progress: show a progress bar (default: when there are several images).
      max_channels: score only this many channels per image, those with the
        largest mean activation; the softmax and the sum then run over them
        alone (the other channels get weight 0). A layer with at most this
        many channels gives exactly the uncapped map. ``None``: all channels;
        ``"auto"``: as many as a fixed compute budget pays for.
    """
    from helpers.activations import get_activations
    from helpers.attribution.perturbation import class_scores

    if score not in ("logit", "probability"):
        raise ValueError(f"score must be 'logit' or 'probability'; got {score!r}")
    if max_channels is not None and max_channels != "auto" and (
            isinstance(max_channels, (bool, str)) or int(max_channels) != max_channels or max_channels < 1):
        raise ValueError(f"max_channels must be a positive integer, 'auto' or None; got {max_channels!r}")
    x, cls, logits = prepare(model, images, class_index)
    name = _layer(model, layer, "Score-CAM")
    acts = get_activations(model, x, [name], batch_size=CHUNK)[name]     # [n, h', w', K]
    if max_channels == "auto":
        max_channels = score_cam_channels(as_model(model), acts.shape[-1])
    base = class_scores(model, np.zeros_like(x[:1]).repeat(len(x), 0), cls, score=score)
    out = np.zeros(acts.shape[:3], dtype=np.float32)
    with progress_bar(len(x), "Score-CAM", progress) as bar:
        for i in range(len(x)):
            a = np.moveaxis(acts[i], -1, 0)                                 # [K, h', w']
            if max_channels is not None and len(a) > max_channels:         # top channels by mean activation
                a = a[np.sort(np.argsort(-a.mean(axis=(1, 2)), kind="stable")[:int(max_channels)])]
            h = upsampled(a, x.shape[1:3])
            lo, hi = h.min(axis=(1, 2), keepdims=True), h.max(axis=(1, 2), keepdims=True)
            h = np.where(hi > lo, (h - lo) / np.where(hi > lo, hi - lo, 1.0), 0.0).astype(np.float32)
            gain = class_scores(model, x[i][None] * h[..., None], cls[i], score=score) - base[i]
            alpha = np.exp(gain - gain.max())
            out[i] = np.maximum(np.einsum("kij,k->ij", a, alpha / alpha.sum()), 0.0)
            bar.update(1)
    return finish(upsampled(out, x.shape[1:3]), "score_cam")

