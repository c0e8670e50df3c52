"""Perturbation methods against a hand-built model whose evidence sits in one known box."""

import warnings

import numpy as np
import pytest
from conftest import assert_weights_equal, weights_snapshot

from helpers import config
from helpers import perturbation as P

BOX = (slice(4, 8), slice(8, 12))   # rows 4-7, columns 8-11 of a 16x16 image


def box_model(softmax=True):
    """16x16x3 -> logits (sum of red inside BOX, 0): all the evidence for class 0 lies in BOX."""
    import keras

    inp = keras.Input((16, 16, 3))
    dense = keras.layers.Dense(2, name="logits")
    out = dense(keras.layers.Flatten()(inp))
    if softmax:
        out = keras.layers.Activation("softmax", name="probs")(out)
    model = keras.Model(inp, out)
    k = np.zeros((16, 16, 3, 2), np.float32)
    k[BOX[0], BOX[1], 0, 0] = 1.0
    dense.set_weights([k.reshape(-1, 2), np.zeros(2, np.float32)])
    return model


def box_image(seed=0):
    """Grey noise with a red square on BOX (so superpixels can find it)."""
    img = 0.4 + 0.1 * config.rng(seed).random((16, 16, 3)).astype(np.float32)
    img[BOX] = (1.0, 0.0, 0.0)
    return img


def _inside():
    m = np.zeros((16, 16), bool)
    m[BOX] = True
    return m


def test_class_scores_are_logits_or_probabilities():
    model, img = box_model(), box_image()
    assert P.class_scores(model, img[None], 0)[0] == pytest.approx(16.0)
    assert P.class_scores(model, img[None], 0, score="probability")[0] == pytest.approx(1 / (1 + np.exp(-16.0)), rel=1e-5)
    with pytest.raises(ValueError, match="logit"):
        P.class_scores(model, img[None], 0, score="odds")


def test_occlusion_finds_the_box_exactly_and_leaves_the_model_alone():
    model, img = box_model(), box_image()
    snap = weights_snapshot(model)
    # Patches aligned with the box: only the patch that is the box lowers the score.
    m = P.occlusion(model, img, 0, patch=4, stride=4, fill=0.0)[0]
    np.testing.assert_allclose(m, _inside().astype(np.float32), atol=1e-6)
    # Overlapping patches: a pixel's drop is the mean over the patches covering it; the peak is in the box.
    m = P.occlusion(model, img, 0, patch=3, stride=1, fill=0.0)[0]
    assert _inside()[np.unravel_index(m.argmax(), m.shape)] and m[~_inside()].max() < m[_inside()].max()
    assert_weights_equal(model, snap)
    assert model.layers[-1].name == "probs" and len(model.layers) == 4


def test_occlusion_rejects_bad_patches():
    with pytest.raises(ValueError, match="between 1 and 16"):
        P.occlusion(box_model(), box_image(), 0, patch=20)
    with pytest.raises(ValueError, match="stride"):
        P.occlusion(box_model(), box_image(), 0, stride=0)
    with pytest.raises(ValueError, match="fill"):
        P.occlusion(box_model(), box_image(), 0, fill="grey")


def test_counts_below_one_are_refused_not_rounded_up(tiny_model):
    from helpers import faithfulness as F

    x = config.rng(3).uniform(0, 1, (1, 8, 8, 3)).astype(np.float32)
    for call, name in ((lambda: P.rise(tiny_model, x, 0, masks=0), "masks"),
                       (lambda: P.lime(tiny_model, x, 0, samples=-3), "samples"),
                       (lambda: F.deletion_curve(tiny_model, x, x[..., 0], 0, steps=0), "steps")):
        with pytest.raises(ValueError, match=name):
            call()


