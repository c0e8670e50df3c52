"""CAM, Layer-CAM and Score-CAM against the hand-built colour model with known answers."""

import numpy as np
import pytest
from conftest import assert_weights_equal, weights_snapshot
from test_attribution import _colour_model, _two_squares

from helpers import cams, config


def _masks():
    img = _two_squares()
    return img[..., 0] > 0, img[..., 1] > 0


def test_cam_is_exactly_the_logit_spread_over_space(tiny_model, tiny_sequential):
    import keras

    x = config.rng(0).random((3, 8, 8, 3)).astype(np.float32)
    for model, dense in ((tiny_model, "logits"), (tiny_sequential, "out")):
        snap = weights_snapshot(model)
        logits = keras.Model(model.inputs[0], model.get_layer("gap").output) if dense == "out" else \
            keras.Model(model.inputs[0], model.get_layer("logits").output)
        coarse = cams.cam_coarse(model, x, [0, 1, 2])
        w, b = model.get_layer(dense).get_weights()
        z = np.asarray(logits(x)) @ w + b if dense == "out" else np.asarray(logits(x))
        np.testing.assert_allclose(coarse.mean((1, 2)) + b[[0, 1, 2]], z[np.arange(3), [0, 1, 2]], rtol=1e-5, atol=1e-5)
        assert cams.cam_layers(model) == ("c2", dense)
        assert_weights_equal(model, snap)
        assert model.layers[-1].get_config().get("activation") == "softmax"


def test_cam_on_the_colour_model_is_the_asked_square():
    red, green = _masks()
    img = _two_squares()
    maps = cams.cam(_colour_model(), np.stack([img, img]), [0, 1])
    # M^0 = A0 - A1 (weights +1, -1): its positive part is the red square, scaled to 1.
    np.testing.assert_allclose(maps[0], red.astype(np.float32), atol=1e-6)
    np.testing.assert_allclose(maps[1], green.astype(np.float32), atol=1e-6)


def test_cam_refuses_models_without_global_average_pooling():
    import keras

    inp = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(2, 3, name="c")(inp)
    out = keras.layers.Dense(2, activation="softmax")(keras.layers.Flatten()(x))
    with pytest.raises(cams.CamNotApplicable, match="GlobalAveragePooling2D.*Flatten"):
        cams.cam(keras.Model(inp, out), np.zeros((1, 8, 8, 3)), 0)
    with pytest.raises(cams.CamNotApplicable, match="defined only for 'feat'"):
        cams.cam(_colour_model(), _two_squares(), 0, layer="logits")


def test_layer_cam_keeps_only_positive_gradients():
    red, green = _masks()
    img = _two_squares()
    # dz0/dA0 = +1/64 and dz0/dA1 = -1/64: only A0 (the red square) survives, and vice versa.
    maps = cams.layer_cam(_colour_model(), np.stack([img, img]), [0, 1], layer="feat")
    np.testing.assert_allclose(maps[0], red.astype(np.float32), atol=1e-6)
    np.testing.assert_allclose(maps[1], green.astype(np.float32), atol=1e-6)
    with pytest.raises(ValueError, match="Valid layer names"):
        cams.layer_cam(_colour_model(), img, 0, layer="conv9")


def test_score_cam_weights_channels_by_the_softmax_of_their_score_gains():
    red, green = _masks()
    img = _two_squares()
    m = cams.score_cam(_colour_model(), img, 0, layer="feat")[0]
    # Revealing only the red square gives z0 = 4/64; only the green one, z0 = -9 * 0.25 / 64; black: 0.
    s0, s1 = 4 / 64, -2.25 / 64
    a0, a1 = np.exp(s0) / (np.exp(s0) + np.exp(s1)), np.exp(s1) / (np.exp(s0) + np.exp(s1))
    assert red[np.unravel_index(m.argmax(), m.shape)]
    np.testing.assert_allclose(m[red], 1.0, atol=1e-6)
    np.testing.assert_allclose(m[green], 0.25 * a1 / a0, rtol=1e-4)
    assert np.all(m[~(red | green)] == 0)
    with pytest.raises(ValueError, match="probability"):
        cams.score_cam(_colour_model(), img, 0, score="odds")


def test_score_cam_max_channels_keeps_the_most_active_channels():
    red, _ = _masks()
    img = _two_squares()
    model = _colour_model()
    # Mean activations: red channel 4 * 1.0 / 64, green 9 * 0.25 / 64: the cap of 1 keeps the red one alone,
    # whose softmax weight is then 1, so the map is the red square.
    capped = cams.score_cam(model, img, 1, layer="feat", max_channels=1)[0]
    np.testing.assert_allclose(capped, red.astype(np.float32), atol=1e-6)
    np.testing.assert_allclose(cams.score_cam(model, img, 0, layer="feat", max_channels=2),
                               cams.score_cam(model, img, 0, layer="feat"), atol=1e-7)
    for bad in (0, 1.5, True, "all"):
        with pytest.raises(ValueError, match="max_channels"):
            cams.score_cam(model, img, 0, layer="feat", max_channels=bad)


def _channels_model(kernel, dense):
    """8x8 input -> 1x1 conv with the given ``[3, K]`` kernel (ReLU, "feat") -> GAP -> Dense(2) logits."""
    import keras

    k = np.asarray(kernel, np.float32)
    inp = keras.Input((8, 8, 3))
    conv = keras.layers.Conv2D(k.shape[1], 1, activation="relu", name="feat")
    out_layer = keras.layers.Dense(2, name="logits")
    model = keras.Model(inp, out_layer(keras.layers.GlobalAveragePooling2D()(conv(inp))))
    conv.set_weights([k[None, None], np.zeros(k.shape[1], np.float32)])
    out_layer.set_weights([np.asarray(dense, np.float32), np.zeros(2, np.float32)])
    return model


