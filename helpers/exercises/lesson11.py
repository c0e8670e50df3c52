"""Lesson 11 exercise: one point of a deletion curve, computed by hand."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise


def deletion_point_exercise(model, image, class_index: int, saliency_map, count: int) -> Exercise:
    """Check the class probability after the ``count`` most important pixels of ``saliency_map`` are deleted.

    A deleted pixel takes its value in :func:`helpers.faithfulness.blurred`'s
    copy of ``image``; the order is ``np.argsort(-map.ravel(), kind="stable")`` (the
    helper's random tie order is accepted too). Named wrong answers: the
    least important pixels deleted first, black instead of the blurred copy,
    the logit instead of the probability, and the drop from the intact
    image's probability instead of the probability itself.
    """
    from helpers.faithfulness import blurred, pixel_order
    from helpers.perturbation import class_scores

    x = np.asarray(image, dtype=np.float32)
    m = np.asarray(saliency_map, dtype=np.float64)
    if m.shape != x.shape[:2]:
        raise ValueError(f"the map {m.shape} must match the image's {x.shape[:2]}")
    soft = blurred(x[None])[0]

    def deleted(order, fill):
        out = x.reshape(-1, x.shape[-1]).copy()
        out[order[:count]] = fill.reshape(-1, x.shape[-1])[order[:count]]
        return out.reshape(x.shape)

    flat = m.ravel()
    top = np.argsort(-flat, kind="stable")
    helper = pixel_order(m[None])[0]
    bottom = np.argsort(flat, kind="stable")
    batch = np.stack([deleted(top, soft), deleted(helper, soft), deleted(bottom, soft),
                      deleted(top, np.zeros_like(x)), x])
    p = class_scores(model, batch, class_index, score="probability")
    z_top = float(class_scores(model, batch[:1], class_index)[0])
    want, want_helper, least, black, intact = (float(v) for v in p)

    def close(a, b):
        return abs(a - b) <= 1e-3

    def check(answer):
        value = float(answer)
        if close(value, want) or close(value, want_helper):
            return True, (f"with its top {count} pixels blurred the image keeps a probability of {want:.3f} "
                          f"(intact: {intact:.3f}). A deletion curve is this number at every step.")
        if close(value, least):
            return False, "you deleted the least important pixels first; sort the map in decreasing order."
        if close(value, black):
            return False, "those pixels were set to black; give them their values in the blurred copy."
        if close(value, z_top) and not close(z_top, want):
            return False, "that is the logit; the curves use the class probability (the model's output)."
        if close(value, intact - want):
            return False, "that is the drop from the intact image; give the probability itself."
        if close(value, intact):
            return False, "that is the intact image's probability: no pixel was deleted."
        return False, f"{value:.3f} is not it."

    return Exercise(
        "one point of a deletion curve", check,
        hint="Work on flat copies: `image.reshape(-1, 3)` and the blurred copy reshaped the same way; the first "
        f"{count} indices of the sorted order say which rows to copy over. Then ask the model for the class.",
        solution=f"""order = np.argsort(-maps1["saliency"][0].ravel(), kind="stable")[:{count}]
flat, soft = x[0].reshape(-1, 3).copy(), faithfulness.blurred(x[:1])[0].reshape(-1, 3)
flat[order] = soft[order]
answer = float(np.asarray(model(flat.reshape(x[0].shape)[None]))[0, y[0]])""")
