"""Perturbation attribution: change the input, watch the score. No gradients.

Same call shape as :mod:`helpers.attribution`: a Keras model, an image or
batch ``[n, h, w, 3]``, a class per image (int, list or ``"auto"``); the
result is ``[n, h, w]`` maps scaled to [0, 1]. The score is the class logit
:math:`z_c` (pre-softmax, :func:`helpers.models.without_softmax`); the
caller's model is never changed. Every perturbed image of one input goes
through one compiled forward pass in large batches.

* :func:`occlusion`: Zeiler & Fergus 2014, *Visualizing and Understanding
  Convolutional Networks*. Slide a ``patch`` x ``patch`` square of ``fill``
  over the image with ``stride``; a pixel's importance is the mean score drop
  :math:`z_c(x) - z_c(x_{\\text{patch occluded}})` over the patches that cover it.
* :func:`rise`: Petsiuk, Das & Saenko 2018, *RISE*. Random binary masks on a
  coarse ``cell`` grid (each cell kept with probability :math:`p`), upsampled
  bilinearly and shifted at random; with :math:`x_i = M_i x + (1 - M_i) f`
  (:math:`f` the fill: the image's mean colour by default, black in the
  paper), the importance is
  :math:`S(\\lambda) = \\frac{1}{Np}\\sum_i (z_c(x_i) - \\bar z)\\, M_i(\\lambda)`,
  i.e. the mean score when pixel :math:`\\lambda` is kept, minus the mean
  score :math:`\\bar z` (the paper's estimator shifted by a constant, so
  pixels that do not matter come out at zero).
* :func:`lime`: Ribeiro, Singh & Guestrin 2016, *"Why Should I Trust You?"*.
  Cut the image into superpixels (scikit-image SLIC or quickshift), switch
  random subsets off (filled with the image mean), and fit a weighted linear
  model :math:`z_c \\approx \\beta_0 + \\sum_s \\beta_s z_s` (scikit-learn ridge)
  with weights :math:`\\pi = \\exp(-d^2/\\sigma^2)`, :math:`d` the cosine
  distance to the whole image; a pixel gets its superpixel's :math:`\\beta_s`.
"""

from __future__ import annotations

import numpy as np

from helpers import config
from helpers._checks import positive_int
from helpers.attribution.core import cached, finish, prepare, progress_bar

#: Images per compiled forward pass (forward only, so larger than the gradient chunk).
BATCH = 256


def _score_fn(logits):
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def fn(x, cls):
        z = logits(x, training=False)
        return tf.gather(z, cls, batch_dims=1), tf.nn.log_softmax(z)

    return fn


def class_scores(model, images, class_index, score: str = "logit") -> np.ndarray:
    """The class score of each image, ``[n]``: the logit :math:`z_c` or, with ``score="probability"``, softmax.

    ``class_index`` is one int for all images or one per image. Batched in
    :data:`BATCH`-image compiled calls.
    """
    import tensorflow as tf

    if score not in ("logit", "probability"):
        raise ValueError(f"score must be 'logit' or 'probability'; got {score!r}")
    x, cls, logits = prepare(model, images, class_index)
    fn = cached(logits, "class_score", lambda: _score_fn(logits))
    out = []
    for i in range(0, len(x), BATCH):
        z, logp = fn(tf.constant(x[i:i + BATCH]), tf.constant(cls[i:i + BATCH]))
        out.append(np.asarray(z) if score == "logit" else np.exp(np.take_along_axis(
            np.asarray(logp), cls[i:i + BATCH, None].astype(np.int64), 1)[:, 0]))
    return np.concatenate(out).astype(np.float32)


def _fill(x, fill):
    """The replacement image for one ``[h, w, 3]`` image: ``"mean"`` (its channel mean) or a number."""
    if isinstance(fill, str):
        if fill != "mean":
            raise ValueError(f"fill must be 'mean' or a number; got {fill!r}")
        return np.broadcast_to(x.mean(axis=(0, 1)), x.shape)
    return np.full_like(x, float(fill))


def _starts(size: int, patch: int, stride: int) -> list[int]:
    last = size - patch
    s = list(range(0, last + 1, stride))
    return s if s[-1] == last else [*s, last]  # the last patch touches the border


