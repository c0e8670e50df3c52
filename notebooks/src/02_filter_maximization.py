# %% [markdown]
# # 02 · What does a filter want to see?
#
# Lesson 01 showed how filters respond to real images. Now turn the question
# around: change the *image* until one filter fires as strongly as it can.
#
# **What you'll do**
# * write gradient ascent on the input by hand, then use `helpers.render`;
# * render a layer's most active filters as one batch;
# * compare raw-pixel and Fourier image parameterizations;
# * link last-layer filters to the classes they vote for.
#
# **What you'll learn**
# * why the gradient is normalized, why the border is cropped from the objective,
#   and why transforms (jitter, scale, rotation) help;
# * why a first-layer filter wants a flat colour, and what a smooth
#   (Fourier) parameterization changes.
#
# **What you'll need:** lessons 00 and 01.

# %% [markdown]
# ## Parameters

# %%
MODEL = "auto"      # the shapes CNN; "vgg16" etc. runs the whole lesson on another model (the text describes the shapes CNN)
FILTER = 0          # the filter studied by hand
STEPS = 128         # optimization steps (fast mode caps them)
LR = 0.05           # step size of the normalized gradient step
CROP = 2            # rows/columns of the feature map left out at each border
N_FILTERS = 16      # filters per layer in the grids
SEED = 0

# %%
import numpy as np
import tensorflow as tf
from helpers import activations, config, objectives as O, param as P, plotting, shapes, transforms as T
from helpers.claims import claim
from helpers.models import load_model
from helpers.render import render

