"""Lesson 07 exercise: compute a Layer-CAM map by hand from activations and gradients."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise


def _parts(seed: int = 0):
    r = np.random.default_rng(seed)
    acts = np.maximum(r.normal(size=(4, 4, 3)), 0.0).astype(np.float32)  # post-ReLU feature maps A
    grads = r.normal(size=(4, 4, 3)).astype(np.float32)                 # dz_c / dA, one per position
    return acts, grads


#: Feature maps ``ACTS [4, 4, 3]`` (after a ReLU, so >= 0) and their gradients ``dz_c/dA [4, 4, 3]``.
ACTS, GRADS = _parts()


def _scaled(m):
    return m / m.max() if m.max() > 0 else m


def layer_cam_reference(acts, grads):
    """Layer-CAM: ReLU(sum_k ReLU(g_ijk) A_ijk), divided by its maximum."""
    return _scaled(np.maximum((np.maximum(grads, 0.0) * acts).sum(-1), 0.0))


def _wrong_answers(acts, grads):
    """name -> (map, message): the plausible slips the checker recognises."""
    alpha = grads.mean(axis=(0, 1))
    right = np.maximum((np.maximum(grads, 0.0) * acts).sum(-1), 0.0)
    return {
        "grad_cam": (_scaled(np.maximum((acts * alpha).sum(-1), 0.0)),
                     "that is Grad-CAM: it averages each channel's gradients over the positions first. "
                     "Layer-CAM keeps every position's own gradient."),
        "grad_cam_relu_inside": (_scaled(np.maximum(acts * alpha, 0.0).sum(-1)),
                                 "that is Grad-CAM with the ReLU inside the sum: the gradients are still averaged "
                                 "per channel. Layer-CAM keeps every position's own gradient."),
        "no_gradient_relu": (_scaled(np.maximum((grads * acts).sum(-1), 0.0)),
                             "the negative gradients are still in: zero them (ReLU on GRADS) before multiplying, "
                             "so that no channel subtracts."),
        "not_scaled": (right, "the shape is right but not the scale: divide by the map's maximum."),
    }


def _check(answer):
    ans = np.asarray(answer, dtype=np.float64)
    if ans.shape != (4, 4):
        return False, f"your map has shape {ans.shape}; expected (4, 4): one value per position."
    if np.allclose(ans, layer_cam_reference(ACTS, GRADS), atol=1e-4):
        return True, ("Layer-CAM weights each position by its own positive gradient. The outer ReLU changed "
                      "nothing here: every term ReLU(g) * A is >= 0 because A >= 0.")
    for _, (m, msg) in _wrong_answers(ACTS, GRADS).items():
        if np.allclose(ans, m, atol=1e-4):
            return False, msg
    return False, "the values do not match Layer-CAM's."


q_layer_cam = Exercise(
    "Layer-CAM by hand",
    _check,
    hint="everything is elementwise on the [4, 4, 3] arrays until one sum over the channel axis; "
    "no mean over positions is involved.",
    solution="lc = np.maximum((np.maximum(GRADS, 0) * ACTS).sum(axis=-1), 0)\nanswer = lc / lc.max()",
)
