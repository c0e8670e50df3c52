"""Nested models (a base model used as a layer, the transfer-learning idiom) work everywhere.

Ground truth: a nested model and a flat model holding the same layers with the
same weights compute the same function, so every map and activation must agree.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from helpers import attribution as A
from helpers import config
from helpers import objectives as O
from helpers.activations import get_activations
from helpers.guided import backward_rule, guided_model
from helpers.models import LayerNotFoundError, conv_layer_names, get_layer, last_conv_layer, layer_names


def _base(seed: int, name: str = "base"):
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((8, 8, 3)),
        layers.Conv2D(4, 3, padding="same", activation="relu", name="c1"),
        layers.Conv2D(6, 3, padding="same", name="c2"),
        layers.ReLU(max_value=6.0, name="c2_relu6"),
    ], name=name)


def _nested(seed: int = 0, functional: bool = False):
    """``base`` as a layer: Sequential([base, GAP, Dense]) or a functional model calling ``base(x, training=False)``."""
    import keras
    from keras import layers

    base = _base(seed)
    if functional:
        inp = keras.Input((8, 8, 3))
        h = layers.GlobalAveragePooling2D(name="gap")(base(inp, training=False))
        return keras.Model(inp, layers.Dense(3, activation="softmax", name="out")(h), name="outer_fn")
    return keras.Sequential([base, layers.GlobalAveragePooling2D(name="gap"),
                             layers.Dense(3, activation="softmax", name="out")], name="outer_seq")


def _flat_twin(nested):
    """The same network without nesting, with the nested model's weights."""
    import keras
    from keras import layers

    inp = keras.Input((8, 8, 3))
    x = layers.Conv2D(4, 3, padding="same", activation="relu", name="c1")(inp)
    x = layers.Conv2D(6, 3, padding="same", name="c2")(x)
    x = layers.ReLU(max_value=6.0, name="c2_relu6")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    flat = keras.Model(inp, layers.Dense(3, activation="softmax", name="out")(x), name="flat")
    flat.set_weights(nested.get_weights())
    return flat


def _x(n=3, seed=0):
    return config.rng(seed).uniform(0, 1, size=(n, 8, 8, 3)).astype(np.float32)


def test_inner_layers_are_reachable_by_path_and_by_unambiguous_name():
    m = _nested()
    names = layer_names(m)
    assert "base" in names and "base/c1" in names and "base/c2_relu6" in names
    assert get_layer(m, "base/c2") is get_layer(m, "c2") is m.layers[0].get_layer("c2")
    assert conv_layer_names(m) == ["base/c1", "base/c2"]  # the container itself is not a conv layer
    assert last_conv_layer(m) == "base/c2_relu6"
    with pytest.raises(LayerNotFoundError, match="base/c1"):  # unknown names list the inner ones
        get_layer(m, "conv9")


def test_ambiguous_inner_name_asks_for_a_path():
    import keras

    m = keras.Sequential([_base(0), keras.layers.Conv2D(3, 1, name="to_rgb"), _base(1, "other"),
                          keras.layers.GlobalAveragePooling2D()])
    with pytest.raises(LayerNotFoundError, match="ambiguous.*base/c1.*other/c1"):
        get_layer(m, "c1")


@pytest.mark.parametrize("functional", [False, True])
def test_activations_of_inner_layers_equal_the_base_models_own(functional):
    import keras

    m = _nested(0, functional)
    base = get_layer(m, "base")
    x = _x()
    acts = get_activations(m, x, ["c1", "base/c2_relu6", "gap"])
    direct = keras.Model(base.inputs[0], [base.get_layer("c1").output, base.get_layer("c2_relu6").output])(x)
    np.testing.assert_allclose(acts["c1"], direct[0], atol=1e-6)
    np.testing.assert_allclose(acts["base/c2_relu6"], direct[1], atol=1e-6)
    np.testing.assert_allclose(acts["gap"], np.asarray(direct[1]).mean((1, 2)), atol=1e-6)


