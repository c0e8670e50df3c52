"""Lessons 05 and 06 exercises: the reference passes, the named wrong answers fail with their own message."""

import numpy as np


def test_lesson05_ig_exercise_accepts_the_solution_and_names_wrong_answers(shapes_spec):
    import tensorflow as tf

    from helpers.exercises import lesson05

    samples = shapes_spec.sample_images()
    last_image, last_cls = samples[list(samples)[-1]]
    q = lesson05.ig_exercise(shapes_spec, last_image, last_cls)
    ns = {"spec": shapes_spec, "last_image": last_image, "last_cls": last_cls, "tf": tf, "np": np}
    exec(q._solution, ns)
    right = ns["answer"]
    assert q.check(right, quiet=True)
    wrong = lesson05.candidates(shapes_spec, last_image, last_cls)
    expected = {"right Riemann sum": "right Riemann sum", "left Riemann sum": "left Riemann sum",
                "no difference factor": "(x - x')", "black baseline": "black baseline"}
    for name, words in expected.items():
        verdict = q.check(wrong[name], quiet=True)
        assert not verdict and words in verdict.message, name
    assert "sign" in q.check(np.abs(right), quiet=True).message
    assert "2-D map" in q.check(np.abs(right).sum(-1), quiet=True).message
    assert not q.check(right * 1.05, quiet=True)


def test_lesson06_guided_rule_names_wrong_answers():
    from helpers.exercises.lesson06 import G, X, q_guided_rule

    assert q_guided_rule.check(G * (X > 0) * (G > 0), quiet=True)
    assert q_guided_rule.check((G * (X > 0) * (G > 0)).tolist(), quiet=True)
    named = {"plain backprop": G * (X > 0), "deconvnet": np.maximum(G, 0),
             "forward input": X * (X > 0) * (G > 0), "either": G * ((X > 0) | (G > 0))}
    for words, answer in named.items():
        verdict = q_guided_rule.check(answer, quiet=True)
        assert not verdict and words in verdict.message, words
    assert "shape" in q_guided_rule.check(np.zeros(9), quiet=True).message
