"""Lesson 09 exercise: how many of each image's nearest neighbours in the features does the t-SNE map keep?"""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise

#: Neighbours per image in the exercise.
K = 5
#: The answer must be within this of the right share.
TOLERANCE = 0.005


def nearest(points, k: int = K, count_self: bool = False) -> np.ndarray:
    """Indices ``[n, k]`` of each point's ``k`` nearest points (Euclidean; ties to the lower index)."""
    z = np.asarray(points, np.float64)
    d = ((z[:, None] - z[None]) ** 2).sum(-1)
    if not count_self:
        np.fill_diagonal(d, np.inf)  # a point is not its own neighbour
    return np.argsort(d, axis=1, kind="stable")[:, :k]


def kept_share(feats, emb, k: int = K, count_self: bool = False) -> float:
    """Mean over points of the share of their ``k`` nearest neighbours in ``feats`` that are also among them in ``emb``."""
    a, b = nearest(feats, k, count_self), nearest(emb, k, count_self)
    return float(np.mean([len(set(r) & set(s)) / k for r, s in zip(a, b)]))


def neighbours_exercise(feats, emb, labels) -> Exercise:
    """The exercise on ``feats [n, d]``, their map ``emb [n, 2]`` and class ``labels [n]``."""
    feats, emb, labels = np.asarray(feats), np.asarray(emb), np.asarray(labels)
    n = len(feats)
    want = kept_share(feats, emb)
    chance = K / (n - 1)

    def check(answer):
        value = float(answer)
        if abs(value - want) <= TOLERANCE:
            return True, (f"{want:.3f}: the map keeps about {want * K:.1f} of each image's {K} nearest neighbours "
                          f"in the features, where a random map would keep {chance * K:.2f}. t-SNE keeps "
                          "neighbourhoods (not all of them), and so the map's k-NN accuracy follows the features'.")
        if abs(value - kept_share(feats, emb, count_self=True)) <= TOLERANCE / 2:
            return False, "each image counted itself among its neighbours, in both spaces; leave it out."
        if abs(value - want * K) <= TOLERANCE * K:
            return False, f"that is the number of neighbours kept, on average; divide by K = {K} for the share."
        if abs(value - 100 * want) <= 100 * TOLERANCE:
            return False, "give a share between 0 and 1, not a percentage."
        vote = lambda z: np.array([np.bincount(labels[r], minlength=int(labels.max()) + 1).argmax()  # noqa: E731
                                   for r in nearest(z)])
        if abs(value - float((vote(emb) == labels).mean())) <= TOLERANCE:
            return False, ("that is the map's leave-one-out 5-NN accuracy: it asks whether the neighbours share the "
                           "image's class, not whether they are the same images as in the features.")
        if abs(value - float((vote(emb) == vote(feats)).mean())) <= TOLERANCE:
            return False, ("that compares the neighbours' class votes; compare the neighbours themselves (which "
                           "images they are).")
        return False, f"{value:.3f} is not the share of feature-space neighbours kept in the map."

    return Exercise(
        "neighbours kept by the map",
        check,
        hint="Find each image's 5 nearest others twice, once per space (a matrix of pairwise distances with an "
        "infinite diagonal, then np.argsort); then count, image by image, how many indices the two lists share.",
        solution="def nearest5(z):\n"
        "    d = ((z[:, None].astype(float) - z[None]) ** 2).sum(-1)\n"
        "    np.fill_diagonal(d, np.inf)\n"
        "    return np.argsort(d, axis=1, kind='stable')[:, :5]\n"
        "a, b = nearest5(feats[:N]), nearest5(emb[:N])\n"
        "answer = np.mean([len(set(r) & set(s)) / 5 for r, s in zip(a, b)])",
    )
