"""Attribution methods against known answers: hand-built models, ground-truth masks, the ReLU rules."""

import warnings

import numpy as np
import pytest
from conftest import assert_weights_equal, weights_snapshot

from helpers import attribution as A
from helpers import config, metrics
from helpers.guided import backward_rule, guided_model


def _colour_model(weights=((1.0, -1.0), (-1.0, 1.0)), softmax=True, kernel=None):
    """8x8 input -> 1x1 conv (ch0 = red, ch1 = green, ReLU) -> GAP -> Dense(2) -> softmax."""
    import keras

    inp = keras.Input((8, 8, 3))
    conv = keras.layers.Conv2D(2, 1, activation="relu", name="feat")
    dense = keras.layers.Dense(2, name="logits")
    x = dense(keras.layers.GlobalAveragePooling2D()(conv(inp)))
    if softmax:
        x = keras.layers.Activation("softmax", name="probs")(x)
    model = keras.Model(inp, x)
    k = np.zeros((1, 1, 3, 2), np.float32) if kernel is None else kernel
    if kernel is None:
        k[0, 0, 0, 0] = 1.0  # channel 0 sees red
        k[0, 0, 1, 1] = 1.0  # channel 1 sees green
    conv.set_weights([k, np.zeros(2, np.float32)])
    dense.set_weights([np.asarray(weights, np.float32), np.zeros(2, np.float32)])
    return model


def _two_squares():
    img = np.zeros((8, 8, 3), np.float32)
    img[1:3, 1:3, 0] = 1.0   # red square, top left
    img[5:8, 4:7, 1] = 0.25  # green square, bottom right, dimmer
    return img


def test_grad_cam_on_hand_built_model_has_the_known_answer():
    model = _colour_model()
    img = _two_squares()
    red, green = img[..., 0] > 0, img[..., 1] > 0
    # z0 = mean(A0) - mean(A1): alpha = (+1/64, -1/64), so the map is ReLU(A0 - A1) / max = the red square.
    cams = A.grad_cam(model, np.stack([img, img]), [0, 1], layer="feat")
    np.testing.assert_allclose(cams[0], red.astype(np.float32), atol=1e-6)
    np.testing.assert_allclose(cams[1], green.astype(np.float32), atol=1e-6)
    # "auto" explains the predicted class: red wins (4 px x 1.0 against 9 px x 0.25).
    assert np.array_equal(A.grad_cam(model, img, "auto", layer="feat")[0] > 0, red)


def test_grad_cam_finds_the_last_conv_layer_and_errors_clearly(tiny_model):
    np.testing.assert_allclose(A.grad_cam(tiny_model, np.ones((1, 8, 8, 3)) * 0.5, 0),
                               A.grad_cam(tiny_model, np.ones((1, 8, 8, 3)) * 0.5, 0, layer="c2"))
    with pytest.raises(ValueError, match="Valid layer names: .*c1, c2"):
        A.grad_cam(tiny_model, np.zeros((1, 8, 8, 3)), 0, layer="conv9")
    with pytest.raises(IndexError, match=r"0\.\.2"):
        A.saliency(tiny_model, np.zeros((1, 8, 8, 3)), 3)


def test_dead_layer_gives_flagged_zero_maps_not_nans():
    kernel = -np.ones((1, 1, 3, 2), np.float32)  # ReLU(-x) = 0 for every image in [0, 1]
    model = _colour_model(kernel=kernel)
    with pytest.warns(UserWarning, match="all zeros"):
        cams = A.grad_cam(model, np.stack([_two_squares()] * 3), 0, layer="feat")
    assert np.all(np.isfinite(cams)) and cams.max() == 0.0
    assert A.empty_maps(cams).all()
    assert metrics.pointing_game(cams, np.ones_like(cams, bool)).sum() == 0  # an empty map points nowhere


