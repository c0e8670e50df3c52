# %% [markdown]
# # 02 · What does a filter want to see?
#
# Lesson 01 watched filters respond to real images. Now change the
# *image* until one filter fires as strongly as it can.
#
# **What you'll do**
# * write gradient ascent on the input by hand, and fix its failures one
#   change at a time;
# * render the most active filters of three layers, on pixels and on a
#   smooth (Fourier) basis.
#
# **What you'll learn**
# * why the border is cropped, why the start matters, what transforms do;
# * when, and why, a filter wants a flat colour rather than a pattern.
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
from helpers.claims import claim   # claim(...) checks a figure the text relies on; silent while it holds
from helpers.exercises import lesson02
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
# *Goal: write the ascent by hand and see how it fails.* Let
# $A_{i,j,k}(x)$ be the activation of filter $k$ at position $(i, j)$ for
# image $x$. The objective is the filter's mean activation
#
# $$J(x) = \frac{1}{HW}\sum_{i,j} A_{i,j,k}(x).$$
#
# The size of $\nabla_x J$ varies wildly between filters and layers, so
# gradient ascent divides it by its root mean square (Chollet's trick) and
# takes steps of a fixed size $\eta$:
#
# $$x \leftarrow x + \eta\,\frac{\nabla_x J}{\sqrt{\mathrm{mean}\big((\nabla_x J)^2\big)} + \epsilon}.$$
#
# From scratch, on the last conv layer, from grey with a little noise:

# %%
probe = activations.feature_model(spec, late)  # = keras.Model(inputs, spec.layer(late).output) for a flat model
grey = (0.5 + np.random.default_rng(SEED).uniform(-0.1, 0.1, (1, size, size, 3))).astype("float32")
x = tf.Variable(grey)
history, left_share = [], []
for step in range(config.steps(STEPS)):
    with tf.GradientTape() as tape:
        J = tf.reduce_mean(probe(x)[..., FILTER])
    g = tape.gradient(J, x)
    x.assign(tf.clip_by_value(x + LR * g / (tf.sqrt(tf.reduce_mean(g ** 2)) + 1e-8), 0, 1))
    history.append(float(J))
    mass = tf.reduce_sum(tf.abs(g), axis=-1)[0]
    left_share.append(float(tf.reduce_sum(mass[:, :12]) / (tf.reduce_sum(mass) + 1e-12)))
print(f"The objective rose from {history[0]:.3f} to {history[-1]:.2f} in {len(history)} steps, but "
      f"{left_share[0]:.0%} of the gradient sat in the 12 leftmost columns at the first step.")
claim("grey start, no crop: gradient share in the left 12 columns", left_share[0], at_least=0.8, quiet=True)
plotting.show_image(x.numpy()[0], f"{late} filter {FILTER}: grey start", size=3.2)

# %% [markdown]
# No pattern: a saturated strip at the left border over the grey noise.
# The cause is the padding: every convolution here reads zeros beyond its
# input (`padding="same"`). From `conv2` on, that input is a ReLU output
# that is not zero inside the image, so the border is an edge that every
# image has, always in the same place. This filter reacts to the left one.
#
# ## 2. One change at a time
#
# *Goal: get a pattern for this filter, and see what each fix does.* First
# **crop**: average only over $c \le i < H - c$, $c \le j < W - c$, leaving
# the border units out (`O.channel(late, k, crop=CROP)`). Then two more
# changes, shown alone and together: a **smooth start** (a random image of
# soft blobs, section 5) instead of grey noise, and **transforms** (random
# padding, jitter, scaling and rotation at every step, so that the picture
# must work when shifted a little). `helpers.render.render` runs the loop
# with a compiled step.

# %%
import warnings
obj = O.channel(late, FILTER, crop=CROP)
A = activations.get_activations(spec.model, grey, late)[late][0]   # one forward pass: every filter's map
H, W = A.shape[:2]
inside = A[CROP:H - CROP, CROP:W - CROP].mean(axis=(0, 1))       # each filter's cropped objective
n_late = len(inside)
print(f"{late}'s map is {H}x{W}; CROP = {CROP} keeps the central {H - 2 * CROP}x{W - 2 * CROP} units.")
print(f"There, filter {FILTER}'s objective on the grey start is {inside[FILTER]:.3f}"
      + (": no unit fires, so there is no gradient to climb." if inside[FILTER] == 0 else "."))
print(f"{int(np.sum(inside == 0))} of the {n_late} {late} filters fire nowhere there on this start.")
claim(f"filter {FILTER}'s cropped objective on the grey start", float(inside[FILTER]), equals=0.0, quiet=True)
claim(f"{late} filters silent inside the border on the grey start", int(np.sum(inside == 0)), between=(4, 20), quiet=True)
starts = np.concatenate([grey, P.FourierParam(1, size, size, seed=SEED).numpy()])
with warnings.catch_warnings():   # a start with no gradient is flagged dead, and shown unchanged
    warnings.simplefilter("ignore")
    plain = render(spec.model, O.channel(late, [FILTER] * 2, crop=CROP), transforms=[T.clip()], steps=STEPS,
                   lr=LR, seed=SEED, size=size, init=starts)
    robust = T.standard(size, seed=SEED)
    moved = render(spec.model, O.channel(late, [FILTER] * 2, crop=CROP), transforms=robust, steps=STEPS,
                   lr=LR, seed=SEED, size=size, init=starts)
four = [plain.images[0], moved.images[0], plain.images[1], moved.images[1]]
stripiness, _ = lesson02.stripe_orientation(np.stack(four))   # 1 = perfect stripes; noise and blobs well under 0.5
runs = [(plain, 0), (moved, 0), (plain, 1), (moved, 1)]         # (render, which start), in the order of `four`
names = ["grey start, no transforms", "grey start, transforms", "smooth start, no transforms", "smooth start, transforms"]
titles = []
for name, (r, i), c in zip(names, runs, stripiness):
    titles.append(name + ("\n(no gradient: unchanged)" if r.dead[i] else f"\nstripe coherence {c:.2f}"))
claim("the grey start with transforms gets a gradient", not bool(moved.dead[0]), quiet=True)
claim("stripe coherence with both changes minus the best single change",
      float(stripiness[3] - max(stripiness[1], stripiness[2])), at_least=0.2, quiet=True)
fig = plotting.image_grid(four, titles, cols=2, cell=3.0, suptitle=f"{late} filter {FILTER}, border cropped")
fig

# %% [markdown]
# With the crop the border's pull is gone, but from grey noise alone (top
# left) there is nothing to climb: this filter fires nowhere inside the
# border. With transforms (top right) the network never sees the start
# itself but a shifted, zoomed, rotated and resampled copy of it; on such
# copies some unit fires, so the grey start gets a gradient after all.
# The titles give each render's *stripe coherence*: how much the
# picture's local edges share one direction (1 for perfect stripes; the
# noise, dots and blobs of this lesson score well under 0.5, and section 3
# counts a render above 0.5 as stripes). With both changes (bottom
# right) the render is slanted bands and stripes, and its coherence is
# clearly the highest of the four. Either change alone (top right, bottom
# left) reaches at best a faint, speckled or partial pattern: the stripes
# need both. Most `conv4` filters do fire somewhere inside the
# border on grey noise (the line above counts those that do not), and
# those have a gradient from the grey start too, with or without the crop.

# %% [markdown]
# ## 3. A whole layer in one batch
#
# *Goal: see what the filters of one layer want, side by side.*
# `O.channel(layer, [k0, k1, ...])` means "image $i$ maximizes filter
# $k_i$": independent optimizations in one batch. In each layer, the 16
# filters with the highest mean activation on 64 real images
# (`activations.most_active_channels`), rendered with the crop, a smooth
# start and the transforms, shown as rendered.

# %%
grids, tops = {}, {}
for name in (spec.layers["early"], spec.layers["middle"], late):
    n = min(N_FILTERS, int(spec.layer(name).output.shape[-1]))
    tops[name] = activations.most_active_channels(spec.model, real, name, k=n)
    grids[name] = render(spec.model, O.channel(name, tops[name], crop=CROP), transforms=robust, steps=STEPS,
                         lr=LR, seed=SEED, size=size, init=P.FourierParam(n, size, size, seed=SEED).numpy())
