"""Lesson 15 exercise: how large an FGSM step must be to break the ROBUST model."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise

SOLUTION = """answer = None
for eps in EPS_LIST:
    attacked = A.fgsm(robust.model, images, labels, eps) if eps > 0 else None
    pred = robust.predict(images).argmax(1) if attacked is None else attacked.adv_pred
    if np.mean(pred == labels) < 0.5:
        answer = eps
        break"""


def _first_below(accuracies: dict, level: float = 0.5):
    for eps in sorted(accuracies):
        if accuracies[eps] < level:
            return eps
    return None


def eps_exercise(robust_model, plain_model, images, labels, eps_list, steps: int = 10, seed: int = 0) -> Exercise:
    """Check the smallest ε of ``eps_list`` at which one FGSM L∞ step brings ``robust_model`` below 50 % accuracy.

    The reference is :func:`helpers.adversarial.fgsm` (cross-entropy). Named wrong answers, each only when it
    differs from the right one: the plain model's ε under the same FGSM, the robust model's ε under PGD
    (``steps`` steps, ``seed``), and an ε where the robust model is still right on half or more of the images.
    """
    from helpers import adversarial as A
    from helpers.attribution.core import logits_model

    y = np.asarray(labels)
    eps_list = sorted(float(e) for e in eps_list)

    def fgsm_acc(model):
        out = {}
        clean = float(np.mean(np.asarray(logits_model(model)(np.asarray(images, np.float32))).argmax(1) == y))
        for e in eps_list:
            out[e] = clean if e == 0 else float(np.mean(A.fgsm(model, images, y, e).adv_pred == y))
        return out

    robust_acc = fgsm_acc(robust_model)
    want = _first_below(robust_acc)
    if want is None:
        raise ValueError(f"no ε of {eps_list} brings the robust model below 50 % under FGSM; add larger ones")
    plain_eps = _first_below(fgsm_acc(plain_model))
    pgd_acc = {e: (robust_acc[e] if e == 0 else
                   float(np.mean(A.pgd(robust_model, images, y, e, steps=steps, seed=seed,
                                       progress=False).adv_pred == y))) for e in eps_list}
    pgd_eps = _first_below(pgd_acc)
    from helpers.claims import claim

    claim("FGSM needs a larger ε than PGD to break the robust model (section 3's PGD row is no answer)",
          pgd_eps is not None and want > pgd_eps, quiet=True)
    wrong = {plain_eps: "is where FGSM breaks the PLAIN model; attack the robust one.",
             pgd_eps: "is where PGD breaks the robust model; the question asks for ONE FGSM step."}

    def check(answer):
        value = float(answer)
        match = [e for e in eps_list if abs(e - value) < 1e-9]
        if not match:
            return False, f"{value:g} is not in the list; give one of {', '.join(f'{e:g}' for e in eps_list)}."
        e = match[0]
        if e == want:
            return True, (f"one FGSM step of ε = {want:g} takes the robust model from {robust_acc[eps_list[0]]:.0%} "
                          f"to {robust_acc[want]:.0%}; the plain model already fell below half at ε = {plain_eps:g}, "
                          f"and PGD breaks the robust one at ε = {pgd_eps:g}.")
        if e in wrong and e != want:
            return False, f"{e:g} {wrong[e]}"
        if e < want:
            return False, f"at ε = {e:g} the robust model is still right on {robust_acc[e]:.0%} (not below 50 %)."
        return False, f"at ε = {e:g} the robust model is below 50 %, but a smaller ε of the list already does it."

    return Exercise(
        "The ε that breaks the robust model", check,
        hint="For each ε of EPS_LIST in turn, attack `images` with A.fgsm(robust.model, images, labels, eps), "
             "count the right answers (adv_pred == labels), and stop at the first ε where fewer than half are right.",
        solution=SOLUTION)