def test_methods_use_logits_and_never_change_the_model(tiny_model, tiny_sequential):
    import keras
    import tensorflow as tf

    x = config.rng(0).random((2, 8, 8, 3)).astype(np.float32)
    for model, last in ((tiny_model, "probs"), (tiny_sequential, "out")):
        snap, n_layers = weights_snapshot(model), len(model.layers)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name, fn in A.METHODS.items():
                maps = fn(model, x, [0, 2])
                assert maps.shape == (2, 8, 8) and 0.0 <= maps.min() and maps.max() <= 1.0, name
        assert_weights_equal(model, snap)
        assert len(model.layers) == n_layers
        assert model.get_layer(last).activation is keras.activations.softmax
    # The gradient explained is that of the logit, not the probability.
    logits = keras.Model(tiny_model.inputs[0], tiny_model.get_layer("logits").output)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        z = logits(xt)[:, 1]
    np.testing.assert_allclose(A.input_gradients(tiny_model, x, 1), tape.gradient(z, xt).numpy(), rtol=1e-5, atol=1e-6)


def test_integrated_gradients_completeness(tiny_model):
    config.set_fast(False)
    try:
        x = config.rng(1).random((3, 8, 8, 3)).astype(np.float32)
        attr, gap = A.ig_attributions(tiny_model, x, [0, 1, 2], baseline="black", steps=256)
        assert np.all(np.abs(gap) > 1e-3)
        np.testing.assert_allclose(attr.reshape(3, -1).sum(1), gap, rtol=0.02, atol=2e-3)
        # Where the model is linear along the whole path (baseline 0.1 keeps every ReLU open),
        # completeness is exact and the attribution is w * (x - x') = (x - 0.1) / 64 on the red channel.
        lin = _colour_model(weights=((1.0, 0.0), (0.0, 1.0)), softmax=False)
        img = 0.2 + 0.8 * _two_squares()  # strictly positive, so the ReLUs stay open from 0.1 to x
        attr, gap = A.ig_attributions(lin, img, 0, baseline=0.1, steps=8)
        assert attr.sum() == pytest.approx(float(gap[0]), rel=1e-5)
        np.testing.assert_allclose(attr[0, ..., 0], (img[..., 0] - 0.1) / 64.0, atol=1e-6)
        assert np.abs(attr[0, ..., 1:]).max() == 0.0  # green and blue do not move the red score
    finally:
        config.set_fast(None)


def test_guided_relu_rule_matches_numpy_and_leaves_original_gradients_untouched():
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(3)
    inp = keras.Input((5,))
    h = keras.layers.Dense(6, activation="relu", name="h")(inp)
    r = keras.layers.ReLU(name="r")(keras.layers.Dense(4, name="pre")(h))
    model = keras.Model(inp, keras.layers.Dense(1, name="out")(r))
    x = tf.constant(config.rng(3).normal(size=(1, 5)).astype(np.float32))

    def grad(m):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = m(x)
        return tape.gradient(y, x).numpy()[0]

    before, snap = grad(model), weights_snapshot(model)
    g = guided_model(model)
    np.testing.assert_allclose(g(x).numpy(), model(x).numpy(), rtol=1e-6)  # same forward pass
    # Backward by hand through out -> ReLU -> pre -> ReLU(h) with the guided rule.
    (w1, b1), (w2, b2), (w3, _) = [model.get_layer(n).get_weights() for n in ("h", "pre", "out")]
    a1 = x.numpy()[0] @ w1 + b1
    a2 = np.maximum(a1, 0) @ w2 + b2
    g2 = backward_rule(a2, w3[:, 0], "guided")
    g1 = backward_rule(a1, w2 @ g2, "guided")
    np.testing.assert_allclose(grad(g), w1 @ g1, rtol=1e-5, atol=1e-6)
    assert not np.allclose(grad(g), before)
    np.testing.assert_allclose(grad(model), before)  # the original still back-propagates plainly
    assert_weights_equal(model, snap)
    assert model.get_layer("h").activation is keras.activations.relu


