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
MODEL = "auto"       # the shapes CNN; "vgg16" etc. runs the panel on another model (the measurements need the shapes world)
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
from helpers.widgets.attribution import LABELS   # one display name per method, shared with the panels
NAMES = {**LABELS, "random": "random map", "centre": "centre map"}
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
# Two rules settle the corner cases: when several pixels share the maximum,
# *all* of them must lie on the grown object, and an all-zero map points
# nowhere, so it is a miss.
#
# **Energy in the mask**: the share of the map's mass on the object,
# $\sum_{p\in M} S_p / \sum_p S_p$. A map spread evenly over the image scores
# the object's area (printed above).
#
# From scratch for one map, next to the helper:

# %%
maps_gc = attribution.grad_cam(model, x, y)
peaks = maps_gc[0] == maps_gc[0].max()          # every pixel that holds the maximum
grown = metrics.dilate(masks[:1], TOLERANCE)[0]
hit = bool(grown[peaks].all() and maps_gc[0].max() > 0)
print(f"{peaks.sum()} peak pixel(s) | hit by hand: {hit}"
      f" | helper: {bool(metrics.pointing_game(maps_gc[:1], masks[:1], TOLERANCE)[0])}")
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
    print(f"{NAMES[m]:<22}{pointing[m]:>10.3f}{energy[m]:>10.3f}")
claim("worst method's pointing minus the best baseline's", min(pointing[m] for m in runs)
      - max(pointing["random"], pointing["centre"]), at_least=0.4)
claim("random maps' energy minus the objects' area", abs(energy["random"] - masks.mean()), at_most=0.01)
claim("smallest energy of the methods other than SmoothGrad, over the centre map's",
      min(energy[m] for m in runs if m != "smoothgrad") / energy["centre"], at_least=2.0)
claim("SmoothGrad's energy minus the centre map's", energy["smoothgrad"] - energy["centre"], between=(0.02, 0.1));

# %%
colors = ["tab:blue"] * len(runs) + ["tab:gray"] * 2
plotting.bar_chart([NAMES[m] for m in pointing], list(pointing.values()), title=f"pointing game ({len(x)} images, {TOLERANCE} px)",
                   ylabel="hit rate", color=colors, ylim=(0, 1))

# %% [markdown]
# On the pointing game every method beats both baselines by far. The energy
# is a harder score: every method keeps more of its mass on the object than
# the centre map does, and all but SmoothGrad over twice as much, but
# SmoothGrad only a little more: its map, averaged over noisy copies of the
# image, spreads more of its mass over the background.
#
# Grad-CAM's map has the last conv layer's resolution (16×16, one cell per
# 4×4 pixels), so it is the coarsest. Does that cost it anything?
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
lowest = {shapes.CLASS_NAMES[int(c)] for c in np.argsort(per_class_strict)[:3]}
claim("ring and horizontal stripes among the three classes with the lowest hit rate without slack",
      {"ring", "horizontal stripes"} <= lowest)
# a hole or a gap: inside the object's outline (bars joined, holes filled) but not on the object
gaps = np.stack([ndimage.binary_fill_holes(ndimage.binary_closing(m, iterations=3)) & ~m for m in masks])
in_gap = np.array([g[np.unravel_index(m.argmax(), g.shape)] for g, m in zip(gaps, maps_gc)])
gappy = np.isin(y, [shapes.CLASS_NAMES.index(c) for c in ("ring", "horizontal stripes", "vertical stripes")])
print(f"misses without slack on rings and stripes: {int((gappy & (strict == 0)).sum())}, "
      f"with the peak in the ring's hole or between two bars: {in_gap[gappy & (strict == 0)].mean():.0%}")
claim("share of those misses with the peak in a hole or between bars", in_gap[gappy & (strict == 0)].mean(),
      at_least=0.9)
fig

# %% [markdown]
# With the slack, Grad-CAM hits nearly everywhere. Without it, the ring and
# the horizontal stripes are among the lowest bars. Both have parts of their
# outline that are not object: the ring's hole, the gaps between the bars.
# Nearly every miss on them puts the peak right there. (Why the horizontal
# stripes lose more than the vertical ones, this figure cannot tell.) Look
# at a few rings:

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
trio = {"grad_cam": "tab:blue", "saliency": "tab:orange", "guided_backprop": "tab:green"}
cascade = {m: metrics.randomization_cascade(model, xs, ys, attribution.METHODS[m], seed=SEED) for m in trio}
unrelated = {}   # what "no relation" looks like: each trained map against the trained map of the next image
for m in trio:
    trained_maps = attribution.METHODS[m](model, xs, ys)
    unrelated[m] = metrics.spearman(trained_maps, np.roll(trained_maps, 1, axis=0)).mean()
fig, ax = plotting.new_figure(8, 3.8)
for m, color in trio.items():
    ax.plot(cascade[m]["spearman"], marker="o", color=color, label=NAMES[m])
    ax.axhline(unrelated[m], color=color, ls="--", lw=1)
