"""Image parameterizations: what the optimizer actually changes.

Gradient ascent does not have to move pixels directly. A *parameterization*
is a set of variables plus a differentiable map to an image batch in [0, 1]:

* :class:`PixelParam`: the pixels themselves, :math:`x = v`. Simple, but
  the gradient of a CNN is dominated by high frequencies, so the result
  drifts into adversarial-looking noise unless regularized.
* :class:`FourierParam`: the image is built from a scaled spectrum,
  :math:`x = \\sigma\\big(C\\,\\mathcal{F}^{-1}[\\,s(f)\\,\\hat v\\,]\\big)` with
  :math:`s(f) \\propto 1/f` so every frequency gets a comparable step (the
  gradient is "whitened"), :math:`C` a colour-decorrelation matrix (square root
  of the ImageNet colour covariance) and :math:`\\sigma` a sigmoid that keeps
  pixels in [0, 1]. Olah, Mordvintsev and Schubert, "Feature Visualization",
  Distill 2017.
* :class:`SilhouetteParam`: one flat-coloured shape on a background,
  :math:`x = (1-\\alpha)\\,b + \\alpha\\,c` with a soft mask
  :math:`\\alpha = w \\cdot \\sigma\\big(k\\,(G * a)\\big)` (smoothed logits
  :math:`a`, sharpness :math:`k`, a central window :math:`w`), a single colour
  :math:`c = \\sigma(\\bar v)` per image and a fixed smooth background
  :math:`b`. A prior matched to the shapes world, where every image is one
  flat-coloured object on a smooth field: the optimizer can only choose a
  silhouette and a colour. Alpha compositing as an image parameterization is
  from Mordvintsev et al., "Differentiable Image Parameterizations", Distill 2018.

All take ``seed=`` for their random start and never use a global RNG.

Each is a :class:`Parameterization`: the protocol :func:`helpers.render.render`
needs (its variables, the image they make, the axes each image's gradient is
normalised over, and whether pixel regularizers apply), so a new one is a
subclass and render does not change.
"""

from __future__ import annotations

import numpy as np

from helpers import config

#: Square root of the ImageNet RGB colour covariance (per-column scaled), as published with lucid.
COLOR_CORRELATION_SVD_SQRT = np.array([[0.26, 0.09, 0.02],
                                       [0.27, 0.00, -0.05],
                                       [0.27, -0.09, 0.03]], dtype=np.float32)


class Parameterization:
    """What :func:`helpers.render.render` asks of a parameterization; subclass it for a new one.

    A subclass sets :attr:`variable` (or overrides :attr:`variables`) and
    :meth:`image`, and says where its images are:

    * :attr:`variables`: the ``tf.Variable`` s the optimizer changes;
    * :meth:`image`: the differentiable image batch ``[b, h, w, 3]`` in [0, 1] they make;
    * :attr:`batch_axis` and :meth:`gradient_axes`: render divides each image's
      gradient :math:`g_i` by its RMS :math:`\\sqrt{\\mathrm{mean}(g_i^2)}`, the mean taken
      over :meth:`gradient_axes` (every axis of the variable but
      :attr:`batch_axis`, the one that indexes images);
    * :attr:`pixel_space`: True when the variables are the pixels, so the pixel
      regularizers (blur, median, decay, clip: the ``"post"`` transforms of
      :mod:`helpers.transforms`) act on them; other parameterizations keep
      pixels smooth and in range by construction and skip them.
    """

    #: a short name, used in notes
    kind = "custom"
    #: the axis of each variable that indexes the images
    batch_axis = 0
    #: whether pixel regularizers apply to the variables (they are pixels)
    pixel_space = False

    @property
    def variables(self) -> list:
        return [self.variable]

    def image(self):  # pragma: no cover - abstract
        """The image batch in [0, 1] (a tensor ``[b, h, w, 3]``)."""
        raise NotImplementedError

    def gradient_axes(self, variable) -> list[int]:
        """The axes of ``variable``'s gradient that one image's step is normalised over."""
        return [a for a in range(len(variable.shape)) if a != self.batch_axis]

    def numpy(self) -> np.ndarray:
        """The images as a NumPy array, clipped to [0, 1]."""
        return np.clip(np.asarray(self.image()), 0.0, 1.0)


class _Adapted(Parameterization):
    """An object with ``variables`` and ``image()`` only (the protocol before :class:`Parameterization`):
    batch axis 0, pixel regularizers only if its ``kind`` is ``"pixel"``."""

    def __init__(self, obj):
        self.obj, self.kind = obj, str(getattr(obj, "kind", type(obj).__name__))
        self.pixel_space = self.kind == "pixel"

    @property
    def variables(self) -> list:
        return list(self.obj.variables)

    def image(self):
        return self.obj.image()


