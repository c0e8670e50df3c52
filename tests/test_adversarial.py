"""Adversarial attacks and the cheat's repair, tested against known answers.

Ground truth: on a linear model z = W x the gradient of the margin is known in
closed form, so FGSM's step and the margin it removes are exact; PGD's
iterates must stay in the ε-ball and in [0, 1]; the shipped plain model must
fall below 10 % at the lesson's largest ε; the repaired model must meet the
issue's cheat-repair figures.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers import adversarial as A
from helpers.images import ImageError
from tests.conftest import assert_weights_equal, weights_snapshot

LARGEST_EPS = 0.12  # the lesson's largest ε (notebooks/src/15_fool_it_then_fix_it.py)


def _linear(w):
    """Logits z = [0, w . x]: class 1 wins when w . x > 0."""
    import keras

    inp = keras.Input((4, 4, 3))
    flat = keras.layers.Flatten()(inp)
    dense = keras.layers.Dense(2, use_bias=False, name="logits")
    model = keras.Model(inp, dense(flat))
    dense.set_weights([np.stack([np.zeros(w.size), w.ravel()], axis=1).astype(np.float32)])
    return model


def test_fgsm_linf_moves_each_pixel_by_eps_sign_w_and_flips_a_known_margin():
    rng = np.random.default_rng(0)
    v = rng.uniform(0.5, 1.5, 24)
    w = rng.permutation(np.concatenate([v, -v])).reshape(4, 4, 3)  # sum(w) = 0: the grey image sits on the boundary
    x = np.full((1, 4, 4, 3), 0.5, np.float32)
    x += 0.01 * np.sign(w)[None]  # margin z1 - z0 = 0.01 * |w|_1 > 0: class 1
    eps = 0.05
    res = A.fgsm(_linear(w), x, [1], eps, loss="margin")
    np.testing.assert_allclose(res.perturbation[0], -eps * np.sign(w), atol=1e-6)
    margin_before = float((x[0] * w).sum())
    margin_after = float((res.images[0] * w).sum())
    np.testing.assert_allclose(margin_after, margin_before - eps * np.abs(w).sum(), rtol=1e-4)
    assert res.clean_pred[0] == 1 and res.adv_pred[0] == 0 and res.success[0]


@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_pgd_never_leaves_the_ball_or_the_unit_cube(tiny_model, norm):
    x = np.random.default_rng(1).uniform(0, 1, (6, 8, 8, 3)).astype(np.float32)
    x[0] = 0.0
    x[1] = 1.0  # images at the cube's faces: clipping must keep them valid
    eps = 0.1 if norm == "linf" else 0.5
    res = A.pgd(tiny_model, x, [0, 1, 2, 0, 1, 2], eps, steps=5, norm=norm, seed=3)
    assert res.images.min() >= 0 and res.images.max() <= 1
    d = res.images - x
    size = np.abs(d).max(axis=(1, 2, 3)) if norm == "linf" else np.sqrt((d ** 2).sum(axis=(1, 2, 3)))
    assert (size <= eps + 1e-5).all()
    assert (size > 0).any()


def test_pgd_is_seeded():
    from helpers.models import load_shapes
    from helpers.shapes import make_shapes

    x, y, _ = make_shapes(8, seed=99)
    model = load_shapes("plain").model
    a = A.pgd(model, x, y, 0.01, steps=2, seed=5)
    b = A.pgd(model, x, y, 0.01, steps=2, seed=5)
    np.testing.assert_array_equal(a.images, b.images)


def test_targeted_attack_reaches_the_target_on_the_plain_model():
    from helpers.models import load_shapes
    from helpers.shapes import make_shapes

    x, y, _ = make_shapes(16, seed=4321)
    target = (y + 1) % 8
    res = A.pgd(load_shapes("plain").model, x, y, 0.08, steps=10, target=target, seed=0)
    assert res.success.mean() >= 0.9
    np.testing.assert_array_equal(res.success, res.adv_pred == target)


def test_pgd_at_the_largest_eps_drives_the_plain_model_below_10_percent():
    from helpers.models import load_shapes
    from helpers.shapes import make_shapes

    x, y, _ = make_shapes(48, seed=777001)
    curve = A.accuracy_vs_eps(load_shapes("plain").model, x, y, [0, LARGEST_EPS], steps=10)
    assert curve[0.0] > 0.9
    assert curve[LARGEST_EPS] < 0.10


def test_eps_at_half_interpolates():
    assert A.eps_at_half({0.0: 1.0, 0.1: 0.6, 0.2: 0.4}) == pytest.approx(0.15)
    assert A.eps_at_half({0.0: 0.4, 0.1: 0.2}) == 0.0
    assert A.eps_at_half({0.0: 1.0, 0.1: 0.9}) == float("inf")


def test_one_compiled_step_serves_every_call(tiny_model):
    x = np.random.default_rng(2).uniform(0, 1, (5, 8, 8, 3)).astype(np.float32)
    A.pgd(tiny_model, x, 0, 0.1, steps=2, norm="l2", loss="ce")
    before = A.TRACES[("l2", "ce")]
    for eps, n in ((0.2, 5), (0.05, 3), (0.3, 1)):  # other sizes, other batch sizes, targeted
        A.pgd(tiny_model, x[:n], 0, eps, steps=3, norm="l2", loss="ce", target=1)
    assert A.TRACES[("l2", "ce")] == before


def test_bad_inputs_get_clear_messages(tiny_model):
    x = np.full((2, 8, 8, 3), 0.5, np.float32)
    with pytest.raises(ValueError, match="eps"):
        A.pgd(tiny_model, x, 0, 0.0)
    with pytest.raises(ValueError, match="eps"):
        A.fgsm(tiny_model, x, 0, -0.1)
    with pytest.raises(ValueError, match="steps"):
        A.pgd(tiny_model, x, 0, 0.1, steps=0)
    with pytest.raises(ValueError, match="'linf', 'l2'"):
        A.pgd(tiny_model, x, 0, 0.1, norm="l1")
    with pytest.raises(IndexError, match="0..2"):
        A.pgd(tiny_model, x, 0, 0.1, target=3)
    with pytest.raises(ImageError, match=r"\[0, 1\]"):
        A.pgd(tiny_model, x + 0.7, 0, 0.1)
    with pytest.raises(ValueError, match="pgd, fgsm"):
        A.accuracy_vs_eps(tiny_model, x, [0, 0], [0.1], attack="cw")


def test_the_callers_images_and_model_are_unchanged(tiny_model):
    x = np.random.default_rng(3).uniform(0, 1, (4, 8, 8, 3)).astype(np.float32)
    x_copy, snap = x.copy(), weights_snapshot(tiny_model)
    A.pgd(tiny_model, x, [0, 1, 2, 0], 0.1, steps=3)
    A.fgsm(tiny_model, x, [0, 1, 2, 0], 0.1)
    np.testing.assert_array_equal(x, x_copy)
    assert_weights_equal(tiny_model, snap)
    assert tiny_model.layers[-1].activation.__name__ == "softmax"


def test_a_stopped_run_returns_what_it_has(tiny_model):
    x = np.random.default_rng(4).uniform(0, 1, (3, 8, 8, 3)).astype(np.float32)
    res = A.pgd(tiny_model, x, 0, 0.1, steps=10, callback=lambda step, total, preview: step < 3)
    assert res.stopped and res.notes
    assert res.images.shape == x.shape and np.abs(res.images - x).max() <= 0.1 + 1e-6


def test_nested_model_attacks_like_its_flat_twin():
    from tests.test_nested_models import _flat_twin, _nested

    nested = _nested(0, functional=True)
    flat = _flat_twin(nested)
    x = np.random.default_rng(5).uniform(0, 1, (4, 8, 8, 3)).astype(np.float32)
    a = A.pgd(nested, x, [0, 1, 2, 0], 0.1, steps=3, seed=1)
    b = A.pgd(flat, x, [0, 1, 2, 0], 0.1, steps=3, seed=1)
    np.testing.assert_allclose(a.images, b.images, atol=1e-5)


def test_magnified_maps_zero_change_to_grey():
    d = np.array([[-0.1, 0.0, 0.05]])
    np.testing.assert_allclose(A.magnified(d, eps=0.1), [[0.0, 0.5, 0.75]])


# ------------------------------------------------------------------ the repair

def test_repair_training_refuses_a_tag_mask_of_the_wrong_shape():
    from helpers.repair import train_repaired

    x = np.zeros((4, 16, 16, 3), np.float32)
    with pytest.raises(ValueError, match=r"tag mask .*\(4, 16, 16\)"):
        train_repaired(x, [0, 1, 2, 3], np.zeros((4, 16, 16, 3)), epochs=1)
    with pytest.raises(ValueError, match=r"\(4, 16, 16\)"):
        train_repaired(x, [0, 1, 2, 3], np.zeros((16, 16)), epochs=1)
    with pytest.raises(ValueError, match="gradient, counterfactual"):
        train_repaired(x, [0, 1, 2, 3], np.zeros((4, 16, 16)), penalty="l1", epochs=1)


def test_the_repaired_model_meets_the_known_answer():
    """Without the tag within 0.05 of the twin; Grad-CAM's share on the tag at most twice the twin's."""
    from helpers.models import load_model
    from helpers.repair import measure

    repaired, twin = load_model("shapes_repaired", verbose=False), load_model("shapes_honest", verbose=False)
    r, t = measure(repaired.model, n=200, n_maps=40), measure(twin.model, n=200, n_maps=40)
    assert r["without_tag"] >= t["without_tag"] - 0.05
    assert r["grad_cam_on_tag"] <= 2 * t["grad_cam_on_tag"]
    cheat = measure(load_model("shapes_shortcut", verbose=False).model, n=200, n_maps=40)
    assert cheat["without_tag"] < 0.5  # the data really do teach the cheat


def test_lesson15_exercise_passes_the_reference_and_names_wrong_answers():
    from helpers.exercises.lesson15 import eps_exercise
    from helpers.models import load_shapes
    from helpers.shapes import make_shapes

    plain, robust = load_shapes("plain"), load_shapes("a")
    images, labels, _ = make_shapes(50, seed=15_200)
    eps_list = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12)
    q = eps_exercise(robust.model, plain.model, images, labels, eps_list, steps=10, seed=0)

    def first_below(model):  # the reference solution, written out
        for e in eps_list:
            pred = model.predict(images).argmax(1) if e == 0 else A.fgsm(model.model, images, labels, e).adv_pred
            if np.mean(pred == labels) < 0.5:
                return e

    answer = first_below(robust)
    assert q.check(answer, quiet=True)
    plain_eps = first_below(plain)
    assert plain_eps < answer  # the plain model breaks at a smaller step: a different, named wrong answer
    assert not q.check(plain_eps, quiet=True)
    assert "PLAIN" in q.check(plain_eps, quiet=True).message
    assert not q.check(0.0, quiet=True)
    assert not q.check(0.07, quiet=True)  # not in the list
