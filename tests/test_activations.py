import numpy as np
import pytest

from helpers import activations


def _edge_model():
    """One conv layer with two hand-built kernels: vertical-edge and horizontal-edge detectors."""
    import keras

    inp = keras.Input((16, 16, 3))
    conv = keras.layers.Conv2D(2, 3, padding="valid", use_bias=False, activation="relu", name="edges")
    out = conv(inp)
    model = keras.Model(inp, out)
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32)
    k = np.zeros((3, 3, 3, 2), dtype=np.float32)
    for c in range(3):
        k[:, :, c, 0] = sobel_x
        k[:, :, c, 1] = sobel_x.T
    conv.set_weights([k])
    return model


def test_hand_built_kernels_fire_where_expected():
    model = _edge_model()
    img = np.zeros((16, 16, 3), dtype=np.float32)
    img[:, 8:] = 1.0  # a vertical dark->bright edge at column 8
    act = activations.get_activations(model, img, "edges")["edges"][0]
    vertical, horizontal = act[..., 0], act[..., 1]
    cols = np.nonzero(vertical.max(0))[0]
    assert set(cols) == {6, 7}  # valid conv: output columns 6 and 7 straddle the edge
    assert horizontal.max() == 0.0  # no horizontal edge anywhere
    assert activations.sparsity(act) > 0.8


def test_grid_tiles_match_channels_and_dead_maps_are_black():
    act = np.zeros((4, 4, 3), dtype=np.float32)
    act[..., 1] = np.arange(16).reshape(4, 4)
    grid = activations.activation_grid(act, channels=[0, 1], cols=2, gap=1)
    assert grid.image.shape == (4, 9)
    assert np.all(grid.image[:, :4] == 0)  # dead channel 0: black, not NaN
    assert grid.image[3, 8] > grid.image[0, 5]  # channel 1 grows toward the bottom right
    with pytest.raises(IndexError, match="0..2"):
        activations.activation_grid(act, channels=[5])


def test_activation_mask_brightens_where_the_map_fires():
    img = np.full((8, 8, 3), 0.8, dtype=np.float32)
    fmap = np.zeros((2, 2), dtype=np.float32)
    fmap[0, 0] = 1.0
    out = activations.activation_mask(img, fmap, floor=0.1)
    assert out[0, 0, 0] > out[7, 7, 0]
    assert out[7, 7, 0] == pytest.approx(0.08, abs=1e-3)


def test_sparsity_with_depth_on_the_shapes_model(shapes_spec, shapes_data):
    stats = activations.layer_statistics(shapes_spec.model, shapes_data[0][:32])
    names = [s["layer"] for s in stats]
    assert names == ["conv1", "conv2", "conv3", "conv4"]
    sizes = [s["height"] for s in stats]
    assert sizes == sorted(sizes, reverse=True)
    zeros = {s["layer"]: s["zeros"] for s in stats}
    # Past the first layer most activations are zero (lesson 01: about half in
    # conv1, three quarters in conv2 and conv3); the last conv, which feeds
    # global average pooling, is denser again.
    assert zeros["conv1"] + 0.1 < min(zeros["conv2"], zeros["conv3"])
    assert zeros["conv4"] + 0.05 < zeros["conv3"]


def test_unknown_layer_in_feature_model(shapes_spec):
    from helpers.models import LayerNotFoundError

    with pytest.raises(LayerNotFoundError, match="conv1"):
        activations.feature_model(shapes_spec.model, ["nope"])


def test_most_active_channels_ranks_by_mean_activation_on_the_batch():
    model = _edge_model()
    img = np.zeros((2, 16, 16, 3), dtype=np.float32)
    img[:, :, 8:] = 1.0   # vertical edges only: the vertical-edge channel is the most active one
    assert activations.most_active_channels(model, img, "edges", k=2) == [0, 1]
    assert activations.most_active_channels(model, np.transpose(img, (0, 2, 1, 3)), "edges", k=1) == [1]
    with pytest.raises(IndexError, match="between 1 and the 2"):
        activations.most_active_channels(model, img, "edges", k=3)


def test_kernel_images_put_zero_at_grey_and_share_one_scale():
    w = np.zeros((3, 3, 3, 2), dtype=np.float32)
    w[0, 0, 0, 0] = 2.0    # the largest weight: full red
    w[1, 1, 2, 1] = -1.0   # half the largest, negative: darker blue
    imgs = activations.kernel_images(w)
    assert imgs.shape == (2, 3, 3, 3)
    assert imgs[0, 0, 0, 0] == 1.0 and imgs[1, 1, 1, 2] == 0.25
    assert np.all(imgs[0, 1:, :] == 0.5)  # zero weights are grey
    with pytest.raises(ValueError, match="first-layer"):
        activations.kernel_images(np.zeros((3, 3, 16, 4)))


def test_grid_gaps_can_be_nan_so_they_never_look_like_activation():
    act = np.ones((4, 4, 2), dtype=np.float32)
    grid = activations.activation_grid(act, cols=2, gap=1, fill=np.nan)
    assert np.all(np.isnan(grid.image[:, 4])) and not np.any(np.isnan(grid.image[:, :4]))


def test_grid_scaled_to_each_maps_maximum_keeps_zero_black():
    act = np.zeros((4, 4, 3), dtype=np.float32)
    act[0, 0, 1], act[1, 1, 1] = 2.0, 1.0
    act[..., 2] = 5.0
    grid = activations.activation_grid(act, cols=3, gap=1, scale="max")
    assert np.all(grid.image[:, :4] == 0)                 # an all-zero map stays black
    assert grid.image[0, 5] == 1.0 and grid.image[1, 6] == 0.5 and grid.image[2, 7] == 0.0
    assert np.all(grid.image[:, 10:] == 1.0)              # a constant positive map is its own maximum
    with pytest.raises(ValueError, match="scale"):
        activations.activation_grid(act, scale="minmax")
