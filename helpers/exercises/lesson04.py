"""Lesson 04 exercise: score a choice with a judge that played no part in it."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise


def _class_probs(model, images, classes, n):
    """``[n, k]``: the model's probability of the intended class for restart r of class i."""
    k = len(classes)
    p = np.asarray(model.predict(np.asarray(images, np.float32)))
    return p[np.arange(n * k), list(classes) * n].reshape(n, k)


def honest_score_exercise(result, classes, chooser, scorer) -> Exercise:
    """Keep, per class, the restart ``chooser`` likes best; the answer is ``scorer``'s mean probability on them.

    ``result`` comes from :func:`helpers.classviz.restarts` (image ``r * k + i``
    is restart ``r`` of ``classes[i]``); ``chooser`` and ``scorer`` are model
    specs with ``predict``. Ties go to the lowest restart index (``argmax``).
    """
    classes = [int(c) for c in classes]
    k = len(classes)
    n = len(result.images) // k
    if n * k != len(result.images) or n < 2:
        raise ValueError(f"result must hold at least two restarts of each of the {k} classes")
    pc = _class_probs(chooser, result.images, classes, n)
    ps = _class_probs(scorer, result.images, classes, n)
    kept = pc.argmax(0)
    truth = float(ps[kept, np.arange(k)].mean())
    # class-major by mistake: image j read as restart j % n of class classes[j // n]
    p_all_c = np.asarray(chooser.predict(np.asarray(result.images, np.float32)))
    p_all_s = np.asarray(scorer.predict(np.asarray(result.images, np.float32)))
    cm = np.repeat(classes, n)
    pc_cm, ps_cm = p_all_c[np.arange(n * k), cm].reshape(k, n), p_all_s[np.arange(n * k), cm].reshape(k, n)
    by_objective = np.asarray(result.best_values).reshape(n, k).argmax(0)
    wrong = {
        "chooser's own score": (float(pc[kept, np.arange(k)].mean()),
                                "That is plain's probability on its own favourites: the score you chose by. "
                                "Ask B, which played no part in the choice."),
        "scorer's favourites": (float(ps.max(0).mean()),
                                "That keeps B's favourite restarts, so B chose as well as scored: the biased "
                                "number of section 2. Keep plain's favourites, then ask B."),
        "no choice": (float(ps.mean()),
                      "That is B's mean over every restart, with no choice made. Keep one restart per class: "
                      "the one plain likes best."),
        "first restart": (float(ps[0].mean()),
                          "That is B's score for the first restart of every class; keep plain's favourite instead."),
        "class-major layout": (float(ps_cm[np.arange(k), pc_cm.argmax(1)].mean()),
                               "You read the images class by class (image i * RESTARTS + r). They are stored restart "
                               "by restart: image r * len(classes) + i of multi.images is restart r of class "
                               "classes[i], so reshape to (restarts, classes)."),
        "chosen by A's objective": (float(ps[by_objective, np.arange(k)].mean()),
                                    "You kept the restart with A's highest objective (multi.best_values, what "
                                    "classviz.pick(multi, classes, 'objective') keeps). Choose by plain's "
                                    "probability: plain.predict(multi.images)."),
    }

    def check(answer):
        try:
            a = float(np.asarray(answer, dtype=float).ravel()[0]) if np.size(answer) == 1 else None
        except (TypeError, ValueError):
            a = None
        if a is None and np.size(answer) == k:
            return False, (f"You have {k} numbers, one per class; answer with one: their mean, B's mean "
                           "probability over the kept images.")
        if a is None:
            return False, "Answer with one number: B's mean probability over the kept images."
        if abs(a - truth) <= 1e-3:
            return True, (f"B gives plain's favourites {truth:.3f} on average. Neither B nor its taste made "
                          "this choice, so the number is an honest score of the pictures.")
        for key, (value, msg) in wrong.items():
            if msg and abs(a - value) <= 1e-3 and abs(value - truth) > 1e-3:
                return False, msg
        if not 0 <= a <= 1:
            return False, "A mean probability lies between 0 and 1."
        return False, ("This is not B's mean probability for the intended class over plain's favourite "
                       "restarts (to within 0.001).")

    return Exercise(
        "an honest score for a choice",
        check,
        hint="Build two tables of shape (restarts, classes): one from plain, to choose with, and one from B, "
             "to score with.",
        solution="n = len(multi.images) // len(classes)\n"
                 "p_plain = plain.predict(multi.images)[np.arange(len(multi.images)), classes * n]"
                 ".reshape(n, len(classes))\n"
                 "p_b = judge.predict(multi.images)[np.arange(len(multi.images)), classes * n]"
                 ".reshape(n, len(classes))\n"
                 "kept = p_plain.argmax(axis=0)\n"
                 "answer = p_b[kept, np.arange(len(classes))].mean()",
    )
