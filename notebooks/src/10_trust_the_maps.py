# %% [markdown]
# # 10 · Can we trust these maps?
#
# Lessons 05–07 drew many heatmaps, and they all *looked* right. Looking is
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
# **What you'll need:** lessons 05–07.

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
import numpy as np
from scipy import ndimage
from helpers import attribution, config, metrics, plotting, shapes
from helpers.claims import claim
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
# the object's area (printed above).
#
# From scratch for one map, next to the helper:

# %%
maps_gc = attribution.grad_cam(model, x, y)
peak = tuple(int(v) for v in np.unravel_index(maps_gc[0].argmax(), maps_gc[0].shape))
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
claim("worst method's pointing minus the best baseline's", min(pointing[m] for m in runs)
      - max(pointing["random"], pointing["centre"]), at_least=0.4)
claim("random maps' energy minus the objects' area", abs(energy["random"] - masks.mean()), at_most=0.01);

# %%
colors = ["tab:blue"] * len(runs) + ["tab:gray"] * 2
plotting.bar_chart(list(pointing), list(pointing.values()), title=f"pointing game ({len(x)} images, {TOLERANCE} px)",
                   ylabel="hit rate", color=colors, ylim=(0, 1))

# %% [markdown]
# Every method beats both baselines by far, on both scores. Grad-CAM's map
# has the last conv layer's resolution (16×16, one cell per 4×4 pixels),
# so it is the coarsest. Does that cost it anything?
#
# ## 3. Where does Grad-CAM miss?

# %%
hits = metrics.pointing_game(maps_gc, masks, TOLERANCE)
strict = metrics.pointing_game(maps_gc, masks, 0)
n_cls = len(shapes.CLASS_NAMES)
per_class = [hits[y == c].mean() if np.any(y == c) else 0.0 for c in range(n_cls)]
per_class_strict = [strict[y == c].mean() if np.any(y == c) else 0.0 for c in range(n_cls)]
fig, ax = plotting.new_figure(7, 3.2)
ax.bar(np.arange(n_cls) - 0.2, per_class, 0.4, label=f"{TOLERANCE} px slack")
ax.bar(np.arange(n_cls) + 0.2, per_class_strict, 0.4, label="no slack", color="tab:orange")
ax.set_xticks(range(n_cls), shapes.CLASS_NAMES, rotation=30, ha="right")
ax.set(ylim=(0, 1.05), ylabel="hit rate", title="Grad-CAM pointing game per class")
ax.legend(loc="lower left")
fig.tight_layout()
lowest = {shapes.CLASS_NAMES[int(c)] for c in np.argsort(per_class_strict)[:2]}
claim("the two classes with the lowest hit rate without slack", lowest == {"ring", "horizontal stripes"})
fig

# %% [markdown]
# With the slack, Grad-CAM hits nearly everywhere. Without it, the ring and
# the horizontal stripes fall furthest. Look at a few rings:

# %%
rings = np.flatnonzero(y == shapes.CLASS_NAMES.index("ring"))
holes = np.stack([ndimage.binary_fill_holes(masks[i]) & ~masks[i] for i in rings])
in_hole = np.array([h[np.unravel_index(maps_gc[i].argmax(), h.shape)] for h, i in zip(holes, rings)])
print(f"{len(rings)} rings: Grad-CAM's peak in the hole on {in_hole.mean():.0%}, "
      f"a hit with {TOLERANCE} px slack on {hits[rings].mean():.0%}")
claim("rings whose Grad-CAM peak lies in the hole", in_hole.mean(), between=(0.3, 0.7))
show = rings[:4]
plotting.image_grid([*x[show], *[plotting.heatmap_overlay(x[i], maps_gc[i], 0.5) for i in show],
                     *masks[show].astype(np.float32)],
                    ["ring"] * len(show) + ["Grad-CAM"] * len(show) + ["mask"] * len(show),
                    cols=max(1, len(show)), cell=2.2, cmap="gray")