dead = sum(int(r.dead.sum()) for r in grids.values())
coherence, angle = lesson02.stripe_orientation(grids[late].images)
stripes = coherence > 0.5
off_axis = np.minimum(angle % 90, 90 - angle % 90)   # degrees away from horizontal or vertical
worst = float(off_axis[stripes].max()) if stripes.any() else 0.0
print(f"{dead} of the {sum(len(t) for t in tops.values())} filters had no gradient at all (flagged dead).")
print(f"In {late}, {int(stripes.sum())} of the {len(stripes)} renders are stripes (coherence above 0.5)"
      + (f", all within {worst:.0f}° of horizontal or vertical." if stripes.any() else "."))
claim(f"{late} renders that are stripes", int(stripes.sum()), at_least=8, quiet=True)
claim(f"{late} stripes: largest angle away from horizontal or vertical", worst, at_most=15, quiet=True)
fig = plotting.image_grid(grids[late].images, [f"{late}:{k}\ncoherence {c:.2f}" for k, c in zip(tops[late], coherence)],
                          cols=8, cell=1.6,
                          suptitle=f"{late}: the {len(tops[late])} most active filters")
fig.subplots_adjust(hspace=0.45)
fig

# %% [markdown]
# Most `conv4` renders are **stripes** close to horizontal or vertical
# (titles: the stripe coherence of section 2). The others are other
# patterns, most often lattices of dots or dashes: as regular as stripes, but
# with edges running several ways, so their coherence is lower (a lattice of
# dashes can land just under 0.5). The middle layer:

# %%
middle = spec.layers["middle"]
flat = grids[middle].images.std(axis=(1, 2, 3)) < 0.1
print(f"{int(flat.sum())} of these {len(flat)} renders are nearly flat black, white or grey "
      "(standard deviation over all pixels and colours under 0.1).")
claim(f"nearly flat {middle} renders", int(flat.sum()), between=(2, 7), quiet=True)
fig = plotting.image_grid(grids[middle].images, [f"{middle}:{k}" + (" flat" if f else "")
                                                 for k, f in zip(tops[middle], flat)],
                          cols=8, cell=1.6, suptitle=f"{middle}: the {len(tops[middle])} most active filters")
for ax in fig.axes:
    ax.axis("on"), ax.set_xticks([]), ax.set_yticks([])   # frames: some renders are white
fig.subplots_adjust(hspace=0.3)
fig

# %% [markdown]
# The `conv2` filters marked *flat* want a black or white wash with at most
# sparse dots; a few others a coloured or light wash with dots or dashes; the rest
# stripes, straight or wavy, in several directions.
# Why would a filter want no pattern at all?
#
# ## 4. When a filter wants a flat colour
#
# *Goal: explain the flat renders with the formula, on the first layer.*
# The model maps a pixel value $v \in [0, 1]$ to $u = 2v - 1$; a unit of
# filter $k$ computes $z_{ij} = b_k + \sum W \cdot u$ over its $3\times3$
# patch. Let $s_c = \sum_{a,b} W_{a,b,c,k}$ (over the kernel's rows $a$ and
# columns $b$) be the weight sum of colour $c$.
# **If every unit inside the crop is active** ($z_{ij} > 0$: the ReLU
# passes it unchanged), the objective is the mean of $z$, and since every
# pixel sits in nine patches, up to the border
# $J = b_k + \sum_c s_c\,\bar u_c$: only the *mean colour* $\bar u$ counts.
# The best such image puts each colour at its extreme with the sign of
# $s_c$, everywhere: a saturated **flat wash**. The condition matters: when
# a kernel's weights nearly cancel ($s_c \approx 0$, an edge detector), an
# image that switches some units off and drives others hard can do
# better: an edge or a grating. Below, the 8 most active first-layer kernels
# (grey = zero weight, one scale for all) and their renders.

# %%
early = spec.layers["early"]
eight1 = tops[early][:8]
W1 = np.asarray(spec.layer(early).get_weights()[0])
sums = W1.sum(axis=(0, 1, 2))
units = activations.get_activations(spec.model, grids[early].images[:8], early)[early][:, CROP:-CROP, CROP:-CROP]
active = [float((units[i, ..., k] > 0).mean()) for i, k in enumerate(eight1)]
balance = np.abs(sums[eight1]) / np.abs(W1[..., eight1]).sum(axis=(0, 1, 2))
per_colour = W1[..., eight1].sum(axis=(0, 1))                   # s_c: [3 colours, 8 filters]
bright = grids[early].images[:8].mean(axis=(1, 2)).T > 0.5       # [3 colours, 8 filters]
follow = int(np.all((per_colour > 0) == bright, axis=0).sum())  # renders whose every colour follows its sign
print(f"In {follow} of 8 renders each colour is brighter than one half exactly where its sum s_c is positive.")
print(("At every render, all" if min(active) == 1 else f"At every render, at least {min(active):.0%}") +
      f" of the filter's units inside the crop are active; each kernel's weights sum to at least "
      f"{balance.min():.0%} of the sum of their absolute values.")
claim(f"{early}: share of units active at the renders (smallest of 8)", min(active), at_least=0.95, quiet=True)
claim(f"{early} renders whose colour follows the sign of the weight sums (of 8)", follow, at_least=6, quiet=True)
fig = plotting.image_grid(list(activations.kernel_images(W1)[eight1]) + list(grids[early].images[:8]),
                          ["filter {}\nR{:+.2f}\nG{:+.2f}\nB{:+.2f}".format(k, *per_colour[:, i])
                           for i, k in enumerate(eight1)] + [f"render {k}" for k in eight1],
                          cols=8, cell=1.8, suptitle=f"{early}: kernels with their sums s_R, s_G, s_B (top), renders (bottom)")
for ax in fig.axes:
    ax.axis("on"), ax.set_xticks([]), ax.set_yticks([])   # frames: some renders are white
fig.subplots_adjust(hspace=0.6)
fig

# %% [markdown]
# These kernels are far from cancelling and every unit stays active
# (printed): the renders are washes whose colour follows the signs of the
# per-colour sums $s_c$ (the kernels' titles).
# Only a colour whose sum is close to zero (a few hundredths) decides
# little: it ends up near half, and the render comes out pale or mottled
# in that colour instead of one flat colour (red's sum near zero with green
# and blue positive gives cyan with white patches). A sum that is merely
# several times smaller than the others, a few tenths, still saturates
# its colour.
#
# ## 5. Pixels or a Fourier basis?
#
# *Goal: see what a smooth parameterization changes.* Olah et al. (2017)
# optimize the image through a **Fourier parameterization**:
# $x = \sigma\big(C\,\mathcal{F}^{-1}[s(f)\,\hat v]\big)$ with $s(f) \propto 1/f$,
# a colour-decorrelation matrix $C$ and a sigmoid. The gradient reaches
# $\hat v$ scaled by $s(f)$, and the step reaches the image scaled by
# $s(f)$ again: **low frequencies move far more than high ones** (by
# $1/f^2$). Its random start is smooth, like section 2's. Below, the first
# 8 `conv4` filters of section 3, both ways.

# %%
eight = tops[late][:8]
fourier = render(spec.model, O.channel(late, eight, crop=CROP), param="fourier", transforms=robust[:-1],  # [:-1]: no clip, the sigmoid keeps [0, 1]
                 steps=STEPS, lr=LR, seed=SEED, size=size)
pixel = grids[late].images[:8]
def fine_detail(ims):   # share of the image's variation at wavelengths under 4 pixels
    power = np.abs(np.fft.fft2(ims.mean(-1) - ims.mean(axis=(1, 2, 3))[:, None, None])) ** 2
    f = np.hypot(*np.meshgrid(np.fft.fftfreq(size), np.fft.fftfreq(size)))
    return (power * (f > 0.25)).sum((1, 2)) / power.sum((1, 2))
