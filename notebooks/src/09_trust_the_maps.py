# %% [markdown]
# # 09 · Can we trust these maps?
#
# Lessons 04–06 drew many heatmaps, and they all *looked* right. Looking is
# not measuring. The shapes world knows the true object pixels of every
# image, so here we score the maps, compare them with maps that know
# nothing, and check that they depend on what the network learned at all.
#
# **What you'll do**
# * score every method with the **pointing game** and the **energy in the mask**;
# * beat (or not) a random map and a "look at the centre" map;
# * find where Grad-CAM misses, and why;
# * run the **model-randomization sanity check** of Adebayo et al. (2018).
#
# **What you'll learn**
# * that a map can point at the object without explaining the model;
# * which methods pass the sanity check, and which are nearly blind to the weights.
#
# **What you'll need:** lessons 04–06.

# %% [markdown]
# ## Parameters

# %%
MODEL = "auto"       # for the panel; the measurements need the shapes world
N_IMAGES = 500       # images for the pointing game
N_SANITY = 100       # images for the randomization check
TOLERANCE = 3        # pixels of slack around the object
SEED = 0

# %%
import warnings
from matplotlib.figure import Figure
import numpy as np
from helpers import attribution, config, metrics, plotting, shapes
from helpers.activations import get_activations, upsample
from helpers.models import load_model

warnings.filterwarnings("ignore", message=".*all zeros.*")   # empty maps are counted below instead
spec = load_model(MODEL)
model = load_model("shapes").model
x, y, masks = shapes.make_shapes(config.samples(N_IMAGES), seed=SEED + 9)
print(f"{len(x)} images with masks; objects cover {masks.mean():.1%} of the pixels on average")

# %% [markdown]
# ## 1. Two scores
#
# **Pointing game** (Zhang et al., 2016): a map *hits* when its maximum lies
# on the object, allowing $t$ pixels of slack:
#
# $$\mathrm{hit} = \big[\arg\max_p S_p \in \mathrm{grow}_t(M)\big],
# \qquad \text{pointing accuracy} = \tfrac{1}{N}\textstyle\sum \mathrm{hit}.$$
#
# **Energy in the mask**: the share of the map's mass on the object,
# $\sum_{p\in M} S_p / \sum_p S_p$. A map spread evenly over the image scores
# the object's area (about 9 % here).
#
# From scratch for one map, next to the helper:

# %%
maps_gc = attribution.grad_cam(model, x, y)
peak = np.unravel_index(maps_gc[0].argmax(), maps_gc[0].shape)
grown = metrics.dilate(masks[:1], TOLERANCE)[0]
print("peak at", peak, "| hit by hand:", bool(grown[peak]),
      "| helper:", bool(metrics.pointing_game(maps_gc[:1], masks[:1], TOLERANCE)[0]))
print(f"energy by hand: {(maps_gc[0] * masks[0]).sum() / maps_gc[0].sum():.3f}"
      f" | helper: {metrics.energy_in_mask(maps_gc[:1], masks[:1])[0]:.3f}")

# %% [markdown]
# ## 2. Every method against two baselines
#
# A **random** map knows nothing; its peak lands on the object about as
# often as the grown object covers the image. A **centre** map (a Gaussian
# bump in the middle) knows only that photographers centre their subject.

# %%
runs = {"saliency": {}, "smoothgrad": {"samples": 16, "seed": SEED}, "integrated_gradients": {"steps": 16},
        "guided_backprop": {}, "grad_cam": {}, "grad_cam_plus_plus": {}, "guided_grad_cam": {}}
all_maps = {m: attribution.METHODS[m](model, x, y, **kw) for m, kw in runs.items()}
all_maps["random"] = metrics.random_maps(len(x), x.shape[1:3], seed=SEED)
all_maps["centre"] = metrics.centre_maps(len(x), x.shape[1:3])
pointing = {m: metrics.pointing_game(v, masks, TOLERANCE).mean() for m, v in all_maps.items()}
energy = {m: metrics.energy_in_mask(v, masks).mean() for m, v in all_maps.items()}
print(f"{'method':<22}{'pointing':>10}{'energy':>10}")
for m in all_maps:
    print(f"{m:<22}{pointing[m]:>10.3f}{energy[m]:>10.3f}")

# %%
colors = ["tab:blue"] * len(runs) + ["tab:gray"] * 2
plotting.bar_chart(list(pointing), list(pointing.values()), title=f"pointing game ({len(x)} images, {TOLERANCE} px)",
                   ylabel="hit rate", color=colors, ylim=(0, 1))

