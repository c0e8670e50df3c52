# %% [markdown]
# # 04 · Saliency: which pixels matter?
#
# A classifier turns an image into one score per class. If we nudge one
# pixel, how much does the score of the class move? The answer, for every
# pixel at once, is the **gradient** of the score with respect to the image,
# and drawn as a picture it is a *saliency map*.
#
# **What you'll do**
# * compute a saliency map from scratch with `tf.GradientTape`, then with the helper;
# * make it less noisy with **SmoothGrad**;
# * compute **integrated gradients** and check that they add up to the score;
# * measure on the shapes world whether each map points at the object.
#
# **What you'll learn**
# * why we differentiate the class *logit* and not its probability;
# * what the noise level of SmoothGrad and the baseline of integrated gradients do.
#
# **What you'll need:** lesson 00. No GPU, no internet.

# %% [markdown]
# ## Parameters

# %%
MODEL = "auto"          # "auto", "shapes", "vgg16"
SMOOTH_SAMPLES = 25     # noisy copies per image for SmoothGrad
SMOOTH_NOISE = 0.15     # noise std as a fraction of the image's value range
IG_STEPS = 32           # steps of the path integral
N_EVAL = 300            # shapes images for the pointing game at the end
SEED = 0

# %%
import numpy as np
import tensorflow as tf
from helpers import attribution, config, metrics, plotting, shapes
from helpers.models import load_model

spec = load_model(MODEL)
samples = spec.sample_images()
name = next(iter(samples))                 # the cat photo online, a circle offline
image, cls = samples[name]
print(f"{name}: explaining class {cls} ({spec.class_names[cls]})")

# %% [markdown]
# ## 1. The idea
#
# Around one image $x_0$, the class score is almost a linear function of the
# pixels (Simonyan, Vedaldi & Zisserman, 2013):
#
# $$z_c(x) \approx w^\top x + b, \qquad w = \left.\frac{\partial z_c}{\partial x}\right|_{x_0}.$$
#
# A pixel with a large $|w|$ changes the score a lot when it changes a little.
# A colour image has three numbers per pixel; the saliency map keeps the
# largest:
#
# $$M_{ij} = \max_{ch} \left|\frac{\partial z_c}{\partial x_{ij,ch}}\right|.$$
#
# Use the **logit** $z_c$ (the score before the softmax), not the probability
# $p_c$: $p_c$ can also rise because the *other* classes fall, and once the
# model is sure, $p_c \approx 1$ is flat and its gradient vanishes.
#
# ## 2. From scratch

# %%
x = tf.constant(image[None])
with tf.GradientTape() as tape:
    tape.watch(x)                                   # x is not a variable: watch it
    score = spec.logits_model(x)[0, cls]            # the class logit z_c
grad = tape.gradient(score, x)[0].numpy()           # dz_c/dx, shape [h, w, 3]
scratch = np.abs(grad).max(axis=-1)                 # M = max over colour channels of |grad|
scratch /= scratch.max()

# %% [markdown]
# The helper does the same, for a whole batch at once, in a compiled
# function; it skips the softmax for you and never changes the model.

# %%
helper = attribution.saliency(spec.model, image[None], cls)[0]
print("Spearman rank correlation, scratch vs helper:", metrics.spearman(scratch[None], helper[None])[0].round(4))
plotting.image_grid([image, scratch, plotting.heatmap_overlay(image, helper, 0.5)],
                    [name, "saliency (scratch)", "saliency over the image"], cols=3, cell=4, cmap="inferno")

# %% [markdown]
# Raw gradients are speckled: neighbouring pixels get very different values.
# On the shapes CNN they light up the object's **edges**, which is where a
# small change of colour changes what the filters see.
#
# ## 3. SmoothGrad
#
# Smilkov et al. (2017) average the map over noisy copies of the image:
#
# $$\hat M(x) = \frac{1}{n}\sum_{k=1}^{n} M\big(x + \epsilon_k\big),
# \qquad \epsilon_k \sim \mathcal N\big(0, \sigma^2\big),\quad
# \sigma = \text{noise}\cdot(x_{\max} - x_{\min}).$$
#
# The noise is relative to the image's value range, so the same setting works
# for any input scale. The paper recommends 10–20 %.

# %%
levels = [0.0, 0.05, SMOOTH_NOISE, 0.4]
maps = [attribution.smoothgrad(spec.model, image[None], cls, samples=SMOOTH_SAMPLES, noise=s, seed=SEED)[0]
        for s in levels]
plotting.image_grid([image, *maps], [name, *[f"noise {s:.0%}" for s in levels]], cols=5, cell=3, cmap="inferno")

# %% [markdown]
# With no noise SmoothGrad *is* the saliency map. A little noise averages the
# speckle away; too much and the map blurs into a blob.
#
# ## 4. Integrated gradients
#
# A gradient is local: it says nothing about a pixel whose effect has already
# saturated. Sundararajan et al. (2017) integrate the gradient along the
# straight path from a **baseline** $x'$ (an image with "nothing" in it) to
# $x$:
#
# $$\mathrm{IG}_i(x) = (x_i - x'_i)\int_0^1
# \frac{\partial z_c\big(x' + \alpha (x - x')\big)}{\partial x_i}\, d\alpha
# \;\approx\; (x_i - x'_i)\,\frac{1}{m}\sum_{k=1}^{m}\frac{\partial z_c}{\partial x_i}\Big(x' + \tfrac{k}{m}(x - x')\Big).$$
#
# Their **completeness** property: the attributions add up to the change of
# the score, $\sum_i \mathrm{IG}_i(x) = z_c(x) - z_c(x')$. Let's check it.

