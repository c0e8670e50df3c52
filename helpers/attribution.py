"""Where does the network look? Gradient attribution maps for a batch of images.

Every method takes a Keras model (or a ModelSpec), an image or batch ``[n, h, w, 3]`` and a
class per image (an int, a list of ints, or ``"auto"`` for the predicted
class) and returns maps ``[n, h, w]`` at input resolution, each scaled to
[0, 1]. The score explained is the class **logit** :math:`z_c`, never the
softmax probability (a final softmax is skipped with
:func:`helpers.models.without_softmax`); the caller's model is never changed.

* :func:`saliency`: :math:`M = \\max_{ch} |\\partial z_c / \\partial x|`
  (Simonyan, Vedaldi & Zisserman 2013, *Deep Inside Convolutional Networks*).
* :func:`smoothgrad`: the average of :math:`M(x + \\epsilon)` over noisy
  copies, :math:`\\epsilon \\sim N(0, (\\sigma (x_{max} - x_{min}))^2)`
  (Smilkov et al. 2017, *SmoothGrad*).
* :func:`integrated_gradients`: :math:`(x - x') \\cdot \\int_0^1
  \\partial z_c(x' + \\alpha (x - x')) / \\partial x \\, d\\alpha` (Sundararajan,
  Taly & Yan 2017, *Axiomatic Attribution for Deep Networks*).
* :func:`guided_backprop`: gradients through guided ReLUs (Springenberg et al.
  2014), see :mod:`helpers.guided`.
* :func:`grad_cam`: :math:`\\alpha_k^c = \\frac{1}{|A_k|}\\sum_{i,j}
  \\partial z_c / \\partial A_{ijk}`, :math:`S = \\mathrm{ReLU}(\\sum_k
  \\alpha_k^c A_k)` (Selvaraju et al. 2017, *Grad-CAM*).
* :func:`grad_cam_plus_plus`: pixel-weighted :math:`\\alpha` (Chattopadhay et
  al. 2018, *Grad-CAM++*).
* :func:`guided_grad_cam`: guided backprop times the upsampled Grad-CAM map.

A map that is zero everywhere (e.g. Grad-CAM of a dead layer) stays all
zeros, never NaN, and a warning says how many there are; see
:func:`empty_maps`.
"""

from __future__ import annotations

import warnings

import numpy as np

from helpers import config
from helpers._gradients import (  # noqa: F401  (input_gradients, empty_maps, CHUNK are public here)
    CHUNK,
    _cached,
    _chunked,
    _finish,
    _grads_and_scores,
    _logits,
    _prepare,
    empty_maps,
    input_gradients,
)
from helpers._checks import finite_float, positive_int
from helpers._graph import as_model, feature_map_layer, graph_model
from helpers.models import last_conv_layer


def saliency(model, images, class_index="auto"):
    """Vanilla gradient saliency: the largest absolute input gradient over colour channels."""
    return _finish(np.abs(input_gradients(model, images, class_index)).max(-1), "saliency")


def _bar(total: int, desc: str, progress: bool | None):
    """A tqdm bar over ``total`` chunks; ``progress=None`` shows it only when there is more than one."""
    show = total > 1 if progress is None else bool(progress)
    return config.progress_bar(total, desc, show)


