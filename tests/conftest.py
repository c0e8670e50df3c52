"""Shared fixtures: fast mode on, a seeded tiny CNN, the shipped shapes model."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("COURSE_FAST", "1")
os.environ.setdefault("COURSE_OFFLINE", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def shapes_spec():
    """The course's shipped shapes CNN (model A)."""
    from helpers.models import load_shapes

    return load_shapes("a")


@pytest.fixture(scope="session")
def shapes_data():
    """200 shapes from a seed no model was trained on: (images, labels, masks)."""
    from helpers.shapes import make_shapes

    return make_shapes(200, seed=424242)


def _tiny(seed: int, softmax: bool, sequential: bool):
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    if sequential:
        model = keras.Sequential([
            keras.Input((8, 8, 3)),
            layers.Conv2D(4, 3, padding="same", activation="relu", name="c1"),
            layers.Conv2D(6, 3, padding="same", activation="relu", name="c2"),
            layers.GlobalAveragePooling2D(name="gap"),
            layers.Dense(3, activation="softmax" if softmax else None, name="out"),
        ], name="tiny_seq")
        return model
    inp = keras.Input((8, 8, 3))
    x = layers.Conv2D(4, 3, padding="same", activation="relu", name="c1")(inp)
    x = layers.Conv2D(6, 3, padding="same", activation="relu", name="c2")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dense(3, name="logits")(x)
    if softmax:
        x = layers.Activation("softmax", name="probs")(x)
    return keras.Model(inp, x, name="tiny_fn")


@pytest.fixture
def tiny_model():
    """A seeded 8x8x3 functional CNN ending in a separate softmax layer."""
    return _tiny(0, softmax=True, sequential=False)


@pytest.fixture
def tiny_sequential():
    """A seeded 8x8x3 Sequential CNN with softmax fused into its last Dense."""
    return _tiny(1, softmax=True, sequential=True)


def weights_snapshot(model):
    return [np.array(w) for w in model.get_weights()]


def assert_weights_equal(model, snapshot):
    now = model.get_weights()
    assert len(now) == len(snapshot)
    for a, b in zip(now, snapshot):
        np.testing.assert_array_equal(a, b)