def test_rise_masks_are_seeded_smooth_and_keep_about_p():
    a, b = P.rise_masks(200, (16, 16), cell=4, p=0.5, seed=1), P.rise_masks(200, (16, 16), cell=4, p=0.5, seed=1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, P.rise_masks(200, (16, 16), cell=4, p=0.5, seed=2))
    assert a.shape == (200, 16, 16) and 0.0 <= a.min() and a.max() <= 1.0
    assert abs(a.mean() - 0.5) < 0.05
    assert ((a > 0.01) & (a < 0.99)).mean() > 0.3   # bilinear upsampling: soft edges, not a hard grid
    with pytest.raises(ValueError, match="p must be"):
        P.rise_masks(4, (16, 16), p=0.0)


def test_rise_recovers_the_box():
    config.set_fast(False)
    try:
        m = P.rise(box_model(), box_image(), 0, masks=2000, cell=4, seed=0)[0]
    finally:
        config.set_fast(None)
    assert _inside()[np.unravel_index(m.argmax(), m.shape)]
    assert m[_inside()].mean() > 3 * m[~_inside()].mean()


def test_superpixels_and_lime_recover_the_box():
    img = box_image()
    seg = P.superpixels(img, segments=16)
    box_labels = np.unique(seg[_inside()])
    assert len(box_labels) == 1 and (seg == box_labels[0]).sum() == 16   # the red square is one superpixel
    coef, r2 = P.lime_fit(box_model(), img, 0, seg, samples=200, seed=0)
    # The model is linear in the on/off pattern, so only the box's superpixel matters; LIME's ridge
    # penalty (alpha = 1) shrinks that weight and leaks a few per cent onto the others.
    assert r2 > 0.9 and int(np.argmax(coef)) == box_labels[0]
    assert np.abs(np.delete(coef, box_labels[0])).max() < 0.06 * coef.max()
    m = P.lime(box_model(), img, 0, samples=200, segments=16, seed=0)[0]
    assert np.all(m[_inside()] == 1.0) and m[~_inside()].max() < 0.06
    with pytest.raises(ValueError, match="slic"):
        P.superpixels(img, method="watershed")


def test_perturbation_methods_are_seeded_and_give_unit_maps(tiny_model):
    x = config.rng(0).random((2, 8, 8, 3)).astype(np.float32)
    snap = weights_snapshot(tiny_model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, fn in P.PERTURBATIONS.items():
            kw = {"patch": 3, "stride": 2} if name == "occlusion" else {"seed": 3}
            a, b = fn(tiny_model, x, [0, 2], **kw), fn(tiny_model, x, [0, 2], **kw)
            assert a.shape == (2, 8, 8) and 0.0 <= a.min() and a.max() <= 1.0, name
            np.testing.assert_array_equal(a, b)
    assert_weights_equal(tiny_model, snap)


def test_lesson11_exercise_accepts_its_solution_and_names_common_mistakes(shapes_spec, shapes_data):
    from helpers import attribution, faithfulness
    from helpers.exercises.lesson11 import deletion_point_exercise

    x, y, _ = shapes_data
    model = shapes_spec.model
    sal = attribution.saliency(model, x[:1], y[:1])
    q = deletion_point_exercise(model, x[0], int(y[0]), sal[0], count=410)
    lesson = {"np": np, "faithfulness": faithfulness, "model": model, "x": x, "y": y, "maps1": {"saliency": sal}}
    exec(q._solution, lesson)  # the solution runs where the lesson's check cell runs
    assert q.check(lesson["answer"], quiet=True)
    soft = faithfulness.blurred(x[:1])[0].reshape(-1, 3)

    def prob(order, fill):
        flat = x[0].reshape(-1, 3).copy()
        flat[order[:410]] = fill[order[:410]]
        return float(P.class_scores(model, flat.reshape(x[0].shape)[None], int(y[0]), score="probability")[0])

    least = q.check(prob(np.argsort(sal[0].ravel(), kind="stable"), soft), quiet=True)
    assert not least and "least important" in least.message
    black = q.check(prob(np.argsort(-sal[0].ravel(), kind="stable"), np.zeros_like(soft)), quiet=True)
    assert not black and "black" in black.message
    assert not q.check(lesson["answer"] + 0.01, quiet=True)
    with pytest.raises(ValueError, match="must match"):
        deletion_point_exercise(model, x[0], 0, sal[0, :10], count=410)
