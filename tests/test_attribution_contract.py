"""One contract for every registered attribution method (the idea of xplique's ``tests/attributions/test_common.py``).

Each test runs once per entry of :data:`helpers.attribution.REGISTRY`, on
tiny hand-built 16x16 models with the methods' quick settings (fast mode
caps the samples), so a new method is held to the same rules by adding its
registry line: maps ``[n, h, w]`` in [0, 1]; the logit explained, not the
softmax; the caller's weights and images untouched; an all-zero map
flagged, never NaN; an unknown layer or class named with what is valid; a
layer inside a nested model reachable by its path.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

from helpers.attribution import LABELS, REGISTRY, attribute, empty_maps

NAMES = list(REGISTRY)
LAYERED = [name for name in NAMES if REGISTRY[name].takes_layer]
SIDE = 16


def _layers(seed: int):
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    return [layers.Conv2D(4, 3, padding="same", activation="relu", name="c1"),
            layers.Conv2D(6, 3, padding="same", activation="relu", name="c2")]


def _head(h, softmax: bool):
    from keras import layers

    z = layers.Dense(3, name="logits")(layers.GlobalAveragePooling2D(name="gap")(h))
    return layers.Activation("softmax", name="probs")(z) if softmax else z


def _flat(seed: int = 3):
    """conv -> conv -> GAP -> dense logits -> separate softmax (so CAM applies too)."""
    import keras

    inp = keras.Input((SIDE, SIDE, 3))
    h = inp
    for layer in _layers(seed):
        h = layer(h)
    return keras.Model(inp, _head(h, softmax=True), name="flat")


def _nested(seed: int = 3):
    """The same network with its convolutions inside a nested base model called ``base``."""
    import keras

    base = keras.Sequential([keras.Input((SIDE, SIDE, 3)), *_layers(seed)], name="base")
    inp = keras.Input((SIDE, SIDE, 3))
    return keras.Model(inp, _head(base(inp), softmax=True), name="outer")


@pytest.fixture(scope="module")
def flat():
    return _flat()


@pytest.fixture(scope="module")
def images():
    x = np.random.default_rng(0).uniform(0, 1, (2, SIDE, SIDE, 3)).astype(np.float32)
    x.setflags(write=False)  # a method that writes into the caller's array fails loudly
    return x


def _run(name, model, x, cls=(0, 1), **extra):
    m = REGISTRY[name]
    kw = {**m.settings(seed=0), **({"progress": False} if m.takes_progress else {}), **extra}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(m.function(model, x, list(cls), **kw))


def test_registry_records_use_the_course_display_names():
    assert LABELS == {
        "saliency": "saliency", "smoothgrad": "SmoothGrad", "integrated_gradients": "integrated gradients",
        "guided_backprop": "guided backprop", "grad_cam": "Grad-CAM", "grad_cam_plus_plus": "Grad-CAM++",
        "guided_grad_cam": "guided Grad-CAM", "cam": "CAM", "score_cam": "Score-CAM", "layer_cam": "Layer-CAM",
        "occlusion": "occlusion", "rise": "RISE", "lime": "LIME",
        "gradient_x_input": "gradient × input", "hirescam": "HiResCAM"}
    for m in REGISTRY.values():
        params = inspect.signature(m.function).parameters
        assert m.seeded == ("seed" in params) and m.takes_layer == ("layer" in params), m.name


@pytest.mark.parametrize("name", NAMES)
def test_maps_have_the_input_size_and_lie_in_0_1(name, flat, images):
    maps = _run(name, flat, images)
    assert maps.shape == (2, SIDE, SIDE) and maps.dtype == np.float32
    assert np.all(np.isfinite(maps)) and maps.min() >= 0.0 and maps.max() <= 1.0
    for one in maps[~empty_maps(maps)]:
        assert one.max() == pytest.approx(1.0), "each map is scaled by its own maximum"
    assert _run(name, flat, images[0], cls=(1,)).shape == (1, SIDE, SIDE), "one image [h, w, 3] is a batch of one"


@pytest.mark.parametrize("name", NAMES)
def test_attribute_dispatches_by_name(name, flat, images):
    m = REGISTRY[name]
    kw = {**m.settings(seed=0), **({"progress": False} if m.takes_progress else {})}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        via = attribute(flat, images, [0, 1], method=name, layer="c2" if m.takes_layer else None, **kw)
    np.testing.assert_array_equal(via, _run(name, flat, images))


@pytest.mark.parametrize("name", NAMES)
def test_the_logit_is_explained_not_the_softmax(name, flat, images):
    """A softmax head gives the same map as its logits model (the same layers without it)."""
    import keras

    logits_only = keras.Model(flat.inputs[0], flat.get_layer("logits").output, name="logits_only")
    np.testing.assert_allclose(_run(name, flat, images), _run(name, logits_only, images), atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_the_callers_weights_and_images_are_unchanged(name, flat, images):
    before, pixels = [np.array(w) for w in flat.get_weights()], images.copy()
    _run(name, flat, images)
    for a, b in zip(flat.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(images, pixels)
    assert flat.layers[-1].name == "probs" and flat.output.shape[-1] == 3, "the softmax head is still there"


@pytest.mark.parametrize("name", NAMES)
def test_an_all_zero_map_is_flagged_and_never_nan(name, images):
    dead = _flat(seed=4)
    dead.set_weights([np.zeros_like(w) for w in dead.get_weights()])  # every logit is exactly 0
    m = REGISTRY[name]
    kw = {**m.settings(seed=0), **({"progress": False} if m.takes_progress else {})}
    with pytest.warns(UserWarning, match="all zeros"):
        maps = np.asarray(m.function(dead, images, [0, 1], **kw))
    assert not np.any(np.isnan(maps)) and empty_maps(maps).all()


@pytest.mark.parametrize("name", LAYERED)
def test_an_unknown_layer_names_the_valid_ones(name, flat, images):
    with pytest.raises(ValueError) as err:
        _run(name, flat, images, layer="conv9")
    assert "'c2'" in str(err.value) or "c1, c2" in str(err.value), str(err.value)


@pytest.mark.parametrize("name", NAMES)
def test_a_class_out_of_range_states_the_range(name, flat, images):
    for bad in (3, -1):
        with pytest.raises(IndexError, match=r"classes 0\.\.2"):
            _run(name, flat, images, cls=(0, bad))


@pytest.mark.parametrize("name", NAMES)
def test_a_nested_model_gives_the_flat_twins_maps_and_takes_a_layer_path(name, images):
    nested = _nested()
    twin = _flat()
    twin.set_weights(nested.get_weights())
    inner = {"layer": "base/c2"} if REGISTRY[name].takes_layer else {}
    flat_layer = {"layer": "c2"} if REGISTRY[name].takes_layer else {}
    np.testing.assert_allclose(_run(name, nested, images, **inner), _run(name, twin, images, **flat_layer),
                               atol=1e-5)


def test_a_layer_given_to_a_method_that_takes_none_is_refused_with_the_methods_that_do():
    import keras

    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 3, name="c"),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="takes no layer.*grad_cam"):
        attribute(model, np.zeros((1, 8, 8, 3), np.float32), 0, method="saliency", layer="c")
