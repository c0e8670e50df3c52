"""Lesson 08 exercises: octave sizes, and which way the DeepDream step goes."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise

#: The photo of the octave exercise: height, width, number of octaves, scale between octaves.
PHOTO_SHAPE, N_OCTAVES, SCALE = (300, 200), 4, 1.5


def _octaves(answer):
    from helpers.deepdream import octave_shapes

    want = octave_shapes(PHOTO_SHAPE, N_OCTAVES, SCALE)
    got = [tuple(int(v) for v in s) for s in answer]
    if got == want:
        return True, f"{want}: each octave is {SCALE}x the previous one and the last is the photo itself."
    if got == want[::-1]:
        return False, "right sizes, wrong order: DeepDream starts with the smallest octave."
    if len(got) != N_OCTAVES:
        return False, f"you gave {len(got)} sizes; there is one per octave ({N_OCTAVES})."
    return False, f"the sizes {got} are not the octave sizes."


q_octaves = Exercise(
    "octave sizes",
    _octaves,
    hint="Octave i (counting down from the last) is the photo divided by SCALE**i, rounded; list them "
    "smallest first, ending with PHOTO_SHAPE.",
    solution="answer = [(round(PHOTO_SHAPE[0] / SCALE**i), round(PHOTO_SHAPE[1] / SCALE**i))\n"
    "          for i in range(N_OCTAVES - 1, -1, -1)]",
)

#: A gradient ``g`` of the objective with respect to a 2x2 gray image, for the step exercise.
GRAD = np.array([[0.02, -0.04], [0.0, 0.06]], dtype=np.float32)
#: The image before the step, and the step size.
X0, STEP = np.full((2, 2), 0.5, dtype=np.float32), 0.1


def _step(answer):
    ans = np.asarray(answer, dtype=np.float32)
    if ans.shape != X0.shape:
        return False, f"your image has shape {ans.shape}; expected {X0.shape}."
    g = GRAD / np.abs(GRAD).mean()
    want = np.clip(X0 + STEP * g, 0, 1)
    if np.allclose(ans, want, atol=1e-4):
        return True, "x + step * g / mean|g|, clipped to [0, 1]: every step moves the image by `step` on average."
    if np.allclose(ans, np.clip(X0 - STEP * g, 0, 1), atol=1e-4):
        return False, "that is gradient *descent*: DeepDream climbs, it adds the gradient."
    if np.allclose(ans, np.clip(X0 + STEP * GRAD, 0, 1), atol=1e-4):
        return False, "you forgot to normalise the gradient by its mean absolute value."
    return False, "the values do not match one normalised ascent step."


q_step = Exercise(
    "one DeepDream step",
    _step,
    hint="Divide GRAD by np.abs(GRAD).mean(), multiply by STEP, add to X0 and clip to [0, 1].",
    solution="answer = np.clip(X0 + STEP * GRAD / np.abs(GRAD).mean(), 0, 1)",
)