def test_backward_rules_differ_as_the_papers_say():
    x = np.array([1.0, -1.0, 1.0, -1.0])
    g = np.array([1.0, 1.0, -1.0, -1.0])
    assert backward_rule(x, g, "backprop").tolist() == [1, 0, -1, 0]
    assert backward_rule(x, g, "deconvnet").tolist() == [1, 1, 0, 0]
    assert backward_rule(x, g, "guided").tolist() == [1, 0, 0, 0]
    with pytest.raises(ValueError, match="backprop, deconvnet, guided"):
        backward_rule(x, g, "other")


def test_smoothgrad_is_seeded_and_reduces_to_saliency_without_noise(shapes_spec, shapes_data):
    x, y, _ = shapes_data
    a = A.smoothgrad(shapes_spec.model, x[:2], y[:2], samples=4, seed=1)
    np.testing.assert_array_equal(a, A.smoothgrad(shapes_spec.model, x[:2], y[:2], samples=4, seed=1))
    assert not np.allclose(a, A.smoothgrad(shapes_spec.model, x[:2], y[:2], samples=4, seed=2))
    np.testing.assert_allclose(A.smoothgrad(shapes_spec.model, x[:2], y[:2], samples=3, noise=0.0),
                               A.saliency(shapes_spec.model, x[:2], y[:2]), atol=1e-5)


def test_maps_point_at_the_object_on_shapes(shapes_spec, shapes_data):
    x, y, masks = shapes_data
    scores = {name: metrics.pointing_game(A.METHODS[name](shapes_spec.model, x, y), masks).mean()
              for name in ("saliency", "guided_backprop", "grad_cam")}
    assert scores["saliency"] >= 0.9 and scores["guided_backprop"] >= 0.9 and scores["grad_cam"] >= 0.8, scores
    assert metrics.pointing_game(metrics.random_maps(len(x), seed=0), masks).mean() <= 0.3


def test_grad_cam_is_class_discriminative_on_two_objects(shapes_spec):
    from helpers.shapes import make_shapes

    x, y, m = make_shapes(64, seed=5)
    i, j = int(np.flatnonzero(y == 0)[0]), int(np.flatnonzero(y == 7)[0])  # a circle, a star
    img, mi, mj = metrics.two_object_image(x, m, i, j)
    assert mi.any() and mj.any() and not (mi & mj).any()
    cams = A.grad_cam(shapes_spec.model, np.stack([img, img]), [0, 7])
    assert (cams[0] * mi).sum() > (cams[0] * mj).sum()
    assert (cams[1] * mj).sum() > (cams[1] * mi).sum()


def test_attribution_panel_runs_and_reports_bad_input(shapes_spec):
    from helpers.widgets.attribution import AttributionPanel

    panel = AttributionPanel(shapes_spec, method="grad_cam")
    panel.run()
    assert panel.error is None and panel.png and panel.map.shape == (64, 64)
    panel.controls["method"].value = "guided_backprop"
    panel.controls["class"].value = "star"
    panel.run()
    assert panel.error is None and panel.map.max() == pytest.approx(1.0)
    panel.controls["layer"].options = [*panel.controls["layer"].options, "nope"]
    panel.controls["method"].value, panel.controls["layer"].value = "grad_cam", "nope"
    panel.run()
    assert "Valid layer names" in panel.error
    with pytest.raises(ValueError, match="unknown method"):
        AttributionPanel(shapes_spec, methods=["lrp"])


def test_attribution_panel_offers_a_layer_only_to_methods_that_take_one(shapes_spec):
    from helpers.widgets.attribution import AttributionPanel

    assert "layer" not in AttributionPanel(shapes_spec, methods=["saliency", "smoothgrad"]).controls
    panel = AttributionPanel(shapes_spec, methods=["grad_cam", "saliency"])
    assert not panel.controls["layer"].disabled
    panel.controls["method"].value = "saliency"
    assert panel.controls["layer"].disabled
    panel.controls["method"].value = "grad_cam"
    assert not panel.controls["layer"].disabled


