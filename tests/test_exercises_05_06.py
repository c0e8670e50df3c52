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


def test_lesson06_guided_chain_accepts_the_solution_and_names_wrong_answers():
    from helpers.exercises import lesson06 as L

    ns = {"np": np, "x0": L.x0, "W1": L.W1, "W2": L.W2, "c": L.c}
    exec(L.q_guided_chain._solution, ns)
    assert L.q_guided_chain.check(ns["answer"], quiet=True)
    assert L.q_guided_chain.check(ns["answer"].tolist(), quiet=True)       # a list is fine too
    assert L.q_guided_chain.check(np.array([2, -2, 0]), quiet=True)        # integers, by hand
    cand = L.candidates()
    named = {"backprop": "plain backprop", "positive part": "positive part", "deconvnet": "deconvnet",
             "second ReLU only": "second ReLU only", "first ReLU only": "first ReLU only",
             "gate open at 0": "strictly positive", "input clipped": "not a ReLU"}
    for name, words in named.items():
        verdict = L.q_guided_chain.check(cand[name], quiet=True)
        assert not verdict and words in verdict.message, name
    assert "shape" in L.q_guided_chain.check(np.zeros(4), quiet=True).message
    assert not L.q_guided_chain.check(L.x0, quiet=True)
    assert not L.q_guided_chain.check(None, quiet=True)


def test_lesson06_wrong_answers_differ_from_the_right_one_and_from_each_other():
    from helpers.exercises import lesson06 as L

    values = list(L.candidates().values())
    for i, a in enumerate(values):
        for b in values[i + 1:]:
            assert np.abs(a - b).max() > 0.5
    p1 = L.W1 @ L.x0
    assert np.any(p1 == 0)           # the strictly-positive gate matters
    assert np.any(L.candidates()["right"] < 0)   # the input's gradient is not gated
