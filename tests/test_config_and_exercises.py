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
    from helpers.activations import layer_statistics
    from helpers.exercises.lesson00 import q_conv4_size
    from helpers.exercises.lesson01 import sparsest_layer_exercise
    from helpers.shapes import make_shapes

    assert q_conv4_size.check(64 // 2 // 2 // 2, quiet=True)
    assert not q_conv4_size.check(16, quiet=True)
    x, _, _ = make_shapes(32, seed=3)
    q = sparsest_layer_exercise(shapes_spec.model, x)
    stats = layer_statistics(shapes_spec.model, x)
    right = max(stats, key=lambda s: s["zeros"])["layer"]
    wrong = min(stats, key=lambda s: s["zeros"])["layer"]
    assert q.check(right, quiet=True) and not q.check(wrong, quiet=True)
    assert not q.check("gap", quiet=True)
