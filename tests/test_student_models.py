"""A student's own model and files: grayscale, other sizes, 0..255, keras.applications, several outputs,
files and arrays that lie. Each case works or gets a message from the course's own code (issue 18)."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from helpers import adapt
from helpers import attribution as A
from helpers import cams, images, perturbation
from helpers.images import ImageError


def raised_by_project(excinfo) -> bool:
    """The innermost frame of the error is in helpers/ (not deep inside TensorFlow, Keras or NumPy)."""
    return "/helpers/" in str(excinfo.traceback[-1].path)


@pytest.fixture(scope="module")
def gray_model():
    """An MNIST-style model: 28x28x1, two convolutions, global pooling, 10 classes."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(3)
    return keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(8, 3, activation="relu", name="c1"),
                             layers.Conv2D(8, 3, activation="relu", name="c2"), layers.GlobalAveragePooling2D(),
                             layers.Dense(10, activation="softmax", name="out")], name="mnist_cnn")


@pytest.fixture(scope="module")
def rescaling_model():
    """A model that expects 0..255 pixels: its first layer is Rescaling(1/255); built for 32x32."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(4)
    return keras.Sequential([keras.Input((32, 32, 3)), layers.Rescaling(1 / 255), layers.Conv2D(8, 3, activation="relu",
                             name="c1"), layers.Conv2D(8, 3, activation="relu", name="c2"),
                             layers.GlobalAveragePooling2D(), layers.Dense(4, name="out")], name="cifar_cnn")


@pytest.fixture(scope="module")
def vgg_base():
    """keras.applications VGG16 (random weights, 32 px, no top): it expects caffe-preprocessed input."""
    import keras

    keras.utils.set_random_seed(5)
    return keras.applications.VGG16(weights=None, include_top=True, input_shape=(32, 32, 3), classes=5)


def _gray_images(n=2, side=28, seed=0):
    return np.random.default_rng(seed).uniform(0.1, 0.9, (n, side, side, 1)).astype(np.float32)


# ----------------------------------------------------------------- detection

def test_plain_rgb_models_are_used_as_they_are(tiny_model, shapes_spec):
    assert adapt.adapt(tiny_model) is tiny_model and adapt.adapt(shapes_spec.model) is shapes_spec.model


def test_grayscale_model_is_wrapped_and_says_so(gray_model, capsys):
    net = adapt.adapt(gray_model)
    out = capsys.readouterr().out
    assert net is not gray_model and net.inputs[0].shape[-1] == 3 and "grayscale" in out and "mnist_cnn" in out
    x = _gray_images()
    rgb = np.repeat(x, 3, axis=-1)
    np.testing.assert_allclose(np.asarray(net(rgb)), np.asarray(gray_model(x)), atol=1e-6)
    assert adapt.adapt(gray_model) is net, "one wrapper per model (compiled functions are cached on it)"


def test_zero_to_255_model_is_detected_and_fed_what_it_expects(rescaling_model, capsys):
    from helpers.models import spec_for_model

    spec = spec_for_model(rescaling_model)
    out = capsys.readouterr().out
    assert "0..255" in out and "Rescaling" in out and "preprocess=" in out
    x = np.random.default_rng(1).uniform(0, 1, (2, 32, 32, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(spec.model(x)), np.asarray(rescaling_model(x * 255.0)), rtol=1e-5, atol=1e-5)


def test_a_wrapped_model_keeps_the_layer_names_of_the_students_own_model(rescaling_model, gray_model):
    """The conversion wrapper is invisible in layer paths: 'c2', as in the student's model, not 'cifar_cnn/c2'."""
    from helpers._graph import last_conv_layer, layer_names, resolve
    from helpers.activations import get_activations

    for model, side in ((rescaling_model, 32), (gray_model, 28)):
        names = layer_names(model)
        assert not any(n.startswith(model.name + "/") for n in names), names
        assert {"c1", "c2"} <= set(names)
        assert last_conv_layer(model) == "c2" and resolve(model, "c2") == "c2"
        x = np.random.default_rng(0).uniform(0, 1, (1, side, side, 3)).astype(np.float32)
        # what c1 sees: Rescaling(1/255) undoes the wrapper's x 255; the gray model gets the channel mean
        seen = x if model is rescaling_model else x.mean(-1, keepdims=True)
        np.testing.assert_allclose(get_activations(model, x, "c1")["c1"], np.asarray(model.get_layer("c1")(seen)),
                                   rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name, scale", [("vgg16", "caffe"), ("resnet50", "caffe"), ("xception", "tf"),
                                         ("mobilenetv2_1.00_224", "tf"), ("densenet121", "torch"),
                                         ("efficientnetb0", "0..255"), ("my_own_net", None)])
def test_keras_applications_families_by_name(name, scale):
    assert adapt._family(name) == scale