def test_score_cam_cap_below_the_channel_count_scores_exactly_the_top_channels_by_mean_activation():
    r = config.rng(5)
    img = np.zeros((8, 8, 3), np.float32)
    img[..., 0] = 0.3                               # red: flat, mean 0.3, no spread
    img[2:6, 2:6, 1] = 1.0                          # green: a square, mean 0.25, large spread
    img[..., 2] = r.random((8, 8)) * 0.8            # blue: noise, mean about 0.4
    kernel = np.eye(3, 4, dtype=np.float32)         # channels 0-2 copy red, green, blue ...
    kernel[:, 3] = (0.1, 0.1, 0.0)                  # ... channel 3: a faint red + green, the smallest mean
    dense = r.normal(size=(4, 2)).astype(np.float32)
    acts = np.maximum(img.reshape(-1, 3) @ kernel, 0)
    top = np.sort(np.argsort(-acts.mean(0))[:2])
    assert list(top) == [0, 2]                      # by mean: red and blue ...
    assert sorted(np.argsort(-acts.std(0))[:2]) != [0, 2]   # ... not what a cap by spread would keep

    def by_hand(channels):   # Algorithm 1 over the given channels; each masked input scored by the whole model
        z = lambda im: (np.maximum(im.reshape(-1, 3) @ kernel, 0).mean(0) @ dense)[0]  # noqa: E731
        a = acts[:, channels].T.reshape(-1, 8, 8)
        lo, hi = a.min((1, 2), keepdims=True), a.max((1, 2), keepdims=True)
        h = np.where(hi > lo, (a - lo) / np.where(hi > lo, hi - lo, 1), 0)
        s = np.array([z(img * hk[..., None]) - z(np.zeros_like(img)) for hk in h])
        m = np.maximum(np.einsum("kij,k->ij", a, np.exp(s) / np.exp(s).sum()), 0)
        return m / m.max()

    capped = cams.score_cam(_channels_model(kernel, dense), img, 0, layer="feat", max_channels=2)[0]
    np.testing.assert_allclose(capped, by_hand(top), atol=1e-5)
    assert np.abs(capped - by_hand([0, 1])).max() > 0.05   # the test tells the top channels from the first ones
    assert np.abs(capped - by_hand(np.arange(4))).max() > 0.05   # ... and from all of them
    # a cap at or above the channel count is the uncapped map, exactly
    model = _channels_model(kernel, dense)
    uncapped = cams.score_cam(model, img, 0, layer="feat", max_channels=None)
    for cap in (4, 5, cams.SCORE_CAM_CHANNELS):
        np.testing.assert_array_equal(cams.score_cam(model, img, 0, layer="feat", max_channels=cap), uncapped)


def test_score_cam_default_cap_leaves_the_shapes_cnn_maps_unchanged(shapes_spec, shapes_data):
    from helpers.attribution.registry import REGISTRY

    layer = shapes_spec.layers["last_conv"]
    channels = shapes_spec.model.get_layer(layer).output.shape[-1]
    assert channels <= cams.SCORE_CAM_CHANNELS      # so the lessons' Score-CAM figures are the uncapped ones
    x, y, _ = shapes_data
    np.testing.assert_array_equal(cams.score_cam(shapes_spec.model, x[:2], y[:2], progress=False),
                                  cams.score_cam(shapes_spec.model, x[:2], y[:2], max_channels=None, progress=False))
    assert REGISTRY["score_cam"].quick["max_channels"] == "auto"
    assert cams.score_cam_channels(shapes_spec.model, channels) == channels


def _conv_stack(size, channels, depth):
    """``depth`` 3x3 convolutions of ``channels`` channels at ``size`` x ``size``: depth * size^2 * 9 * c^2 MACs."""
    import keras

    inp = keras.Input((size, size, 3))
    x = keras.layers.Conv2D(channels, 3, padding="same", name="c0")(inp)
    for i in range(1, depth):
        x = keras.layers.Conv2D(channels, 3, padding="same", name=f"c{i}")(x)
    return keras.Model(inp, keras.layers.Dense(4)(keras.layers.GlobalAveragePooling2D()(x)))


def test_forward_macs_counts_each_kernel_once_per_output_position_and_sets_the_score_cam_default():
    from helpers._graph import forward_macs

    size, c = 32, 64
    model = _conv_stack(size, c, 3)
    expected = size * size * 9 * (3 * c + 2 * c * c) + c * 4    # the three convolutions and the dense layer
    assert forward_macs(model) == expected
    nested = keras_nested(model)
    assert forward_macs(nested) == expected                     # counted through a nested model
    # the default cap is what the budget pays for, between the floor and the ceiling
    assert cams.score_cam_channels(model, 512) == cams.SCORE_CAM_CHANNELS       # cheap: the ceiling
    assert cams.score_cam_channels(model, 10) == 10                             # never more than the layer has
    big = _conv_stack(224, 512, 3)                                               # ~240 GMACs: over budget
    assert forward_macs(big) > cams.SCORE_CAM_BUDGET
    assert cams.score_cam_channels(big, 512) == cams.SCORE_CAM_MIN_CHANNELS      # costly: the floor


def test_score_cam_auto_cap_on_a_vgg16_sized_model_is_eight_channels():
    import keras

    vgg = keras.applications.VGG16(weights=None)
    from helpers._graph import forward_macs

    assert 15.0e9 < forward_macs(vgg) < 16.0e9      # VGG16's published 15.5 G multiply-adds
    assert cams.score_cam_channels(vgg, 512) == 8


def keras_nested(model):
    import keras

    inp = keras.Input(model.input_shape[1:])
    return keras.Model(inp, model(inp))
