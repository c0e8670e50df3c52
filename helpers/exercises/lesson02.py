"""Lesson 02 exercises."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise


def class_weights(spec) -> np.ndarray:
    """``[channels, classes]`` weights from the last conv channels (after global pooling) to the logits.

    Only for models whose last conv layer feeds a global pooling and one Dense
    layer (the shapes CNN); raises ``ValueError`` otherwise.
    """
    logits = spec.layers.get("logits")
    if logits is None:
        raise ValueError(f"{spec.name} has no 'logits' layer directly after global pooling")
    kernel = np.asarray(spec.layer(logits).get_weights()[0])
    n = int(spec.layer(spec.layers["last_conv"]).output.shape[-1])
    if kernel.shape[0] != n:
        raise ValueError(f"{spec.name}: the logits layer does not read the {n} last-conv channels directly")
    return kernel


def stripe_orientation(images, border: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """How stripe-like each image is, and the stripes' direction (structure tensor).

    With :math:`g_x, g_y` the gradients of the grey image (``border`` pixels
    left out) and :math:`J = \\sum [g_x^2,\\ g_xg_y;\\ g_xg_y,\\ g_y^2]`, the
    coherence :math:`(\\lambda_1 - \\lambda_2)/(\\lambda_1 + \\lambda_2)` is 1 for
    perfect stripes and near 0 when edges run every way (dots, blobs). The
    stripes run across the dominant gradient direction.

    Returns ``(coherence [n], angle [n])``, the angle in degrees in [0, 180):
    0 = horizontal stripes, 90 = vertical.
    """
    x = np.asarray(images, dtype=np.float64)
    x = x[None] if x.ndim == 3 else x
    coh, ang = [], []
    for img in x:
        gy, gx = np.gradient(img.mean(-1))
        if border:
            gx, gy = gx[border:-border, border:-border], gy[border:-border, border:-border]
        jxx, jyy, jxy = (gx * gx).sum(), (gy * gy).sum(), (gx * gy).sum()
        coh.append(float(np.hypot(jxx - jyy, 2 * jxy) / max(jxx + jyy, 1e-12)))
        ang.append(float((0.5 * np.degrees(np.arctan2(2 * jxy, jxx - jyy)) + 90.0) % 180.0))
    return np.array(coh), np.array(ang)


def filter_vote_exercise(spec, channel: int, against: bool = False) -> Exercise:
    """Which class does last-conv filter ``channel`` vote for (largest weight) or, with ``against``, against?

    "Against" is the most negative weight: the class whose logit falls most
    when the filter fires.
    """
    pick = np.argmin if against else np.argmax
    word = "against" if against else "for"

    def check(answer):
        w = class_weights(spec)[int(channel)]
        best = int(pick(w))
        got = spec.class_index(answer)
        if got == best:
            return True, f"filter {channel} adds {w[best]:+.2f} per unit of activation to '{spec.class_names[best]}'."
        other = "less" if against else "more"
        return False, (f"'{spec.class_names[got]}' gets {w[got]:+.2f} from filter {channel}; another class gets "
                       f"{other}.")

    return Exercise(
        f"the class filter {channel} votes {word} most",
        check,
        hint="Take the logits layer's kernel (spec.layer(spec.layers['logits']).get_weights()[0]); "
        f"row {channel} holds that filter's vote for each class: look for its "
        f"{'most negative' if against else 'largest'} entry.",
        solution=f"W = spec.layer(spec.layers['logits']).get_weights()[0]\n"
        f"answer = spec.class_names[int(W[{channel}].{'argmin' if against else 'argmax'}())]",
    )


#: The best flat colour for each sign pattern of the colour weight sums (red, green, blue) > 0.
COLOURS = {(True, True, True): "white", (False, False, False): "black", (True, False, False): "red",
           (False, True, False): "green", (False, False, True): "blue", (False, True, True): "cyan",
           (True, False, True): "magenta", (True, True, False): "yellow"}


def flat_colour_exercise(spec, layer: str, channel: int) -> Exercise:
    """Which flat colour drives first-layer filter ``channel`` highest?

    A flat image of colour ``v`` (mapped to ``u = 2v - 1`` by the model) gives
    every interior unit ``b + sum_c s_c u_c`` with ``s_c`` the filter's weight
    sum over colour ``c``, so the best flat image puts each colour at its
    extreme with the sign of ``s_c`` (a colour-cube corner, named by
    :data:`COLOURS`). Named wrong answers: the opposite corner (signs
    reversed), the strongest colour channel alone, and white or black from the
    sign of the total sum.
    """
    weights = spec.layer(layer).get_weights()
    if (len(weights) != 2 or np.ndim(weights[0]) != 4 or np.shape(weights[0])[2] != 3
            or spec.layer(layer).get_config().get("activation") != "relu"):
        raise ValueError(f"{layer} is not a convolution with bias and ReLU on the RGB image")
    kernel, bias = np.asarray(weights[0]), np.asarray(weights[1])
    s = kernel[..., int(channel)].sum(axis=(0, 1))
    signs = tuple(bool(v > 0) for v in s)
    right = COLOURS[signs]
    opposite = COLOURS[tuple(not v for v in signs)]
    strongest = ("red", "green", "blue")[int(np.argmax(np.abs(s)))] if s[int(np.argmax(np.abs(s)))] > 0 else None
    total = "white" if s.sum() > 0 else "black"
    if bias[int(channel)] + np.abs(s).sum() <= 0:
        raise ValueError(f"filter {channel} of {layer} is silent on every flat image; pick another")

    def check(answer):
        got = str(answer).strip().lower()
        if got not in COLOURS.values():
            return False, f"'{answer}' is not one of {', '.join(COLOURS.values())}."
        if got == right:
            return True, (f"the colour weight sums are " + ", ".join(f"{c} {v:+.2f}" for c, v in zip("RGB", s))
                          + f": each colour at its extreme with that sign gives {right}.")
        if got == opposite:
            return False, f"{got} has every sign reversed: it is the flat colour that drives the filter lowest."
        if strongest is not None and got == strongest:
            return False, (f"{got} keeps only the colour with the largest weight sum; every colour whose sum is "
                           "positive should be at its maximum too.")
        if got == total and right != total:
            return False, (f"{got} follows the sign of the total sum of all 27 weights; each colour has its own "
                           "sum and its own sign.")
        return False, f"{got} is not it: compare each colour's sign with the one {got} uses."

    return Exercise(
        f"the flat colour that drives {layer} filter {channel} highest",
        check,
        hint="Section 4 worked out what a flat image gives every unit of a first-layer filter. Which colour "
        "makes that number as large as it can be?",
        solution=f"s = spec.layer('{layer}').get_weights()[0][..., {int(channel)}].sum(axis=(0, 1))  # red, green, blue\n"
        "answer = lesson02.COLOURS[tuple(bool(v > 0) for v in s)]",
    )