def test_raw_keras_applications_model_gets_its_preprocessing(vgg_base, capsys):
    """keras.io's Grad-CAM example feeds VGG16 preprocess_input(img); the course does that itself."""
    import keras

    net = adapt.adapt(vgg_base)
    assert "caffe" in capsys.readouterr().out
    x = np.random.default_rng(2).uniform(0, 1, (2, 32, 32, 3)).astype(np.float32)
    expected = vgg_base(keras.applications.vgg16.preprocess_input(x * 255.0))
    np.testing.assert_allclose(np.asarray(net(x)), np.asarray(expected), rtol=1e-4, atol=1e-5)
    # the ways people get it wrong: an already preprocessed batch, and 0..255 pixels
    with pytest.raises(ImageError, match="already preprocessed") as err:
        A.saliency(vgg_base, keras.applications.vgg16.preprocess_input(x * 255.0), 0)
    assert raised_by_project(err)
    with pytest.raises(ImageError, match="divide by 255") as err:
        A.saliency(vgg_base, x * 255.0, 0)
    assert raised_by_project(err)
    assert A.saliency(vgg_base, x, 0).shape == (2, 32, 32)


def test_preprocess_argument_overrides_and_is_remembered(rescaling_model, capsys):
    from helpers.models import spec_for_model

    import keras

    m = keras.models.clone_model(rescaling_model)
    spec = spec_for_model(m, preprocess="unit")
    assert spec.model is m and adapt.adapt(m) is m, "the user's word holds for later calls too"
    with pytest.raises(ValueError, match="preprocess='bgr'.*unit, 0..255, caffe, tf, torch"):
        adapt.adapt(m, preprocess="bgr")


# ----------------------------------------------------------------- grayscale models work everywhere

def test_grayscale_saliency_matches_a_hand_computed_gradient(gray_model):
    import tensorflow as tf

    x = _gray_images(1, seed=7)
    cls = 3
    logits_fn = lambda g: gray_model.layers[-1].activation.__name__  # noqa: E731 (documenting: softmax head)
    assert logits_fn(None) == "softmax"
    rgb = tf.Variable(np.repeat(x, 3, axis=-1))
    with tf.GradientTape() as tape:
        gray = tf.reduce_mean(rgb, axis=-1, keepdims=True)
        h = gray
        for layer in gray_model.layers[:-1]:
            h = layer(h)
        z = tf.matmul(h, gray_model.layers[-1].kernel) + gray_model.layers[-1].bias  # the logit, no softmax
        score = z[0, cls]
    by_hand = np.abs(tape.gradient(score, rgb).numpy()).max(-1)[0]
    by_hand /= by_hand.max()
    got = A.saliency(gray_model, x, cls)[0]
    np.testing.assert_allclose(got, by_hand, atol=1e-5)


def _all_methods():
    return {name: m.function for name, m in A.REGISTRY.items()}


@pytest.mark.parametrize("which", ["gray", "rescaling"])
def test_every_method_render_dream_and_activations_on_a_student_model(which, gray_model, rescaling_model):
    """Finite results of the right shape for every public attribution method, render, deepdream, activations."""
    from helpers import objectives as O
    from helpers.activations import get_activations
    from helpers.deepdream import deepdream
    from helpers.render import render

    model = gray_model if which == "gray" else rescaling_model
    side = 28 if which == "gray" else 32
    x = _gray_images(2, side) if which == "gray" else np.random.default_rng(0).uniform(0, 1, (2, 32, 32, 3)).astype(
        np.float32)
    for name, fn in _all_methods().items():
        kwargs = {"masks": 50} if name == "rise" else {"samples": 30, "segments": 10} if name == "lime" else {}
        if name == "occlusion":
            kwargs = {"patch": 8, "stride": 8}
        if name == "smoothgrad":
            kwargs = {"samples": 3}
        if name == "integrated_gradients":
            kwargs = {"steps": 4}
        maps = np.asarray(fn(model, x, 1, **kwargs))
        assert maps.shape[:3] == (2, side, side) and np.all(np.isfinite(maps)), name
    res = render(model, O.channel("c2", 0), steps=3, progress=False)
    assert res.images.shape[1:] == (side, side, 3) and np.all(np.isfinite(res.images))
    if which == "gray":
        assert np.allclose(res.images[..., 0], res.images[..., 1]), "a grayscale model's render is shown in gray"
    dream = deepdream(model, x[0], layers={"c2": 1.0}, steps=2, octaves=1, show_progress=False)
    dream = getattr(dream, "image", dream)
    assert np.asarray(dream).shape[-1] == 3 and np.all(np.isfinite(dream))
    acts = get_activations(model, x, ["c1", "c2"])
    assert all(np.all(np.isfinite(a)) and a.shape[0] == 2 for a in acts.values())


