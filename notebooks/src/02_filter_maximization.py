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
# * render every filter of a layer as one batch and compare early and late layers;
# * compare raw-pixel and Fourier image parameterizations;
# * link last-layer filters to the classes they vote for.
#
# **What you'll learn**
# * why the gradient is normalized, and why transforms (jitter, scale, rotation) help;
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
N_FILTERS = 16      # filters per layer in the grids
SEED = 0

# %%
import numpy as np
import tensorflow as tf
from helpers import config, objectives as O, plotting, transforms as T
from helpers.models import load_model
from helpers.render import render

spec = load_model(MODEL)
size = spec.input_size[0]  # a model with a fixed input size takes no other
late = spec.layers["last_conv"]
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
# Here it is from scratch: a model that outputs the layer, a `GradientTape`,
# and the update.

# %%
import keras
probe = keras.Model(spec.model.inputs[0], spec.layer(late).output)
rng = np.random.default_rng(SEED)
x = tf.Variable(0.5 + rng.uniform(-0.1, 0.1, (1, size, size, 3)).astype("float32"))
history = []
for step in range(config.steps(STEPS)):
    with tf.GradientTape() as tape:
        J = tf.reduce_mean(probe(x)[..., FILTER])
    g = tape.gradient(J, x)
    x.assign(tf.clip_by_value(x + LR * g / (tf.sqrt(tf.reduce_mean(g ** 2)) + 1e-8), 0, 1))
    history.append(float(J))
print(f"objective: {history[0]:.3f} -> {history[-1]:.3f} after {len(history)} steps")

# %% [markdown]
# `helpers.render.render` does the same with a compiled step (`tf.function`),
# a progress bar, snapshots, and optional transforms. The objective comes from
# `helpers.objectives`, where objectives add and scale like numbers.

