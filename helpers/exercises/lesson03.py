"""Lesson 03 exercise: one round of small-norm clipping (Yosinski et al. 2015) by hand."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise


def _clip_small(img, dist, grey=0.5):
    keep = dist >= np.median(dist)
    return np.where(keep[..., None], img, grey)


def norm_clip_exercise(img) -> Exercise:
    """Set to grey every pixel of ``img`` whose colour distance from grey is strictly below the median.

    ``img`` is one image ``[h, w, 3]`` in [0, 1]; the distance of pixel
    :math:`(i, j)` is :math:`\\lVert x_{ij} - \\tfrac12\\rVert_2` over the
    colour channels. The answer is the clipped image.
    """
    img = np.asarray(img, np.float32)
    if img.ndim != 3:
        raise ValueError(f"img must be one image [height, width, channels]; got shape {img.shape}")
    dist = np.linalg.norm(img - 0.5, axis=-1)
    truth = _clip_small(img, dist)
    wrong = {  # plausible mistakes, each with its own message
        "per value": np.where(np.abs(img - 0.5) >= np.median(np.abs(img - 0.5)), img, 0.5),
        "black": np.where((dist >= np.median(dist))[..., None], img, 0.0),
        "inverted": np.where((dist < np.median(dist))[..., None], img, 0.5),
        "from black": _clip_small(img, np.linalg.norm(img, axis=-1)),
    }
    messages = {
        "per value": "You compared each colour value on its own; the rule compares whole pixels, by the length "
                     "of the colour vector x_ij - 0.5 over the three channels,"
                     " so a pixel is kept or greyed as a whole.",
        "black": "The small pixels should become grey (0.5 in every channel), not black: grey is the image's "
                 "'nothing here' colour, the one decay pulls toward.",
        "inverted": "You kept the pixels closest to grey and greyed the strong ones; it is the other way round.",
        "from black": "Measure the distance from grey (0.5), not from black (0): a dark pixel is a strong one.",
    }

    def check(answer):
        a = np.asarray(answer, np.float32)
        if a.shape != img.shape:
            return False, f"The answer must be an image shaped like img, {img.shape}; got {a.shape}."
        if np.allclose(a, truth, atol=1e-4):
            n = int((dist < np.median(dist)).sum())
            return True, (f"{n} of {dist.size} pixels became grey; what is left is the image's strongest half, "
                          "which is why norm clip sprinkles grey through the speckle.")
        for key, w in wrong.items():
            if np.allclose(a, w, atol=1e-4):
                return False, messages[key]
        if np.allclose(a, img, atol=1e-4):
            return False, "This is img unchanged: half of its pixels should have become grey."
        off = int(np.any(np.abs(a - truth) > 1e-4, axis=-1).sum())
        return False, f"{off} of {dist.size} pixels differ from the clipped image."

    return Exercise(
        "small-norm clipping",
        check,
        hint="First compute one distance per pixel (an array of shape [h, w]); then decide, pixel by pixel, "
             "whether all three of its channels stay or become 0.5.",
        solution="dist = np.linalg.norm(img - 0.5, axis=-1)\n"
                 "answer = np.where((dist >= np.median(dist))[..., None], img, 0.5)",
    )
