"""Lesson 03 exercises."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise


def transfer_exercise(judge_model, images, classes) -> Exercise:
    """Compute the fraction of ``images`` that ``judge_model`` (model B) puts in the intended ``classes``."""
    from helpers.classviz import transfer_rate

    truth = transfer_rate(judge_model, images, classes)

    def check(answer):
        value = float(answer)
        if not 0.0 <= value <= 1.0:
            return False, f"{value} is not a fraction between 0 and 1."
        if abs(value - truth) < 1e-6:
            return True, f"model B recognises {truth:.0%} of these images."
        return False, f"{value:.3f} is not the fraction model B gets right."

    return Exercise(
        "transfer rate",
        check,
        hint="Run model B on the images, take the argmax over classes, compare with `classes`, take the mean.",
        solution="pred = np.asarray(judge.model(images)).argmax(1)\nanswer = float(np.mean(pred == np.asarray(classes)))",
    )
