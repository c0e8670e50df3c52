"""Lesson 09 exercise: k-nearest-neighbour accuracy by hand."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise


def _points(seed: int = 8):
    r = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [3.0, 0.0], [1.5, 2.5]])
    y = np.repeat(np.arange(3), 6)
    x = centres[y] + r.normal(scale=0.9, size=(len(y), 2))
    return x.astype(np.float32), y


#: 18 points of a 2-D map ``[18, 2]`` and their classes ``[18]`` (three overlapping groups).
POINTS, LABELS = _points()
#: Neighbours per vote.
K = 3


def _reference(points, labels, k):
    d = ((points[:, None] - points[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)  # a point is not its own neighbour
    nn = np.argsort(d, axis=1, kind="stable")[:, :k]
    votes = np.stack([np.bincount(labels[row], minlength=labels.max() + 1) for row in nn])
    return float((votes.argmax(1) == labels).mean())


def _knn(answer):
    value = float(answer)
    want = _reference(POINTS, LABELS, K)
    if abs(value - want) < 1e-6:
        return True, f"{want:.3f}: leave-one-out {K}-NN accuracy (each point voted on by its {K} nearest others)."
    d = ((POINTS[:, None] - POINTS[None]) ** 2).sum(-1)
    nn = np.argsort(d, axis=1, kind="stable")[:, :K]  # includes the point itself
    votes = np.stack([np.bincount(LABELS[row], minlength=3) for row in nn])
    if abs(value - float((votes.argmax(1) == LABELS).mean())) < 1e-6:
        return False, "each point counted itself as a neighbour; leave it out (set its own distance to infinity)."
    if value > 1:
        return False, "an accuracy is a fraction between 0 and 1."
    return False, f"{value:.3f} is not the {K}-NN accuracy of these points."


q_knn = Exercise(
    "k-NN accuracy by hand",
    _knn,
    hint="Compute all pairwise distances, set the diagonal to infinity, take the K closest points of each one, "
    "let them vote (ties go to the smaller class index, like np.argmax) and compare with LABELS.",
    solution="d = ((POINTS[:, None] - POINTS[None]) ** 2).sum(-1)\nnp.fill_diagonal(d, np.inf)\n"
    "nn = np.argsort(d, axis=1)[:, :K]\nvotes = np.stack([np.bincount(LABELS[r], minlength=3) for r in nn])\n"
    "answer = (votes.argmax(1) == LABELS).mean()",
)
