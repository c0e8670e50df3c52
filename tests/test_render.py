"""render(): ascent works per image, best/last/snapshots, dead units, stopping, precision, no mutation."""

import numpy as np
import pytest

from conftest import assert_weights_equal, weights_snapshot
from helpers import objectives as O
from helpers import transforms as T
from helpers.render import mixed_precision_clone, mosaic, render


def start(n, seed=0, size=8):
    return np.random.default_rng(seed).uniform(0.3, 0.7, (n, size, size, 3)).astype(np.float32)


def test_filters_of_the_shapes_model_rise_as_one_batch(shapes_spec):
    model = shapes_spec.model
    snap, n_layers = weights_snapshot(model), len(model.layers)
    tr = T.standard(64, seed=0)
    names = [t.name for t in tr]
    res = render(model, O.channel("conv4", range(8)), transforms=tr, steps=6, lr=0.05, progress=False,
                 thresholds=[1, 3])
    assert res.images.shape == (8, 64, 64, 3) and np.isfinite(res.images).all()
    assert res.images.min() >= 0 and res.images.max() <= 1
    alive = ~res.dead
    assert alive.sum() >= 6
    assert np.all(res.best_values[alive] > res.values[0][alive])
    assert sorted(res.snapshots) == [1, 3]
    assert_weights_equal(model, snap)
    assert len(model.layers) == n_layers and [t.name for t in tr] == names


def test_each_image_follows_only_its_own_objective(tiny_model):
    x0 = start(2, seed=1)
    both = render(tiny_model, O.channel("c2", [0, 4]), init=x0, steps=5, lr=0.05, keep="last", progress=False)
    alone = render(tiny_model, O.channel("c2", 4), batch=1, init=x0[1:], steps=5, lr=0.05, keep="last", progress=False)
    np.testing.assert_allclose(both.last[1], alone.last[0], atol=1e-5)


def test_best_is_the_highest_objective_and_last_is_last(tiny_model):
    res = render(tiny_model, O.class_logit([0, 1, 2]), transforms=[T.jitter(2, seed=0), T.clip()], steps=6,
                 lr=0.3, seed=2, progress=False)
    assert np.all(res.best_values >= res.values.max(0) - 1e-5)
    last = render(tiny_model, O.class_logit([0, 1, 2]), transforms=[T.jitter(2, seed=0), T.clip()], steps=6,
                  lr=0.3, seed=2, keep="last", progress=False)
    np.testing.assert_array_equal(last.images, res.last)


def _dead_filter_model():
    import keras

    inp = keras.Input((8, 8, 3))
    conv = keras.layers.Conv2D(2, 3, padding="same", activation="relu", name="conv")
    out = keras.layers.Dense(2, name="logits")(keras.layers.GlobalAveragePooling2D()(conv(inp)))
    model = keras.Model(inp, out)
    kernel = np.random.default_rng(0).normal(0, 0.3, (3, 3, 3, 2)).astype(np.float32)
    kernel[..., 1] = 0.0  # filter 1 never sees the image ...
    conv.set_weights([kernel, np.array([0.2, -1.0], np.float32)])  # ... and its bias keeps it below zero
    return model


def test_dead_filter_is_flagged_not_nan():
    model = _dead_filter_model()
    x0 = start(2, seed=3)
    with pytest.warns(UserWarning, match="dead unit"):
        res = render(model, O.channel("conv", [0, 1]), init=x0, steps=4, progress=False)
    assert list(res.dead) == [False, True]
    assert np.isfinite(res.images).all()
    np.testing.assert_allclose(res.last[1], x0[1])


def test_stop_from_callback_and_keyboard_interrupt_return_images(tiny_model):
    seen = []

    def stop_at_two(step, total, preview):
        seen.append(preview is not None)
        return step < 2

    res = render(tiny_model, O.channel("c2", 0), steps=6, callback=stop_at_two, preview_every=1, progress=False)
    assert res.stopped and res.steps_done == 2 and all(seen)

    def interrupt(step, total, preview):
        if step == 3:
            raise KeyboardInterrupt

    res = render(tiny_model, O.channel("c2", 0), steps=6, callback=interrupt, progress=False)
    assert res.stopped and res.steps_done == 3 and res.images.shape == (1, 8, 8, 3)
    assert "interrupted" in res.notes[0]