def occlusion(model, images, class_index="auto", patch: int = 8, stride: int = 4, fill="mean",
              progress: bool | None = None) -> np.ndarray:
    """Occlusion sensitivity maps: the score drop when a square patch is hidden.

    Args:
      patch: side of the occluding square in pixels.
      stride: step between patch positions (``stride < patch`` gives overlapping patches).
      fill: ``"mean"`` (each image's mean colour; Zeiler & Fergus used grey) or a number.
      progress: show a progress bar (default: when there are several images).
    """
    x, cls, _ = prepare(model, images, class_index)
    h, w = x.shape[1:3]
    if not 1 <= patch <= min(h, w):
        raise ValueError(f"patch must be between 1 and {min(h, w)} pixels (the image is {h}x{w}); got {patch}")
    if stride < 1:
        raise ValueError(f"stride must be at least 1; got {stride}")
    spots = [(r, c) for r in _starts(h, patch, stride) for c in _starts(w, patch, stride)]
    out = np.zeros(x.shape[:3], dtype=np.float32)
    cover = np.zeros((h, w), dtype=np.float32)
    for r, c in spots:
        cover[r:r + patch, c:c + patch] += 1
    full = class_scores(model, x, cls)
    with progress_bar(len(x), "occlusion", progress) as bar:
        for i in range(len(x)):
            filler = _fill(x[i], fill)
            batch = np.repeat(x[i][None], len(spots), 0)
            for k, (r, c) in enumerate(spots):
                batch[k, r:r + patch, c:c + patch] = filler[r:r + patch, c:c + patch]
            drop = full[i] - class_scores(model, batch, cls[i])
            for k, (r, c) in enumerate(spots):
                out[i, r:r + patch, c:c + patch] += drop[k]
            out[i] /= cover
            bar.update(1)
    return finish(out, "occlusion")


def rise_masks(n: int, size, cell: int = 8, p: float = 0.5, seed: int = 0) -> np.ndarray:
    """``n`` RISE masks ``[n, h, w]`` in [0, 1]: a ``cell`` x ``cell`` binary grid, upsampled and shifted.

    Each grid cell is kept with probability ``p``; the grid is resized
    bilinearly to ``(cell + 1)`` grid steps and cropped at a random offset
    within one step, so the masks are smooth and not aligned to a grid.
    """
    import tensorflow as tf

    h, w = size
    if not 0.0 < p <= 1.0:
        raise ValueError(f"p must be in (0, 1]; got {p}")
    if cell < 1:
        raise ValueError(f"cell must be at least 1; got {cell}")
    r = config.rng(seed)
    grid = (r.random((n, cell, cell)) < p).astype(np.float32)
    sh, sw = int(np.ceil(h / cell)), int(np.ceil(w / cell))
    dy, dx = r.integers(0, sh, n), r.integers(0, sw, n)
    big = tf.image.resize(grid[..., None], ((cell + 1) * sh, (cell + 1) * sw), method="bilinear").numpy()[..., 0]
    return np.stack([big[k, dy[k]:dy[k] + h, dx[k]:dx[k] + w] for k in range(n)]).astype(np.float32)


