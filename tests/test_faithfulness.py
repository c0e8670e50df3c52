"""Deletion/insertion curves on a model with a known answer, seeded tie-breaking, the two-object test."""

import numpy as np
import pytest
from test_perturbation import BOX, box_image, box_model

from helpers import config
from helpers import faithfulness as F
from helpers import metrics


def _perfect():
    m = np.zeros((1, 16, 16), np.float32)
    m[0][BOX] = 1.0
    return m


def test_pixel_order_breaks_ties_at_random_but_reproducibly():
    flat = np.zeros((1, 6, 6))
    a, b, c = F.pixel_order(flat, seed=0), F.pixel_order(flat, seed=0), F.pixel_order(flat, seed=1)
    np.testing.assert_array_equal(a, b)
    assert sorted(a[0]) == list(range(36)) and not np.array_equal(a, c)
    assert not np.array_equal(a[0], np.arange(36))        # not the scan order
    blocky = np.zeros((1, 6, 6))
    blocky[0, :3] = 2.0                                    # 18 equal top pixels, then 18 equal others
    order = F.pixel_order(blocky, seed=0)[0]
    assert set(order[:18]) == set(range(18)) and not np.array_equal(order[:18], np.arange(18))


def test_deletion_of_a_perfect_map_has_the_known_curve_and_beats_random():
    config.set_fast(False)
    try:
        model, img = box_model(), box_image()
        # 16 steps of 16 pixels: the perfect map deletes the whole box (logit 16 -> 0) in the first step.
        f, d = F.deletion_curve(model, img, _perfect(), 0, steps=16, fill=0.0, score="logit")
        np.testing.assert_allclose(d[0], [16.0] + [0.0] * 16, atol=1e-5)
        assert F.auc(f, d)[0] == pytest.approx(0.5)
        rand = metrics.random_maps(1, (16, 16), seed=0)
        f, dr = F.deletion_curve(model, img, rand, 0, steps=16, fill=0.0, score="logit")
        assert F.auc(f, dr)[0] > 5 * F.auc(f, d)[0]
        # Insertion into a blurred copy: the perfect map restores the full score after one step.
        f, ins = F.insertion_curve(model, img, _perfect(), 0, steps=16, score="logit")
        np.testing.assert_allclose(ins[0, 1:], 16.0, atol=1e-5)
        _, ir = F.insertion_curve(model, img, rand, 0, steps=16, score="logit")
        assert F.auc(f, ins)[0] > F.auc(f, ir)[0] + 3
        res = F.faithfulness(model, img[None], _perfect(), 0, steps=16)
        assert 0.0 <= res["deletion_auc"][0] < res["insertion_auc"][0] <= 1.0   # probabilities
    finally:
        config.set_fast(None)


def test_curves_check_their_inputs():
    with pytest.raises(ValueError, match="must match"):
        F.deletion_curve(box_model(), box_image(), np.zeros((1, 8, 8)), 0)
    with pytest.raises(ValueError, match="blur"):
        F.deletion_curve(box_model(), box_image(), _perfect(), 0, fill="grey")


def test_auc_of_a_constant_curve_is_the_constant():
    f = np.linspace(0, 1, 11)
    assert F.auc(f, np.full((2, 11), 0.3)) == pytest.approx([0.3, 0.3])


def test_two_object_test_counts_peaks_on_each_object(shapes_data):
    x, y, masks = shapes_data
    x2, asked_y, asked, other = F.two_object_images(x[:20], y[:20], masks[:20], seed=0)
    pairs = F.random_partners(y[:20], seed=0)
    assert x2.shape == x[:20].shape
    np.testing.assert_array_equal(asked_y[::2], y[:20:2])             # even: the image's own object
    np.testing.assert_array_equal(asked_y[1::2], y[:20][pairs][1::2])  # odd: the pasted one
    np.testing.assert_array_equal(asked[::2], masks[:20:2])
    np.testing.assert_array_equal(other[1::2], masks[1:20:2])
    assert not np.any(asked & other) and other.reshape(20, -1).any(1).all()
    assert F.two_object_scores(asked.astype(np.float32), asked, other, tolerance=0) == (1.0, 0.0)
    assert F.two_object_scores(other.astype(np.float32), asked, other, tolerance=0) == (0.0, 1.0)
    assert np.all(y[:20][pairs] != y[:20])
    np.testing.assert_array_equal(pairs, F.random_partners(y[:20], seed=0))


def test_plot_curves_draws_both_panels_with_aucs():
    f = np.linspace(0, 1, 5)
    res = {"a": {"fraction": f, "deletion": np.ones((2, 5)) * 0.2, "insertion": np.ones((2, 5)) * 0.8,
                 "deletion_auc": np.array([0.2, 0.2]), "insertion_auc": np.array([0.8, 0.8])}}
    fig = F.plot_curves(res)
    axes = fig.get_axes()
    assert len(axes) == 2 and "deletion" in axes[0].get_title() and "insertion" in axes[1].get_title()
    assert "a (0.20)" in [t.get_text() for t in axes[0].get_legend().get_texts()]


@pytest.mark.slow
def test_faithfulness_report_names_every_method_and_beats_random():
    out = F.faithfulness_report(n=6, seed=5)
    for name in (*F.report_methods(), "random", "centre"):
        for key in (f"deletion_auc_{name}", f"insertion_auc_{name}", f"two_object_{name}_asked",
                    f"two_object_{name}_other"):
            assert 0.0 <= out[key] <= 1.0, key
    assert out["deletion_auc_grad_cam"] < out["deletion_auc_random"]
    assert out["insertion_auc_occlusion"] > out["insertion_auc_random"]
