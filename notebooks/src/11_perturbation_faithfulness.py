# %% [markdown]
# # 11 · Perturb it (occlusion, RISE, superpixels) and ask what is faithful
#
# A blunter way to ask which pixels matter: **change them and watch the
# score**. It needs only the model's output, and it can also test any map:
# if the map is faithful, removing the pixels it ranks highest must hurt
# the score most.
#
# **What you'll do**
# * build an **occlusion** map, a **RISE** map and a **LIME** superpixel map from scratch, then with the helpers;
# * score these maps, and Grad-CAM's from lesson 07, with **deletion** and **insertion** curves and with a
#   **two-object** pointing test.
#
# **What you'll learn**
# * what each method's knobs (patch, masks, superpixels, fill) do;
# * why "points at the object" and "is faithful to the model" are different questions.
#
# **What you'll need:** lessons 05–07 (saliency, Grad-CAM) and 10 (the pointing game). No GPU, no internet.

# %% [markdown]
# ## Parameters

# %%
MODEL = "auto"        # the shapes CNN; "vgg16" etc. runs the whole lesson on another model (the text describes the shapes CNN)
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
# of the logit $z_c$ (the score before the softmax; Zeiler & Fergus plotted
# the probability) over the patches that cover it, keeping only the
# positive part, as every helper of the course does before scaling a map to [0, 1]:
#
# $$S_p = \max\Big(0,\ \frac{1}{|\{P \ni p\}|}\sum_{P \ni p} \big(z_c(x) - z_c(x_{P\ \text{hidden}})\big)\Big).$$
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
# The patch size is the method's resolution: small patches give a sharp map
# that fills the object; large ones a coarse map that spreads around it,
# since a large patch hides part of the object from every position that
# overlaps it.

