# %% [markdown]
# # 01 · Intermediate activations
#
# A convolutional network turns an image into a stack of **feature maps**, one
# per filter, layer after layer. The simplest way to see what it has learned is
# to look at those maps.
#
# **What you'll do**
# * pull the feature maps of any layer out of a trained network and compare
#   the layers;
# * measure how their size, number and sparsity change with depth, and which
#   classes each last-layer channel fires for;
# * lay single maps over the image.
#
# **What you'll learn**
# * what one number in a feature map means;
# * how the maps change with depth, and whether a channel detects a class.
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
# *Goal: know what one number of a feature map is, by computing it by hand.*
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
# ## 2. Feature maps of every layer, from scratch and with the helper
#
# *Goal: read the maps of any layer and compare the layers on one image.*
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
    print(f"{n} gives an array of shape {tuple(a.shape)}: {a.shape[0]} image, {a.shape[1]}×{a.shape[2]} positions, "
          f"{a.shape[3]} maps.")

# %% [markdown]
# `helpers.activations.get_activations` does the same in batches and returns
# a dict. Below, one row per layer: the 8 maps with the highest mean on this
# image, tiled by `activation_grid`. **Each map is divided by its own
# maximum**: black is zero or nearly zero (the ReLU silenced the filter there),
# yellow is that map's strongest value on this image. So colours compare
# places within one map, not two maps: a weak map reaches yellow too. Every
# tile is drawn at the same size whatever its resolution (in the row's
# title); grey lines separate the tiles.

# %%
shown = spec.conv_layers if len(spec.conv_layers) <= 4 else [spec.layers[k] for k in ("early", "middle", "late", "last_conv")]
acts = activations.get_activations(spec.model, img[None], shown)
fig, axes = plotting.new_figure(13, 2.0 * len(shown) + 0.4, nrows=len(shown), ncols=1, squeeze=False)
for ax, n in zip(axes[:, 0], shown):
    g = activations.activation_grid(acts[n][0], channels=activations.top_channels(acts[n][0], k=8), cols=8,
                                    fill=np.nan, scale="max")
    shown_map = ax.imshow(g.image, cmap=plotting.HEATMAP_GAPS, vmin=0, vmax=1, interpolation="nearest")
    ax.set_title(f"{n}: 8 of its {acts[n].shape[-1]} maps, {g.tile[0]}×{g.tile[1]} each", fontsize=13)
    ax.axis("off")
bar = fig.colorbar(shown_map, ax=list(axes[:, 0]), fraction=0.02, ticks=[0, 1])
bar.set_ticklabels(["0 (silent)", "the map's\nmaximum"], fontsize=12)
fig

# %% [markdown]
# The first layer's maps are as large as the image and still look like
# it: some light the disc (its colour), others the background, one only the
# outline. In `conv2` some maps keep an **arc**, one side of the outline.
# `conv3`, at 16×16, is coarse: rings around the disc, blobs on part of
# it, patches of background. The eight strongest `conv4` maps are all
# rings around the disc.

# %% [markdown]
# ## 3. Size, count and sparsity with depth
#
# *Goal: measure, over many images, how the maps change with depth.* For
# each layer: the height of its maps, how many there are, and the fraction
# of activations that are exactly zero.

# %%
if spec.name.startswith("shapes"):
    batch, labels, _ = shapes.make_shapes(config.samples(N_STATS), seed=SEED)
else:
    batch = np.stack([im for im, _ in samples.values()])
    labels = np.array([c for _, c in samples.values()])
stats = activations.layer_statistics(spec.model, batch)
print(f"Over {len(batch)} images:")
for s in stats:
    print(f"  {s['layer']} has {s['channels']} maps of {s['height']}×{s['width']}; {s['zeros']:.0%} of its values are zero.")
fig = plotting.bar_chart([s["layer"] for s in stats], [s["zeros"] for s in stats],
                   title="fraction of exactly-zero activations", ylabel="zeros", ylim=(0, 1))

from helpers.claims import claim
if spec.name.startswith("shapes"):
    zeros = {s["layer"]: s["zeros"] for s in stats}
    claim("share of conv1's activations that are zero", zeros["conv1"], between=(0.4, 0.65), quiet=True)
    claim("share of conv2's activations that are zero", zeros["conv2"], between=(0.72, 0.9), quiet=True)
    claim("share of conv3's activations that are zero", zeros["conv3"], between=(0.72, 0.9), quiet=True)
    claim("conv4 has fewer zeros than conv3, by more than 0.05", zeros["conv4"] < zeros["conv3"] - 0.05,
          quiet=True)
fig

# %% [markdown]
# Maps shrink and multiply with depth up to `conv3`; `conv4` keeps its size and count (no pooling between
# them). About half of the first layer's
# activations are zero and about four fifths of `conv2`'s and `conv3`'s, but
# `conv4` has clearly fewer zeros than `conv3`: "deeper is sparser" is
# something to measure, not to assume.

