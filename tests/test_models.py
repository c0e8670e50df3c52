import numpy as np
import pytest

from conftest import assert_weights_equal, weights_snapshot
from helpers import models


def test_shipped_model_accuracy_holds_on_a_fresh_seed(shapes_spec):
    from helpers.train import accuracy

    assert accuracy(shapes_spec.model, n=1000, seed=99_123) >= 0.97


def test_shipped_model_ends_in_softmax_and_takes_unit_range(shapes_spec):
    assert models.ends_in_softmax(shapes_spec.model)
    from helpers.shapes import make_shapes

    x, y, _ = make_shapes(64, seed=5)
    probs = shapes_spec.predict(x)
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)
    top = shapes_spec.decode(probs, top=3)
    assert len(top) == 64 and all(len(t) == 3 for t in top)
    assert np.mean([t[0][0] for t in top] == y) > 0.9  # decode agrees with the labels


def test_unknown_layer_lists_valid_names(shapes_spec):
    with pytest.raises(models.LayerNotFoundError) as err:
        shapes_spec.layer("conv9")
    msg = str(err.value)
    for name in ("conv1", "conv4", "logits"):
        assert name in msg


def test_layer_name_must_be_a_string(shapes_spec):
    with pytest.raises(models.LayerNotFoundError, match="conv1"):
        models.get_layer(shapes_spec.model, 3)


def test_without_softmax_separate_layer(tiny_model):
    snap = weights_snapshot(tiny_model)
    n_layers = len(tiny_model.layers)
    logits = models.without_softmax(tiny_model)
    x = np.random.default_rng(0).random((4, 8, 8, 3)).astype("float32")
    z = np.asarray(logits(x))
    p = np.asarray(tiny_model(x))
    e = np.exp(z - z.max(1, keepdims=True))
    np.testing.assert_allclose(e / e.sum(1, keepdims=True), p, rtol=1e-5, atol=1e-6)
    assert models.ends_in_softmax(tiny_model) and not models.ends_in_softmax(logits)
    assert len(tiny_model.layers) == n_layers
    assert_weights_equal(tiny_model, snap)


def test_without_softmax_fused_dense_clones(tiny_sequential):
    snap = weights_snapshot(tiny_sequential)
    logits = models.without_softmax(tiny_sequential)
    assert logits is not tiny_sequential
    x = np.random.default_rng(1).random((3, 8, 8, 3)).astype("float32")
    z, p = np.asarray(logits(x)), np.asarray(tiny_sequential(x))
    assert not np.allclose(z.sum(1), 1.0)  # real logits, not probabilities
    e = np.exp(z - z.max(1, keepdims=True))
    np.testing.assert_allclose(e / e.sum(1, keepdims=True), p, rtol=1e-5, atol=1e-6)
    assert models.ends_in_softmax(tiny_sequential)  # the caller's model still has its softmax
    assert_weights_equal(tiny_sequential, snap)


def test_user_keras_file_round_trip_with_safe_mode(tmp_path, tiny_model):
    path = tmp_path / "mine.keras"
    tiny_model.save(path)
    spec = models.load_keras_file(path, class_names=["a", "b", "c"])
    assert spec.layers["last_conv"] == "c2" and spec.layers["early"] == "c1"
    assert spec.class_index("b") == 1
    with pytest.raises(ValueError, match="out of range"):
        spec.class_index(7)


def test_load_model_auto_is_the_shapes_cnn_online_and_offline(monkeypatch, capsys):
    """The lessons' main thread: the shapes CNN even where VGG16's weights are at hand (issue 21)."""
    monkeypatch.delenv("COURSE_MODEL", raising=False)
    monkeypatch.delenv("COURSE_WEIGHTS", raising=False)
    for cached in (False, True):
        monkeypatch.setattr(models, "weights_cached", lambda arch, c=cached: c)
        assert models.load_model("auto").name == "shapes"
    assert capsys.readouterr().out == ""