class PixelParam(Parameterization):
    """Optimize the pixels directly.

    Args:
      batch, height, width: image batch shape.
      seed: seed of the start: grey 0.5 plus uniform noise of half-width ``noise``.
      noise: amplitude of the initial noise (Chollet's Keras example starts
        from grey plus a little noise).
      init: optional start images ``[batch, h, w, 3]`` in [0, 1] instead.
    """

    kind = "pixel"
    pixel_space = True

    def __init__(self, batch: int, height: int, width: int, seed: int = 0, noise: float = 0.1, init=None):
        import tensorflow as tf

        self.shape = (int(batch), int(height), int(width), 3)
        if init is not None:
            start = np.asarray(init, np.float32).reshape(self.shape)
        else:
            rng = config.rng(seed)
            start = (0.5 + rng.uniform(-noise, noise, self.shape)).astype(np.float32)
        self.variable = tf.Variable(start, name="pixels")

    def image(self):
        """The image batch (a tensor ``[b, h, w, 3]``)."""
        return self.variable


def _frequencies(h: int, w: int) -> np.ndarray:
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    return np.sqrt(fx * fx + fy * fy)


class FourierParam(Parameterization):
    """Optimize a 1/f-scaled, colour-decorrelated spectrum (Olah et al. 2017).

    Args:
      batch, height, width: image batch shape.
      seed: seed of the random spectrum.
      sd: standard deviation of the initial spectrum coefficients. The default
        0.1 starts from a smooth random image with some contrast (pixel
        standard deviation about 0.03, values about 0.4 to 0.6). From a
        near-grey start (lucid's 0.01: pixel std 0.003) many ReLUs of a small
        network never open, their units get an identically zero gradient and
        ``render`` flags them dead although they respond to real images.
      decay_power: exponent of the frequency scaling :math:`s(f) = 1/\\max(f, 1/\\max(h,w))^{p}`.
      decorrelate: apply the colour-decorrelation matrix (else plain RGB).
    """

    kind = "fourier"
    batch_axis = 1  # the spectrum is [real/imaginary, batch, colour, h, w // 2 + 1]

    def __init__(self, batch: int, height: int, width: int, seed: int = 0, sd: float = 0.1,
                 decay_power: float = 1.0, decorrelate: bool = True):
        import tensorflow as tf

        self.shape = (int(batch), int(height), int(width), 3)
        h, w = self.shape[1:3]
        freqs = _frequencies(h, w)
        scale = 1.0 / np.maximum(freqs, 1.0 / max(h, w)) ** decay_power
        scale *= np.sqrt(h * w)  # undo irfft's 1/(h*w) so pixel magnitudes do not depend on size
        self._scale = tf.constant(scale[None, None].astype(np.float32))
        rng = config.rng(seed)
        spec = rng.normal(0.0, sd, (2, batch, 3, h, freqs.shape[1])).astype(np.float32)
        self.variable = tf.Variable(spec, name="spectrum")
        m = COLOR_CORRELATION_SVD_SQRT / np.max(np.linalg.norm(COLOR_CORRELATION_SVD_SQRT, axis=0))
        self._color = tf.constant((m if decorrelate else np.eye(3, dtype=np.float32)).T.astype(np.float32))
        self.decorrelate = decorrelate

    def image(self):
        """The image batch in [0, 1] (a tensor ``[b, h, w, 3]``)."""
        import tensorflow as tf

        h, w = self.shape[1:3]
        spectrum = tf.complex(self.variable[0], self.variable[1]) * tf.cast(self._scale, tf.complex64)
        planes = tf.signal.irfft2d(spectrum, fft_length=[h, w])  # [b, 3, h, w]
        x = tf.transpose(planes, [0, 2, 3, 1]) / 4.0
        x = tf.tensordot(x, self._color, axes=[[3], [0]])
        return tf.sigmoid(x)


