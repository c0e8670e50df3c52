"""Lesson 06 exercise: apply the guided-backprop rule by hand."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise

#: The ReLU's forward input and the gradient arriving from above, for the exercise.
X = np.array([[1.5, -0.5, 2.0], [-1.0, 0.3, -2.0], [0.7, 1.1, -0.1]], dtype=np.float32)
G = np.array([[-0.4, 0.9, 0.6], [1.2, -0.8, 0.5], [0.2, 0.0, -1.0]], dtype=np.float32)


def _guided(answer):
    from helpers.guided import backward_rule

    ans = np.asarray(answer, dtype=np.float32)
    if ans.shape != X.shape:
        return False, f"your answer has shape {ans.shape}; expected {X.shape}, one value per unit."
    want = backward_rule(X, G, "guided")
    if np.allclose(ans, want):
        return True, "only units that were active going forward *and* receive a positive gradient pass it on."
    if np.allclose(ans, backward_rule(X, G, "backprop")):
        return False, "that is plain backprop: it gates by the forward input only."
    if np.allclose(ans, backward_rule(X, G, "deconvnet")):
        return False, "that is the deconvnet rule: it gates by the gradient's sign only."
    if np.allclose(ans, X * (X > 0) * (G > 0)):
        return False, "you sent back the forward input X; a backward rule sends back (part of) the gradient G."
    if np.allclose(ans, G * ((X > 0) | (G > 0))):
        return False, "you let G through where either gate is open; guided backprop needs both."
    wrong = int((~np.isclose(ans, want)).sum())
    return False, f"{wrong} of 9 values are off."


q_guided_rule = Exercise(
    "the guided ReLU rule by hand",
    _guided,
    hint="Go through the nine units one at a time and ask the two questions of the table in section 1: "
    "was the unit active going forward, and does the arriving gradient push the score up?",
    solution="answer = G * (X > 0) * (G > 0)",
)
