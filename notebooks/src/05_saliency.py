# %% [markdown]
# # 05 · Saliency: which pixels matter?
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
# * what the noise level of SmoothGrad and the baseline of integrated gradients do,
#   and why a black baseline cannot see a dark object.
#
# **What you'll need:** lesson 00. No GPU, no internet.

# %% [markdown]
# ## Parameters

# %%
MODEL = "auto"          # "auto", "shapes", "vgg16"
SMOOTH_SAMPLES = 25     # noisy copies per image for SmoothGrad
SMOOTH_NOISE = 0.05     # noise std as a fraction of the image's value range (see the sweep in section 5)
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
                    [name, "saliency (scratch)", "saliency over the image"], cols=3, cell=3.5)

# %% [markdown]
# Raw gradients are speckled: neighbouring pixels get very different values.
# On the shapes CNN they are strongest around the object's **outline**,
# where a small change of colour changes what the filters see; a faint
# patch of the background also shows.
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
# for any input scale. The paper recommends 10–20 % for ImageNet photos.

# %%
levels = sorted({0.0, SMOOTH_NOISE, 0.15, 0.4})
maps = [attribution.smoothgrad(spec.model, image[None], cls, samples=SMOOTH_SAMPLES, noise=s, seed=SEED)[0]
        for s in levels]
plotting.image_grid([image, *maps], [name, *[f"SmoothGrad, noise {s:.0%}" for s in levels]], cols=5, cell=2.4)

# %% [markdown]
# With no noise SmoothGrad *is* the saliency map; a little noise smooths the
# speckle. More noise does not just blur it: at 15 % a second blob grows in
# the background, where the clean map had only a faint patch. SmoothGrad
# averages gradients at *other* images, the noisy copies, and far enough
# from the original the score becomes sensitive to background that hardly
# mattered for the image itself; at 40 % the map covers everything. On
# these small, already noisy images the paper's 10–20 % is too much
# (section 5 measures it), hence `SMOOTH_NOISE`.
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
from helpers.claims import claim
error = {}
for m in sorted({8, IG_STEPS, 128}):
    attr, gap = attribution.ig_attributions(spec.model, image[None], cls, baseline="black", steps=m)
    error[m] = abs(attr.sum() - gap[0]) / abs(gap[0])
    print(f"{config.steps(m):>4} steps: sum of attributions {attr.sum():8.3f}, z_c(x) - z_c(black) {gap[0]:8.3f}, "
          f"error {error[m]:.1%}")
if spec.name.startswith("shapes"):
    claim(f"completeness error with {IG_STEPS} steps", float(error[IG_STEPS]), between=(0.01, 0.09))
    claim("completeness error with 128 steps", float(error[128]), at_most=0.02);

# %% [markdown]
# The two agree up to the error of the sum (a trapezoid rule): a few
# percent with `IG_STEPS` steps, much less with 128 (printed; fast mode caps
# the steps). It does not shrink smoothly: ReLUs switch along the path, and
# a few samples miss or over-count the gradient's jumps.
#
# **The baseline is a choice, and it has a blind spot.** Each attribution is
# $(x_i - x'_i)$ times an average gradient, so a pixel *equal to the
# baseline* gets exactly zero, however much it matters. Against a black
# baseline, dark pixels can hardly get any attribution: they are
# "explained" as nothing. Two other baselines: the image's mean colour
# ("compared with a flat image of the same colour") and the image
# **blurred** (Sturmfels et al. 2020: shapes removed, colours kept). Each is
# shown above the map it gives.

# %%
baselines = {b: attribution.baseline_images(image, b)[0] for b in ("black", "mean", "blur")}
ig = {b: attribution.integrated_gradients(spec.model, image[None], cls, baseline=b, steps=IG_STEPS)[0]
      for b in baselines}
plotting.image_grid([*baselines.values(), *ig.values()],
                    [f"baseline: {b}" for b in baselines] + [f"IG, {b} baseline" for b in ig], cols=3, cell=2.6)

# %% [markdown]
# Against black, the light background is far from the baseline everywhere
# and collects attribution all over the image, while the dark disc gets
# little. Against the mean colour or the blurred image, the attribution
# sits on the circle's outline. Every baseline has its blind spot: the blur
# cannot credit smooth regions (here the background, which is what we want)
# and the mean colour cannot credit pixels of that colour. Section 5
# measures the dark-object effect on many images.

# %% [markdown]
# ## 5. Do the maps point at the object?
#
# On a photo we can only look. In the shapes world every image comes with
# the mask of its object, so we can measure. Here: the map's peak must lie
# within 3 pixels of the object (the *pointing game*, lesson 10).

