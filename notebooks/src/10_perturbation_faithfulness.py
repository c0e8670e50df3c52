# %% [markdown]
# # 10 · Perturb it (occlusion, RISE, superpixels) and ask what is faithful
#
# Every map so far came from the network's insides: gradients, activations,
# or both. There is a blunter way to ask which pixels matter: **change them
# and watch the score**. Perturbation methods need no gradient and no layer
# name, only the model's output. Changing pixels is also how we can test
# any map: if it is faithful, removing the pixels it ranks highest must hurt
# the score most.
#
# **What you'll do**
# * build an **occlusion** map, a **RISE** map and a **LIME** superpixel map from scratch, then with the helpers;
# * meet three more class activation maps: **CAM** (exact for this network), **Score-CAM**, **Layer-CAM**;
# * score every map with **deletion** and **insertion** curves and with a **two-object** pointing test.
#
# **What you'll learn**
# * what each perturbation method averages over, and what its knobs (patch, masks, superpixels) do;
# * why "points at the object" and "is faithful to the model" are different questions;
# * that a faithfulness metric has perturbations of its own, which can fool it.
#
# **What you'll need:** lessons 04–06 and 09. No GPU, no internet.

# %% [markdown]
# ## Parameters

# %%
MODEL = "auto"        # "auto", "shapes", "vgg16": the single-image parts use it
PATCH, STRIDE = 8, 4  # occlusion: square side and step, in pixels
RISE_MASKS = 2000     # random masks for RISE
RISE_CELL = 8         # RISE's coarse grid is RISE_CELL x RISE_CELL
LIME_SAMPLES = 1000   # perturbed images for LIME
SEGMENTS = 40         # roughly how many superpixels
N_EVAL = 24           # shapes images for the curves and the two-object test
CURVE_STEPS = 32      # points on each deletion/insertion curve
SEED = 0

# %%
import warnings
import numpy as np
from helpers import attribution, cams, config, faithfulness, metrics, perturbation, plotting, shapes
from helpers.claims import claim
from helpers.models import load_model

warnings.filterwarnings("ignore", message=".*all zeros.*")
spec = load_model(MODEL)
name, (image, cls) = next(iter(spec.sample_images().items()))
print(f"{name}: explaining class {cls} ({spec.class_names[cls]})")

# %% [markdown]
# ## 1. Occlusion
#
# Zeiler & Fergus (2014) slid a grey square over the image and recorded the
# class score for every position. With a $k\times k$ patch $P$ filled with
# the image's mean colour, the importance of pixel $p$ is the average drop
# of the logit over the patches that cover it:
#
# $$S_p = \frac{1}{|\{P \ni p\}|}\sum_{P \ni p} \big(z_c(x) - z_c(x_{P\ \text{hidden}})\big).$$
#
# From scratch: build every occluded copy, score them all in one batch.

# %%
h, w = image.shape[:2]
spots = [(r, c) for r in range(0, h - PATCH + 1, STRIDE) for c in range(0, w - PATCH + 1, STRIDE)]
copies = np.repeat(image[None], len(spots), axis=0)
for k, (r, c) in enumerate(spots):
    copies[k, r:r + PATCH, c:c + PATCH] = image.mean(axis=(0, 1))
drop = float(spec.logits_model(image[None])[0, cls]) - np.asarray(spec.logits_model(copies))[:, cls]
total, cover = np.zeros((h, w)), np.zeros((h, w))
for d, (r, c) in zip(drop, spots):
    total[r:r + PATCH, c:c + PATCH] += d
    cover[r:r + PATCH, c:c + PATCH] += 1
scratch = np.maximum(total / np.maximum(cover, 1), 0)
occ = perturbation.occlusion(spec.model, image[None], cls, patch=PATCH, stride=STRIDE)[0]
print(f"{len(spots)} occluded copies; Spearman scratch vs helper: {metrics.spearman(scratch[None], occ[None])[0]:.4f}")
plotting.image_grid([image, scratch, plotting.heatmap_overlay(image, occ, 0.5)],
                    [name, f"occlusion {PATCH}px (scratch)", "helper, over the image"], cols=3, cell=3.4,
                    cmap="inferno")

# %% [markdown]
# (When the stride does not reach the border, the helper adds one last row
# and column of patches, hence a correlation just below 1.) The patch size is
# the method's resolution: a patch much smaller than the object barely moves
# the score, one much larger hides the object from every position.

