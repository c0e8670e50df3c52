"""TCAV: hand-built models whose logit is a known direction of a layer, and the known answers of the shapes world."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import tcav as T
from helpers.models import LayerNotFoundError


def _linear_model(nested: bool = False):
    """8x8 RGB -> "feat" (1x1 conv: channel 0 = red, channel 1 = blue) -> mean -> logits [r - b, b - r] -> softmax.

    Logit 0 as a function of feat's activations is h(f) = sum_positions (f_0 - f_1) / 64: its gradient is the
    same for every image, the direction u = (+1, -1 at every position) / sqrt(128).
    """
    import keras
    from keras import layers

    inp = keras.Input((8, 8, 3))
    conv = layers.Conv2D(2, 1, use_bias=False, name="feat")
    dense = layers.Dense(2, use_bias=False, name="logits")
    if nested:
        base = keras.Sequential([keras.Input((8, 8, 3)), conv], name="base")
        x = base(inp)
    else:
        x = conv(inp)
    out = layers.Activation("softmax")(dense(layers.GlobalAveragePooling2D()(x)))
    model = keras.Model(inp, out)
    conv.set_weights([np.array([[[[1, 0], [0, 0], [0, 1]]]], dtype="float32")])
    dense.set_weights([np.array([[1, -1], [-1, 1]], dtype="float32")])
    return model


def _colour_images(n, seed, shift):
    """Images of one colour each (red, blue ~ N(0.5, 0.05)) plus pixel noise; ``shift`` added to red, taken from blue."""
    rng = np.random.default_rng(seed)
    x = np.repeat(np.repeat(rng.normal(0.5, 0.05, (n, 1, 1, 3)), 8, 1), 8, 2)
    x = x + rng.normal(0, 0.01, x.shape)
    x[..., 0] += shift
    x[..., 2] -= shift
    return np.clip(x, 0, 1).astype("float32")


U = np.tile([1.0, -1.0], 64) / np.sqrt(128)


@pytest.mark.parametrize("nested", [False, True])
def test_the_cav_finds_the_known_direction_and_tcav_is_one_and_zero(nested):
    model = _linear_model(nested)
    layer = "base/feat" if nested else "feat"
    rand = T.layer_activations(model, layer, _colour_images(60, 1, 0.0))
    redder = T.cav(model, layer, T.layer_activations(model, layer, _colour_images(60, 2, 0.25)), rand, seed=0)
    bluer = T.cav(model, layer, T.layer_activations(model, layer, _colour_images(60, 3, -0.25)), rand, seed=0)
    assert redder.accuracy > 0.9 and bluer.accuracy > 0.9
    assert float(redder.direction @ U) > 0.9 and float(bluer.direction @ U) < -0.9
    assert np.isclose(np.linalg.norm(redder.direction), 1.0, atol=1e-5)
    x = _colour_images(30, 4, 0.0)
    assert T.tcav_score(model, layer, redder, x, 0) == 1.0       # the concept raises logit 0 ...
    assert T.tcav_score(model, layer, bluer, x, 0) == 0.0        # ... this one lowers it
    assert T.tcav_score(model, layer, redder, x, 1) == 0.0       # logit 1 = -logit 0
    g = T.logit_gradients(model, layer, x, 0)                     # the gradient of the LOGIT, not the softmax
    assert np.allclose(g, np.tile([1.0, -1.0], 64) / 64, atol=1e-6)


def test_tcav_with_a_known_concept_is_significant_and_a_random_one_is_not():
    model = _linear_model()
    x = _colour_images(40, 5, 0.0)
    res = T.tcav(model, "feat", _colour_images(40, 6, 0.25), classes=[0, 1], images=x, labels=np.r_[[0] * 20, [1] * 20],
                 random_kind="random noise", n=20, n_random=10, seed=0)
    assert [r.score for r in res] == [1.0, 0.0]
    assert all(r.significant and r.p_corrected == min(1.0, 2 * r.p_value) for r in res)
    noise = T.tcav(model, "feat", T.concept_images("random noise", 20, 99, size=8), classes=[0], images=x[:20],
                   labels=np.zeros(20), random_kind="random noise", n=20, n_random=10, seed=0)[0]
    assert not noise.significant


def test_welch_p_constant_samples_and_a_known_value():
    assert T.welch_p([1, 1, 1], [1, 1, 1]) == 1.0 and T.welch_p([1, 1], [0, 0]) == 0.0
    assert abs(T.welch_p([1, 2, 3, 4], [3, 4, 5, 6]) - 0.0704) < 1e-3   # t = -2.191, df = 6


def test_bad_inputs_say_what_is_valid():
    model = _linear_model()
    with pytest.raises(ValueError, match="unknown concept 'zebra'.*stripes.*hole"):
        T.tcav(model, "feat", "zebra")
    with pytest.raises(ValueError, match="at least 10"):
        T.tcav(model, "feat", _colour_images(9, 1, 0.1), random_kind="random noise")
    a = T.layer_activations(model, "feat", _colour_images(9, 1, 0.1))
    with pytest.raises(ValueError, match="9 images; a CAV needs at least 10"):
        T.cav(model, "feat", a, T.layer_activations(model, "feat", _colour_images(20, 2, 0.0)))
    with pytest.raises(LayerNotFoundError, match="Valid layer names.*feat"):
        T.tcav(model, "conv9", "stripes")
    with pytest.raises(IndexError, match="out of range.*0..1"):
        T.tcav(model, "feat", "stripes", classes=[2], random_kind="random noise")
    with pytest.raises(ValueError, match="at least 10"):
        T.tcav(model, "feat", "stripes", n_random=3)


def test_model_and_arrays_are_unchanged():
    model = _linear_model()
    weights = [w.copy() for w in model.get_weights()]
    c, r, x = _colour_images(20, 1, 0.25), _colour_images(20, 2, 0.0), _colour_images(20, 3, 0.0)
    saved = [c.copy(), r.copy(), x.copy()]
    ca, ra = T.layer_activations(model, "feat", c), T.layer_activations(model, "feat", r)
    acts = [ca.copy(), ra.copy()]
    v = T.cav(model, "feat", ca, ra)
    T.tcav_score(model, "feat", v, x, 0)
    T.tcav(model, "feat", c, classes=[0], images=x, labels=np.zeros(20), random_kind="random noise", n=10)
    assert all(np.array_equal(a, b) for a, b in zip(weights, model.get_weights()))
    assert all(np.array_equal(a, b) for a, b in zip(saved, (c, r, x)))
    assert all(np.array_equal(a, b) for a, b in zip(acts, (ca, ra)))


def test_concept_sets_are_seeded_and_every_concept_is_described():
    for name, concept in T.CONCEPTS.items():
        a, b = T.concept_images(name, 3, seed=1), T.concept_images(name, 3, seed=1)
        assert a.shape == (3, 64, 64, 3) and np.array_equal(a, b) and 0 <= a.min() and a.max() <= 1
        assert concept.description
        assert not np.array_equal(a, T.concept_images(name, 3, seed=2))
    tagged = T.concept_images("tag red", 5, seed=0)             # lesson 12's red tag, 16 px, in a corner
    corners = [tagged[:, :16, :16], tagged[:, :16, -16:], tagged[:, -16:, :16], tagged[:, -16:, -16:]]
    red = np.array([[np.all(c[i] == [1, 0, 0]) for c in corners] for i in range(5)])
    assert red.sum(1).tolist() == [1] * 5


# ------------------------------------------------------------------ known answers in the shapes world

def test_stripes_are_significant_for_the_two_stripe_classes(shapes_spec):
    res = T.tcav(shapes_spec, "conv3", "stripes", classes=[5, 6], n=30, n_images=20, n_random=30, seed=0)
    assert [r.class_name for r in res] == ["horizontal stripes", "vertical stripes"]
    assert all(r.significant and r.score > 0.8 for r in res), [(r.score, r.p_corrected) for r in res]


@pytest.mark.parametrize("layer", ["conv4", "conv3"])
def test_against_random_tags_the_cheat_reads_the_tag_colour_and_the_twin_does_not(layer):
    """Lesson 14's tag study: "tag of class c's colour" against tags of random colours, for class c.

    At conv4 (the last conv layer) the twin passes for no colour; at conv3 it may pass below its random CAVs,
    never above.
    """
    from helpers import shortcut

    cheat, twin = shortcut.load_pair()
    for c in (0, 2, 4):                                        # red circles, blue triangles, magenta pluses
        kw = dict(classes=[c], n=30, n_images=20, n_random=30, seed=0, n_tests=8, random_kind="random tags")
        ch = T.tcav(cheat, layer, f"tag {shortcut.COLOUR_NAMES[c]}", **kw)[0]
        tw = T.tcav(twin, layer, f"tag {shortcut.COLOUR_NAMES[c]}", **kw)[0]
        assert ch.significant and ch.score > ch.random_scores.mean() + 0.2, (c, ch.score, ch.p_corrected)
        above = tw.score > tw.random_scores.mean()
        assert not tw.significant if layer == "conv4" else not (tw.significant and above), (c, tw.score, tw.p_corrected)
        assert ch.cav_accuracy > tw.cav_accuracy + 0.1


def test_a_concept_drawn_like_the_random_sets_is_not_significant(shapes_spec):
    """A test of the test: when the "concept" images come from the random sets' own distribution, no class may
    pass. With one concept set shared by every concept CAV, this fails (several classes pass by chance)."""
    from helpers import shortcut

    cheat = shortcut.load_pair()[0]
    for model, layer, kind in ((shapes_spec, "conv3", "random shapes"), (cheat, "conv4", "random tags")):
        res = T.tcav(model, layer, kind, n=30, n_images=20, n_random=15, seed=0, random_kind=kind)
        assert sum(r.significant for r in res) <= 1, (layer, [round(r.p_corrected, 4) for r in res])


def test_every_cav_learns_from_sets_of_its_own(shapes_spec, monkeypatch):
    """n_random concept sets and 3 x n_random random sets, each drawn once from its own seed."""
    drawn = []
    real = T.concept_images
    monkeypatch.setattr(T, "concept_images", lambda name, n, seed=0, size=64: drawn.append((name, seed))
                        or real(name, n, seed, size))
    T.tcav(shapes_spec, "conv2", "hole", classes=[0], n=10, n_images=10, n_random=10, seed=123)
    assert sum(name == "hole" for name, _ in drawn) == 10
    assert sum(name == "random shapes" for name, _ in drawn) == 30
    assert len(set(drawn)) == len(drawn) == 40


def test_random_tags_carry_a_tag_of_a_random_colour():
    from helpers import shortcut

    x = T.concept_images("random tags", 64, seed=3)
    plain = T.concept_images("random shapes", 64, seed=3)
    changed = np.abs(x - plain).max(-1) > 0.05               # the tag's pixels; the images are otherwise the same
    assert changed.any(axis=(1, 2)).all()
    colours = {tuple(np.round(img[m].mean(0), 1)) for img, m in zip(x, changed)}
    assert len(colours) >= 4 and len(shortcut.PALETTE) == 8


def _result(name, score, p, m=4):
    pc = min(1.0, p * m)
    return T.TCAVResult("stripes", "conv3", 0, name, score, np.full(10, score), np.full(10, 0.5), p, pc, m, 0.05,
                        pc < 0.05, 0.9)


def test_the_exercise_wants_bonferroni_applied_by_hand_and_the_direction_read():
    from helpers.exercises.lesson14 import SOLUTION, lowering_exercise

    results = [_result("a", 1.0, 1e-5), _result("b", 0.95, 0.2),        # high and significant; high but n.s.
               _result("c", 0.02, 1e-4), _result("d", 0.1, 0.03),       # low and significant; low, p < 0.05 only raw
               _result("e", 0.3, 0.4)]                                  # low, far from significant
    q = lowering_exercise(results)                                      # 5 tests: c passes 1e-4 x 5, d fails 0.15
    t = 0.05 / 5                                                        # the threshold after Bonferroni
    assert q.check((t, ["c"]), quiet=True)
    assert q.check((0.01, [2]), quiet=True)
    one = q.check((0.05, ["c"]), quiet=True)                            # the threshold of one test
    assert not one and "one test" in one.message
    assert not q.check((0.02, ["c"]), quiet=True)
    bare = q.check(["c"], quiet=True)                                   # the threshold left out
    assert not bare and "(threshold, [classes])" in bare.message
    raw = q.check((t, ["c", "d"]), quiet=True)                          # Bonferroni forgotten
    assert not raw and "Bonferroni" in raw.message
    both = q.check((t, ["a", "c"]), quiet=True)                         # the direction forgotten
    assert not both and "LOWERS" in both.message
    low = q.check((t, ["c", "d", "e"]), quiet=True)                     # the test forgotten
    assert not low and "pass the test" in low.message
    assert not q.check((t, ["a"]), quiet=True)
    zebra = q.check((t, ["zebra"]), quiet=True)                         # a clear verdict naming the classes
    assert not zebra and "the classes are" in zebra.message
    ns = {"holes": results}
    exec(SOLUTION, ns)
    assert q.check(ns["answer"], quiet=True)                            # the printed solution passes its own check


def test_panel_draws_tcav_per_class_and_a_bad_layer_is_one_clear_line(shapes_spec):
    from helpers.widgets.tcav import TCAVPanel

    panel = TCAVPanel(shapes_spec, concept="stripes", layer="conv3")
    panel.run(wait=True)
    assert panel.error is None and panel.png is not None, panel.error
    first = panel.png
    panel.controls["concept"].value = "hole"
    panel.run(wait=True)
    assert panel.error is None and panel.png != first
    panel.controls["layer"].value = "mixed4a"
    panel.run(wait=True)
    assert "cnn-error" in panel.message.value and "mixed4a" in panel.message.value and "conv3" in panel.message.value
    assert "Traceback" not in panel.message.value
    with pytest.raises(ValueError, match="valid concepts"):
        TCAVPanel(shapes_spec, concept="zebra")


def test_p_text_keeps_two_significant_digits_and_never_hides_the_side_of_005():
    assert T.p_text(0.046) == "0.046" and T.p_text(0.054) == "0.054"          # "5e-02" would hide both
    assert T.p_text(1.0) == "1" and T.p_text(3.14e-8) == "3.1e-08"


def test_activations_and_logits_gives_the_same_gradient_as_the_helper(shapes_spec):
    import tensorflow as tf

    from helpers.shapes import make_shapes

    x = make_shapes(4, seed=3, classes=[2])[0]
    two = T.activations_and_logits(shapes_spec, "conv3")
    with tf.GradientTape() as tape:
        acts, logits = two(x)
        y = logits[:, 2]
    g = tape.gradient(y, acts).numpy().reshape(len(x), -1)
    np.testing.assert_allclose(g, T.logit_gradients(shapes_spec, "conv3", x, 2), rtol=1e-4, atol=1e-6)


def test_chart_labels_must_match_the_results():
    res = [_result("circle", 0.9, 1e-4), _result("square", 0.2, 0.5)]
    with pytest.raises(ValueError, match="one per result"):
        T.tcav_chart(res, labels=["only one"])
