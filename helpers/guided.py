"""Backward rules for ReLU: plain backprop, the deconvnet rule and guided backprop.

A ReLU passes ``y = max(x, 0)`` forward. The three rules differ only in what
they send backward, given the incoming gradient ``g = dL/dy``:

* **backprop** (the true gradient): :math:`g \\cdot [x > 0]`, gated by the
  forward input;
* **deconvnet** (Zeiler & Fergus 2014): :math:`\\max(g, 0)`, gated by the
  sign of the backward signal;
* **guided backprop** (Springenberg et al. 2014, *Striving for Simplicity:
  The All Convolutional Net*): :math:`g \\cdot [x > 0] \\cdot [g > 0]`, gated
  by both.

:func:`guided_model` gives a model whose ReLUs (fused into
``Conv2D(activation="relu")``/``Dense`` layers, or standalone ``ReLU``/``ReLU6``
and ``Activation("relu")`` layers, inside nested base models too) use one of
the modified rules. It calls the caller's own layers (weights shared), the
forward pass is unchanged and the caller's model is never touched.
"""

from __future__ import annotations

import numpy as np

RULES = ("backprop", "deconvnet", "guided")


def backward_rule(x: np.ndarray, grad: np.ndarray, rule: str = "guided") -> np.ndarray:
    """What a ReLU sends backward under ``rule``, in NumPy (for teaching and tests).

    Args:
      x: the ReLU's forward input.
      grad: the gradient arriving from above, ``dL/dy``.
      rule: ``"backprop"``, ``"deconvnet"`` or ``"guided"``.
    """
    x, grad = np.asarray(x, dtype=np.float32), np.asarray(grad, dtype=np.float32)
    if rule == "backprop":
        return grad * (x > 0)
    if rule == "deconvnet":
        return np.maximum(grad, 0.0)
    if rule == "guided":
        return grad * (x > 0) * (grad > 0)
    raise ValueError(f"unknown rule {rule!r}; choose one of {', '.join(RULES)}")


def guided_model(model, rule: str = "guided", head: str = "output"):
    """A model computing the same as ``model`` whose ReLUs send gradients back with ``rule``.

    Layers with a fused ``activation="relu"`` (or ``"relu6"``) run with the
    modified ReLU; standalone ``ReLU`` layers (``ReLU6`` = ``ReLU(max_value=6)``
    included; leaky ones are left alone) and ``Activation("relu")`` layers are
    replaced. Nested base models are rebuilt layer by layer
    (:func:`helpers._graph.graph_model`), so their inner ReLUs are guided too.
    No weights are copied: the new model calls the caller's own layers, so it
    follows ``model.set_weights(...)`` and its forward outputs are identical.
    For a capped ReLU the guided rule also closes the gate above the cap:
    :math:`g \\cdot [0 < x < 6] \\cdot [g > 0]`.

    Args:
      model: a Keras model (Sequential, functional or nested) or a ModelSpec. It is not modified.
      rule: ``"guided"`` or ``"deconvnet"``.
      head: ``"output"`` (the model's output) or ``"logits"`` (before a final softmax/sigmoid).

    Returns:
      The new Keras model.
    """
    from helpers._graph import graph_model

    if rule not in ("guided", "deconvnet"):
        raise ValueError(f"rule must be 'guided' or 'deconvnet'; got {rule!r}")
    return graph_model(model, head=head, relu=rule)


def backward_rules_figure(seed: int = 0, size: int = 5):
    """Side-by-side picture of the three backward rules on one small example.

    Shows the forward input ``x``, the gradient from above ``g``, and what
    backprop, the deconvnet and guided backprop send back, as numbered grids
    (red negative, blue positive), in the style of Springenberg et al.'s Figure 1.
    """
    from helpers import config
    from helpers.plotting import new_figure

    r = config.rng(seed)
    x = np.round(r.normal(size=(size, size)), 1)
    g = np.round(r.normal(size=(size, size)), 1)
    panels = [("forward input x", x), ("gradient from above g", g)]
    panels += [(f"{rule}", backward_rule(x, g, rule)) for rule in RULES]
    subtitles = ["", "", "g·[x>0]", "max(g, 0)", "g·[x>0]·[g>0]"]
    fig, axes = new_figure(15, 3.6, nrows=1, ncols=5)
    lim = float(max(np.abs(x).max(), np.abs(g).max()))
    for ax, (title, arr), sub in zip(axes, panels, subtitles):
        ax.imshow(arr, cmap="RdBu", vmin=-lim, vmax=lim)
        for (i, j), v in np.ndenumerate(arr):
            ax.text(j, i, f"{v:.1f}", ha="center", va="center", fontsize=9)
        ax.set_title(f"{title}\n{sub}", fontsize=11)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig
