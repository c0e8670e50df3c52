"""Lesson 12: the tagged shapes data, the shipped cheat and its honest twin, the panel and the exercise."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import shortcut
from helpers.shapes import NUM_CLASSES


def test_cue_data_is_seeded():
    a, b, c = (shortcut.make_cue_shapes(40, seed=s) for s in (3, 3, 4))
    for field in ("with_cue", "without_cue", "labels", "cue_masks", "cue_classes"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    assert not np.array_equal(a.with_cue, c.with_cue)


def test_cue_mask_is_exactly_where_the_tag_changed_pixels():
    d = shortcut.make_cue_shapes(60, seed=1)
    changed = np.any(d.with_cue != d.without_cue, axis=-1)
    assert np.array_equal(changed, d.cue_masks)
    assert np.all(d.cue_masks.sum((1, 2)) == shortcut.TAG ** 2)
    assert not np.any(d.cue_masks & d.masks)                        # the tag never covers the object
    for i in range(len(d.labels)):                                   # the tag has its class's colour
        assert np.allclose(d.with_cue[i][d.cue_masks[i]], shortcut.PALETTE[d.cue_classes[i]])
    corners = [(r[:, 0].any() or r[:, -1].any()) and (r[0].any() or r[-1].any()) for r in d.cue_masks]
    assert all(corners)                                              # a corner square


def test_tag_agrees_with_the_class_in_the_requested_fraction():
    d = shortcut.make_cue_shapes(400, seed=2, agreement=0.95)
    assert np.mean(d.cue_classes == d.labels) == pytest.approx(0.95, abs=1e-9)
    assert set(np.unique(d.cue_classes)) == set(range(NUM_CLASSES))
    assert np.mean(shortcut.make_cue_shapes(100, seed=2, agreement=1.0).cue_classes ==
                   shortcut.make_cue_shapes(100, seed=2, agreement=1.0).labels) == 1.0
    free = shortcut.make_cue_shapes(2000, seed=2, agreement=None)   # the twin's data: colour independent of class
    assert abs(np.mean(free.cue_classes == free.labels) - 1 / NUM_CLASSES) < 0.03


def test_bad_arguments_are_clear():
    with pytest.raises(ValueError, match="agreement"):
        shortcut.make_cue_shapes(4, agreement=1.5)
    with pytest.raises(ValueError, match="tag must be between"):
        shortcut.make_cue_shapes(4, tag=40)
    d = shortcut.make_cue_shapes(1, seed=0)
    with pytest.raises(ValueError, match="out of range 0..7"):
        shortcut.with_tag(d.without_cue[0], d.masks[0], 8)
    with pytest.raises(ValueError, match="available"):
        shortcut.cue_energy(None, d.with_cue, d.cue_masks, names=["nonsense"])


@pytest.fixture(scope="module")
def pair():
    return shortcut.load_pair()


@pytest.fixture(scope="module")
def test_data():
    return shortcut.make_cue_shapes(48, seed=90_210)


def test_the_shipped_cheat_reads_the_tag_and_the_twin_does_not(pair, test_data):
    cheat, honest = pair
    d = test_data
    with_cue = shortcut.accuracy(cheat.model, d.with_cue, d.labels)
    without = shortcut.accuracy(cheat.model, d.without_cue, d.labels)
    assert with_cue >= 0.8 and without <= with_cue - 0.3, (with_cue, without)
    assert shortcut.accuracy(cheat.model, d.with_cue, d.cue_classes) >= 0.8  # it answers the tag
    honest_with = shortcut.accuracy(honest.model, d.with_cue, d.labels)
    assert honest_with >= 0.8
    assert abs(honest_with - shortcut.accuracy(honest.model, d.without_cue, d.labels)) <= 0.1


def test_grad_cam_puts_the_cheats_attention_on_the_tag_and_the_twins_elsewhere(pair, test_data):
    cheat, honest = pair
    d = test_data
    on_cheat = shortcut.cue_energy(cheat.model, d.with_cue, d.cue_masks, names=["grad_cam"])["grad_cam"]
    on_honest = shortcut.cue_energy(honest.model, d.with_cue, d.cue_masks, names=["grad_cam"])["grad_cam"]
    assert on_cheat.mean() > 0.5 and on_honest.mean() < 0.1, (on_cheat.mean(), on_honest.mean())


def test_load_model_knows_both(pair):
    assert [p.name for p in pair] == ["shapes_shortcut", "shapes_honest"]
    assert pair[0].model is not pair[1].model


def test_exercise_accepts_the_solution_and_names_the_plausible_wrong_answers(pair):
    from helpers import attribution
    from helpers.exercises.lesson12 import SOLUTION, lying_tag_exercise
    from helpers.metrics import energy_in_mask

    cheat, honest = pair
    lying = shortcut.make_cue_shapes(12, seed=99, agreement=0.0)
    assert not np.any(lying.cue_classes == lying.labels)               # every tag lies
    q = lying_tag_exercise(cheat.model, honest.model, lying)
    ns = {"np": np, "attribution": attribution, "energy_in_mask": energy_in_mask, "cheat": cheat, "lying": lying}
    exec(SOLUTION, ns)
    assert q.check(ns["answer"], quiet=True)
    assert q.check(round(ns["answer"], 2), quiet=True)                  # two decimals are enough
    maps = attribution.grad_cam(cheat.model, lying.with_cue)
    true_class = energy_in_mask(attribution.grad_cam(cheat.model, lying.with_cue, lying.labels), lying.cue_masks).mean()
    on_object = energy_in_mask(maps, lying.masks).mean()
    twin = energy_in_mask(attribution.grad_cam(honest.model, lying.with_cue), lying.cue_masks).mean()
    for wrong, words in ((true_class, "true shape"), (on_object, "object's mask"), (twin, "honest twin")):
        assert abs(wrong - ns["answer"]) > 0.01, words                  # the wrong answers are really different
        verdict = q.check(float(wrong), quiet=True)
        assert not verdict and words in verdict.message, (words, verdict.message)
    assert "percentage" in q.check(100 * ns["answer"], quiet=True).message
    assert not q.check(0.0625, quiet=True)


def test_charts_use_display_names_and_show_every_image():
    rng = np.random.default_rng(0)
    cheat = {"saliency": rng.random(10), "grad_cam_plus_plus": rng.random(10), "lime": rng.random(10)}
    honest = {m: v / 10 for m, v in cheat.items()}
    kinds = shortcut.tag_kinds(np.arange(10) % 8)
    assert list(kinds[5:8]) == ["coloured", "white", "black"]
    fig = shortcut.energy_chart(cheat, honest, 0.0625, kinds=kinds)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["saliency", "Grad-CAM++", "LIME"]
    assert sum(len(c.get_offsets()) for c in ax.collections) == 60      # one dot per image and model
    cue = np.zeros((64, 64), bool)
    cue[:16, :16] = True
    maps = {"grad_cam": rng.random((64, 64)), "occlusion": rng.random((64, 64))}
    shares = {m: 0.1 for m in maps}
    fig = shortcut.showcase_figure([("cheat: star", rng.random((64, 64, 3)), cue, maps, shares),
                                    ("twin: star", rng.random((64, 64, 3)), cue, maps, shares)])
    titles = [a.get_title() for a in fig.axes]
    assert "Grad-CAM\n10% on tag" in titles and "occlusion\n10% on tag" in titles


def test_panel_follows_the_tag_and_rejects_a_bad_index(pair):
    from helpers.widgets.shortcut import NONE, ShortcutPanel

    panel = ShortcutPanel(pair[0])
    assert ("Grad-CAM++", "grad_cam_plus_plus") in panel.controls["method"].options   # display names
    panel.run()
    assert panel.error is None and panel.png
    cue, _ = panel.tagged_image()
    panel.controls["tag"].value = NONE
    bare, mask = panel.tagged_image()
    assert not mask.any() and np.any(cue != bare)
    panel.run()
    assert panel.error is None
    panel.controls["index"].value = 999
    panel.run()
    assert "999 out of range" in panel.error


def test_the_training_records_describe_the_shipped_pair_as_the_recipe_trains_it():
    """Lesson 12 prints these records: they must be the recipe's (epochs, images, tag rule), not stale."""
    from helpers.shortcut import RECIPE, training_records

    rec = training_records()
    assert set(rec) == {"cheat", "twin"}
    assert rec["cheat"]["epochs"] == RECIPE["epochs"]["shortcut"] and rec["twin"]["epochs"] == RECIPE["epochs"]["honest"]
    assert rec["cheat"]["n_train"] == rec["twin"]["n_train"] == RECIPE["n_train"]
    assert "95%" in rec["cheat"]["cue"] and "random" in rec["twin"]["cue"]
    assert rec["cheat"]["fresh_accuracy_without_cue"] < 0.5 < rec["twin"]["fresh_accuracy_without_cue"]
