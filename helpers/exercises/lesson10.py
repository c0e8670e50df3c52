"""Lesson 10 exercise: score the pointing game yourself."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise


def pointing_exercise(maps, masks, tolerance: int = 3, maps_name: str = "maps", masks_name: str = "masks") -> Exercise:
    """Check a student's pointing-game accuracy for ``maps`` against ``masks``.

    The answer is the fraction of images whose map peak lies within
    ``tolerance`` pixels of the object, as computed by
    :func:`helpers.metrics.pointing_game`. ``maps_name`` and ``masks_name``
    are the expressions that give ``maps`` and ``masks`` in the lesson's
    namespace: the solution is written with them, so it runs there.
    """
    from helpers import metrics

    maps, masks = np.asarray(maps), np.asarray(masks, dtype=bool)
    want = float(metrics.pointing_game(maps, masks, tolerance).mean())
    strict = float(metrics.pointing_game(maps, masks, 0).mean())
    grown = metrics.dilate(masks, tolerance)
    first_peak = float(np.mean([grown[i][np.unravel_index(maps[i].argmax(), maps[i].shape)] for i in range(len(maps))]))

    def check(answer):
        value = float(answer)
        if abs(value - want) < 1e-6 or abs(value - first_peak) < 1e-6:
            return True, f"{value:.3f} of the maps point at their object."
        if abs(value - strict) < 1e-6 and strict != want:
            return False, f"{value:.3f} is the score without the {tolerance}-pixel tolerance."
        if value > 1.0:
            return False, "give a fraction between 0 and 1, not a count or a percentage."
        return False, f"{value:.3f} is not it."

    return Exercise(
        "pointing game by hand", check,
        hint=f"For each image, find the argmax of the map (np.unravel_index), grow the mask by {tolerance} px "
        "(helpers.metrics.dilate) and look the peak up in it; average the hits.",
        solution=f"""peak_maps, grown = {maps_name}, metrics.dilate({masks_name}, {tolerance})
peak_hits = [grown[i][np.unravel_index(m.argmax(), m.shape)] for i, m in enumerate(peak_maps)]
answer = float(np.mean(peak_hits))""")
