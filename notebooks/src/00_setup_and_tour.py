# %% [markdown]
# # 00 · Setup and tour
#
# Welcome to **What CNNs See**. In short lessons, one idea each, you will open
# up a convolutional network and look at what it has learned:
#
# * **inside the network:** 01 feature maps, 02 what a filter wants to see,
#   03 what a class wants to see, 04 how to judge those class images;
# * **where it looks:** 05 saliency, 06 guided backprop, 07 Grad-CAM and the
#   CAM family, 08 DeepDream, 09 t-SNE of its features;
# * **how far to trust the pictures:** 10 can we trust these maps?,
#   11 perturbation and faithfulness, 12 the tank story (a model that
#   cheats), 13 what a unit means (dataset examples, dissection, TCAV),
#   14 fool it, then fix it (adversarial examples, repairing the cheat).
#
# The main thread of every lesson runs on the course's own small **shapes
# CNN**, here and on Colab alike, so that what the text says is what you see.
# Each lesson then closes with a short section, "On a real ImageNet network",
# that runs the same tools on VGG16 (InceptionV3 for DeepDream) when its
# ImageNet weights can be reached (on Colab, or any machine online).
#
# **What you'll do**
# * check that your environment works;
# * meet the shapes world and the shapes CNN, and read its predictions;
# * (online) meet VGG16 and classify photos with it.
#
# **What you'll learn**
# * why the course ships its own model and data, and what the ground-truth
#   masks are for;
# * what a *model spec* is, and how it keeps the lessons' code model-agnostic.
#
# **What you'll need:** nothing beyond the setup cell above. No GPU; internet
# only for the closing VGG16 section.

# %% [markdown]
# ## Parameters
# Change these and re-run the notebook.

# %%
MODEL = "auto"        # the shapes CNN; "vgg16" etc. runs sections 3-5 on another model (the text describes the shapes CNN)
N_SHAPES = 8          # how many shapes images to draw and show, each above its mask
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
# An ImageNet model needs its trained weights downloaded (VGG16's weigh
# about 530 MB, InceptionV3's about 90 MB), and its photos come with no
# record of which pixels show the object. So the course brings a world of
# its own: images of eight kinds of shapes, drawn by a
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
plotting.image_grid(list(x) + list(masks), [shapes.CLASS_NAMES[i] for i in y] + ["mask"] * len(x),
                    cols=len(x), cell=1.6, cmap="gray")

# %% [markdown]
# The same seed always draws the same images, so a figure in this notebook
# is the figure you will get at home. Try another `SEED`.

# %% [markdown]
# ## 3. The model spec
#
# `load_model` returns a **spec**: the Keras model plus everything a lesson
# needs to know about it (input size, class names, which layers to look at,
# sample images). Every model in the course takes RGB images with values in
# [0, 1] and does its own preprocessing inside, so the lessons' code runs
# unchanged on any of them.

# %%
from helpers.models import load_model

spec = load_model(MODEL)
print(spec.description)
print("input size:", spec.input_size, "| classes:", len(spec.class_names))
print("layers the lessons use:", spec.layers)

# %% [markdown]
# The model's layers, one per line (`spec.model.summary()` prints the same
# with more decoration):

# %%
print(f"{'layer':<14}{'type':<24}{'output shape':<22}{'parameters':>10}")
for lay in spec.model.layers:
    print(f"{lay.name:<14}{type(lay).__name__:<24}{str(tuple(lay.output.shape[1:])):<22}{lay.count_params():>10,}")
print(f"{'total':<60}{spec.model.count_params():>10,}")

# %% [markdown]
# Read the table from the top. A `Rescaling` layer maps the [0, 1] input to
# [−1, 1]. Then come two blocks of *3×3 convolution → ReLU → 2×2 max
# pooling* (`conv1` with 16 filters, `conv2` with 32). A convolution with
# 16 filters outputs 16 **feature maps**: one 2-D grid per filter, saying
# how strongly that filter responds at each place in the image. The ReLU
# (rectified linear unit, $\max(0, \cdot)$) keeps the positive responses
# and sets the rest to zero. Each pooling halves the side: 64 → 32 → 16. Two more 3×3 convolutions with 64 filters each, `conv3` and
# `conv4`, work at 16×16 with no pooling between them ("same" padding keeps
# the size). Global average pooling turns each of `conv4`'s maps into one
# number, and a dense layer with a softmax turns those into class
# probabilities. The stacked 3×3 convolutions and 2×2 poolings follow VGG
# (Simonyan & Zisserman 2014); the ending does not: VGG16 flattens its last
# maps into three large dense layers, while the shapes CNN averages each map
# (global average pooling, as in Lin et al. 2013's *Network in Network*).
# The model was trained on images pushed slightly toward its own mistakes
# (adversarial training; lessons 04 and 14 come back to why that matters).
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
# its probability):

