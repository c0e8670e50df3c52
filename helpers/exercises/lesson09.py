"""Lesson 09 exercise: leave-one-out k-nearest-neighbour accuracy by hand."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise


def _points(seed: int = 0):
    r = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [2.0, 0.5]])
    y = np.repeat(np.arange(2), 8)
    x = centres[y] + r.normal(scale=0.9, size=(len(y), 2))
    return x.astype(np.float32), y


#: 16 points of a 2-D map ``[16, 2]`` and their classes ``[16]`` (two overlapping groups, classes 0 and 1).
POINTS, LABELS = _points()
#: Neighbours per vote (odd, and there are two classes, so a vote never ties).
K = 3


def _accuracy(points, labels, k, count_self=False):
    d = ((points[:, None] - points[None]) ** 2).sum(-1)
    if not count_self:
        np.fill_diagonal(d, np.inf)  # a point is not its own neighbour
    nn = np.argsort(d, axis=1, kind="stable")[:, :k]
    votes = np.stack([np.bincount(labels[row], minlength=2) for row in nn])
    return float((votes.argmax(1) == labels).mean())


def _knn(answer):
    value = float(answer)
    want = _accuracy(POINTS, LABELS, K)
    if abs(value - want) < 1e-6:
        return True, f"{want:.4f}: leave-one-out {K}-NN accuracy (each point voted on by its {K} nearest others)."
    if abs(value - _accuracy(POINTS, LABELS, K, count_self=True)) < 1e-6:
        return False, "each point counted itself as a neighbour; leave it out (set its own distance to infinity)."
    if abs(value - (1 - want)) < 1e-6:
        return False, "that is the share classified *wrongly*; the accuracy is the share classified correctly."
    if abs(value - want * len(LABELS)) < 1e-6:
        return False, f"that is the number of points classified correctly; divide by the {len(LABELS)} points."
    if abs(value - _accuracy(POINTS, LABELS, 5)) < 1e-6:
        return False, f"that is the 5-NN accuracy (the lesson's maps use k = 5); here K = {K}."
    if abs(value - want * 100) < 1e-4:
        return False, "give a fraction between 0 and 1, not a percentage."
    return False, f"{value:.4f} is not the {K}-NN accuracy of these points."


q_knn = Exercise(
    "k-NN accuracy by hand",
    _knn,
    hint="A matrix of all pairwise distances does most of the work; make sure no point can be its own neighbour.",
    solution="d = ((POINTS[:, None] - POINTS[None]) ** 2).sum(-1)\nnp.fill_diagonal(d, np.inf)\n"
    "nn = np.argsort(d, axis=1)[:, :K]\nvotes = np.stack([np.bincount(LABELS[r], minlength=2) for r in nn])\n"
    "answer = (votes.argmax(1) == LABELS).mean()",
)
