"""Lesson 05 exercises: saliency from scratch, and integrated gradients' completeness."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise


def saliency_exercise(spec, image, class_index: int, image_name: str = "last_image",
                      class_name: str = "last_cls") -> Exercise:
    """Check a from-scratch vanilla saliency map against :func:`helpers.attribution.saliency`.

    The student's answer is a 2-D map (any positive scale) for ``image`` and
    ``class_index``; it passes when its Spearman correlation with the helper's
    map is above 0.99. ``image_name`` and ``class_name`` are the names the
    lesson gives them; the reference solution uses those names.
    """
    from helpers import attribution, metrics

    def check(answer):
        ans = np.asarray(answer, dtype=np.float32)
        ref = attribution.saliency(spec.model, np.asarray(image)[None], class_index)[0]
        if ans.shape != ref.shape:
            return False, f"your map has shape {ans.shape}; expected {ref.shape} (one value per pixel)."
        if not np.all(np.isfinite(ans)):
            return False, "your map contains NaN or infinite values."
        rho = float(metrics.spearman(ans[None], ref[None])[0])
        if rho > 0.99:
            return True, f"rank correlation with the helper's map: {rho:.3f}."
        if np.any(ans < 0) and rho < 0.9:
            return False, f"rank correlation {rho:.2f}; saliency keeps the size of the gradient, not its sign."
        return False, f"rank correlation with the helper's map is only {rho:.2f}."

    return Exercise(
        "vanilla saliency from scratch", check,
        hint="Watch the image with tf.GradientTape, take the class *logit* from spec.logits_model, "
        "then the absolute gradient and its maximum over the 3 colour channels.",
        solution=f"""x = tf.constant({image_name}[None])
with tf.GradientTape() as tape:
    tape.watch(x)
    score = spec.logits_model(x)[0, {class_name}]
grad = tape.gradient(score, x)[0].numpy()
answer = np.abs(grad).max(axis=-1)""")


def _completeness(answer):
    text = str(answer).strip().lower()
    if text in {"b", "f(x) - f(baseline)", "f(x)-f(baseline)"}:
        return True, "completeness: the attributions add up to the change of the score along the path."
    if text == "a":
        return False, "f(x) alone ignores what the baseline already scores."
    return False, f"{answer!r} is not one of the options a, b, c."


q_completeness = Exercise(
    "what integrated gradients add up to",
    _completeness,
    hint="Integrate the gradient along the straight path from x' to x: the fundamental theorem of calculus "
    "for path integrals says what the integral of a gradient along a path equals.",
    solution='answer = "b"   # sum_i IG_i(x) = f(x) - f(baseline)',
)
