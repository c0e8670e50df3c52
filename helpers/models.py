"""The model zoo: VGG16 and InceptionV3 online, the shapes CNN offline.

:func:`load_model` returns a :class:`ModelSpec`, one object that carries the
Keras model together with everything a lesson needs to stay model-agnostic:
input size, pre/de-processing, class names, sample images and the layer names
each lesson uses. Every model in the zoo takes RGB images in [0, 1]; models that
expect another input range hold their own preprocessing layers.

Layer lookup (:func:`get_layer`) gives an error that lists the valid names, and
:func:`without_softmax` gives a pre-softmax copy of a model without touching the
original.
"""

from __future__ import annotations

import json
import os
import urllib.request
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable

import numpy as np

from helpers import _graph, config, images, shapes
from helpers._graph import LayerNotFoundError  # noqa: F401  (raised by get_layer)
from helpers.adapt import min_input_side  # noqa: F401  (beside the adapter, in helpers.adapt)

WEIGHT_FILES = {
    "vgg16": "vgg16_weights_tf_dim_ordering_tf_kernels.h5",
    "inception_v3": "inception_v3_weights_tf_dim_ordering_tf_kernels.h5",
}
WEIGHT_URL = "https://storage.googleapis.com/tensorflow/keras-applications/{arch}/{file}"
#: ImageNet classes that suit each sample photo.
PHOTO_CLASSES = {"cat": 281, "coffee": 967, "astronaut": 834, "rocket": 657, "china": 698, "flower": 985}


class WeightsUnavailableError(RuntimeError):
    """Pretrained weights could not be found in the cache nor downloaded."""


