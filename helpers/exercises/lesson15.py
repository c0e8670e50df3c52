"""Lesson 15 exercise: one FGSM step by hand, and what it does to the plain model's accuracy."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise

SOLUTION = """logits = plain.logits_model
x = tf.constant(images)
with tf.GradientTape() as tape:
    tape.watch(x)
    loss = tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits(x)))
g = tape.gradient(loss, x)
adv = np.clip(images + EPS_FGSM * np.sign(g.numpy()), 0, 1)
answer = float(np.mean(logits(adv).numpy().argmax(1) == labels))"""

#: How far an answer may be from the right accuracy: one image in 50, less a hair.
TOLERANCE = 0.019


def fgsm_exercise(plain_model, robust_model, images, labels, eps: float) -> Exercise:
    """Check the accuracy of ``plain_model`` on ``images`` after one FGSM L∞ step of size ``eps`` (cross-entropy).

    The reference is :func:`helpers.adversarial.fgsm`. Named wrong answers:
    the clean accuracy, the success rate (1 − accuracy), the robust model's
    accuracy under the same attack, a step *down* the loss, and a percentage.
    """
    from helpers import adversarial as A

    y = np.asarray(labels)
    attacked = A.fgsm(plain_model, images, y, eps)
    want = float(np.mean(attacked.adv_pred == y))
    clean = float(np.mean(attacked.clean_pred == y))
    down = A.pgd(plain_model, images, y, eps, steps=1, step_size=eps, target=y, loss="ce", random_start=False,
                 progress=False)  # "targeted" at the true class: a step down the loss
    wrong = {
        "clean": (clean, "is the accuracy on the clean images; attack them first."),
        "success": (1 - want, "is the share of images the attack fooled; the question asks for the accuracy."),
        "robust": (float(np.mean(A.fgsm(robust_model, images, y, eps).adv_pred == y)),
                   "is the robust model's accuracy; attack the plain one."),
        "down": (float(np.mean(down.adv_pred == y)),
                 "is what a step *down* the loss gives: add ε·sign(gradient), do not subtract it."),
    }

    def check(answer):
        value = float(answer)
        if abs(value - want) <= TOLERANCE:
            return True, (f"one step of size {eps} per pixel value takes the plain model from {clean:.0%} to "
                          f"{want:.0%}: a change too small to see undoes most of what it knows.")
        if 1.0 < value <= 100.0 and abs(value / 100 - want) <= TOLERANCE:
            return False, "that looks like a percentage; give a fraction between 0 and 1."
        for got, message in wrong.values():
            if abs(value - got) <= TOLERANCE and abs(got - want) > TOLERANCE:
                return False, f"{value:.3f} {message}"
        if not 0.0 <= value <= 1.0:
            return False, "an accuracy is a fraction between 0 and 1."
        return False, f"{value:.3f} is not it; check the sign of the step and the clip to [0, 1]."

    return Exercise(
        "FGSM by hand", check,
        hint="Take the gradient of the cross-entropy of the TRUE labels on the logits, move every pixel value "
             "by +EPS_FGSM times its sign, clip to [0, 1], then count the right answers.",
        solution=SOLUTION)
