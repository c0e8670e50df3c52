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
# * lay single maps over the image, to see what each filter lights up.
#
# **What you'll learn**
# * what one number in a feature map means, by computing it by hand;
# * how the maps change with depth: from the object's colour and outline to
#   coarse rings and parts of it, in more and smaller maps.
#
# **What you'll need:** lesson 00.

# %% [markdown]
# ## Parameters

# %%
MODEL = "auto"          # the shapes CNN; "vgg16" etc. runs the whole lesson on another model (the text describes the shapes CNN)
IMAGE = None            # a sample name (see below), a path or a URL; None = first sample
N_STATS = 64            # images used to measure sparsity
SEED = 0

# %%
import matplotlib
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
# a dict. `activation_grid` tiles the maps, **each scaled on its own** so that
# weak and strong filters are equally visible (a map that is zero everywhere
# is black). Below, for every conv layer, the 16 maps with the highest mean
# activation on this image, all drawn at the same size whatever their
# resolution (the tile size is in the title); grey lines separate the tiles.

# %%
shown = spec.conv_layers if len(spec.conv_layers) <= 4 else [spec.layers[k] for k in ("early", "middle", "late", "last_conv")]
acts = activations.get_activations(spec.model, img[None], shown)
grids = [activations.activation_grid(acts[n][0], channels=activations.top_channels(acts[n][0], k=16), cols=4,
                                     fill=np.nan) for n in shown]
fig = plotting.image_grid([g.image for g in grids], [f"{n}: 16 of {acts[n].shape[-1]}, {g.tile[0]}×{g.tile[1]}"
                                                     for n, g in zip(shown, grids)], cols=len(shown), cell=3.0,
                          cmap=plotting.HEATMAP_GAPS, vmin=0, vmax=1)
fig.colorbar(fig.axes[0].images[0], ax=fig.axes, fraction=0.015, ticks=[0, 0.5, 1]).set_ticklabels(
    ["weak", "map's mean", "strong"])
fig

# %% [markdown]
# Compare with the image at the top of the notebook. The first layer's maps
# are as large as the image and still look like it: they light up the whole
# disc (its colour) or the background's texture, a few only the disc's
# outline. In `conv2` many maps keep only an **arc**, one side of the
# outline. In `conv3` and `conv4`, at 16×16, most maps are a **ring** around
# the disc or a blob on part of it, and the background is mostly dark.

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

# %%
from helpers.claims import claim
if spec.name.startswith("shapes"):
    zeros = {s["layer"]: s["zeros"] for s in stats}
    claim("share of conv1's activations that are zero", zeros["conv1"], between=(0.4, 0.65))
    claim("share of conv2's activations that are zero", zeros["conv2"], between=(0.72, 0.9))
    claim("share of conv3's activations that are zero", zeros["conv3"], between=(0.72, 0.9))
    claim("conv4 has fewer zeros than conv3, by more than 0.05", zeros["conv4"] < zeros["conv3"] - 0.05)

# %% [markdown]
# Maps shrink and multiply with depth, and past the first layer most
# activations are zero: on the shapes CNN about half of the first layer's
# and about four fifths of `conv2`'s and `conv3`'s. Sparsity does not simply
# grow with depth, though: the last convolution, `conv4`, has clearly fewer
# zeros than `conv3`. These numbers say *that*, not *why*; a slogan such as
# "deeper is sparser" is something to measure, not to assume.

# %% [markdown]
# ## 4. Which filters care about which class?
#
# Average each last-layer map over the image, then over all images of a
# class, and scale each column (channel) to its maximum. The brightest cell
# of a column is the class that channel fires for most; a column bright in
# several rows belongs to a channel that several classes share.

# %%
if spec.name.startswith("shapes"):
    means = activations.class_channel_means(spec.model, batch, labels, spec.layers["last_conv"], len(spec.class_names))
    means = means / np.maximum(means.max(0, keepdims=True), 1e-9)
    fig = plotting.matrix_plot(means, xlabel=f"{spec.layers['last_conv']} channel", ylabel="class",
                               yticklabels=spec.class_names,
                               title="mean activation per class (each channel scaled to its maximum)")
    fig.axes[1].set_ylabel("share of the channel's maximum")
    peak = means.argmax(0)
    stripes = [spec.class_names.index(c) for c in ("horizontal stripes", "vertical stripes")]
    on_stripes = float(np.isin(peak, stripes).mean())
    shared = int(np.sum((means > 0.5).sum(0) >= 3))
    print(f"{on_stripes:.0%} of the {means.shape[1]} channels fire most on one of the two stripe classes; "
          f"{shared} channels reach half their maximum on 3 or more classes.")
    claim("share of conv4 channels that fire most on a stripe class", on_stripes, at_least=0.5)
    claim("conv4 channels reaching half their maximum on 3 or more classes", shared, at_least=12)
else:
    fig = None
fig