@dataclass
class ModelSpec:
    """A model plus what the lessons need to know about it.

    Attributes:
      name: ``"shapes"``, ``"vgg16"``, ``"inception_v3"`` or a user label.
      model: the Keras model; it takes float RGB images in [0, 1].
      input_size: ``(height, width)`` the model was built for.
      class_names: one readable name per output unit.
      layers: the layer names lessons use: ``early``, ``middle``, ``late`` and
        ``last_conv`` (plus ``logits`` when the model ends in softmax).
      dream_layers: default layers (with weights) for DeepDream.
      samples: callable returning ``{name: (image, class_index)}``.
      description: one line about the model, for printouts.
    """

    name: str
    model: object
    input_size: tuple[int, int]
    class_names: list[str]
    layers: dict[str, str]
    dream_layers: dict[str, float] = field(default_factory=dict)
    samples: Callable[[], dict] | None = None
    description: str = ""

    def preprocess(self, image) -> np.ndarray:
        """Any image (path, array, ...) to a model-ready batch ``[n, h, w, 3]`` in [0, 1]."""
        if isinstance(image, np.ndarray) and image.ndim == 4:
            return images.resize(images.as_batch(image), self.input_size)
        return images.resize(images.load_image(image), self.input_size, crop=True)[None]

    @staticmethod
    def deprocess(x) -> np.ndarray:
        """Model input back to a displayable float image in [0, 1]."""
        return np.clip(np.asarray(x, dtype=np.float32), 0.0, 1.0)

    def predict(self, batch) -> np.ndarray:
        """Class probabilities for a batch ``[n, classes]``.

        A softmax head's output as it is; a sigmoid head's own probabilities (a
        one-unit sigmoid gives ``[1 - p, p]``, "negative" and "positive"); raw
        scores get a softmax. Images of another size (32 px CIFAR-10 for a
        224 px VGG16, say) are resized to the model's input first.
        """
        batch = images.model_batch(batch)
        if self.model.inputs[0].shape[1] is not None and tuple(batch.shape[1:3]) != tuple(self.input_size):
            batch = images.resize(batch, self.input_size)
        out = np.asarray(self.model(batch, training=False))
        head = head_activation(self.model)
        if head == "sigmoid":
            return np.concatenate([1.0 - out, out], axis=1) if out.shape[1] == 1 else out
        if head != "softmax":
            out = np.exp(out - out.max(1, keepdims=True))
            out /= out.sum(1, keepdims=True)
        return out

    def decode(self, probs, top: int = 5) -> list[list[tuple[int, str, float]]]:
        """Top-k ``(index, name, probability)`` per row of ``probs``."""
        probs = np.atleast_2d(np.asarray(probs))
        order = np.argsort(-probs, axis=1)[:, :top]
        return [[(int(i), self.class_names[i], float(row[i])) for i in idx] for row, idx in zip(probs, order)]

    def layer(self, name: str):
        """The Keras layer called ``name`` (clear error listing valid names otherwise)."""
        return get_layer(self.model, name)

    def class_index(self, name_or_index) -> int:
        """Class index from a name (exact, then unique prefix) or a checked index."""
        n = len(self.class_names)
        if isinstance(name_or_index, (int, np.integer)):
            if not 0 <= int(name_or_index) < n:
                raise ValueError(f"class index {name_or_index} out of range 0..{n - 1}")
            return int(name_or_index)
        text = str(name_or_index).lower()
        lowered = [c.lower() for c in self.class_names]
        if text in lowered:
            return lowered.index(text)
        hits = [i for i, c in enumerate(lowered) if c.startswith(text)]
        if len(hits) == 1:
            return hits[0]
        preview = ", ".join(self.class_names[:12]) + (" ..." if n > 12 else "")
        raise ValueError(f"unknown class {name_or_index!r} for {self.name}; classes: {preview}")

    @cached_property
    def logits_model(self):
        """A pre-softmax copy of the model (the original is left untouched)."""
        return without_softmax(self.model)

    def standalone_logits_model(self):
        """The pre-softmax model as a standalone Keras model, for other tools (tf-keras-vis, tf-explain ...).

        :attr:`logits_model` calls the model's own layers a second time (weights
        shared), so a tool that reads ``layer.output`` sees the first call and
        fails ("The name 'image' is used 2 times in the model"). This is a
        clone with its own layers, each called once, and the weights copied at
        the time of the call (it does not follow later ``set_weights``).
        """
        import keras

        def fresh(layer):  # a new layer of the same kind; the head run without its softmax becomes linear
            inner = getattr(layer, "inner", None)
            if inner is not None:
                return inner.__class__.from_config({**inner.get_config(), "activation": "linear", "name": layer.name})
            return layer.__class__.from_config(layer.get_config())

        source = self.logits_model
        clone = keras.models.clone_model(source, clone_function=fresh)
        clone.set_weights(source.get_weights())
        return clone

    @property
    def conv_layers(self) -> list[str]:
        """Names of the layers with 4-D (feature map) outputs that hold weights, plus ``layers["last_conv"]``.

        The Grad-CAM layer can be a weightless activation after the last one
        (``out_relu`` in MobileNetV2); it is listed last so panels can offer it.
        """
        names = conv_layer_names(self.model)
        last = self.layers.get("last_conv")
        return names + [last] if last and last not in names else names

    def sample_images(self) -> dict:
        """``{name: (image [h, w, 3] in [0, 1], class_index)}`` suited to this model."""
        return self.samples() if self.samples else {}


# ----------------------------------------------------------------- layers
# Lookup and rebuilding live in helpers._graph (nested models included); re-exported here.
from helpers._graph import (  # noqa: E402,F401
    as_model,
    binary_head,
    conv_layer_names,
    get_layer,
    graph_model,
    head_activation,
    last_conv_layer,
    layer_names,
    n_classes,
)


def ends_in_softmax(model) -> bool:
    """True if the model's final operation is a softmax."""
    return head_activation(model) == "softmax"


def ends_in_sigmoid(model) -> bool:
    """True if the model's final operation is a sigmoid (binary or multi-label head)."""
    return head_activation(model) == "sigmoid"


def without_softmax(model):
    """A model that returns the pre-softmax (or pre-sigmoid) scores, the logits, of ``model``.

    Built by :func:`helpers._graph.graph_model`: the new model calls the
    caller's own layers (weights shared, never copied, so it follows
    ``set_weights``), with the final softmax or sigmoid dropped, whether it is
    a separate layer or fused into the last one (``Dense(..., activation="softmax")``).
    A one-unit sigmoid :math:`\\sigma(z)` becomes two class scores
    :math:`[-z/2, z/2]` ("negative", "positive"), whose softmax is exactly
    :math:`[1-\\sigma(z), \\sigma(z)]`. The caller's model is never modified;
    models without a final softmax/sigmoid (and not nested) are returned as they are.
    """
    model = as_model(model)
    if not head_activation(model) and not _graph.is_nested(model):
        return model
    return graph_model(model, head="logits")