def test_default_grad_cam_layer_skips_pooling():
    import keras

    inp = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(inp)
    x = keras.layers.MaxPooling2D(name="pool")(x)
    model = keras.Model(inp, keras.layers.Dense(2, name="out")(keras.layers.Flatten()(x)))
    assert A.default_cam_layer(model) == "conv"   # as in VGG16: block5_conv3, not block5_pool


def test_own_compiled_functions_do_not_warn_about_retracing_but_users_still_do(shapes_spec):
    """Each randomized model gets its own compiled function by design: no retracing warning for
    those, while a user's own retracing function is still reported by TensorFlow."""
    import io
    import logging

    import tensorflow as tf

    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    logger = logging.getLogger("tensorflow")
    logger.addHandler(handler)
    try:
        x = np.random.default_rng(0).uniform(0, 1, (2, 64, 64, 3)).astype("float32")
        for _, m in metrics.randomized_copies(shapes_spec.model, seed=0):
            A.grad_cam(m, x, 0)
            A.saliency(m, x, 0)

        @tf.function
        def user_fn(v):
            return v * 2

        for i in range(8):
            user_fn(tf.constant(np.zeros(i + 1)))
    finally:
        logger.removeHandler(handler)
    log = buf.getvalue()
    assert "_layer_function" not in log and "_input_grad_fn" not in log
    assert "user_fn" in log and "retracing" in log