# %% [markdown]
# On small rings Grad-CAM draws one blob over the whole ring, and its peak
# falls in the **hole**, which is not part of the object (on a large ring
# the map follows the band). The network does
# look at the ring; a 16×16 map is just coarse next to a hole a few pixels
# wide, and the pointing game's slack hides it: a small hole lies within
# 3 px of the ring. Grad-CAM can be no sharper than the layer it explains,
# and a score is only as good as its definition. Remember both before you
# trust (or dismiss) one number.
#
# ## 4. The sanity check: do the maps depend on the weights?
#
# Adebayo et al. (2018) re-initialise the network's weights one layer at a
# time, from the top down, and compare each method's maps with the trained
# model's by **Spearman rank correlation**. A map that explains the model
# must change as the model is destroyed. A map that stays the same is
# showing the image, not the model. Some Grad-CAM maps of a randomized
# model are all zeros (every position votes against the class); they count
# as correlation 0, never NaN.

# %%
xs, ys = x[:config.samples(N_SANITY)], y[:config.samples(N_SANITY)]
cascade = {m: metrics.randomization_cascade(model, xs, ys, attribution.METHODS[m], seed=SEED)
           for m in ("grad_cam", "saliency", "guided_backprop")}
fig, ax = plotting.new_figure(8, 3.6)
for m, res in cascade.items():
    ax.plot(res["spearman"], marker="o", label=m)
ax.set_xticks(range(len(res["layers"])), ["trained", *[f"…{l}" for l in res["layers"][1:]]])
ax.set(ylabel="Spearman with trained maps", xlabel="randomized down to layer", ylim=(-0.1, 1.05))
ax.legend()
fig.tight_layout()
fig

# %%
stages = cascade["grad_cam"]["layers"]
sp = {m: dict(zip(stages, res["spearman"])) for m, res in cascade.items()}
print("empty Grad-CAM maps per stage:", [f"{e:.0%}" for e in cascade["grad_cam"]["empty"]])
claim("Grad-CAM, logits randomized", sp["grad_cam"][stages[1]], at_most=0.5)
claim("saliency, logits randomized", sp["saliency"][stages[1]], at_least=0.7)
claim("guided backprop, logits randomized", sp["guided_backprop"][stages[1]], at_least=0.8)
claim("saliency and guided backprop, down to conv3 randomized (the larger)",
      max(sp["saliency"]["conv3"], sp["guided_backprop"]["conv3"]), at_most=0.5)
claim("every method, all layers randomized (the largest)", max(v[stages[-1]] for v in sp.values()), at_most=0.3)
cells = [res["maps"][k] for res in cascade.values() for k in range(len(stages))]
plotting.image_grid(cells, [f"{m}: {s}" for m in cascade for s in stages], cols=len(stages), cell=2.0)

# %% [markdown]
# Read the curves left to right. Randomize only the logits layer, the one
# that turns features into class scores, and Grad-CAM's map is a different
# map: Grad-CAM depends on the class weights. Saliency and guided backprop
# hardly change: with random class weights on top, their gradients still
# outline the object, because what they mostly show is where the trained
# conv features respond, whatever the class. That is lesson 06's finding
# again (their maps for two classes nearly agree). They change only when
# `conv3` and below are random; with every layer random, no method's map
# resembles its trained one. So the top of the network, where the class is
# decided, is invisible to the two gradient maps and visible to Grad-CAM.
#
# ## 5. Pointing with a random network
#
# The sharpest test: a fully random network knows nothing about shapes. Any
# method that still "finds" the object is reading the image, not the model.

# %%
random_model = metrics.randomized_model(model, seed=SEED)
blind = {m: metrics.pointing_game(attribution.METHODS[m](random_model, x, y), masks, TOLERANCE).mean()
         for m in ("grad_cam", "saliency", "guided_backprop")}
print(", ".join(f"{m} {v:.3f}" for m, v in blind.items()), f"| random-map baseline: {pointing['random']:.3f}")
claim("guided backprop on a random network", blind["guided_backprop"], at_least=0.5)
claim("on a random network, guided backprop > saliency > Grad-CAM",
      bool(blind["guided_backprop"] > blind["saliency"] > blind["grad_cam"]))