def test_rgb_images_for_a_gray_model_and_gray_images_for_an_rgb_model(gray_model, tiny_model):
    rgb = np.random.default_rng(0).uniform(0, 1, (1, 28, 28, 3)).astype(np.float32)
    assert A.saliency(gray_model, rgb, 0).shape == (1, 28, 28)
    gray = np.random.default_rng(0).uniform(0, 1, (1, 8, 8, 1)).astype(np.float32)
    got = A.saliency(tiny_model, gray, 0)
    np.testing.assert_allclose(got, A.saliency(tiny_model, np.repeat(gray, 3, -1), 0), atol=1e-6)


# ----------------------------------------------------------------- sizes

def test_images_of_another_size_are_resized_for_a_fixed_size_model(rescaling_model):
    x = np.random.default_rng(0).uniform(0, 1, (1, 64, 64, 3)).astype(np.float32)
    with pytest.warns(UserWarning, match="64x64.*takes 32x32.*resized"):
        maps = A.saliency(rescaling_model, x, 0)
    assert maps.shape == (1, 32, 32)


@pytest.mark.parametrize("side", [1, 4])
def test_tiny_images_are_refused_with_the_minimum(side, tiny_model, gray_model):
    from helpers.deepdream import deepdream
    from helpers.render import render
    from helpers import objectives as O

    x = np.full((1, side, side, 3), 0.5, np.float32)
    with pytest.raises(ImageError, match=f"{side}x{side} pixels.*at least 8x8") as err:
        A.saliency(gray_model, x, 0)
    assert raised_by_project(err)
    with pytest.raises(ImageError, match="at least 8x8") as err:
        deepdream(tiny_model, x[0], layers="c2", steps=1, octaves=1, show_progress=False)
    assert raised_by_project(err)
    with pytest.raises(ValueError, match="too small to render.*at least") as err:
        render(tiny_model, O.channel("c1", 0), size=side, steps=1, progress=False)
    assert raised_by_project(err)


def test_size_given_as_text_is_converted_and_nonsense_refused(tiny_model):
    from helpers.render import render
    from helpers import objectives as O

    assert render(tiny_model, O.channel("c1", 0), size="8", steps=1, progress=False).images.shape[1:3] == (8, 8)
    with pytest.raises(ValueError, match="size must be a side in pixels") as err:
        render(tiny_model, O.channel("c1", 0), size="big", steps=1, progress=False)
    assert raised_by_project(err)
    with pytest.raises(ValueError, match="takes 8x8 images only.*not 16x16") as err:
        render(tiny_model, O.channel("c1", 0), size=16, steps=1, progress=False)
    assert raised_by_project(err)


# ----------------------------------------------------------------- outputs, layers, building

def test_several_outputs_get_one_message_listing_them_and_pick_output_works(tiny_model):
    import keras

    inp = keras.Input((8, 8, 3))
    h = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(4, 3, padding="same", name="c")(inp))
    two = keras.Model(inp, [keras.layers.Dense(3, name="cls")(h), keras.layers.Dense(4, name="box")(h)])
    x = np.random.default_rng(0).uniform(0, 1, (1, 8, 8, 3)).astype(np.float32)
    with pytest.raises(ValueError, match="2 outputs.*'cls'.*'box'.*pick_output") as err:
        A.saliency(two, x, 0)
    assert raised_by_project(err)
    one = adapt.pick_output(two, "box")
    assert A.saliency(one, x, 2).shape == (1, 8, 8)
    with pytest.raises(ValueError, match="outputs 0..1"):
        adapt.pick_output(two, 5)


def test_a_layer_without_a_feature_map_names_the_need_and_the_layers_that_qualify(tiny_model):
    x = np.random.default_rng(0).uniform(0, 1, (1, 8, 8, 3)).astype(np.float32)
    for fn in (A.grad_cam, cams.layer_cam, A.grad_cam_plus_plus):
        with pytest.raises(ValueError, match="needs a layer with a feature map.*'logits'.*qualify: .*c1.*c2") as err:
            fn(tiny_model, x, 0, layer="logits")
        assert raised_by_project(err)


def test_an_unbuilt_sequential_says_how_to_build_it():
    import keras

    model = keras.Sequential([keras.layers.Conv2D(4, 3), keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)])
    x = np.random.default_rng(0).uniform(0, 1, (1, 8, 8, 3)).astype(np.float32)
    with pytest.raises(ValueError, match="not been built yet.*model\\(images\\[:1\\]\\)") as err:
        A.saliency(model, x, 0)
    assert raised_by_project(err)


