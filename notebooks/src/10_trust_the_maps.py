# %% [markdown]
# # 10 · Can we trust these maps?
#
# Lessons 05–07 drew many heatmaps, and they all *looked* right. This lesson
# asks two different questions of them. Jacovi & Goldberg (2020) name them:
# a map is **plausible** when it agrees with what a person expects (here:
# it points at the object), and **faithful** when it shows what the model
# actually uses. The shapes world knows every object's pixels, so the first
# question is easy to score. The second needs a different test.
#
# **What you'll do**
# * score every method with the **pointing game** and the **energy in the mask**, against two maps that know nothing;
# * run the **model-randomization sanity check** of Adebayo et al. (2018);
# * score the maps of a network whose weights are random.
#
# **What you'll learn**
# * why pointing at the object (plausibility) is not evidence that a map shows what the model uses (faithfulness);
# * which methods change when only the top layers' weights are destroyed, and which hardly do.
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
from helpers import attribution, config, metrics, plotting, shapes
from helpers.claims import claim
from helpers.models import load_model

warnings.filterwarnings("ignore", message=".*all zeros.*")   # empty maps count as misses below
from helpers.widgets.attribution import LABELS   # one display name per method, shared with the panels
NAMES = {**LABELS, "random": "random map", "centre": "centre map"}
spec = load_model(MODEL)
model = load_model("shapes").model
x, y, masks = shapes.make_shapes(config.samples(N_IMAGES), seed=SEED + 9)
print(f"{len(x)} images with masks; an object covers {masks.mean():.1%} of its image on average.")

# %% [markdown]
# ## 1. Plausibility: does the map point at the object?
#
# **Pointing game** (Zhang et al., 2016): a map *hits* when its maximum lies
# on the object $M$ grown by $t$ pixels of slack:
#
# $$\mathrm{hit} = \big[\arg\max_p S_p \in \mathrm{grow}_t(M)\big],
# \qquad \text{pointing accuracy} = \tfrac{1}{N}\textstyle\sum \mathrm{hit}.$$
#
# When several pixels share the maximum, *all* of them must lie on the grown
# object; an all-zero map points nowhere, so it is a miss. The **energy in
# the mask**, $\sum_{p\in M} S_p / \sum_p S_p$, is the share of the map's
# mass on the object; a map spread evenly scores the object's area.
# From scratch for the first image, next to the helpers:

# %%
maps_gc = attribution.grad_cam(model, x, y)
peaks = maps_gc[0] == maps_gc[0].max()          # every pixel that holds the maximum
grown = metrics.dilate(masks[:1], TOLERANCE)[0]
hit = bool(grown[peaks].all() and maps_gc[0].max() > 0)
energy0 = (maps_gc[0] * masks[0]).sum() / maps_gc[0].sum()
same = (hit == bool(metrics.pointing_game(maps_gc[:1], masks[:1], TOLERANCE)[0])
        and np.isclose(energy0, metrics.energy_in_mask(maps_gc[:1], masks[:1])[0]))
print(f"Grad-CAM on the first image: {'a hit' if hit else 'a miss'}, with {energy0:.0%} of its mass on the object "
      f"({'the helpers agree' if same else 'the helpers DISAGREE'}).")

# %% [markdown]
# Two baselines know nothing about the network: a **random map** (uniform
# noise) and a **centre map** (a Gaussian bump in the middle of the image,
# the prior "objects tend to be central"). A method worth its name should
# beat both.

# %%
runs = {"saliency": {}, "smoothgrad": {"samples": 16, "seed": SEED}, "integrated_gradients": {"steps": 16},
        "guided_backprop": {}, "grad_cam": {}, "grad_cam_plus_plus": {}, "guided_grad_cam": {}}
all_maps = {m: attribution.METHODS[m](model, x, y, **kw) for m, kw in runs.items()}
all_maps["random"] = metrics.random_maps(len(x), x.shape[1:3], seed=SEED)
all_maps["centre"] = metrics.centre_maps(len(x), x.shape[1:3])
pointing = {m: metrics.pointing_game(v, masks, TOLERANCE).mean() for m, v in all_maps.items()}
energy = {m: metrics.energy_in_mask(v, masks).mean() for m, v in all_maps.items()}
print(f"{'map':<22}{'pointing':>10}{'energy':>10}")
for m in all_maps:
    print(f"{NAMES[m]:<22}{pointing[m]:>10.3f}{energy[m]:>10.3f}")
claim("worst method's pointing minus the best baseline's", min(pointing[m] for m in runs)
      - max(pointing["random"], pointing["centre"]), at_least=0.4, quiet=True)
claim("smallest energy of the methods other than SmoothGrad, over the centre map's",
      min(energy[m] for m in runs if m != "smoothgrad") / energy["centre"], at_least=2.0, quiet=True)
claim("SmoothGrad's energy minus the centre map's", energy["smoothgrad"] - energy["centre"], between=(0.02, 0.1),
      quiet=True)
