"""The offline "shapes" world: procedurally drawn objects with ground-truth masks.

Every image holds one object (a circle, square, triangle, ring, plus,
horizontal stripes, vertical stripes or a star) at a random position, size and
colour, on a smooth random colour field with pixel noise. Because the drawing
code knows exactly which pixels belong to the object, every image comes with a
boolean mask, and the course can *measure* whether a heatmap points at the
object instead of only looking at it.

Run ``python -m helpers.shapes --help`` (or ``make train-shapes``) to retrain the
course's shapes CNNs; see :mod:`helpers.train`.
"""

from __future__ import annotations

import numpy as np

from helpers import config

CLASS_NAMES = (
    "circle",
    "square",
    "triangle",
    "ring",
    "plus",
    "horizontal stripes",
    "vertical stripes",
    "star",
)
NUM_CLASSES = len(CLASS_NAMES)

#: Object radius as a fraction of the image side (min, max).
RADIUS_RANGE = (0.12, 0.22)
_CHUNK = 512


def _mask_for(label: int, dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Object mask in normalised coordinates (radius 1 = the object's half-size).

    ``dx`` and ``dy`` have shape [k, h, w] and measure the distance from the
    object's centre in units of its radius (``dy`` grows downwards).
    """
    d = np.sqrt(dx**2 + dy**2)
    ax, ay = np.abs(dx), np.abs(dy)
    name = CLASS_NAMES[label]
    if name == "circle":
        return d <= 1.0
    if name == "square":
        return np.maximum(ax, ay) <= 0.85
    if name == "triangle":  # apex up, base down
        inside_y = (dy >= -0.95) & (dy <= 0.8)
        half_width = (dy + 0.95) / 1.75 * 1.0
        return inside_y & (ax <= half_width)
    if name == "ring":
        return (d <= 1.0) & (d >= 0.6)
    if name == "plus":
        arm = 0.3
        return ((ax <= arm) & (ay <= 1.0)) | ((ay <= arm) & (ax <= 1.0))
    if name in ("horizontal stripes", "vertical stripes"):
        along = dy if name == "horizontal stripes" else dx
        box = np.maximum(ax, ay) <= 0.95
        band = np.floor((along + 0.95) / (1.9 / 5)).astype(int)
        return box & (band % 2 == 0)
    if name == "star":  # five points, radius swinging between 1 and 0.42
        theta = np.arctan2(dx, -dy)
        phase = (theta / (2 * np.pi) * 5) % 1.0
        tri = np.abs(phase - 0.5) * 2  # 1 at the points, 0 between them
        return d <= 0.42 + 0.58 * tri
    raise ValueError(f"unknown class index {label}")


def _smooth_field(rng: np.random.Generator, n: int, size: int, grid: int = 4) -> np.ndarray:
    """Smooth random colour fields, [n, size, size, 3], by bilinear upsampling."""
    coarse = rng.uniform(0.0, 1.0, size=(n, grid, grid, 3)).astype(np.float32)
    pos = np.linspace(0, grid - 1, size, dtype=np.float32)
    i0 = np.clip(np.floor(pos).astype(int), 0, grid - 2)
    t = (pos - i0)[None, :, None]
    rows = coarse[:, i0] * (1 - t[..., None]) + coarse[:, i0 + 1] * t[..., None]
    t2 = (pos - i0)[None, None, :, None]
    return rows[:, :, i0] * (1 - t2) + rows[:, :, i0 + 1] * t2


def make_shapes(
    n: int,
    seed: int = 0,
    size: int = 64,
    classes: list[int] | None = None,
    noise: float = 0.04,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw ``n`` labelled images of simple shapes with their masks.

    Args:
      n: number of images.
      seed: every random choice (class, position, size, colours, noise)
        comes from this seed, so the same seed gives the same images.
      size: image side in pixels (at least 16).
      classes: optional list of class indices to draw from (default: all 8).
      noise: standard deviation of the per-pixel noise.

    Returns:
      ``(images, labels, masks)``: float32 ``[n, size, size, 3]`` in [0, 1],
      int64 ``[n]`` and bool ``[n, size, size]`` (the object's pixels).
    """
    if int(n) < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if int(size) < 16:
        raise ValueError(f"size must be at least 16 pixels, got {size}")
    n, size = int(n), int(size)
    pool = np.arange(NUM_CLASSES) if classes is None else np.asarray(classes, dtype=int)
    if pool.size == 0 or pool.min() < 0 or pool.max() >= NUM_CLASSES:
        raise ValueError(f"classes must be indices in 0..{NUM_CLASSES - 1}, got {classes}")
    rng = config.rng(seed)
    labels = rng.choice(pool, size=n).astype(np.int64)
    radius = rng.uniform(*RADIUS_RANGE, size=n) * size
    margin = radius + 1
    cx = rng.uniform(margin, size - margin)
    cy = rng.uniform(margin, size - margin)
    # Object colour: a saturated hue; background: a field pushed away from it.
    obj_color = rng.uniform(0.0, 1.0, size=(n, 3)).astype(np.float32)
    obj_color[np.arange(n), rng.integers(0, 3, n)] = rng.uniform(0.75, 1.0, n)
    obj_color[np.arange(n), rng.integers(0, 3, n)] *= 0.35
    contrast = np.where(obj_color.mean(1) > 0.5, -0.18, 0.18).astype(np.float32)
    images = np.empty((n, size, size, 3), dtype=np.float32)
    masks = np.empty((n, size, size), dtype=bool)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    for start in range(0, n, _CHUNK):  # chunks keep the working set in cache
        sl = slice(start, min(n, start + _CHUNK))
        crng = config.rng([seed, start])
        k = sl.stop - sl.start
        background = 0.25 + 0.5 * _smooth_field(crng, k, size)  # mid-range, low contrast
        background = np.clip(background + contrast[sl, None, None, None], 0, 1)
        r = radius[sl, None, None].astype(np.float32)
        dx = (xx[None] - cx[sl, None, None].astype(np.float32)) / r
        dy = (yy[None] - cy[sl, None, None].astype(np.float32)) / r
        m = np.zeros((k, size, size), dtype=bool)
        lab = labels[sl]
        for label in np.unique(lab):
            idx = np.flatnonzero(lab == label)
            m[idx] = _mask_for(int(label), dx[idx], dy[idx])
        shade = 0.85 + 0.15 * crng.random((k, size, size, 1), dtype=np.float32)
        img = np.where(m[..., None], obj_color[sl, None, None, :] * shade, background)
        img += noise * crng.standard_normal(img.shape, dtype=np.float32)
        images[sl] = np.clip(img, 0.0, 1.0)
        masks[sl] = m
    return images, labels, masks


def class_index(name_or_index: int | str) -> int:
    """Class index for a name such as ``"star"`` (or an index, checked)."""
    if isinstance(name_or_index, str):
        if name_or_index not in CLASS_NAMES:
            raise ValueError(f"unknown shapes class {name_or_index!r}; valid: {', '.join(CLASS_NAMES)}")
        return CLASS_NAMES.index(name_or_index)
    idx = int(name_or_index)
    if not 0 <= idx < NUM_CLASSES:
        raise ValueError(f"class index {idx} out of range 0..{NUM_CLASSES - 1}")
    return idx
