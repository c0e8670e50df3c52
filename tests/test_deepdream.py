"""DeepDream: the objective rises, tiles leave no seams, octave shapes, determinism, early stop."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import deepdream as D
from conftest import assert_weights_equal, weights_snapshot


def _photo(size=96, seed=0):
    r = np.random.default_rng(seed)
    smooth = np.kron(r.uniform(size=(size // 8, size // 8, 3)), np.ones((8, 8, 1)))
    return np.clip(smooth + 0.05 * r.normal(size=smooth.shape), 0, 1).astype(np.float32)


def test_objective_rises(shapes_spec):
    img = _photo()
    res = D.deepdream(shapes_spec, img, steps=6, octaves=2, tile_size=64, show_progress=False)
    assert res.final > 1.5 * res.initial
    assert res.gain > 1.5
    assert res.image.shape == img.shape and 0.0 <= res.image.min() and res.image.max() <= 1.0
    assert not res.flat and not res.stopped
    assert res.objective == "deepdream(conv3: 1, conv4: 0.5)"
    assert res.history[-1] > res.history[0]


def test_model_is_left_untouched_and_accepts_other_sizes(shapes_spec):
    model = shapes_spec.model
    snap, n_layers = weights_snapshot(model), len(model.layers)
    D.deepdream(model, _photo(80), layers={"conv2": 1.0}, steps=2, octaves=1, show_progress=False)
    assert_weights_equal(model, snap)
    assert len(model.layers) == n_layers
    assert tuple(model.inputs[0].shape[1:3]) == (64, 64)


def _far_from(edges, n, margin):
    """Positions further than ``margin`` from every tile edge (in image coordinates) and from the border."""
    far = np.ones(n, bool)
    for e in edges:
        far[max(0, e - margin):max(0, e + margin)] = False
    return far


@pytest.mark.parametrize("shift", [(0, 0), (12, 28)])
def test_tiled_gradient_matches_whole_image_away_from_tile_edges(shapes_spec, shift):
    """conv3 sees 18x18 pixels: with 64 px tiles, pixels 20 px from any tile edge must agree exactly.

    The shift is a multiple of conv3's stride (4), so the pooling grid lines up
    with the unshifted image's and the two gradients are of the same function.
    """
    dreamer = D.Dreamer(shapes_spec.model, {"conv3": 1.0}, tile_size=64)
    img = np.random.default_rng(1).uniform(size=(128, 128, 3)).astype(np.float32)
    v_whole, g_whole = dreamer.gradient(img)
    v_tiled, g_tiled = dreamer.tiled_gradient(img, shift)
    margin = 20
    rows = _far_from([(e - shift[0]) % 128 for e in (0, 64)] + [0, 128], 128, margin)
    cols = _far_from([(e - shift[1]) % 128 for e in (0, 64)] + [0, 128], 128, margin)
    inside = rows[:, None] & cols[None, :]
    assert inside.sum() > 500
    scale = np.abs(g_whole).max()
    assert np.abs(g_tiled - g_whole)[inside].max() < 1e-4 * scale
    near = ~inside
    assert np.abs(g_tiled - g_whole)[near].max() > 1e-3 * scale  # tiles do differ at their edges: the test can fail
    assert abs(v_tiled - v_whole) < 0.2 * v_whole


def test_octave_shapes():
    assert D.octave_shapes((100, 64), octaves=3, octave_scale=2.0) == [(25, 16), (50, 32), (100, 64)]
    assert D.octave_shapes((64, 64), octaves=1) == [(64, 64)]
    shapes = D.octave_shapes((256, 192), octaves=4, octave_scale=1.4)
    assert shapes[-1] == (256, 192) and all(a[0] < b[0] and a[1] < b[1] for a, b in zip(shapes, shapes[1:]))
    with pytest.raises(ValueError, match="smallest octave"):
        D.octave_shapes((32, 32), octaves=5, octave_scale=2.0)


def test_dream_keeps_the_input_size_through_octaves(shapes_spec):
    img = _photo(72)[:, :56]
    res = D.deepdream(shapes_spec, img, steps=1, octaves=3, octave_scale=1.3, show_progress=False)
    assert res.shapes == D.octave_shapes((72, 56), 3, 1.3)
    assert res.image.shape == (72, 56, 3)


def test_lost_detail_is_reinjected(shapes_spec):
    """With a tiny step the dream stays close to the original's fine detail, not to a blurred upscale."""
    import tensorflow as tf

    img = np.random.default_rng(2).uniform(size=(96, 96, 3)).astype(np.float32)  # all high-frequency detail
    res = D.deepdream(shapes_spec, img, steps=1, step_size=1e-4, octaves=3, octave_scale=2.0, show_progress=False)
    blurred = tf.image.resize(tf.image.resize(img[None], (24, 24)), (96, 96)).numpy()[0]
    assert np.abs(res.image - img).mean() < 0.01
    assert np.abs(blurred - img).mean() > 0.1


