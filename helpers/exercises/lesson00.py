"""Lesson 00 exercises."""

from helpers.exercises import Exercise


def _conv4(answer):
    value = int(answer)
    if value == 8:
        return True, "64 → 32 → 16 → 8: three poolings halve the side three times, and 'same' convolutions keep it."
    if value in (64, 32, 16):
        return False, f"{value} is the size after {[64, 32, 16].index(value)} pooling(s); conv4 comes after all three."
    return False, f"{value} is not right."


q_conv4_size = Exercise(
    "feature-map size of conv4",
    _conv4,
    hint="Each 2×2 max pooling halves height and width; padding='same' convolutions keep the size. "
    "Or look at the Output Shape column of spec.model.summary().",
    solution="answer = 64 // 2 // 2 // 2   # = 8",
)