claim("every method on a random network, above random maps", bool(min(blind.values()) > pointing["random"]))
plotting.bar_chart(list(blind), list(blind.values()), title="pointing game on a randomly initialised network",
                   color="tab:red", ylim=(0, 1))

# %% [markdown]
# On a random network the objects still stand out as edges in the image,
# and random convolutions still respond to edges. Guided backprop, which
# mostly reconstructs edges, keeps pointing at them more often than not;
# saliency less, Grad-CAM least, though none falls all the way to the
# random-map baseline. A high pointing score is necessary, not sufficient:
# a method must also pass the sanity check.
#
# ## 6. A map that hardly looks at the class: Grad-CAM++
#
# Grad-CAM++'s channel weights
# $\alpha_k^c = \sum_{i,j} a^{kc}_{ij}\,\mathrm{ReLU}(\partial f_c/\partial A_{ijk})$
# are never negative, so its map is a positively weighted sum of the
# feature maps: close to plain *activity*, $\sum_k A_k$, which does not
# depend on the class at all. Measure it, on the trained and on the random
# network:

# %%
last = load_model("shapes").layers["last_conv"]
labels = y[:len(xs)]
maps = {}
for label, m in (("trained", model), ("random", random_model)):
    maps[label] = pp, gc, act = (attribution.grad_cam_plus_plus(m, xs, labels), attribution.grad_cam(m, xs, labels),
                                 metrics.activity_maps(m, xs, last))
    print(f"{label:>8} network: Spearman with class-free activity: Grad-CAM++ "
          f"{metrics.spearman(pp, act).mean():.2f}, Grad-CAM {metrics.spearman(gc, act).mean():.2f}")
same = {i: metrics.spearman(maps["trained"][i], maps["random"][i]).mean() for i in (0, 1)}
print(f"trained vs random network: Grad-CAM++ {same[0]:.2f}, Grad-CAM {same[1]:.2f}")
claim("Grad-CAM++ vs activity, trained network", metrics.spearman(*maps["trained"][::2]).mean(), at_least=0.9)
claim("Grad-CAM++ vs activity, random network", metrics.spearman(*maps["random"][::2]).mean(), at_least=0.8)
claim("Grad-CAM vs activity, random network", metrics.spearman(*maps["random"][1:]).mean(), at_most=0.3)
claim("Grad-CAM++ keeps more of its trained map than Grad-CAM", bool(same[0] > same[1] + 0.1))
pp, _, act = maps["trained"]
plotting.image_grid([*xs[:4], *pp[:4], *act[:4]], ["image"] * 4 + ["Grad-CAM++"] * 4 + ["activity"] * 4,
                    cols=4, cell=2.2)

# %% [markdown]
# On the shapes CNN, Grad-CAM++ and class-free activity agree almost rank
# for rank on the trained network, and activity still follows the object on
# a random network, so Grad-CAM++ keeps more of its picture than Grad-CAM
# when the weights are gone. Grad-CAM's weights can be negative: it follows activity
# less on the trained network and hardly at all on the random one. A map
# can point at the object and still say little about the class.
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
from helpers.exercises.lesson10 import pointing_exercise
q = pointing_exercise(maps_gc[:20], masks[:20], tolerance=3, maps_name="maps_gc[:20]", masks_name="masks[:20]")
answer = None    # your fraction here
q.check(answer);

# %% [markdown]
# `q.hint()` and `q.solution()` help.
#
# ## Summary
# * The pointing game and the energy in the mask turn "looks right" into numbers; compare them with random and centre maps.
# * On the shapes world every method beats both baselines; Grad-CAM is the coarsest, and on small rings its
#   peak falls in the hole, which the pointing game's slack hides.
# * The randomization sanity check asks whether a map depends on the weights: Grad-CAM changes as soon as the
#   class layer is random; saliency and guided backprop barely notice the top layers and change only when the
#   convolutions are random. Guided backprop still points at objects on a random network.
# * Grad-CAM++ is close to class-free activity, on a trained and on a random network.
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
