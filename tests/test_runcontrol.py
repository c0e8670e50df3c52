"""One run control, one result base, one cache, one parameterization protocol (issue 17, items 3 and 4)."""

from __future__ import annotations

import ast
import inspect

import numpy as np
import pytest

from helpers import config
from helpers import deepdream as D
from helpers import objectives as O
from helpers import param as P
from helpers import render as R
from helpers import transforms as T
from helpers.runcontrol import RunResult


def _photo(size=32, seed=0):
    r = np.random.default_rng(seed)
    smooth = np.kron(r.uniform(size=(size // 8, size // 8, 3)), np.ones((8, 8, 1)))
    return np.clip(smooth + 0.05 * r.normal(size=smooth.shape), 0, 1).astype(np.float32)


#: the step at which render's run is interrupted
INTERRUPT = 5


def _interrupt_at(step_to_stop):
    def callback(step, total, preview):
        if step == step_to_stop:
            raise KeyboardInterrupt

    return callback


def test_render_interrupted_returns_the_best_image_so_far_with_stopped_set(tiny_model):
    # -mean|x - 0.55|: each normalized step moves every pixel by exactly lr towards 0.55, so after a few
    # steps the pixels overshoot and the objective alternates: the last image is not the best one
    obj = -O.l1(0.55)
    x0 = np.random.default_rng(2).uniform(0.45, 0.65, (1, 8, 8, 3)).astype(np.float32)
    res = R.render(tiny_model, obj, init=x0, steps=6, lr=0.04, keep="last", callback=_interrupt_at(INTERRUPT),
                   progress=False)
    assert isinstance(res, RunResult) and res.stopped and res.steps_done == INTERRUPT
    assert any("interrupted" in n for n in res.notes) and res.seconds > 0
    assert O.evaluate(tiny_model, obj, res.last)[0] < res.best_values[0] - 1e-4  # the run's last is not its best
    # the best so far, whatever keep says: the image that scores highest of all the run saw
    np.testing.assert_array_equal(res.images, res.best)
    assert res.best_values[0] >= res.values.max() - 1e-6
    np.testing.assert_allclose(O.evaluate(tiny_model, obj, res.images), res.best_values, rtol=1e-4, atol=1e-6)


def test_deepdream_interrupted_returns_the_dream_so_far_with_stopped_set(tiny_model):
    img = _photo()
    res = D.deepdream(tiny_model, img, layers="c2", steps=3, octaves=2, octave_scale=1.3,
                      callback=_interrupt_at(2), progress=False)
    assert isinstance(res, RunResult) and res.stopped and res.interrupted
    assert len(res.history) == 2 and any("interrupted" in n for n in res.notes) and res.seconds > 0
    assert res.image.shape == img.shape and not np.array_equal(res.image, img)  # full size, and dreamt on


def test_callback_false_stops_both_and_previews_come_as_pictures(tiny_model):
    seen = []

    def stop_at_two(step, total, preview):
        seen.append((step, total, None if preview is None else np.asarray(preview).shape))
        return step < 2

    res = R.render(tiny_model, O.channel("c2", 0), steps=6, callback=stop_at_two, preview_every=1, progress=False)
    assert res.stopped and res.steps_done == 2 and seen[0][2] is not None
    seen.clear()
    dream = D.deepdream(tiny_model, _photo(), layers="c2", steps=8, octaves=1, callback=stop_at_two, progress=False)
    assert dream.stopped and not dream.interrupted and len(dream.history) == 2
    assert [s[:2] for s in seen] == [(1, config.steps(8)), (2, config.steps(8))] and seen[1][2] == (32, 32, 3)


def test_deepdream_old_progress_keywords_still_work_with_a_deprecation_warning(tiny_model):
    calls = []

    def old(step, total, preview=None):
        calls.append(step)
        return False

    with pytest.warns(DeprecationWarning, match="callback="):
        res = D.deepdream(tiny_model, _photo(), layers="c2", steps=3, octaves=1, progress=old)
    assert res.stopped and calls == [1]
    with pytest.warns(DeprecationWarning, match="show_progress"):
        D.deepdream(tiny_model, _photo(), layers="c2", steps=1, octaves=1, show_progress=False)
    with pytest.raises(TypeError, match="once"):
        D.deepdream(tiny_model, _photo(), layers="c2", steps=1, octaves=1, progress=old, callback=old)


def test_render_reads_in_one_screen():
    fn = ast.parse(inspect.getsource(R.render)).body[0]
    body = fn.body[1:] if isinstance(fn.body[0], ast.Expr) else fn.body  # without the docstring
    assert body[-1].end_lineno - body[0].lineno + 1 <= 60
    source = inspect.getsource(R)
    assert ".kind ==" not in source and "fourier" not in inspect.getsource(R.render).split('"""')[-1]


def test_one_cache_serves_attribution_and_deepdream(tiny_model):
    from helpers import attribution as A
    from helpers import cache
    from helpers.attribution import core

    assert core.cached is cache.cached and core._CACHE is cache._CACHE
    x = np.random.default_rng(0).uniform(0, 1, (1, 8, 8, 3)).astype(np.float32)
    A.saliency(tiny_model, x, 0)
    dreamer = D.dreamer_for(tiny_model, {"c2": 1.0})
    keys = cache.entries(tiny_model)
    assert any(k == "logits" for k in keys) and any(isinstance(k, tuple) and k[0] == "dreamer" for k in keys)
    assert D.dreamer_for(tiny_model, {"c2": 1}) is dreamer
    cache.clear(tiny_model)
    assert cache.entries(tiny_model) == [] and D.dreamer_for(tiny_model, {"c2": 1.0}) is not dreamer


class BatchLastPixels(P.Parameterization):
    """Pixels stored as ``[h, w, 3, batch]``: a layout render has never seen."""

    kind = "batch-last pixels"
    batch_axis = 3
    pixel_space = True

    def __init__(self, start):
        import tensorflow as tf

        self.variable = tf.Variable(np.transpose(start, (1, 2, 3, 0)))

    def image(self):
        import tensorflow as tf

        return tf.transpose(self.variable, (3, 0, 1, 2))


def test_a_new_parameterization_works_with_render_unchanged(tiny_model):
    x0 = np.random.default_rng(1).uniform(0.3, 0.7, (2, 8, 8, 3)).astype(np.float32)
    obj = O.channel("c2", [0, 4])
    kw = dict(steps=5, lr=0.1, keep="last", transforms=[T.jitter(1, seed=0), T.clip()], progress=False)
    new = R.render(tiny_model, obj, param=BatchLastPixels(x0), **kw)
    pixels = R.render(tiny_model, obj, init=x0, **kw)
    # each image normalised over its own axes: the same steps as the pixel parameterization
    np.testing.assert_allclose(new.last, pixels.last, atol=1e-5)
    np.testing.assert_allclose(new.values, pixels.values, rtol=1e-5, atol=1e-6)
    assert not new.dead.any() and not new.notes
