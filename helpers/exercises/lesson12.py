"""Lesson 12 exercise: on images whose tag lies, how much of the cheat's Grad-CAM falls on the tag?"""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise

SOLUTION = """maps = attribution.grad_cam(cheat.model, lying.with_cue)      # explains the predicted class
answer = float(energy_in_mask(maps, lying.cue_masks).mean())"""

#: How far an answer may be from the mean share (two decimals are enough).
TOLERANCE = 0.006


def lying_tag_exercise(cheat_model, honest_model, lying) -> Exercise:
    """Check the mean share of ``cheat_model``'s Grad-CAM (predicted class) on the tags of ``lying``.

    ``lying`` is a :class:`helpers.shortcut.CueData` whose tags all have
    another class's colour (``make_cue_shapes(..., agreement=0.0)``). The
    answer is the mean over its images of :math:`E_{tag}` (energy in the
    tag mask) of Grad-CAM for the class the cheat predicts. Named wrong
    answers: Grad-CAM of the true class, the share on the object's mask
    instead of the tag's, the honest twin's maps, and a percentage.
    """
    from helpers import attribution
    from helpers.metrics import energy_in_mask

    x = lying.with_cue
    pred = np.asarray(cheat_model.predict(x, batch_size=256, verbose=0)).argmax(1)
    maps = attribution.grad_cam(cheat_model, x)
    want = float(energy_in_mask(maps, lying.cue_masks).mean())
    wrong = {
        "true": (float(energy_in_mask(attribution.grad_cam(cheat_model, x, lying.labels), lying.cue_masks).mean()),
                 "is Grad-CAM of the true shape; explain the class the cheat predicts (grad_cam's default)."),
        "object": (float(energy_in_mask(maps, lying.masks).mean()),
                   "is the share on the object's mask; E_tag needs the tag's pixels, lying.cue_masks."),
        "twin": (float(energy_in_mask(attribution.grad_cam(honest_model, x), lying.cue_masks).mean()),
                 "is the honest twin's share; the question is about the cheat."),
    }
    follows = float(np.mean(pred == lying.cue_classes))
    named_true = float(np.mean(pred == lying.labels))

    def check(answer):
        value = float(answer)
        if abs(value - want) <= TOLERANCE:
            return True, (f"on images whose tag lies, the cheat names the tag's class on {follows:.0%} of them "
                          f"(the true shape on {named_true:.0%}), and its Grad-CAM puts {want:.0%} of the map on "
                          f"the tag, {want / lying.cue_masks.mean():.0f} times the tag's area. The map points at "
                          "the reason for the wrong answer.")
        if 1.0 < value <= 100.0 and abs(value / 100 - want) <= TOLERANCE:
            return False, "that looks like a percentage; give a fraction between 0 and 1."
        for got, message in wrong.values():
            if abs(value - got) <= TOLERANCE and abs(got - want) > TOLERANCE:
                return False, f"{value:.3f} {message}"
        if not 0.0 <= value <= 1.0:
            return False, "a share of a map is a fraction between 0 and 1."
        return False, f"{value:.3f} is not the mean share; compute E_tag for each image, then average."

    return Exercise(
        "Grad-CAM on a lying tag", check,
        hint="Section 5 computed E_tag for one map: which mask holds the tag's pixels, and which class "
        "does grad_cam explain when you give it none?",
        solution=SOLUTION)
