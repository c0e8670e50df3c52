"""Seeded image transforms and regularizers applied at every optimization step.

Two kinds, both small callables ``t(images, step) -> images`` on a batch
``[b, h, w, 3]`` that keep its shape. ``step`` is the step number (a tensor
inside :func:`helpers.render.render`); random transforms draw from
``tf.random.stateless_*`` with the seed ``(seed, step)``, so the same seed
and step always give the same result and no global RNG is used.

* **Robustness transforms** (``kind="input"``): applied to the image before
  the forward pass, inside the gradient (Mordvintsev et al. 2015; Olah et
  al. 2017): :func:`jitter`, :func:`pad`, :func:`random_scale`,
  :func:`random_rotate`. The picture must excite the unit even when moved a
  little, which removes pixel-exact adversarial patterns.
* **Regularizers** (``kind="post"``): applied to the pixels after each update
  (Yosinski et al. 2015; the course notes in sources/003): :func:`gaussian_blur`
  and :func:`median_filter` every ``k`` steps, :func:`decay` toward the mean
  grey, :func:`norm_clip` of the pixels closest to grey, :func:`clip` to
  the valid range.
"""

from __future__ import annotations

import math

import numpy as np


class Transform:
    """A named, seeded transform. ``kind`` is ``"input"`` or ``"post"``; ``every`` applies it every k steps."""

    def __init__(self, fn, name: str, kind: str, every: int = 1):
        if kind not in ("input", "post"):
            raise ValueError("kind must be 'input' or 'post'")
        if int(every) < 1:
            raise ValueError(f"'every' must be a positive number of steps; got {every}")
        self.fn, self.name, self.kind, self.every = fn, name, kind, int(every)

    def __call__(self, images, step=0):
        import tensorflow as tf

        step = tf.convert_to_tensor(step, tf.int32)
        if self.every == 1:
            return self.fn(images, step)
        return tf.cond(tf.equal(step % self.every, 0), lambda: self.fn(images, step), lambda: tf.identity(images))

    def __repr__(self) -> str:
        return self.name


def _seed(seed: int, step, salt: int = 0):
    import tensorflow as tf

    return tf.stack([tf.constant(int(seed) * 7919 + salt, tf.int32), tf.cast(step, tf.int32)])


def jitter(pixels: int = 4, seed: int = 0) -> Transform:
    """Shift the whole batch by a random ``(dy, dx)`` in ``[-pixels, pixels]`` (wrapping around)."""
    import tensorflow as tf

    def fn(x, step):
        d = tf.random.stateless_uniform([2], _seed(seed, step), -pixels, pixels + 1, dtype=tf.int32)
        return tf.roll(x, shift=d, axis=[1, 2])

    return Transform(fn, f"jitter({pixels})", "input")


def pad(pixels: int = 4, value: float = 0.5, seed: int = 0) -> Transform:
    """Pad by ``pixels`` with a constant grey, then crop a random window of the original size.

    The borders then show grey instead of the image, so nothing useful can
    hide at the edges (lucid's ``pad`` + jitter, at a fixed size).
    """
    import tensorflow as tf

    def fn(x, step):
        h, w = x.shape[1], x.shape[2]
        padded = tf.pad(x, [[0, 0], [pixels, pixels], [pixels, pixels], [0, 0]], constant_values=value)
        o = tf.random.stateless_uniform([2], _seed(seed, step, 1), 0, 2 * pixels + 1, dtype=tf.int32)
        out = tf.slice(padded, tf.stack([0, o[0], o[1], 0]), [-1, h, w, x.shape[3]])
        return tf.reshape(out, tf.shape(x))

    return Transform(fn, f"pad({pixels})", "input")


