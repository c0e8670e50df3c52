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

:func:`guided_model` gives a *clone* of a model whose ReLUs (fused into
``Conv2D(activation="relu")``/``Dense`` layers, or standalone ``ReLU`` and
``Activation("relu")`` layers) use one of the modified rules. The forward pass
is unchanged and the caller's model is never touched.
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


def _relu_with_rule(rule: str):
    import tensorflow as tf

    @tf.custom_gradient
    def relu(x):
        y = tf.nn.relu(x)

        def grad(dy):
            if rule == "deconvnet":
                return tf.nn.relu(dy)
            return dy * tf.cast(x > 0, dy.dtype) * tf.cast(dy > 0, dy.dtype)

        return y, grad

    relu.__name__ = f"{rule}_relu"
    return relu


def _is_relu(act) -> bool:
    import keras

    return act is keras.activations.relu or getattr(act, "__name__", "") == "relu"


def guided_model(model, rule: str = "guided"):
    """A clone of ``model`` whose ReLUs send gradients back with ``rule``.

    Layers with a fused ``activation="relu"`` get the modified ReLU as their
    activation; standalone ``keras.layers.ReLU()`` (default arguments) and
    ``Activation("relu")`` layers are replaced by an ``Activation`` using it.
    Weights are copied, so forward outputs are identical to the original's.

    Args:
      model: a Keras model (Sequential or functional). It is not modified.
      rule: ``"guided"`` or ``"deconvnet"``.

    Returns:
      The modified clone.
    """
    import keras

    if rule not in ("guided", "deconvnet"):
        raise ValueError(f"rule must be 'guided' or 'deconvnet'; got {rule!r}")
    relu = _relu_with_rule(rule)

    def clone_layer(layer):
        cfg = layer.get_config()
        if isinstance(layer, keras.layers.ReLU):
            plain = not cfg.get("max_value") and not cfg.get("negative_slope") and not cfg.get("threshold")
            return keras.layers.Activation(relu, name=layer.name) if plain else layer.__class__.from_config(cfg)
        new = layer.__class__.from_config(cfg)
        if _is_relu(getattr(layer, "activation", None)):
            new.activation = relu
        return new

    clone = keras.models.clone_model(model, clone_function=clone_layer)
    clone.set_weights(model.get_weights())
    return clone


def backward_rules_figure(seed: int = 0, size: int = 5):
    """Side-by-side picture of the three backward rules on one small example.

    Shows the forward input ``x``, the gradient from above ``g``, and what
    backprop, the deconvnet and guided backprop send back, as numbered grids
    (blue negative, red positive: :data:`helpers.plotting.DIVERGING`), in the style of Springenberg et al.'s Figure 1.
    """
    from helpers import config
    from helpers.plotting import DIVERGING, new_figure

    r = config.rng(seed)
    x = np.round(r.normal(size=(size, size)), 1)
    g = np.round(r.normal(size=(size, size)), 1)
    panels = [("forward input x", x), ("gradient from above g", g)]
    panels += [(f"{rule}", backward_rule(x, g, rule)) for rule in RULES]
    subtitles = ["", "", "g·[x>0]", "max(g, 0)", "g·[x>0]·[g>0]"]
    fig, axes = new_figure(15, 3.6, nrows=1, ncols=5)
    lim = float(max(np.abs(x).max(), np.abs(g).max()))
    for ax, (title, arr), sub in zip(axes, panels, subtitles):
        ax.imshow(arr, cmap=DIVERGING, vmin=-lim, vmax=lim)
        for (i, j), v in np.ndenumerate(arr):
            ax.text(j, i, f"{v + 0.0:.1f}", ha="center", va="center", fontsize=9)
        ax.set_title(f"{title}\n{sub}", fontsize=11)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig
