"""Class visualization: objectives, recipes, the transfer measure, search, exercises and panels."""

import numpy as np
import pytest

from conftest import assert_weights_equal, weights_snapshot
from helpers import classviz as C
from helpers import objectives as O


def test_transfer_rate_measures_agreement(shapes_data):
    from helpers.models import load_model

    judge = load_model("shapes_b").model
    x, y, _ = shapes_data
    assert C.transfer_rate(judge, x[:64], y[:64]) > 0.9  # real shapes: model B agrees
    assert C.transfer_rate(judge, x[:64], (y[:64] + 1) % 8) < 0.1  # wrong labels: it does not


def test_class_objectives(tiny_model):
    x = np.random.default_rng(0).uniform(0, 1, (3, 8, 8, 3)).astype(np.float32)
    z = O.evaluate(tiny_model, O.class_logit([0, 1, 2]), x)
    logp = O.evaluate(tiny_model, O.class_logprob([0, 1, 2]), x)
    p = O.evaluate(tiny_model, O.class_probability([0, 1, 2]), x)
    np.testing.assert_allclose(np.exp(logp), p, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(tiny_model(x))[np.arange(3), [0, 1, 2]], p, rtol=1e-5)
    np.testing.assert_allclose(O.evaluate(tiny_model, C.class_objective([0, 1, 2]), x), logp + 0.1 * z, rtol=1e-5)
    with pytest.raises(ValueError, match="logit"):
        C.class_objective([0], "probit")
    with pytest.raises(TypeError, match="class_index"):
        C.class_objective([0, "star"])


def test_recipes_make_valid_images_and_keep_the_model(shapes_spec):
    snap = weights_snapshot(shapes_spec.model)
    res = C.visualize_classes(shapes_spec.model, [0, 7], C.regularized(0), steps=4, progress=False)
    assert res.images.shape == (2, 64, 64, 3) and 0 <= res.images.min() and res.images.max() <= 1
    assert np.all(res.best_values > res.values[0])
    names = [t.name for t in C.regularized(0)]
    assert names[-1] == "clip(0, 1)" and any("median" in n for n in names) and any("blur" in n for n in names)
    assert set(C.RECIPES) >= {"naive", "clip", "decay", "blur", "median", "shift/scale/rotate", "combined"}
    # each ablation column is one part of the combined recipe with the same settings (lesson 03 says so)
    for key in ("decay", "blur", "median", "shift/scale/rotate"):
        assert {t.name for t in C.ABLATIONS[key](0)} <= set(names), key
    sil = C.visualize_silhouettes(shapes_spec.model, [0, 7], steps=6, progress=False)
    assert np.all(sil.best_values > sil.values[0]) and not sil.notes
    # outside the central window only the smooth background remains: neighbouring pixels barely differ
    outside = np.hypot(*np.mgrid[0:64, 0:64] - 31.5) > 0.2 * 64 + 1
    steps_right = np.abs(np.diff(sil.images, axis=2))[:, outside[:, 1:] & outside[:, :-1]]
    assert steps_right.max() < 0.05
    assert_weights_equal(shapes_spec.model, snap)


def test_random_search_draws_every_hyperparameter_and_scores_held_out_images(tiny_model):
    a = C.random_search(tiny_model, tiny_model, [0, 1, 2], trials=2, steps=2, seed=3, progress=False)
    b = C.random_search(tiny_model, tiny_model, [0, 1, 2], trials=2, steps=2, seed=3, progress=False)
    assert [t["params"] for t in a] == [t["params"] for t in b]
    assert a[0]["search"] >= a[1]["search"] and all(0 <= t["held_out"] <= 1 for t in a)
    assert all(t["images"].shape == (3, 8, 8, 3) for t in a)
    rng = np.random.default_rng(0)
    draws = [C.draw_params(rng) for _ in range(12)]
    for key in draws[0]:
        assert len({d[key] for d in draws}) >= 2, f"{key} is the same in every trial"
    assert all(0.003 <= d["lr"] <= 0.1 and d["median"] in (0, 3, 5) and 4 <= d["median_every"] <= 12
               and (d["blur"] == 0 or 0.3 <= d["blur"] <= 1) for d in draws)


