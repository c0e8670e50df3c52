"""Pointing game, energy in mask, baselines and the randomization sanity check, on known answers."""

import numpy as np
import pytest
from conftest import assert_weights_equal, weights_snapshot

from helpers import attribution as A
from helpers import metrics


def _square_mask(n=1):
    m = np.zeros((n, 32, 32), bool)
    m[:, 10:16, 10:16] = True
    return m


def _peak_at(row, col, n=1):
    maps = np.zeros((n, 32, 32), np.float32)
    maps[:, row, col] = 1.0
    return maps


def test_pointing_game_with_tolerance():
    mask = _square_mask()
    assert metrics.pointing_game(_peak_at(12, 12), mask, tolerance=0)[0] == 1.0
    assert metrics.pointing_game(_peak_at(12, 18), mask, tolerance=0)[0] == 0.0  # 3 px right of the square
    assert metrics.pointing_game(_peak_at(12, 18), mask, tolerance=3)[0] == 1.0
    assert metrics.pointing_game(_peak_at(12, 20), mask, tolerance=3)[0] == 0.0  # 5 px away
    assert metrics.pointing_game(_peak_at(18, 18), mask, tolerance=3)[0] == 0.0  # diagonal: 3*sqrt(2) > 3
    assert metrics.pointing_game(np.zeros((1, 32, 32)), mask)[0] == 0.0           # empty map points nowhere
    two_peaks = _peak_at(12, 12) + _peak_at(30, 30)
    assert metrics.pointing_game(two_peaks, mask)[0] == 0.0                        # a tie must all be on target
    with pytest.raises(ValueError, match="same shape"):
        metrics.pointing_game(np.zeros((2, 8, 8)), np.zeros((2, 9, 9), bool))


def test_energy_in_mask():
    mask = _square_mask()
    assert metrics.energy_in_mask(np.ones((1, 32, 32)), mask)[0] == pytest.approx(36 / 1024)
    assert metrics.energy_in_mask(mask.astype(np.float32), mask)[0] == pytest.approx(1.0)
    assert metrics.energy_in_mask(np.zeros((1, 32, 32)), mask)[0] == 0.0


def test_baselines_behave_as_their_definitions_say():
    masks = _square_mask(400)
    rnd = metrics.random_maps(400, (32, 32), seed=0)
    np.testing.assert_array_equal(rnd, metrics.random_maps(400, (32, 32), seed=0))
    grown = metrics.dilate(masks[:1], 3).mean()
    assert abs(metrics.pointing_game(rnd, masks).mean() - grown) < 0.05  # chance = area of the grown mask
    centred = np.zeros((1, 32, 32), bool)
    centred[0, 13:19, 13:19] = True
    assert metrics.pointing_game(metrics.centre_maps(1, (32, 32)), centred, 0)[0] == 1.0
    assert metrics.pointing_game(metrics.centre_maps(1, (32, 32)), _square_mask(), 0)[0] == 0.0


def test_spearman():
    a = np.arange(20, dtype=float).reshape(1, 4, 5)
    assert metrics.spearman(a, a)[0] == pytest.approx(1.0)
    assert metrics.spearman(a, -a)[0] == pytest.approx(-1.0)
    assert metrics.spearman(a, np.zeros_like(a))[0] == 0.0  # a constant map: 0, not NaN


def test_randomized_copies_go_top_down_and_leave_the_model_alone(tiny_model):
    snap = weights_snapshot(tiny_model)
    stages = list(metrics.randomized_copies(tiny_model, seed=0))
    assert [name for name, _ in stages] == ["logits", "c2", "c1"]
    first, last = stages[0][1], stages[-1][1]
    assert not np.allclose(first.get_layer("logits").get_weights()[0], tiny_model.get_layer("logits").get_weights()[0])
    np.testing.assert_array_equal(first.get_layer("c1").get_weights()[0], tiny_model.get_layer("c1").get_weights()[0])
    assert not np.allclose(last.get_layer("c1").get_weights()[0], tiny_model.get_layer("c1").get_weights()[0])
    assert_weights_equal(tiny_model, snap)


