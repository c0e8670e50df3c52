"""Gradient × input and HiResCAM against hand-built models whose answers are known."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from helpers import attribution as A


def _linear(seed: int = 0):
    """``z = W · vec(x) + b``: a linear model on 6x6x3 images, no softmax."""
    import keras
    from keras import layers

    inp = keras.Input((6, 6, 3))
    model = keras.Model(inp, layers.Dense(2, name="logits")(layers.Flatten()(inp)), name="linear")
    r = np.random.default_rng(seed)
    model.get_layer("logits").set_weights([r.normal(size=(108, 2)).astype(np.float32),
                                           np.array([0.3, -0.2], np.float32)])
    return model


def test_gradient_x_input_is_the_exact_contribution_w_x_of_a_linear_model():
    model = _linear()
    x = np.random.default_rng(1).uniform(0, 1, (3, 6, 6, 3)).astype(np.float32)
    w = model.get_layer("logits").get_weights()[0][:, 1].reshape(6, 6, 3)
    want = np.abs(w * x).sum(-1)
    want /= want.reshape(3, -1).max(1)[:, None, None]
    np.testing.assert_allclose(A.gradient_x_input(model, x, 1), want, rtol=1e-5, atol=1e-6)
    # integrated gradients from black averages the same product along a straight path: equal here
    np.testing.assert_allclose(A.integrated_gradients(model, x, 1, baseline="black", steps=4), want, atol=1e-5)


def test_gradient_x_input_gives_a_black_pixel_nothing_where_saliency_does_not():
    model = _linear()
    x = np.random.default_rng(2).uniform(0.2, 1, (1, 6, 6, 3)).astype(np.float32)
    x[0, 2, 3] = 0.0
    assert A.gradient_x_input(model, x, 0)[0, 2, 3] == 0.0
    assert A.saliency(model, x, 0)[0, 2, 3] > 0.0


def _left_minus_right(side: int = 8):
    """One feature map ``A`` (the image's mean colour), then a dense logit ``z_0 = sum(W * A)``.

    ``W`` is +1 on the left half and -1 on the right: its average over
    positions is 0, so Grad-CAM's channel weight is 0, while every left
    position raises the score.
    """
    import keras
    from keras import layers

    inp = keras.Input((side, side, 3))
    feat = layers.Conv2D(1, 1, use_bias=False, name="feat")(inp)
    model = keras.Model(inp, layers.Dense(2, use_bias=False, name="logits")(layers.Flatten()(feat)), name="lr")
    model.get_layer("feat").set_weights([np.full((1, 1, 3, 1), 1 / 3, np.float32)])
    w = np.where(np.arange(side)[None, :] < side // 2, 1.0, -1.0) * np.ones((side, 1))
    model.get_layer("logits").set_weights([np.stack([w.ravel(), -w.ravel()], 1).astype(np.float32)])
    return model


def test_hirescam_points_at_the_positions_that_raise_the_score_where_grad_cam_sees_nothing():
    model = _left_minus_right()
    x = np.full((1, 8, 8, 3), 0.5, np.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        grad_cam = A.grad_cam(model, x, 0, layer="feat")
    assert np.all(grad_cam == 0) and any("all zeros" in str(c.message) for c in caught)
    hires = A.hirescam(model, x, 0, layer="feat")[0]
    np.testing.assert_allclose(hires[:, :4], 1.0)
    np.testing.assert_allclose(hires[:, 4:], 0.0)
    np.testing.assert_allclose(A.hirescam(model, x, 1, layer="feat")[0], hires[:, ::-1])  # the other class: mirror


def test_hirescam_equals_grad_cam_when_the_gradient_is_the_same_at_every_position(tiny_model, shapes_spec):
    """After global average pooling and a dense layer, dz/dA_ijk = w_k / HW at every position."""
    x = np.random.default_rng(3).uniform(0, 1, (3, 8, 8, 3)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(A.hirescam(tiny_model, x, [0, 1, 2], layer="c2"),
                                   A.grad_cam(tiny_model, x, [0, 1, 2], layer="c2"), atol=1e-5)
        shapes = shapes_spec.samples()
        imgs = np.stack([v[0] for v in shapes.values()])
        last = shapes_spec.layers["last_conv"]
        np.testing.assert_allclose(A.hirescam(shapes_spec.model, imgs, layer=last),
                                   A.grad_cam(shapes_spec.model, imgs, layer=last), atol=1e-4)
        early = shapes_spec.layers["middle"]  # further from the pooling, the gradient varies: the maps differ
        assert not np.allclose(A.hirescam(shapes_spec.model, imgs, layer=early),
                               A.grad_cam(shapes_spec.model, imgs, layer=early), atol=1e-2)


@pytest.mark.parametrize("name", ["gradient_x_input", "hirescam"])
def test_new_methods_reach_the_reports_and_panels_by_themselves_but_not_lesson_tables(name):
    from helpers import faithfulness, shortcut
    from helpers.widgets.attribution import LABELS

    assert name in faithfulness.report_methods() and name in shortcut.methods() and name in A.METHODS
    assert name in LABELS and not A.REGISTRY[name].in_lessons