def test_seeded_determinism(shapes_spec):
    img = _photo()
    a = D.deepdream(shapes_spec, img, steps=3, octaves=2, tile_size=48, seed=5, show_progress=False)
    b = D.deepdream(shapes_spec, img, steps=3, octaves=2, tile_size=48, seed=5, show_progress=False)
    c = D.deepdream(shapes_spec, img, steps=3, octaves=2, tile_size=48, seed=6, show_progress=False)
    np.testing.assert_array_equal(a.image, b.image)
    assert not np.array_equal(a.image, c.image)  # other shifts, other tile edges


def test_stop_keeps_the_dream_so_far_at_full_size(shapes_spec):
    img = _photo()
    calls = []

    def progress(step, total, preview=None):
        calls.append(step)
        return step < 2

    res = D.deepdream(shapes_spec, img, steps=6, octaves=2, progress=progress, show_progress=False)
    assert res.stopped and calls == [1, 2]
    assert res.image.shape == img.shape
    assert len(res.history) == 2 and not np.array_equal(res.image, img)


def test_dead_objective_is_flagged_not_nan(tiny_model):
    import keras

    snap = weights_snapshot(tiny_model)
    dead = keras.models.clone_model(tiny_model)
    dead.set_weights([np.zeros_like(w) - (0.1 if w.ndim == 1 else 0.0) for w in snap])  # every ReLU off
    res = D.deepdream(dead, _photo(32), layers={"c2": 1.0}, steps=3, octaves=1, show_progress=False)
    assert res.flat and np.isfinite(res.image).all() and res.gain == 1.0
    np.testing.assert_array_equal(res.image, _photo(32))


def test_bad_layer_lists_valid_names(shapes_spec):
    from helpers.models import LayerNotFoundError

    with pytest.raises(LayerNotFoundError, match="Valid layer names"):
        D.deepdream(shapes_spec, _photo(), layers={"conv9": 1.0}, show_progress=False)


def test_save_png_roundtrip(shapes_spec, tmp_path):
    from PIL import Image

    from helpers.images import save_png

    res = D.deepdream(shapes_spec, _photo(64), steps=1, octaves=1, show_progress=False)
    path = save_png(res.image, tmp_path / "dream.png")
    back = np.asarray(Image.open(path), np.float32) / 255
    assert np.abs(back - res.image).max() <= 1 / 255 + 1e-6


def test_exercises_accept_the_solution_and_reject_wrong_answers():
    from helpers.exercises import lesson08 as L

    ns = {"np": np, "PHOTO_SHAPE": L.PHOTO_SHAPE, "N_OCTAVES": L.N_OCTAVES, "SCALE": L.SCALE, "SHIFTS": L.SHIFTS}
    exec(L.q_octaves._solution, ns)
    assert L.q_octaves.check(ns["answer"], quiet=True)
    assert L.q_octaves.check(D.octave_shapes(L.PHOTO_SHAPE, L.N_OCTAVES, L.SCALE), quiet=True)
    reverse = L.q_octaves.check(D.octave_shapes(L.PHOTO_SHAPE, L.N_OCTAVES, L.SCALE)[::-1], quiet=True)
    assert not reverse and "order" in reverse.message
    cut = [(int(300 / 1.5**i), int(200 / 1.5**i)) for i in (3, 2, 1, 0)]
    truncated = L.q_octaves.check(cut, quiet=True)
    assert not truncated and "round" in truncated.message
    shifted = L.q_octaves.check([(round(300 / 1.5**i), round(200 / 1.5**i)) for i in (4, 3, 2, 1)], quiet=True)
    assert not shifted and "photo itself" in shifted.message
    exec(L.q_shift._solution, ns)
    assert L.q_shift.check(ns["answer"], quiet=True)
    assert L.q_shift.check(list(reversed(ns["answer"])), quiet=True)  # order does not matter
    four = L.q_shift.check([s for s in L.SHIFTS if s[0] % 4 == 0 and s[1] % 4 == 0], quiet=True)
    assert not four and "conv3 and conv4" in four.message
    only_zero = L.q_shift.check([(0, 0)], quiet=True)
    assert not only_zero and "on the pooling grid" in only_zero.message
    every = L.q_shift.check(L.SHIFTS, quiet=True)
    assert not every and "off the pooling grid" in every.message
    assert not L.q_shift.check([(7, 7)], quiet=True)