spec = load_model(MODEL)
size = spec.input_size[0]  # a model with a fixed input size takes no other
late = spec.layers["last_conv"]
CROP = min(CROP, max(0, (int(spec.layer(late).output.shape[1]) - 2) // 2))  # a tiny map leaves no room to crop
if spec.name.startswith("shapes"):
    real = shapes.make_shapes(config.samples(64), seed=SEED)[0]   # real images, to rank filters
else:
    real = np.stack([im for im, _ in spec.sample_images().values()])
print(spec.description, "| image size", size, "| late layer", late)

# %% [markdown]
# ## 1. Gradient ascent on one filter
#
# Let $A_{i,j,k}(x)$ be the activation of filter $k$ at position $(i, j)$ for
# image $x$. The objective is the filter's mean activation
#
# $$J(x) = \frac{1}{HW}\sum_{i,j} A_{i,j,k}(x).$$
#
# Gradient *ascent* moves the image uphill. The size of $\nabla_x J$ varies
# wildly between filters and layers, so we divide it by its root mean square
# (Chollet's trick) and take steps of a fixed size $\eta$:
#
# $$x \leftarrow x + \eta\,\frac{\nabla_x J}{\sqrt{\mathrm{mean}\big((\nabla_x J)^2\big)} + \epsilon}.$$
#
# From scratch, starting from grey with a little noise, and recording the
# share of $|\nabla_x J|$ in the 12 leftmost columns of the image:

# %%
import keras
probe = activations.feature_model(spec, late)  # = keras.Model(inputs, spec.layer(late).output) for a flat model
rng = np.random.default_rng(SEED)
x = tf.Variable(0.5 + rng.uniform(-0.1, 0.1, (1, size, size, 3)).astype("float32"))
history, left_share = [], []
for step in range(config.steps(STEPS)):
    with tf.GradientTape() as tape:
        J = tf.reduce_mean(probe(x)[..., FILTER])
    g = tape.gradient(J, x)
    x.assign(tf.clip_by_value(x + LR * g / (tf.sqrt(tf.reduce_mean(g ** 2)) + 1e-8), 0, 1))
    history.append(float(J))
    mass = tf.reduce_sum(tf.abs(g), axis=-1)[0]
    left_share.append(float(tf.reduce_sum(mass[:, :12]) / (tf.reduce_sum(mass) + 1e-12)))
print(f"objective: {history[0]:.3f} -> {history[-1]:.3f} after {len(history)} steps; "
      f"gradient share in the left 12 columns: {left_share[0]:.0%} at the first step, {left_share[-1]:.0%} at the last")
plotting.image_grid([x.numpy()[0], P.deprocess(x.numpy()[0])], ["result", "result, display-normalized"],
                    cols=2, cell=3.2, suptitle=f"{late} filter {FILTER}, no regularizer, from scratch")

# %% [markdown]
# No pattern at all: a saturated strip at the left border over the grey
# noise of the start, where nearly all of the gradient sits (printed).
# Why? Every convolution here uses `padding="same"`: it reads zeros
# beyond its input. The model first maps [0, 1] to [−1, 1], so for
# `conv1` that zero is mid-grey, like our start: no edge. But `conv2`,
# `conv3` and `conv4` pad their inputs, the ReLU outputs of the layer
# before, with zeros, while inside the image those outputs are not all zero
# (a filter with a positive bias fires even on flat grey). From `conv2` on,
# the border is a step that every image has, always in the same place.
# Which side a filter reacts to depends on its weights; this one, the left.
# (The right panel uses the Keras example's display normalization,
# `P.deprocess`: standardize, spread 0.15 around grey. From now on patterns
# are shown that way.)
#
# The fix, as in the Keras example: leave the border units out of the
# objective, averaging over $c \le i < H - c$, $c \le j < W - c$ only
# (`O.channel(late, k, crop=CROP)`, i.e. `activation[:, 2:-2, 2:-2, k]`).
# We also start from a *smooth* random image (the Fourier start of section 3)
# rather than pixel noise. `helpers.render.render` runs the loop with a
# compiled step, a progress bar and optional transforms.

# %%
start = P.FourierParam(1, size, size, seed=SEED).numpy()
share = {}
for c in (0, CROP):   # where the gradient is at the smooth start, without and with the crop
    o = O.channel(late, FILTER, crop=c)
    x0 = tf.Variable(start)
    with tf.GradientTape() as tape:
        Jc = tf.reduce_sum(o(O.activations_for(O.objective_model(spec.model, o), x0)))
    mass = tf.reduce_sum(tf.abs(tape.gradient(Jc, x0)), axis=-1)[0].numpy()
    share[c] = float(mass[:, :12].sum() / max(mass.sum(), 1e-12))
    print(f"{o.name}: gradient share in the left 12 columns at the smooth start {share[c]:.0%}")
obj = O.channel(late, FILTER, crop=CROP)
res = render(spec.model, obj, transforms=[T.clip()], steps=STEPS, lr=LR, seed=SEED, size=size, init=start)
print(f"{obj.name}: objective {res.values[0, 0]:.3f} -> {res.best_values[0]:.3f}")
claim("grey-noise start: gradient share in the left 12 columns", left_share[0], at_least=0.8)
claim(f"smooth start, crop={CROP}: gradient share in the left 12 columns", share[CROP], at_most=0.3);

# %% [markdown]
# From the smooth start, with the border cropped, the gradient no longer
# piles up at the edge. But with no regularizer the picture (middle, below)
# is speckled with pixel-level noise. Small random **transforms** at every
# step (jitter, padding, scaling, rotation) force the picture to work even
# when shifted a little, which removes most of that noise.

# %%
robust = T.standard(size, seed=SEED)
print("transforms:", robust)
res_robust = render(spec.model, obj, transforms=robust, steps=STEPS, lr=LR, seed=SEED, size=size, init=start)
plotting.image_grid(P.deprocess(np.concatenate([x.numpy(), res.images, res_robust.images])),
                    ["no crop, no transforms", f"crop={CROP}, no transforms", f"crop={CROP}, transforms"],
                    cols=3, cell=3.2, suptitle=f"{late} filter {FILTER}")

# %% [markdown]
# ## 2. A whole layer in one batch
#
# `O.channel(layer, [k0, k1, ...])` means "image $i$ maximizes filter
# $k_i$": independent optimizations in one batch, so that each step's one
# forward and backward pass serves all of them. We show the filters that
# fire most on real images (`activations.most_active_channels`), not the
# first ones.

# %%
grids, tops = {}, {}
for name in (spec.layers["early"], spec.layers["middle"], late):
    n = min(N_FILTERS, int(spec.layer(name).output.shape[-1]))
    tops[name] = activations.most_active_channels(spec.model, real, name, k=n)
    init = P.FourierParam(n, size, size, seed=SEED).numpy()
    grids[name] = render(spec.model, O.channel(name, tops[name], crop=CROP), transforms=robust, steps=STEPS,
                         lr=LR, seed=SEED, size=size, init=init)
    print(f"{name}: {n} filters, {int(grids[name].dead.sum())} flagged dead, {grids[name].seconds:.1f} s")
fig = plotting.image_grid(P.deprocess(grids[late].images), [f"{late}:{k}" for k in tops[late]], cols=8, cell=1.6,
                          suptitle=f"{late}: the {len(tops[late])} most active filters")
fig.subplots_adjust(hspace=0.3)
fig

# %%
early, middle = spec.layers["early"], spec.layers["middle"]
plotting.image_grid(P.deprocess(grids[middle].images[:8]), [f"{middle}:{k}" for k in tops[middle][:8]],
                    cols=8, cell=1.6, suptitle=f"{middle}: the 8 most active filters")

# %% [markdown]
# A first-layer kernel ($3\times3\times3$) is a tiny colour image (grey is
# a zero weight; one scale for all). Below, the eight most active
# first-layer filters: kernels with the sum of all their weights, and their
# renders shown as rendered (a flat image has no pattern to normalize;
# framed, since some are white).

# %%
eight1 = tops[early][:8]
W1 = np.asarray(spec.layer(early).get_weights()[0])
sums = W1.sum(axis=(0, 1, 2))
print("kernel sums:", ", ".join(f"{k}: {sums[k]:+.2f}" for k in eight1))
fig = plotting.image_grid(list(activations.kernel_images(W1)[eight1]) + list(grids[early].images[:8]),
                          [f"{k}: sum {sums[k]:+.1f}" for k in eight1] + [f"render {k}" for k in eight1],
                          cols=8, cell=1.6, suptitle=f"{early}: kernels (top) and renders (bottom)")
for ax in fig.axes:
    ax.axis("on"), ax.set_xticks([]), ax.set_yticks([])
fig.subplots_adjust(hspace=0.35)
fig

# %%
pushes_up = W1[..., eight1].sum(axis=(0, 1)) > 0                 # [3 colours, 8 filters]
bright = grids[early].images[:8].mean(axis=(1, 2)).T > 0.5       # [3 colours, 8 filters]
if spec.name.startswith("shapes"):
    claim(f"{early} renders whose colour follows the sign of the weight sums (of 8)",
          int(np.all(pushes_up == bright, axis=0).sum()), at_least=6);

# %% [markdown]
# These kernels are far from summing to zero (printed above). For filter
# $k$ with colour weight sums $s_c = \sum_{u,v} W_{u,v,c,k}$, a flat image of
# colour $v \in [0, 1]^3$ becomes $u = 2v - 1$ inside the model and gives
# every unit $b_k + \sum_c s_c u_c$. The best flat image puts each colour at
# its extreme with the sign of $s_c$: a saturated **flat wash** (white,
# black or one colour), which is what the renders are (the claim counts
# them). The objective, a mean over positions, explains this; the
# transforms do not. The middle layer wants lattices of coloured dots or
# wavy gratings, the last one horizontal or vertical gratings and lattices
# of blobs. A filter flagged "dead" had a zero gradient at every step.

# %% [markdown]
# ## 3. Pixels or a Fourier basis?
#
# Olah et al. (2017) optimize the image through a **Fourier parameterization**:
# $x = \sigma\big(C\,\mathcal{F}^{-1}[s(f)\,\hat v]\big)$ with $s(f) \propto 1/f$,
# a colour-decorrelation matrix $C$ and a sigmoid. The gradient reaches
# $\hat v$ multiplied by $s(f)$, and the step in $\hat v$ reaches the image
# multiplied by $s(f)$ again: compared with a step on the pixels, frequency
# $f$ moves $s(f)^2 \propto 1/f^2$ as much, so **low frequencies move far more
# than high ones** and the picture stays smooth without any blur. Its random
# start is smooth too, and no more contrasted than grey noise (both pixel
# standard deviations are printed below).

# %%
eight = tops[late][:8]
fourier = render(spec.model, O.channel(late, eight, crop=CROP), param="fourier", transforms=robust[:-1],
                 steps=STEPS, lr=LR, seed=SEED, size=size)
print(f"pixel standard deviation of the start: Fourier {P.FourierParam(8, size, size, seed=SEED).numpy().std():.3f}, "
      f"grey noise of section 1 {rng.uniform(-0.1, 0.1, (8, size, size, 3)).std():.3f}")
claim("Fourier renders flagged dead", int(fourier.dead.sum()), equals=0)
fig = plotting.image_grid(P.deprocess(np.concatenate([grids[late].images[:8], fourier.images])),
                          [f"pixel {k}" for k in eight] + [f"Fourier {k}" for k in eight], cols=8, cell=1.6,
                          suptitle=f"{late}: the same filters, two parameterizations")
fig.subplots_adjust(hspace=0.3)
fig

# %% [markdown]
# The Fourier renders are smoother, with wider stripes and no pixel
# speckle. Most keep the orientation of their pixel version; a few turn
# into broader blobs or mazes: the parameterization changes which pattern
# the ascent finds, not only how clean it looks.
#
# ## 4. From filters to classes
#
# On the shapes CNN the last convolution is averaged over the image and fed to
# one Dense layer, so logit $z_c = b_c + \sum_k W_{k,c}\,\bar A_k$: each
# filter *votes* for classes with weight $W_{k,c}$. Below, each column is one
# of the eight filters with the largest votes and each row a class: red is a
# vote for the class, blue a vote against, white zero.

# %%
from helpers.exercises import lesson02
try:
    W = lesson02.class_weights(spec)
    top = np.argsort(-np.abs(W).max(1))[:8]
    fig = plotting.matrix_plot(W[top].T, xlabel="filter", ylabel="class", yticklabels=spec.class_names,
                               title=f"{late} filter → class weight", cmap="coolwarm")
    fig.axes[0].set_xticks(range(len(top)), [str(k) for k in top])
    fig.axes[0].images[0].set_clim(-np.abs(W[top]).max(), np.abs(W[top]).max())   # white = 0
    fig.axes[1].set_ylabel("weight $W_{k,c}$ (vote)")
except ValueError as err:  # VGG16 has fully connected layers in between
    top, fig = np.arange(8), None
    print(err)
fig

# %%
imgs = render(spec.model, O.channel(late, [int(k) for k in top], crop=CROP), transforms=robust, steps=STEPS,
              lr=LR, seed=SEED, size=size, init=P.FourierParam(len(top), size, size, seed=SEED).numpy()).images
labels = [f"{k} → {spec.class_names[int(np.argmax(W[k]))]}" if fig is not None else str(k) for k in top]
plotting.image_grid(P.deprocess(imgs), labels, cols=8, cell=1.6, suptitle="strongest voters: filter → its top class")

# %% [markdown]
# Some votes are readable: the filters that vote for *vertical stripes*
# want vertical gratings, and filter 2, a *triangle* voter, wants oblique
# lines crossing, like a triangle's slanted sides. Many are not: horizontal
# gratings vote for *square* or *star*. A last-layer filter is a part that
# several classes share, weighted differently by each; its largest vote
# alone does not name it.

# %% [markdown]
# ## 5. Your turn: the panel
#
# Pick a layer and filters, switch transforms on and off, try pixels against
# Fourier. The picture updates while it runs; Stop keeps the best so far.

# %%
from helpers.widgets.featvis import FiltersPanel
panel = FiltersPanel(spec, steps=STEPS)
panel.run()
panel

# %% [markdown]
# ## 6. Exercise
#
# Take first-layer filter `ex_filter` (printed below), whose kernel and
# render section 2 did not show. Among all **flat** images (one colour
# everywhere), which makes its mean activation (border left out) largest?
# Answer with one of `"black"`, `"white"`, `"red"`, `"green"`, `"blue"`,
# `"cyan"`, `"magenta"`, `"yellow"` (no colour weight sum is exactly zero,
# so there is no tie). Compute with `spec`; don't render.

# %%
ex_filter = int(tops[early][8]) if len(tops[early]) > 8 else None
try:
    q = lesson02.flat_colour_exercise(spec, early, ex_filter) if ex_filter is not None else None
except ValueError:  # not a plain convolution on the RGB image, or a silent filter
    q = None
print(f"layer {early}, filter {ex_filter}" if q else "This exercise needs a first layer that is a plain convolution "
      "with bias and ReLU on the image, as in the shapes CNN.")
answer = None   # e.g. "magenta"
q.check(answer) if q else None;

# %% [markdown]
# ## On a real ImageNet network
#
# The same `render` call on VGG16 trained on ImageNet: for a middle and
# the last block, the four filters that fire most on the sample photos.
# Chollet's blog post (2016) rendered VGG16's filters: the first block
# wants colours and edges, the middle ones textures, the last ones motifs
# that look like parts of natural objects. This runs when the ImageNet
# weights can be reached (Colab, online); otherwise the next cell says why not.

# %%
from helpers.models import load_imagenet
net = load_imagenet("vgg16")
if net is not None:
    photos = np.stack([im for im, _ in net.sample_images().values()])
    vsize, vshown, vtitles = net.input_size[0], [], []
    for vlayer in (net.layers["middle"], net.layers["late"]):
        ks = activations.most_active_channels(net.model, photos, vlayer, k=4)
        vcrop = min(CROP, max(0, (int(net.layer(vlayer).output.shape[1]) - 2) // 2))
        vres = render(net.model, O.channel(vlayer, ks, crop=vcrop), param="fourier",
                      transforms=T.standard(vsize, seed=SEED)[:-1], steps=STEPS, lr=LR, seed=SEED, size=vsize)
        vshown += list(P.deprocess(vres.images))
        vtitles += [f"{vlayer}:{k}" for k in ks]
    fig = plotting.image_grid(vshown, vtitles, cols=4, cell=2.6, suptitle="VGG16, Fourier parameterization")
    fig.subplots_adjust(hspace=0.3)
    display(fig)

# %% [markdown]
# ## Summary
#
# * Feature visualization is gradient ascent on the image:
#   $x \leftarrow x + \eta\, g / \mathrm{rms}(g)$; crop the border units out of the
#   objective, or the ascent can pile up against the zero padding.
# * A per-image channel index renders a whole layer in one batch.
# * A mean over positions makes a first-layer filter want a flat wash, whose
#   colour follows the signs of its weight sums.
# * Transforms and the Fourier parameterization turn pixel noise into
#   patterns: dot lattices and gratings (middle layer), gratings and blob
#   lattices (last), each last-layer filter voting for several classes.
#
# ## On your own / Further reading
#
# * Try `O.neuron(late, k)` (one position) against `O.channel(late, k)`; and
#   `O.channel(late, a) + O.channel(late, b)`.
# * Chollet, "How convolutional neural networks see the world", Keras blog, 2016.
# * Olah, Mordvintsev and Schubert, "Feature Visualization", Distill, 2017.
# * Erhan, Bengio, Courville and Vincent, "Visualizing higher-layer features of a deep network", 2009.
