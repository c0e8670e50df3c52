"""Concept masks for network dissection, derived from the shapes generator's object masks.

Network dissection (Bau et al. 2017) needs, for every image, a pixel mask of
every concept a unit might detect. The Broden data set of the paper gives them
for photos; the shapes world gives them for free: :func:`helpers.shapes.make_shapes`
returns each image's class and the exact pixels of its object, and every
concept below is computed from those (and from the image's own pixel colours).
Nothing is annotated by hand, so every mask is exact up to its written definition.

Concepts, by kind (:data:`CONCEPTS` maps each name to its kind):

* **object** (8): ``circle`` ... ``star``: the object's pixels when the image's
  class is that shape, empty otherwise.
* **part** (4), for any shape:

  - ``edge``: the outline band, pixels within :data:`BAND` px of the object's
    boundary on either side (a band about ``2 * BAND`` px wide; thin objects such
    as stripes are all edge);
  - ``interior``: object pixels more than :data:`BAND` px inside the boundary;
  - ``hole``: background enclosed by the object, at least 3 px across (the ring's
    hole; empty for the other shapes, whose drawing can leave a one-pixel pinhole);
  - ``corners``: pixels within :data:`BAND` px of a *corner point*, an object pixel
    where the object covers less than :data:`CORNER_FILL` of the ``CORNER_WINDOW`` x
    ``CORNER_WINDOW`` window around it: the points of stars and triangles, the corners
    of squares, plus arms and stripes (a straight edge covers about 4/7 of the
    window, a right-angled corner 1/3).
* **colour** (7): the object's pixels by colour name: ``grey`` when a pixel's
  saturation ``(max - min) / max`` is below :data:`GREY_SATURATION` (greys,
  near-white and near-black), otherwise the nearest of six hues, 60 degrees apart:
  ``red``, ``yellow``, ``green``, ``cyan``, ``blue``, ``magenta``. The background
  (a smooth, low-contrast random field) is left out: a colour of the whole image
  would cover about a tenth of all pixels, and a unit's top 0.5 % could then reach an
  IoU of at most about 0.05 with it (:func:`colour_names` names any pixel).
* **background** (1): ``background``, every pixel outside the object.
"""

from __future__ import annotations

import numpy as np

from helpers.shapes import CLASS_NAMES

PARTS = ("edge", "interior", "hole", "corners")
COLOURS = ("red", "yellow", "green", "cyan", "blue", "magenta", "grey")
#: Every concept name and its kind, in a fixed order (the columns of a dissection's IoU table).
CONCEPTS: dict[str, str] = {**{c: "object" for c in CLASS_NAMES}, **{p: "part" for p in PARTS},
                            **{c: "colour" for c in COLOURS}, "background": "background"}
KINDS = ("object", "part", "colour", "background")
#: Half-width of the edge band, in pixels.
BAND = 2
#: Corner rule: the share of the window the object may cover, and the window's side.
CORNER_FILL, CORNER_WINDOW = 0.4, 7
#: Below this saturation a pixel is "grey".
GREY_SATURATION = 0.25


def check_concepts(names) -> list[str]:
    """``names`` as a list of known concept names (all of them for ``None``); an unknown one lists the valid ones."""
    if names is None:
        return list(CONCEPTS)
    names = [names] if isinstance(names, str) else list(names)
    bad = [n for n in names if n not in CONCEPTS]
    if bad or not names:
        what = f"unknown concept {bad[0]!r}" if bad else "give at least one concept name"
        raise ValueError(f"{what}; valid concepts: {', '.join(CONCEPTS)}")
    return names


def _box_mean(m: np.ndarray, side: int) -> np.ndarray:
    """Mean of ``m`` [n, h, w] over a ``side`` x ``side`` window around each pixel (zero padding)."""
    r = side // 2
    p = np.pad(m.astype(np.float32), ((0, 0), (r + 1, r), (r + 1, r)))
    c = p.cumsum(1).cumsum(2)
    s = c[:, side:, side:] - c[:, :-side, side:] - c[:, side:, :-side] + c[:, :-side, :-side]
    return s / float(side * side)


