"""Lesson 02 exercises."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise


def class_weights(spec) -> np.ndarray:
    """``[channels, classes]`` weights from the last conv channels (after global pooling) to the logits.

    Only for models whose last conv layer feeds a global pooling and one Dense
    layer (the shapes CNN); raises ``ValueError`` otherwise.
    """
    logits = spec.layers.get("logits")
    if logits is None:
        raise ValueError(f"{spec.name} has no 'logits' layer directly after global pooling")
    kernel = np.asarray(spec.layer(logits).get_weights()[0])
    n = int(spec.layer(spec.layers["last_conv"]).output.shape[-1])
    if kernel.shape[0] != n:
        raise ValueError(f"{spec.name}: the logits layer does not read the {n} last-conv channels directly")
    return kernel


def filter_vote_exercise(spec, channel: int, against: bool = False) -> Exercise:
    """Which class does last-conv filter ``channel`` vote for (largest weight) or, with ``against``, against?

    "Against" is the most negative weight: the class whose logit falls most
    when the filter fires.
    """
    pick = np.argmin if against else np.argmax
    word = "against" if against else "for"

    def check(answer):
        w = class_weights(spec)[int(channel)]
        best = int(pick(w))
        got = spec.class_index(answer)
        if got == best:
            return True, f"filter {channel} adds {w[best]:+.2f} per unit of activation to '{spec.class_names[best]}'."
        other = "less" if against else "more"
        return False, (f"'{spec.class_names[got]}' gets {w[got]:+.2f} from filter {channel}; another class gets "
                       f"{other}.")

    return Exercise(
        f"the class filter {channel} votes {word} most",
        check,
        hint="Take the logits layer's kernel (spec.layer(spec.layers['logits']).get_weights()[0]); "
        f"row {channel} holds that filter's vote for each class: look for its "
        f"{'most negative' if against else 'largest'} entry.",
        solution=f"W = spec.layer(spec.layers['logits']).get_weights()[0]\n"
        f"answer = spec.class_names[int(W[{channel}].{'argmin' if against else 'argmax'}())]",
    )
