# %% [markdown]
# # 02 · What does a filter want to see?
#
# Lesson 01 showed how filters respond to real images. Now turn the question
# around: start from noise and change the *image* until one filter fires as
# strongly as it can. The picture that comes out is what the filter is
# looking for.
#
# **What you'll do**
# * write gradient ascent on the input by hand, then use `helpers.render`;
# * render the most active filters of a layer as one batch and compare early and late layers;
# * compare raw-pixel and Fourier image parameterizations;
# * link last-layer filters to the classes they vote for.
#
# **What you'll learn**
# * why the gradient is normalized, why the border is cropped from the objective,
#   and why transforms (jitter, scale, rotation) help;
# * that batching many filters into one optimization is much cheaper than a loop.
#
# **What you'll need:** lessons 00 and 01.

# %% [markdown]
# ## Parameters

# %%
MODEL = "auto"      # "auto": VGG16 online, the shapes CNN offline
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
# noise of the start, where nearly all of the gradient sits (printed). A
# `padding="same"` convolution reads zeros beyond the image, so the border
# is an edge every image has, always in the same place; on grey noise it is
# the only structure this filter responds to. (The right panel uses the
# Keras example's display normalization, `P.deprocess`: standardize, spread
# 0.15 around grey. From now on patterns are shown that way.)
#
# The fix, as in the Keras example: leave the border units out of the
# objective, averaging over $c \le i < H - c$, $c \le j < W - c$ only
# (`O.channel(late, k, crop=CROP)`, i.e. `activation[:, 2:-2, 2:-2, k]`).
# On grey noise a cropped filter may find nothing to respond to (its ReLUs
# never open, the gradient is exactly zero), so we also start from a smooth
# random image with some contrast. `helpers.render.render` runs the loop
# with a compiled step, a progress bar and optional transforms.

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
# From the smooth start, and with the border cropped, the gradient no longer
# piles up at the edge. But with no regularizer the picture (middle, below)
# is still speckled with pixel-level noise: the gradient of a CNN is
# sharpest at the pixel level. Small random **transforms** at
# every step (jitter, padding, scaling, rotation) force the picture to work
# even when shifted a little, which removes most of that noise.

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
# $k_i$": independent optimizations in one batch, much cheaper per image
# than a loop (`benchmarks/featvis.py`). We show the filters that fire most
# on real images (`activations.most_active_channels`), not the first ones.

# %%
grids, tops = {}, {}
for name in (spec.layers["early"], spec.layers["middle"], late):
    n = min(N_FILTERS, int(spec.layer(name).output.shape[-1]))
    tops[name] = activations.most_active_channels(spec.model, real, name, k=n)
    init = P.FourierParam(n, size, size, seed=SEED).numpy()
    grids[name] = render(spec.model, O.channel(name, tops[name], crop=CROP), transforms=robust, steps=STEPS,
                         lr=LR, seed=SEED, size=size, init=init)
    print(f"{name}: {n} filters, {int(grids[name].dead.sum())} flagged dead, {grids[name].seconds:.1f} s")
plotting.image_grid(P.deprocess(grids[late].images), [f"{late}:{k}" for k in tops[late]], cols=8, cell=1.6,
                    suptitle=f"{late}: the {len(tops[late])} most active filters")

# %%
early, middle = spec.layers["early"], spec.layers["middle"]
plotting.image_grid(P.deprocess(grids[middle].images[:8]), [f"{middle}:{k}" for k in tops[middle][:8]],
                    cols=8, cell=1.6, suptitle=f"{middle}: the 8 most active filters")