coh_f, ang_f = lesson02.stripe_orientation(fourier.images)
turn = np.abs((ang_f - angle[:8] + 90) % 180 - 90)
kept = int(np.sum(stripes[:8] & (coh_f > 0.5) & (turn < 15)))
smoother = int(np.sum(fine_detail(fourier.images) < fine_detail(pixel)))
ratio = float(np.mean(fourier.best_values / grids[late].best_values[:8]))
print(f"Of the {int(stripes[:8].sum())} filters whose pixel render is stripes, {kept} keep their direction (within 15°).")
print(f"{smoother} of the 8 Fourier renders have less fine detail (wavelengths under 4 pixels) than their pixel twin;")
print(f"on average they reach {ratio:.0%} of its objective.")
claim("pixel stripes whose direction the Fourier render keeps (share)", kept / max(int(stripes[:8].sum()), 1),
      at_least=0.8, quiet=True)
claim("Fourier renders with less fine detail than their pixel twin (of 8)", smoother, at_least=7, quiet=True)
claim("Fourier objective over pixel objective (mean of 8)", ratio, at_most=0.9, quiet=True)
fig = plotting.image_grid(np.concatenate([pixel, fourier.images]), [f"pixel {k}" for k in eight] +
                          [f"Fourier {k}" for k in eight], cols=8, cell=1.6,
                          suptitle=f"{late}: the same filters, two parameterizations")
fig.subplots_adjust(hspace=0.3)
fig

# %% [markdown]
# The Fourier renders keep the stripes' direction, with smoother edges
# and no pixel speckle; some have fewer, broader stripes or large flat
# patches. They excite the filter *less*: smoothness is a preference we
# impose, not something the filter asks for.
#
# ## 6. Your turn: the panel
#
# Pick a layer and filters, switch transforms on and off, try pixels
# against Fourier; Stop keeps the best picture so far.

# %%
from helpers.widgets.featvis import FiltersPanel
panel = FiltersPanel(spec, steps=STEPS)
panel.run()
panel

# %% [markdown]
# ## 7. Exercise
#
# Take first-layer filter `ex_filter` (printed below), whose kernel and
# render section 4 did not show. Among all **flat** images (one colour
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
print(f"Your filter: {early} filter {ex_filter}." if q else "This exercise needs a first layer that is a plain "
      "convolution with bias and ReLU on the image, as in the shapes CNN.")
answer = None   # e.g. "magenta"
q.check(answer) if q else None;

# %% [markdown]
# ## On a real ImageNet network
#
# The same `render` call on VGG16 (ImageNet): the four filters of a middle
# and the last block that fire most on the sample photos. In Chollet's
# (2016) renders, VGG16's first block wants colours and edges, the middle
# ones textures, the last ones motifs like object parts. This runs when the
# weights can be reached (Colab, online).

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
        vshown += list(vres.images)
        vtitles += [f"{vlayer}:{k}" for k in ks]
    fig = plotting.image_grid(vshown, vtitles, cols=4, cell=2.6, suptitle="VGG16, Fourier parameterization")
    fig.subplots_adjust(hspace=0.3)
    display(fig)

# %% [markdown]
# ## Summary
#
# * Feature visualization is gradient ascent on the image,
#   $x \leftarrow x + \eta\, g / \mathrm{rms}(g)$. Crop the border units out
#   of the objective, or a filter can pile up against the zero padding.
# * A filter silent on its start has no gradient there; a smooth start
#   together with random transforms (which also reduce speckle) took filter
#   0 furthest towards stripes; neither change alone came close.
# * On the first layer, while all its units stay active, a filter wants a
#   flat wash (several `conv2` renders are washes too); most active `conv4` filters want
#   stripes near horizontal or vertical.
# * A Fourier parameterization gives smoother pictures, at a lower objective.
#
# ## On your own / Further reading
#
# * Try `O.neuron(late, k)` (one position) against `O.channel(late, k)`; and
#   `O.channel(late, a) + O.channel(late, b)`.
# * Section 4 explains flat washes on the first layer only. For the flat
#   `conv2` renders, are all `conv1` and `conv2` units inside the crop
#   active? If so, the same argument applies twice (two affine maps in a
#   row are affine); if not, what else could favour a wash?
# * Chollet, "How convolutional neural networks see the world", Keras blog, 2016.
# * Olah, Mordvintsev and Schubert, "Feature Visualization", Distill, 2017.
# * Erhan, Bengio, Courville and Vincent, "Visualizing higher-layer features of a deep network", 2009.
