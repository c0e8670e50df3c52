"""Lesson 08 exercises: octave sizes, and one DeepDream step."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise

#: The photo of the octave exercise: height, width, number of octaves, scale between octaves.
PHOTO_SHAPE, N_OCTAVES, SCALE = (300, 200), 4, 1.5


def _sizes(divide):
    return [divide(i) for i in range(N_OCTAVES - 1, -1, -1)]


def _octaves(answer):
    from helpers.deepdream import octave_shapes

    want = octave_shapes(PHOTO_SHAPE, N_OCTAVES, SCALE)
    got = [tuple(int(v) for v in s) for s in answer]
    if got == want:
        return True, f"{want}: each octave is {SCALE}x the previous one and the last is the photo itself."
    if got == want[::-1]:
        return False, "right sizes, wrong order: DeepDream starts with the smallest octave."
    truncated = _sizes(lambda i: (int(PHOTO_SHAPE[0] / SCALE**i), int(PHOTO_SHAPE[1] / SCALE**i)))
    if got == truncated:
        return False, "you cut the decimals off (int); round to the nearest pixel instead."
    one_off = _sizes(lambda i: (round(PHOTO_SHAPE[0] / SCALE ** (i + 1)), round(PHOTO_SHAPE[1] / SCALE ** (i + 1))))
    if got == one_off:
        return False, "every size is one octave too small: the last octave is the photo itself (i = 0)."
    if len(got) != N_OCTAVES:
        return False, f"you gave {len(got)} sizes; there is one per octave ({N_OCTAVES})."
    return False, f"the sizes {got} are not the octave sizes."


q_octaves = Exercise(
    "octave sizes",
    _octaves,
    hint="Which power of SCALE belongs to the smallest octave, and which to the photo itself?",
    solution="answer = [(round(PHOTO_SHAPE[0] / SCALE**i), round(PHOTO_SHAPE[1] / SCALE**i))\n"
    "          for i in range(N_OCTAVES - 1, -1, -1)]",
)

#: A gradient ``g`` of the objective with respect to a 2x2 gray image, for the step exercise.
GRAD = np.array([[0.03, -0.06], [0.0, 0.03]], dtype=np.float32)
#: The image before the step (two pixels close to the ends of [0, 1]), and the step size.
X0, STEP = np.array([[0.95, 0.1], [0.5, 0.9]], dtype=np.float32), 0.1


def _step(answer):
    ans = np.asarray(answer, dtype=np.float32)
    if ans.shape != X0.shape:
        return False, f"your image has shape {ans.shape}; expected {X0.shape}."
    g = GRAD / np.abs(GRAD).mean()
    want = np.clip(X0 + STEP * g, 0, 1)
    if np.allclose(ans, want, atol=1e-4):
        return True, "x + η g / mean|g|, clipped to [0, 1]: the step moves the image by η on average."
    if np.allclose(ans, X0 + STEP * g, atol=1e-4):
        return False, "two pixels left [0, 1]: an image's pixels must stay in [0, 1] (clip them)."
    if np.allclose(ans, np.clip(X0 - STEP * g, 0, 1), atol=1e-4) or np.allclose(ans, X0 - STEP * g, atol=1e-4):
        return False, "that is gradient *descent*: DeepDream climbs, it adds the gradient."
    if np.allclose(ans, np.clip(X0 + STEP * GRAD, 0, 1), atol=1e-4) or np.allclose(ans, X0 + STEP * GRAD, atol=1e-4):
        return False, "you forgot to normalise the gradient by its mean absolute value."
    if np.allclose(ans, np.clip(X0 + STEP * GRAD / np.abs(GRAD).max(), 0, 1), atol=1e-4):
        return False, "you divided by the largest |g|; the lesson's step divides by the mean |g|."
    return False, "the values do not match one normalised ascent step."


q_step = Exercise(
    "one DeepDream step",
    _step,
    hint="Section 1's update has three parts: which way the step goes, what the gradient is divided by, "
    "and what keeps the pixels valid.",
    solution="answer = np.clip(X0 + STEP * GRAD / np.abs(GRAD).mean(), 0, 1)",
)