# %%
res = render(spec.model, O.channel(late, FILTER), transforms=[T.clip()], steps=STEPS, lr=LR, seed=SEED,
             size=size, thresholds=[1, config.steps(STEPS) // 2, config.steps(STEPS)])
shots = sorted(res.snapshots)
plotting.image_grid([x.numpy()[0]] + [res.snapshots[s][0] for s in shots],
                    ["from scratch"] + [f"render, step {s}" for s in shots], cols=1 + len(shots), cell=3.2)

# %% [markdown]
# Without any regularizer the picture is full of high-frequency patterns:
# the gradient of a CNN is sharpest at the pixel level. Small random
# **transforms** at every step (jitter, padding, scaling, rotation) force the
# picture to work even when shifted a little, which removes most of that noise.

# %%
robust = T.standard(size, seed=SEED)
print("transforms:", robust)
res_robust = render(spec.model, O.channel(late, FILTER), transforms=robust, steps=STEPS, lr=LR, seed=SEED, size=size)
plotting.image_grid([res.images[0], res_robust.images[0]], ["no transforms", "with transforms"], cols=2, cell=3.5)

# %% [markdown]
# ## 2. A whole layer in one batch
#
# The objective can give every image its own filter: `O.channel(layer,
# range(16))` means "image $i$ maximizes filter $i$". Each image only follows
# its own gradient, so this is 16 independent optimizations in one batch,
# and a batch is much cheaper per image than a loop (see
# `benchmarks/featvis.py`). `render(..., jit_compile=True)` also hands the
# step to the XLA compiler: on a 2-core CPU that made a 16-image VGG16 step
# 1.3× faster (but a 64-image one 0.93×: measure), provided every transform
# can be compiled (jitter and clipping can; the rotation and scaling warps
# cannot, and `render` then falls back and says so in `result.notes`).

# %%
grids = {}
for name in (spec.layers["early"], spec.layers["middle"], late):
    n = min(N_FILTERS, int(spec.layer(name).output.shape[-1]))
    r = render(spec.model, O.channel(name, range(n)), transforms=robust, steps=STEPS, lr=LR, seed=SEED, size=size)
    grids[name] = r
    print(f"{name}: {n} filters, {int(r.dead.sum())} dead, {r.seconds:.1f} s")
plotting.image_grid(list(grids[late].images), [f"{late}:{k}" for k in range(len(grids[late].images))],
                    cols=8, cell=1.6)

# %%
early, middle = spec.layers["early"], spec.layers["middle"]
plotting.image_grid(list(grids[early].images[:8]) + list(grids[middle].images[:8]),
                    [f"{early}:{k}" for k in range(8)] + [f"{middle}:{k}" for k in range(8)], cols=8, cell=1.6)

# %% [markdown]
# Early filters mostly want colours or flat fields: on the shapes CNN the
# first layer's 3×3 kernels sum to about zero, so a mean-activation objective
# is almost degenerate and the best image is often a colour wash (a few
# first-layer filters give fine stripes). Later filters want oriented
# gratings and grids of blobs, repeated everywhere:
# the objective is a *mean over positions*, so the best image repeats the
# pattern.
#
# A filter flagged "dead" had an identically zero gradient (its ReLU never
# opened on the start image); `render` returns the start image and says so,
# rather than NaNs.

# %% [markdown]
# ## 3. Pixels or a Fourier basis?
#
# Olah et al. (2017) optimize the image through a **Fourier parameterization**:
# $x = \sigma\big(C\,\mathcal{F}^{-1}[s(f)\,\hat v]\big)$ with $s(f) \propto 1/f$,
# a colour-decorrelation matrix $C$ and a sigmoid. A step in $\hat v$ moves
# low and high frequencies about equally, so the picture stays smooth without
# any blur.

# %%
fourier = render(spec.model, O.channel(late, range(8)), param="fourier", transforms=robust[:-1], steps=STEPS,
                 lr=LR, seed=SEED, size=size)
plotting.image_grid(list(grids[late].images[:8]) + list(fourier.images),
                    [f"pixel {k}" for k in range(8)] + [f"Fourier {k}" for k in range(8)], cols=8, cell=1.6)

# %% [markdown]
# ## 4. From filters to classes
#
# On the shapes CNN the last convolution is averaged over the image and fed to
# one Dense layer, so logit $z_c = b_c + \sum_k W_{k,c}\,\bar A_k$: each
# filter *votes* for classes with weight $W_{k,c}$. Rows below are filters,
# columns classes.

# %%
from helpers.exercises import lesson02
try:
    W = lesson02.class_weights(spec)
    top = np.argsort(-np.abs(W).max(1))[:8]
    fig = plotting.matrix_plot(W[top].T, xlabel="filter (strongest voters)", yticklabels=spec.class_names,
                               title=f"{late} filter -> class weight", cmap="coolwarm")
except ValueError as err:  # VGG16 has fully connected layers in between
    top, fig = np.arange(8), None
    print(err)
fig

# %%
imgs = render(spec.model, O.channel(late, [int(k) for k in top]), transforms=robust, steps=STEPS, lr=LR,
              seed=SEED, size=size).images
labels = [f"{k} → {spec.class_names[int(np.argmax(W[k]))]}" if fig is not None else str(k) for k in top]
plotting.image_grid(list(imgs), labels, cols=8, cell=1.8)

# %% [markdown]
# Filters that vote for *vertical stripes* want vertical gratings; filters
# voting for *triangle* want oblique ones (a triangle's slanted sides), and
# filters voting for *plus* or *square* want corners and crossings. Not every
# vote is that readable: a
# horizontal grating can vote for *square* (its top and bottom edges). The
# class is built from these parts.

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
# Which class does filter `top[0]` (the strongest voter above) vote for most?
# Give a class name.

# %%
q = lesson02.filter_vote_exercise(spec, int(top[0])) if fig is not None else None
answer = ...   # e.g. "ring"
q.check(answer) if q else print("This exercise needs the shapes CNN.")

# %% [markdown]
# ## Summary
#
# * Feature visualization is gradient ascent on the image:
#   $x \leftarrow x + \eta\, g / \mathrm{rms}(g)$.
# * Objectives are small composable functions of activations; a per-image
#   index turns a whole layer into one batch.
# * Transforms and the Fourier parameterization turn pixel noise into readable
#   patterns: early layers want colours and edges, late layers gratings,
#   corners and parts, and last-layer filters vote for classes.
#
# ## On your own / Further reading
#
# * Try `O.neuron(late, k)` (one position) against `O.channel(late, k)`; and
#   `O.channel(late, a) + O.channel(late, b)`.
# * Add `0.05 * O.diversity(late)` to a batch of the same filter.
# * Chollet, "How convolutional neural networks see the world", Keras blog, 2016.
# * Olah, Mordvintsev and Schubert, "Feature Visualization", Distill, 2017.
# * Erhan, Bengio, Courville and Vincent, "Visualizing higher-layer features of a deep network", 2009.