def test_shift_exercise_answer_is_what_the_network_computes(shapes_spec):
    """Away from the seams, rolls by even pixels leave conv2's tiled gradient equal to the whole image's."""
    from helpers.exercises import lesson08 as L

    img = np.random.default_rng(2).uniform(size=(96, 96, 3)).astype(np.float32)
    dreamer = D.Dreamer(shapes_spec.model, {L.SHIFT_LAYER: 1.0}, tile_size=48)
    _, whole = dreamer.gradient(img)
    for shift in L.SHIFTS:
        _, g = dreamer.tiled_gradient(img, shift)
        far = ~D.seam_mask(img.shape, 48, shift, width=12)
        rel = np.abs(g - whole)[far].sum() / np.abs(whole)[far].sum()
        if shift[0] % 2 == 0 and shift[1] % 2 == 0:
            assert rel < 1e-3, (shift, rel)
        else:
            assert rel > 0.2, (shift, rel)


def test_mirror_padding_moves_the_wrap_around_join_off_the_border(shapes_spec):
    """With pad, the gradient at the image border comes from mirrored neighbours, not from the opposite side."""
    dreamer = D.Dreamer(shapes_spec.model, {"conv3": 1.0}, tile_size=128)  # one tile: only the roll matters
    img = np.random.default_rng(3).uniform(size=(64, 64, 3)).astype(np.float32)
    img[:, :8] = 1.0  # a bright left border: without padding the roll joins it to the right border
    mirrored = np.pad(img, ((16, 16), (16, 16), (0, 0)), mode="reflect")
    _, want = dreamer.gradient(mirrored)
    want = want[16:80, 16:80]
    _, g0 = dreamer.tiled_gradient(img, (0, 20))
    _, g1 = dreamer.tiled_gradient(img, (0, 20), pad=16)
    assert g1.shape == img.shape
    edge = (slice(20, 44), slice(0, 6))  # the left border, away from the top and bottom
    np.testing.assert_allclose(g1[edge], want[edge], atol=1e-6)  # the join lies in the padding
    assert np.abs(g0[edge] - want[edge]).max() > 10 * np.abs(g1[edge] - want[edge]).max() + 1e-7
    res = D.deepdream(shapes_spec, _photo(64), steps=2, octaves=1, show_progress=False, pad=0.25)
    assert res.image.shape == (64, 64, 3)
    with pytest.raises(ValueError, match="pad"):
        D.deepdream(shapes_spec, _photo(64), steps=1, octaves=1, show_progress=False, pad=0.8)


def test_panel_dreams_and_reports_bad_layer_mix(shapes_spec):
    from helpers.widgets.deepdream import DeepDreamPanel, parse_layer_mix

    assert parse_layer_mix("conv3: 1, conv4:0.5", shapes_spec.model) == {"conv3": 1.0, "conv4": 0.5}
    panel = DeepDreamPanel(shapes_spec)
    panel.controls["steps"].value = 2
    panel.controls["octaves"].value = 1
    panel.run()
    assert panel.error is None and panel.png and panel.dream.gain > 1
    assert panel.dream.image.shape[:2] == (64, 64)  # 192 px capped by fast mode
    panel.controls["layers"].value = "conv3: 1, convX: 2"
    panel.run()
    assert "convX" in panel.error and "Valid layer names" in panel.error
    panel.controls["layers"].value = "conv3: lots"
    panel.run()
    assert "must be a number" in panel.error


