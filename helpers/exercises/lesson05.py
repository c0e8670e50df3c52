"""Lesson 05 exercise: integrated gradients from scratch (trapezoid rule, mean-colour baseline)."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise

#: Intervals of the path the exercise asks for (m in the lesson's formula).
STEPS = 16


def _path_gradients(spec, image, class_index, baseline, alphas):
    """Gradients of the class logit at ``baseline + alpha * (image - baseline)`` for each alpha."""
    import tensorflow as tf

    path = baseline[None] + np.asarray(alphas, np.float32)[:, None, None, None] * (image - baseline)[None]
    x = tf.constant(path.astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = tf.reduce_sum(spec.logits_model(x)[:, class_index])
    return tape.gradient(score, x).numpy()


def candidates(spec, image, class_index, steps: int = STEPS) -> dict[str, np.ndarray]:
    """The right answer and the plausible wrong ones, by name (``"right"`` is the trapezoid rule)."""
    image = np.asarray(image, dtype=np.float32)
    mean = np.broadcast_to(image.mean(axis=(0, 1)), image.shape).astype(np.float32)
    alphas = np.linspace(0.0, 1.0, steps + 1)
    trapezoid = np.full(steps + 1, 1.0 / steps)
    trapezoid[[0, -1]] *= 0.5
    g = _path_gradients(spec, image, class_index, mean, alphas)
    g_black = _path_gradients(spec, image, class_index, np.zeros_like(image), alphas)
    avg = np.tensordot(trapezoid, g, axes=1)
    return {
        "right": (image - mean) * avg,
        "right Riemann sum": (image - mean) * g[1:].mean(0),
        "left Riemann sum": (image - mean) * g[:-1].mean(0),
        "no difference factor": avg,
        "black baseline": image * np.tensordot(trapezoid, g_black, axes=1),
    }


WRONG = {
    "right Riemann sum": "this is the right Riemann sum (alpha = 1/m ... 1, each weighted 1/m); the trapezoid rule "
    "also uses alpha = 0 and gives the two end points half the weight of the others.",
    "left Riemann sum": "this is the left Riemann sum (alpha = 0 ... (m-1)/m); the trapezoid rule uses all m + 1 "
    "points and gives the two end points half the weight of the others.",
    "no difference factor": "this is the average gradient along the path; integrated gradients multiply it by "
    "(x - x') pixel by pixel.",
    "black baseline": "these are integrated gradients against the black baseline; the task asks for the mean-colour "
    "one.",
}


def ig_exercise(spec, image, class_index: int, image_name: str = "last_image",
                class_name: str = "last_cls") -> Exercise:
    """Check from-scratch integrated gradients (mean-colour baseline, trapezoid rule, 16 intervals).

    The answer is the signed attribution array ``[h, w, 3]``; it passes when it
    is within 0.1 % (relative L2 distance) of the reference. The named wrong
    answers (right or left Riemann sum, no ``x - x'`` factor, black baseline,
    a 2-D map, absolute values) get their own message.
    """
    cache: dict[str, np.ndarray] = {}

    def score_gap() -> float:
        """z_c(x) - z_c(x') for the mean-colour baseline x'."""
        x = np.asarray(image, dtype=np.float32)
        base = np.broadcast_to(x.mean(axis=(0, 1)), x.shape).astype(np.float32)
        z = np.asarray(spec.logits_model(np.stack([x, base])))[:, class_index]
        return float(z[0] - z[1])

    def check(answer):
        if not cache:
            cache.update(candidates(spec, image, class_index))
        ref = cache["right"]
        ans = np.asarray(answer, dtype=np.float32)
        if ans.shape == ref.shape[:2]:
            return False, "that is a 2-D map; the task asks for the signed attributions, one per pixel and colour " \
                          f"channel, shape {ref.shape}."
        if ans.shape != ref.shape:
            return False, f"your answer has shape {ans.shape}; expected {ref.shape}."
        if not np.all(np.isfinite(ans)):
            return False, "your answer contains NaN or infinite values."

        def dist(other):
            return float(np.linalg.norm(ans - other) / (np.linalg.norm(other) + 1e-12))

        if dist(ref) < 1e-3:
            gap = score_gap()
            miss = abs(float(ans.sum()) - gap) / abs(gap)
            return True, (f"your attributions add up to {ans.sum():.3f} and z_c(x) - z_c(x') is {gap:.3f}: the "
                          f"16-step trapezoid sum misses by {miss:.1%}. That error depends on the image and the "
                          "baseline, not only on m: compare it with section 4's circle against black.")
        if dist(np.abs(ref)) < 1e-3:
            return False, "you kept only the size of each attribution; integrated gradients keep the sign."
        for name, message in WRONG.items():
            if dist(cache[name]) < 1e-3:
                return False, message
        return False, f"your attributions are {dist(ref):.1%} away from the reference (relative L2 distance)."

    return Exercise(
        "integrated gradients from scratch", check,
        hint="Build the 17 images on the straight path in one batch, get the logit gradients with one "
        "GradientTape, then weight them as the formula of section 4 does.",
        solution=f"""m = 16
base = np.broadcast_to({image_name}.mean(axis=(0, 1)), {image_name}.shape)   # x': the mean colour
alphas = np.linspace(0, 1, m + 1)                                  # alpha = k/m, k = 0..m
path = tf.constant((base + alphas[:, None, None, None] * ({image_name} - base)).astype("float32"))
with tf.GradientTape() as tape:
    tape.watch(path)
    score = tf.reduce_sum(spec.logits_model(path)[:, {class_name}])
grads = tape.gradient(score, path).numpy()                        # [m + 1, h, w, 3]
w = np.full(m + 1, 1 / m); w[[0, -1]] /= 2                         # trapezoid weights
answer = ({image_name} - base) * np.tensordot(w, grads, axes=1)""")
