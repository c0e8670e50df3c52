"""Lesson 13 exercise: does a unit's label hold on fresh images?"""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise

SOLUTION = """fresh = dissection.dissect(spec, last, N_FRESH, seed=FRESH_SEED, threshold=THRESHOLD)
answer = round(float(fresh.best_iou[EX_UNIT]), 3)     # its best IoU on the fresh images"""

TOLERANCE = 0.0015


def pick_unit(old, fresh, n_near: int = 8) -> int:
    """Among the ``n_near`` detectors of ``old`` closest above its threshold, the unit whose best IoU moves most
    on ``fresh`` (so the printed IoU is no answer); unit 0 if ``old`` has no detector."""
    cand = np.flatnonzero(old.detectors())
    if not len(cand):
        return 0
    near = cand[np.argsort(old.best_iou[cand], kind="stable")[:n_near]]
    return int(near[np.argmax(np.abs(fresh.best_iou[near] - old.best_iou[near]))])


def label_holds_exercise(spec, layer: str, n_fresh: int, fresh_seed: int, old) -> Exercise:
    """Ask for a unit's best IoU on ``n_fresh`` fresh images (``fresh_seed``), threshold as in ``old``.

    ``old`` is the lesson's :class:`helpers.dissection.Dissection` of ``layer`` (other images). The unit is
    :func:`pick_unit`'s, in ``q.unit``. The answer is a number (tolerance 0.0015). Named wrong answers:
    the IoU on the lesson's images, the fresh IoU of the old best concept when the best concept changed.
    """
    from helpers.dissection import dissect

    fresh = dissect(spec, layer, n_fresh, fresh_seed, threshold=old.threshold, progress=False)
    unit = pick_unit(old, fresh)
    want = float(fresh.best_iou[unit])
    iou_old = float(old.best_iou[unit])
    before, after = old.label(unit) or "none", fresh.label(unit) or "none"
    old_concept = old.concepts[old.best[unit]]
    on_old_concept = float(fresh.iou[unit, old.best[unit]])
    t = old.threshold
    from helpers.claims import claim

    claim("how far the exercise unit's IoU moves on the fresh images (the printed IoU is no answer)",
          abs(want - iou_old), at_least=2 * TOLERANCE, quiet=True)

    def check(answer):
        try:
            got = float(answer)
        except (TypeError, ValueError):
            return False, f"{answer!r} is not a number: answer the unit's best IoU on the fresh images, e.g. 0.05."
        if abs(got - want) <= TOLERANCE:
            held = "holds" if after == before else "does not hold"
            return True, (f"on {n_fresh} fresh images {layer}:{unit}'s best concept is "
                          f"{fresh.concepts[fresh.best[unit]]} with IoU {want:.3f} (on the lesson's images: "
                          f"{old_concept}, {iou_old:.3f}); at IoU >= {t:g} its label is {after!r}, so the label "
                          f"{before!r} {held}. A label near the threshold is a measurement with noise: report the "
                          "IoU and the number of images with it.")
        if abs(got - iou_old) <= TOLERANCE:
            return False, f"{answer!r} is the IoU on the lesson's images; the question is about the fresh ones."
        if abs(got - on_old_concept) <= TOLERANCE and abs(on_old_concept - want) > TOLERANCE:
            return False, (f"{answer!r} is the fresh IoU of {old_concept}, the old best concept; the best concept "
                           "on the fresh images is another one.")
        return False, f"{answer!r} is not {layer}:{unit}'s best IoU on the fresh images (tolerance {TOLERANCE:g})."

    q = Exercise("Does the label hold?", check,
                 hint="dissect(spec, last, N_FRESH, seed=FRESH_SEED, threshold=THRESHOLD) measures the fresh images; "
                 "its best_iou[EX_UNIT] "
                 "is the unit's highest IoU over the 20 concepts.",
                 solution=SOLUTION)
    q.unit = unit
    return q