# ----------------------------------------------------------------- loaders

def load_keras_file(path: str | Path, class_names: list[str] | None = None, name: str | None = None,
                    preprocess: str | None = None) -> ModelSpec:
    """Load a user's ``.keras`` model with ``safe_mode=True`` and wrap it in a spec.

    An empty, truncated or non-zip file gets a plain message (a broken
    download, most often), not Keras' "File not found".
    """
    import zipfile

    import keras

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No model file at {path}.")
    broken = (f"{path} is not a Keras model (corrupt or incomplete download?): a .keras file is a zip archive, "
              "and this one {why}. Download or save it again (model.save('name.keras')).")
    if path.stat().st_size == 0:
        raise ValueError(broken.format(why="is empty"))
    if not zipfile.is_zipfile(path):
        raise ValueError(broken.format(why="is not one"))
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
            members = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValueError(broken.format(why=f"cannot be read ({exc})")) from exc
    if bad is not None or "config.json" not in members:
        raise ValueError(broken.format(why="is damaged" if bad else "holds no config.json"))
    model = keras.models.load_model(path, compile=False, safe_mode=True)
    return spec_for_model(model, class_names=class_names, name=name or path.stem, preprocess=preprocess)


def spec_for_model(model, class_names: list[str] | None = None, name: str | None = None,
                   preprocess: str | None = None) -> ModelSpec:
    """A :class:`ModelSpec` for any Keras image classifier.

    A model that takes something other than [0, 1] RGB (grayscale, 0..255, a
    keras.applications family's preprocessing) is wrapped by
    :func:`helpers.adapt.adapt`, which prints one line saying which convention
    is in force; ``preprocess=`` overrides what it detects.
    """
    from helpers.adapt import adapt

    if hasattr(model, "class_names") and hasattr(model, "model"):
        model = model.model
    model = adapt(model, preprocess=preprocess)
    shape = model.inputs[0].shape
    if len(shape) != 4 or shape[-1] != 3:
        raise ValueError(f"expected an image model with input [batch, h, w, 3] (or 1 channel for grayscale); "
                         f"got {tuple(shape)}")
    size = (int(shape[1] or 224), int(shape[2] or 224))
    convs = conv_layer_names(model)
    if not convs:
        raise ValueError(f"model {model.name!r} has no convolutional layers to visualise")
    n_out = n_classes(model)
    default = ["negative", "positive"] if binary_head(model) else [f"class {i}" for i in range(n_out)]
    names = list(class_names) if class_names is not None else default
    if binary_head(model) and len(names) == 1:  # the positive class named alone
        names = [f"not {names[0]}", names[0]]
    if len(names) != n_out:
        raise ValueError(f"{len(names)} class names for a model with {n_out} outputs")
    pick = lambda f: convs[min(len(convs) - 1, int(f * (len(convs) - 1)))]  # noqa: E731
    layers = {"early": convs[0], "middle": pick(0.5), "late": pick(0.8), "last_conv": last_conv_layer(model)}
    spec = ModelSpec(name=name or model.name, model=model, input_size=size, class_names=names, layers=layers,
                     dream_layers={pick(0.5): 1.0, convs[-1]: 1.0}, description=f"user model {model.name}")
    spec.samples = lambda: _predicted_samples(spec)
    return spec


def _predicted_samples(spec) -> dict:
    """The course's sample photos at the model's input size, each with the class the model predicts for it.

    A user's model has no labelled samples of its own, so the lessons explain its own decision.
    """
    photos = {k: images.resize(images.load_image(k), spec.input_size, crop=True) for k in images.SAMPLE_PHOTOS}
    probs = spec.predict(np.stack(list(photos.values())))
    return {k: (img, int(p.argmax())) for (k, img), p in zip(photos.items(), probs)}