def test_randomized_model_is_the_cascades_last_stage(tiny_model):
    import keras

    snap = weights_snapshot(tiny_model)
    last = list(metrics.randomized_copies(tiny_model, seed=3))[-1][1]
    assert_weights_equal(metrics.randomized_model(tiny_model, seed=3), [np.array(w) for w in last.get_weights()])
    assert_weights_equal(tiny_model, snap)
    with pytest.raises(ValueError, match="no weights"):
        metrics.randomized_model(keras.Sequential([keras.Input((4,)), keras.layers.ReLU()]), seed=0)


def test_randomization_changes_grad_cam_and_saliency_maps(shapes_spec, shapes_data):
    x, y, _ = shapes_data
    for method in (A.grad_cam, A.saliency):
        res = metrics.randomization_cascade(shapes_spec.model, x[:24], y[:24], method, seed=0)
        assert res["layers"][0] == "trained" and res["layers"][-1] == "conv1"
        assert res["spearman"][0] == 1.0 and res["spearman"][-1] < 0.5, (method.__name__, res["spearman"])
        assert all(np.isfinite(res["spearman"])) and all(np.isfinite(m).all() for m in res["maps"])


def test_two_object_image_pastes_the_second_object_away_from_the_first():
    from helpers.shapes import make_shapes

    x, y, m = make_shapes(16, seed=3)
    img, ma, mb = metrics.two_object_image(x, m, 0, 1)
    assert img.shape == x.shape[1:] and not (ma & mb).any()
    np.testing.assert_array_equal(ma, m[0])
    assert mb.sum() == m[1].sum()  # the whole second object made it in
    assert np.hypot(*(np.array(np.nonzero(ma)).mean(1) - np.array(np.nonzero(mb)).mean(1))) > 16
    np.testing.assert_allclose(np.sort(img[mb].ravel()), np.sort(x[1][m[1]].ravel()))  # its own pixels
    np.testing.assert_array_equal(img[~mb], x[0][~mb])                                 # the rest is image 0


def test_pointing_report_names_every_method_and_beats_random():
    from helpers.course.evaluate import pointing_report

    out = pointing_report(n=32, seed=5)
    for name in (*A.METHODS, "random", "centre"):
        assert 0.0 <= out[f"pointing_{name}"] <= 1.0
    assert out["pointing_saliency"] > out["pointing_random"] + 0.3


def test_lesson10_exercise_wants_the_edge_maps_hit_rate_and_a_failed_sanity_check(shapes_data):
    from helpers.exercises.lesson10 import edge_map_exercise, edge_maps

    x, _, masks = shapes_data
    x, masks = x[:40], masks[:40]
    q = edge_map_exercise(x, masks, 3)
    lesson = {"np": np, "metrics": metrics, "x": x, "masks": masks, "TOLERANCE": 3}
    exec(q._solution, lesson)  # the solution runs where the lesson's check cell runs
    assert q.check(lesson["answer"], quiet=True)
    rate = float(metrics.pointing_game(edge_maps(x), masks, 3).mean())
    assert lesson["answer"] == (rate, False)
    plausible = q.check((rate, True), quiet=True)  # named: plausible, hence faithful
    assert not plausible and "fails the sanity check" in plausible.message
    strict = float(metrics.pointing_game(edge_maps(x), masks, 0).mean())
    assert strict < rate - 0.01
    no_slack = q.check((strict, False), quiet=True)  # named: no slack
    assert not no_slack and "no slack" in no_slack.message
    count = q.check((rate * 40, False), quiet=True)
    assert not count and "number of hits" in count.message
    assert not q.check(rate, quiet=True)
    assert not q.check((rate, "no"), quiet=True)
    # ties: two maxima per map; the first is on the object in maps 0-2, the second only in map 0
    m = np.zeros((4, 8, 8), np.float32)
    m[:, 1, 1] = m[:, 6, 6] = 1.0
    k = np.zeros((4, 8, 8), bool)
    k[:3, 0:3, 0:3] = True
    k[0, 5:8, 5:8] = True
    k[3, 6, 6] = True
    assert float(metrics.pointing_game(m, k, 0).mean()) == 0.25  # every tied maximum must be on the object


