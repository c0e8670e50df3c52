"""Let every helper take a student's own model: one input convention, whatever the model expects.

The course feeds every model float RGB images in [0, 1]. Students bring models
that expect something else:

* a **grayscale** model (``[28, 28, 1]``, MNIST-style);
* a model whose first layer is ``Rescaling(1/255)`` (it expects **0..255** pixels);
* a raw ``keras.applications`` network (``VGG16(weights="imagenet")``), which
  expects its family's ``preprocess_input``: **caffe** (BGR, ImageNet mean
  subtracted: VGG, ResNet), **tf** ([-1, 1]: Xception, Inception, MobileNet,
  NASNet, ResNet-V2) or **torch** (ImageNet mean and std: DenseNet); EfficientNet,
  ConvNeXt, RegNet, ResNet-RS and MobileNetV3 preprocess inside and take 0..255;
* a model with **several outputs**, or a Sequential that was never built.

:func:`adapt` recognises these and returns a thin wrapper model that takes
[0, 1] RGB and converts inside (channel mean for grayscale, then the scaling
the model expects) before calling the student's model, whose layers and weights
are shared, never copied or changed. It prints one line saying which
convention is in force and how to override it (``preprocess=``). A model that
already takes [0, 1] RGB is returned as it is. :func:`helpers.images.fit_batch` then resizes
images of another size to a fixed-size model (with a note) and refuses images
smaller than the model can take, naming the minimum.
"""

from __future__ import annotations

import re
import warnings
import weakref
from dataclasses import dataclass

import numpy as np

#: ``preprocess=`` values: what the model expects, given [0, 1] RGB.
CONVENTIONS = {
    "unit": "RGB in [0, 1] (the course's own convention)",
    "0..255": "pixel values in 0..255",
    "caffe": "caffe preprocessing: BGR in 0..255 minus the ImageNet mean",
    "tf": "values in [-1, 1] (pixels / 127.5 - 1)",
    "torch": "the ImageNet mean and standard deviation removed: (pixels / 255 - mean) / std",
}
#: keras.applications model names -> the convention its ``preprocess_input`` implements.
FAMILIES = [
    (r"^vgg1[69]$|^resnet(50|101|152)$", "caffe"),
    (r"^xception$|^inception_v3$|^inception_resnet_v2$|^mobilenet_|^mobilenetv2_|^nasnet|^resnet\d+v2$", "tf"),
    (r"^densenet\d+$", "torch"),
    (r"^efficientnet|^convnext|^regnet|^resnet-rs|^mobilenetv3", "0..255"),
]
#: Images smaller than this (either side) are refused by every helper.
MIN_SIDE = 8


@dataclass(frozen=True)
class InputConvention:
    """What a model expects: its channels, its fixed size (or None) and its input scale, and how we know."""

    channels: int
    size: tuple[int, int] | None
    scale: str
    source: str

    @property
    def plain(self) -> bool:
        """The model takes the course's own input: RGB in [0, 1]."""
        return self.channels == 3 and self.scale == "unit"

    def describe(self, name: str) -> str:
        gray = " in grayscale (one channel; the course feeds it the mean of R, G and B)" if self.channels == 1 else ""
        return (f"{name} expects {CONVENTIONS[self.scale]}{gray} ({self.source}). The course gives every helper "
                "RGB images in [0, 1] and converts them inside, so pass images in [0, 1], not preprocessed ones; "
                f"if this is wrong, say what it expects with preprocess= (one of {', '.join(CONVENTIONS)}).")


def input_shape(model) -> tuple:
    """``(batch, h, w, channels)``; a model never built gets a message that says what to do."""
    try:
        return tuple(model.inputs[0].shape)
    except (AttributeError, ValueError, IndexError, TypeError) as exc:
        raise ValueError(
            f"The model {model.name!r} has not been built yet, so it has no input shape. Call it once on a batch "
            "(model(images[:1])) or start it with keras.Input(shape=(height, width, channels)).") from exc


def _family(name: str) -> str | None:
    for pattern, scale in FAMILIES:
        if re.search(pattern, name.lower()):
            return scale
    return None


def detect(model) -> InputConvention:
    """The input convention of a Keras image model (see the module docstring for the rules)."""
    import keras

    shape = input_shape(model)
    if len(shape) != 4 or shape[-1] not in (1, 3):
        raise ValueError(f"{model.name!r} takes input of shape {shape}; the course explains image models that "
                         "take [batch, height, width, 1 or 3] (grayscale or RGB).")
    size = (int(shape[1]), int(shape[2])) if shape[1] is not None and shape[2] is not None else None
    channels = int(shape[-1])
    for layer in model.layers:  # the first layer that says something about the input scale
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if type(layer).__name__ in ("CaffePreprocess", "TorchPreprocess", "ChannelMean") or (
                isinstance(layer, keras.layers.Rescaling) and np.all(np.asarray(layer.scale) >= 0.5)):
            return InputConvention(channels, size, "unit", "its first layer rescales [0, 1] input")
        if isinstance(layer, keras.layers.Rescaling):
            return InputConvention(channels, size, "0..255", f"its first layer is Rescaling(scale={layer.scale})")
        if isinstance(layer, keras.Model):
            family = _family(layer.name)
            if family:
                return InputConvention(channels, size, family, f"its base {layer.name!r} comes from keras.applications")
            inner = detect(layer)
            return InputConvention(channels, size, inner.scale, inner.source)
        if layer.weights:  # a convolution came first: nothing rescales, the model takes what it was trained on
            break
        if isinstance(layer, (keras.layers.Normalization,)) or type(layer).__name__ in (
                "TrueDivide", "Subtract", "Multiply", "Add", "Lambda"):
            return InputConvention(channels, size, "0..255",
                                   f"assumed: its first layer {layer.name!r} preprocesses raw pixels")
        break
    family = _family(model.name)
    if family:
        return InputConvention(channels, size, family, f"it is keras.applications' {model.name}")
    return InputConvention(channels, size, "unit", "no preprocessing layer: the course's own convention")