# %% [markdown]
# On 1000 unseen images, `python -m helpers.evaluate pointing` measured:
# saliency 0.99, SmoothGrad 0.90, integrated gradients 0.99, guided backprop
# 1.00, Grad-CAM 0.99, Grad-CAM++ 0.99, guided Grad-CAM 1.00; random 0.12,
# centre 0.34. Every method beats both baselines by far. The gradient maps
# peak on the object's *edges*, which lie inside the mask; Grad-CAM, with
# its 16×16 map, is coarser, and that shows on one class.
#
# ## 3. Where does Grad-CAM miss?

# %%
hits = metrics.pointing_game(maps_gc, masks, TOLERANCE)
per_class = [hits[y == c].mean() if np.any(y == c) else 0.0 for c in range(len(shapes.CLASS_NAMES))]
plotting.bar_chart(shapes.CLASS_NAMES, per_class, title="Grad-CAM pointing game per class", ylim=(0, 1))

# %% [markdown]
# The **ring** stands out. Look at a few rings and their Grad-CAM maps:

# %%
rings = np.flatnonzero(y == shapes.CLASS_NAMES.index("ring"))[:4]
plotting.image_grid([*x[rings], *[plotting.heatmap_overlay(x[i], maps_gc[i], 0.5) for i in rings],
                     *masks[rings].astype(np.float32)],
                    ["ring"] * len(rings) + ["Grad-CAM"] * len(rings) + ["mask"] * len(rings),
                    cols=max(1, len(rings)), cell=2.6, cmap="gray")

# %% [markdown]
# When Grad-CAM misses a ring, its peak falls in the **hole**, which is not
# part of the object. The network does look at the ring; a 16×16 map is
# just coarse next to a hole a few pixels wide. Resolution matters a lot
# here: an earlier version of this network pooled once more, so its last
# conv layer was 8×8, and Grad-CAM's peak then fell in the hole on two rings
# out of three (pointing game 0.34 on rings, 0.89 overall, against 0.92 and
# 0.99 now). Grad-CAM can be no sharper than the layer it explains. A score
# is only as good as its definition, too: count the hole as part of the ring
# and the misses disappear. Remember both before you trust (or dismiss) one
# number.
#
# ## 4. The sanity check: do the maps depend on the weights?
#
# Adebayo et al. (2018) re-initialise the network's weights one layer at a
# time, from the top down, and compare each method's maps with the trained
# model's by **Spearman rank correlation**. A map that explains the model
# must change as the model is destroyed. A map that stays the same is
# showing the image, not the model. (On about a tenth of the images, Grad-CAM
# of a fully randomized model is all zeros: 5 % in `python -m
# helpers.evaluate sanity`. Such maps count as correlation 0, never NaN.)

# %%
xs, ys = x[:config.samples(N_SANITY)], y[:config.samples(N_SANITY)]
cascade = {m: metrics.randomization_cascade(model, xs, ys, attribution.METHODS[m], seed=SEED)
           for m in ("grad_cam", "saliency", "guided_backprop")}
fig = Figure(figsize=config.figsize(8, 3.6))
ax = fig.subplots()
for m, res in cascade.items():
    ax.plot(res["spearman"], marker="o", label=m)
ax.set_xticks(range(len(res["layers"])), ["trained", *[f"…{l}" for l in res["layers"][1:]]])
ax.set_ylabel("Spearman with trained maps")
ax.set_xlabel("randomized down to layer")
ax.set_ylim(-0.1, 1.05)
ax.legend()
fig

# %%
stages = cascade["grad_cam"]["layers"]
cells = [res["maps"][k] for res in cascade.values() for k in range(len(stages))]
print("empty Grad-CAM maps per stage:", [f"{e:.0%}" for e in cascade["grad_cam"]["empty"]])
plotting.image_grid(cells, [f"{m}: {s}" for m in cascade for s in stages], cols=len(stages), cell=2.0,
                    cmap="inferno")

# %% [markdown]
# Read the curves left to right. Grad-CAM falls as soon as the top layers
# are random. Guided backprop stays close to its trained picture while the
# top layers change: its maps barely notice that the classifier on top is
# gone, as Adebayo et al. found. Only when the convolutions themselves are
# scrambled does it change. With every layer random
# (`python -m helpers.evaluate sanity`, 200 images) we measured Spearman
# 0.07 for Grad-CAM, 0.05 for saliency and 0.06 for guided backprop: on this
# small network, once *all* weights are gone, no method survives. The
# difference lies in the top layers, the ones that decide the class.
#
# ## 5. Pointing with a random network
#
# The sharpest test: a fully random network knows nothing about shapes. Any
# method that still "finds" the object is reading the image, not the model.

# %%
random_model = metrics.randomized_model(model, seed=SEED)
blind = {m: metrics.pointing_game(attribution.METHODS[m](random_model, x, y), masks, TOLERANCE).mean()
         for m in ("grad_cam", "saliency", "guided_backprop")}
