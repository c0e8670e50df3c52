"""Lesson 10 exercise: a map computed from the image alone, scored by the pointing game and the sanity check."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise


def edge_maps(images) -> np.ndarray:
    """The size of the brightness gradient of each image ``[n, h, w]``: a map that never looks at a model."""
    grey = np.asarray(images, dtype=np.float32).mean(axis=-1)
    gr, gc = np.gradient(grey, axis=(1, 2))
    return np.hypot(gr, gc)


def edge_map_exercise(images, masks, tolerance: int = 3, images_name: str = "x", masks_name: str = "masks",
                      tolerance_name: str = "TOLERANCE") -> Exercise:
    """Check ``(hit_rate, passes)`` for the edge map of ``images``.

    ``hit_rate`` is :func:`helpers.metrics.pointing_game`'s mean with
    ``tolerance`` px of slack (within 0.001); ``passes`` must be ``False``:
    the edge map is the same for a trained and a random network (Spearman 1
    at every stage), so it fails the model-randomization sanity check however
    well it points. Named wrong answers: ``passes=True`` (plausible, so
    faithful), the hit rate without slack, the hit rate of the first tied peak
    only or of any tied peak, a count or a percentage instead of a fraction.
    ``*_name`` are the expressions for the arguments in the lesson's
    namespace: the solution is written with them, so it runs there.
    """
    from helpers import metrics

    masks = np.asarray(masks, dtype=bool)
    edges = edge_maps(images)
    want = float(metrics.pointing_game(edges, masks, tolerance).mean())
    strict = float(metrics.pointing_game(edges, masks, 0).mean()) if tolerance else None
    grown = metrics.dilate(masks, tolerance)
    first = float(np.mean([bool(g.flat[e.argmax()]) and e.max() > 0 for e, g in zip(edges, grown)]))
    anyone = float(np.mean([bool(g[e == e.max()].any()) and e.max() > 0 for e, g in zip(edges, grown)]))
    n = len(edges)

    def rate_problem(value):
        if abs(value - want) <= 1e-3:
            return None
        if strict is not None and abs(value - strict) <= 1e-3:
            return f"{value:.3f} is the hit rate with no slack; the task asks for {tolerance} px (TOLERANCE)."
        if abs(value - first) <= 1e-3:
            return "np.argmax keeps only the first of the tied maxima; every tied maximum must be on the object."
        if abs(value - anyone) <= 1e-3:
            return "you counted a hit when one of the tied maxima is on the object; all of them must be."
        if abs(value - want * n) <= 0.5:
            return f"that is the number of hits; divide by the {n} images."
        if abs(value - 100 * want) <= 0.1:
            return "that is a percentage; give a fraction between 0 and 1."
        return f"the hit rate {value:.3f} is not it: compare with the pointing table of section 1."

    def check(answer):
        if not isinstance(answer, (tuple, list)) or len(answer) != 2:
            return False, "give a pair: answer = (hit_rate, passes), e.g. (0.5, True)."
        rate, passes = float(answer[0]), answer[1]
        if not isinstance(passes, (bool, np.bool_)):
            return False, "the second item must be True or False."
        problem = rate_problem(rate)
        if problem:
            return False, problem
        if passes:
            return False, (f"the hit rate is right ({rate:.3f}), but the edge map is computed from the image alone: "
                           "randomize every weight and it stays exactly the same (Spearman 1 at every stage), so it "
                           "fails the sanity check. Pointing well made it plausible, not faithful.")
        return True, (f"the edge map points at the object in {want:.1%} of the images, as well as the methods of "
                      "section 1, yet it knows nothing about the network and fails the sanity check: plausible, "
                      "not faithful.")

    return Exercise(
        "a map that never looks at the model", check,
        hint="Build `edges` as the task says and score it with `metrics.pointing_game` as section 1 scored the "
        "methods. For `passes`: what happens to `edges` when every weight of the network is randomized?",
        solution=f"""grey = {images_name}.mean(axis=-1)
gr, gc = np.gradient(grey, axis=(1, 2))
edges = np.hypot(gr, gc)
answer = (float(metrics.pointing_game(edges, {masks_name}, {tolerance_name}).mean()), False)""")