_ADAPTED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_CHOSEN: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _conversion(scale: str, x):
    import keras

    from helpers.preprocessing import CaffePreprocess, TorchPreprocess

    if scale == "0..255":
        return keras.layers.Rescaling(255.0, name="to_0_255")(x)
    if scale == "caffe":
        return CaffePreprocess(name="caffe_preprocess")(x)
    if scale == "tf":
        return keras.layers.Rescaling(2.0, offset=-1.0, name="to_minus1_1")(x)
    if scale == "torch":
        return TorchPreprocess(name="torch_preprocess")(x)
    return x


def is_adapter(model) -> bool:
    """True for a wrapper made by :func:`adapt`, and for Keras clones of one (a clone keeps the wrapper's name and
    its ``rgb_0_1`` input, though not the Python attribute set on the original)."""
    import keras

    if getattr(model, "_course_adapter", False):
        return True
    first = model.layers[0] if getattr(model, "layers", None) else None
    return (str(getattr(model, "name", "")).endswith("_course") and getattr(first, "name", "") == "rgb_0_1"
            and any(isinstance(layer, keras.Model) for layer in model.layers))


def adapt(model, preprocess: str | None = None, verbose: bool = True):
    """``model`` itself when it takes [0, 1] RGB, else a wrapper that takes [0, 1] RGB and converts inside.

    Args:
      model: a Keras image model (one output; built).
      preprocess: override the detected scale: one of :data:`CONVENTIONS`.
      verbose: print the one line that says which convention is in force.

    Raises:
      ValueError: several outputs (the message lists them and says how to pick
        one), an unbuilt model, a non-image input, an unknown ``preprocess``.
    """
    import keras

    if preprocess is not None and preprocess not in CONVENTIONS:
        raise ValueError(f"preprocess={preprocess!r}; choose one of {', '.join(CONVENTIONS)}")
    if is_adapter(model):
        return model
    shape = input_shape(model)
    if len(model.outputs) > 1:
        outs = ", ".join(f"{i}: {n!r} {tuple(t.shape)}" for i, (n, t) in enumerate(zip(output_names(model), model.outputs)))
        raise ValueError(f"{model.name!r} has {len(model.outputs)} outputs ({outs}). The course explains one output "
                         "at a time: pass helpers.adapt.pick_output(model, k) with the output's index or name.")
    if preprocess is None:
        preprocess = _CHOSEN.get(model)  # what the user said for this model before
    else:
        _CHOSEN[model] = preprocess
    if len(shape) != 4 or shape[-1] not in (1, 3):
        return model  # not an image model: nothing to adapt (spec_for_model refuses it with a message)
    key = (preprocess,)
    cached = _ADAPTED.get(model, {}).get(key)
    if cached is not None:
        return cached
    conv = detect(model)
    if preprocess is not None:
        conv = InputConvention(conv.channels, conv.size, preprocess, "as you said with preprocess=")
    if conv.plain:
        return model
    if verbose:
        print(conv.describe(repr(model.name)))
    inp = keras.Input(shape=(shape[1], shape[2], 3), name="rgb_0_1")
    x = inp
    if conv.channels == 1:
        from helpers.preprocessing import ChannelMean

        x = ChannelMean(name="channel_mean")(x)
    out = model(_conversion(conv.scale, x))
    wrapper = keras.Model(inp, out, name=f"{model.name}_course")
    wrapper._course_adapter = True
    wrapper._course_convention = conv
    _ADAPTED.setdefault(model, {})[key] = wrapper
    return wrapper


def output_names(model) -> list[str]:
    """The name of the layer that produces each output."""
    names = []
    for t in model.outputs:
        history = getattr(t, "_keras_history", None)
        op = getattr(history, "operation", None) or (history[0] if history else None)
        names.append(getattr(op, "name", None) or t.name)
    return names


def pick_output(model, output):
    """A one-output view of a several-output model (layers shared): ``output`` is an index or an output's name."""
    import keras

    names = output_names(model)
    if isinstance(output, str):
        if output not in names:
            raise ValueError(f"{model.name!r} has no output {output!r}; its outputs are {names}")
        output = names.index(output)
    if not isinstance(output, (int, np.integer)) or not 0 <= int(output) < len(model.outputs):
        raise ValueError(f"output {output!r} out of range: {model.name!r} has outputs 0..{len(model.outputs) - 1} "
                         f"({names})")
    return keras.Model(model.inputs, model.outputs[int(output)], name=f"{model.name}_output{int(output)}")


def min_side(model) -> int:
    """The smallest image side the model (and the course) accepts."""
    return max(MIN_SIDE, min_input_side(model))


def min_input_side(model, largest: int = 1024) -> int:
    """The smallest square image side a model whose input takes any size accepts (by shape inference).

    Every ``"valid"`` convolution and pooling shrinks the image; below this
    side one of them would have nothing left to work on (on InceptionV3, a
    floating-point exception that kills the kernel). Models with a fixed
    input size, and models that take every side up to ``largest``, give 1.
    """
    def fits(side: int) -> bool:
        try:
            model.compute_output_shape((1, side, side, int(model.inputs[0].shape[-1])))
            return True
        except (ValueError, TypeError):
            return False

    if fits(1) or not fits(largest):
        return 1
    lo, hi = 1, largest  # fits(lo) is False, fits(hi) is True
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if fits(mid) else (mid, hi)
    return hi