ax.plot([], [], color="gray", ls="--", lw=1, label="dashed: maps of two different images")
stages = cascade["grad_cam"]["layers"]
ax.set_xticks(range(len(stages)), ["trained", *[f"…{l}" for l in stages[1:]]])
ax.set(ylabel="Spearman with the trained map", xlabel="layers randomized, from the top down to", ylim=(-0.2, 1.05))
ax.legend(fontsize=9)
fig.tight_layout()
fig

# %%
sp = {m: dict(zip(stages, res["spearman"])) for m, res in cascade.items()}
print("empty Grad-CAM maps per stage:", [f"{e:.0%}" for e in cascade["grad_cam"]["empty"]])
claim("saliency minus Grad-CAM, logits randomized", sp["saliency"][stages[1]] - sp["grad_cam"][stages[1]],
      at_least=0.2)
claim("saliency, logits randomized", sp["saliency"][stages[1]], at_least=0.7)
claim("guided backprop, logits randomized", sp["guided_backprop"][stages[1]], at_least=0.8)
claim("saliency and guided backprop, down to conv3 randomized (the larger)",
      max(sp["saliency"]["conv3"], sp["guided_backprop"]["conv3"]), at_most=0.5)
claim("every method, all layers randomized (the largest)", max(v[stages[-1]] for v in sp.values()), at_most=0.3)
cells = [res["maps"][k] for res in cascade.values() for k in range(len(stages))]
plotting.image_grid(cells, [f"{NAMES[m]}, " + ("trained" if s == stages[0] else f"…{s}") for m in cascade for s in stages],
                    cols=len(stages), cell=2.0, suptitle="the first image; each map scaled to its own maximum")

# %% [markdown]
# Read the curves left to right. Randomize only the logits layer, the one that turns features
# into class scores, and Grad-CAM's map changes far more than the other two:
# Grad-CAM depends on the class weights. Saliency and guided backprop keep
# most of their ranks (Spearman above 0.7): with random class weights on top,
# their gradients still outline the object, because what they mostly show is
# where the trained conv features respond, whatever the class (lesson 06's
# finding: their maps for two classes nearly agree). They fall steeply once
# `conv3` is random too, and with every layer random no method's map is much
# closer to its trained one than the maps of two different images are (the
# dashed lines). So the top of the network, where the class is decided, is
# nearly invisible to the two gradient maps and plainly visible to Grad-CAM.
#
# ## 5. Pointing with a random network
#
# The sharpest test: a fully random network knows nothing about shapes. Any
# method that still "finds" the object is reading the image, not the model.

# %%
random_model = metrics.randomized_model(model, seed=SEED)
blind = {m: metrics.pointing_game(attribution.METHODS[m](random_model, x, y), masks, TOLERANCE).mean()
         for m in ("grad_cam", "saliency", "guided_backprop")}
print("pointing on the random network: " + ", ".join(f"{NAMES[m]} {v:.3f}" for m, v in blind.items()),
      f"| centre map {pointing['centre']:.3f}, random map {pointing['random']:.3f}")
claim("guided backprop on a random network", blind["guided_backprop"], at_least=0.5)
claim("on a random network, guided backprop > saliency > Grad-CAM",
      bool(blind["guided_backprop"] > blind["saliency"] > blind["grad_cam"]))
claim("every method on a random network, above random maps", bool(min(blind.values()) > pointing["random"]))
claim("Grad-CAM on the random network minus the centre map", blind["grad_cam"] - pointing["centre"],
      between=(-0.15, 0.15))
fig = plotting.bar_chart([NAMES[m] for m in blind], list(blind.values()), ylabel="hit rate", color="tab:red",
                         title="pointing game on a randomly initialised network", ylim=(0, 1))
for b, ls in (("centre", "--"), ("random", ":")):
    fig.axes[0].axhline(pointing[b], color="gray", ls=ls, label=f"{NAMES[b]} ({pointing[b]:.2f})")
fig.axes[0].legend(loc="upper left", fontsize=9)
fig

