"""Lesson 00 exercises."""

from __future__ import annotations

from helpers.exercises import Exercise


def _pools_before(spec, layer_name: str) -> int:
    """How many 2x2 poolings (layers that halve the side) come before ``layer_name``."""
    model = spec.model
    layer = spec.layer(layer_name)
    if layer not in model.layers:  # inside a nested base model: count there is not meaningful here
        return -1
    stop = model.layers.index(layer)
    return sum(1 for layer in model.layers[:stop] if "pool" in type(layer).__name__.lower()
               and "global" not in type(layer).__name__.lower())


def feature_size_exercise(spec, side: int = 128) -> Exercise:
    """What height would the last conv layer's maps have for a ``side`` x ``side`` input?

    The right answer is derived from the model itself: the input side divided
    by the factor by which the network shrinks the image before its last
    convolution (the ratio of the input height to that layer's output height;
    'same' convolutions keep the size, each 2x2 pooling halves it).
    """
    last = spec.layers["last_conv"]
    in_h = int(spec.input_size[0])
    out_h = int(spec.layer(last).output.shape[1])
    factor = in_h // out_h
    right = int(side) // factor
    pools = _pools_before(spec, last)

    def check(answer):
        value = int(answer)
        if value == right:
            how = f"{side} halved {pools} time(s) is {right}" if 2 ** pools == factor else f"{side} / {factor} = {right}"
            return True, (f"{how}: the network shrinks its input {factor}x before {last} "
                          f"({in_h} → {out_h} in the table).")
        if value == out_h:
            return False, f"{out_h} is the height for the model's own {in_h}×{in_h} input, not for {side}×{side}."
        if value == int(side):
            return False, f"{value} would mean no pooling at all before {last}."
        if value > 0 and int(side) % value == 0 and (int(side) // value) & (int(side) // value - 1) == 0:
            n = (int(side) // value).bit_length() - 1
            return False, f"{value} is {side} halved {n} time(s); count the pooling layers before {last} again."
        return False, f"{value} is not right."

    return Exercise(
        f"height of {last}'s maps for a {side}×{side} input",
        check,
        hint=f"In the output shape column of the table, which layers above {last} change the maps' height, "
        "and by what factor? Those factors do not depend on the input size.",
        solution="last = spec.layers['last_conv']\n"
        "# how many times the network shrinks its input before that layer (2 ** number of 2x2 poolings here)\n"
        "factor = spec.input_size[0] // spec.layer(last).output.shape[1]\n"
        f"answer = {int(side)} // factor",
    )