# %%
attr, gap = attribution.ig_attributions(spec.model, image[None], cls, baseline="black", steps=IG_STEPS)
print(f"sum of attributions: {attr.sum():.3f}   z_c(x) - z_c(black): {gap[0]:.3f}   "
      f"({config.steps(IG_STEPS)} steps)")

# %% [markdown]
# The two numbers agree up to the error of the sum: the helper uses the
# trapezoid rule, and its error shrinks as the steps grow (on the shapes
# circle: 45 % off with 6 steps, as in fast mode, and 1 % with 32).
# Kinks of the ReLUs along the path are what makes a few steps too few. The baseline is a choice: a black image says
# "compared with darkness", the image's mean colour says "compared with a
# flat image of the same colour".

# %%
ig = {b: attribution.integrated_gradients(spec.model, image[None], cls, baseline=b, steps=IG_STEPS)[0]
      for b in ("black", "mean")}
plotting.image_grid([image, *ig.values()], [name, *[f"IG, {b} baseline" for b in ig]], cols=3, cell=4,
                    cmap="inferno")

# %% [markdown]
# ## 5. Do the maps point at the object?
#
# On a photo we can only look. In the shapes world every image comes with
# the mask of its object, so we can measure. Here: the map's peak must lie
# within 3 pixels of the object (the *pointing game*, lesson 09).

# %%
xs, ys, masks = shapes.make_shapes(config.samples(N_EVAL), seed=SEED + 1)
shape_spec = load_model("shapes")
results = {
    "saliency": attribution.saliency(shape_spec.model, xs, ys),
    "smoothgrad": attribution.smoothgrad(shape_spec.model, xs, ys, samples=SMOOTH_SAMPLES, seed=SEED),
    "integrated gradients": attribution.integrated_gradients(shape_spec.model, xs, ys, steps=IG_STEPS),
}
hits = {k: metrics.pointing_game(v, masks).mean() for k, v in results.items()}
print({k: round(float(v), 3) for k, v in hits.items()})

# %%
rows = [xs[:4], masks[:4].astype(np.float32), *[v[:4] for v in results.values()]]
titles = [shapes.CLASS_NAMES[c] for c in ys[:4]] + ["mask"] * 4 + [k for k in results for _ in range(4)]
plotting.image_grid([im for row in rows for im in row], titles, cols=4, cell=2.2, cmap="inferno")

# %% [markdown]
# ## 6. Explore
# Pick an image (or upload your own), a class and a method. "(predicted)"
# explains the class the model chose; choose another class and see what
# would make it *more* of that.

# %%
from helpers.widgets.attribution import AttributionPanel
panel = AttributionPanel(spec, methods=["saliency", "smoothgrad", "integrated_gradients"])
panel.run()
panel

# %% [markdown]
# ## Exercise 1: saliency for another class
# Compute, from scratch, the vanilla saliency map of the **last** sample image
# for its own class: a 2-D array, one value per pixel. Copy the cell of
# section 2 and change what needs changing.

# %%
from helpers.exercises import lesson04
last_name = list(samples)[-1]
last_image, last_cls = samples[last_name]
q1 = lesson04.saliency_exercise(spec, last_image, last_cls)
answer = None    # your map here
q1.check(answer)

# %% [markdown]
# ## Exercise 2: what do the attributions add up to?
# For integrated gradients with baseline $x'$, $\sum_i \mathrm{IG}_i(x)$ equals
# (a) $z_c(x)$, (b) $z_c(x) - z_c(x')$, (c) $1$? Answer `"a"`, `"b"` or `"c"`.

# %%
answer = None
lesson04.q_completeness.check(answer)

# %% [markdown]
# `q1.hint()`, `q1.solution()` and `lesson04.q_completeness.hint()` help.
#
# ## Summary
# * A saliency map is $\max_{ch}|\partial z_c/\partial x|$: how much each pixel can move the class logit.
# * Explain the logit, not the softmax probability.
# * SmoothGrad averages maps over noisy copies (noise ~15 % of the value range) to remove speckle.
# * Integrated gradients integrate along a path from a baseline; they add up to $z_c(x) - z_c(x')$.
# * On the shapes world these maps point at the object most of the time: measure, don't only look.
#
# ## On your own
# * Try a blurred or random-noise baseline for integrated gradients: does the map change?
# * Compare `attribution.saliency` for the predicted class and for the second-best class.
#
# ## Further reading
# * K. Simonyan, A. Vedaldi, A. Zisserman, *Deep Inside Convolutional Networks:
#   Visualising Image Classification Models and Saliency Maps*, 2013.
# * D. Smilkov et al., *SmoothGrad: removing noise by adding noise*, 2017.
# * M. Sundararajan, A. Taly, Q. Yan, *Axiomatic Attribution for Deep Networks*, ICML 2017.
