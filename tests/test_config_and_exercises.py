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

    # lesson 02: the class a filter votes against
    W = lesson02.class_weights(shapes_spec)
    q2 = lesson02.filter_vote_exercise(shapes_spec, 5, against=True)
    ns = {"spec": shapes_spec}
    exec(q2._solution, ns)
    assert ns["answer"] == shapes_spec.class_names[int(np.argmin(W[5]))] and q2.check(ns["answer"], quiet=True)
    assert not q2.check(shapes_spec.class_names[int(np.argmax(W[5]))], quiet=True)