def smoothgrad(model, images, class_index="auto", samples: int = 25, noise: float = 0.15, seed: int = 0,
               progress: bool | None = None):
    """SmoothGrad: average the saliency of ``samples`` noisy copies of each image.

    Args:
      samples: noisy copies per image (capped in fast mode by ``config.samples``).
      noise: noise standard deviation relative to each image's value range
        (Smilkov et al. found 10-20 % works best).
      seed: seed of the noise.
      progress: show a progress bar (default: when the work takes several compiled calls).
    """
    samples = positive_int("samples", samples)
    noise = finite_float("noise", noise, minimum=0.0)
    x, cls, _ = _prepare(model, images, class_index)
    k = max(1, config.samples(samples))
    r = config.rng(seed)
    span = (x.max(axis=(1, 2, 3)) - x.min(axis=(1, 2, 3))).reshape(-1, 1, 1, 1, 1)
    total = np.zeros(x.shape[:3], dtype=np.float32)
    per = max(1, CHUNK // k)
    with _bar(-(-len(x) // per), "SmoothGrad", progress) as bar:
        for i in range(0, len(x), per):
            xb = x[i:i + per]
            noisy = xb[:, None] + r.normal(size=(len(xb), k, *x.shape[1:])).astype(np.float32) * noise * span[i:i + per]
            g = input_gradients(model, noisy.reshape(-1, *x.shape[1:]), np.repeat(cls[i:i + per], k), checked=False)
            total[i:i + per] = np.abs(g).max(-1).reshape(len(xb), k, *x.shape[1:3]).mean(1)
            bar.update(1)
    return _finish(total, "smoothgrad")


def _blurred(x, sigma: float):
    """Each image blurred by a Gaussian of std ``sigma`` pixels (reflected borders)."""
    from helpers.transforms import gaussian_kernel

    g = gaussian_kernel(sigma)
    r = len(g) // 2
    out = np.pad(x, ((0, 0), (r, r), (r, r), (0, 0)), mode="reflect")
    out = sum(g[i] * out[:, i:i + x.shape[1]] for i in range(len(g)))
    return sum(g[i] * out[:, :, i:i + x.shape[2]] for i in range(len(g))).astype(np.float32)


def _baseline(x, baseline):
    if isinstance(baseline, str):
        if baseline == "black":
            return np.zeros_like(x)
        if baseline == "mean":
            return np.broadcast_to(x.mean(axis=(1, 2), keepdims=True), x.shape).copy()
        if baseline == "blur":  # Sturmfels, Lundberg & Lee, "Visualizing the Impact of Feature Attribution Baselines", Distill 2020
            return _blurred(x, max(1.0, max(x.shape[1:3]) / 16))
        raise ValueError(f"baseline must be 'black', 'mean', 'blur', a number or an image; got {baseline!r}")
    b = np.asarray(baseline, dtype=np.float32)
    return np.broadcast_to(b, x.shape).astype(np.float32).copy()


def baseline_images(images, baseline="black") -> np.ndarray:
    """The baseline batch :math:`x'` that :func:`integrated_gradients` uses for ``images`` (to look at it)."""
    from helpers.images import as_batch

    return _baseline(as_batch(images), baseline)


def ig_attributions(model, images, class_index="auto", baseline="black", steps: int = 32,
                    progress: bool | None = None):
    """Integrated-gradients attributions ``[n, h, w, 3]`` and the score gap they explain.

    The path integral is a trapezoid rule over ``steps`` intervals, so the
    attributions add up to :math:`z_c(x) - z_c(x')` (completeness) up to the
    discretisation error; ReLU kinks along the path make that error shrink
    unevenly with ``steps``: check it with the returned ``gap``.

    The attribution of input :math:`i` is proportional to :math:`x_i - x'_i`:
    a pixel equal to the baseline gets zero, however much it matters (a
    black object against the ``"black"`` baseline). Baselines: ``"black"``
    (zeros), ``"mean"`` (each image's mean colour), ``"blur"`` (the image
    blurred by a Gaussian of std side/16 pixels: it removes the shapes but
    keeps the colours; Sturmfels et al. 2020), a number or an image.

    Returns:
      ``(attributions, gap)`` with ``gap[i] = z_c(x_i) - z_c(x'_i)``.
    """
    steps = positive_int("steps", steps)
    x, cls, _ = _prepare(model, images, class_index)
    base = _baseline(x, baseline)
    m = max(2, config.steps(steps))
    alphas = np.linspace(0.0, 1.0, m + 1, dtype=np.float32)
    weights = np.full(m + 1, 1.0 / m, dtype=np.float32)
    weights[[0, -1]] *= 0.5
    attr = np.zeros_like(x)
    gap = np.zeros(len(x), dtype=np.float32)
    per = max(1, CHUNK // (m + 1))
    with _bar(-(-len(x) // per), "integrated gradients", progress) as bar:
        for i in range(0, len(x), per):
            xb, bb, cb = x[i:i + per], base[i:i + per], cls[i:i + per]
            path = bb[:, None] + alphas[None, :, None, None, None] * (xb - bb)[:, None]
            g, z = _grads_and_scores(model, path.reshape(-1, *x.shape[1:]), np.repeat(cb, m + 1), checked=False)
            z = z.reshape(len(xb), m + 1)  # the path starts at the baseline and ends at the image
            avg = (g.reshape(len(xb), m + 1, *x.shape[1:]) * weights[None, :, None, None, None]).sum(1)
            attr[i:i + per] = (xb - bb) * avg
            gap[i:i + per] = z[:, -1] - z[:, 0]
            bar.update(1)
    return attr, gap


def integrated_gradients(model, images, class_index="auto", baseline="black", steps: int = 32,
                         progress: bool | None = None):
    """Integrated gradients as maps: the absolute attribution summed over colour channels."""
    attr, _ = ig_attributions(model, images, class_index, baseline, steps, progress=progress)
    return _finish(np.abs(attr).sum(-1), "integrated_gradients")


def guided_backprop(model, images, class_index="auto"):
    """Guided backpropagation maps: the largest absolute guided gradient over colour channels."""
    return _finish(np.abs(input_gradients(model, images, class_index, guided="guided")).max(-1), "guided_backprop")


def _cam_fn(model, layer_name: str, mode: str):
    """Compiled ``(x, cls) -> coarse CAM [n, h', w']`` for one layer."""
    import tensorflow as tf

    grad_model = graph_model(model, [layer_name], head="logits")  # works inside nested base models

    @tf.function(reduce_retracing=True)
    def fn(x, cls):
        with tf.GradientTape() as tape:
            acts, logits = grad_model(x, training=False)
            score = tf.gather(logits, cls, batch_dims=1)
        grads = tape.gradient(score, acts)
        if mode == "plusplus":
            # Chattopadhay et al. eq. 19 with the exponential score: powers of the first derivative.
            g2, g3 = grads ** 2, grads ** 3
            denom = 2.0 * g2 + tf.reduce_sum(acts, axis=(1, 2), keepdims=True) * g3
            a = tf.math.divide_no_nan(g2, denom)
            alpha = tf.reduce_sum(a * tf.nn.relu(grads), axis=(1, 2))
        else:
            alpha = tf.reduce_mean(grads, axis=(1, 2))  # alpha_k^c: global-average-pooled gradients
        if mode == "channels":  # the lecture notes' variant: sum_k ReLU(alpha_k A_k)
            return tf.reduce_sum(tf.nn.relu(acts * alpha[:, None, None, :]), axis=-1)
        return tf.nn.relu(tf.einsum("nijk,nk->nij", acts, alpha))

    return fn


def default_cam_layer(model) -> str:
    """The layer Grad-CAM explains by default: :func:`helpers.models.last_conv_layer`."""
    return last_conv_layer(as_model(model))


_DISPLAY_CAM = {"sum": "Grad-CAM", "channels": "Grad-CAM", "plusplus": "Grad-CAM++"}


def _cam(model, images, class_index, layer, mode):
    x, cls, _ = _prepare(model, images, class_index)
    net = as_model(model)
    name = feature_map_layer(net, layer or default_cam_layer(net), _DISPLAY_CAM.get(mode, "Grad-CAM"))
    fn = _cached(net, ("cam", name, mode), lambda: _cam_fn(net, name, mode))
    coarse = _chunked(fn, x, cls)[0]
    from helpers.activations import upsample

    return np.stack([upsample(c, x.shape[1:3]) for c in coarse]) if coarse.shape[1:] != x.shape[1:3] else coarse


def grad_cam(model, images, class_index="auto", layer: str | None = None, relu: str = "sum"):
    """Grad-CAM maps at input resolution (bilinear upsampling of the layer's map).

    Args:
      layer: the feature-map layer to explain; default: the last
        convolutional feature maps (:func:`default_cam_layer`).
      relu: ``"sum"`` for the paper's :math:`\\mathrm{ReLU}(\\sum_k \\alpha_k A_k)`;
        ``"channels"`` for the lecture notes' :math:`\\sum_k \\mathrm{ReLU}(\\alpha_k A_k)`,
        which keeps only the channels with positive weight.
    """
    if relu not in ("sum", "channels"):
        raise ValueError(f"relu must be 'sum' (Selvaraju et al.) or 'channels' (lecture notes); got {relu!r}")
    return _finish(_cam(model, images, class_index, layer, relu), "grad_cam")


def grad_cam_plus_plus(model, images, class_index="auto", layer: str | None = None):
    """Grad-CAM++ maps: like :func:`grad_cam` with pixel-wise weighted gradients."""
    return _finish(_cam(model, images, class_index, layer, "plusplus"), "grad_cam_plus_plus")


def guided_grad_cam(model, images, class_index="auto", layer: str | None = None):
    """Guided Grad-CAM: guided-backprop map times the (upsampled) Grad-CAM map."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cam = grad_cam(model, images, class_index, layer)
        gb = guided_backprop(model, images, class_index)
    return _finish(gb * cam, "guided_grad_cam")


#: name -> function, in teaching order; Grad-CAM-style methods take ``layer=``.
METHODS = {
    "saliency": saliency,
    "smoothgrad": smoothgrad,
    "integrated_gradients": integrated_gradients,
    "guided_backprop": guided_backprop,
    "grad_cam": grad_cam,
    "grad_cam_plus_plus": grad_cam_plus_plus,
    "guided_grad_cam": guided_grad_cam,
}
LAYER_METHODS = ("grad_cam", "grad_cam_plus_plus", "guided_grad_cam")


def attribute(model, images, class_index="auto", method: str = "grad_cam", layer: str | None = None, **kwargs):
    """Run one method by name (see :data:`METHODS`)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if method in LAYER_METHODS:
        kwargs["layer"] = layer
    return METHODS[method](model, images, class_index, **kwargs)
