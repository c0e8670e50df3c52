# %% [markdown]
# # 05 · Saliency: which pixels matter?
#
# If we nudge one pixel, how much does a class score move? The answer, for
# every pixel at once, is the **gradient** of the score with respect to the
# image; drawn as a picture it is a *saliency map*.
#
# **What you'll do**
# * compute a saliency map from scratch, then with the helper;
# * smooth it with **SmoothGrad**;
# * compute **integrated gradients** and check that they add up to the change of the score from the baseline, $z_c(x) - z_c(x')$;
# * measure whether each map hits the object.
#
# **What you'll learn:** why we differentiate the *logit*, not the
# probability; what SmoothGrad's noise level and integrated gradients'
# baseline do.
#
# **What you'll need:** lesson 00. No GPU, no internet.

# %% [markdown]
# ## Parameters

# %%
MODEL = "auto"          # the shapes CNN; "vgg16" etc. runs the whole lesson on another model (the text describes the shapes CNN)
SMOOTH_SAMPLES = 25     # noisy copies per image for SmoothGrad
SMOOTH_NOISE = 0.05     # noise std as a fraction of the image's value range (section 5 compares 10-20 %)
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
name = next(iter(samples))                 # the first sample: a circle
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
# A pixel with a large $|w|$ moves the score a lot. With three colour
# values per pixel, the saliency map keeps the largest:
#
# $$M_{ij} = \max_{ch} \left|\frac{\partial z_c}{\partial x_{ij,ch}}\right|.$$
#
# Use the **logit** $z_c$ (the score before the softmax), not the probability
# $p_c$: $p_c$ also rises when *other* classes fall, and once the model is
# sure, $p_c \approx 1$ is flat and its gradient vanishes.
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
# The helper does the same for a batch; it skips the softmax for you.

# %%
helper = attribution.saliency(spec.model, image[None], cls)[0]
rho = metrics.spearman(scratch[None], helper[None])[0]
print(f"The scratch map and the helper's map rank the pixels alike: Spearman correlation {rho:.4f}.")
plotting.image_grid([image, scratch, plotting.heatmap_overlay(image, helper, 0.5)],
                    [name, "saliency (scratch)", "saliency over the image"], cols=3, cell=3.5,
                    vmin=0, vmax=1, colorbar="share of the map's maximum")

# %% [markdown]
# Each map in this lesson is scaled to its own maximum (1 on the colour
# bar): compare where a map is bright, not how bright two maps are.
# Raw gradients are speckled. Here they are strongest around the object's
# **outline**, where a small change of colour changes what the filters see;
# a faint patch of the background also shows.
#
# ## 3. SmoothGrad
#
# Smilkov et al. (2017) average the map over noisy copies of the image:
#
# $$\hat M(x) = \frac{1}{n}\sum_{k=1}^{n} M\big(x + \epsilon_k\big),
# \qquad \epsilon_k \sim \mathcal N\big(0, \sigma^2\big),\quad
# \sigma = \text{noise}\cdot(x_{\max} - x_{\min}).$$
#
# Judged by eye on ImageNet photos, the paper recommends 10–20 %.

# %%
levels = sorted({0.0, SMOOTH_NOISE, 0.15, 0.4})
maps = [attribution.smoothgrad(spec.model, image[None], cls, samples=SMOOTH_SAMPLES, noise=s, seed=SEED)[0]
        for s in levels]
plotting.image_grid([image, *maps], [name, *[f"SmoothGrad, noise {s:.0%}" for s in levels]], cols=5, cell=2.4,
                    vmin=0, vmax=1, colorbar="share of the map's maximum")

# %% [markdown]
# With no noise SmoothGrad *is* the saliency map; 5 % smooths the speckle.
# More noise does not just blur: it averages gradients at *other* images,
# where the score reacts to background that hardly mattered here. At 15 % a bright patch grows in the
# background; at 40 % the map covers most of the image. Section 5 measures
# what 10–20 % costs on many images.
#
# ## 4. Integrated gradients
#
# A gradient is local: it misses a pixel whose effect has saturated.
# Sundararajan et al. (2017) integrate it along the straight path from a
# **baseline** $x'$ (an image with "nothing" in it) to $x$:
#
# $$\mathrm{IG}_i(x) = (x_i - x'_i)\int_0^1
# \frac{\partial z_c\big(x' + \alpha (x - x')\big)}{\partial x_i}\, d\alpha
# \;\approx\; (x_i - x'_i)\,\frac{1}{m}\sum_{k=0}^{m} w_k\,\frac{\partial z_c}{\partial x_i}\Big(x' + \tfrac{k}{m}(x - x')\Big),$$
#
# with $w_0 = w_m = \tfrac12$ and $w_k = 1$ otherwise: the **trapezoid
# rule** over $m$ intervals, as the helper computes it (the paper writes the
# right Riemann sum, $k = 1, \dots, m$).
#
# **Completeness**: the attributions add up to the change of the score,
# $\sum_i \mathrm{IG}_i(x) = z_c(x) - z_c(x')$.

