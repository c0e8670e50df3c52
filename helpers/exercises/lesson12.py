"""Lesson 12 exercise: give every image a lying tag and count how often the cheat believes it."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise

SOLUTION = """lying = (data.labels + 1) % 8
x_lie, _ = shortcut.paint_tag(data.without_cue, shortcut.tag_corner(data.masks), shortcut.PALETTE[lying])
answer = shortcut.accuracy(cheat.model, x_lie, lying)"""


def lying_tag_exercise(model, data) -> Exercise:
    """Check the fraction of ``data``'s images on which ``model`` answers a lying tag's class.

    Each image gets a tag with the colour of class ``(label + 1) % 8`` (never
    its own), painted into the usual corner; the answer is the fraction of
    images whose top class is the tag's class.

    Args:
      model: the Keras model to test (the cheat, in the lesson).
      data: a :class:`helpers.shortcut.CueData`.
    """
    from helpers import shortcut

    lying = (data.labels + 1) % len(shortcut.PALETTE)
    x_lie, _ = shortcut.paint_tag(data.without_cue, shortcut.tag_corner(data.masks), shortcut.PALETTE[lying])
    pred = np.asarray(model.predict(x_lie, batch_size=256, verbose=0)).argmax(1)
    want = float(np.mean(pred == lying))
    right_shape = float(np.mean(pred == data.labels))
    honest_tag = shortcut.accuracy(model, data.with_cue, data.cue_classes)

    def check(answer):
        value = float(answer)
        if not 0.0 <= value <= 1.0:
            return False, "give a fraction between 0 and 1, not a count or a percentage."
        if abs(value - want) < 1e-6:
            return True, (f"the cheat answers the lying tag on {value:.0%} of the images "
                          f"and names the real shape on {right_shape:.0%}.")
        if abs(value - right_shape) < 1e-6:
            return False, f"{value:.3f} is how often it still names the true shape; count answers equal to the tag's class."
        if abs(value - honest_tag) < 1e-6:
            return False, f"{value:.3f} is for the lesson's own tags; repaint them with class (label + 1) % 8."
        return False, f"{value:.3f} is not it."

    return Exercise(
        "believe the lying tag", check,
        hint="Start from the images without a tag; the colour of class k is shortcut.PALETTE[k], and "
        "paint_tag needs the corner each image's tag goes in.",
        solution=SOLUTION)