def _shapes_samples(size: int = 64) -> dict:
    x, y, _ = shapes.make_shapes(64, seed=2024, size=size)
    out = {}
    for c, cname in enumerate(shapes.CLASS_NAMES):
        i = int(np.flatnonzero(y == c)[0])
        out[cname] = (x[i], c)
    return out


def load_shapes(which: str = "a") -> ModelSpec:
    """The course's offline shapes CNN (``which="b"``: the independent twin; ``"plain"``: model A's
    recipe without adversarial training, for comparison; ``"shortcut"`` and ``"honest"``: lesson 12's
    cheating model and its honest twin, see :mod:`helpers.shortcut`)."""
    import keras

    files = {"a": "shapes_cnn.keras", "b": "shapes_cnn_b.keras", "plain": "shapes_cnn_plain.keras",
             "shortcut": "shapes_cnn_shortcut.keras", "honest": "shapes_cnn_honest.keras",  # these two: lesson 12
             "repaired": "shapes_cnn_repaired.keras"}  # lesson 15 (helpers.repair)
    if which not in files:
        raise ValueError(f"unknown shapes model {which!r}; choose {', '.join(files)}")
    fname = files[which]
    path = config.data_path("models", fname)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; run `make train-shapes` to rebuild the shapes CNNs.")
    model = keras.models.load_model(path, compile=False, safe_mode=True)
    return ModelSpec(
        name="shapes" if which == "a" else f"shapes_{which}", model=model, input_size=(64, 64),
        class_names=list(shapes.CLASS_NAMES),
        layers={"early": "conv1", "middle": "conv2", "late": "conv3", "last_conv": "conv4", "logits": "logits"},
        dream_layers={"conv3": 1.0, "conv4": 0.5}, samples=_shapes_samples,
        description=f"offline shapes CNN ({model.count_params():,} parameters, 8 classes, 64x64 input)",
    )


def imagenet_class_names() -> list[str]:
    """The 1000 ImageNet class names, shipped in ``data/imagenet_classes.json``."""
    with open(config.data_path("imagenet_classes.json")) as fh:
        return [row["name"] for row in json.load(fh)]


def _photo_samples(size: tuple[int, int]) -> Callable[[], dict]:
    def samples() -> dict:
        return {k: (images.resize(images.load_image(k), size, crop=True), PHOTO_CLASSES[k]) for k in images.SAMPLE_PHOTOS}
    return samples


def weights_cached(arch: str) -> bool:
    cache = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models" / WEIGHT_FILES[arch]
    return cache.is_file()


def weights_reachable(arch: str, timeout: float = 3.0) -> tuple[bool, str]:
    """Whether ImageNet weights for ``arch`` are cached or downloadable (and why not)."""
    if weights_cached(arch):
        return True, "weights cached in ~/.keras/models"
    if os.environ.get("COURSE_OFFLINE", "").lower() in {"1", "true", "yes"}:
        return False, "they are not cached on this machine, and this session is set to work offline"
    url = WEIGHT_URL.format(arch=arch, file=WEIGHT_FILES[arch])
    try:
        req = urllib.request.Request(url, method="HEAD")
        with urllib.request.urlopen(req, timeout=timeout):  # noqa: S310
            return True, "weights downloadable"
    except Exception as exc:  # offline, DNS failure, firewall, ...
        return False, f"they are not cached in ~/.keras/models and the download failed ({type(exc).__name__})"


#: Full input side and the smallest side each ImageNet architecture accepts (Keras' ``min_size``).
IMAGENET_SIDES = {"vgg16": (224, 32), "inception_v3": (299, 75)}


