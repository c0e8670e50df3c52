"""Lesson 03 exercises."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise


def pick_exercise(result, classes) -> Exercise:
    """Pick, for each class, the restart of :func:`helpers.classviz.restarts` with the highest objective.

    ``result`` holds ``n`` restarts of every class in ``classes``, restart
    ``r`` of class ``i`` at index ``r * len(classes) + i``; its
    ``best_values`` are the images' own objectives. The answer is one restart
    index per class.
    """
    k = len(classes)
    n = len(result.images) // k
    truth = np.asarray(result.best_values).reshape(n, k).argmax(axis=0)

    def check(answer):
        a = np.asarray(answer).ravel()
        if a.size != k:
            return False, f"give one restart index per class: {k} numbers, not {a.size}."
        a = a.astype(int)
        if a.min() < 0 or a.max() >= n:
            return False, f"restart indices run from 0 to {n - 1}."
        if np.array_equal(a, truth):
            return True, "these are the restarts with the highest objective, class by class."
        return False, f"{int((a != truth).sum())} of {k} classes point at another restart than the best one."

    return Exercise(
        "best of N by objective",
        check,
        hint="Reshape `multi.best_values` to (restarts, classes) and take the argmax over the restarts axis.",
        solution="scores = multi.best_values.reshape(-1, len(classes))\nanswer = scores.argmax(axis=0)",
    )