def test_load_imagenet_offline_says_why_the_section_is_skipped(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_WEIGHTS", raising=False)
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setattr(models, "weights_cached", lambda arch: False)
    assert models.load_imagenet("vgg16") is None
    out = capsys.readouterr().out
    assert "VGG16's ImageNet weights" in out and "skipped" in out and "offline" in out and "COURSE_OFFLINE" not in out
    assert models.load_imagenet("inception_v3") is None and "InceptionV3" in capsys.readouterr().out
    with pytest.raises(ValueError, match="inception_v3.*vgg16"):
        models.load_imagenet("resnet50")


def test_load_imagenet_with_random_weights_runs_the_code_path(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_WEIGHTS", "random")
    spec = models.load_imagenet("vgg16")
    out = capsys.readouterr().out
    assert spec is not None and spec.name == "vgg16" and len(spec.class_names) == 1000
    assert "VGG16 with random weights" in out and "mean nothing" in out
    assert spec.input_size == (64, 64), "fast mode builds the random-weight network small"


def test_load_imagenet_with_weights_at_hand_loads_them(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_WEIGHTS", raising=False)
    monkeypatch.setattr(models, "weights_reachable", lambda arch: (True, "weights cached in ~/.keras/models"))
    seen = {}
    monkeypatch.setattr(models, "_imagenet", lambda arch, weights, side=None: seen.setdefault("args", (arch, weights)))
    models.load_imagenet("vgg16")
    assert seen["args"] == ("vgg16", "imagenet") and "VGG16 with its ImageNet weights" in capsys.readouterr().out


def test_missing_weights_give_a_plain_error(monkeypatch):
    import keras

    def refuse(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(keras.applications, "VGG16", refuse)
    with pytest.raises(models.WeightsUnavailableError, match="offline"):
        models.load_model("vgg16")


def test_unknown_model_name():
    with pytest.raises(ValueError, match="shapes, shapes_b, shapes_plain, vgg16"):
        models.load_model("resnet9000")


@pytest.mark.slow
def test_vgg16_architecture_builds_with_our_preprocessing():
    """Random weights (no download): layer names the lessons use exist; input is [0, 1]."""
    spec = models.load_model("vgg16", weights=None)
    for name in spec.layers.values():
        spec.layer(name)
    assert spec.input_size == (224, 224) and len(spec.class_names) == 1000
    assert spec.model.get_layer("caffe_preprocess") is not None
    assert spec.class_names[130] == "flamingo"


def test_plain_twin_loads_and_is_less_robust_than_model_a(shapes_spec, shapes_data):
    """Model A was trained adversarially; the plain model (same seed, clean images) was not."""
    from helpers.train import accuracy, adversarial_batch

    plain = models.load_model("shapes_plain")
    assert plain.name == "shapes_plain" and accuracy(plain.model, n=500, seed=99_124) >= 0.97
    x, y, _ = shapes_data

    def robust_accuracy(model):
        adv = adversarial_batch(model, x, y, 0.015, seed=(1, 2)).numpy()  # each model's own worst direction
        return float(np.mean(np.asarray(model(adv)).argmax(1) == y))

    assert robust_accuracy(shapes_spec.model) > robust_accuracy(plain.model) + 0.2
    with pytest.raises(ValueError, match="choose a, b, plain"):
        models.load_shapes("c")


# ----------------------------------------------------------------- the course-wide model switch

def _switch(monkeypatch, model=None, weights=None):
    for key, value in (("COURSE_MODEL", model), ("COURSE_WEIGHTS", weights)):
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)


def test_switch_course_model_path_loads_the_users_file(monkeypatch, capsys, tmp_path, tiny_model):
    path = tmp_path / "mine.keras"
    tiny_model.save(path)
    _switch(monkeypatch, model=str(path))
    spec = models.load_model("auto")
    assert spec.name == "mine" and spec.input_size == (8, 8)
    out = capsys.readouterr().out
    assert f"COURSE_MODEL={path}" in out and "describes the shapes CNN" in out
    assert models.load_model("shapes").name == "shapes", "an explicit name is not overridden by the switch"


def test_switch_random_weights_build_small_in_fast_mode_and_say_so(monkeypatch, capsys):
    _switch(monkeypatch, model="vgg16", weights="random")
    spec = models.load_model("auto")
    out = capsys.readouterr().out
    assert "random weights" in out and "mean nothing" in out
    assert spec.input_size == (64, 64) and "random weights" in spec.description
    assert models.ends_in_softmax(spec.model)
    logits = spec.logits_model
    assert not models.ends_in_softmax(logits)
    assert logits.get_layer("predictions").kernel is spec.model.get_layer("predictions").kernel, "logits copy weights"
    x = np.random.default_rng(0).uniform(0, 1, (2, 64, 64, 3)).astype("float32")
    z = np.asarray(logits(x))
    np.testing.assert_allclose(spec.predict(x), np.exp(z) / np.exp(z).sum(1, keepdims=True), rtol=1e-4, atol=1e-6)
    assert spec.predict(x[:, :32, :32]).shape == (2, 1000), "predict resizes other sizes to the input"


def test_switch_inception_keeps_its_minimum_side(monkeypatch):
    _switch(monkeypatch, weights="random")
    spec = models.load_model("inception_v3")
    assert spec.input_size == (75, 75), "fast mode caps the side at 64 px, InceptionV3 takes 75 px at least"


def test_switch_refuses_unknown_weights(monkeypatch):
    _switch(monkeypatch, model="vgg16", weights="pretrained")
    with pytest.raises(ValueError, match="COURSE_WEIGHTS.*imagenet or random"):
        models.load_model("auto")


def test_imagenet_weights_need_the_full_side():
    with pytest.raises(ValueError, match="224 px images only"):
        models._imagenet("vgg16", "imagenet", side=64)


def test_min_input_side_by_hand():
    """Two valid 3x3 convolutions and a 2x2 pooling: side s -> s-4 -> (s-4)//2, at least 1 when s >= 6."""
    import keras
    from keras import layers

    inp = keras.Input((None, None, 3))
    x = layers.Conv2D(2, 3)(inp)
    x = layers.Conv2D(2, 3)(x)
    x = layers.MaxPooling2D(2)(x)
    assert models.min_input_side(keras.Model(inp, x)) == 6
    same = keras.Model(inp, layers.Conv2D(2, 3, padding="same")(inp))
    assert models.min_input_side(same) == 1


def _sigmoid_model(units: int = 1, seed: int = 4):
    import keras

    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, activation="relu", name="c1"),
                             keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(units, activation="sigmoid",
                                                                                       name="out")], name="binary")