# %% [markdown]
# On a random network the objects still stand out as edges in the image,
# and random convolutions still respond to edges. Guided backprop, which
# mostly reconstructs edges, keeps pointing at them more often than not;
# saliency less. Grad-CAM points about as often as the centre map (the
# dashed line), which never looks at the image. None falls all the way to
# the random map. A high pointing score is necessary, not sufficient: a
# method must also pass the sanity check.
#
# ## 6. A map that hardly looks at the class: Grad-CAM++
#
# Grad-CAM++ (Chattopadhay et al., 2018) weights channel $k$ by
# $\alpha_k^c = \sum_{i,j} a^{kc}_{ij}\,\mathrm{ReLU}(g_{ijk})$, where
# $g_{ijk} = \partial y^c/\partial A_{ijk}$ and, in the paper's closed form
# (which assumes an exponential class score),
# $a^{kc}_{ij} = g_{ijk}^2 / (2g_{ijk}^2 + \sum_{a,b} A_{abk}\, g_{ijk}^3)$.
# Our last conv layer feeds global average pooling and one dense layer with
# weights $w_{kc}$, so $g_{ijk} = w_{kc}/(HW)$ at every position, and the sum
# works out to
#
# $$\alpha_k^c = \frac{w_{kc}}{2 + w_{kc}\,\bar A_k}\ \text{ for } w_{kc} > 0, \qquad 0 \text{ otherwise},$$
#
# with $\bar A_k$ the channel's mean activation. Once $w_{kc}\bar A_k \gg 2$
# this is about $1/\bar A_k$, whatever $w_{kc}$: the class decides *which*
# channels count, hardly *how much*, and each counted channel is scaled to
# mean 1. That is close to plain *activity*, $\sum_k A_k$, which does not
# depend on the class at all. Grad-CAM keeps $w_{kc}$ itself, sign and size.
# Measure both against activity, on the trained and on the random network:

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
claim("Grad-CAM++ vs activity, random network", metrics.spearman(*maps["random"][::2]).mean(), at_least=0.7)
claim("Grad-CAM vs activity, random network", metrics.spearman(*maps["random"][1:]).mean(), at_most=0.3)
claim("Grad-CAM++ keeps more of its trained map than Grad-CAM", bool(same[0] > same[1] + 0.1))
pp, _, act = maps["trained"]
plotting.image_grid([*xs[:4], *pp[:4], *act[:4]], ["image"] * 4 + ["Grad-CAM++"] * 4 + ["activity"] * 4,
                    cols=4, cell=2.2)   # each map scaled to its own maximum

# %% [markdown]
# On the shapes CNN, Grad-CAM++ and class-free activity agree almost rank
# for rank on the trained network and closely on the random one, so
# Grad-CAM++ keeps more of its picture than Grad-CAM when the weights are
# gone. Grad-CAM follows activity less on the trained network and hardly at
# all on the random one. A map can point at the object and still say little
# about the class.
#
# ## 7. Explore
# Every method of the course in one panel. Compare them on the same image.

# %%
from helpers.widgets.attribution import AttributionPanel
panel = AttributionPanel(spec, method="grad_cam")
panel.run()
panel

# %% [markdown]
# ## Exercise: the centre map without slack
# With 3 px of slack the centre map scored `pointing["centre"]`. Score it
# with **no slack** ($t = 0$) on all the images, by hand: `all_maps["centre"]`
# holds its maps and `masks` the objects. Its maximum is shared by the four
# middle pixels (the side is even), and section 1's rule applies: a hit needs
# *all* of them on the object. Give one number between 0 and 1.

# %%
from helpers.exercises.lesson10 import pointing_exercise
q = pointing_exercise(all_maps["centre"], masks, tolerance=0, printed_tolerance=TOLERANCE,
                      maps_name='all_maps["centre"]', masks_name="masks")
answer = None    # your fraction here
q.check(answer);

# %% [markdown]
# ## On a real ImageNet network
# The sample photos have no object masks, so there is no pointing game here;
# the sanity check needs none. Below, VGG16's Grad-CAM and guided backprop for
# each photo's class, with the trained weights and with only the top layer
# (the class scores) re-initialised. Adebayo et al. (2018) ran the whole
# cascade on ImageNet's Inception v3: Grad-CAM and the gradient changed as
# soon as the top layers were random, while guided backprop and guided
# Grad-CAM kept their look until the lower layers were. This section runs
# where the weights can be fetched (on Colab, say).

# %%
from helpers.models import load_imagenet

net = load_imagenet("vgg16")
if net is not None:
    photos = list(net.sample_images().items())[:3]
    imgs, cls = np.stack([im for _, (im, _) in photos]), np.array([c for _, (_, c) in photos])
    _, top_random = next(metrics.randomized_copies(net.model, seed=SEED))
    cols, titles = [imgs], ["photo"]
    for m in ("grad_cam", "guided_backprop"):
        trained, changed = (attribution.METHODS[m](mod, imgs, cls) for mod in (net.model, top_random))
        print(f"{NAMES[m]}: Spearman between trained and top-layer-random maps {metrics.spearman(trained, changed).mean():.2f}")
        cols += [trained, changed]
        titles += [f"{NAMES[m]}\ntrained", f"{NAMES[m]}\ntop layer random"]
    plotting.image_grid([c[i] for i in range(len(imgs)) for c in cols], titles * len(imgs), cols=len(cols), cell=2.4)

# %% [markdown]
# `q.hint()` and `q.solution()` help.
#
# ## Summary
# * The pointing game and the energy in the mask turn "looks right" into numbers; compare them with random and centre maps.
# * On the shapes world every method points far better than both baselines; on the energy SmoothGrad is only a
#   little above the centre map. Grad-CAM is the coarsest: on small rings its peak falls in the hole, which
#   the pointing game's slack hides.
# * The randomization sanity check asks whether a map depends on the weights: Grad-CAM changes most when the
#   class layer is random; saliency and guided backprop keep most of their ranks and fall steeply only when
#   the convolutions are random. Guided backprop still points at objects on a random network.
# * On a GAP→dense head Grad-CAM++'s weights hardly depend on the class weights' size: its map is close to
#   class-free activity, on a trained and on a random network.
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
