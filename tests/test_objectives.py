"""Objectives: each one rises under a few ascent steps; algebra, names, errors, no mutation."""

import numpy as np
import pytest
import tensorflow as tf

from conftest import assert_weights_equal, weights_snapshot
from helpers import objectives as O
from helpers.models import LayerNotFoundError


def ascend(model, obj, x0, steps=8, lr=0.05):
    """Plain normalized-gradient ascent, independent of helpers.render."""
    fm = O.objective_model(model, obj)
    x = tf.Variable(np.asarray(x0, np.float32))
    values = []
    for _ in range(steps):
        with tf.GradientTape() as tape:
            v = obj(O.activations_for(fm, x))
            total = tf.reduce_sum(v)
        g = tape.gradient(total, x)
        values.append(v.numpy())
        x.assign_add(lr * g / (tf.sqrt(tf.reduce_mean(tf.square(g))) + 1e-8))
    values.append(obj(O.activations_for(fm, x)).numpy())
    return np.array(values)


def start(n=2, seed=0):
    return np.random.default_rng(seed).uniform(0.3, 0.7, (n, 8, 8, 3)).astype(np.float32)


@pytest.mark.parametrize("make", [
    lambda: O.channel("c2", 1),
    lambda: O.channel("c2", [0, 1]),
    lambda: O.neuron("c2", 0),
    lambda: O.neuron("c1", 3, x=3, y=5),
    lambda: O.layer_mean("c2"),
    lambda: O.deepdream({"c1": 1.0, "c2": 0.5}),
    lambda: O.class_logit(2),
    lambda: O.class_logit([0, 2]),
    lambda: O.diversity("c2"),
    lambda: -O.l1(),
    lambda: -O.l2(),
    lambda: -O.total_variation(),
    lambda: O.channel("c2", 3) - 0.1 * O.total_variation() + 0.5 * O.class_logit(1),
], ids=["channel", "channel_per_image", "neuron", "neuron_xy", "layer_mean", "deepdream", "class_logit",
        "class_per_image", "diversity", "l1", "l2", "tv", "combo"])
def test_every_objective_rises_under_ascent(tiny_model, make):
    obj = make()
    x0 = start(2, seed=3)
    if obj.name.startswith("diversity"):
        x0 = np.stack([x0[0], x0[0] + 0.01])  # nearly identical images: diversity has room to rise
    vals = ascend(tiny_model, obj, x0)
    assert np.all(np.isfinite(vals))
    assert vals[-1].sum() > vals[0].sum() + 1e-4, f"{obj.name} did not rise: {vals[0]} -> {vals[-1]}"


