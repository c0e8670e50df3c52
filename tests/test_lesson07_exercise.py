"""Lesson 07's exercise (Layer-CAM by hand): the right answer passes, each plausible slip gets its own message."""

import numpy as np

from helpers.exercises import lesson07 as L


def test_layer_cam_exercise_accepts_the_answer_in_the_lessons_notation():
    lc = np.maximum((np.maximum(L.GRADS, 0) * L.ACTS).sum(axis=-1), 0)
    assert L.q_layer_cam.check(lc / lc.max(), quiet=True)
    assert L.q_layer_cam.check((lc / lc.max()).tolist(), quiet=True)  # a nested list is fine too


def test_layer_cam_exercise_names_each_wrong_answer():
    alpha = L.GRADS.mean(axis=(0, 1))
    grad_cam = np.maximum((L.ACTS * alpha).sum(-1), 0)
    no_relu = np.maximum((L.GRADS * L.ACTS).sum(-1), 0)
    unscaled = (np.maximum(L.GRADS, 0) * L.ACTS).sum(-1)
    for wrong, words in ((grad_cam / grad_cam.max(), "that is Grad-CAM"),
                         (no_relu / no_relu.max(), "negative gradients are still in"),
                         (unscaled, "divide by the map's maximum"),
                         (np.zeros((3, 3)), "expected (4, 4)")):
        verdict = L.q_layer_cam.check(wrong, quiet=True)
        assert not verdict and words in verdict.message
    assert not L.q_layer_cam.check(None, quiet=True)


def test_the_wrong_answers_really_differ_from_the_right_one():
    ref = L.layer_cam_reference(L.ACTS, L.GRADS)
    for name, (m, _) in L._wrong_answers(L.ACTS, L.GRADS).items():
        assert np.abs(m - ref).max() > 0.05, name
