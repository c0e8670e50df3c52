# %% [markdown]
# # 00 · Setup and tour
#
# Welcome to **What CNNs See**. Over ten short lessons you will open up a
# convolutional network and look at what it has learned: its feature maps, the
# images its filters and classes dream of, where it looks when it decides, and
# how far we can trust those pictures.
#
# **What you'll do**
# * check that your environment works;
# * meet the two models of the course: the small offline *shapes CNN* and,
#   when you are online, *VGG16* trained on ImageNet;
# * run both on images and read their top predictions.
#
# **What you'll learn**
# * why the course ships its own model and data, and what the ground-truth
#   masks are for;
# * what a *model spec* is, and how it keeps every lesson model-agnostic.
#
# **What you'll need:** nothing beyond the setup cell above. No GPU, no internet.

# %% [markdown]
# ## Parameters
# Change these and re-run the notebook. `MODEL = "auto"` uses VGG16 when its
# ImageNet weights are available and the offline shapes CNN otherwise;
# `"shapes"` forces the offline model.

# %%
MODEL = "auto"        # "auto", "shapes", "vgg16" or "inception_v3"
N_SHAPES = 16         # how many shapes images to look at
SEED = 0              # every random choice in the course takes a seed

# %% [markdown]
# ## 1. Check the environment
# One line per component. A ✗ tells you what to install; on Colab, re-run the
# setup cell.

# %%
from helpers import environment
print(environment.report())

# %% [markdown]
# ## 2. The shapes world
#
# ImageNet models need a download of half a gigabyte of weights. So the course
# also brings a world of its own: images of eight kinds of shapes, drawn by a
# program at a random position, size and colour on a smooth, noisy
# background. Because the program drew every object, it also knows exactly
# which pixels belong to it: every image comes with a **mask**. Later lessons
# use the masks to *measure* whether a heatmap points at the object, something
# you cannot do with a photo of a cat.

# %%
import numpy as np
from helpers import config, plotting, shapes

x, y, masks = shapes.make_shapes(config.samples(N_SHAPES), seed=SEED)
print(f"images {x.shape} {x.dtype} in [{x.min():.2f}, {x.max():.2f}]; labels {y.shape}; masks {masks.shape}")
plotting.image_grid(list(x[:8]) + list(masks[:8]), [shapes.CLASS_NAMES[i] for i in y[:8]] + ["mask"] * 8,
                    cols=8, cell=1.6, cmap="gray")

# %% [markdown]
# The same seed always draws the same images, so a figure in this notebook
# is the figure you will get at home. Try another `SEED`.

# %% [markdown]
# ## 3. The model spec
#
# `load_model` returns a **spec**: the Keras model plus everything a lesson
# needs to know about it (input size, class names, which layers to look at,
# sample images). Every model in the course takes RGB images with values in
# [0, 1] and does its own preprocessing inside, so the lessons never need to
# know which model they run on.

# %%
from helpers.models import load_model

spec = load_model(MODEL)
print(spec.description)
print("input size:", spec.input_size, "| classes:", len(spec.class_names))
print("layers the lessons use:", spec.layers)

# %%
spec.model.summary(line_length=90)

# %% [markdown]
# Read the summary from the top. A `Rescaling` layer maps the [0, 1] input to
# [−1, 1]. Then come two blocks of *3×3 convolution → ReLU → 2×2 max pooling*
# (`conv1` with 16 filters, `conv2` with 32), each pooling halving the side:
# 64 → 32 → 16. Two more 3×3 convolutions with 64 filters each, `conv3` and
# `conv4`, work at 16×16 with no pooling between them ("same" padding keeps
# the size). Global average pooling turns each of `conv4`'s maps into one
# number, and a dense layer with a softmax turns those into class
# probabilities: the pattern of VGG16, in miniature. The model was trained
# (`make train-shapes`) on images pushed slightly toward its own mistakes
# (adversarial training; lesson 03 shows why that matters).
#
# Its last layer is a **softmax**, as in `keras.applications` models:
#
# $$p_c = \frac{e^{z_c}}{\sum_{c'} e^{z_{c'}}}$$
#
# where $z$ are the *logits*, the scores before the softmax. Several lessons
# will insist on using $z_c$ rather than $p_c$; `spec.logits_model` is a copy
# of the model that stops before the softmax (the original is never changed).

# %% [markdown]
# ## 4. Predictions, from scratch and with the helper
# A prediction is a forward pass and a sort. First by hand, the three best
# classes of each sample image:

