"""Layer lookup and graph rebuilding for any Keras model, nested ones included.

Transfer-learning models hold a whole base model as one layer
(``Sequential([MobileNetV2(...), GlobalAveragePooling2D(), Dense(1)])``). Keras
cannot build a model from the outer input to a layer *inside* the base ("not
connected to inputs"), so :func:`graph_model` replays the outer graph from
fresh inputs, calling the base model's own layers one by one. The layers are
the caller's own objects, so weights are shared, never copied: after
``model.set_weights(...)`` every model built here sees the new weights.

Inner layers are named by their path, ``"mobilenetv2_1.00_96/block_16_project"``,
or by their own name alone when no other layer has it (:func:`resolve`).
The replay can substitute layers: :func:`graph_model` uses that to drop a
final softmax/sigmoid (``head="logits"``) and, with ``relu=``, to give every
ReLU (fused, ``ReLU``/``ReLU6`` layers, ``Activation("relu")``) another
backward rule (guided backpropagation) without cloning anything.
"""

from __future__ import annotations

import math

SEP = "/"


class LayerNotFoundError(ValueError):
    """A layer name that the model does not have; the message lists valid names."""


def as_model(model_or_spec):
    """The Keras model of a :class:`helpers.models.ModelSpec`, or the Keras model itself.

    Every public function of the course accepts either; anything else is a TypeError.
    A model that expects another input (grayscale, 0..255, a keras.applications
    family's preprocessing) comes back wrapped to take [0, 1] RGB
    (:func:`helpers.adapt.adapt`, which prints one line saying so); one with
    several outputs or never built gets a message that says what to do.
    """
    import keras

    inner = getattr(model_or_spec, "model", None)
    if inner is not None and hasattr(model_or_spec, "class_names") and isinstance(inner, keras.Model):
        return inner
    if isinstance(model_or_spec, keras.Model):
        from helpers.adapt import adapt

        return adapt(model_or_spec)  # the model itself when it takes [0, 1] RGB (see helpers.adapt)
    raise TypeError(f"expected a Keras model or a helpers.models.ModelSpec; got {type(model_or_spec).__name__} "
                    f"{model_or_spec!r:.60}")


def _is_model(op) -> bool:
    import keras

    return isinstance(op, keras.Model)


def _inner_prefix(parent, layer, path: str, prefix: str) -> str:
    """The path prefix of ``layer``'s own layers (``layer`` a model inside ``parent``).

    The wrapper that :func:`helpers.adapt.adapt` puts around a user's model is
    transparent: the user's layers keep the paths they have in the user's own
    model (``mobilenetv2_1.00_96/out_relu``, not ``sequential/mobilenetv2_1.00_96/out_relu``).
    """
    from helpers.adapt import is_adapter

    if _is_model(layer) and is_adapter(parent):
        return prefix
    return path + SEP


def walk(model, prefix: str = "", top: bool = True) -> list[tuple[str, object]]:
    """``(path, layer)`` for every layer, depth first, nested models before their contents."""
    import keras

    out = []
    for layer in model.layers:
        if not top and isinstance(layer, keras.layers.InputLayer):
            continue  # a nested model's input is the outer tensor that feeds it
        path = prefix + layer.name
        out.append((path, layer))
        if _is_model(layer):
            out.extend(walk(layer, _inner_prefix(model, layer, path, prefix), top=False))
    return out


def is_nested(model) -> bool:
    """True if ``model`` holds another model as a layer."""
    return any(_is_model(layer) for layer in model.layers)


def layer_names(model) -> list[str]:
    """Every layer's path: outer names, and ``outer/inner`` for layers of nested models."""
    return [p for p, _ in walk(as_model(model))]