def test_vgg16_recipe_is_selected_for_a_vgg16_shaped_model(shapes_spec):
    import keras

    vgg = keras.applications.VGG16(weights=None, input_shape=(64, 64, 3))
    assert C.is_vgg16(vgg) and not C.is_vgg16(shapes_spec.model)
    r = C.recipe_for(vgg)
    # sources/003: lr 8000 on 0-255 pixels with the raw gradient, median 5 every 4, 1000 steps, class score
    assert r.lr == pytest.approx(8000 / 255 ** 2) and r.steps == 1000 and not r.normalize and r.objective == "logit"
    names = [t.name for t in r.make(0)]
    assert names == ["median_filter(5, every 4)", "clip(0, 1)"]
    # a layer row: block4 is lr 40, median 5 every 4; block4 sees 8x8 positions at 64 px (three poolings), and
    r4 = C.recipe_for(vgg, "block4_conv2")
    # the source sums the channel over them where objectives.channel averages
    assert r4.lr == pytest.approx(40 * 8 * 8 / 255 ** 2) and r4.steps == 200
    assert [t.name for t in C.recipe_for(vgg, "block1_conv1").make(0)] == ["clip(0, 1)"]
    with pytest.raises(ValueError, match="block5_conv3"):
        C.recipe_for(vgg, "fc1")
    course = C.recipe_for(shapes_spec.model)
    assert course.normalize and [t.name for t in course.make(0)] == [t.name for t in C.regularized(0)]
    with pytest.raises(ValueError, match="VGG16 only"):
        C.recipe_for(shapes_spec.model, "conv1")
    assert "| block3_conv1 | 6 | 3x3 every 6 | 200 |" in C.vgg16_table()
    del vgg


def _brightness():
    from helpers.objectives import INPUT, Objective

    return Objective(lambda acts: -tf_mean_sq(acts[INPUT] - 0.8), "-(x - 0.8)^2", [], batch=2)


def tf_mean_sq(t):
    import tensorflow as tf

    return tf.reduce_mean(tf.square(t), axis=[1, 2, 3])


def test_early_stopping_stops_on_a_plateau_and_keeps_the_best_image(tiny_model):
    from helpers import config
    from helpers.render import render

    start = np.full((2, 8, 8, 3), 0.5, np.float32)
    config.set_fast(False)  # real step counts: the plateau comes after a few steps
    try:
        # the objective peaks when every pixel is 0.8; fixed-size normalized steps (0.07 per pixel) reach
        # 0.78 after four steps, then overshoot to 0.85 and back: a plateau
        res = render(tiny_model, _brightness(), steps=200, lr=0.07, patience=5, progress=False, keep="last",
                     init=start)
        full = render(tiny_model, _brightness(), steps=40, lr=0.07, progress=False, init=start)
    finally:
        config.set_fast(None)
    assert res.stopped and 5 < res.steps_done < 20 and "early stop" in res.notes[0]
    assert np.allclose(res.images, res.best)  # the best image, although keep="last"
    assert np.all(res.best_values >= res.values.max(0) - 1e-6)
    assert np.abs(res.best - 0.8).max() < 0.03
    assert not full.stopped and full.steps_done == 40
    with pytest.raises(ValueError, match="patience"):
        render(tiny_model, _brightness(), steps=3, patience=0, progress=False)


def test_clean_scoring_makes_best_and_picks_meaningful(shapes_spec):
    from helpers.models import load_model

    res = C.restarts(shapes_spec.model, [0, 7], n=3, seed=0, steps=6, progress=False)
    assert res.images.shape == (6, 64, 64, 3)
    # score_clean: best_values are the images' own objectives, with no transform in the way
    own = O.evaluate(shapes_spec.model, C.class_objective([0, 7] * 3), res.best)
    np.testing.assert_allclose(own, res.best_values, rtol=1e-4, atol=1e-4)
    by_objective = C.pick(res, [0, 7], "objective")
    chosen = res.best_values.reshape(3, 2).argmax(0)
    np.testing.assert_allclose(by_objective, res.images.reshape(3, 2, 64, 64, 3)[chosen, [0, 1]])
    np.testing.assert_allclose(C.pick(res, [0, 7], "first"), res.images[:2])
    judge = load_model("shapes_b").model
    by_judge = C.pick(res, [0, 7], "judge", judge)
    p = np.asarray(judge(res.images)).reshape(3, 2, -1)
    assert np.all(np.asarray(judge(by_judge))[[0, 1], [0, 7]] >= p[:, [0, 1], [0, 7]].max(0) - 1e-6)
    with pytest.raises(ValueError, match="judge_model"):
        C.pick(res, [0, 7], "judge")


def test_exercises(shapes_spec):
    from helpers.exercises import lesson02

    W = lesson02.class_weights(shapes_spec)
    q = lesson02.filter_vote_exercise(shapes_spec, 5)
    assert q.check(shapes_spec.class_names[int(W[5].argmax())], quiet=True)
    assert not q.check(shapes_spec.class_names[int(W[5].argmin())], quiet=True)