@pytest.mark.slow
def test_sanity_report_separates_grad_cam_from_a_random_network():
    from helpers.course.evaluate import sanity_report

    out = sanity_report(n=12, seed=5)
    for name in A.METHODS:
        assert -1.0 <= out[f"sanity_spearman_{name}"] <= 1.0
        assert 0.0 <= out[f"sanity_empty_maps_{name}"] <= 1.0
    assert out["sanity_spearman_grad_cam"] < 0.5 and out["sanity_spearman_saliency"] < 0.5
    assert out["sanity_pointing_random_net_guided_backprop"] > out["sanity_pointing_random_net_grad_cam"]


def test_two_object_pairs_covers_every_ordered_pair_of_classes():
    from helpers.shapes import make_shapes

    x, y, m = make_shapes(64, seed=3)
    imgs, a, b, ma, mb = metrics.two_object_pairs(x, y, m)
    k = len(np.unique(y))
    assert len(imgs) == k * (k - 1) and not np.any(a == b)
    assert len({(int(i), int(j)) for i, j in zip(a, b)}) == len(a)
    assert not (ma & mb).any() and ma.any(axis=(1, 2)).all() and mb.any(axis=(1, 2)).all()
    first = int(np.flatnonzero(y == a[0])[0])
    np.testing.assert_array_equal(ma[0], m[first])   # object a stays where it was drawn
    with pytest.raises(ValueError, match="same length"):
        metrics.two_object_pairs(x, y[:-1], m)
    with pytest.raises(ValueError, match="two classes"):
        metrics.two_object_pairs(x[:1], y[:1], m[:1])


def test_activity_maps_sum_the_channels_and_ignore_the_class(shapes_spec, shapes_data):
    from helpers.activations import get_activations

    x, _, masks = shapes_data
    layer = shapes_spec.layers["last_conv"]
    act = metrics.activity_maps(shapes_spec.model, x[:6], layer)
    assert act.shape == (6, *x.shape[1:3]) and (act >= 0).all()
    raw = get_activations(shapes_spec.model, x[:6], [layer])[layer].sum(-1)
    # upsampling by an integer factor keeps the mean: the map is the channel sum, spread over the pixels
    np.testing.assert_allclose(act.mean((1, 2)), raw.mean((1, 2)), rtol=0.05)
    # the last conv layer is busiest on the object: more activity per pixel on the mask than off it
    assert all(a[m].mean() > a[~m].mean() for a, m in zip(act, masks[:6]))


def test_two_object_pairs_takes_explicit_pairs_of_different_classes():
    from helpers.shapes import make_shapes

    x, y, m = make_shapes(16, seed=3)
    i = 0
    j = int(np.flatnonzero(y != y[0])[0])
    imgs, a, b, ma, mb = metrics.two_object_pairs(x, y, m, pairs=[(i, j), (j, i)])
    assert list(a) == [y[i], y[j]] and list(b) == [y[j], y[i]]
    for k, (p, q) in enumerate([(i, j), (j, i)]):   # the same images as two_object_image makes
        img, own, pasted = metrics.two_object_image(x, m, p, q)
        np.testing.assert_array_equal(imgs[k], img)
        np.testing.assert_array_equal(ma[k], own)
        np.testing.assert_array_equal(mb[k], pasted)
    same = int(np.flatnonzero(y == y[0])[1])
    with pytest.raises(ValueError, match="different classes"):
        metrics.two_object_pairs(x, y, m, pairs=[(0, same)])
    for bad in (16, -1):                            # out of range, and a negative index that numpy would wrap
        with pytest.raises(IndexError, match=r"out of range; there are 16 images \(0\.\.15\)"):
            metrics.two_object_pairs(x, y, m, pairs=[(0, bad)])
