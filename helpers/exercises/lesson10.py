"""Lesson 10 exercise: score the pointing game by hand, with its tie rule."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise


def _peak_hits(maps, grown, rule):
    """Per map: is its peak on ``grown``? ``rule``: "all" (every tied maximum), "any", or "first" (np.argmax)."""
    out = []
    for m, g in zip(maps, grown):
        if rule == "first":
            out.append(bool(g[np.unravel_index(m.argmax(), m.shape)]) and m.max() > 0)
        else:
            on = g[m == m.max()]
            out.append(bool(on.all() if rule == "all" else on.any()) and m.max() > 0)
    return np.asarray(out, dtype=np.float64)


def pointing_exercise(maps, masks, tolerance: int = 0, printed_tolerance: int | None = 3, maps_name: str = "maps",
                      masks_name: str = "masks") -> Exercise:
    """Check a student's pointing accuracy for ``maps`` against ``masks`` with ``tolerance`` px of slack.

    The answer is :func:`helpers.metrics.pointing_game`'s mean: a hit needs
    *every* pixel holding the map's maximum to lie within ``tolerance`` px of
    the object, and an all-zero map is a miss. Named wrong answers: looking
    only at ``np.argmax``'s first peak, accepting any one of the tied peaks,
    the score with ``printed_tolerance`` px of slack (the one the lesson
    printed), and a count instead of a fraction. ``maps_name`` and
    ``masks_name`` are the expressions that give ``maps`` and ``masks`` in the
    lesson's namespace: the solution is written with them, so it runs there.
    """
    from helpers import metrics

    maps, masks = np.asarray(maps, dtype=np.float32), np.asarray(masks, dtype=bool)
    grown = metrics.dilate(masks, tolerance)
    want = float(metrics.pointing_game(maps, masks, tolerance).mean())
    first = float(_peak_hits(maps, grown, "first").mean())
    anyone = float(_peak_hits(maps, grown, "any").mean())
    printed = (float(metrics.pointing_game(maps, masks, printed_tolerance).mean())
               if printed_tolerance is not None and printed_tolerance != tolerance else None)

    def check(answer):
        value = float(answer)
        if abs(value - want) < 1e-6:
            return True, f"{value:.3f}: a hit needs every tied maximum on the object."
        if abs(value - first) < 1e-6:
            return False, ("np.argmax returns only the first of the tied maxima; the rule asks for all of them "
                           "to lie on the object.")
        if abs(value - anyone) < 1e-6:
            return False, "you counted a hit when *one* of the tied maxima is on the object; all of them must be."
        if printed is not None and abs(value - printed) < 1e-6:
            return False, f"that is the score with {printed_tolerance} px of slack, printed above; use {tolerance} px."
        if abs(value - want * len(maps)) < 1e-6:
            return False, f"that is the number of hits; divide by the {len(maps)} maps."
        if value > 1.0:
            return False, "give a fraction between 0 and 1, not a count or a percentage."
        return False, f"{value:.3f} is not it."

    grow = f"metrics.dilate({masks_name}, {tolerance})" if tolerance else f"np.asarray({masks_name}, bool)"
    return Exercise(
        "pointing game by hand", check,
        hint="Find *every* pixel that holds a map's maximum (compare the map with its max), then look them all up "
        "in the object's mask.",
        solution=f"""grown = {grow}
hits = [bool(g[m == m.max()].all()) and m.max() > 0 for m, g in zip({maps_name}, grown)]
answer = float(np.mean(hits))""")
