"""Lesson 01 exercises."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise

#: an answer within this distance of the measured fraction passes (stated in the lesson's task text)
TOLERANCE = 0.005


def class_sparsity_exercise(model, batch, labels, layer: str, class_index: int, class_name: str = "") -> Exercise:
    """What fraction of ``layer``'s activations are exactly zero on the images of one class only?

    The checker measures the answer itself (on ``batch[labels == class_index]``),
    independently of the student's code, and accepts a value within
    :data:`TOLERANCE` of it. Named wrong answers get their own message: the
    whole batch's fraction, the fraction of *non*-zero activations, a
    percentage instead of a fraction, and the class's fraction on another
    conv layer.
    """
    from helpers.activations import get_activations, sparsity
    from helpers.models import conv_layer_names

    labels = np.asarray(labels)
    chosen = np.asarray(batch)[labels == int(class_index)]
    if len(chosen) == 0:
        raise ValueError(f"the batch has no image of class {class_index}")
    what = class_name or f"class {class_index}"
    truth = sparsity(get_activations(model, chosen, layer)[layer])
    overall = sparsity(get_activations(model, batch, layer)[layer])
    others = {n: sparsity(a) for n, a in get_activations(model, chosen, [n for n in conv_layer_names(model)
                                                                        if n != layer]).items()}

    def near(a, b):
        return abs(a - b) < TOLERANCE

    def check(answer):
        value = float(answer)
        if near(value, truth):
            return True, (f"{truth:.1%} of {layer}'s activations are zero on the {len(chosen)} {what} images, "
                          f"against {overall:.1%} on the whole batch.")
        if 1.0 < value <= 100.0 and near(value / 100.0, truth):
            return False, f"{value} looks like a percentage; give the fraction, a number between 0 and 1."
        if not 0.0 <= value <= 1.0:
            return False, f"{value} is not a fraction between 0 and 1."
        if near(value, overall):
            return False, f"{value:.3f} is the fraction for the whole batch; keep only the {what} images."
        if near(value, 1.0 - truth):
            return False, (f"{value:.3f} is the fraction of activations that are *not* zero; "
                           "the question asks for the zeros.")
        for n, frac in others.items():
            if near(value, frac):
                return False, f"{value:.3f} is the fraction on {n}, not on {layer}."
        return False, f"{value:.3f} is not what {layer} gives on the {what} images."

    return Exercise(
        f"zeros of {layer} on the {what} images",
        check,
        hint="A boolean array such as labels == ex_class can index the batch. After that it is section 3's "
        "measurement, for one layer.",
        solution="chosen = batch[labels == ex_class]\n"
        "answer = activations.sparsity(activations.get_activations(spec.model, chosen, ex_layer)[ex_layer])",
    )