print({m: round(float(v), 3) for m, v in blind.items()}, "| random-map baseline:", round(float(pointing["random"]), 3))
plotting.bar_chart(list(blind), list(blind.values()), title="pointing game on a randomly initialised network",
                   color="tab:red", ylim=(0, 1))

# %% [markdown]
# On a random network the objects still stand out as edges in the image.
# Guided backprop, which mostly reconstructs edges, keeps pointing at them;
# Grad-CAM falls towards the random-map baseline. `python -m helpers.evaluate
# sanity` measured, on a fully randomized network: guided backprop 0.81,
# saliency 0.45, Grad-CAM 0.42 (random maps: 0.12). A high pointing score is
# necessary, not sufficient: a method must also pass the sanity check.
#
# ## 6. A map that hardly looks at the class: Grad-CAM++
#
# `python -m helpers.evaluate sanity` also scores Grad-CAM++, and it does
# badly: Spearman 0.45 between its maps from the trained and the fully
# random network (Grad-CAM: 0.07). Why? Its channel weights
# $\alpha_k^c = \sum_{i,j} a^{kc}_{ij}\,\mathrm{ReLU}(\partial f_c/\partial A_{ijk})$
# are never negative, so its map is a positively weighted sum of the
# feature maps: close to plain *activity*, $\sum_k A_k$, which does not
# depend on the class at all. Measure it:

# %%
last = load_model("shapes").layers["last_conv"]
xs = x[:config.samples(N_SANITY)]
def activity(m):
    """Where the last conv layer is active, summed over channels, whatever the class."""
    acts = get_activations(m, xs, [last])[last].sum(-1)
    return np.stack([upsample(a, xs.shape[1:3]) for a in acts])
maps = {}
for label, m in (("trained", model), ("random", random_model)):
    maps[label] = pp, gc, act = (attribution.grad_cam_plus_plus(m, xs, y[:len(xs)]),
                                 attribution.grad_cam(m, xs, y[:len(xs)]), activity(m))
    print(f"{label:>8} network: Spearman with class-free activity: Grad-CAM++ "
          f"{metrics.spearman(pp, act).mean():.2f}, Grad-CAM {metrics.spearman(gc, act).mean():.2f}")
pp, _, act = maps["trained"]
plotting.image_grid([*xs[:4], *pp[:4], *act[:4]], ["image"] * 4 + ["Grad-CAM++"] * 4 + ["activity"] * 4,
                    cols=4, cell=2.4, cmap="inferno")

# %% [markdown]
# On the shapes CNN, Grad-CAM++ and class-free activity agree almost rank
# for rank (a full run gave 0.98 on the trained network), and activity
# still follows the object on a random network, so Grad-CAM++ keeps much of
# its picture when the weights are gone (0.92 with activity there). Grad-CAM's
# weights can be negative: it follows activity less on the trained network
# (0.79) and hardly at all on the random one (0.10). A map can point at the
# object and still say little about the class.
#
# ## 7. Explore
# Every method of the course in one panel. Compare them on the same image.

# %%
from helpers.widgets.attribution import AttributionPanel
panel = AttributionPanel(spec, method="grad_cam")
panel.run()
panel

# %% [markdown]
# ## Exercise: score the pointing game yourself
# Using `maps_gc` (Grad-CAM maps) and `masks` for the **first 20 images**,
# compute the fraction of maps whose peak lies within 3 pixels of the
# object. Give one number between 0 and 1.

# %%
from helpers.exercises.lesson09 import pointing_exercise
q = pointing_exercise(maps_gc[:20], masks[:20], tolerance=3)
answer = None    # your fraction here
q.check(answer)

# %% [markdown]
# `q.hint()` and `q.solution()` help.
#
# ## Summary
# * The pointing game and the energy in the mask turn "looks right" into numbers; compare them with random and centre maps.
# * On the shapes world every method beats both baselines; Grad-CAM is the coarsest, and its peak falls in a ring's hole.
# * The randomization sanity check asks whether a map depends on the weights: Grad-CAM and gradients do;
#   guided backprop hardly notices the top layers and still points at objects on a random network.
# * Trust a method only when it passes both kinds of test.
#
# ## On your own
# * Change `TOLERANCE` to 0 and 6: which methods are most sensitive?
# * Run the cascade for SmoothGrad and Grad-CAM++ (`python -m helpers.evaluate sanity` prints them all).
#
# ## Further reading
# * J. Adebayo et al., *Sanity Checks for Saliency Maps*, NeurIPS 2018.
# * J. Zhang et al., *Top-down Neural Attention by Excitation Backprop*, ECCV 2016 (the pointing game).
# * S. Hooker et al., *A Benchmark for Interpretability Methods in Deep Neural Networks*, NeurIPS 2019.