def test_standalone_logits_model_for_other_tools(shapes_spec):
    """tf-keras-vis and friends read layer.output: the standalone copy has each layer once, same logits."""
    import keras

    clone = shapes_spec.standalone_logits_model()
    names = [layer.name for layer in clone.layers]
    assert len(names) == len(set(names))
    probe = keras.Model(clone.inputs, clone.get_layer("conv4").output)  # fails on the shared-layer logits model
    x = np.random.default_rng(0).uniform(0, 1, (2, 64, 64, 3)).astype(np.float32)
    assert probe(x).shape == (2, 16, 16, 64)
    np.testing.assert_allclose(np.asarray(clone(x)), np.asarray(shapes_spec.logits_model(x)), atol=1e-5)
    assert clone.get_layer("conv4") is not shapes_spec.model.get_layer("conv4"), "its own layers"


# ----------------------------------------------------------------- files and arrays that lie

@pytest.mark.parametrize("content, why", [(b"", "is empty"), (b"<html>404 Not Found</html>", "is not one"),
                                          ("truncated", "not a Keras model")])
def test_a_broken_keras_file_says_so(tmp_path, tiny_model, content, why):
    from helpers.models import load_keras_file

    path = tmp_path / "broken.keras"
    if content == "truncated":
        good = tmp_path / "good.keras"
        tiny_model.save(good)
        path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError, match="not a Keras model \\(corrupt or incomplete download\\?\\)") as err:
        load_keras_file(path)
    assert why in str(err.value) and raised_by_project(err)


def test_a_dark_16_bit_png_keeps_its_real_range(tmp_path):
    from PIL import Image

    raw = np.full((6, 6), 200, np.uint16)  # dark: 200 / 65535, not 200 / 255
    raw[0, 0] = 250
    path = tmp_path / "lab.png"
    Image.fromarray(raw).save(path)
    img = images.load_image(path)
    assert img.shape == (6, 6, 3)
    np.testing.assert_allclose(img[1, 1, 0], 200 / 65535, rtol=1e-4)
    np.testing.assert_allclose(img[0, 0, 0], 250 / 65535, rtol=1e-4)
    np.testing.assert_allclose(images.to_rgb_float(raw)[1, 1, 0], 200 / 65535, rtol=1e-4)
    batch = images.model_batch(raw[None, ..., None].repeat(3, -1))  # a uint16 batch
    np.testing.assert_allclose(batch[0, 1, 1, 0], 200 / 65535, rtol=1e-4)


def test_wrong_types_and_lengths_get_the_courses_own_words(shapes_spec):
    from helpers import config
    from helpers.embedding import knn_accuracy, scatter
    from helpers.plotting import image_grid

    imgs = [np.zeros((4, 4, 3))] * 3
    with pytest.raises(TypeError, match="cols must be a whole number") as err:
        image_grid(imgs, cols="4")
    assert raised_by_project(err)
    with pytest.raises(ValueError, match="2 titles for 3 images") as err:
        image_grid(imgs, titles=["a", "b"])
    assert raised_by_project(err)
    pts = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match="9 labels for 10 points") as err:
        knn_accuracy(pts, np.arange(9) % 2)
    assert raised_by_project(err)
    with pytest.raises(ValueError, match="label 3 has no class name: 2 class names") as err:
        scatter(pts, np.arange(10) % 4, ["a", "b"])
    assert raised_by_project(err)
    with pytest.raises(ValueError, match="seed must be a whole number, 0 or more") as err:
        config.rng(-1)
    assert raised_by_project(err)
    from helpers.shapes import make_shapes

    with pytest.raises(ValueError, match="seed must be a whole number") as err:
        make_shapes(2, seed=-5)
    assert raised_by_project(err)
    x = np.random.default_rng(0).uniform(0, 1, (3, 64, 64, 3)).astype(np.float32)
    with pytest.raises(ValueError, match="2 class indices for 3 images") as err:
        A.saliency(shapes_spec, x, [0, 1])
    assert raised_by_project(err)


def test_randomized_copy_of_a_wrapped_model_keeps_the_students_layer_paths():
    """Dissecting the randomized copy of a student's model uses the same layer names as the model itself."""
    import keras
    from keras import layers

    from helpers._graph import layer_names
    from helpers.adapt import adapt
    from helpers.metrics import randomized_copies, randomized_model

    keras.utils.set_random_seed(4)
    inner = keras.Sequential([keras.Input((32, 32, 3)), layers.Rescaling(1 / 255),
                              layers.Conv2D(4, 3, activation="relu", name="c1"), layers.GlobalAveragePooling2D(),
                              layers.Dense(3, name="out")], name="student")
    wrapped = adapt(inner, verbose=False)
    assert wrapped is not inner and "c1" in layer_names(wrapped)
    assert layer_names(randomized_model(wrapped)) == layer_names(wrapped)
    assert all(layer_names(m) == layer_names(wrapped) for _, m in randomized_copies(wrapped))