colors = ["tab:blue"] * len(runs) + ["tab:gray"] * 2
plotting.bar_chart([NAMES[m] for m in pointing], list(pointing.values()), ylabel="hit rate", color=colors, ylim=(0, 1),
                   title=f"pointing game, {len(x)} images, {TOLERANCE} px slack (grey: baselines)")

# %% [markdown]
# Every method points at the object far more often than either baseline.
# The energy is stricter: every method keeps more of its mass on the object
# than the centre map, all but SmoothGrad over twice as much; SmoothGrad only
# a little more (its average over noisy copies spreads mass over the background).
#
# So the maps are plausible. That says nothing yet about faithfulness. The
# pointing game rewards agreement with a person's mask, whatever the model
# used: a map of a model that relied on a corner tag (lesson 12) would be
# faithful *and* miss the object. And, as the next sections show, a map can
# hit the object without depending on what the model learned.
#
# ## 2. Faithfulness, a necessary test: randomize the weights
#
# Adebayo et al. (2018) re-initialise the network's weights one layer at a
# time, from the top down, and compare each method's maps with the trained
# model's by **Spearman rank correlation** (the correlation of the pixels'
# ranks: 1 when both maps order the pixels the same way, about 0 when the
# orders are unrelated). A map that shows what the model uses must change as
# the model is destroyed. One that stays the same cannot be faithful;
# passing is necessary, not sufficient. A Grad-CAM map of a randomized
# model can be all zeros (every position votes against the class); such a
# map counts as correlation 0.

# %%
xs, ys = x[:config.samples(N_SANITY)], y[:config.samples(N_SANITY)]
trio = {"grad_cam": "tab:blue", "saliency": "tab:orange", "guided_backprop": "tab:green"}
cascade = {m: metrics.randomization_cascade(model, xs, ys, attribution.METHODS[m], seed=SEED) for m in trio}
unrelated = {}   # what "no relation" looks like: each trained map against the trained map of the next image
for m in trio:
    trained_maps = attribution.METHODS[m](model, xs, ys)
    unrelated[m] = metrics.spearman(trained_maps, np.roll(trained_maps, 1, axis=0)).mean()
stages = cascade["grad_cam"]["layers"]
sp = {m: dict(zip(stages, res["spearman"])) for m, res in cascade.items()}
claim("saliency and guided backprop (the smaller) minus Grad-CAM, logits randomized",
      min(sp["saliency"][stages[1]], sp["guided_backprop"][stages[1]]) - sp["grad_cam"][stages[1]], at_least=0.2,
      quiet=True)
claim("saliency, logits randomized", sp["saliency"][stages[1]], at_least=0.7, quiet=True)
claim("guided backprop, logits randomized", sp["guided_backprop"][stages[1]], at_least=0.8, quiet=True)
claim("saliency and guided backprop, down to conv3 randomized (the larger)",
      max(sp["saliency"]["conv3"], sp["guided_backprop"]["conv3"]), at_most=0.5, quiet=True)
claim("every method, all layers randomized (the largest)", max(v[stages[-1]] for v in sp.values()), at_most=0.3,
      quiet=True)
fig, ax = plotting.new_figure(9, 4.2)
for m, color in trio.items():
    ax.plot(cascade[m]["spearman"], marker="o", lw=2, color=color, label=NAMES[m])
    ax.axhline(unrelated[m], color=color, ls="--", lw=1)
ax.plot([], [], color="gray", ls="--", lw=1, label="dashed: maps of two different images")
ax.set_xticks(range(len(stages)), ["trained", *[f"…{l}" for l in stages[1:]]])
ax.set(ylabel="Spearman with the trained map", xlabel="layers randomized, from the top down to", ylim=(-0.2, 1.05),
       title=f"sanity check on {len(xs)} images")
ax.legend(fontsize=11)
fig.tight_layout()
fig

# %% [markdown]
# Read the curves left to right. Randomize only the logits layer (the one
# that turns features into class scores) and Grad-CAM's map changes far
# more than the other two: it depends on the class weights. Saliency and
# guided backprop keep most of their ranks (Spearman above 0.7): what they
# mostly show is where the trained conv features respond, whatever the class
# (lesson 06 found their maps for two classes nearly agree). They fall
# steeply once `conv3` is random too, and with every layer random no map is
# much closer to its trained one than the maps of two different images are
# (the dashed lines). The first image, stage by stage:

# %%
cells = [res["maps"][k] for res in cascade.values() for k in range(len(stages))]
plotting.image_grid(cells, [f"{NAMES[m]}\n" + ("trained" if s == stages[0] else f"…{s}") for m in cascade for s in stages],
                    cols=len(stages), cell=2.2, suptitle="the first image; each map scaled to its own maximum")

# %% [markdown]
# ## 3. Plausible without training: a random network
#
# A fully random network knows nothing about shapes. Score its maps with
# the pointing game of section 1:

# %%
random_model = metrics.randomized_model(model, seed=SEED)
blind = {m: metrics.pointing_game(attribution.METHODS[m](random_model, x, y), masks, TOLERANCE).mean()
         for m in ("grad_cam", "saliency", "guided_backprop")}