# %%
decoded = spec.decode(spec.predict(batch), top=5)
plotting.image_grid(list(batch), [f"{d[0][1]} ({d[0][2]:.0%})" for d in decoded], cols=4, cell=2.2)

# %% [markdown]
# The probabilities come from logits. For the first image, its logits from
# `spec.logits_model`, and the softmax of them computed by hand:

# %%
z = np.asarray(spec.logits_model(batch[:1], training=False))[0]
p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()      # softmax (shifted by the largest logit: same result)
for i in np.argsort(-z)[:5]:
    print(f"{spec.class_names[i]:>20}: logit {z[i]:7.2f}   probability {p[i]:.3f}")
print(f"The softmax of the logits matches the model's probabilities to within "
      f"{np.abs(p - probs[0]).max():.0e}.")
plotting.topk_bars(decoded[0], title=f"top-5 class probabilities for '{names[0]}'")

# %% [markdown]
# A gap of a few logits becomes a gap of many times in probability:
# $p_c / p_{c'} = e^{z_c - z_{c'}}$. The probabilities saturate near 0 and
# 1 while the logits still differ; that is why later lessons explain the
# logit $z_c$ rather than $p_c$.

# %% [markdown]
# How good is the shapes CNN? Accuracy on images it has never seen (a fresh
# seed). This cell always measures the shapes CNN, whatever `MODEL` says:
# only it was trained on shapes.

# %%
from helpers.train import accuracy
acc = accuracy(load_model("shapes").model, n=config.samples(2000), seed=777_001)
print(f"The shapes CNN classifies {acc:.1%} of {config.samples(2000)} fresh shapes images correctly.")

# %% [markdown]
# ## 5. Explore: a first panel
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
# (`spec.layers["last_conv"]`) have? Work it out from the table above (no
# need to build anything), replace `None` with a whole number and run the
# cell. Stuck? `q_size.hint()` gives a hint, `q_size.solution()` the answer.

# %%
from helpers.exercises.lesson00 import feature_size_exercise
q_size = feature_size_exercise(spec, side=128)
answer = None   # your answer here
q_size.check(answer);

# %% [markdown]
# ## On a real ImageNet network
#
# VGG16 (Simonyan & Zisserman 2014) was trained on the 1.2 million photos of
# ImageNet's 1000 classes. Its thirteen 3×3 convolutions come in five
# blocks, each ending in a 2×2 max pooling, so the side halves from block to
# block; three dense layers follow. Below: its parameter count (compare with
# the shapes CNN's total above), the output shape of each convolution, and
# its top five classes for the course's sample photos. Offline, the next
# cell says in one line why it is skipped.

# %%
from helpers.models import load_imagenet
net = load_imagenet("vgg16")
if net is not None:
    print(f"{net.model.count_params():,} parameters; input {net.input_size}")
    for n in net.conv_layers:
        print(f"{n:>14}: {tuple(net.layer(n).output.shape[1:])}")
    photos = net.sample_images()
    vbatch = np.stack([im for im, _ in photos.values()])
    for pname, top in zip(photos, net.decode(net.predict(vbatch), top=5)):
        print(f"{pname:>10}: " + ", ".join(f"{n} {p:.2f}" for _, n, p in top))
    display(plotting.image_grid(list(vbatch), list(photos), cols=len(photos), cell=2.0))

# %% [markdown]
# ## Summary
# * The main thread of every lesson runs on the course's own shapes world
#   and CNN, anywhere, offline; each lesson ends with the same tools on
#   VGG16 (InceptionV3 for DeepDream) when ImageNet weights can be reached.
# * Every shapes image has a ground-truth mask, so later lessons can measure
#   the quality of their maps.
# * A *spec* carries the model and what lessons need; the original model is
#   never modified.
# * A classifier's last layer is a softmax over *logits*; the probabilities saturate where the logits do not,
#   which is why later lessons explain logits.
#
# ## On your own
# * Draw 1000 shapes and count the classes: is the dataset balanced?
# * Print `spec.layers` for `load_model("vgg16", weights=None)`: a VGG16 with
#   random weights needs no download, and its architecture is all there.
#
# ## Further reading
# * K. Simonyan, A. Zisserman, *Very Deep Convolutional Networks for
#   Large-Scale Image Recognition*, 2014 (VGG16).
# * M. Lin, Q. Chen, S. Yan, *Network in Network*, 2013 (global average pooling).
# * F. Chollet, *Deep Learning with Python*, chapter 9: interpreting what
#   convnets learn.