# %%
from helpers.claims import claim
error = {}
for m in sorted({8, IG_STEPS, 128}):
    attr, gap = attribution.ig_attributions(spec.model, image[None], cls, baseline="black", steps=m)
    error[m] = abs(attr.sum() - gap[0]) / abs(gap[0])
    print(f"With {config.steps(m):>3} steps the attributions add up to {attr.sum():7.3f}; "
          f"z_c(x) - z_c(black) is {gap[0]:7.3f} (error {error[m]:.1%}).")
if spec.name.startswith("shapes"):
    claim(f"the completeness error with {IG_STEPS} steps", float(error[IG_STEPS]), between=(0.01, 0.09), quiet=True)
    claim("the completeness error with 128 steps", float(error[128]), at_most=0.02, quiet=True);

# %% [markdown]
# The two agree up to the error of the trapezoid sum: a few percent with
# `IG_STEPS` steps, much less with 128.
#
# **The baseline is a choice, with a blind spot.** Each attribution is
# $(x_i - x'_i)$ times an average gradient, so a pixel *equal to the
# baseline* gets zero, however much it matters: against black, dark pixels
# get almost nothing. Two other baselines: the image's mean colour, and the
# image **blurred** (Sturmfels et al. 2020). Below, each baseline sits above
# its map ($|\mathrm{IG}|$ summed over the colour channels).

# %%
baselines = {b: attribution.baseline_images(image, b)[0] for b in ("black", "mean", "blur")}
ig = {b: attribution.integrated_gradients(spec.model, image[None], cls, baseline=b, steps=IG_STEPS)[0]
      for b in baselines}
plotting.image_grid([*baselines.values(), *ig.values()],
                    [f"baseline: {b}" for b in baselines] + [f"IG, {b} baseline" for b in ig], cols=3, cell=2.6,
                    vmin=0, vmax=1, colorbar="share of the map's maximum")

# %% [markdown]
# The factor $x - x'$ shows in each map. Against black, the light
# background collects attribution all over the image; the inside of the
# dark disc gets almost nothing. Against the mean colour, the
# **whole disc** lights up, its outline brightest: its dark blue is far from
# the grey, so every pixel of it has a large $x - x'$. Against the blurred
# image only the **outline** lights up: inside the disc and far from it the
# blur is close to the image, $x - x' \approx 0$. So the blur cannot credit
# smooth regions, and the mean colour cannot credit pixels of that colour.

# %% [markdown]
# ## 5. Do the maps point at the object?
#
# Every shapes image comes with its object's mask, so we can measure.
# The *pointing game* (lesson 10) asks whether a map's peak **hits** the
# object: here, whether it lies on the object's mask or within 3 pixels
# of it.

# %%
xs, ys, masks = shapes.make_shapes(config.samples(N_EVAL), seed=SEED + 1)
shape_spec = load_model("shapes")
results = {
    "saliency": attribution.saliency(shape_spec.model, xs, ys),
    **{f"SmoothGrad {s:.0%}": attribution.smoothgrad(shape_spec.model, xs, ys, samples=SMOOTH_SAMPLES, noise=s,
                                                    seed=SEED)
       for s in sorted({SMOOTH_NOISE, 0.10, 0.15, 0.20})},
    **{f"IG, {b}": attribution.integrated_gradients(shape_spec.model, xs, ys, baseline=b, steps=IG_STEPS)
       for b in ("black", "mean", "blur")},
}
hits = {k: float(metrics.pointing_game(v, masks).mean()) for k, v in results.items()}
print(f"On how many of the {len(xs)} images does the map's peak hit the object?")
for k, v in hits.items():
    print(f"{k:>16}: {v:.0%}")
own = f"SmoothGrad {SMOOTH_NOISE:.0%}"
for k in ("saliency", own, "IG, black", "IG, mean", "IG, blur"):
    claim(f"the share of images where the peak of {k} hits the object", hits[k], at_least=0.95, quiet=True)
for s, least in (("10%", 0.01), ("15%", 0.03), ("20%", 0.05)):
    claim(f"how much less often SmoothGrad at {s} hits the object than at {SMOOTH_NOISE:.0%}",
          hits[own] - hits[f"SmoothGrad {s}"], at_least=least, quiet=True);

# %% [markdown]
# The black baseline's blind spot, measured: the share of each IG map's
# total that falls inside the object's mask, for the darkest and the
# brightest quarter of the objects.

# %%
brightness = np.array([im[m].mean() for im, m in zip(xs, masks)])
dark, light = brightness <= np.quantile(brightness, 0.25), brightness >= np.quantile(brightness, 0.75)
on_object = {b: np.array([g[m].sum() / max(g.sum(), 1e-12) for g, m in zip(results[f"IG, {b}"], masks)])
             for b in ("black", "mean", "blur")}
for b, share in on_object.items():
    print(f"IG with the {b} baseline puts {share[dark].mean():.0%} of its map inside the mask of a dark object, "
          f"{share[light].mean():.0%} for a bright one.")
