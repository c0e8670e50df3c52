"""Bad input fails in the course's own words; a ModelSpec works wherever a Keras model does."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from helpers import activations as act
from helpers import attribution as A
from helpers import config
from helpers import objectives as O
from helpers.deepdream import deepdream
from helpers.images import ImageError, model_batch
from helpers.models import as_model, conv_layer_names, get_layer, last_conv_layer, spec_for_model, without_softmax
from helpers.render import render


def _x(n=2, seed=0):
    return config.rng(seed).uniform(0, 1, size=(n, 8, 8, 3)).astype(np.float32)


def test_uint8_batches_are_converted_with_a_note(tiny_model):
    x = _x()
    u8 = np.round(x * 255).astype(np.uint8)
    with pytest.warns(UserWarning, match="uint8.*dividing by 255"):
        got = A.saliency(tiny_model, u8, 0)
    np.testing.assert_allclose(got, A.saliency(tiny_model, u8 / np.float32(255), 0), atol=1e-6)
    with pytest.warns(UserWarning, match="uint8"):
        acts = act.get_activations(tiny_model, u8, "c1")["c1"]
    np.testing.assert_allclose(acts, act.get_activations(tiny_model, u8 / np.float32(255), "c1")["c1"], atol=1e-6)


def test_float_images_on_the_0_255_scale_are_refused(tiny_model):
    x255 = _x() * 255
    for call in (lambda: A.saliency(tiny_model, x255, 0), lambda: A.grad_cam(tiny_model, x255, 0),
                 lambda: act.get_activations(tiny_model, x255, "c1"),
                 lambda: spec_for_model(tiny_model).predict(x255)):
        with pytest.raises(ImageError, match="divide by 255"):
            call()


def test_unbounded_optimization_images_are_used_with_a_warning(tiny_model):
    """An unclipped gradient-ascent image (values far outside [0, 1], negative too) is not a 0..255 photo."""
    wild = (_x() - 0.5) * 100  # about [-50, 50]
    with pytest.warns(UserWarning, match="far outside"):
        p = spec_for_model(tiny_model).predict(wild)
    np.testing.assert_allclose(p, np.asarray(tiny_model(wild.astype(np.float32))), atol=1e-6)


def test_nan_pixels_are_refused(tiny_model):
    x = _x()
    x[1, 2, 3, 0] = np.nan
    for call in (lambda: A.saliency(tiny_model, x, 0), lambda: act.get_activations(tiny_model, x, "c1"),
                 lambda: deepdream(tiny_model, np.pad(x[1], ((12, 12), (12, 12), (0, 0)), constant_values=0.5),
                                   layers="c2", octaves=1, show_progress=False)):
        with pytest.raises(ImageError, match="NaN"):
            call()


def test_empty_batches_and_strings_are_refused(tiny_model):
    empty = np.zeros((0, 8, 8, 3), np.float32)
    for call in (lambda: A.saliency(tiny_model, empty), lambda: A.grad_cam(tiny_model, empty),
                 lambda: act.get_activations(tiny_model, empty, "c1")):
        with pytest.raises(ImageError, match="empty"):
            call()
    with pytest.raises(ImageError, match="load_image"):
        A.saliency(tiny_model, "cat.png")
    with pytest.raises(ImageError, match="shape"):
        model_batch(np.zeros((2, 8, 8)))


def test_wrong_length_labels_and_bad_class_arguments(tiny_model):
    x = _x(3)
    with pytest.raises(ValueError, match="2 class indices for 3 images"):
        A.saliency(tiny_model, x, [0, 1])
    with pytest.raises(TypeError, match="class_index"):
        A.grad_cam(tiny_model, x, 0.5)
    with pytest.raises(ValueError, match="class names need a ModelSpec"):
        A.saliency(tiny_model, x, "cat")
    with pytest.raises(ValueError, match="2 labels for 3 images"):
        act.class_channel_means(tiny_model, x, [0, 1], "c2")
    spec = spec_for_model(tiny_model, class_names=["red", "green", "blue"])
    np.testing.assert_allclose(A.saliency(spec, x, "green"), A.saliency(tiny_model, x, 1), atol=1e-6)


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-3, ValueError), ("10", TypeError), (2.5, TypeError)])
def test_step_counts_must_be_positive_whole_numbers(tiny_model, bad, error):
    img = config.rng(0).uniform(0.2, 0.8, size=(32, 32, 3)).astype(np.float32)
    with pytest.raises(error, match="steps"):
        render(tiny_model, O.channel("c1", 0), steps=bad, progress=False)
    with pytest.raises(error, match="steps"):
        A.integrated_gradients(tiny_model, _x(), 0, steps=bad)
    with pytest.raises(error, match="steps"):
        deepdream(tiny_model, img, layers="c2", steps=bad, octaves=1, show_progress=False)
    with pytest.raises(error, match="samples"):
        A.smoothgrad(tiny_model, _x(), 0, samples=bad)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 0.0, -0.1])
def test_step_sizes_must_be_finite_and_positive(tiny_model, bad):
    img = config.rng(0).uniform(0.2, 0.8, size=(32, 32, 3)).astype(np.float32)
    with pytest.raises(ValueError, match="lr"):
        render(tiny_model, O.channel("c1", 0), steps=2, lr=bad, progress=False)
    with pytest.raises(ValueError, match="step_size"):
        deepdream(tiny_model, img, layers="c2", steps=2, step_size=bad, octaves=1, show_progress=False)


def test_a_spec_works_wherever_a_model_does(tiny_model):
    spec = spec_for_model(tiny_model)
    x = _x()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fn in (A.saliency, A.guided_backprop, A.grad_cam, A.integrated_gradients, A.smoothgrad):
            np.testing.assert_allclose(fn(spec, x, 1), fn(tiny_model, x, 1), atol=1e-6, err_msg=fn.__name__)
    np.testing.assert_allclose(act.get_activations(spec, x, "c2")["c2"], act.get_activations(tiny_model, x, "c2")["c2"])
    assert act.layer_statistics(spec, x) == act.layer_statistics(tiny_model, x)
    assert get_layer(spec, "c1") is get_layer(tiny_model, "c1")
    assert conv_layer_names(spec) == conv_layer_names(tiny_model) and last_conv_layer(spec) == "c2"
    np.testing.assert_allclose(without_softmax(spec)(x), without_softmax(tiny_model)(x), atol=1e-6)
    obj = O.channel("c2", 1)
    np.testing.assert_allclose(O.evaluate(spec, obj, x), O.evaluate(tiny_model, obj, x), atol=1e-6)
    a = render(spec, obj, steps=2, progress=False)
    b = render(tiny_model, obj, steps=2, progress=False)
    np.testing.assert_allclose(a.images, b.images, atol=1e-6)
    assert as_model(spec) is tiny_model
    with pytest.raises(TypeError, match="Keras model or a helpers.models.ModelSpec"):
        A.saliency("vgg16", x)
    with pytest.raises(TypeError, match="Keras model"):
        as_model({"model": tiny_model})