# %%
sizes = [4, PATCH, 16, 24]
plotting.image_grid([perturbation.occlusion(spec.model, image[None], cls, patch=s, stride=max(1, s // 2))[0]
                     for s in sizes], [f"patch {s}px" for s in sizes], cols=4, cell=2.6, cmap="inferno")

# %% [markdown]
# ## 2. RISE: many random masks at once
#
# Petsiuk et al. (2018) keep each cell of a coarse random grid with
# probability $p$, upsample it into a smooth mask $M_i$, shift it at random,
# and score $x \odot M_i$. A pixel's importance is the average score of the
# masks that keep it:
#
# $$S(p) = \frac{1}{N\,\bar p}\sum_{i=1}^N \big(z_c(x\odot M_i) - \bar z\big)\, M_i(p).$$
#
# Subtracting the mean score $\bar z$ only shifts the map by a constant; it
# puts "does not matter" at zero. From scratch, with the helper's masks:

# %%
n_masks = config.samples(RISE_MASKS)
masks_r = perturbation.rise_masks(n_masks, (h, w), cell=RISE_CELL, p=0.5, seed=SEED)
z = np.concatenate([np.asarray(spec.logits_model(image[None] * masks_r[i:i + 256, ..., None]))[:, cls]
                    for i in range(0, n_masks, 256)])
scratch = np.tensordot(z - z.mean(), masks_r, axes=1) / (n_masks * 0.5)
rise_map = perturbation.rise(spec.model, image[None], cls, masks=RISE_MASKS, cell=RISE_CELL, seed=SEED)[0]
print(f"Spearman scratch vs helper: {metrics.spearman(scratch[None], rise_map[None])[0]:.4f}")
plotting.image_grid([*masks_r[:3], image[None][0] * masks_r[0][..., None], rise_map],
                    ["mask 1", "mask 2", "mask 3", "image x mask 1", f"RISE, {n_masks} masks"], cols=5, cell=2.6,
                    cmap="gray")

# %% [markdown]
# RISE's only knobs are the grid (coarser cells, blobbier maps) and the
# number of masks: it is a Monte-Carlo average, so few masks give a noisy
# map, and every seed a slightly different one.

# %%
counts = [100, 500, RISE_MASKS]
runs = [perturbation.rise(spec.model, image[None], cls, masks=n, cell=RISE_CELL, seed=s)[0]
        for n in counts for s in (SEED, SEED + 1)]
plotting.image_grid(runs, [f"{config.samples(n)} masks, seed {s}" for n in counts for s in (SEED, SEED + 1)],
                    cols=6, cell=2.2, cmap="inferno")

# %% [markdown]
# ## 3. Superpixels: LIME
#
# Ribeiro et al. (2016) explain with parts a person can name. Cut the image
# into superpixels, switch random subsets off (mean colour), score each
# copy, and fit a linear model to the on/off pattern $z\in\{0,1\}^S$,
# weighting copies close to the original more:
#
# $$\min_\beta \sum_j \pi_j \Big(z_c(x_j) - \beta_0 - \sum_s \beta_s z_{js}\Big)^2 + \lambda\|\beta\|^2,
# \qquad \pi_j = e^{-d(z_j, \mathbf 1)^2/\sigma^2}.$$
#
# Each superpixel's weight $\beta_s$ is its importance.

# %%
seg = perturbation.superpixels(image, segments=SEGMENTS)
coef, r2 = perturbation.lime_fit(spec.model, image, cls, seg, samples=LIME_SAMPLES, seed=SEED)
lime_map = perturbation.lime(spec.model, image[None], cls, samples=LIME_SAMPLES, segments=SEGMENTS, seed=SEED)[0]
from skimage.segmentation import mark_boundaries
print(f"{seg.max() + 1} superpixels; weighted R² of the linear fit: {r2:.2f}")
plotting.image_grid([mark_boundaries(image, seg), coef[seg], lime_map],
                    ["superpixels", "weight of each superpixel", "LIME map (positive part)"], cols=3, cell=3.4,
                    cmap="RdBu_r")

# %% [markdown]
# The map can be no finer than the superpixels, and an object split across
# several of them shares its weight. The R² says how well a linear model
# describes the network near this image: LIME is only as good as that fit.
#
# ## 4. Three more class activation maps
#
# Our network ends **conv → global average pooling → dense**. Then the logit
# is a weighted sum of channel averages, and it can be spread over space
# exactly (Zhou et al., 2016):
#
# $$z_c = \sum_k w_{kc}\,\frac{1}{HW}\sum_{ij}A_{ijk} + b_c = \frac{1}{HW}\sum_{ij}\underbrace{\textstyle\sum_k w_{kc}A_{ijk}}_{\mathrm{CAM}^c_{ij}} + b_c .$$
#
# For this architecture Grad-CAM's weights $\alpha_k^c$ are $w_{kc}/HW$, so
# CAM is Grad-CAM up to a constant factor. `cams.cam` refuses models built
# differently. Check the identity:

# %%
try:
    coarse = cams.cam_coarse(spec.model, image[None], cls)
    dense = spec.model.get_layer(cams.cam_layers(spec.model)[1])
    z_from_cam = coarse.mean() + float(dense.bias[cls])
    z_true = float(spec.logits_model(image[None])[0, cls])
    claim("CAM mean + bias = logit (abs. error)", abs(z_from_cam - z_true), at_most=1e-3, fast=True)
except cams.CamNotApplicable as err:
    print(err)

# %% [markdown]
# **Score-CAM** (Wang et al., 2020) weights each channel by what it reveals:
# mask the image with the channel's normalized map $H_k$, score it, and turn
# the gains $s_k = z_c(x\odot H_k) - z_c(\text{black})$ into weights with a
# softmax. **Layer-CAM** (Jiang et al., 2021) keeps Grad-CAM's gradients
# but weights each *position*: $\mathrm{ReLU}\big(\sum_k
# \mathrm{ReLU}(\partial z_c/\partial A_{ijk})\,A_{ijk}\big)$. All methods
# of the course, one image:

# %%
methods = faithfulness.report_methods(seed=SEED, rise_masks=RISE_MASKS, lime_samples=LIME_SAMPLES)
gallery = {}
for m, (fn, kw) in methods.items():
    try:
        gallery[m] = fn(spec.model, image[None], cls, **kw)[0]
    except cams.CamNotApplicable as err:
        print(m, "skipped:", err)
plotting.image_grid(list(gallery.values()), list(gallery), cols=6, cell=2.2, cmap="inferno")

# %% [markdown]
# ## 5. Faithfulness: deletion and insertion
#
# A map ranks the pixels. **Deletion** (Petsiuk et al., 2018) removes them
# in that order, most important first, and records the class probability
# after each step; **insertion** starts from a blurred copy and puts the
# original pixels back in the same order. A faithful map makes deletion
# fall fast (low area under the curve) and insertion rise fast (high area).
# Removing a pixel here means blurring it. Equal map values (the flat
# patches of occlusion, LIME, CAMs) are put in random order with a seed, so
# no map is scored by the accident of its ties.
#
# Now on many shapes images, where we also know the objects. Each image
# also gets a second object of another class pasted in for the
# **two-object test**: ask for the first class, and see whether the map's
# peak lands on the asked object or on the other one.

# %%
model = load_model("shapes").model
x, y, masks = shapes.make_shapes(config.samples(N_EVAL), seed=SEED + 10)
x2, y2, asked, other = faithfulness.two_object_images(x, y, masks, seed=SEED)
fast_methods = faithfulness.report_methods(seed=SEED, rise_masks=500, lime_samples=300)
fast_methods["occlusion"] = (perturbation.occlusion, {"patch": PATCH, "stride": PATCH})
maps1 = {m: fn(model, x, y, **kw) for m, (fn, kw) in fast_methods.items()}
maps2 = {m: fn(model, x2, y2, **kw) for m, (fn, kw) in fast_methods.items()}
maps1["random"], maps2["random"] = metrics.random_maps(len(x), x.shape[1:3], SEED), metrics.random_maps(len(x), x.shape[1:3], SEED + 1)
maps1["centre"] = maps2["centre"] = metrics.centre_maps(len(x), x.shape[1:3])
maps1["mask"], maps2["mask"] = masks.astype(np.float32), asked.astype(np.float32)
curves = {m: faithfulness.faithfulness(model, x, v, y, steps=CURVE_STEPS, seed=SEED) for m, v in maps1.items()}
faithfulness.plot_curves({m: curves[m] for m in ("saliency", "grad_cam", "occlusion", "rise", "lime", "score_cam",
                                                 "random", "centre", "mask")},
                         title=f"{len(x)} shapes images, probability of the true class")

# %%
table = {m: (curves[m]["deletion_auc"].mean(), curves[m]["insertion_auc"].mean(),
             metrics.pointing_game(maps1[m], masks).mean(), *faithfulness.two_object_scores(maps2[m], asked, other))
         for m in maps1}
print(f"{'method':<22}{'deletion':>9}{'insertion':>10}{'pointing':>9}{'2-obj asked':>12}{'other':>7}")
for m, row in table.items():
    print(f"{m:<22}" + "".join(f"{v:>{wd}.2f}" for v, wd in zip(row, (9, 10, 9, 12, 7))))

# %%
best = min((m for m in fast_methods), key=lambda m: table[m][0])
claim("every method deletes faster than random maps", all(table[m][0] < table["random"][0] for m in fast_methods))
claim("Grad-CAM: two-object peak on the asked object minus on the other", table["grad_cam"][3] - table["grad_cam"][4],
      at_least=0.3)
claim("saliency: two-object asked minus other", table["saliency"][3] - table["saliency"][4], between=(-0.3, 0.3))
claim("deletion AUC: ground-truth mask minus best method", table["mask"][0] - table[best][0], at_least=0.05)

# %% [markdown]
# ## 6. Where pointing and faithfulness disagree
#
# Read the table row by row. The **ground-truth mask** wins the pointing game
# by definition, yet deletes worse than the best maps: blurring the object
# pixels in random order leaves a blurred object, still recognisable for a
# while, whereas the maps that rank the object's **edges** first destroy what
# the filters actually respond to. Localization asks where the object is;
# faithfulness asks what the score depends on. And in the two-object test
# the gradient maps light up *both* objects (their edges are what any class
# reacts to), while the CAM family points mostly at the asked one: a map
# can be faithful on one object and not discriminative on two.
#
# A metric has its own perturbation, and it can be wrong too. Petsiuk et al.
# deleted pixels by setting them to **black**. Try it:

# %%
black = {m: faithfulness.auc(*faithfulness.deletion_curve(model, x, maps1[m], y, steps=CURVE_STEPS, fill=0.0,
                                                           seed=SEED)).mean() for m in ("random", "grad_cam", best)}
print({m: round(float(v), 3) for m, v in black.items()})
claim("black deletion: random map AUC minus the best method's", black["random"] - min(black.values()), at_most=0.1)

# %% [markdown]
# With black dots, even a random map deletes about as fast as the best
# method: scattered black pixels are something the network has never seen,
# and they break the class long before the object is gone. A deletion score
# then measures how unnatural the damage is, not what the map knows; the
# blurred fill keeps the damaged images closer to the real ones.
#
# ## 7. Explore
# Pick a method, a patch size (occlusion's square, RISE's grid cell) and a
# number of masks (RISE) or samples (LIME); the curves are drawn against a
# random map.

# %%
from helpers.widgets.perturbation import PerturbationPanel
panel = PerturbationPanel(spec, method="occlusion")
panel.run()
panel

# %% [markdown]
# ## Exercise: occlude one patch by hand
# Hide the `PATCH`×`PATCH` square whose top-left corner is at `(ROW, COL)`
# with the image's mean colour, and give the drop of the class logit
# $z_c(x) - z_c(x_{\text{hidden}})$ for `image` and `cls`: one number.

# %%
from helpers.exercises.lesson10 import occlusion_exercise
ROW, COL = [int(v) for v in np.clip(np.array(np.unravel_index(occ.argmax(), occ.shape)) - PATCH // 2, 0, h - PATCH)]
q = occlusion_exercise(spec, image, cls, ROW, COL, PATCH)
answer = None    # your number here
q.check(answer)

# %% [markdown]
# `q.hint()` and `q.solution()` help.
#
# ## Summary
# * Perturbation methods need only the model's output: occlusion slides a patch, RISE averages random masks, LIME fits a linear model on superpixels.
# * Their knobs set their resolution: patch size, grid cell and mask count, superpixels.
# * CAM is exact for conv → global average pooling → dense; Score-CAM weights channels by the score they reveal; Layer-CAM weights positions by positive gradients.
# * Deletion and insertion curves ask whether a map ranks the pixels the score depends on; break ties at random and choose the deletion fill with care.
# * Pointing at the object, being faithful, and telling two classes apart are three different tests.
#
# ## On your own
# * Occlusion with `fill=0.0` (black) instead of the mean colour: which map changes most?
# * Run `python -m helpers.evaluate faithfulness` for every method on more images.
# * Compare `score="probability"` (the paper's) and the logit in `cams.score_cam`.
#
# ## Further reading
# * M. Zeiler, R. Fergus, *Visualizing and Understanding Convolutional Networks*, ECCV 2014.
# * V. Petsiuk, A. Das, K. Saenko, *RISE: Randomized Input Sampling for Explanation of Black-box Models*, BMVC 2018.
# * M. T. Ribeiro, S. Singh, C. Guestrin, *"Why Should I Trust You?": Explaining the Predictions of Any Classifier*, KDD 2016.
# * B. Zhou et al., *Learning Deep Features for Discriminative Localization*, CVPR 2016 (CAM).
# * H. Wang et al., *Score-CAM*, CVPR Workshops 2020; P.-T. Jiang et al., *LayerCAM*, IEEE TIP 2021.
# * S. Hooker et al., *A Benchmark for Interpretability Methods in Deep Neural Networks*, NeurIPS 2019.