def _grow(m: np.ndarray, r: int) -> np.ndarray:
    """Dilation of ``m`` [n, h, w] by a (2r+1)-square (any pixel in the window)."""
    return _box_mean(m, 2 * r + 1) > 1e-6


def _shrink(m: np.ndarray, r: int) -> np.ndarray:
    """Erosion of ``m`` [n, h, w] by a (2r+1)-square (all pixels in the window), outside counted as empty."""
    return _box_mean(m, 2 * r + 1) > 1 - 1e-6


def colour_names(images: np.ndarray) -> np.ndarray:
    """Index into :data:`COLOURS` of every pixel of ``images`` [n, h, w, 3] in [0, 1] (see the module's rule)."""
    x = np.asarray(images, dtype=np.float32)
    hi, lo = x.max(-1), x.min(-1)
    sat = (hi - lo) / np.maximum(hi, 1e-6)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    hue = np.degrees(np.arctan2(np.sqrt(3.0) * (g - b), 2 * r - g - b)) % 360.0  # 0 red, 120 green, 240 blue
    idx = np.round(hue / 60.0).astype(np.int64) % 6
    return np.where(sat < GREY_SATURATION, len(COLOURS) - 1, idx)


def concept_masks(images: np.ndarray, labels: np.ndarray, masks: np.ndarray, names=None) -> dict[str, np.ndarray]:
    """Boolean masks ``{concept: [n, h, w]}`` of ``names`` (default: every concept) for a batch of shapes images.

    Args:
      images: ``[n, h, w, 3]`` in [0, 1], as :func:`helpers.shapes.make_shapes` draws them.
      labels: ``[n]`` class indices.
      masks: ``[n, h, w]`` object masks.
      names: concept names (see the module docstring); an unknown one lists the valid ones.
    """
    from scipy import ndimage

    names = check_concepts(names)
    m = np.asarray(masks, dtype=bool)
    labels = np.asarray(labels)
    if m.ndim != 3 or len(labels) != len(m) or np.shape(images)[:3] != m.shape:
        raise ValueError(f"expected images [n, h, w, 3], labels [n] and masks [n, h, w]; got "
                         f"{np.shape(images)}, {labels.shape} and {m.shape}")
    out: dict[str, np.ndarray] = {}
    colour = colour_names(images) if any(CONCEPTS[n] == "colour" for n in names) else None
    inner = _shrink(m, BAND) & m if {"edge", "interior"} & set(names) else None
    for name in names:
        kind = CONCEPTS[name]
        if kind == "object":
            out[name] = m & (labels == CLASS_NAMES.index(name))[:, None, None]
        elif kind == "colour":
            out[name] = m & (colour == COLOURS.index(name))
        elif name == "background":
            out[name] = ~m
        elif name == "interior":
            out[name] = inner
        elif name == "edge":
            out[name] = _grow(m, BAND) & ~inner
        elif name == "hole":
            filled = ndimage.binary_fill_holes(m, structure=np.array([[[0] * 3] * 3, [[0, 1, 0], [1, 1, 1], [0, 1, 0]],
                                                                      [[0] * 3] * 3], dtype=bool))
            hole = filled & ~m
            out[name] = _grow(_shrink(hole, 1), 1) & hole  # opening: drops pinholes under 3 px across
        else:  # corners
            out[name] = _grow(m & (_box_mean(m, CORNER_WINDOW) < CORNER_FILL), BAND)
    return out


def concepts_figure(images, labels, masks, index: int, cell: float = 1.6):
    """One image and every concept's mask on it (white = in the concept), titled by name."""
    from helpers import plotting

    i = int(index)
    if not 0 <= i < len(images):
        raise ValueError(f"image {index} out of range 0..{len(images) - 1}")
    c = concept_masks(images[i:i + 1], np.asarray(labels)[i:i + 1], np.asarray(masks)[i:i + 1])
    cells = [images[i]] + [c[name][0].astype(np.float32) for name in CONCEPTS]
    titles = [f"image ({CLASS_NAMES[int(labels[i])]})"] + [f"{name}\n[{CONCEPTS[name]}]" for name in CONCEPTS]
    return plotting.image_grid(cells, titles, cols=7, cell=cell, cmap="gray", vmin=0, vmax=1)
