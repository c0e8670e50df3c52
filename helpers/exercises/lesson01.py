"""Lesson 01 exercises."""

from __future__ import annotations

from helpers.exercises import Exercise


def sparsest_layer_exercise(model, batch) -> Exercise:
    """Which conv layer has the largest fraction of zeros on ``batch``?

    The checker measures the answer itself, independently of the student's code.
    """
    from helpers.activations import layer_statistics

    def check(answer):
        stats = layer_statistics(model, batch)
        zeros = {s["layer"]: s["zeros"] for s in stats}
        best = max(zeros, key=zeros.get)
        if str(answer) not in zeros:
            return False, f"{answer!r} is not one of the conv layers ({', '.join(zeros)})."
        if answer == best:
            return True, f"{best} has {zeros[best]:.0%} zeros, the most of any conv layer."
        return False, f"{answer} has {zeros[str(answer)]:.0%} zeros; another layer has more."

    return Exercise(
        "sparsest layer",
        check,
        hint="Print each entry's 'zeros' from activations.layer_statistics(spec.model, batch) and take the largest.",
        solution="stats = activations.layer_statistics(spec.model, batch)\n"
        "answer = max(stats, key=lambda s: s['zeros'])['layer']",
    )