def test_softmax_model_bf16_and_fourier(tiny_sequential):
    snap = weights_snapshot(tiny_sequential)
    for kw in ({"precision": "bfloat16"}, {"param": "fourier", "transforms": [T.median_filter(3)]}):
        res = render(tiny_sequential, O.class_logit(1), steps=6, lr=0.1, progress=False, **kw)
        assert res.best_values[0] > res.values[0][0]
    assert "skipped" in res.notes[0]
    assert_weights_equal(tiny_sequential, snap)
    assert np.allclose(np.asarray(tiny_sequential(start(1))).sum(), 1.0)
    assert mixed_precision_clone(tiny_sequential, "bfloat16").layers[1].compute_dtype == "bfloat16"
    assert tiny_sequential.layers[1].compute_dtype == "float32"


def test_silhouette_ascent_raises_class_score_and_keeps_the_background(tiny_sequential):
    from helpers.param import SilhouetteParam

    snap = weights_snapshot(tiny_sequential)
    p = SilhouetteParam(2, 8, 8, seed=0, radius=0.3, sigma=0.5)
    bg = np.asarray(p._background)
    res = render(tiny_sequential, O.class_logit([1, 2]), param=p, transforms=[T.jitter(1, seed=0), T.clip()],
                 steps=8, lr=0.2, keep="last", progress=False)
    assert np.all(res.best_values > res.values[0])
    assert any("skipped" in n for n in res.notes)  # clip is a pixel regularizer: silhouettes need none
    yy, xx = np.mgrid[0:8, 0:8]
    outside = np.hypot(yy - 3.5, xx - 3.5) > 0.3 * 8 + 0.5
    np.testing.assert_array_equal(res.last[:, outside], bg[:, outside])
    assert_weights_equal(tiny_sequential, snap)


def test_bad_input(tiny_model):
    with pytest.raises(ValueError, match="keep"):
        render(tiny_model, O.channel("c2", 0), keep="first")
    with pytest.raises(ValueError, match="precision"):
        render(tiny_model, O.channel("c2", 0), precision="int8")
    with pytest.raises(ValueError, match="3"):
        render(tiny_model, O.channel("c2", [0, 1, 2]), batch=2)
    assert mosaic(np.zeros((5, 4, 4, 3)), cols=3).shape == (10, 16, 3)


def test_xla_step_matches_the_graph_step_and_falls_back_when_it_must(shapes_spec):
    obj = O.channel("conv4", range(3))
    kw = dict(steps=6, progress=False, seed=2)
    shift = [T.jitter(3, seed=0), T.clip()]
    graph = render(shapes_spec.model, obj, transforms=shift, **kw)
    xla = render(shapes_spec.model, obj, transforms=shift, jit_compile=True, **kw)
    assert not xla.notes
    np.testing.assert_allclose(xla.images, graph.images, atol=1e-4)  # same ascent, other kernels
    assert np.all(xla.best_values > xla.values[0])                    # and it still climbs
    rotate = [T.random_rotate(10, seed=0), T.clip()]  # no XLA kernel for the image warp
    graph = render(shapes_spec.model, obj, transforms=rotate, **kw)
    fallback = render(shapes_spec.model, obj, transforms=rotate, jit_compile=True, **kw)
    assert any("XLA could not compile" in n for n in fallback.notes)
    np.testing.assert_allclose(fallback.images, graph.images, atol=1e-6)


@pytest.mark.filterwarnings("ignore:.*identically zero gradient")
def test_mixed_precision_reaches_inside_a_nested_base():
    import keras

    keras.utils.set_random_seed(2)
    base = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, activation="relu", name="c1")],
                            name="base")
    m = keras.Sequential([base, keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)], name="outer")
    clone = mixed_precision_clone(m, "bfloat16")
    assert clone.get_layer("c1").compute_dtype == "bfloat16"
    r = render(m, O.channel("base/c1", [0, 1, 2, 3]), size=8, steps=4, lr=0.1, precision="bfloat16", progress=False)
    alive = r.values[0] > 0  # channels a grey start already excites
    assert alive.any() and np.all(r.values[-1][alive] > r.values[0][alive])