def test_keyboard_interrupt_returns_the_dream_so_far(shapes_spec):
    img = _photo()

    def progress(step, total, preview=None):
        if step == 3:
            raise KeyboardInterrupt

    res = D.deepdream(shapes_spec, img, steps=4, octaves=2, progress=progress, show_progress=False)
    assert res.stopped and res.interrupted
    assert res.image.shape == img.shape and len(res.history) == 3 and not np.array_equal(res.image, img)
    assert np.isfinite(res.final)


def _flatten_model():
    import keras

    keras.utils.set_random_seed(9)
    return keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(6, 3, activation="relu", name="c1"),
                             keras.layers.Conv2D(8, 3, activation="relu", name="c2"), keras.layers.Flatten(),
                             keras.layers.Dense(5, activation="relu", name="fc"),
                             keras.layers.Dense(3, activation="softmax", name="out")], name="flatnet")


def test_conv_flatten_dense_models_dream_on_conv_layers_and_explain_the_rest():
    m = _flatten_model()
    res = D.deepdream(m, _photo(48), layers={"c2": 1.0}, steps=4, octaves=2, tile_size=32, show_progress=False)
    assert res.image.shape == (48, 48, 3) and res.final > res.initial
    with pytest.raises(ValueError, match=r"(?s)32x32.*Flatten.*c1, c2"):
        D.deepdream(m, _photo(48), layers={"fc": 1.0}, steps=2, octaves=1, show_progress=False)


def test_dreamer_cache_tells_objectives_apart_and_follows_new_weights(tiny_model):
    import gc
    import weakref

    from conftest import _tiny
    from helpers import objectives as O

    a, b = O.channel("c2", 0), O.channel("c2", 1)
    b.name = a.name  # same name, different objective
    da, db = D.dreamer_for(tiny_model, a), D.dreamer_for(tiny_model, b)
    assert da is not db and da is D.dreamer_for(tiny_model, a)
    assert D.dreamer_for(tiny_model, {"c2": 1.0}) is D.dreamer_for(tiny_model, {"c2": 1})
    img = _photo(32)
    before = D.deepdream(tiny_model, img, layers="c2", steps=3, octaves=1, show_progress=False)
    tiny_model.set_weights([w * 1.7 + 0.05 for w in tiny_model.get_weights()])
    after = D.deepdream(tiny_model, img, layers="c2", steps=3, octaves=1, show_progress=False)
    assert after.initial != pytest.approx(before.initial)  # the cached dreamer sees the new weights
    other = _tiny(12, softmax=True, sequential=False)
    other.set_weights(tiny_model.get_weights())
    assert after.initial == pytest.approx(D.deepdream(other, img, layers="c2", steps=1, octaves=1,
                                                      show_progress=False).initial, rel=1e-5)
    ref = weakref.ref(other)
    del other
    gc.collect()
    assert ref() is None


def test_seam_mask_marks_tile_edges_and_the_wrap_line():
    m = D.seam_mask((128, 96), 64, shift=(10, 0), width=2)
    assert m[:, 0].all() and m[:, 95].all()               # the border is where the roll wraps
    assert m[54].all() and m[118].all()                    # tile edges at 0 and 64 of the rolled image
    assert not m[30, 30] and not m[90, 30]


def test_shift_off_the_pooling_grid_changes_the_gradient_everywhere(shapes_spec):
    """Max pooling (total stride 4) is not shift-equivariant: a 1 px shift is a different function, a 4 px one is not."""
    dreamer = D.Dreamer(shapes_spec.model, {"conv3": 1.0}, tile_size=128)
    img = np.random.default_rng(2).uniform(size=(128, 128, 3)).astype(np.float32)
    _, g_whole = dreamer.gradient(img)
    off = {}
    for shift in ((4, 8), (1, 0)):
        _, g = dreamer.tiled_gradient(img, shift)
        far = ~D.seam_mask(img.shape, 128, shift, width=20)
        off[shift] = np.abs(g - g_whole)[far].sum() / np.abs(g_whole)[far].sum()
    assert off[(4, 8)] < 1e-3 and off[(1, 0)] > 0.2, off
