# %% [markdown]
# # 01 · Intermediate activations
#
# A convolutional network turns an image into a stack of **feature maps**, one
# per filter, layer after layer. The simplest way to see what it has learned is
# to look at those maps.
#
# **What you'll do**
# * pull the feature maps of any layer out of a trained network;
# * tile them into a grid and compare the layers, from first to last;
# * measure how their size, number and sparsity change with depth;
# * lay single maps over the image as masks, to see what each filter lights up.
#
# **What you'll learn**
# * what one number in a feature map means, by computing it by hand;
# * the "information distillation pipeline": early layers keep a lot of
#   the image, later ones keep less of it, but more abstractly.
#
# **What you'll need:** lesson 00.

# %% [markdown]
# ## Parameters

# %%
MODEL = "auto"          # "auto" picks VGG16 online, the shapes CNN offline
IMAGE = None            # a sample name (see below), a path or a URL; None = first sample
N_STATS = 64            # images used to measure sparsity
SEED = 0

# %%
import numpy as np
from helpers import activations, config, images, plotting, shapes
from helpers.models import load_model

spec = load_model(MODEL)
samples = spec.sample_images()
print("samples:", ", ".join(samples))
name = IMAGE if IMAGE in samples else next(iter(samples))
img = samples[name][0] if IMAGE is None or IMAGE in samples else spec.preprocess(IMAGE)[0]
plotting.show_image(img, name, size=3)

# %% [markdown]
# ## 1. What is in a feature map?
#
# A convolution layer with $K$ filters of size $3\times3$ computes, for every
# position $(i, j)$ and filter $k$,
#
# $$A_{i,j,k} = \mathrm{ReLU}\Big(b_k + \sum_{u=-1}^{1}\sum_{v=-1}^{1}\sum_{c} W_{u,v,c,k}\, x_{i+u,\,j+v,\,c}\Big)$$
#
# so $A_{i,j,k}$ says how strongly the pattern stored in filter $k$ is present
# around $(i, j)$. The ReLU sets every negative response to exactly zero. A
# $2\times2$ max pooling then keeps the largest value of each $2\times2$ block,
# halving the height and width.
#
# Let's check the formula by hand on the first layer, then ask Keras.

# %%
first = spec.layers["early"]
layer = spec.layer(first)
params = [np.asarray(w) for w in layer.get_weights()]
flat = layer in spec.model.layers  # not inside a nested base model
if len(params) == 2 and flat and layer.get_config().get("activation") == "relu" and params[0].shape[:2] == (3, 3):
    W, b = params
    print(f"{first}: kernel {W.shape} (height, width, in-channels, filters), bias {b.shape}")
    # The first layer sees the model's own preprocessing of the image: run the
    # layers before it to get exactly what it sees.
    before = spec.model.layers[spec.model.layers.index(layer) - 1].name
    x_in = activations.get_activations(spec.model, img[None], before)[before][0]
    i, j, k = 10, 12, 0
    patch = x_in[i - 1:i + 2, j - 1:j + 2, :]                        # the 3x3 neighbourhood
    by_hand = max(0.0, float(np.sum(patch * W[:, :, :, k]) + b[k]))   # the formula above
    by_keras = activations.get_activations(spec.model, img[None], first)[first][0, i, j, k]
    print(f"A[{i},{j},{k}] by hand = {by_hand:.5f}, by Keras = {by_keras:.5f}")
else:
    print(f"{first} is not a plain 3x3 convolution with bias and ReLU at the top level of this model "
          "(a nested base, or a BatchNorm after the convolution), so the by-hand check does not apply here.")

# %% [markdown]
# ## 2. Feature maps of a whole layer, from scratch and with the helper
#
# To read intermediate outputs, build a second Keras model with the same input
# and the layers you want as outputs. It shares the weights; nothing is copied
# or changed.

# %%
import keras
layer_names = spec.conv_layers
# For a flat model this is keras.Model(spec.model.inputs[0], [spec.layer(n).output for n in layer_names]);
# activations.feature_model builds the same and also reaches inside a nested base model.
probe = activations.feature_model(spec, layer_names)
outs = probe(img[None], training=False)
for n, a in zip(layer_names, outs):
    print(f"{n:>14}: {tuple(a.shape)}")

# %% [markdown]
# `helpers.activations.get_activations` does the same in batches and returns
# a dict. `activation_grid` tiles the maps, each scaled on its own so that
# weak and strong filters are equally visible (a map that is zero everywhere
# shows as one flat colour). Below, for every conv layer, the 16 maps with
# the highest mean activation on this image, all drawn at the same size
# whatever their resolution (the tile size is in the title).

# %%
shown = spec.conv_layers if len(spec.conv_layers) <= 4 else [spec.layers[k] for k in ("early", "middle", "late", "last_conv")]
acts = activations.get_activations(spec.model, img[None], shown)
grids = [activations.activation_grid(acts[n][0], channels=activations.top_channels(acts[n][0], k=16), cols=4)
         for n in shown]
plotting.image_grid([g.image for g in grids], [f"{n}: 16 most active of {acts[n].shape[-1]}, {g.tile[0]}×{g.tile[1]}"
                                               for n, g in zip(shown, grids)], cols=len(shown), cell=3.0)

# %% [markdown]
# The first layer's maps are as large as the image and still look like it:
# some light up the whole object (its colour), others only its outline.
# With depth the maps get coarser, and many fire on one part of the
# outline (an arc on one side of the circle) or on the background around
# the object rather than on its pixels. Compare with the image at the top
# of the notebook.