def _imagenet(arch: str, weights, side: int | None = None) -> ModelSpec:
    """VGG16 or InceptionV3 taking [0, 1] RGB, softmax as a separate last layer (logits share weights).

    ``side``: build at another input side (random weights only: the ImageNet
    classifier heads need the full side); at least the architecture's minimum.
    """
    import keras

    from helpers.preprocessing import CaffePreprocess

    full, smallest = IMAGENET_SIDES[arch]
    side = full if side is None else max(int(side), smallest)
    if side != full and weights is not None:
        raise ValueError(f"{arch} with {weights!r} weights takes {full} px images only; side={side} needs random weights")
    size = (side, side)
    inputs = keras.Input((*size, 3), name="image")
    if arch == "vgg16":
        x = CaffePreprocess(name="caffe_preprocess")(inputs)
        builder = keras.applications.VGG16
        layers = {"early": "block1_conv1", "middle": "block3_conv1", "late": "block5_conv1", "last_conv": "block5_conv3"}
        dream = {"block4_conv3": 1.0, "block5_conv1": 1.0}
    else:
        x = keras.layers.Rescaling(2.0, offset=-1.0, name="to_minus1_1")(inputs)
        builder = keras.applications.InceptionV3
        layers = {"early": "conv2d_2", "middle": "mixed2", "late": "mixed7", "last_conv": "mixed10"}
        dream = {"mixed3": 1.0, "mixed5": 1.5}
    try:
        model = builder(weights=weights, include_top=True, input_tensor=x, classifier_activation=None)
    except Exception as exc:
        if weights == "imagenet":
            raise WeightsUnavailableError(
                f"Could not get the ImageNet weights for {arch}: {exc}. This machine seems to be offline. "
                f"Use load_model('shapes') for the offline course model, COURSE_WEIGHTS=random to test the "
                f"code path, or copy {WEIGHT_FILES[arch]} into ~/.keras/models/."
            ) from exc
        raise
    probs = keras.layers.Activation("softmax", name="probs")(model.output)
    model = keras.Model(inputs, probs, name=arch)
    layers["logits"] = "predictions"
    kind = "ImageNet" if weights == "imagenet" else "random"
    return ModelSpec(name=arch, model=model, input_size=size, class_names=imagenet_class_names(), layers=layers,
                     dream_layers=dream, samples=_photo_samples(size),
                     description=f"{arch} with {kind} weights, {side}x{side} input")


#: Environment variables of the course-wide model switch (read by ``load_model("auto")``).
MODEL_ENV, WEIGHTS_ENV = "COURSE_MODEL", "COURSE_WEIGHTS"
OTHER_MODEL_NOTE = ("The text of the lessons describes the shapes CNN; with this model the pictures and numbers "
                    "are its own, and the lesson's checked figures are not checked.")
RANDOM_NOTE = ("random weights (COURSE_WEIGHTS=random): this run tests the code path offline; "
               "its pictures and numbers mean nothing")


def course_weights() -> str:
    """``COURSE_WEIGHTS``: ``"imagenet"`` (default) or ``"random"``; anything else is refused."""
    value = os.environ.get(WEIGHTS_ENV, "").strip().lower() or "imagenet"
    if value not in ("imagenet", "random"):
        raise ValueError(f"{WEIGHTS_ENV}={value!r}; choose imagenet or random")
    return value


def course_model() -> str:
    """``COURSE_MODEL``: ``auto`` (default), ``shapes``, ``vgg16``, ``inception_v3`` or a ``.keras`` path."""
    return os.environ.get(MODEL_ENV, "").strip() or "auto"


def _fast_side(arch: str) -> int:
    """Input side of a random-weight ImageNet model under the switch: the fast-mode image cap in fast mode."""
    return config.size(IMAGENET_SIDES[arch][0])


def load_model(name: str = "auto", weights="auto", verbose: bool = True) -> ModelSpec:
    """Load a model of the zoo by name, or a ``.keras`` file by path.

    Args:
      name: ``"shapes"`` (offline, the model every lesson's text describes),
        ``"shapes_b"`` (its independent twin), ``"shapes_plain"`` (model A's
        recipe without adversarial training), ``"shapes_shortcut"`` / ``"shapes_honest"``
        (lesson 12's tag-reading cheat and its twin), ``"vgg16"``, ``"inception_v3"``,
        ``"auto"`` or a path to a ``.keras`` file (loaded with ``safe_mode``).
        ``"auto"`` is the shapes CNN, unless the course-wide switch
        ``COURSE_MODEL`` names another model (``shapes``, ``vgg16``,
        ``inception_v3`` or a path); then it prints one line saying that the
        lesson's text describes the shapes CNN. For a real ImageNet network
        beside the shapes CNN, see :func:`load_imagenet`.
      weights: for the ImageNet models, ``"imagenet"``, ``None`` (random), a
        path to a weights file, or ``"auto"``: ``COURSE_WEIGHTS`` (``imagenet``
        by default, ``random`` to test the code path offline: nothing downloads;
        in fast mode the random-weight model is then built at the fast-mode
        image side, at least the architecture's minimum: 32 px VGG16, 75 px InceptionV3).
      verbose: print one line when ``auto`` follows ``COURSE_MODEL``, and one
        when the weights are random because of ``COURSE_WEIGHTS``.
    """
    spec = _load_model(name, weights, verbose)
    from helpers import claims

    claims.about_model(spec.name)  # a lesson's claims describe the shapes CNNs; on another model they rest
    return spec