def test_algebra_values_and_names(tiny_model):
    x = start(3, seed=1)
    a, b = O.channel("c2", 1), O.layer_mean("c1")
    va, vb = O.evaluate(tiny_model, a, x), O.evaluate(tiny_model, b, x)
    np.testing.assert_allclose(O.evaluate(tiny_model, a + b, x), va + vb, rtol=1e-5)
    np.testing.assert_allclose(O.evaluate(tiny_model, a - 2 * b, x), va - 2 * vb, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(O.evaluate(tiny_model, -a / 4 + 1, x), -va / 4 + 1, rtol=1e-5)
    combo = 0.2 * O.channel("c2", 1) - 0.05 * O.total_variation()
    assert combo.name == "0.2*channel(c2, 1) - 0.05*total_variation()"
    assert combo.layers == {"c2"} and not combo.needs_logits
    assert (O.class_logit(1) + O.neuron("c1", 0)).needs_logits
    assert O.channel("c2", range(4)).name == "channel(c2, 0..3)"


def test_channel_and_neuron_match_hand_computation(tiny_model):
    from helpers.activations import get_activations

    x = start(2, seed=2)
    act = get_activations(tiny_model, x, "c2")["c2"]
    np.testing.assert_allclose(O.evaluate(tiny_model, O.channel("c2", [3, 5]), x),
                               [act[0, :, :, 3].mean(), act[1, :, :, 5].mean()], rtol=1e-5)
    np.testing.assert_allclose(O.evaluate(tiny_model, O.neuron("c2", 4, x=1, y=6), x), act[:, 6, 1, 4], rtol=1e-5)
    np.testing.assert_allclose(O.evaluate(tiny_model, O.layer_mean("c2"), x), act.mean((1, 2, 3)), rtol=1e-5)


def test_class_logit_is_pre_softmax_and_models_are_unchanged(tiny_model, tiny_sequential):
    from helpers.models import without_softmax

    x = start(2, seed=4)
    for model in (tiny_model, tiny_sequential):
        snap, n_layers = weights_snapshot(model), len(model.layers)
        got = O.evaluate(model, O.class_logit([0, 2]), x)
        logits = np.asarray(without_softmax(model)(x))
        np.testing.assert_allclose(got, [logits[0, 0], logits[1, 2]], rtol=1e-5)
        probs = np.asarray(model(x))
        assert np.allclose(probs.sum(1), 1.0), "the caller's model lost its softmax"
        assert_weights_equal(model, snap)
        assert len(model.layers) == n_layers


def test_diversity_and_penalties_on_known_images(tiny_model):
    same = np.repeat(start(1, seed=5), 3, axis=0)
    np.testing.assert_allclose(O.evaluate(tiny_model, O.diversity("c2"), same), -1.0, atol=1e-5)
    flat = np.full((2, 8, 8, 3), 0.5, np.float32)
    flat[1] = 0.9
    np.testing.assert_allclose(O.evaluate(tiny_model, O.total_variation(), flat), 0.0, atol=1e-7)
    np.testing.assert_allclose(O.evaluate(tiny_model, O.l1(), flat), [0.0, 0.4], atol=1e-6)
    np.testing.assert_allclose(O.evaluate(tiny_model, O.l2(), flat), [0.0, 0.4], atol=1e-5)
    stripes = np.zeros((1, 8, 8, 3), np.float32)
    stripes[:, :, ::2] = 1.0  # every column flips: horizontal TV 1, vertical 0
    np.testing.assert_allclose(O.evaluate(tiny_model, O.total_variation(), stripes), 1.0, atol=1e-6)


def test_clear_errors(tiny_model):
    with pytest.raises(LayerNotFoundError, match="c1, c2"):
        O.objective_model(tiny_model, O.channel("conv9", 0))
    with pytest.raises(IndexError, match="0..5"):
        O.objective_model(tiny_model, O.channel("c2", 6))
    with pytest.raises(IndexError, match="0..2"):
        O.objective_model(tiny_model, O.class_logit([0, 3]))
    with pytest.raises(IndexError, match="x 0..7"):
        O.objective_model(tiny_model, O.neuron("c2", 0, x=8, y=0))
    with pytest.raises(ValueError, match="one index per image for 2"):
        O.evaluate(tiny_model, O.channel("c2", [0, 1]), start(3))
    with pytest.raises(ValueError):
        O.channel("c2", [])


def _laplacian_model(side=16):
    """One 3x3 'same' conv: a Laplacian (centre +8, neighbours -1) on every colour, bias -0.3, ReLU.

    On a flat grey image every interior unit gives -0.3 (silent), but a unit at
    the border misses neighbours (the zero padding) and fires: the padding is
    an edge. A bright dot inside the image makes the unit at the dot fire too.
    """
    import keras

    inp = keras.Input((side, side, 3))
    conv = keras.layers.Conv2D(1, 3, padding="same", activation="relu", name="lap")
    x = keras.layers.GlobalAveragePooling2D()(conv(inp))
    model = keras.Model(inp, keras.layers.Dense(2, name="logits")(x))
    k = -np.ones((3, 3, 3, 1), np.float32)
    k[1, 1] = 8.0
    conv.set_weights([k, np.full(1, -0.3, np.float32)])
    return model


def _frame(shape, w):
    inner = np.zeros(shape, bool)
    inner[w:-w, w:-w] = True
    return ~inner


def _ascent_change(model, obj, x0, steps=10, lr=0.05):
    fm = O.objective_model(model, obj)
    x = tf.Variable(x0)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            total = tf.reduce_sum(obj(O.activations_for(fm, x)))
        g = tape.gradient(total, x)
        x.assign_add(lr * g / (tf.sqrt(tf.reduce_mean(tf.square(g))) + 1e-8))
    return np.abs(x.numpy()[0] - x0[0]).mean(-1)


def test_cropped_channel_gradient_does_not_pile_up_at_the_border():
    model = _laplacian_model()
    x0 = (0.5 + np.random.default_rng(0).uniform(-0.01, 0.01, (1, 16, 16, 3))).astype(np.float32)
    x0[0, 8, 8] += 0.3  # one bright dot inside: the only thing inside the image this unit responds to
    ring2, ring1 = _frame((16, 16), 2), _frame((16, 16), 1)
    grads = {}
    for crop in (0, 2):
        obj = O.channel("lap", 0, crop=crop)
        x = tf.Variable(x0)
        with tf.GradientTape() as tape:
            total = tf.reduce_sum(obj(O.activations_for(O.objective_model(model, obj), x)))
        grads[crop] = np.abs(tape.gradient(total, x).numpy()[0]).sum(-1)
    assert grads[0][ring2].sum() / grads[0].sum() > 0.8  # uncropped: the border units dominate
    assert grads[2].sum() > 0 and grads[2][ring2].sum() == 0.0  # cropped: only the dot, nothing at the border
    moved = {c: _ascent_change(model, O.channel("lap", 0, crop=c), x0, steps=3) for c in (0, 2)}
    assert moved[0][ring2].mean() > 2 * moved[0][~ring2].mean()  # the uncropped ascent piles up at the border
    assert moved[2][ring1].max() == 0.0 and moved[2][8, 8] > 0  # the cropped one never touches it


def test_crop_values_and_errors(tiny_model):
    x = start(2, seed=4)
    acts = O.activations_for(O.objective_model(tiny_model, O.channel("c2", 1)), tf.constant(x))
    a = acts["c2"].numpy()
    np.testing.assert_allclose(O.evaluate(tiny_model, O.channel("c2", 1, crop=1), x), a[:, 1:-1, 1:-1, 1].mean((1, 2)),
                               rtol=1e-5)
    assert "crop=1" in O.channel("c2", 1, crop=1).name
    with pytest.raises(ValueError, match=">= 0"):
        O.channel("c2", 1, crop=-1)
    with pytest.raises(ValueError, match="crop <= 3"):
        O.evaluate(tiny_model, O.channel("c2", 1, crop=4), x)