claim("the black baseline's share on dark objects", float(on_object["black"][dark].mean()), at_most=0.25, quiet=True)
claim("the black baseline's share on bright objects", float(on_object["black"][light].mean()), at_least=0.5,
      quiet=True)
claim("the mean baseline's share on dark objects", float(on_object["mean"][dark].mean()), at_least=0.6, quiet=True)
claim("the mean baseline's share on bright objects", float(on_object["mean"][light].mean()), at_least=0.6,
      quiet=True);

# %%
shown = ["saliency", own, "SmoothGrad 15%", "IG, black", "IG, blur"]
plotting.map_table(xs[:3], {k: results[k][:3] for k in shown}, [shapes.CLASS_NAMES[y] for y in ys[:3]],
                   outlines=masks[:3], cell=2.4, suptitle="cyan: the outline of the object's mask")

# %% [markdown]
# Saliency, SmoothGrad at 5 % and integrated gradients with each baseline
# hit the object on nearly every image. With the paper's 10–20 %,
# SmoothGrad hits it less often (a little at 10 %, clearly at 20 %): on
# these small, noisy images that much noise explains the copies, and in the
# grid the 15 % maps spread into the background. Against black, only a
# small share of the IG map lies inside a dark object's mask (its peak
# usually still hits it), more than half for a bright object; the mean
# colour puts most of the map inside the mask for both.

# %% [markdown]
# ## 6. Explore
# Pick an image (or upload your own), a class and a method.

# %%
from helpers.widgets.attribution import AttributionPanel
panel = AttributionPanel(spec, methods=["saliency", "smoothgrad", "integrated_gradients"])
panel.run()
panel

# %% [markdown]
# ## Exercise: integrated gradients from scratch
# Compute integrated gradients of `last_image` for its class `last_cls`
# without the helper:
# * baseline $x'$: the **mean colour** (every pixel set to the image's
#   per-channel mean);
# * the **trapezoid rule** of section 4, $m = 16$ ($\alpha = 0, \tfrac1{16}, \dots, 1$);
# * gradients of the class **logit** (`spec.logits_model`).
#
# `answer`: the signed attributions, shape `[h, w, 3]` (not a map). When it
# passes, the check prints `answer.sum()` next to $z_c(x) - z_c(x')$: by how
# much does the 16-step sum miss here?

# %%
from helpers.exercises import lesson05
last_name = list(samples)[-1]
last_image, last_cls = samples[last_name]
q = lesson05.ig_exercise(spec, last_image, last_cls)
answer = None    # your [h, w, 3] attributions here
q.check(answer);

# %% [markdown]
# `q.hint()` and `q.solution()` help.
#
# ## On a real ImageNet network
# The same methods on VGG16 (Simonyan & Zisserman 2014) with two sample
# photos, when its ImageNet weights can be loaded (online, e.g. Colab). On
# such networks raw gradients look noisy, SmoothGrad at 10–20 % looks
# sharper (Smilkov et al. 2017), and a black baseline cannot credit dark
# pixels (Sturmfels et al. 2020).

# %%
from helpers.models import load_imagenet
net = load_imagenet("vgg16")
if net is not None:
    grid, titles = [], []
    for pname, (photo, pcls) in list(net.sample_images().items())[:2]:
        one = photo[None]
        grid += [photo, attribution.saliency(net.model, one, pcls)[0],
                 attribution.smoothgrad(net.model, one, pcls, samples=SMOOTH_SAMPLES, noise=0.15, seed=SEED)[0],
                 attribution.integrated_gradients(net.model, one, pcls, baseline="black", steps=IG_STEPS)[0]]
        titles += [f"{pname}: {net.class_names[pcls]}", "saliency", "SmoothGrad, noise 15%", "IG, black baseline"]
    display(plotting.image_grid(grid, titles, cols=4, cell=2.8, vmin=0, vmax=1,
                                colorbar="share of the map's maximum"))

# %% [markdown]
# ## Summary
# * Saliency, $\max_{ch}|\partial z_c/\partial x|$: how much each pixel can move the class logit.
# * SmoothGrad averages maps over noisy copies; too much noise explains the copies (here 10–20 %
#   hits the object less often than 5 %).
# * Integrated gradients add up to $z_c(x) - z_c(x')$, up to the error of the trapezoid sum.
# * Each attribution carries the factor $x - x'$: black hides dark objects.
# * Measure, don't only look: the masks say whether a map hits the object.
#
# ## On your own
# * Try a white baseline (`baseline=1.0`) on a light object: what does the map miss?
# * Compare `attribution.saliency` for the predicted class and for the second-best class.
#
# ## Further reading
# * K. Simonyan, A. Vedaldi, A. Zisserman, *Deep Inside Convolutional Networks:
#   Visualising Image Classification Models and Saliency Maps*, 2013.
# * D. Smilkov et al., *SmoothGrad: removing noise by adding noise*, 2017.
# * M. Sundararajan, A. Taly, Q. Yan, *Axiomatic Attribution for Deep Networks*, ICML 2017.
# * P. Sturmfels, S. Lundberg, S.-I. Lee, *Visualizing the Impact of Feature Attribution Baselines*, Distill 2020.
