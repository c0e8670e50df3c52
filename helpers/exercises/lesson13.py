"""Lesson 13 exercise: does a unit's label hold at a stricter threshold, on fresh images?"""

from __future__ import annotations

from helpers.exercises import Exercise

SOLUTION = """fresh = dissection.dissect(spec, last, N_FRESH, seed=FRESH_SEED)
answer = fresh.label(EX_UNIT, 0.08) or "none"     # label() gives None for no detector"""

NONE_WORDS = {"none", "no detector", "no", "no label", ""}


def _norm(answer) -> str:
    if answer is False:
        return "none"
    text = str(answer).strip().lower()
    return "none" if text in NONE_WORDS else text


def label_holds_exercise(spec, layer: str, unit: int, n_fresh: int, fresh_seed: int, old,
                         threshold: float = 0.08) -> Exercise:
    """Check the label of ``unit`` of ``layer`` at IoU >= ``threshold`` on ``n_fresh`` fresh images (``fresh_seed``).

    ``old`` is the lesson's :class:`helpers.dissection.Dissection` of the same layer (other images).
    The answer is a concept name, or ``"none"`` when the unit is no detector there. Named wrong answers:
    the label on the lesson's images (``old``) at the threshold, and the label on fresh images at 0.04.
    """
    from helpers.dissection import dissect

    fresh = dissect(spec, layer, n_fresh, fresh_seed, progress=False)
    want = _norm(fresh.label(unit, threshold) or "none")
    before = old.label(unit, old.threshold) or "none"
    iou_fresh, iou_old = float(fresh.best_iou[unit]), float(old.best_iou[unit])
    best_fresh = fresh.concepts[fresh.best[unit]]
    wrong = {
        _norm(old.label(unit, threshold) or "none"):
            "is the label on the lesson's images; the question is about the fresh ones.",
        _norm(fresh.label(unit, 0.04) or "none"): f"is the label at IoU >= 0.04; use {threshold:g}.",
    }

    def check(answer):
        got = _norm(answer)
        if got == want:
            held = "holds" if want == _norm(before) else "does not hold"
            return True, (f"on {n_fresh} fresh images {layer}:{unit}'s best concept is {best_fresh} with IoU "
                          f"{iou_fresh:.3f} (on the lesson's images: {old.concepts[old.best[unit]]}, {iou_old:.3f}); "
                          f"at IoU >= {threshold:g} its label is {want!r}, so the label {before!r} "
                          f"{held}. A label is a measurement with a threshold: report the IoU with it.")
        if got in wrong and got != want:
            return False, f"{answer!r} {wrong[got]}"
        return False, f"{answer!r} is not the label dissect gives on the fresh images at IoU >= {threshold:g}."

    return Exercise("Does the label hold?", check,
                    hint=f"dissect(..., seed=FRESH_SEED) measures the fresh images once; label(unit, {threshold:g}) "
                    "reads any threshold from it (None: no detector, answer 'none').",
                    solution=SOLUTION)