def rise(model, images, class_index="auto", masks: int = 1000, cell: int = 8, p: float = 0.5, seed: int = 0,
         fill="mean", progress: bool | None = None) -> np.ndarray:
    """RISE maps: the score-weighted average of random masks.

    Args:
      masks: number of random masks (capped in fast mode by ``config.samples``).
      cell: side of the coarse random grid (the paper uses 7 for 224 px).
      p: probability that a grid cell is kept.
      seed: seed of the masks (the same masks are used for every image).
      fill: what a masked-out pixel fades to: ``"mean"`` (the image's mean colour) or a number;
        0 is the paper's :math:`x \\odot M` (fade to black).
      progress: show a progress bar (default: when there is more than one chunk of masks).
    """
    x, cls, _ = prepare(model, images, class_index)
    n = config.samples(positive_int("masks", masks))
    m = rise_masks(n, x.shape[1:3], cell, p, seed)
    out = np.zeros(x.shape[:3], dtype=np.float32)
    per = max(1, BATCH // 2)
    steps = len(x) * -(-n // per)
    with progress_bar(steps, "RISE", progress) as bar:
        for i in range(len(x)):
            z = np.zeros(n, dtype=np.float32)
            filler = _fill(x[i], fill)
            for j in range(0, n, per):
                keep = m[j:j + per, ..., None]
                z[j:j + per] = class_scores(model, keep * x[i][None] + (1.0 - keep) * filler[None], cls[i])
                bar.update(1)
            out[i] = np.tensordot(z - z.mean(), m, axes=1) / (n * p)
    return finish(out, "rise")


def superpixels(image, segments: int = 40, method: str = "slic", seed: int = 0) -> np.ndarray:
    """Superpixel labels ``[h, w]`` (0..S-1) of one image, from scikit-image.

    Args:
      segments: roughly how many superpixels (SLIC's ``n_segments``; ignored by quickshift).
      method: ``"slic"`` (Achanta et al. 2012) or ``"quickshift"`` (Vedaldi & Soatto 2008, LIME's default).
    """
    from skimage import segmentation

    img = np.asarray(image, dtype=np.float64)
    if method == "slic":
        lab = segmentation.slic(img, n_segments=segments, compactness=10, start_label=0, channel_axis=-1)
    elif method == "quickshift":
        lab = segmentation.quickshift(img, kernel_size=3, max_dist=6, ratio=0.5, rng=seed, channel_axis=-1)
    else:
        raise ValueError(f"method must be 'slic' or 'quickshift'; got {method!r}")
    return np.unique(lab, return_inverse=True)[1].reshape(lab.shape)


def lime_fit(model, image, class_index: int, segments, samples: int = 500, kernel_width: float = 0.25,
             fill="mean", seed: int = 0):
    """LIME for one image and given superpixel labels: returns ``(coefficients [S], r2)``.

    The first sample is the whole image (all superpixels on), as in LIME;
    the others switch each superpixel off with probability 1/2.
    """
    from sklearn.linear_model import Ridge

    x = np.asarray(image, dtype=np.float32)
    seg = np.asarray(segments)
    s = int(seg.max()) + 1
    k = max(2, config.samples(positive_int("samples", samples, minimum=2)))
    z = (config.rng(seed).random((k, s)) < 0.5).astype(np.float32)
    z[0] = 1.0
    keep = z[:, seg]                                                   # [k, h, w]
    batch = keep[..., None] * x + (1.0 - keep[..., None]) * _fill(x, fill)
    y = class_scores(model, batch, class_index)
    cos = z.sum(1) / np.sqrt(s * np.maximum(z.sum(1), 1e-12))          # cosine with the all-ones vector
    weights = np.exp(-((1.0 - cos) ** 2) / kernel_width ** 2)
    fit = Ridge(alpha=1.0).fit(z, y, sample_weight=weights)
    return fit.coef_.astype(np.float32), float(fit.score(z, y, sample_weight=weights))


def lime(model, images, class_index="auto", samples: int = 500, segments: int = 40, method: str = "slic",
         kernel_width: float = 0.25, fill="mean", seed: int = 0, progress: bool | None = None) -> np.ndarray:
    """LIME-style superpixel maps: each pixel gets its superpixel's weight in a local linear model.

    Args:
      samples: perturbed images per input (capped in fast mode by ``config.samples``).
      segments: roughly how many superpixels (see :func:`superpixels`).
      method: ``"slic"`` or ``"quickshift"``.
      kernel_width: :math:`\\sigma` of the proximity kernel on cosine distance (LIME's image default 0.25).
      fill: what a switched-off superpixel becomes: ``"mean"`` or a number.
      seed: seed of the random on/off patterns.
    """
    x, cls, _ = prepare(model, images, class_index)
    out = np.zeros(x.shape[:3], dtype=np.float32)
    with progress_bar(len(x), "LIME", progress) as bar:
        for i in range(len(x)):
            seg = superpixels(x[i], segments, method, seed)
            coef, _ = lime_fit(model, x[i], int(cls[i]), seg, samples, kernel_width, fill, seed + i)
            out[i] = coef[seg]
            bar.update(1)
    return finish(out, "lime")

