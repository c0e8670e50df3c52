"""Gradient attribution at the input: saliency, SmoothGrad, integrated gradients, guided backprop.

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
* :func:`gradient_x_input`: :math:`\\sum_{ch} |x \\odot \\partial z_c / \\partial x|`
  (Shrikumar et al. 2016, *Not Just a Black Box*): for a linear model, each
  input's exact contribution :math:`w_i x_i` to the logit.

The Grad-CAM family (a layer's activations and gradients) is in
:mod:`helpers.attribution.cams`, the perturbation methods in
:mod:`helpers.attribution.perturbation`, the list of all of them in
:mod:`helpers.attribution.registry`.

A map that is zero everywhere (e.g. of a dead network) stays all
zeros, never NaN, and a warning says how many there are; see
:func:`helpers.attribution.core.empty_maps`.
"""

from __future__ import annotations

import numpy as np

from helpers import config
from helpers._checks import finite_float, positive_int
from helpers.attribution.core import CHUNK, finish, grads_and_scores, input_gradients, prepare, progress_bar


def saliency(model, images, class_index="auto"):
    """Vanilla gradient saliency: the largest absolute input gradient over colour channels."""
    return finish(np.abs(input_gradients(model, images, class_index)).max(-1), "saliency")


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
    x, cls, _ = prepare(model, images, class_index)
    k = max(1, config.samples(samples))
    r = config.rng(seed)
    span = (x.max(axis=(1, 2, 3)) - x.min(axis=(1, 2, 3))).reshape(-1, 1, 1, 1, 1)
    total = np.zeros(x.shape[:3], dtype=np.float32)
    per = max(1, CHUNK // k)
    with progress_bar(-(-len(x) // per), "SmoothGrad", progress) as bar:
        for i in range(0, len(x), per):
            xb = x[i:i + per]
            noisy = xb[:, None] + r.normal(size=(len(xb), k, *x.shape[1:])).astype(np.float32) * noise * span[i:i + per]
            g = input_gradients(model, noisy.reshape(-1, *x.shape[1:]), np.repeat(cls[i:i + per], k), checked=False)
            total[i:i + per] = np.abs(g).max(-1).reshape(len(xb), k, *x.shape[1:3]).mean(1)
            bar.update(1)
    return finish(total, "smoothgrad")


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
    x, cls, _ = prepare(model, images, class_index)
    base = _baseline(x, baseline)
    m = max(2, config.steps(steps))
    alphas = np.linspace(0.0, 1.0, m + 1, dtype=np.float32)
    weights = np.full(m + 1, 1.0 / m, dtype=np.float32)
    weights[[0, -1]] *= 0.5
    attr = np.zeros_like(x)
    gap = np.zeros(len(x), dtype=np.float32)
    per = max(1, CHUNK // (m + 1))
    with progress_bar(-(-len(x) // per), "integrated gradients", progress) as bar:
        for i in range(0, len(x), per):
            xb, bb, cb = x[i:i + per], base[i:i + per], cls[i:i + per]
            path = bb[:, None] + alphas[None, :, None, None, None] * (xb - bb)[:, None]
            g, z = grads_and_scores(model, path.reshape(-1, *x.shape[1:]), np.repeat(cb, m + 1), checked=False)
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
    return finish(np.abs(attr).sum(-1), "integrated_gradients")


def gradient_x_input(model, images, class_index="auto"):
    """Gradient × input maps: :math:`\\sum_{ch} |x \\odot \\partial z_c / \\partial x|`.

    For a linear model :math:`z_c = \\sum_i w_i x_i + b` the product is each
    input's exact contribution :math:`w_i x_i`; for a ReLU network it is that
    of the linear piece the image lies on (Shrikumar, Greenside, Shcherbina &
    Kundaje 2016, *Not Just a Black Box*). Integrated gradients with the black
    baseline is its average along the path, so the two agree for a linear model.
    """
    x, cls, _ = prepare(model, images, class_index)
    return finish(np.abs(x * input_gradients(model, x, cls, checked=False)).sum(-1), "gradient_x_input")


def guided_backprop(model, images, class_index="auto"):
    """Guided backpropagation maps: the largest absolute guided gradient over colour channels."""
    return finish(np.abs(input_gradients(model, images, class_index, guided="guided")).max(-1), "guided_backprop")
