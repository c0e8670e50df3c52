"""Network dissection and dataset examples, tested against known answers.

Ground truth: a hand-built model whose unit *is* a concept's mask must get that
concept with IoU 1; a unit that is zero everywhere is dead; the streaming quantile
must match numpy's exact one; the trained shapes CNN must have more detectors
at its last conv layer than its randomized copy; a unit that responds to one
colour must have top examples of that colour.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers import dissection as D
from helpers.unit_concepts import CONCEPTS, COLOURS, GREY_SATURATION, concept_masks


def _colour_unit_model(size: int = 64):
    """Unit 0 = 1 where a pixel's colour name is red (the concept's own rule, in Keras ops); unit 1 = 0 everywhere."""
    import keras
    from keras import ops

    def red(x):
        hi, lo = ops.max(x, -1), ops.min(x, -1)
        sat = (hi - lo) / ops.maximum(hi, 1e-6)
        r, g, b = x[..., 0], x[..., 1], x[..., 2]
        hue = ops.mod(ops.arctan2(np.sqrt(3.0) * (g - b), 2 * r - g - b) * (180.0 / np.pi), 360.0)
        is_red = ops.logical_and(sat >= GREY_SATURATION, ops.logical_or(hue < 30.0, hue >= 330.0))
        on = ops.cast(is_red, "float32")[..., None]
        return ops.concatenate([on, ops.zeros_like(on)], -1)

    inp = keras.Input((size, size, 3))
    scaled = keras.layers.Rescaling(1.0, name="takes_0_1")(inp)      # says: images in [0, 1]
    units = keras.layers.Lambda(red, name="units")(scaled)
    out = keras.layers.Dense(2, name="out")(keras.layers.GlobalAveragePooling2D(name="gap")(units))
    return keras.Model(inp, out, name="colour_units")


def _red_objects(n, seed, batch_size, size):
    """Shapes with every object pure red on a grey background: the red unit sees exactly the object."""
    for x, y, m in D.shapes_stream(n, seed, batch_size, size):
        yield np.where(m[..., None], np.float32([1, 0, 0]), np.float32(0.5)), y, m


def test_a_unit_that_is_a_concepts_mask_gets_that_label_with_iou_one():
    model = _colour_unit_model()
    # quantile 0.5: the unit is 1 on the object, ~1 % of pixels, so T = 0 and its mask is exactly "red"
    d = D.dissect(model, "units", n_images=40, seed=5, quantile=0.5, progress=False, stream=_red_objects)
    assert d.label(0) == "red"
    assert d.iou[0, d.concepts.index("red")] > 0.99
    assert sorted(d.iou[0])[-2] < 0.5          # no other concept comes close
    assert d.dead[1] and d.label(1) == "dead" and np.all(d.iou[1] == 0) and not np.isnan(d.iou).any()
    assert d.counts() == {"object": 0, "part": 0, "colour": 1, "background": 0, "total": 1, "dead": 1}
    on_shapes = D.dissect(model, "units", n_images=40, seed=5, quantile=0.5, progress=False)
    assert on_shapes.iou[0, d.concepts.index("red")] < 0.9    # real shapes: red background pixels too


def test_the_colour_rule_of_the_concepts_matches_the_hand_built_unit():
    """The colour masks are the hue rule the docstring states (checked on pure colours)."""
    pure = np.array([[[[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 1, 1], [0, 0, 1], [1, 0, 1], [0.5, 0.5, 0.5]]]],
                    dtype=np.float32)
    m = concept_masks(pure, np.array([0]), np.ones(pure.shape[:3], bool), names=list(COLOURS))
    for j, name in enumerate(COLOURS):
        assert m[name][0, 0, j] and m[name][0, 0].sum() == 1, name


def test_part_masks_follow_their_definitions():
    from helpers.shapes import make_shapes

    x, y, m = make_shapes(64, seed=1)
    c = concept_masks(x, y, m)
    ring = y == 3
    assert c["hole"][ring].any() and not c["hole"][~ring].any()          # only rings have a hole
    assert not (c["hole"] & m).any()                                     # the hole is background
    assert not (c["interior"] & ~m).any() and not (c["interior"] & c["edge"]).any()
    assert (c["edge"] | c["interior"])[m].all()                          # every object pixel is edge or interior
    assert not (c["background"] & m).any() and (c["background"] | m).all()
    assert not (c["red"] & ~m).any() and np.array_equal(sum(c[k].astype(int) for k in COLOURS), m.astype(int))
    circle = y == 0
    assert c["corners"][y == 1].any() and c["corners"][circle].sum() < 0.05 * c["corners"][y == 1].sum()


def test_unknown_concept_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown concept 'hexagon'.*valid concepts: circle"):
        D.dissect(_colour_unit_model(), "units", n_images=4, concepts=["red", "hexagon"], progress=False)


def test_streaming_quantile_agrees_with_numpy_within_one_percent():
    rng = np.random.default_rng(0)
    data = np.maximum(rng.standard_exponential((20_000, 5)) * [1, 2, 5, 0.1, 3] - [0, 1, 4, 0, 0], 0)
    data[:, 4] = rng.lognormal(0, 2, len(data))          # heavy tail: the max is far above the quantile
    batches = lambda: (data[s:s + 999] for s in range(0, len(data), 999))  # noqa: E731
    for q in (0.995, 0.9, 0.5):
        est, exact = D.streaming_quantile(batches, q), np.quantile(data, q, axis=0)
        np.testing.assert_allclose(est, exact, rtol=0.01, atol=1e-9)
    assert D.streaming_quantile(batches, 0.5)[2] == 0.0   # a ReLU unit zero on most positions: exactly 0


def test_trained_shapes_cnn_has_more_detectors_than_its_randomized_copy(shapes_spec):
    trained = D.dissect(shapes_spec, "conv4", n_images=200, seed=3, progress=False)
    random = D.dissect(D.randomized(shapes_spec, seed=0), "conv4", n_images=200, seed=3, progress=False)
    assert trained.counts()["total"] > random.counts()["total"] + 10
    for t in D.THRESHOLDS:    # a higher threshold never gives more detectors
        assert trained.counts(t)["total"] >= trained.counts(t * 2)["total"]
    assert abs(np.mean(trained.active[~trained.dead]) - 0.005) < 0.005   # about the top 0.5 % of pixels


def test_dissection_is_the_same_for_the_same_seed_and_leaves_the_model_alone(shapes_spec):
    from conftest import assert_weights_equal, weights_snapshot

    before = weights_snapshot(shapes_spec.model)
    a = D.dissect(shapes_spec, "conv3", n_images=30, seed=9, progress=False)
    b = D.dissect(shapes_spec.model, "conv3", n_images=30, seed=9, batch_size=7, progress=False)
    np.testing.assert_allclose(a.iou, b.iou, atol=1e-6)
    both = D.dissect(shapes_spec, ["conv1", "conv3"], n_images=30, seed=9, progress=False)   # one set of passes
    assert list(both) == ["conv1", "conv3"]
    np.testing.assert_allclose(both["conv3"].iou, a.iou, atol=1e-6)
    np.testing.assert_allclose(both["conv3"].cutoffs, a.cutoffs, rtol=1e-6)
    assert_weights_equal(shapes_spec.model, before)


def test_bad_layers_and_units_get_clear_errors(shapes_spec):
    import keras

    inp = keras.Input((16, 16, 3))
    one = keras.layers.Conv2D(3, 16, name="whole")(inp)                  # a 1x1 feature map
    model = keras.Model(inp, keras.layers.Flatten()(one))
    with pytest.raises(ValueError, match="one position"):
        D.dissect(model, "whole", n_images=4, progress=False)
    with pytest.raises(ValueError, match="conv9.*Valid layer names"):
        D.dissect(shapes_spec, "conv9", n_images=4, progress=False)
    d = D.dissect(_colour_unit_model(), "units", n_images=4, quantile=0.5, progress=False)
    with pytest.raises(ValueError, match="unit 2 out of range.*0..1"):
        d.label(2)
    with pytest.raises(ValueError, match="unit 64 out of range: conv4 has units 0..63"):
        D.dataset_examples(shapes_spec, "conv4", 64, np.zeros((2, 64, 64, 3), np.float32))
    with pytest.raises(ValueError, match="quantile"):
        D.dissect(shapes_spec, "conv4", n_images=4, quantile=99.5, progress=False)


def test_dataset_examples_of_a_red_unit_are_red_images_with_the_crop_on_the_red():
    from helpers.shapes import make_shapes

    x, y, m = make_shapes(60, seed=2)
    snapshot = x.copy()
    from helpers.unit_concepts import colour_names

    red_px = colour_names(x) == COLOURS.index("red")            # red pixels anywhere, as the unit sees them
    red = red_px.mean((1, 2))
    stream = (x[s:s + 16] for s in range(0, 60, 16))                   # a generator: read once
    ex = D.dataset_examples(_colour_unit_model(), "units", 0, stream, k=5, crop=16)
    assert ex.n_images == 60 and ex.top.images.shape == (5, 64, 64, 3) and ex.top.crops.shape == (5, 16, 16, 3)
    assert np.all(ex.top.values == 1.0)                               # every image has some red pixel
    np.testing.assert_array_equal(ex.top.indices, np.flatnonzero(red > 0)[:5])  # ties: first come, first kept
    assert all(red_px[i, r, c] for i, (r, c) in zip(ex.top.indices, ex.top.positions))  # the max is on red
    assert np.all(ex.top.crops[:, 8, 8] == [x[i, min(max(r, 8), 56), min(max(c, 8), 56)]
                                            for i, (r, c) in zip(ex.top.indices, ex.top.positions)])
    np.testing.assert_array_equal(snapshot, x)                        # the caller's images are unchanged
    assert ex.negative is None


def test_pre_relu_examples_give_the_most_negative_images_and_keep_the_model(shapes_spec):
    from conftest import assert_weights_equal, weights_snapshot
    from helpers.activations import get_activations
    from helpers.shapes import make_shapes

    x, _, _ = make_shapes(40, seed=4)
    before = weights_snapshot(shapes_spec.model)
    ex = D.dataset_examples(shapes_spec, "conv4", 7, x, k=4, pre_relu=True, batch_size=9)
    post = get_activations(shapes_spec, x, "conv4")["conv4"][..., 7].reshape(40, -1).max(1)
    np.testing.assert_allclose(ex.top.values, np.sort(post)[::-1][:4], rtol=1e-4, atol=1e-4)  # max > 0: same as ReLU
    assert ex.negative is not None and np.all(ex.negative.values < 0)
    assert np.all(np.diff(ex.negative.values) >= 0)                  # most negative first
    assert_weights_equal(shapes_spec.model, before)
    assert shapes_spec.model.get_layer("conv4").activation.__name__ == "relu"
    after = get_activations(shapes_spec, x, "conv4")["conv4"][..., 7].reshape(40, -1).max(1)
    np.testing.assert_array_equal(post, after)


def test_dataset_examples_work_on_a_nested_model_by_path_and_on_vgg16_photos():
    import keras

    from helpers.models import load_model

    base = keras.Sequential([keras.Input((64, 64, 3)), keras.layers.Conv2D(4, 3, activation="relu", name="c1"),
                             keras.layers.Conv2D(5, 3, activation="relu", name="c2")], name="base")
    nested = keras.Sequential([base, keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)], name="outer")
    flat = keras.Model(base.inputs, base.outputs)
    from helpers.shapes import make_shapes

    x, _, _ = make_shapes(12, seed=0)
    a = D.dataset_examples(nested, "base/c2", 3, x, k=3)
    b = D.dataset_examples(flat, "c2", 3, x, k=3)
    np.testing.assert_array_equal(a.top.indices, b.top.indices)
    np.testing.assert_allclose(a.top.values, b.top.values, rtol=1e-5)
    d = D.dissect(nested, "base/c2", n_images=20, progress=False)
    assert d.layer == "base/c2" and d.iou.shape == (5, len(CONCEPTS))

    vgg = load_model("vgg16", weights=None, verbose=False)
    ex = D.dataset_examples(vgg, "block3_conv3", 10, vgg.sample_images(), k=2)
    assert ex.top.images.shape[0] == 2 and ex.top.crops.shape[1] == 112


def test_panel_shows_a_unit_and_rejects_a_unit_out_of_range(shapes_spec):
    from helpers.widgets.units import UnitsPanel

    panel = UnitsPanel(shapes_spec, layer="conv3", unit=5)
    panel.run()
    assert panel.error is None and panel.png
    d = panel.dissection("conv3")
    assert d.n_images == 64 and d.iou.shape == (64, len(CONCEPTS))         # fast mode: 64 images
    panel.controls["unit"].value = 64
    panel.run()
    assert "unit 64 out of range" in panel.error and "0..63" in panel.error


def test_exercise_accepts_the_fresh_iou_and_rejects_the_printed_one(shapes_spec):
    from helpers.exercises.lesson13 import TOLERANCE, label_holds_exercise, pick_unit

    old = D.dissect(shapes_spec, "conv4", n_images=60, seed=1, progress=False)
    fresh = D.dissect(shapes_spec, "conv4", n_images=60, seed=2, progress=False)
    q = label_holds_exercise(shapes_spec, "conv4", 60, 2, old)
    unit = q.unit
    assert unit == pick_unit(old, fresh) and old.detectors()[unit]
    near = [u for u in np.flatnonzero(old.detectors())
            if old.best_iou[u] <= sorted(old.best_iou[old.detectors()])[min(7, old.detectors().sum() - 1)]]
    moved = abs(fresh.best_iou[unit] - old.best_iou[unit])
    assert all(moved >= abs(fresh.best_iou[u] - old.best_iou[u]) for u in near)   # the unit that moves most
    assert q.check(round(float(fresh.best_iou[unit]), 3), quiet=True)
    assert not q.check("plus", quiet=True) and not q.check(None, quiet=True)
    assert not q.check(float(fresh.best_iou[unit]) + 0.01, quiet=True)
    if moved > TOLERANCE:
        v = q.check(float(old.best_iou[unit]), quiet=True)
        assert not v and "lesson's images" in v.message


def test_a_unit_giving_nan_is_flagged_not_nan():
    import keras

    inp = keras.Input((64, 64, 3))
    scaled = keras.layers.Rescaling(1.0, name="takes_0_1")(inp)
    units = keras.layers.Lambda(lambda x: keras.ops.concatenate([x[..., :1], x[..., 1:2] * np.nan], -1),
                                name="units")(scaled)
    model = keras.Model(inp, keras.layers.GlobalAveragePooling2D()(units))
    d = D.dissect(model, "units", n_images=8, progress=False)
    assert d.label(1) == "non-finite" and d.dead[1] and d.nonfinite[1] == 8 * 64 * 64
    assert not np.isnan(d.iou).any() and not np.isnan(d.cutoffs).any() and d.nonfinite[0] == 0