claim("guided backprop on a random network", blind["guided_backprop"], at_least=0.5, quiet=True)
claim("on a random network, guided backprop > saliency > Grad-CAM",
      bool(blind["guided_backprop"] > blind["saliency"] > blind["grad_cam"]), quiet=True)
claim("every method on a random network, above random maps", bool(min(blind.values()) > pointing["random"]),
      quiet=True)
claim("Grad-CAM on the random network minus the centre map", blind["grad_cam"] - pointing["centre"],
      between=(-0.12, 0.12), quiet=True)
fig, ax = plotting.new_figure(8, 3.8)
bars = ax.bar([NAMES[m] for m in blind], list(blind.values()), color="tab:red", width=0.6)
ax.bar_label(bars, fmt="%.2f", fontsize=11)
for b, ls in (("centre", "--"), ("random", ":")):
    ax.axhline(pointing[b], color="gray", ls=ls, label=f"{NAMES[b]} ({pointing[b]:.2f})")
ax.set(ylabel="hit rate", ylim=(0, 1), title="pointing game on a randomly initialised network")
ax.legend(loc="upper left", fontsize=11)
fig.tight_layout()
fig

# %% [markdown]
# The objects still stand out as edges, and random convolutions still
# respond to edges. Guided backprop, which mostly reconstructs the image's
# edges (Nie et al., 2018), keeps
# pointing at them more often than not; saliency less; Grad-CAM within
# about 0.1 of the centre map (dashed), which never looks at the image. A
# pointing score well above the baselines therefore does not show that a map
# reflects what the model learned: on this data much of it can come from the
# image alone (the trained network's Grad-CAM scores near 1.0; the random
# network's falls to the centre map's level). Evidence of faithfulness has to involve the model: the
# sanity check of section 2 (which a faithful map must pass, though passing
# does not prove faithfulness) or lesson 11's deletion curves.
#
# ## 4. Explore
# Every method of the course in one panel; compare them on the same image.

# %%
from helpers.widgets.attribution import AttributionPanel
panel = AttributionPanel(spec, method="grad_cam")
panel.run()
panel

# %% [markdown]
# ## Exercise: a map that never looks at the model
# An **edge map** is computed from the image alone: the size of the
# brightness gradient at each pixel,
# `grey = x.mean(axis=-1)`, `gr, gc = np.gradient(grey, axis=(1, 2))`,
# `edges = np.hypot(gr, gc)` (one map per image of `x`).
# Give `answer = (hit_rate, passes)`:
# * `hit_rate`: its pointing accuracy on `x` and `masks` with `TOLERANCE`
#   px of slack and section 1's rules (every tied maximum must be on the
#   grown object), a fraction between 0 and 1; it passes within 0.001;
# * `passes`: `True` or `False`: would the edge map pass the sanity check of
#   section 2?
#
# If you are stuck, `q.hint()` gives a nudge and `q.solution()` the answer.

# %%
from helpers.exercises.lesson10 import edge_map_exercise
q = edge_map_exercise(x, masks, TOLERANCE, images_name="x", masks_name="masks", tolerance_name="TOLERANCE")
answer = None    # (hit_rate, passes)
q.check(answer);

# %% [markdown]
# ## On a real ImageNet network
# The photos have no masks, so no pointing game; the sanity check needs
# none. Below, VGG16's Grad-CAM and guided backprop for
# each photo's class, with the trained weights and with only the top layer
# (the class scores) re-initialised. Adebayo et al. (2018) ran the whole
# cascade on ImageNet's Inception v3: Grad-CAM and the gradient changed as
# soon as the top layers were random, while guided backprop and guided
# Grad-CAM kept their look until the lower layers were.

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
# ## Summary
# * Plausibility (does the map agree with a person, e.g. point at the object?) and faithfulness (does it show
#   what the model uses?) are different questions (Jacovi & Goldberg, 2020).
# * The pointing game and the energy in the mask measure plausibility; compare them with random and centre maps.
#   On the shapes world every method points far better than both.
# * The randomization sanity check is a necessary test of faithfulness: Grad-CAM changes most when the class
#   layer is random; saliency and guided backprop keep most of their ranks until conv3 is random too.
# * On a random network guided backprop still points at the objects: a high pointing score can come from the
#   image alone.
#
# ## On your own
# * Change `TOLERANCE` to 0 and 6: which methods are most sensitive?
# * Add `"smoothgrad"` and `"grad_cam_plus_plus"` to `trio` (with a colour each) and rerun the sanity check.
#
# ## Further reading
# * J. Adebayo et al., *Sanity Checks for Saliency Maps*, NeurIPS 2018.
# * A. Jacovi, Y. Goldberg, *Towards Faithfully Interpretable NLP Systems: How Should We Define and Evaluate
#   Faithfulness?*, ACL 2020.
# * W. Nie, Y. Zhang, A. Patel, *A Theoretical Explanation for Perplexing Behaviors of Backpropagation-based
#   Visualizations*, ICML 2018.
# * J. Zhang et al., *Top-down Neural Attention by Excitation Backprop*, ECCV 2016 (the pointing game).
# * S. Hooker et al., *A Benchmark for Interpretability Methods in Deep Neural Networks*, NeurIPS 2019.
