"""Lesson 08 exercises: octave sizes, and which random rolls change what the network computes."""

from __future__ import annotations

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

#: Candidate rolls ``(down, right)`` in pixels for the shift exercise.
SHIFTS = [(0, 0), (1, 1), (2, 4), (3, 6), (4, 8), (6, 2), (5, 10), (8, 12)]
#: The layer the shift exercise dreams on (after one 2x2 stride-2 pooling of the shapes CNN).
SHIFT_LAYER = "conv2"


def _even(s):
    return s[0] % 2 == 0 and s[1] % 2 == 0


def _four(s):
    return s[0] % 4 == 0 and s[1] % 4 == 0


def _shifts(answer):
    got = {tuple(int(v) for v in s) for s in answer}
    unknown = got - set(SHIFTS)
    if unknown:
        return False, f"{sorted(unknown)} are not among SHIFTS; pick from that list."
    want = {s for s in SHIFTS if _even(s)}
    if got == want:
        return True, (f"{sorted(want)}: {SHIFT_LAYER} comes after one stride-2 pooling, so its maps sample the "
                      "image on a 2 px grid; a roll by whole grid steps lines every pooling window up again, and the "
                      "network computes the same maps, moved. conv3 and conv4, after two poolings, need steps of 4 px.")
    if got == {s for s in SHIFTS if _four(s)}:
        return False, (f"those line up a 4 px grid: the grid of conv3 and conv4, which come after two poolings. "
                       f"How many poolings lie before {SHIFT_LAYER}?")
    if got == {(0, 0)}:
        return False, ("a roll on the pooling grid also leaves the gradient unchanged away from the seams: every "
                       "pooling window then holds the same pixels as before, moved.")
    if got == set(SHIFTS):
        return False, ("a roll off the pooling grid puts different pixels into the pooling windows: the network then "
                       "computes a different function (section 4's off-grid panel).")
    if any(not _even(s) for s in got):
        odd = sorted(s for s in got if not _even(s))
        return False, f"{odd} move the image by an odd number of pixels along one axis at least: off the 2 px grid."
    return False, "some shifts on the grid are missing."


q_shift = Exercise(
    "which rolls leave conv2's gradient unchanged",
    _shifts,
    hint=f"Count the stride-2 poolings between the input and {SHIFT_LAYER} in the model summary (lesson 00): "
    "each doubles the grid on which the layer's maps sample the image.",
    solution="answer = [s for s in SHIFTS if s[0] % 2 == 0 and s[1] % 2 == 0]",
)