# %% [markdown]
# A first-layer filter is small enough to look at directly: its $3\times3\times3$
# kernel is a tiny colour image (grey is a zero weight; all filters share one
# scale). Below, the eight most active first-layer filters: their kernels,
# with the sum of each kernel's weights, and under them their renders, as
# rendered (framed, since some are white).

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
# On the shapes CNN the first layer's kernels are far from summing to zero
# (printed above).
# For a filter $k$ with colour weight sums $s_c = \sum_{u,v} W_{u,v,c,k}$, a
# flat image of colour $v$ (the model first maps [0, 1] to [−1, 1]) gives
# every unit $b_k + \sum_c s_c v_c$, so the best flat image sets each colour
# to its extreme with the sign of $s_c$: a saturated **flat wash** (white,
# black or one colour), which is what the renders are (the claim counts them; a flat image has no
# pattern to normalize, so they are shown as rendered). The middle layer
# wants lattices of coloured dots or wavy gratings, the last layer
# horizontal or vertical gratings and lattices of blobs, repeated
# everywhere: the objective is a *mean over positions*. A filter flagged
# "dead" had an identically zero gradient at every step; `render` returns
# its start image and says so.

# %% [markdown]
# ## 3. Pixels or a Fourier basis?
#
# Olah et al. (2017) optimize the image through a **Fourier parameterization**:
# $x = \sigma\big(C\,\mathcal{F}^{-1}[s(f)\,\hat v]\big)$ with $s(f) \propto 1/f$,
# a colour-decorrelation matrix $C$ and a sigmoid. A step in $\hat v$ moves
# low and high frequencies about equally, so the picture stays smooth without
# any blur. Its random start has some contrast (printed below): from a
# near-grey start, several live filters of this small network never open a
# ReLU and would be flagged dead.

# %%
eight = tops[late][:8]
fourier = render(spec.model, O.channel(late, eight, crop=CROP), param="fourier", transforms=robust[:-1],
                 steps=STEPS, lr=LR, seed=SEED, size=size)
print(f"Fourier start: pixel standard deviation {P.FourierParam(8, size, size, seed=SEED).numpy().std():.3f}")
claim("Fourier renders flagged dead", int(fourier.dead.sum()), equals=0)
plotting.image_grid(P.deprocess(np.concatenate([grids[late].images[:8], fourier.images])),
                    [f"pixel {k}" for k in eight] + [f"Fourier {k}" for k in eight], cols=8, cell=1.6,
                    suptitle=f"{late}: the same filters, two parameterizations")

# %% [markdown]
# The Fourier renders are smoother, with wider stripes and no pixel
# speckle, and each keeps its filter's orientation: horizontal gratings stay
# horizontal, vertical ones vertical, and the lattice of blobs stays a
# lattice.
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
# want vertical gratings, and one *triangle* voter wants oblique lines
# crossing, like a triangle's slanted sides. Many are not: horizontal
# gratings vote for *square* or *star*, a near-vertical one for *triangle*.
# A last-layer filter is a part that several classes share, weighted
# differently by each; its largest vote alone does not name it.

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
# The titles above show the class each filter votes *for*. Which class does
# filter `top[0]` (the first column of the weight picture) vote **against**
# most strongly? Read it off the weights, not the colours. Give a class name.

# %%
q = lesson02.filter_vote_exercise(spec, int(top[0]), against=True) if fig is not None else None
answer = None   # e.g. "ring"
q.check(answer) if q else print("This exercise needs the shapes CNN.");

# %% [markdown]
# ## Summary
#
# * Feature visualization is gradient ascent on the image:
#   $x \leftarrow x + \eta\, g / \mathrm{rms}(g)$; crop the border units out of the
#   objective, or the ascent can pile up against the zero padding.
# * Objectives compose; a per-image index turns a layer into one batch.
# * Transforms and the Fourier parameterization turn pixel noise into
#   patterns: here flat washes (first layer), dot lattices and gratings
#   (middle), gratings and blob lattices (last), each last-layer filter
#   voting for several classes.
# * Show filters that fire on real data, with a display normalization.
#
# ## On your own / Further reading
#
# * Try `O.neuron(late, k)` (one position) against `O.channel(late, k)`; and
#   `O.channel(late, a) + O.channel(late, b)`.
# * Add `0.05 * O.diversity(late)` to a batch of the same filter.
# * Chollet, "How convolutional neural networks see the world", Keras blog, 2016.
# * Olah, Mordvintsev and Schubert, "Feature Visualization", Distill, 2017.
# * Erhan, Bengio, Courville and Vincent, "Visualizing higher-layer features of a deep network", 2009.