def resolve(model, name) -> str:
    """The full path of layer ``name`` (a path, or an inner layer's own name when unambiguous)."""
    model = as_model(model)
    paths = walk(model)
    valid = [p for p, _ in paths]
    if not isinstance(name, str):
        raise LayerNotFoundError(f"layer names are strings; got {name!r}. Valid names: {', '.join(valid)}")
    if name in valid:
        return name
    own = name.rsplit(SEP, 1)[-1] if not is_nested(model) else name  # a flattened copy keeps inner names only
    hits = [p for p in valid if p.rsplit(SEP, 1)[-1] == own]
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        raise LayerNotFoundError(f"layer name {name!r} is ambiguous in model {model.name!r}: "
                                 f"use one of {', '.join(hits)}")
    close = [v for v in valid if name.lower() in v.lower() or v.rsplit(SEP, 1)[-1].lower() in name.lower()]
    hint = f" Did you mean {', '.join(close[:3])}?" if close else ""
    raise LayerNotFoundError(f"Model {model.name!r} has no layer {name!r}.{hint} Valid layer names: {', '.join(valid)}")


def get_layer(model, name):
    """The layer called ``name`` (path or unambiguous inner name), with an error listing valid names."""
    path = resolve(model, name)
    return dict(walk(as_model(model)))[path]


def _is_feature_map(layer) -> bool:
    try:
        shape = layer.output.shape
    except (AttributeError, ValueError):
        return False
    return len(shape) == 4


def feature_map_layer(model, name, method: str) -> str:
    """The path of ``name`` when its output is a feature map ``[batch, h, w, channels]``; else a clear error.

    Grad-CAM, the CAM family and dissection need one: a Dense or pooled layer
    has no positions to point at. The error names the method's need and the
    layers that qualify.
    """
    model = as_model(model)
    path = resolve(model, name)
    layer = dict(walk(model))[path]
    if _is_feature_map(layer) and not _is_model(layer):
        shape = tuple(layer.output.shape)
        if shape[1] is None or shape[1] > 1 or shape[2] is None or shape[2] > 1:
            return path
        why = f"its output is {shape[1]}x{shape[2]}: one position, nothing to point at"
    else:
        shape = getattr(getattr(layer, "output", None), "shape", None)
        why = f"its output has shape {tuple(shape) if shape is not None else 'unknown'}"
    ok = [p for p, lay in walk(model) if not _is_model(lay) and _is_feature_map(lay)
          and type(lay).__name__ != "InputLayer"]
    raise LayerNotFoundError(f"{method} needs a layer with a feature map (output [batch, height, width, channels]); "
                             f"{path!r} does not qualify ({why}). Layers that qualify: {', '.join(ok)}")


def conv_layer_names(model) -> list[str]:
    """Paths of the layers with weights and a 4-D output (convolutions), in order, inside nested models too."""
    return [p for p, layer in walk(as_model(model)) if not _is_model(layer) and _is_feature_map(layer) and layer.weights]


def last_conv_layer(model) -> str:
    """Path of the last feature-map layer that is not a pooling layer (the usual Grad-CAM layer).

    That is the last convolution's (activated) output: ``conv4`` on the shapes
    CNN, ``block5_conv3`` on VGG16 (not ``block5_pool``), ``mixed10`` on
    InceptionV3, ``mobilenetv2_1.00_96/out_relu`` inside a nested MobileNetV2.
    """
    model = as_model(model)
    for path, layer in reversed(walk(model)):
        kind = type(layer).__name__
        if not _is_model(layer) and _is_feature_map(layer) and "Pooling" not in kind and kind != "InputLayer":
            return path
    raise LayerNotFoundError(f"Model {model.name!r} has no layer with a 4-D (feature map) output.")


# ----------------------------------------------------------------- the head

def head_layer(model) -> tuple[str, object]:
    """``(path, layer)`` of the operation producing the model's (first) output, inside nested models too."""
    model = as_model(model)
    prefix = ""
    while True:
        hist = getattr(model.outputs[0], "_keras_history", None)
        layer = hist.operation if hist is not None else model.layers[-1]
        path = prefix + layer.name
        if not _is_model(layer):
            return path, layer
        model, prefix = layer, _inner_prefix(model, layer, path, prefix)


def _act_name(act) -> str:
    return getattr(act, "__name__", "") if act is not None else ""