def test_lesson03_norm_clip_exercise_names_its_wrong_answers():
    from helpers.exercises import lesson03

    img = np.random.default_rng(0).uniform(0, 1, (16, 16, 3)).astype("float32")
    q = lesson03.norm_clip_exercise(img)
    ns = {"img": img, "np": np}
    exec(q._solution, ns)  # the solution defines what the lesson's check cell passes
    assert q.check(ns["answer"], quiet=True)
    dist = np.linalg.norm(img - 0.5, axis=-1)
    flat = np.sort(dist.ravel())  # the transform's own threshold, as an independent reference
    ref = np.where((dist >= flat[dist.size // 2])[..., None], img, 0.5)
    assert q.check(ref, quiet=True)
    per_value = np.where(np.abs(img - 0.5) >= np.median(np.abs(img - 0.5)), img, 0.5)
    v = q.check(per_value, quiet=True)
    assert not v and "whole pixels" in v.message
    v = q.check(np.where((dist >= np.median(dist))[..., None], img, 0.0), quiet=True)
    assert not v and "grey" in v.message and "not black" in v.message
    v = q.check(np.where((dist < np.median(dist))[..., None], img, 0.5), quiet=True)
    assert not v and "other way round" in v.message
    v = q.check(img, quiet=True)
    assert not v and "unchanged" in v.message
    assert not q.check(img[:8], quiet=True)


def _honest_score_mistakes(multi, classes, n, plain, judge):
    """The right answer's table and five plausible wrong answers of lesson 04's exercise, each with its phrase."""
    k, cols = len(classes), np.arange(len(classes))
    pb = judge.predict(multi.images)[np.arange(n * k), classes * n].reshape(n, k)
    pp = plain.predict(multi.images)[np.arange(n * k), classes * n].reshape(n, k)
    kept = pp.argmax(0)
    # reading multi.images class by class (image i * n + r) instead of restart by restart
    pp_cm = plain.predict(multi.images)[np.arange(n * k), np.repeat(classes, n)].reshape(k, n)
    pb_cm = judge.predict(multi.images)[np.arange(n * k), np.repeat(classes, n)].reshape(k, n)
    by_obj = multi.best_values.reshape(n, k).argmax(0)  # choosing by A's objective, not by plain
    wrong = {"own favourites": (pp[kept, cols].mean(), "score you chose by"),
             "B chose": (pb.max(0).mean(), "chose as well as scored"),
             "no choice": (pb.mean(), "no choice made"),
             "class-major": (pb_cm[cols, pp_cm.argmax(1)].mean(), "stored restart by restart"),
             "A's objective": (pb[by_obj, cols].mean(), "A's highest objective")}
    return pb[kept, cols], wrong


def test_lesson04_honest_score_exercise_names_its_wrong_answers(shapes_spec):
    from helpers.exercises import lesson04
    from helpers.models import load_model

    judge, plain = load_model("shapes_b"), load_model("shapes_plain")
    classes, n = [0, 3, 5, 7], 4
    for seed in range(8):  # a run where every mistake gives its own number (small runs often tie)
        multi = C.restarts(shapes_spec.model, classes, n=n, seed=seed, steps=12, progress=False)
        kept_b, wrong = _honest_score_mistakes(multi, classes, n, plain, judge)
        values = [float(kept_b.mean())] + [float(v) for v, _ in wrong.values()]
        if min(abs(x - y) for i, x in enumerate(values) for y in values[i + 1:]) > 2e-3:
            break
    else:
        pytest.fail("no seed gave five distinct wrong answers")
    q = lesson04.honest_score_exercise(multi, classes, plain, judge)
    ns = {"multi": multi, "classes": classes, "np": np, "plain": plain, "judge": judge}
    exec(q._solution, ns)
    assert q.check(ns["answer"], quiet=True)
    assert abs(float(ns["answer"]) - kept_b.mean()) < 1e-6
    assert q.check(round(float(ns["answer"]), 3), quiet=True)  # the task's rounding passes
    for key, (value, phrase) in wrong.items():  # each mistake gets its own message
        v = q.check(float(value), quiet=True)
        assert not v and phrase in v.message, key
    assert not q.check("half", quiet=True) and not q.check([0.1, 0.2], quiet=True)
    v = q.check(kept_b, quiet=True)  # one number per class, not their mean
    assert not v and "their mean" in v.message
    v = q.check(multi, quiet=True)  # the whole run instead of a number
    assert not v and "one number" in v.message


def test_panels_run_and_report_bad_input(shapes_spec):
    from helpers.widgets.featvis import ClassesPanel, FiltersPanel

    p = FiltersPanel(shapes_spec, steps=3)
    p.controls["count"].value = 2
    p.run()
    assert p.error is None and p.png
    p.controls["filter"].value = 63
    p.run()
    assert "out of range" in p.error or "run past" in p.error
    c = ClassesPanel(shapes_spec, steps=2)
    c.controls["cls"].value = "star"
    c.run()
    assert c.error is None and c.png
    c.controls["param"].value = "silhouette"
    assert c.controls["lr"].value == pytest.approx(0.1)
    png = c.png
    c.run()
    assert c.error is None and c.png and c.png != png
