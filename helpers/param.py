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

Both take ``seed=`` for their random start and never use a global RNG.
"""

from __future__ import annotations

import numpy as np

#: Square root of the ImageNet RGB colour covariance (per-column scaled), as published with lucid.
COLOR_CORRELATION_SVD_SQRT = np.array([[0.26, 0.09, 0.02],
                                       [0.27, 0.00, -0.05],
                                       [0.27, -0.09, 0.03]], dtype=np.float32)


class PixelParam:
    """Optimize the pixels directly.

    Args:
      batch, height, width: image batch shape.
      seed: seed of the start: grey 0.5 plus uniform noise of half-width ``noise``.
      noise: amplitude of the initial noise (Chollet's Keras example starts
        from grey plus a little noise).
      init: optional start images ``[batch, h, w, 3]`` in [0, 1] instead.
    """

    kind = "pixel"

    def __init__(self, batch: int, height: int, width: int, seed: int = 0, noise: float = 0.1, init=None):
        import tensorflow as tf

        self.shape = (int(batch), int(height), int(width), 3)
        if init is not None:
            start = np.asarray(init, np.float32).reshape(self.shape)
        else:
            rng = np.random.default_rng(seed)
            start = (0.5 + rng.uniform(-noise, noise, self.shape)).astype(np.float32)
        self.variable = tf.Variable(start, name="pixels")

    @property
    def variables(self) -> list:
        return [self.variable]

    def image(self):
        """The image batch (a tensor ``[b, h, w, 3]``)."""
        return self.variable

    def numpy(self) -> np.ndarray:
        return np.clip(np.asarray(self.image()), 0.0, 1.0)


def _frequencies(h: int, w: int) -> np.ndarray:
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    return np.sqrt(fx * fx + fy * fy)


class FourierParam:
    """Optimize a 1/f-scaled, colour-decorrelated spectrum (Olah et al. 2017).

    Args:
      batch, height, width: image batch shape.
      seed: seed of the random spectrum.
      sd: standard deviation of the initial spectrum coefficients.
      decay_power: exponent of the frequency scaling :math:`s(f) = 1/\\max(f, 1/\\max(h,w))^{p}`.
      decorrelate: apply the colour-decorrelation matrix (else plain RGB).
    """

    kind = "fourier"

    def __init__(self, batch: int, height: int, width: int, seed: int = 0, sd: float = 0.01,
                 decay_power: float = 1.0, decorrelate: bool = True):
        import tensorflow as tf

        self.shape = (int(batch), int(height), int(width), 3)
        h, w = self.shape[1:3]
        freqs = _frequencies(h, w)
        scale = 1.0 / np.maximum(freqs, 1.0 / max(h, w)) ** decay_power
        scale *= np.sqrt(h * w)  # undo irfft's 1/(h*w) so pixel magnitudes do not depend on size
        self._scale = tf.constant(scale[None, None].astype(np.float32))
        rng = np.random.default_rng(seed)
        spec = rng.normal(0.0, sd, (2, batch, 3, h, freqs.shape[1])).astype(np.float32)
        self.variable = tf.Variable(spec, name="spectrum")
        m = COLOR_CORRELATION_SVD_SQRT / np.max(np.linalg.norm(COLOR_CORRELATION_SVD_SQRT, axis=0))
        self._color = tf.constant((m if decorrelate else np.eye(3, dtype=np.float32)).T.astype(np.float32))
        self.decorrelate = decorrelate

    @property
    def variables(self) -> list:
        return [self.variable]

    def image(self):
        """The image batch in [0, 1] (a tensor ``[b, h, w, 3]``)."""
        import tensorflow as tf

        h, w = self.shape[1:3]
        spectrum = tf.complex(self.variable[0], self.variable[1]) * tf.cast(self._scale, tf.complex64)
        planes = tf.signal.irfft2d(spectrum, fft_length=[h, w])  # [b, 3, h, w]
        x = tf.transpose(planes, [0, 2, 3, 1]) / 4.0
        x = tf.tensordot(x, self._color, axes=[[3], [0]])
        return tf.sigmoid(x)

    def numpy(self) -> np.ndarray:
        return np.asarray(self.image())


def make_param(kind, batch: int, height: int, width: int, seed: int = 0, **kwargs):
    """A parameterization by name (``"pixel"`` or ``"fourier"``), or ``kind`` itself if it is one."""
    if hasattr(kind, "image") and hasattr(kind, "variables"):
        return kind
    kinds = {"pixel": PixelParam, "fourier": FourierParam}
    if kind not in kinds:
        raise ValueError(f"unknown parameterization {kind!r}; choose 'pixel' or 'fourier'")
    return kinds[kind](batch, height, width, seed=seed, **kwargs)