def head_activation(model) -> str:
    """``"softmax"``, ``"sigmoid"`` or ``""``: the final squashing of ``model``."""
    import keras

    _, layer = head_layer(model)
    if isinstance(layer, keras.layers.Softmax):
        return "softmax"
    name = _act_name(getattr(layer, "activation", None))
    return name if name in ("softmax", "sigmoid") else ""


def binary_head(model) -> bool:
    """True for a one-unit sigmoid output (a binary classifier)."""
    return head_activation(model) == "sigmoid" and int(as_model(model).outputs[0].shape[-1]) == 1


def n_classes(model) -> int:
    """Classes the model scores: its output units, or 2 for a one-unit sigmoid (negative, positive)."""
    return 2 if binary_head(model) else int(as_model(model).outputs[0].shape[-1])


# ----------------------------------------------------------------- rebuilding

_MISSING = object()


def _rule_relu(rule: str, max_value=None, threshold: float = 0.0):
    """A ReLU (optionally capped, as ReLU6) whose gradient follows ``rule`` ("guided"/"deconvnet")."""
    import tensorflow as tf

    @tf.custom_gradient
    def relu(x):
        y = tf.where(x > threshold, x, tf.zeros_like(x))
        if max_value is not None:
            y = tf.minimum(y, float(max_value))

        def grad(dy):
            if rule == "deconvnet":
                return tf.nn.relu(dy)
            open_ = x > threshold
            if max_value is not None:
                open_ = tf.logical_and(open_, x < float(max_value))
            return dy * tf.cast(open_, dy.dtype) * tf.cast(dy > 0, dy.dtype)

        return y, grad

    relu.__name__ = f"{rule}_relu" + (f"{max_value:g}" if max_value is not None else "")
    return relu


def _swapped(layer, activation):
    """A layer that runs ``layer`` (its own variables) with another activation."""
    import keras

    class Swapped(keras.layers.Layer):
        def __init__(self):
            super().__init__(name=f"{layer.name}__{getattr(activation, '__name__', 'act')}")
            self.inner = layer

        def call(self, *args, **kwargs):
            old = self.inner.activation
            self.inner.activation = activation  # only while this call is traced; restored below
            try:
                return self.inner(*args, **kwargs)
            finally:
                self.inner.activation = old

    return Swapped()


def _relu_substitute(rule: str):
    import keras

    def sub(path, layer):
        if isinstance(layer, keras.layers.ReLU):
            cfg = layer.get_config()
            if cfg.get("negative_slope"):
                return None  # leaky ReLU: no guided rule defined
            return keras.layers.Activation(_rule_relu(rule, cfg.get("max_value"), cfg.get("threshold") or 0.0),
                                           name=f"{layer.name}__{rule}")
        act = _act_name(getattr(layer, "activation", None))
        if act in ("relu", "relu6"):
            fn = _rule_relu(rule, 6.0 if act == "relu6" else None)
            if isinstance(layer, keras.layers.Activation):
                return keras.layers.Activation(fn, name=f"{layer.name}__{rule}")
            return _swapped(layer, fn)
        return None
    return sub


def _replay(model, inputs, prefix, taps, substitute, errors):
    """Run ``model``'s graph on ``inputs`` symbolically, inlining nested models; record every output in ``taps``."""
    import keras
    from keras import tree

    def op_fn(op):
        path = prefix + op.name

        def call(*args, **kwargs):
            if any(t is _MISSING for t in tree.flatten((args, kwargs))):
                taps[path] = _MISSING
                return _MISSING
            if _is_model(op):
                xs = [t for t in tree.flatten(args) if keras.KerasTensor in type(t).__mro__][:len(op.inputs)]
                out = _replay(op, xs, _inner_prefix(model, op, path, prefix), taps, substitute, errors)
            else:
                new = substitute(path, op) if substitute else None
                try:
                    out = (new or op)(*args, **kwargs)
                except Exception as exc:  # e.g. Dense after Flatten on a size-free input
                    errors.setdefault(path, exc)
                    out = _MISSING
            taps[path] = out
            return out
        return call

    if isinstance(model, keras.Sequential):
        x = inputs[0]
        for layer in model.layers:
            x = op_fn(layer)(x)
        return x
    out = model._run_through_graph(inputs, operation_fn=op_fn)
    return out[0] if isinstance(out, (list, tuple)) and len(out) == 1 else out


