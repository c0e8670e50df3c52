"""Lesson 11 exercise: occlude one patch by hand and measure the score drop."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise


def occlusion_exercise(spec, image, class_index: int, row: int, col: int, patch: int) -> Exercise:
    """Check the drop of the class logit when one ``patch`` x ``patch`` square is filled with the image's mean colour.

    The square's top-left corner is ``(row, col)``. The answer is
    :math:`z_c(x) - z_c(x_{\\text{occluded}})`, one number, as
    :func:`helpers.perturbation.occlusion` computes it for each patch.
    """
    from helpers.perturbation import class_scores

    x = np.asarray(image, dtype=np.float32)
    h, w = x.shape[:2]
    if not (0 <= row <= h - patch and 0 <= col <= w - patch):
        raise IndexError(f"the patch at ({row}, {col}) must lie inside the image: row 0..{h - patch}, col 0..{w - patch}")
    hidden = x.copy()
    hidden[row:row + patch, col:col + patch] = x.mean(axis=(0, 1))
    z = class_scores(spec.model, np.stack([x, hidden]), class_index)
    p = class_scores(spec.model, np.stack([x, hidden]), class_index, score="probability")
    black = x.copy()
    black[row:row + patch, col:col + patch] = 0.0
    z_black = class_scores(spec.model, black[None], class_index)[0]
    want = float(z[0] - z[1])

    def check(answer):
        value = float(answer)
        if abs(value - want) <= 1e-3 * max(1.0, abs(want)):
            return True, f"hiding that patch lowers the logit by {value:.3f}."
        if abs(value + want) <= 1e-3 * max(1.0, abs(want)) and want != 0:
            return False, "the sign is reversed: give the score of the intact image minus that of the occluded one."
        if abs(value - float(p[0] - p[1])) < 1e-4:
            return False, "that is the drop of the probability; use the logit (spec.logits_model)."
        if abs(value - float(z[0] - z_black)) <= 1e-3 * max(1.0, abs(want)):
            return False, "that patch was filled with black; fill it with the image's mean colour."
        return False, f"{value:.3f} is not it."

    return Exercise(
        "occlusion by hand", check,
        hint="Section 1's scratch cell hides many patches at once; do it for this one patch only, "
        "on a copy of the image, and compare the two logits.",
        solution=f"""hidden = image.copy()
hidden[{row}:{row + patch}, {col}:{col + patch}] = image.mean(axis=(0, 1))
z = np.asarray(spec.logits_model(np.stack([image, hidden])))[:, cls]
answer = float(z[0] - z[1])""")