def _affine(x, scale, angle, fill: float):
    """Scale/rotate each image about its centre; ``scale`` and ``angle`` (radians) are ``[b]``."""
    import tensorflow as tf

    h, w = float(x.shape[1]), float(x.shape[2])
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    cos, sin = tf.cos(angle) / scale, tf.sin(angle) / scale
    # output (x', y') samples input (a0 x' + a1 y' + a2, b0 x' + b1 y' + b2): the inverse map
    a2 = cx - cos * cx + sin * cy
    b2 = cy - sin * cx - cos * cy
    zeros = tf.zeros_like(cos)
    mats = tf.stack([cos, -sin, a2, sin, cos, b2, zeros, zeros], axis=1)
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=x, transforms=mats, output_shape=tf.constant([int(h), int(w)], tf.int32),
        fill_value=tf.constant(fill, x.dtype), interpolation="BILINEAR", fill_mode="REFLECT")


def random_scale(scales=(0.9, 0.95, 1.0, 1.05, 1.1), seed: int = 0) -> Transform:
    """Zoom each image by a factor drawn from ``scales`` (about its centre, same size)."""
    import tensorflow as tf

    table = tf.constant(np.asarray(scales, np.float32))

    def fn(x, step):
        i = tf.random.stateless_uniform([tf.shape(x)[0]], _seed(seed, step, 2), 0, len(scales), dtype=tf.int32)
        s = tf.gather(table, i)
        return _affine(x, s, tf.zeros_like(s), 0.5)

    return Transform(fn, f"random_scale({min(scales):g}..{max(scales):g})", "input")


def random_rotate(degrees: float = 10.0, seed: int = 0) -> Transform:
    """Rotate each image by a random angle in ``[-degrees, degrees]`` about its centre."""
    import tensorflow as tf

    def fn(x, step):
        a = tf.random.stateless_uniform([tf.shape(x)[0]], _seed(seed, step, 3), -degrees, degrees) * (math.pi / 180)
        return _affine(x, tf.ones_like(a), a, 0.5)

    return Transform(fn, f"random_rotate({degrees:g})", "input")


def gaussian_kernel(sigma: float) -> np.ndarray:
    """A normalized 1-D Gaussian :math:`g(t) \\propto e^{-t^2/2\\sigma^2}` of radius ``ceil(3 sigma)``."""
    r = max(1, int(math.ceil(3 * sigma)))
    t = np.arange(-r, r + 1, dtype=np.float32)
    g = np.exp(-t * t / (2 * sigma * sigma))
    return (g / g.sum()).astype(np.float32)


def gaussian_blur(sigma: float = 0.5, every: int = 4) -> Transform:
    """Blur the pixels with a Gaussian of std ``sigma`` every ``every`` steps (reflect borders)."""
    import tensorflow as tf

    if sigma <= 0:
        raise ValueError(f"sigma must be positive; got {sigma}")
    g = gaussian_kernel(sigma)
    r = len(g) // 2
    ky = tf.constant(np.tile(g[:, None, None, None], (1, 1, 3, 1)))
    kx = tf.constant(np.tile(g[None, :, None, None], (1, 1, 3, 1)))

    def fn(x, step):
        y = tf.pad(x, [[0, 0], [r, r], [r, r], [0, 0]], mode="REFLECT")
        y = tf.nn.depthwise_conv2d(y, tf.cast(ky, x.dtype), [1, 1, 1, 1], "VALID")
        return tf.nn.depthwise_conv2d(y, tf.cast(kx, x.dtype), [1, 1, 1, 1], "VALID")

    return Transform(fn, f"gaussian_blur({sigma:g}, every {every})", "post", every)