# %%
samples = spec.sample_images()
names = list(samples)
batch = np.stack([samples[n][0] for n in names])
probs = np.asarray(spec.model(batch, training=False))      # forward pass: [n, classes]
top3 = np.argsort(-probs, axis=1)[:, :3]                   # indices of the 3 largest
for n, row, p in zip(names, top3, probs):
    print(f"{n:>20}: " + ", ".join(f"{spec.class_names[i]} {p[i]:.2f}" for i in row))

# %% [markdown]
# And with the helper, which does the same thing (titles: the top class and
# its probability; the bars: the top five probabilities of the first image):

# %%
decoded = spec.decode(spec.predict(batch), top=5)
plotting.image_grid(list(batch), [f"{d[0][1]} ({d[0][2]:.0%})" for d in decoded], cols=4, cell=2.2)

# %%
plotting.topk_bars(decoded[0], title=f"top-5 class probabilities for '{names[0]}'")

# %% [markdown]
# How good is the shapes CNN? Accuracy on images it has never seen (a fresh
# seed). The same figure comes out of `python -m helpers.evaluate accuracy`.

# %%
from helpers.train import accuracy
acc = accuracy(load_model("shapes").model, n=config.samples(2000), seed=777_001)
print(f"accuracy on fresh shapes: {acc:.3f}")

# %% [markdown]
# ## 5. VGG16
#
# VGG16's *architecture* needs no download: `weights=None` builds it with
# random weights, which is enough to read its architecture: thirteen 3×3
# convolutions in five blocks, each block ending in a 2×2 max pooling (the
# side halves from block to block below), then three dense layers. Compare
# its parameter count with the shapes CNN's total in the summary above.

# %%
vgg_arch = load_model("vgg16", weights=None)
conv_shapes = [(n, tuple(vgg_arch.layer(n).output.shape[1:])) for n in vgg_arch.conv_layers]
print(f"{vgg_arch.model.count_params():,} parameters; input {vgg_arch.input_size}")
for n, shp in conv_shapes:
    print(f"{n:>14}: {shp}")
del vgg_arch

# %% [markdown]
# With internet access, `load_model("vgg16")` loads the ImageNet weights
# (about half a gigabyte, downloaded once into `~/.keras/models`) and classifies the course's
# sample photos below. Offline, this cell only shows the photos.

# %%
from helpers import images
photos = {name: images.load_image(name, size=224) for name in images.SAMPLE_PHOTOS}
plotting.image_grid(list(photos.values()), list(photos), cols=6, cell=1.8)

# %%
from helpers.models import weights_reachable
ok, why = weights_reachable("vgg16")
if ok:
    vgg = load_model("vgg16")
    vbatch = np.stack(list(photos.values()))
    for name, top in zip(photos, vgg.decode(vgg.predict(vbatch), top=5)):
        print(f"{name:>10}: " + ", ".join(f"{n} {p:.2f}" for _, n, p in top))
else:
    print(f"VGG16 skipped: {why}.")

# %% [markdown]
# ## 6. Explore: a first panel
# Every lesson has a panel like this one. Pick an image and a layer and see
# its feature maps: the subject of the next lesson. Press **Run** (or move a
# control) to update it.

# %%
from helpers.widgets.activations import ActivationsPanel
panel = ActivationsPanel(spec)
panel.run()
panel

# %% [markdown]
# ## Exercise
# The convolutions and poolings do not care about the image size: the same
# layers would run on a bigger image. If you fed the network a **128×128**
# image, what height would the feature maps of its last convolution
# (`spec.layers["last_conv"]`) have? Work it out from the summary, replace
# `None` with your number and run the cell.

# %%
from helpers.exercises.lesson00 import feature_size_exercise
q_size = feature_size_exercise(spec, side=128)
answer = None   # your answer here
q_size.check(answer);

# %% [markdown]
# Stuck? `q_size.hint()` gives a hint, `q_size.solution()` the answer.

# %% [markdown]
# ## Summary
# * The course runs anywhere, offline, on its own shapes world and CNN; online
#   it uses VGG16 and InceptionV3 with ImageNet weights.
# * Every shapes image has a ground-truth mask, so later lessons can measure
#   the quality of their maps.
# * A *spec* carries the model and what lessons need; the original model is
#   never modified.
# * A classifier's last layer is a softmax over *logits*; keep that in mind.
#
# ## On your own
# * Draw 1000 shapes and count the classes: is the dataset balanced?
# * Print `spec.layers` for `load_model("vgg16", weights=None)`: a VGG16 with
#   random weights needs no download.
#
# ## Further reading
# * K. Simonyan, A. Zisserman, *Very Deep Convolutional Networks for
#   Large-Scale Image Recognition*, 2014 (VGG16).
# * F. Chollet, *Deep Learning with Python*, chapter 9: interpreting what
#   convnets learn.