# %%
xs, ys, masks = shapes.make_shapes(config.samples(N_EVAL), seed=SEED + 1)
shape_spec = load_model("shapes")
results = {
    "saliency": attribution.saliency(shape_spec.model, xs, ys),
    f"SmoothGrad {SMOOTH_NOISE:.0%}": attribution.smoothgrad(shape_spec.model, xs, ys, samples=SMOOTH_SAMPLES,
                                                            noise=SMOOTH_NOISE, seed=SEED),
    **{f"IG, {b}": attribution.integrated_gradients(shape_spec.model, xs, ys, baseline=b, steps=IG_STEPS)
       for b in ("black", "mean", "blur")},
}
hits = {k: float(metrics.pointing_game(v, masks).mean()) for k, v in results.items()}
for s in (0.15,):   # the SmoothGrad noise sweep: SMOOTH_NOISE above, the paper's 15 % here
    sg = attribution.smoothgrad(shape_spec.model, xs, ys, samples=SMOOTH_SAMPLES, noise=s, seed=SEED)
    hits[f"SmoothGrad {s:.0%}"] = float(metrics.pointing_game(sg, masks).mean())
for k, v in hits.items():
    print(f"{k:>16}: pointing game {v:.3f}")
claim("SmoothGrad at 15 % points worse than at SMOOTH_NOISE",
      hits["SmoothGrad 15%"] < hits[f"SmoothGrad {SMOOTH_NOISE:.0%}"] - 0.05);

# %% [markdown]
# The black baseline's blind spot, measured: the share of each IG map's
# total that falls on the object, for the darkest and the brightest quarter
# of the objects.

# %%
brightness = np.array([im[m].mean() for im, m in zip(xs, masks)])
dark, light = brightness <= np.quantile(brightness, 0.25), brightness >= np.quantile(brightness, 0.75)
on_object = {b: np.array([g[m].sum() / max(g.sum(), 1e-12) for g, m in zip(results[f"IG, {b}"], masks)])
             for b in ("black", "mean", "blur")}
for b, share in on_object.items():
    print(f"IG, {b:>5} baseline: share on the object {share[dark].mean():.2f} for dark objects, "
          f"{share[light].mean():.2f} for bright ones")
claim("black baseline: share on dark objects", float(on_object["black"][dark].mean()), at_most=0.25)
claim("black baseline: share on bright objects", float(on_object["black"][light].mean()), at_least=0.5)
claim("mean baseline: share on dark objects", float(on_object["mean"][dark].mean()), at_least=0.6);

# %%
cols = [xs[:4], masks[:4].astype(np.float32), *[results[k][:4] for k in results if k != "IG, mean"]]
titles = ["image", "mask", *[k for k in results if k != "IG, mean"]]
plotting.image_grid([col[i] for i in range(4) for col in cols],
                    [f"{shapes.CLASS_NAMES[ys[i]]}" if j == 0 else t for i in range(4) for j, t in enumerate(titles)],
                    cols=len(cols), cell=1.45)

# %% [markdown]
# Saliency and integrated gradients point at the object almost every time
# (printed above). SmoothGrad at `SMOOTH_NOISE` nearly as often; at the
# paper's 15 % clearly less, which the grid shows as maps spreading into
# the background. The black baseline's blind spot is large: on dark objects
# only a small share of the IG map lands on the object (its peak usually
# still does, as the pointing game shows), against most of it on bright
# objects. The mean-colour baseline treats dark and bright objects alike.

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
from helpers.exercises import lesson05
last_name = list(samples)[-1]
last_image, last_cls = samples[last_name]
q1 = lesson05.saliency_exercise(spec, last_image, last_cls)
answer = None    # your map here
q1.check(answer);

# %% [markdown]
# ## Exercise 2: what do the attributions add up to?
# For integrated gradients with baseline $x'$, $\sum_i \mathrm{IG}_i(x)$ equals
# (a) $z_c(x)$, (b) $z_c(x) - z_c(x')$, (c) $1$? Answer `"a"`, `"b"` or `"c"`.

# %%
answer = None
lesson05.q_completeness.check(answer);

# %% [markdown]
# `q1.hint()`, `q1.solution()` and `lesson05.q_completeness.hint()` help.
#
# ## Summary
# * A saliency map is $\max_{ch}|\partial z_c/\partial x|$: how much each pixel can move the class logit.
# * Explain the logit, not the softmax probability.
# * SmoothGrad averages maps over noisy copies to remove speckle; with too much noise
#   it explains the copies, not the image (on the shapes world, 15 % is too much).
# * Integrated gradients integrate along a path from a baseline; they add up to $z_c(x) - z_c(x')$,
#   up to the error of the sum over steps.
# * An attribution is proportional to $x - x'$: a pixel equal to the baseline gets none. Pick
#   the baseline on purpose (black, mean colour, blurred image).
# * On the shapes world these maps point at the object most of the time: measure, don't only look.
#
# ## On your own
# * Try a random-noise baseline, or a white one (`baseline=1.0`) on a light object: does the map change?
# * Compare `attribution.saliency` for the predicted class and for the second-best class.
#
# ## Further reading
# * K. Simonyan, A. Vedaldi, A. Zisserman, *Deep Inside Convolutional Networks:
#   Visualising Image Classification Models and Saliency Maps*, 2013.
# * D. Smilkov et al., *SmoothGrad: removing noise by adding noise*, 2017.
# * M. Sundararajan, A. Taly, Q. Yan, *Axiomatic Attribution for Deep Networks*, ICML 2017.
# * P. Sturmfels, S. Lundberg, S.-I. Lee, *Visualizing the Impact of Feature Attribution Baselines*, Distill 2020.