# %%
sizes = [4, PATCH, 16, 24]
plotting.image_grid([perturbation.occlusion(spec.model, image[None], cls, patch=s, stride=max(1, s // 2))[0]
                     for s in sizes], [f"patch {s}px" for s in sizes], cols=4, cell=2.6, cmap="inferno")

# %% [markdown]
# ## 2. RISE: many random masks at once
#
# Petsiuk et al. (2018) keep each cell of a coarse random grid with
# probability $\bar p$, upsample it into a smooth mask $M_i$, shift it at
# random, and score the image with the rest faded out:
# $x_i = M_i\,x + (1 - M_i)\,f$. A pixel's importance is the average score
# of the masks that keep it:
#
# $$S(p) = \frac{1}{N\,\bar p}\sum_{i=1}^N \big(z_c(x_i) - \bar z\big)\, M_i(p).$$
#
# Subtracting the mean score $\bar z$ only puts "does not matter" at zero.
# The paper scores the class probability and writes $x \odot M_i$ (fade to
# zero); its reference code applies that to mean-subtracted, normalized
# inputs, so a masked pixel takes the *dataset's* mean colour, not black.
# The helper uses the logit and fades to the image's own mean colour. From
# scratch, with the helper's masks:

# %%
n_masks = config.samples(RISE_MASKS)
masks_r = perturbation.rise_masks(n_masks, (h, w), cell=RISE_CELL, p=0.5, seed=SEED)
mean_colour = image.mean(axis=(0, 1))
z = np.concatenate([np.asarray(spec.logits_model(m[..., None] * image + (1 - m[..., None]) * mean_colour))[:, cls]
                    for m in np.array_split(masks_r, -(-n_masks // 256))])
scratch = np.tensordot(z - z.mean(), masks_r, axes=1) / (n_masks * 0.5)
rise_map = perturbation.rise(spec.model, image[None], cls, masks=RISE_MASKS, cell=RISE_CELL, seed=SEED)[0]
print(f"Spearman scratch vs helper: {metrics.spearman(scratch[None], rise_map[None])[0]:.4f}")
plotting.image_grid([*masks_r[:2], masks_r[0][..., None] * image + (1 - masks_r[0][..., None]) * mean_colour,
                     masks_r[0][..., None] * image, rise_map],
                    ["mask 1", "mask 2", "mask 1, mean fill", "mask 1, black fill", f"RISE, {n_masks} masks"],
                    cols=5, cell=2.6, cmap="gray")

# %% [markdown]
# RISE is a Monte-Carlo average: few masks give a noisy map, and every seed
# a slightly different one. The last map fades to true black, a literal
# reading of $x \odot M_i$ on images in [0, 1].

# %%
counts = [100, 500, RISE_MASKS]
runs = {f"{config.samples(n)} masks, seed {s}": perturbation.rise(spec.model, image[None], cls, masks=n,
                                                                  cell=RISE_CELL, seed=s)[0]
        for n in counts for s in (SEED, SEED + 1)}
runs[f"{n_masks} masks, black fill"] = perturbation.rise(spec.model, image[None], cls, masks=RISE_MASKS,
                                                         cell=RISE_CELL, seed=SEED, fill=0.0)[0]
plotting.image_grid(list(runs.values()), list(runs), cols=7, cell=2.1, cmap="inferno")

# %% [markdown]
# Compare the last two maps. Faded to black, the masks draw dark blobs with
# soft round edges all over the image: the perturbation brings in shapes of
# its own, and the map no longer picks out the object. A perturbation is
# only as good as what it replaces the pixels with.
#
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
plotting.image_grid([mark_boundaries(image, seg), coef[seg] / np.abs(coef).max(), lime_map],
                    ["superpixels", "weights (red > 0, white 0, blue < 0)", "LIME map (positive part)"], cols=3, cell=3.4,
                    cmap="RdBu_r", vmin=-1, vmax=1)

# %% [markdown]
# The map is no finer than the superpixels: an object split across several
# shares its weight out, and a superpixel that spills over the object's edge
# carries weight outside. The R² says how well a linear model describes the
# network near this image: LIME is only as good as that fit.
#
# ## 4. Side by side with Grad-CAM
#
# The three perturbation maps next to saliency and Grad-CAM (lesson 07),
# each scaled to [0, 1] on its own:

# %%
methods = {"occlusion": (perturbation.occlusion, {"patch": PATCH, "stride": STRIDE}),
           "RISE": (perturbation.rise, {"masks": RISE_MASKS, "cell": RISE_CELL, "seed": SEED}),
           "LIME": (perturbation.lime, {"samples": LIME_SAMPLES, "segments": SEGMENTS, "seed": SEED}),
           "saliency": (attribution.saliency, {}), "Grad-CAM": (attribution.grad_cam, {})}
gallery = {m: fn(spec.model, image[None], cls, **kw)[0] for m, (fn, kw) in methods.items()}
plotting.image_grid(list(gallery.values()), list(gallery), cols=5, cell=2.6, cmap="inferno")

# %% [markdown]
# The maps disagree even on one image. Which to believe is what the next
# section measures.
#
# ## 5. Faithfulness: deletion and insertion
#
# **Deletion** (Petsiuk et al., 2018) removes the pixels in the map's
# order, most important first, recording the class probability after each
# step; **insertion** starts from a blurred copy and puts the pixels back in
# the same order. A faithful map makes deletion fall fast (low area under
# the curve) and insertion rise fast (high area). Removing a pixel here
# means blurring it. Equal map values (the flat patches of LIME or
# occlusion) are ordered at random with a seed, so no map is scored by the
# accident of its ties.
#
# We measure on shapes images, whose objects we know. For the **two-object
# test** each image also gets an object of another class pasted in: ask for
# for one of the two classes (even-numbered images ask for their own
# object's class, odd-numbered ones for the pasted object's), and see where
# the map's peak lands. All scores here use the class probability, as the
# RISE paper's curves do.

# %%
model = load_model("shapes").model
x, y, masks = shapes.make_shapes(config.samples(N_EVAL), seed=SEED + 10)
x2, y2, asked, other = faithfulness.two_object_images(x, y, masks, seed=SEED)
fast_methods = {m: (fn, {**kw, **({"masks": 500} if m == "RISE" else {"samples": 300} if m == "LIME" else {})})
                for m, (fn, kw) in methods.items()}     # occlusion as taught: PATCH at STRIDE
maps1 = {m: fn(model, x, y, **kw) for m, (fn, kw) in fast_methods.items()}
maps2 = {m: fn(model, x2, y2, **kw) for m, (fn, kw) in fast_methods.items()}
maps1["random"], maps2["random"] = metrics.random_maps(len(x), x.shape[1:3], SEED), metrics.random_maps(len(x), x.shape[1:3], SEED + 1)
maps1["centre"] = maps2["centre"] = metrics.centre_maps(len(x), x.shape[1:3])
maps1["mask"], maps2["mask"] = masks.astype(np.float32), asked.astype(np.float32)
maps1["mask + 3 px"], maps2["mask + 3 px"] = (metrics.dilate(v, 3).astype(np.float32) for v in (masks, asked))
curves = {m: faithfulness.faithfulness(model, x, v, y, steps=CURVE_STEPS, seed=SEED) for m, v in maps1.items()}
faithfulness.plot_curves({m: curves[m] for m in ("occlusion", "RISE", "LIME", "Grad-CAM", "random", "mask")},
                         title=f"{len(x)} shapes images, probability of the true class")

# %%
se = lambda v: 2 * np.std(v) / np.sqrt(len(v))      # about a 95% band for a mean over these images
table = {m: (curves[m]["deletion_auc"].mean(), curves[m]["insertion_auc"].mean(),
             metrics.pointing_game(maps1[m], masks).mean(), *faithfulness.two_object_scores(maps2[m], asked, other))
         for m in maps1}
print(f"Mean over {len(x)} images; ± is twice the standard error of the mean.")
print(f"{'map':<13}{'deletion AUC':>15}{'insertion AUC':>15}{'pointing':>10}{'2-obj: asked':>14}{'other':>7}")
for m, row in table.items():
    print(f"{m:<13}{row[0]:>8.2f} ± {se(curves[m]['deletion_auc']):.2f}{row[1]:>8.2f} ± {se(curves[m]['insertion_auc']):.2f}"
          + "".join(f"{v:>{wd}.2f}" for v, wd in zip(row[2:], (10, 14, 7))))

# %%
best = min(fast_methods, key=lambda m: table[m][0])     # the lowest deletion AUC
lead = {m: table[m][3] - table[m][4] for m in table}    # two-object: peak on the asked minus on the other
claim("every method deletes faster than a random map", all(table[m][0] < table["random"][0] for m in fast_methods))
claim("deletion AUC of the mask minus the mask grown by 3 px", table["mask"][0] - table["mask + 3 px"][0], at_least=0.03)
claim("pointing of Grad-CAM minus LIME's", table["Grad-CAM"][2] - table["LIME"][2], at_least=0.25)
claim("two-object lead of Grad-CAM", lead["Grad-CAM"], at_least=0.3)
claim("two-object lead of occlusion and RISE (mean)", np.mean([lead["occlusion"], lead["RISE"]]), at_least=0.25)
claim("two-object lead of Grad-CAM minus saliency's", lead["Grad-CAM"] - lead["saliency"], at_least=0.15)

# %% [markdown]
# ## 6. Where pointing and faithfulness disagree
#
# The ± bands are wide because the images differ in how easy they are;
# two maps compared on the same images differ less than that, but on so
# few images a difference of a few hundredths in AUC is not a finding
# (the methods' deletion AUCs are that close). Three disagreements are larger.
#
# * The **ground-truth mask** wins the pointing game by definition, yet its
#   deletion curve has a plateau: blur the object alone and a soft copy of
#   it still stands out against the sharp background. Grow the mask by 3
#   pixels, so that the surroundings go too, and deletion gets faster. The
#   score depends on edges and contrast, not only on the pixels inside the
#   outline.
# * **LIME** deletes faster than a random map but points worse than
#   Grad-CAM: its maximum is a whole superpixel, and the pointing game
#   counts a miss when any pixel of that tied maximum lies more than 3 px
#   off the object. Asked for `SEGMENTS = 40`, SLIC returns a few dozen on a 64 px image, and the
#   superpixels often split the object into pieces, one of which spills
#   past its edge (as in the picture of section 3). The segmentation sets
#   LIME's resolution; quickshift, the segmentation of Ribeiro et al.'s own
#   code, follows colour edges more closely (see "On your own").
# * In the **two-object test**, Grad-CAM, occlusion and RISE peak on the
#   asked object far more often than on the other; saliency much less so.
#   Faithful on one object is not the same as telling two classes apart.
#
# A metric has its own perturbation, and it can be wrong too. Petsiuk et al.
# deleted pixels by setting them to **black**. Try it:

# %%
black = {m: faithfulness.auc(*faithfulness.deletion_curve(model, x, maps1[m], y, steps=CURVE_STEPS, fill=0.0,
                                                           seed=SEED)).mean() for m in ("random", "Grad-CAM", best)}
print({m: round(float(v), 3) for m, v in black.items()})
gap_black, gap_blur = black["random"] - min(black.values()), table["random"][0] - table[best][0]
print(f"random minus best ({best}): {gap_black:.3f} with black deletion, {gap_blur:.3f} with blurred deletion")
claim("black deletion gap as a share of the blurred one", gap_black / gap_blur, at_most=0.35)

# %% [markdown]
# With black dots the gap between a random map and the best method nearly
# closes: scattered black pixels, never seen in training, break the class
# long before the object is gone. The score then measures how unnatural the
# damage is, not what the map knows.
#
# ## 7. Explore
# Pick a method, a patch size and a number of masks or samples; the curves
# are drawn against a random map.

# %%
from helpers.widgets.perturbation import PerturbationPanel
panel = PerturbationPanel(spec, method="occlusion")
panel.run()
panel

# %% [markdown]
# ## Exercise: occlude one patch by hand
# Hide the `PATCH`×`PATCH` square whose top-left corner is at `(ROW, COL)`
# (an odd position, so it is none of the patches scored above) with the
# image's mean colour, and give the drop of the class logit
# $z_c(x) - z_c(x_{\text{hidden}})$ for `image` and `cls`: one number,
# positive when hiding the patch lowers the logit; it passes within 0.1%.

# %%
from helpers.exercises.lesson11 import occlusion_exercise
ROW, COL = [int(v) | 1 for v in np.clip(np.array(np.unravel_index(occ.argmax(), occ.shape)) - PATCH // 2, 0, h - PATCH - 1)]
q = occlusion_exercise(spec, image, cls, ROW, COL, PATCH)
answer = None    # your number here
q.check(answer)

# %% [markdown]
# `q.hint()` and `q.solution()` help.
#
# ## On a real ImageNet network
# The same helpers work on VGG16 (Simonyan & Zisserman, 2015): only the
# model's output is needed. A 224 px photo makes each method costlier, so
# the patch and the number of masks are chosen for speed; the RISE paper
# used 4,000–8,000 masks of a 7×7 grid on 224 px images. Compare where the
# two maps agree, and how much coarser than Grad-CAM's 14×14 grid each is.

# %%
from helpers.models import load_imagenet
net = load_imagenet("vgg16")
if net is not None:
    pname, (photo, pcls) = next(iter(net.sample_images().items()))
    side = photo.shape[0]
    maps = {"occlusion": perturbation.occlusion(net.model, photo[None], pcls, patch=side // 7, stride=side // 7)[0],
            "RISE": perturbation.rise(net.model, photo[None], pcls, masks=500, cell=7, seed=SEED)[0]}
    plotting.image_grid([photo, *maps.values()], [f"{pname}: {net.class_names[pcls]}", *maps], cols=3, cell=3.4,
                        cmap="inferno")

# %% [markdown]
# ## Summary
# * Perturbation methods need only the output: occlusion slides a patch, RISE averages random masks, LIME fits a linear model on superpixels.
# * What they fill the pixels with matters: RISE's black fill brings in shapes of its own.
# * Deletion and insertion curves test whether a map ranks the pixels the score depends on; break ties at random, and choose the deletion fill with care.
# * Pointing at the object, being faithful, and telling two classes apart are three different tests.
#
# ## On your own
# * Occlusion with `fill=0.0` (black): does the circle's map change as RISE's did?
# * Run `python -m helpers.evaluate faithfulness` for every method on more images.
# * Run LIME on `x` with `method="quickshift"` and then with `segments=100`, and score each with
#   `metrics.pointing_game(maps, masks)`: how far does the pointing rate move from the table's?
#
# ## Further reading
# * M. Zeiler, R. Fergus, *Visualizing and Understanding Convolutional Networks*, ECCV 2014.
# * V. Petsiuk, A. Das, K. Saenko, *RISE: Randomized Input Sampling for Explanation of Black-box Models*, BMVC 2018.
# * M. T. Ribeiro, S. Singh, C. Guestrin, *"Why Should I Trust You?": Explaining the Predictions of Any Classifier*, KDD 2016.
# * S. Hooker et al., *A Benchmark for Interpretability Methods in Deep Neural Networks*, NeurIPS 2019.
