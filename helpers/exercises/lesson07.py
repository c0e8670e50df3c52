"""Lesson 07 exercise: compute a Grad-CAM map from activations and gradients."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise


def _parts(seed: int = 0):
    r = np.random.default_rng(seed)
    acts = np.maximum(r.normal(size=(4, 4, 3)), 0.0).astype(np.float32)  # post-ReLU feature maps A
    grads = r.normal(size=(4, 4, 3)).astype(np.float32)                 # dz_c / dA
    return acts, grads


#: Feature maps ``ACTS [4, 4, 3]`` and their gradients ``dz_c/dA [4, 4, 3]`` for the exercise.
ACTS, GRADS = _parts()


def _reference(acts, grads):
    alpha = grads.mean(axis=(0, 1))
    cam = np.maximum((acts * alpha).sum(-1), 0.0)
    return cam / cam.max() if cam.max() > 0 else cam


def _cam(answer):
    ans = np.asarray(answer, dtype=np.float32)
    if ans.shape != (4, 4):
        return False, f"your map has shape {ans.shape}; expected (4, 4): one value per position."
    want = _reference(ACTS, GRADS)
    if np.allclose(ans, want, atol=1e-4):
        return True, "alpha = mean gradient per channel; map = ReLU(sum_k alpha_k A_k) / max."
    if np.allclose(ans * want.max(), want * want.max(), atol=1e-4) or np.allclose(ans / max(ans.max(), 1e-12), want, atol=1e-4):
        return False, "the shape is right but not the scale: divide by the maximum."
    per_channel = np.maximum(ACTS * GRADS.mean(axis=(0, 1)), 0).sum(-1)
    if per_channel.max() > 0 and np.allclose(ans, per_channel / per_channel.max(), atol=1e-4):
        return False, "that is the lecture's per-channel ReLU; here apply the ReLU after the sum over k."
    return False, "the values do not match Grad-CAM's."


q_cam = Exercise(
    "Grad-CAM by hand",
    _cam,
    hint="weights = GRADS.mean(axis=(0, 1)) (one per channel); then sum ACTS * weights over channels, "
    "apply a ReLU and divide by the maximum.",
    solution="weights = GRADS.mean(axis=(0, 1))\ncam_ex = np.maximum((ACTS * weights).sum(-1), 0)\n"
    "answer = cam_ex / cam_ex.max()",
)
