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
    assert set(C.RECIPES) >= {"naive", "clip", "decay", "blur", "median", "jitter/scale/rotate", "combined"}
    sil = C.visualize_silhouettes(shapes_spec.model, [0, 7], steps=6, progress=False)
    assert np.all(sil.best_values > sil.values[0]) and not sil.notes
    # outside the central window only the smooth background remains: neighbouring pixels barely differ
    outside = np.hypot(*np.mgrid[0:64, 0:64] - 31.5) > 0.2 * 64 + 1
    steps_right = np.abs(np.diff(sil.images, axis=2))[:, outside[:, 1:] & outside[:, :-1]]
    assert steps_right.max() < 0.05
    assert_weights_equal(shapes_spec.model, snap)


def test_random_search_is_seeded_and_sorted(tiny_model):
    a = C.random_search(tiny_model, tiny_model, [0, 1, 2], trials=2, steps=2, seed=3, progress=False)
    b = C.random_search(tiny_model, tiny_model, [0, 1, 2], trials=2, steps=2, seed=3, progress=False)
    assert [t["params"] for t in a] == [t["params"] for t in b]
    assert a[0]["transfer"] >= a[1]["transfer"]


def test_exercises(shapes_spec):
    from helpers.exercises import lesson02, lesson03
    from helpers.models import load_model

    W = lesson02.class_weights(shapes_spec)
    q = lesson02.filter_vote_exercise(shapes_spec, 5)
    assert q.check(shapes_spec.class_names[int(W[5].argmax())], quiet=True)
    assert not q.check(shapes_spec.class_names[int(W[5].argmin())], quiet=True)
    judge = load_model("shapes_b").model
    x = np.full((2, 64, 64, 3), 0.5, np.float32)
    q3 = lesson03.transfer_exercise(judge, x, [0, 1])
    truth = float(np.mean(np.asarray(judge(x)).argmax(1) == [0, 1]))
    assert q3.check(truth, quiet=True) and not q3.check(truth + 0.5 if truth < 0.5 else truth - 0.5, quiet=True)


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