class SilhouetteParam(Parameterization):
    """Optimize a silhouette and its colour, composited on a fixed background.

    One variable ``[batch, h, w, 4]``: channels 0-2 are colour logits (their
    spatial mean gives the object's single colour), channel 3 the mask logits.

    Args:
      batch, height, width: image batch shape.
      seed: seed of the start (colour, mask noise) and of the background field.
      radius: the mask lives inside a central disc of this radius (a fraction of
        the side); 0.2 matches the largest objects of the shapes world.
      sharpness: gain :math:`k` on the smoothed mask logits (higher: harder edges).
      sigma: Gaussian smoothing of the mask logits, in pixels (0: none).
      background: ``"field"`` (a smooth random colour field, as in the shapes
        world), ``"grey"``, or an array ``[h, w, 3]`` / ``[batch, h, w, 3]`` in [0, 1].
      init_alpha: initial mask logit (negative: start mostly background).
    """

    kind = "silhouette"

    def __init__(self, batch: int, height: int, width: int, seed: int = 0, radius: float = 0.2,
                 sharpness: float = 2.0, sigma: float = 1.5, background="field", init_alpha: float = -2.0):
        import tensorflow as tf

        from helpers.transforms import gaussian_kernel

        if not 0 < float(radius) <= 0.75:
            raise ValueError(f"radius must be in (0, 0.75] (a fraction of the image side); got {radius}")
        if float(sharpness) <= 0 or float(sigma) < 0:
            raise ValueError(f"sharpness must be > 0 and sigma >= 0; got {sharpness} and {sigma}")
        b, h, w = int(batch), int(height), int(width)
        self.shape = (b, h, w, 3)
        rng = config.rng(seed)
        start = np.zeros((b, h, w, 4), np.float32)
        start[..., :3] = rng.normal(0.0, 1.0, (b, 1, 1, 3))
        start[..., 3] = init_alpha + rng.normal(0.0, 0.5, (b, h, w))
        self.variable = tf.Variable(start, name="silhouette")
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        dist = np.hypot(yy - (h - 1) / 2, xx - (w - 1) / 2)
        self._window = tf.constant(np.clip(radius * min(h, w) - dist + 0.5, 0, 1)[None, :, :, None])
        g = gaussian_kernel(sigma) if sigma > 0 else np.ones(1, np.float32)
        self._kernel = tf.constant(np.outer(g, g)[:, :, None, None].astype(np.float32))
        self.sharpness = float(sharpness)
        if isinstance(background, str):
            if background == "grey":
                bg = np.full((b, h, w, 3), 0.5, np.float32)
            elif background == "field":
                from helpers.shapes import _smooth_field

                bg = 0.25 + 0.5 * _smooth_field(config.rng([int(seed), 1]), b, max(h, w))[:, :h, :w]
            else:
                raise ValueError(f"background must be 'field', 'grey' or an image array; got {background!r}")
        else:
            bg = np.asarray(background, np.float32)
            if bg.shape not in ((h, w, 3), (b, h, w, 3)):
                raise ValueError(f"a background array must have shape {(h, w, 3)} or {(b, h, w, 3)}; got {bg.shape}")
            bg = np.broadcast_to(bg, (b, h, w, 3))
            if not np.isfinite(bg).all() or bg.min() < 0 or bg.max() > 1:
                raise ValueError("a background array must hold values in [0, 1]")
        self._background = tf.constant(np.ascontiguousarray(bg, np.float32))

    def alpha(self):
        """The mask :math:`\\alpha` in [0, 1], a tensor ``[b, h, w, 1]`` (zero outside the window)."""
        import tensorflow as tf

        logits = tf.nn.conv2d(self.variable[..., 3:], self._kernel, 1, "SAME")
        return self._window * tf.sigmoid(self.sharpness * logits)

    def color(self):
        """The object's colour per image, a tensor ``[b, 1, 1, 3]`` in [0, 1]."""
        import tensorflow as tf

        return tf.sigmoid(tf.reduce_mean(self.variable[..., :3], axis=[1, 2], keepdims=True))

    def image(self):
        """The composited image batch in [0, 1] (a tensor ``[b, h, w, 3]``)."""
        a = self.alpha()
        return (1.0 - a) * self._background + a * self.color()


def deprocess(images, scale: float = 0.15, uint8: bool = False) -> np.ndarray:
    """Display version of optimized images: standardize each one, shrink its spread, re-centre on grey.

    :math:`d = \\mathrm{clip}\\big(0.5 + s\\,(x - \\bar x)/(\\sigma_x + 10^{-5}),\\ 0,\\ 1\\big)`
    with :math:`s` = ``scale``, per image (the recipe of the Keras filter
    visualization example, Chollet 2016). Whatever range gradient ascent
    drove an image into, its pattern is shown at a comparable contrast and
    no longer saturates; a flat image becomes flat grey.

    Args:
      images: one image ``[h, w, c]`` or a batch ``[b, h, w, c]``.
      scale: target standard deviation :math:`s` around 0.5.
      uint8: return ``uint8`` in 0..255 instead of floats in [0, 1].
    """
    x = np.asarray(images, dtype=np.float32)
    if x.ndim not in (3, 4):
        raise ValueError(f"expected an image [h, w, c] or a batch [b, h, w, c]; got shape {x.shape}")
    axes = tuple(range(x.ndim - 3, x.ndim))
    z = (x - x.mean(axis=axes, keepdims=True)) / (x.std(axis=axes, keepdims=True) + 1e-5)
    out = np.clip(0.5 + float(scale) * z, 0.0, 1.0)
    return (out * 255).round().astype(np.uint8) if uint8 else out


def make_param(kind, batch: int, height: int, width: int, seed: int = 0, **kwargs) -> Parameterization:
    """A parameterization by name (``"pixel"``, ``"fourier"`` or ``"silhouette"``), or ``kind`` itself.

    ``kind`` may be any :class:`Parameterization`; an older object with just
    ``variables`` and ``image()`` is taken as one with batch axis 0.
    """
    if isinstance(kind, Parameterization):
        return kind
    if hasattr(kind, "image") and hasattr(kind, "variables"):
        return _Adapted(kind)
    kinds = {"pixel": PixelParam, "fourier": FourierParam, "silhouette": SilhouetteParam}
    if kind not in kinds:
        raise ValueError(f"unknown parameterization {kind!r}; choose one of {', '.join(map(repr, kinds))}")
    return kinds[kind](batch, height, width, seed=seed, **kwargs)