# %% [markdown]
# ## 3. Size, count and sparsity with depth
#
# Measure it over many images: the height of each layer's maps, how many maps
# there are, and the fraction of activations that are exactly zero.

# %%
if spec.name.startswith("shapes"):
    batch, labels, _ = shapes.make_shapes(config.samples(N_STATS), seed=SEED)
else:
    batch = np.stack([im for im, _ in samples.values()])
    labels = np.array([c for _, c in samples.values()])
stats = activations.layer_statistics(spec.model, batch)
for s in stats:
    print(f"{s['layer']:>14}: {s['height']:>3}x{s['width']:<3} x {s['channels']:>4} maps, {s['zeros']:.0%} zeros")
plotting.bar_chart([s["layer"] for s in stats], [s["zeros"] for s in stats],
                   title="fraction of exactly-zero activations", ylabel="zeros", ylim=(0, 1))

# %% [markdown]
# %%
from helpers.claims import claim
if spec.name.startswith("shapes"):
    zeros = {s["layer"]: s["zeros"] for s in stats}
    claim("conv1 zero fraction (about half)", zeros["conv1"], between=(0.4, 0.65))
    claim("conv2 zero fraction (about four fifths)", zeros["conv2"], between=(0.72, 0.9))
    claim("conv3 zero fraction (about four fifths)", zeros["conv3"], between=(0.72, 0.9))
    claim("conv4 denser than conv3", zeros["conv4"] < zeros["conv3"] - 0.05)

# %% [markdown]
# Maps shrink and multiply with depth, and past the first layer most of them
# are silent: each deeper filter responds to something more specific. On the
# shapes CNN about half of the first layer's activations are zero and about
# four fifths of `conv2`'s and `conv3`'s. The very last convolution is
# denser again: it feeds global average pooling, which needs evidence spread
# over the whole map. Don't take a slogan for a law: measure.

# %% [markdown]
# ## 4. Which filters care about which class?
#
# Average each last-layer map over the image, then over all images of a
# class, and scale each column (channel) to its maximum. The brightest cell
# of a column is the class that channel fires for most.

# %%
if spec.name.startswith("shapes"):
    means = activations.class_channel_means(spec.model, batch, labels, spec.layers["last_conv"], len(spec.class_names))
    means = means / np.maximum(means.max(0, keepdims=True), 1e-9)
    fig = plotting.matrix_plot(means, xlabel=f"{spec.layers['last_conv']} channel", ylabel="class",
                               yticklabels=spec.class_names,
                               title="mean activation per class (each channel scaled to its maximum)")
else:
    fig = None
fig

# %% [markdown]
# ## 5. Activations as masks
#
# A grid of maps is abstract. Laying one map over the image, as a mask,
# shows what the filter lights up: the brighter the region, the stronger the
# filter fires there. Here are the eight maps of the late layer with the
# highest mean on this image: on the circle most of them light a rim of the
# disc, and a few the background beside it.

# %%
late_name = spec.layers["late"]
act = activations.get_activations(spec.model, img[None], late_name)[late_name][0]
top = activations.top_channels(act, k=8)
plotting.image_grid([img] + [activations.activation_mask(img, act[..., c]) for c in top],
                    [name] + [f"{late_name} #{c}" for c in top], cols=5, cell=2.2)

# %% [markdown]
# ## 6. Explore
# Choose an image (or upload your own), a layer and a range of channels;
# switch between the grid and the masks. The panel updates as you move the
# controls.

# %%
from helpers.widgets.activations import ActivationsPanel
panel = ActivationsPanel(spec, layer=spec.layers["middle"])
panel.run()
panel

# %% [markdown]
# ## Exercise
# The fractions above are averages over all classes. Does the class matter?
# Compute the fraction of exactly-zero activations of layer `ex_layer` on
# the images of class `ex_class` **only** (a number between 0 and 1), then
# compare it with the whole batch.

# %%
from helpers.exercises.lesson01 import class_sparsity_exercise
ex_layer, ex_class = spec.layers["late"], int(labels[0])
print(f"layer {ex_layer}, class {ex_class} ({spec.class_names[ex_class]}): "
      f"{int(np.sum(labels == ex_class))} of the {len(batch)} images")
q_class_zeros = class_sparsity_exercise(spec.model, batch, labels, ex_layer, ex_class, spec.class_names[ex_class])
answer = None   # your fraction here
q_class_zeros.check(answer);

# %% [markdown]
# `q_class_zeros.hint()` and `q_class_zeros.solution()` are there if you need them.

# %% [markdown]
# ## Summary
# * A feature map $A_{:,:,k}$ says where filter $k$'s pattern occurs; the
#   ReLU makes most of its values exactly zero.
# * A second Keras model that outputs inner layers reads them without
#   changing the network.
# * With depth, maps get smaller, more numerous and (mostly) sparser: the
#   network distils the image into fewer, more abstract signals.
# * Laying a map over the image as a mask shows what a filter lights up.
#
# ## On your own
# * Compare the masks of the same channel on two different classes.
# * Find a channel of the last layer that fires for exactly one class in the
#   class-by-channel picture, and check it with masks.
#
# ## Further reading
# * F. Chollet, *Deep Learning with Python*, §9.4 "Interpreting what convnets learn".
# * M. Zeiler, R. Fergus, *Visualizing and Understanding Convolutional Networks*, ECCV 2014.