def test_long_attributions_show_a_progress_bar_that_changes_nothing(shapes_spec, capsys):
    x = np.random.default_rng(1).uniform(0, 1, (6, 64, 64, 3)).astype("float32")
    quiet = A.smoothgrad(shapes_spec.model, x, 0, samples=32, seed=3, progress=False)
    assert "SmoothGrad" not in capsys.readouterr().err
    loud = A.smoothgrad(shapes_spec.model, x, 0, samples=32, seed=3, progress=True)
    assert "SmoothGrad" in capsys.readouterr().err
    np.testing.assert_array_equal(quiet, loud)  # same seed, same maps
    per = max(1, A.CHUNK // (max(2, config.steps(32)) + 1))  # images per compiled call (fast mode caps steps)
    A.integrated_gradients(shapes_spec.model, np.repeat(x[:1], per + 1, 0), 0, steps=32)  # two calls: a bar
    assert "integrated gradients" in capsys.readouterr().err
    A.integrated_gradients(shapes_spec.model, x[:1], 0, steps=32)  # one call: no bar by default
    assert "integrated gradients" not in capsys.readouterr().err


def _retrained(model, seed):
    """New random weights of the same shapes (what ``fit`` or a checkpoint load would do)."""
    r = config.rng(seed)
    return [r.normal(scale=0.5, size=w.shape).astype(np.float32) for w in model.get_weights()]


def test_maps_follow_set_weights_no_stale_cache(tiny_model):
    """After model.set_weights(...) every method explains the new network, exactly like a fresh copy would."""
    import keras

    x = config.rng(7).uniform(0, 1, size=(2, 8, 8, 3)).astype(np.float32)
    methods = {"saliency": A.saliency, "grad_cam": A.grad_cam, "guided_backprop": A.guided_backprop}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        before = {k: f(tiny_model, x, 1) for k, f in methods.items()}
        new = _retrained(tiny_model, 8)
        tiny_model.set_weights(new)
        fresh = keras.models.clone_model(tiny_model)
        fresh.set_weights(new)
        for k, f in methods.items():
            after = f(tiny_model, x, 1)
            assert not np.allclose(after, before[k], atol=1e-4), k
            np.testing.assert_allclose(after, f(fresh, x, 1), atol=1e-5, err_msg=k)


def test_cache_is_dropped_with_the_model_and_bounded():
    import gc
    import weakref

    from conftest import _tiny
    from helpers.attribution import core as _gradients

    model = _tiny(11, softmax=True, sequential=True)
    x = config.rng(1).uniform(0, 1, size=(1, 8, 8, 3)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        A.saliency(model, x)
        A.guided_backprop(model, x)
        for layer in ("c1", "c2"):
            for relu in ("sum", "channels"):
                A.grad_cam(model, x, layer=layer, relu=relu)
                A.grad_cam_plus_plus(model, x, layer=layer)
    assert model in _gradients._CACHE
    assert len(_gradients._CACHE[model]) <= _gradients.CACHE_SIZE
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None  # nothing in the cache kept the model alive
    assert all(ref() is not m for m in list(_gradients._CACHE.keys()))


def _relu_unit_model(w, bias):
    """4x4x3 input -> z_0 = ReLU(w . x + bias), z_1 = 0: one kink on the path from black, at a known place."""
    import keras

    inp = keras.Input((4, 4, 3))
    unit = keras.layers.Dense(1, activation="relu", name="unit")
    out = keras.layers.Dense(2, name="logits")
    model = keras.Model(inp, out(unit(keras.layers.Flatten()(inp))))
    unit.set_weights([np.asarray(w, np.float32).reshape(-1, 1), np.array([bias], np.float32)])
    out.set_weights([np.array([[1.0, 0.0]], np.float32), np.zeros(2, np.float32)])
    return model


def test_integrated_gradients_converge_to_the_exact_integral_across_a_relu_kink():
    config.set_fast(False)
    try:
        rng = np.random.default_rng(5)
        x = rng.uniform(0.2, 1.0, (1, 4, 4, 3)).astype(np.float32)
        w = rng.uniform(0.5, 1.5, (4, 4, 3)).astype(np.float32)
        s = float((w * x[0]).sum())
        bias = -0.37 * s  # along x' + a (x - x') from black, the unit opens at a = 0.37
        model = _relu_unit_model(w, bias)
        # exact: dz/dx_i = w_i where a > 0.37, so IG_i = x_i w_i (1 - 0.37) and the gap is s + bias
        exact = x[0] * w * (1 - 0.37)
        errors = {}
        for m in (4, 16, 256):
            attr, gap = A.ig_attributions(model, x, 0, baseline="black", steps=m)
            assert gap[0] == pytest.approx(s + bias, rel=1e-5)
            np.testing.assert_allclose(attr[0], exact, atol=float((x[0] * w).max()) / m + 1e-6)
            errors[m] = abs(attr.sum() - gap[0]) / gap[0]
        assert errors[256] < 0.01 and errors[256] < errors[4]
    finally:
        config.set_fast(None)


def test_a_pixel_equal_to_the_baseline_gets_no_attribution_however_much_it_matters():
    w = np.full((4, 4, 3), 0.1, np.float32)
    w[1:3, 1:3] = 5.0                      # the centre matters most to the score...
    x = np.full((1, 4, 4, 3), 0.8, np.float32)
    x[0, 1:3, 1:3] = 0.0                   # ...and it is black
    model = _relu_unit_model(w, 0.0)
    black, _ = A.ig_attributions(model, x, 0, baseline="black", steps=8)
    assert np.all(black[0, 1:3, 1:3] == 0.0) and np.all(black[0, 0] > 0)
    blur, _ = A.ig_attributions(model, x, 0, baseline="blur", steps=8)
    assert np.all(blur[0, 1:3, 1:3] != 0.0)  # against a blurred copy the black centre does count


def test_blur_baseline_keeps_colours_and_removes_shapes():
    flat = np.full((1, 32, 32, 3), [0.2, 0.5, 0.9], np.float32)
    np.testing.assert_allclose(A.baseline_images(flat, "blur"), flat, atol=1e-6)
    board = ((np.indices((32, 32)).sum(0) // 4) % 2).astype(np.float32)[None, ..., None].repeat(3, -1)
    blurred = A.baseline_images(board, "blur")
    assert blurred.std() < 0.2 * board.std() and blurred.mean() == pytest.approx(board.mean(), abs=0.02)
    with pytest.raises(ValueError, match="blur"):
        A.baseline_images(board, "white noise")
