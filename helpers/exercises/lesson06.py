"""Lesson 06 exercise: guided backprop through a two-layer ReLU network, by hand.

The network is ``h = ReLU(W1 @ x0)``, ``u = ReLU(W2 @ h)``, score ``s = c @ u``.
The exercise asks for guided backprop's "gradient" of ``s`` with respect to
``x0``: the guided rule applied at *each* ReLU to the signal arriving there.
The numbers are small integers, chosen so that the right answer differs from
every plausible slip (plain backprop, its positive part, the deconvnet, the
rule at one ReLU only, a gate open at exactly 0, clipping the input's gradient).
"""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise

#: The input, the two weight matrices and the score's weights (``s = c @ u``).
x0 = np.array([1.0, -1.0, 1.0], dtype=np.float32)
W1 = np.array([[2, -2, 0], [1, 2, 1], [-1, 1, 1], [-2, -1, 2]], dtype=np.float32)   # 3 inputs -> 4 units
W2 = np.array([[-2, 0, 1, -2], [1, -2, 0, -2], [1, 2, 0, -1]], dtype=np.float32)    # 4 units -> 3 units
c = np.array([1.0, -2.0, 1.0], dtype=np.float32)


def _backward(gate1, gate2, x=x0):
    """d s / d x0 with ``gate(pre-activation, arriving signal)`` at the first and the second ReLU."""
    p1 = W1 @ x
    p2 = W2 @ np.maximum(p1, 0.0)
    g = W2.T @ gate2(p2, c)
    return W1.T @ gate1(p1, g)


def _backprop(p, g):
    return g * (p > 0)


def _guided(p, g):
    return g * (p > 0) * (g > 0)


def _deconvnet(p, g):
    return np.maximum(g, 0.0)


def _guided_at_zero(p, g):
    return g * (p >= 0) * (g > 0)


def candidates() -> dict[str, np.ndarray]:
    """The right answer (``"right"``) and the named wrong ones."""
    right = _backward(_guided, _guided)
    true_grad = _backward(_backprop, _backprop)
    return {
        "right": right,
        "backprop": true_grad,
        "positive part": np.maximum(true_grad, 0.0),
        "deconvnet": _backward(_deconvnet, _deconvnet),
        "second ReLU only": _backward(_backprop, _guided),
        "first ReLU only": _backward(_guided, _backprop),
        "gate open at 0": _backward(_guided_at_zero, _guided_at_zero),
        "input clipped": np.maximum(right, 0.0),
    }


WRONG = {
    "backprop": "that is plain backprop, the true gradient: it gates each ReLU by its forward input only. "
    "Guided backprop also closes the gate where the signal arriving from above is negative.",
    "positive part": "you took the true gradient and kept its positive part. Guided backprop drops negative "
    "signals at each ReLU, as they arrive; the weights below mix signs again, so the result can be negative "
    "and differs from the true gradient's positive part.",
    "deconvnet": "that is the deconvnet rule: it gates by the arriving signal's sign only, not by the forward "
    "input.",
    "second ReLU only": "you applied the guided rule at the second ReLU only; the first ReLU gates with both "
    "conditions too.",
    "first ReLU only": "you applied the guided rule at the first ReLU only; the second ReLU (the one next to the "
    "score) gates with both conditions too.",
    "gate open at 0": "one unit of the first layer has forward input exactly 0: a gate is open only for a "
    "strictly positive value, so that unit sends nothing back.",
    "input clipped": "the input x0 is not a ReLU, so nothing gates the last step W1.T @ g: its negative values "
    "stay.",
}


def _check(answer):
    ans = np.asarray(answer, dtype=np.float32)
    want = candidates()
    if ans.shape != x0.shape:
        return False, f"your answer has shape {ans.shape}; expected {x0.shape}, one value per input."
    if not np.all(np.isfinite(ans)):
        return False, "your answer contains NaN or infinite values."
    if np.allclose(ans, want["right"], atol=1e-4):
        return True, ("at each ReLU only units that were active going forward *and* receive a positive signal "
                      "pass it on; here a single path survives both gates, so the answer is one row of W1.")
    for name, message in WRONG.items():
        if np.allclose(ans, want[name], atol=1e-4):
            return False, message
    return False, "not yet: walk backward one layer at a time and check both gates at each ReLU."


q_guided_chain = Exercise(
    "guided backprop through two ReLUs",
    _check,
    hint="Go backward as backprop does, one layer at a time (the weights' transpose carries the signal "
    "down a layer). Only the ReLUs change: apply section 1's table to the signal as it arrives at each one.",
    solution="""p1 = W1 @ x0                               # first layer, before its ReLU
p2 = W2 @ np.maximum(p1, 0)                # second layer, before its ReLU
g = c * (p2 > 0) * (c > 0)                 # second ReLU: both gates, strictly positive
g = W2.T @ g                               # down through W2
g = g * (p1 > 0) * (g > 0)                 # first ReLU: both gates
answer = W1.T @ g                          # down through W1: no ReLU at the input""",
)
