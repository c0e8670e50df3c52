"""Lesson 01 exercises."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise


def class_sparsity_exercise(model, batch, labels, layer: str, class_index: int, class_name: str = "") -> Exercise:
    """What fraction of ``layer``'s activations are exactly zero on the images of one class only?

    The checker measures the answer itself (on ``batch[labels == class_index]``),
    independently of the student's code, and accepts a value within 0.005 of it.
    Giving the whole batch's fraction instead is recognised and explained.
    """
    from helpers.activations import get_activations, sparsity

    labels = np.asarray(labels)
    chosen = np.asarray(batch)[labels == int(class_index)]
    if len(chosen) == 0:
        raise ValueError(f"the batch has no image of class {class_index}")
    what = class_name or f"class {class_index}"
    truth = sparsity(get_activations(model, chosen, layer)[layer])
    overall = sparsity(get_activations(model, batch, layer)[layer])

    def check(answer):
        value = float(answer)
        if not 0.0 <= value <= 1.0:
            return False, f"{value} is not a fraction between 0 and 1."
        if abs(value - truth) < 0.005:
            return True, (f"{truth:.1%} of {layer}'s activations are zero on the {len(chosen)} {what} images, "
                          f"against {overall:.1%} on the whole batch.")
        if abs(value - overall) < 0.005:
            return False, f"{value:.3f} is the fraction for the whole batch; keep only the {what} images."
        return False, f"{value:.3f} is not what {layer} gives on the {what} images."

    return Exercise(
        f"zeros of {layer} on the {what} images",
        check,
        hint="Select the images with batch[labels == ex_class], take their activations with "
        "activations.get_activations(spec.model, those_images, layer) and pass them to activations.sparsity.",
        solution="chosen = batch[labels == ex_class]\n"
        "answer = activations.sparsity(activations.get_activations(spec.model, chosen, ex_layer)[ex_layer])",
    )