def graph_model(model, names=(), head: str | None = "output", relu: str | None = None, input_shape=None):
    """A Keras model from fresh inputs to ``[layer outputs..., head]``, sharing ``model``'s layers.

    Args:
      model: a Keras model (nested models inside are inlined) or a ModelSpec.
      names: layers to output (paths or unambiguous inner names).
      head: ``"output"`` (the model's output), ``"logits"`` (before a final
        softmax or sigmoid; a one-unit sigmoid gives two scores
        :math:`[-z/2, z/2]`, whose softmax is :math:`[1-\\sigma(z), \\sigma(z)]`)
        or ``None`` (layers only; then layers the taps do not need may fail,
        e.g. a Dense after Flatten when ``input_shape`` is size-free).
      relu: ``None``, ``"guided"`` or ``"deconvnet"``: backward rule of every ReLU.
      input_shape: per-image input shape, e.g. ``(None, None, 3)``; default: the model's.
    """
    import keras

    model = as_model(model)
    paths = [resolve(model, n) for n in names]
    head_path, _ = head_layer(model)
    strip = head == "logits" and head_activation(model) != ""
    relu_sub = _relu_substitute(relu) if relu else None

    def substitute(path, layer):
        if strip and path == head_path:
            if isinstance(layer, (keras.layers.Activation, keras.layers.Softmax)):
                return lambda x, *a, **k: x
            return _swapped(layer, keras.activations.linear)
        return relu_sub(path, layer) if relu_sub else None

    shape = tuple(input_shape) if input_shape is not None else tuple(model.inputs[0].shape[1:])
    inputs = [keras.Input(shape, name="image")] + [keras.Input(tuple(t.shape[1:])) for t in model.inputs[1:]]
    taps, errors = {}, {}
    out = _replay(model, inputs, "", taps, substitute, errors)
    layers = dict(walk(model))
    outputs = [taps.get(p, inputs[0] if isinstance(layers[p], keras.layers.InputLayer) else _MISSING) for p in paths]
    if head is not None:
        if strip and binary_head(model):
            out = keras.ops.concatenate([-0.5 * out, 0.5 * out], axis=-1)
        outputs.append(out)
    for p, t in zip(paths + ["<output>"], outputs):
        if t is _MISSING:
            first = next(iter(errors.items()), ("?", "unknown"))
            raise ValueError(f"layer {p!r} cannot be computed for inputs of shape {shape}: layer {first[0]!r} "
                             f"failed ({first[1]}). Layers that work: "
                             f"{', '.join(k for k, v in taps.items() if v is not _MISSING and k in layers)}")
    return keras.Model(inputs[0] if len(inputs) == 1 else inputs, outputs, name=f"{model.name}_graph")


def forward_macs(model) -> float | None:
    """Multiply-adds of one forward pass of one image, counted from the layers' weights.

    Every weight named ``kernel`` (convolutions of any kind, dense layers)
    costs its size once per output position: a 3x3 convolution from 64 to
    128 channels at 56x56 is ``56*56*3*3*64*128``. Biases, activations,
    pooling and normalisation are left out (a few per cent). Nested models are
    counted through their layers. ``None`` when an output shape is not fixed
    (a model built for any image size), so callers fall back to a default.
    """
    total = 0.0
    for _, layer in walk(as_model(model)):
        if _is_model(layer):
            continue
        kernels = [w for w in layer.weights if "kernel" in w.name]
        if not kernels:
            continue
        try:
            shape = tuple(layer.output.shape)[1:-1]
        except (AttributeError, ValueError, RuntimeError):
            return None
        if any(d is None for d in shape):
            return None
        positions = float(math.prod(shape))
        total += positions * sum(float(math.prod(w.shape)) for w in kernels)
    return total