# %% [markdown]
# Two rows dominate: most channels fire most on the **stripe** images
# (lesson 02 shows that many of them want gratings). The other channels
# peak on the other six classes, and many columns are bright in several
# rows: a last-layer channel is seldom a detector of one class. Lesson 02
# also shows how the classifier combines them.

# %% [markdown]
# ## 5. Maps laid over the image
#
# A grid of maps is abstract. Laying one map over the image, upsampled to
# its size and blended with it, shows *where* on the object the filter
# fires. Here are the eight maps of the late layer with the highest mean on
# this image, each scaled on its own (0 = its minimum, 1 = its maximum).

# %%
late_name = spec.layers["late"]
act = activations.get_activations(spec.model, img[None], late_name)[late_name][0]
top = activations.top_channels(act, k=8)
fig = plotting.image_grid([img] + [plotting.heatmap_overlay(img, act[..., c], alpha=0.6) for c in top],
                          [name] + [f"{late_name} #{c}" for c in top], cols=5, cell=2.4)
fig.colorbar(matplotlib.cm.ScalarMappable(cmap=plotting.HEATMAP), ax=fig.axes, fraction=0.015,
             label="map, scaled on its own")
fig

# %% [markdown]
# On the circle most of these maps light the disc's rim, or one side of
# it; one or two light the background beside it.

# %% [markdown]
# ## 6. Explore
# Choose an image (or upload your own), a layer and a range of channels;
# switch between the grid and the overlays. The panel updates as you move the
# controls.

# %%
from helpers.widgets.activations import ActivationsPanel
panel = ActivationsPanel(spec, layer=spec.layers["middle"])
panel.run()
panel

# %% [markdown]
# ## Exercise
# The fractions of section 3 are averages over all classes. Does the class
# matter? Compute the fraction of exactly-zero activations of layer
# `ex_layer` on the images of class `ex_class` **only** (the images of
# `batch` whose entry in `labels` is `ex_class`). Give it as a fraction
# between 0 and 1, not a percentage; an answer within 0.005 of the true
# value passes. The check then tells you how it compares with the whole batch.

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
# ## On a real ImageNet network
#
# The same helpers read the maps of VGG16 (Simonyan & Zisserman 2014)
# trained on ImageNet, here on one of the course's sample photos: from the
# first block, the third and the last. Zeiler & Fergus (2014) describe what
# to expect from such a network: the first layers respond to edges and
# colour blobs, middle layers to textures and repeated patterns, the last
# ones to object parts. This section runs when the ImageNet weights can be
# reached (Colab, or online); otherwise the next cell says why it is skipped.

# %%
from helpers.models import load_imagenet
net = load_imagenet("vgg16")
if net is not None:
    photos = net.sample_images()
    pname = next(iter(photos))
    photo = photos[pname][0]
    vlayers = [net.layers[k] for k in ("early", "middle", "last_conv")]
    vacts = activations.get_activations(net.model, photo[None], vlayers)
    vgrids = [activations.activation_grid(vacts[n][0], channels=activations.top_channels(vacts[n][0], k=16),
                                          cols=4, fill=np.nan) for n in vlayers]
    fig = plotting.image_grid([photo] + [g.image for g in vgrids],
                              [pname] + [f"{n}: 16 of {vacts[n].shape[-1]}, {g.tile[0]}×{g.tile[1]}"
                                         for n, g in zip(vlayers, vgrids)],
                              cols=4, cell=3.0, cmap=plotting.HEATMAP_GAPS, vmin=0, vmax=1)
    for s in activations.layer_statistics(net.model, np.stack([im for im, _ in photos.values()]), vlayers):
        print(f"{s['layer']:>14}: {s['height']:>3}x{s['width']:<3} x {s['channels']:>4} maps, {s['zeros']:.0%} zeros")
    display(fig)

# %% [markdown]
# Compare the zero fractions with the shapes CNN's: measure before you
# generalise from one network to another.

# %% [markdown]
# ## Summary
# * A feature map $A_{:,:,k}$ says where filter $k$'s pattern occurs; the
#   ReLU makes many of its values exactly zero.
# * A second Keras model that outputs inner layers reads them without
#   changing the network.
# * With depth, maps get smaller and more numerous; on the shapes CNN most
#   activations past the first layer are zero, though the last layer has
#   fewer zeros than the one before it. The pictures go from the object's
#   colour and outline to arcs, then to coarse rings and parts.
# * A map laid over the image shows where on the object a filter fires.
#
# ## On your own
# * Compare the overlays of the same channel on two different classes.
# * Find a channel of the last layer that fires for exactly one class in the
#   class-by-channel picture, and check it with overlays.
#
# ## Further reading
# * F. Chollet, *Deep Learning with Python*, §9.4 "Interpreting what convnets learn".
# * M. Zeiler, R. Fergus, *Visualizing and Understanding Convolutional Networks*, ECCV 2014.