# %% [markdown]
# ## 4. Which channels care about which class?
#
# *Goal: find out whether a last-layer channel is a detector of one class.*
# Draw 16 images of each class, average each `conv4` map over the image and
# over the images of a class: one number per class and channel. Two
# measures: the **share** of a channel's total (over the 8 classes) that
# its top class takes (1/8 = 12.5% if it fires equally for all, 100% if it
# fires for one class only), and the matrix itself, each column scaled to
# its maximum and the columns grouped by their top class.

# %%
if spec.name.startswith("shapes"):
    last = spec.layers["last_conv"]
    per_class = [shapes.make_shapes(config.samples(16), seed=SEED, classes=[c])[0] for c in range(len(spec.class_names))]
    means = activations.class_channel_means(spec.model, np.concatenate(per_class),
                                            np.repeat(np.arange(len(per_class)), [len(p) for p in per_class]),
                                            last, len(spec.class_names))
    live = means.max(0) > 0
    top_class = means.argmax(0)
    share = means.max(0) / np.maximum(means.sum(0), 1e-9)
    on_stripes = np.isin(top_class, [spec.class_names.index(c) for c in ("horizontal stripes", "vertical stripes")])
    selective = share > 0.4
    order = [c for c in np.lexsort((-share, top_class, on_stripes)) if live[c]]   # shapes, then stripes; silent ones out
    fig = plotting.matrix_plot(means[:, order] / means[:, order].max(0, keepdims=True),
                               xlabel=f"{last} channels, grouped by the class they fire for most (silent ones left out)", ylabel="class",
                               yticklabels=spec.class_names, title="mean activation per class and channel (each column scaled to its maximum)")
    groups = [int(np.sum(live & ~on_stripes))] + [int(np.sum(live & (top_class == spec.class_names.index(c))))
                                                  for c in ("horizontal stripes", "vertical stripes")]
    edges = np.cumsum(groups)
    for e in edges[:-1]:
        fig.axes[0].axvline(e - 0.5, color="white", lw=2)
    fig.axes[0].set_xticks(edges - np.array(groups) / 2 - 0.5, ["shapes", "horizontal stripes", "vertical stripes"])
    fig.axes[1].set_ylabel("share of the channel's maximum")
    n_sel, n_sel_stripes = int(selective.sum()), int((selective & on_stripes).sum())
    print(f"{n_sel} of the {int(live.sum())} channels that fire at all give more than 40% of their activation to one "
          "class, " + ("always a stripe class. " if n_sel_stripes == n_sel else f"a stripe class for {n_sel_stripes}. ")
          + f"The {int((live & ~on_stripes).sum())} channels that fire most for a shape give that shape at most "
          f"{share[live & ~on_stripes].max():.0%}.")
    claim("conv4 channels giving more than 40% of their activation to one class", n_sel, at_least=15, quiet=True)
    claim("of those, the channels whose top class is not a stripe class", n_sel - n_sel_stripes, equals=0, quiet=True)
    claim("largest share a shape-class channel gives its top class", float(share[live & ~on_stripes].max()),
          at_most=0.3, quiet=True)
else:
    fig = None
fig

# %% [markdown]
# Most channels fire most for a **stripe** class. At the left of each
# stripe group the column is bright in its stripe row only: those channels
# are detectors of one class. Further right, a column is bright in several
# shape rows too. The few channels that fire most for a **shape** (left
# group) are nearly as bright in other shape rows: no `conv4` channel is a
# circle or star detector. The shapes are told apart by the *mix* of shared
# channels. (How the network's last layers combine channels into a class score, where a channel
# fires as well as how much, is lesson 07's subject.)

# %% [markdown]
# ## 5. Maps laid over the image
#
# *Goal: see where on the object a filter fires.* Laying one map over the
# image, upsampled to its size and blended with it, shows *where* the filter
# fires. Here are the eight maps of `conv3` with the highest mean on this
# image, each scaled on its own (0 = its minimum, 1 = its maximum).

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
# trained on ImageNet, on one sample photo: the first block, the third and
# the last. Zeiler & Fergus (2014) found that such a network's first layers
# respond to edges and colour blobs, middle ones to textures, the last ones
# to object parts. This runs when the ImageNet weights can be reached
# (Colab, online); otherwise the next cell says why it is skipped.

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
        print(f"{s['layer']} has {s['channels']} maps of {s['height']}×{s['width']}; {s['zeros']:.0%} of its values are zero.")
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
# * With depth, maps get smaller and more numerous (up to conv3; conv4 keeps conv3's size); on the shapes CNN most
#   activations past the first layer are zero, though the last layer has
#   fewer zeros than the one before it. The pictures go from the object's
#   colour and outline to arcs, then to coarse rings and parts.
# * Many last-layer channels are stripe detectors; the shapes share their
#   channels and are told apart by the mix.
# * A map laid over the image shows where on the object a filter fires.
#
# ## On your own
# * Compare the overlays of the same channel on two different classes.
# * Pick the most selective horizontal-stripes channel of section 4 (`order[groups[0]]`) and lay
#   its map over a stripe image and over a circle.
#
# ## Further reading
# * F. Chollet, *Deep Learning with Python*, §9.4 "Interpreting what convnets learn".
# * M. Zeiler, R. Fergus, *Visualizing and Understanding Convolutional Networks*, ECCV 2014.