def median_filter(size: int = 3, every: int = 4) -> Transform:
    """Replace each pixel by the median of its ``size x size`` neighbourhood, per channel, every ``every`` steps."""
    import tensorflow as tf

    if size < 2:
        raise ValueError(f"median filter size must be at least 2; got {size}")
    lo, hi = (size - 1) // 2, size // 2

    def fn(x, step):
        b, h, w = tf.shape(x)[0], x.shape[1], x.shape[2]
        y = tf.pad(x, [[0, 0], [lo, hi], [lo, hi], [0, 0]], mode="REFLECT")
        shifted = [y[:, i:i + h, j:j + w, :] for i in range(size) for j in range(size)]
        stack = tf.sort(tf.stack(shifted, axis=-1), axis=-1)
        k = size * size
        mid = stack[..., k // 2] if k % 2 else 0.5 * (stack[..., k // 2 - 1] + stack[..., k // 2])
        return tf.reshape(mid, [b, h, w, 3])

    return Transform(fn, f"median_filter({size}, every {every})", "post", every)


def decay(rate: float = 0.01, center: float = 0.5) -> Transform:
    """L2 decay toward the mean grey: :math:`x \\leftarrow c + (1-\\lambda)(x - c)`."""
    if not 0 <= rate < 1:
        raise ValueError(f"decay rate must be in [0, 1); got {rate}")
    return Transform(lambda x, step: center + (1.0 - rate) * (x - center), f"decay({rate:g})", "post")


def norm_clip(percentile: float = 50.0, center: float = 0.5, every: int = 1) -> Transform:
    """Yosinski et al. 2015's small-norm clipping: pixels that differ least from grey become grey.

    Per image, each pixel's colour distance :math:`\\|x_{ij} - c\\|_2` from the
    grey ``center`` is compared with the ``percentile``-th percentile of those
    distances; pixels below it are set to ``center``. Only the strongest
    parts of the picture survive, so an image that would otherwise tile a
    texture everywhere keeps its most important region.
    """
    import tensorflow as tf

    if not 0 <= percentile < 100:
        raise ValueError(f"percentile must be in [0, 100); got {percentile}")
    q = percentile / 100.0

    def fn(x, step):
        norms = tf.norm(x - center, axis=-1)  # [b, h, w]
        flat = tf.sort(tf.reshape(norms, [tf.shape(x)[0], -1]), axis=-1)
        n = x.shape[1] * x.shape[2]
        thresh = flat[:, min(n - 1, int(q * n))]
        keep = tf.cast(norms >= thresh[:, None, None], x.dtype)[..., None]
        return center + keep * (x - center)

    return Transform(fn, f"norm_clip({percentile:g}%, every {every})", "post", every)


def clip(low: float = 0.0, high: float = 1.0) -> Transform:
    """Keep pixels in the valid range ``[low, high]``."""
    import tensorflow as tf

    return Transform(lambda x, step: tf.clip_by_value(x, low, high), f"clip({low:g}, {high:g})", "post")


def confine(radius: float = 0.35, softness: float = 2.0, value: float = 0.5) -> Transform:
    """Keep the picture inside a central disc (radius as a fraction of the side); grey outside.

    A prior matching datasets with one centred object: with global average
    pooling, an unconfined class image tiles its texture everywhere.
    """
    import tensorflow as tf

    def fn(x, step):
        h, w = x.shape[1], x.shape[2]
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        r = np.hypot(yy - (h - 1) / 2, xx - (w - 1) / 2)
        m = np.clip((radius * min(h, w) - r) / softness + 0.5, 0, 1)[None, :, :, None]
        m = tf.constant(m, x.dtype)
        return m * x + (1 - m) * value

    return Transform(fn, f"confine({radius:g})", "post")


def standard(size: int = 64, seed: int = 0) -> list[Transform]:
    """A robust default set, scaled to the image ``size``: pad, jitter, scale, rotate, then clip."""
    j = max(1, size // 16)
    return [pad(j, seed=seed), jitter(j, seed=seed + 1), random_scale(seed=seed + 2),
            random_rotate(8.0, seed=seed + 3), jitter(max(1, j // 2), seed=seed + 4), clip()]


def split(transforms) -> tuple[list[Transform], list[Transform]]:
    """``(input transforms, post regularizers)`` from one list, order kept; checks every item."""
    items = list(transforms or [])
    bad = [t for t in items if not isinstance(t, Transform)]
    if bad:
        raise TypeError(f"transforms must be helpers.transforms.Transform objects; got {bad[0]!r}")
    return [t for t in items if t.kind == "input"], [t for t in items if t.kind == "post"]