def _logit_of(model, x):
    """z with sigma(z) = the model's output, computed from the last layer's own weights."""
    import keras

    feats = np.asarray(keras.Model(model.inputs[0], model.layers[-2].output)(x))
    w, b = model.layers[-1].get_weights()
    return feats @ w + b


def test_binary_sigmoid_head_predicts_its_probability_and_exposes_its_logit():
    from helpers import objectives as O

    m = _sigmoid_model()
    x = np.random.default_rng(2).random((5, 8, 8, 3)).astype("float32") * np.linspace(0, 1, 5)[:, None, None, None]
    p = np.asarray(m(x))[:, 0]
    spec = models.spec_for_model(m)
    assert spec.class_names == ["negative", "positive"] and models.binary_head(m) and models.n_classes(m) == 2
    probs = spec.predict(x)
    np.testing.assert_allclose(probs, np.stack([1 - p, p], 1), atol=1e-6)  # the sigmoid, not a softmax of 1 unit
    assert spec.decode(probs, top=1)[0][0][1] in ("negative", "positive")
    z = _logit_of(m, x)[:, 0]
    logits = np.asarray(models.without_softmax(m)(x))
    np.testing.assert_allclose(logits, np.stack([-z / 2, z / 2], 1), rtol=1e-5, atol=1e-6)
    e = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(e / e.sum(1, keepdims=True), probs, atol=1e-6)  # softmax of the pair = [1-p, p]
    np.testing.assert_allclose(O.evaluate(m, O.class_logit(1), x), z / 2, rtol=1e-5, atol=1e-6)
    assert models.spec_for_model(m, class_names=["cat"]).class_names == ["not cat", "cat"]


def test_attribution_on_a_sigmoid_head_follows_the_logit_not_the_probability():
    import tensorflow as tf

    from helpers import attribution as A

    m = _sigmoid_model(seed=5)
    x = tf.constant(np.random.default_rng(3).random((2, 8, 8, 3)).astype("float32"))
    linear = models.graph_model(m, head="logits")
    with tf.GradientTape() as tape:
        tape.watch(x)
        z = linear(x)[:, 1] * 2.0  # the logit z itself
    dz = tape.gradient(z, x).numpy()
    np.testing.assert_allclose(A.input_gradients(m, x.numpy(), 1), dz / 2, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(A.input_gradients(m, x.numpy(), 0), -dz / 2, rtol=1e-4, atol=1e-7)
    p = np.asarray(m(x))[:, 0]
    assert not np.allclose(p * (1 - p), 0.5)  # the probability's gradient would be scaled by p(1-p) per image


def test_multi_label_sigmoid_predicts_independent_probabilities():
    m = _sigmoid_model(units=3)
    x = np.random.default_rng(4).random((2, 8, 8, 3)).astype("float32")
    np.testing.assert_allclose(models.spec_for_model(m).predict(x), np.asarray(m(x)), atol=1e-6)
    z = np.asarray(models.without_softmax(m)(x))
    np.testing.assert_allclose(1 / (1 + np.exp(-z)), np.asarray(m(x)), atol=1e-6)


def test_user_model_spec_has_samples_and_offers_its_grad_cam_layer():
    """A user's model explains its own prediction on the sample photos; a weightless last activation is offered."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((16, 16, 3)), layers.Conv2D(4, 3, name="c1"), layers.ReLU(name="out_relu"),
                              layers.GlobalAveragePooling2D(), layers.Dense(3, activation="softmax")])
    spec = models.spec_for_model(model)
    assert spec.layers["last_conv"] == "out_relu" and spec.conv_layers == ["c1", "out_relu"]
    samples = spec.sample_images()
    assert samples, "a user model gets the course's sample photos"
    for img, cls in samples.values():
        assert img.shape == (16, 16, 3) and cls == int(spec.predict(img[None])[0].argmax())