def _load_model(name: str = "auto", weights="auto", verbose: bool = True) -> ModelSpec:
    """What :func:`load_model` loads, before it tells the claims."""
    key = str(name).lower()
    from_env = weights == "auto" and course_weights() == "random"
    if weights == "auto":
        weights = None if from_env else "imagenet"
    if key == "auto":
        chosen = course_model()
        if chosen.lower() in ("auto", "shapes", "shapes_a"):
            return load_shapes("a")
        if verbose:
            print(f"Using {chosen} ({MODEL_ENV}={chosen}).", end=" ")
        name, key = chosen, chosen.lower()
    if key in ("shapes", "shapes_a"):
        return load_shapes("a")
    if key in ("shapes_b", "shapes_plain", "shapes_shortcut", "shapes_honest", "shapes_repaired"):
        return load_shapes(key.split("_")[1])
    if verbose and (key in IMAGENET_SIDES or key.endswith(".keras") or Path(str(name)).is_file()):
        print(OTHER_MODEL_NOTE)
    if key in ("vgg16", "inception_v3"):
        if from_env and verbose:
            print(f"{key}: {RANDOM_NOTE}.")
        return _imagenet(key, weights, side=_fast_side(key) if from_env else None)
    if key.endswith(".keras") or Path(str(name)).is_file():
        return load_keras_file(name)
    raise ValueError(f"unknown model {name!r}; choose shapes, shapes_b, shapes_plain, vgg16, inception_v3, auto or a .keras path "
                     "(lesson 12 also has shapes_shortcut and shapes_honest, lesson 15 shapes_repaired)")


#: How each ImageNet architecture is called in what a learner reads.
DISPLAY = {"vgg16": "VGG16", "inception_v3": "InceptionV3"}


def load_imagenet(arch: str = "vgg16", verbose: bool = True) -> ModelSpec | None:
    """A real ImageNet network for a lesson's closing section, or ``None`` with one line saying why not.

    Every lesson's main thread runs on the shapes CNN; its last section shows
    the same helpers on VGG16 (InceptionV3 for DeepDream). That section runs
    when the ImageNet weights are cached or downloadable (Colab, any machine
    online) and is skipped, with one printed line, when they are not (offline,
    or ``COURSE_OFFLINE=1``). ``COURSE_WEIGHTS=random`` gives the architecture
    with random weights (small input in fast mode): the code runs, its
    pictures mean nothing, and nothing downloads.

    Args:
      arch: ``"vgg16"`` or ``"inception_v3"``.
      verbose: print the one line.
    """
    key = str(arch).lower()
    if key not in IMAGENET_SIDES:
        raise ValueError(f"unknown ImageNet network {arch!r}; choose one of {sorted(IMAGENET_SIDES)}")
    label = DISPLAY[key]
    say = print if verbose else (lambda *_: None)
    if course_weights() == "random":
        say(f"{label} with random weights (COURSE_WEIGHTS=random): this section's code runs, "
            "but its pictures and numbers mean nothing.")
        return _imagenet(key, None, side=_fast_side(key))
    ok, why = weights_reachable(key)
    if not ok:
        say(f"This section needs {label}'s ImageNet weights, which cannot be fetched here: {why}. "
            "It is skipped; on Colab or any machine online it runs.")
        return None
    try:
        spec = _imagenet(key, "imagenet")
    except WeightsUnavailableError as exc:
        say(f"This section is skipped: {exc}")
        return None
    say(f"{label} with its ImageNet weights ({why}).")
    return spec