@pytest.mark.parametrize("functional", [False, True])
def test_maps_on_nested_models_equal_the_flat_twins(functional):
    m = _nested(2, functional)
    flat = _flat_twin(m)
    x = _x(seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(A.grad_cam(m, x, [0, 1, 2]), A.grad_cam(flat, x, [0, 1, 2], layer="c2_relu6"),
                                   atol=1e-5)
        np.testing.assert_allclose(A.grad_cam(m, x, 1, layer="base/c1"), A.grad_cam(flat, x, 1, layer="c1"), atol=1e-5)
        np.testing.assert_allclose(A.saliency(m, x, 0), A.saliency(flat, x, 0), atol=1e-5)
        g_nested, g_flat = A.input_gradients(m, x, 0, guided="guided"), A.input_gradients(flat, x, 0, guided="guided")
        plain = A.input_gradients(m, x, 0)
    np.testing.assert_allclose(g_nested, g_flat, atol=1e-6)
    assert not np.allclose(g_nested, plain, atol=1e-6)  # really guided inside the base


def test_guided_backprop_inside_a_nested_model_matches_the_rule_by_hand():
    """out <- Dense <- [base: ReLU6 <- Dense(pre) <- relu(Dense h)]: the guided rule at both inner ReLUs."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(5)
    inner = keras.Sequential([keras.Input((5,)), keras.layers.Dense(6, activation="relu", name="h"),
                              keras.layers.Dense(4, name="pre"), keras.layers.ReLU(max_value=6.0, name="r6")],
                             name="inner")
    model = keras.Sequential([inner, keras.layers.Dense(1, name="out")], name="outer")
    x = tf.constant(3.0 * config.rng(5).normal(size=(1, 5)).astype(np.float32))

    def grad(m):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = m(x)
        return tape.gradient(y, x).numpy()[0]

    g = guided_model(model)
    np.testing.assert_allclose(g(x).numpy(), model(x).numpy(), rtol=1e-6)
    (w1, b1), (w2, b2), (w3, _) = [get_layer(model, n).get_weights() for n in ("h", "pre", "out")]
    a1 = x.numpy()[0] @ w1 + b1
    a2 = a1.clip(0) @ w2 + b2
    g2 = backward_rule(a2, w3[:, 0], "guided") * (a2 < 6)  # ReLU6 also closes above its cap
    g1 = backward_rule(a1, w2 @ g2, "guided")
    np.testing.assert_allclose(grad(g), w1 @ g1, rtol=1e-5, atol=1e-6)
    plain = w1 @ ((w2 @ (w3[:, 0] * (a2 > 0) * (a2 < 6))) * (a1 > 0))
    np.testing.assert_allclose(grad(model), plain, rtol=1e-5, atol=1e-6)  # the original is untouched
    assert not np.allclose(w1 @ g1, plain)


def test_render_raises_an_inner_channel_and_deepdream_raises_an_inner_layer():
    from helpers.deepdream import deepdream
    from helpers.render import render

    m = _nested(3)
    r = render(m, O.channel("c1", 2), size=8, steps=6, lr=0.1, progress=False)
    assert r.values[-1, 0] > r.values[0, 0]
    photo = config.rng(4).uniform(0.2, 0.8, size=(40, 40, 3)).astype(np.float32)
    d = deepdream(m, photo, layers={"base/c2_relu6": 1.0}, steps=4, octaves=2, tile_size=32, show_progress=False)
    assert d.image.shape == photo.shape and d.final > d.initial


@pytest.fixture(scope="module")
def mobilenet_nested():  # building and tracing MobileNetV2 takes tens of seconds on a busy CPU
    """``Sequential([MobileNetV2 (random weights, alpha 0.35, 32x32), GAP, Dense(1, sigmoid)])``."""
    import keras

    keras.utils.set_random_seed(0)
    base = keras.applications.MobileNetV2(weights=None, include_top=False, input_shape=(32, 32, 3), alpha=0.35)
    return keras.Sequential([base, keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(1, activation="sigmoid")])


@pytest.mark.slow
def test_mobilenetv2_base_activations_and_render_of_an_inner_channel(mobilenet_nested):
    from helpers.render import render

    m = mobilenet_nested
    base = m.layers[0]
    x = config.rng(3).uniform(0, 1, size=(2, 32, 32, 3)).astype(np.float32)
    assert get_activations(m, x, "block_3_expand")["block_3_expand"].shape == (2, 8, 8, 48)
    assert last_conv_layer(m) == f"{base.name}/out_relu"
    r = render(m, O.channel(f"{base.name}/block_3_expand", 0), steps=4, lr=0.1, progress=False)
    assert r.values[-1, 0] > r.values[0, 0]


@pytest.mark.slow
def test_mobilenetv2_base_guided_backprop_replaces_the_inner_relu6(mobilenet_nested):
    x = config.rng(3).uniform(0, 1, size=(2, 32, 32, 3)).astype(np.float32)
    guided = A.input_gradients(mobilenet_nested, x, 1, guided="guided")
    plain = A.input_gradients(mobilenet_nested, x, 1)
    scale = lambda g: g / np.abs(g).max()  # noqa: E731  (random weights: tiny gradients)
    assert np.abs(scale(guided) - scale(plain)).max() > 0.1
