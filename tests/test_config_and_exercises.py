import pytest

from helpers import config
from helpers.exercises import Exercise


def test_fast_mode_caps_and_full_mode_does_not():
    config.set_fast(True)
    try:
        assert config.steps(500) == config.FAST_CAPS["steps"]
        assert config.size(224) == 64 and config.samples(1000) == config.FAST_CAPS["samples"]
        assert config.steps(2) == 2
    finally:
        config.set_fast(False)
    try:
        assert config.steps(500) == 500 and config.size(224) == 224
    finally:
        config.set_fast(None)


def test_data_paths_exist():
    assert config.data_path("models", "shapes_cnn.keras").is_file()
    assert config.data_path("imagenet_classes.json").is_file()


def test_exercise_verdicts(capsys):
    q = Exercise("double", lambda a: (a == 4, "4 is twice 2." if a == 4 else f"{a} is not twice 2."),
                 hint="multiply by two", solution="answer = 2 * 2")
    assert not q.check(None)
    assert "No answer yet" in capsys.readouterr().out
    v = q.check(5)
    assert not v and "Hint: multiply by two" in v.message
    assert q.check(4)
    bad = Exercise("boom", lambda a: 1 / 0, hint="h", solution="s")
    assert not bad.check(1) and "ZeroDivisionError" in bad.check(1).message


def test_lesson_exercises_accept_the_solution_and_reject_wrong_answers(shapes_spec):
    import numpy as np

    from helpers import activations
    from helpers.exercises import lesson02
    from helpers.exercises.lesson00 import feature_size_exercise
    from helpers.exercises.lesson01 import class_sparsity_exercise
    from helpers.shapes import make_shapes

    # lesson 00: the answer comes from the model (two poolings before conv4: 128 -> 32), not a constant
    q0 = feature_size_exercise(shapes_spec, side=128)
    assert q0.check(32, quiet=True)
    for wrong in (16, 8, 64, 128):
        assert not q0.check(wrong, quiet=True)
    # named wrong answers get their own message
    assert "model's own 64×64 input" in q0.check(16, quiet=True).message
    assert "halved 1 time(s)" in q0.check(64, quiet=True).message
    assert "no pooling at all" in q0.check(128, quiet=True).message
    assert feature_size_exercise(shapes_spec, side=256).check(64, quiet=True)
    ns = {"spec": shapes_spec}
    exec(q0._solution, ns)
    assert q0.check(ns["answer"], quiet=True)

    # lesson 01: zeros of one layer on one class only; the whole batch's figure is recognised as wrong
    x, y, _ = make_shapes(32, seed=3)
    cls = int(y[0])
    q1 = class_sparsity_exercise(shapes_spec.model, x, y, "conv3", cls, "x")
    ns = {"spec": shapes_spec, "batch": x, "labels": y, "ex_layer": "conv3", "ex_class": cls,
          "activations": activations}
    exec(q1._solution, ns)
    assert q1.check(ns["answer"], quiet=True)
    whole = activations.sparsity(activations.get_activations(shapes_spec.model, x, "conv3")["conv3"])
    if abs(whole - ns["answer"]) >= 0.005:
        verdict = q1.check(whole, quiet=True)
        assert not verdict and "whole batch" in verdict.message
    assert not q1.check(1.5, quiet=True)
    truth = ns["answer"]
    assert q1.check(round(truth, 3), quiet=True)  # rounded as the task allows
    verdict = q1.check(100 * truth, quiet=True)
    assert not verdict and "percentage" in verdict.message
    if abs(1 - 2 * truth) >= 0.005:
        verdict = q1.check(1 - truth, quiet=True)
        assert not verdict and "not* zero" in verdict.message
    other = activations.sparsity(activations.get_activations(shapes_spec.model, x[y == cls], "conv4")["conv4"])
    if abs(other - truth) >= 0.005:
        verdict = q1.check(other, quiet=True)
        assert not verdict and "on conv4" in verdict.message

    # lesson 02: the flat colour that drives a first-layer filter highest
    W1 = shapes_spec.layer("conv1").get_weights()[0]
    for k in range(W1.shape[-1]):
        sums = W1[..., k].sum(axis=(0, 1))
        q = lesson02.flat_colour_exercise(shapes_spec, "conv1", k)
        ns = {"spec": shapes_spec, "lesson02": lesson02}
        exec(q._solution, ns)
        assert q.check(ns["answer"], quiet=True) and q.check(ns["answer"].upper() + " ", quiet=True)
        opposite = lesson02.COLOURS[tuple(bool(v <= 0) for v in sums)]
        verdict = q.check(opposite, quiet=True)
        assert not verdict and "reversed" in verdict.message
        assert "not one of" in q.check("grey", quiet=True).message
        strongest = int(np.argmax(np.abs(sums)))
        name = ("red", "green", "blue")[strongest]
        if sums[strongest] > 0 and name != ns["answer"]:
            assert "largest weight sum" in q.check(name, quiet=True).message

    # lesson 02: the class a filter votes against
    W = lesson02.class_weights(shapes_spec)
    q2 = lesson02.filter_vote_exercise(shapes_spec, 5, against=True)
    ns = {"spec": shapes_spec}
    exec(q2._solution, ns)
    assert ns["answer"] == shapes_spec.class_names[int(np.argmin(W[5]))] and q2.check(ns["answer"], quiet=True)
    assert not q2.check(shapes_spec.class_names[int(np.argmax(W[5]))], quiet=True)


def test_stripe_orientation_tells_stripes_from_dots():
    import numpy as np

    from helpers.exercises import lesson02

    yy, xx = np.mgrid[0:32, 0:32]
    horizontal = np.repeat((np.sin(yy / 1.5) > 0)[..., None], 3, -1).astype(float)
    vertical = horizontal.transpose(1, 0, 2)
    dots = np.repeat(((np.sin(yy / 1.5) > 0.5) & (np.sin(xx / 1.5) > 0.5))[..., None], 3, -1).astype(float)
    coh, ang = lesson02.stripe_orientation(np.stack([horizontal, vertical, dots]))
    assert coh[0] > 0.9 and coh[1] > 0.9 and coh[2] < 0.3
    assert min(ang[0], 180 - ang[0]) < 5 and abs(ang[1] - 90) < 5
