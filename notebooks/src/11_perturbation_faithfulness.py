# %% [markdown]
# # 11 · Perturb it (occlusion, RISE, superpixels) and ask what is faithful
#
# A blunter way to ask which pixels matter: **change them and watch the
# score**. It needs only the model's output, and it can test any map: if a
# map is faithful, removing the pixels it ranks highest must hurt most.
#
# **What you'll do**
# * build an **occlusion** map, a **RISE** map (masks included) and a **LIME** map (its weighted ridge fit
#   included) from scratch in numpy, each next to the course's helper;
# * score them, and the gradient maps of lessons 05–07, with **deletion** and **insertion** curves.
#
# **What you'll learn**
# * what the masks and the fill do to a map and to the metric;
# * how a faithfulness score differs from lesson 10's pointing game, and that it has knobs of its own.
#
# **What you'll need:** lessons 05–07 (saliency, Grad-CAM) and 10 (the pointing game).

# %% [markdown]
# ## Parameters

# %%
MODEL = "auto"        # the shapes CNN; "vgg16" etc. runs sections 1-3 and the panel on another model
PATCH, STRIDE = 8, 4  # occlusion: square side and step, in pixels
RISE_MASKS = 2000     # random masks for RISE on the one image of sections 2-3
RISE_CELL = 8         # RISE's coarse grid is RISE_CELL x RISE_CELL
LIME_SAMPLES = 1000   # perturbed images for LIME on that image
SEGMENTS = 40         # how many superpixels to ask SLIC for
N_EVAL = 24           # shapes images for the deletion and insertion curves
EVAL_MASKS, EVAL_SAMPLES = 500, 300   # RISE masks and LIME samples per image on those images (for speed)
CURVE_STEPS = 32      # points on each deletion/insertion curve
SEED = 0

# %%
import warnings
import numpy as np
import tensorflow as tf
from helpers import attribution, config, faithfulness, metrics, perturbation, plotting, shapes
from helpers.claims import claim
from helpers.models import load_model

warnings.filterwarnings("ignore", message=".*all zeros.*")
spec = load_model(MODEL)
logits = spec.logits_model   # the network without its final softmax: it returns the class scores z (logits)
name, (image, cls) = next(iter(spec.sample_images().items()))
h, w = image.shape[:2]
mean_colour = image.mean(axis=(0, 1))
print(f"We explain the {name} image's class {spec.class_names[cls]!r}.")

# %% [markdown]
# ## 1. Occlusion
#
# Zeiler & Fergus (2014) slid a grey square over the image and recorded the
# class score at every position. With a $k\times k$ patch $P$ filled with
# the image's mean colour, pixel $p$'s importance is the average drop of the
# logit $z_c$ (they plotted the probability) over the patches that cover it,
# positive part only:
#
# $$S_p = \max\Big(0,\ \frac{1}{|\{P \ni p\}|}\sum_{P \ni p} \big(z_c(x) - z_c(x_{P\ \text{hidden}})\big)\Big).$$

# %%
spots = [(r, c) for r in range(0, h - PATCH + 1, STRIDE) for c in range(0, w - PATCH + 1, STRIDE)]
copies = np.repeat(image[None], len(spots), axis=0)
for k, (r, c) in enumerate(spots):
    copies[k, r:r + PATCH, c:c + PATCH] = mean_colour
drop = float(logits(image[None])[0, cls]) - np.asarray(logits(copies))[:, cls]
total, cover = np.zeros((h, w)), np.zeros((h, w))
for d, (r, c) in zip(drop, spots):
    total[r:r + PATCH, c:c + PATCH] += d
    cover[r:r + PATCH, c:c + PATCH] += 1
scratch = np.maximum(total / np.maximum(cover, 1), 0)
occ = perturbation.occlusion(spec.model, image[None], cls, patch=PATCH, stride=STRIDE)[0]
agree = metrics.spearman(scratch[None], occ[None])[0]   # rank correlation, lesson 10: 1 = same pixel order
print(f"{len(spots)} occluded copies; the scratch map and the helper's rank the pixels alike "
      f"(Spearman {agree:.4f}).")
plotting.image_grid([image, scratch / max(scratch.max(), 1e-12), occ],
                    [name, f"occlusion {PATCH} px, scratch", "occlusion, helper"], cols=3, cell=3.6,
                    vmin=0, vmax=1, colorbar="importance", suptitle="each map scaled to [0, 1] on its own")

# %% [markdown]
# The patch is the method's resolution: small patches can give a sharper
# map, large ones a coarser one (try 4, 8 and 16 px in the panel of
# section 6).
#
# ## 2. RISE: many random masks at once
#
# Petsiuk et al. (2018) keep each cell of a coarse random grid with
# probability $\bar p$, upsample it bilinearly into a smooth mask $M_i$,
# shift it at random by less than one cell, and score the image with the
# rest faded out: $x_i = M_i\,x + (1 - M_i)\,f$. A pixel's importance is the
# average score of the masks that keep it:
#
# $$S(p) = \frac{1}{N\,\bar p}\sum_{i=1}^N \big(z_c(x_i) - \bar z\big)\, M_i(p).$$
#
# Subtracting the mean score $\bar z$ (the paper does not) shifts every
# pixel by about the same amount, so that "does not matter" sits near zero
# before the positive part is kept.
# The paper scores the probability and writes $x \odot M_i$, fade to zero;
# its code does that on mean-subtracted, normalised inputs, so a faded pixel
# takes the *dataset's* mean colour. Here the fill $f$ is the image's own
# mean colour and the score the logit. Below, the same masks with a black
# fill, and a map from only 100 masks.

# %%
n_masks, p_keep = config.samples(RISE_MASKS), 0.5
rng = config.rng(SEED)
grid = (rng.random((n_masks, RISE_CELL, RISE_CELL)) < p_keep).astype(np.float32)     # keep a cell or not
step_h, step_w = -(-h // RISE_CELL), -(-w // RISE_CELL)                              # one cell, in pixels
dy, dx = rng.integers(0, step_h, n_masks), rng.integers(0, step_w, n_masks)          # random shifts
big = tf.image.resize(grid[..., None], ((RISE_CELL + 1) * step_h, (RISE_CELL + 1) * step_w)).numpy()[..., 0]
masks_r = np.stack([big[i, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n_masks)])
z = np.concatenate([np.asarray(logits(m[..., None] * image + (1 - m[..., None]) * mean_colour))[:, cls]
                    for m in np.array_split(masks_r, -(-n_masks // 256))])
rise_scratch = np.maximum(np.tensordot(z - z.mean(), masks_r, axes=1) / (n_masks * p_keep), 0)   # positive part
rise_map = perturbation.rise(spec.model, image[None], cls, masks=RISE_MASKS, cell=RISE_CELL, seed=SEED)[0]
same_masks = np.allclose(masks_r, perturbation.rise_masks(n_masks, (h, w), cell=RISE_CELL, seed=SEED))
print(f"{n_masks} masks, {'the same as' if same_masks else 'NOT the same as'} the helper's; "
      f"scratch and helper maps: Spearman {metrics.spearman(rise_scratch[None], rise_map[None])[0]:.4f}.")
black_map = perturbation.rise(spec.model, image[None], cls, masks=RISE_MASKS, cell=RISE_CELL, seed=SEED, fill=0.0)[0]
few = perturbation.rise(spec.model, image[None], cls, masks=100, cell=RISE_CELL, seed=SEED)[0]
plotting.image_grid([masks_r[0][..., None] * image + (1 - masks_r[0][..., None]) * mean_colour,
                     masks_r[0][..., None] * image, rise_map, black_map, few],
                    ["mask 1, mean fill", "mask 1, black fill", f"RISE: {n_masks} masks",
                     "same masks, black fill", f"RISE: {config.samples(100)} masks"],
                    cols=5, cell=3.2, vmin=0, vmax=1, colorbar="importance",
                    suptitle="one mask, then three RISE maps (mean fill unless said); each map scaled to [0, 1] on its own")

# %% [markdown]
# Faded to black, each mask draws dark blobs of its own, and the map no
# longer picks out the object as the mean-fill map does. With only 100
# masks the average is noisy. A perturbation is only as good as what it
# replaces the pixels with.
#
# ## 3. Superpixels: LIME
#
# Ribeiro et al. (2016) explain with parts a person can name: cut the image
# into superpixels, here with **SLIC** (Achanta et al., 2012: k-means on
# colour and position, seeded on a regular grid), switch random subsets
# off (mean colour), score each copy, and fit a linear model to the on/off
# pattern $z_j\in\{0,1\}^S$, weighting copies close to the original more:
#
# $$\min_{\beta_0,\beta} \sum_j \pi_j \Big(z_c(x_j) - \beta_0 - \sum_s \beta_s z_{js}\Big)^2 + \lambda\|\beta\|^2,
# \qquad \pi_j = e^{-(1-\cos(z_j, \mathbf 1))^2/\sigma^2}.$$
#
# Centre $Z$ and the scores at their $\pi$-weighted means; then
# $\beta = (Z^\top \Pi Z + \lambda I)^{-1} Z^\top \Pi\, z_c$. Each $\beta_s$ is
# superpixel $s$'s importance ($\lambda = 1$, $\sigma = 0.25$ as in the helper).

# %%
seg = perturbation.superpixels(image, segments=SEGMENTS)
n_seg, k = seg.max() + 1, config.samples(LIME_SAMPLES)
on = (config.rng(SEED).random((k, n_seg)) < 0.5).astype(np.float32)
on[0] = 1                                                     # the first copy is the whole image
keep = on[:, seg][..., None]
scores = np.asarray(logits(keep * image + (1 - keep) * mean_colour))[:, cls]
cos = on.sum(1) / np.sqrt(n_seg * np.maximum(on.sum(1), 1e-12))
pi = np.exp(-(1 - cos) ** 2 / 0.25 ** 2)
z_mean, s_mean = pi @ on / pi.sum(), pi @ scores / pi.sum()
Z, s = on - z_mean, scores - s_mean
beta = np.linalg.solve(Z.T @ (pi[:, None] * Z) + 1.0 * np.eye(n_seg), Z.T @ (pi * s))
coef, r2 = perturbation.lime_fit(spec.model, image, cls, seg, samples=LIME_SAMPLES, seed=SEED)
print(f"SLIC returned {n_seg} superpixels for the {SEGMENTS} asked. Largest difference between the scratch and "
      f"the helper's weights: {np.abs(beta - coef).max():.1e}; weighted R² of the fit {r2:.2f}.")
from skimage.segmentation import mark_boundaries
plotting.image_grid([mark_boundaries(image, seg), beta[seg] / np.abs(beta).max()],
                    ["superpixels", "weight βₛ (red > 0, blue < 0)"], cols=2, cell=3.8, cmap="RdBu_r",
                    vmin=-1, vmax=1, colorbar="weight / largest |weight|")

# %% [markdown]
# SLIC's count is only a target: its grid holds 6×6 seeds for 40 on 64 px,
# and segments too small to stand alone merge into their neighbours. The
# map is no finer than the superpixels; one that spills over the object's
# edge carries weight outside it.
# The R² says how well a linear model fits the network near this image;
# LIME is only as good as that fit.
#
# ## 4. Faithfulness: deletion and insertion
#
# **Deletion** (Petsiuk et al., 2018) removes pixels in the map's order, most
# important first, and records the class probability after each step;
# **insertion** starts from a blurred copy and puts the pixels back in the
# same order. A faithful map makes deletion fall fast (low area under the
# curve, AUC) and insertion rise fast (high AUC). Here a deleted pixel takes
# its value in the blurred copy (Gaussian, σ = 4 px), and equal map values
# are ordered at random with a seed. Besides the methods, four reference
# maps: random noise; the **centre** map of lesson 10 (a Gaussian bump in
# the middle); the true object **mask**; and the mask grown by 3 px.

# %%
model = load_model("shapes").model
x, y, masks = shapes.make_shapes(config.samples(N_EVAL), seed=SEED + 10)
settings = {"occlusion": {"patch": PATCH, "stride": STRIDE},
            "rise": {"masks": EVAL_MASKS, "cell": RISE_CELL, "seed": SEED},
            "lime": {"samples": EVAL_SAMPLES, "segments": SEGMENTS, "seed": SEED},
            "saliency": {}, "grad_cam": {}}
methods = {attribution.LABELS[m]: (attribution.get(m).function, kw) for m, kw in settings.items()}  # registry names
maps1 = {m: fn(model, x, y, **kw) for m, (fn, kw) in methods.items()}
maps1["random"] = metrics.random_maps(len(x), x.shape[1:3], SEED)
maps1["centre"] = metrics.centre_maps(len(x), x.shape[1:3])
maps1["mask"], maps1["mask + 3 px"] = masks.astype(np.float32), metrics.dilate(masks, 3).astype(np.float32)
curves = {m: faithfulness.faithfulness(model, x, v, y, steps=CURVE_STEPS, seed=SEED) for m, v in maps1.items()}
fig, axes = plotting.new_figure(13, 4.8, ncols=2)
style = {"Grad-CAM": ("tab:blue", "-"), "LIME": ("tab:orange", "-"), "random": ("0.5", "--"),
         "mask": ("black", ":"), "mask + 3 px": ("tab:green", "-.")}
for ax, kind in zip(axes, ("deletion", "insertion")):
    for m, (color, ls) in style.items():
        ax.plot(curves[m]["fraction"], curves[m][kind].mean(0), color=color, ls=ls, lw=2.4,
                label=f"{m} (AUC {curves[m][kind + '_auc'].mean():.2f})")
    ax.set(xlabel=f"fraction of pixels {'deleted' if kind == 'deletion' else 'inserted'}", ylabel="class probability",
           ylim=(0, 1.02), title=f"{kind}: {'lower' if kind == 'deletion' else 'higher'} AUC is better")
    ax.legend(fontsize=12, loc="upper right" if kind == "deletion" else "lower right")
fig.suptitle(f"mean over {len(x)} shapes images", fontsize=14)
fig.tight_layout()
fig

# %%
se = lambda v: 2 * np.std(v) / np.sqrt(len(v))      # about a 95% band for a mean over these images
table = {m: (curves[m]["deletion_auc"].mean(), curves[m]["insertion_auc"].mean(),
             metrics.pointing_game(maps1[m], masks).mean()) for m in maps1}
print(f"Mean over {len(x)} images (± twice the standard error); pointing game with 3 px slack as in lesson 10.")
print(f"{'map':<13}{'deletion AUC':>15}{'insertion AUC':>15}{'pointing':>10}")
for m, row in table.items():
    print(f"{m:<13}{row[0]:>8.3f} ± {se(curves[m]['deletion_auc']):.2f}{row[1]:>8.3f} ± "
          f"{se(curves[m]['insertion_auc']):.2f}{row[2]:>10.2f}")
blur_circle = perturbation.class_scores(spec.model, faithfulness.blurred(image[None]), cls, score="probability")[0]
print(f"Every deletion curve ends at the fully blurred image: its probability is {blur_circle:.2f} for the {name} "
      f"image of sections 1-3, and {np.mean([c['deletion'][:, -1].mean() for c in curves.values()]):.2f} "
      f"on average here.")
# Every map is scored on the same images, so compare two maps image by image: the band of the per-image
# difference leaves out how hard each image is, which the ± above include.
paired = {}
for a, b in [("mask", "mask + 3 px"), ("LIME", "Grad-CAM")] + [(a, b) for i, a in enumerate(methods)
                                                               for b in list(methods)[i + 1:]]:
    d = curves[a]["deletion_auc"] - curves[b]["deletion_auc"]
    paired[a, b] = (d.mean(), se(d))
for a, b in [("mask", "mask + 3 px"), ("LIME", "Grad-CAM")]:
    print(f"Deletion AUC of {a} minus {b}, image by image: {paired[a, b][0]:+.2f} ± {paired[a, b][1]:.2f}.")
real = [(a, b) for (a, b), (m, e) in paired.items() if a in methods and b in methods and abs(m) > e]
print(f"Of the {len(methods) * (len(methods) - 1) // 2} pairs of methods, {len(real)} differ by more than their "
      "paired band" + (": " + ", ".join(f"{a} and {b}" for a, b in real) if real else "") + ".")
best = min(methods, key=lambda m: table[m][0])     # the lowest deletion AUC
claim("every method deletes faster than a random map", all(table[m][0] < table["random"][0] for m in methods),
      quiet=True)
claim("deletion AUC of the mask minus the mask grown by 3 px", table["mask"][0] - table["mask + 3 px"][0],
      at_least=0.03, quiet=True)
claim("random map's deletion AUC minus LIME's", table["random"][0] - table["LIME"][0], at_least=0.2, quiet=True)
claim("largest minus smallest deletion AUC of the methods", max(table[m][0] for m in methods)
      - min(table[m][0] for m in methods), at_most=0.1, quiet=True)
claim("mask minus mask + 3 px, image by image, less its band", paired["mask", "mask + 3 px"][0]
      - paired["mask", "mask + 3 px"][1], at_least=0.01, quiet=True)
claim("LIME minus Grad-CAM, image by image, less its band", paired["LIME", "Grad-CAM"][0]
      - paired["LIME", "Grad-CAM"][1], at_least=0.0, quiet=True)
claim("pointing of Grad-CAM minus LIME's", table["Grad-CAM"][2] - table["LIME"][2], at_least=0.25, quiet=True);

# %% [markdown]
# ## 5. Where pointing and faithfulness disagree
#
# Every method deletes far faster than a random map. Between methods the
# deletion AUCs differ by a few hundredths. The ± bands of the table are
# wide because some images are hard for every map; since every map is
# scored on the same images, compare two maps image by image (the paired
# lines under the table). Paired, some of these small gaps are real for
# these images (LIME deletes more slowly than Grad-CAM), but a few
# hundredths on one small set is no ranking of methods in general. Two
# disagreements teach more:
#
# * The **mask** scores a perfect 1.00 in the pointing game by definition, yet it deletes more
#   slowly than the mask grown by 3 px (a gap well outside its paired band): blur the object alone and a soft copy
#   of it still stands out against the sharp background. Edges and contrast
#   count, not only the pixels inside the outline.
# * **LIME** deletes much faster than a random map but points worse than
#   Grad-CAM: its maximum is a whole superpixel, and the pointing game counts
#   a miss when any pixel of that tied maximum lies more than 3 px off the
#   object.
#
# The metric has knobs too. Petsiuk et al. set deleted pixels to zero,
# which in their code, as for RISE, is the dataset's mean colour; on images
# in [0, 1] a literal zero is **black**. Try it:

# %%
black = {m: faithfulness.auc(*faithfulness.deletion_curve(model, x, maps1[m], y, steps=CURVE_STEPS, fill=0.0,
                                                           seed=SEED)).mean() for m in ("random", best)}
gap_black, gap_blur = black["random"] - black[best], table["random"][0] - table[best][0]
print(f"A random map's deletion AUC minus {best}'s (the method with the lowest mean here): {gap_blur:.2f} when deleted "
      f"pixels are blurred, {gap_black:.2f} when they turn black (AUCs {black['random']:.2f} and "
      f"{black[best]:.2f}).")
claim("black deletion gap as a share of the blurred one", gap_black / gap_blur, at_most=0.35, quiet=True);

# %% [markdown]
# With black dots the gap shrinks to a fraction of the blurred one (printed:
# both curves now fall fast, whatever the order), so the metric barely
# separates a good map from a random one. Scattered black pixels were never
# seen in training, so the score mostly measures the damage they do, not
# the map (Hooker et al. 2019
# make the same point: deleted pixels push images off the training data).
#
# ## 6. Explore
# The panel draws one image's curves against a random map; its deletion curves
# end, and its insertion curves start, at that image's fully blurred
# probability (printed in section 4 for the circle).

# %%
from helpers.widgets.perturbation import PerturbationPanel
panel = PerturbationPanel(spec, method="occlusion")
panel.run()
panel

# %% [markdown]
# ## Exercise: one point of a deletion curve, by hand
# Take the first evaluation image `x[0]`, its class `y[0]` and its saliency
# map `maps1["saliency"][0]`. Delete its **410 most important pixels** (10%
# of 4,096, in the order of `np.argsort(-map.ravel(), kind="stable")` on the flattened map): each takes its
# value in the blurred copy `faithfulness.blurred(x[:1])[0]`. Give the class
# probability `model` assigns to `y[0]` for the result, as one number; it
# passes within 0.001. If you are stuck, `q.hint()` gives a nudge.

# %%
from helpers.exercises.lesson11 import deletion_point_exercise
q = deletion_point_exercise(model, x[0], int(y[0]), maps1["saliency"][0], count=410)
answer = None    # your probability here
q.check(answer);

# %% [markdown]
# ## On a real ImageNet network
# The same helpers work on VGG16 (Simonyan & Zisserman, 2015): they need
# only the output. For speed the patch is large and the masks few; the RISE
# paper used 4,000–8,000 masks of a 7×7 grid on 224 px images.

# %%
from helpers.models import load_imagenet
net = load_imagenet("vgg16")
if net is not None:
    pname, (photo, pcls) = next(iter(net.sample_images().items()))
    side = photo.shape[0]
    maps = {"occlusion": perturbation.occlusion(net.model, photo[None], pcls, patch=side // 7, stride=side // 7)[0],
            "RISE": perturbation.rise(net.model, photo[None], pcls, masks=500, cell=7, seed=SEED)[0]}
    plotting.image_grid([photo, *maps.values()], [f"{pname}: {net.class_names[pcls]}", *maps], cols=3, cell=3.4,
                        vmin=0, vmax=1, colorbar="importance", suptitle="each map scaled to [0, 1] on its own")

# %% [markdown]
# ## Summary
# * Perturbation methods need only the output: occlusion slides a patch, RISE averages random masks, LIME fits a
#   weighted linear model on superpixels. What they fill the pixels with matters.
# * Deletion and insertion curves test whether a map ranks the pixels the score depends on, a different question
#   from the pointing game; their own fill matters as much.
#
# ## On your own
# * Occlusion with `fill=0.0` (black): does the map change as RISE's did?
# * Run LIME on `x` with `method="quickshift"` (the segmentation of Ribeiro et al.'s code) and with
#   `segments=100`, and score each with `metrics.pointing_game(maps, masks)`.
#
# ## Further reading
# * M. Zeiler, R. Fergus, *Visualizing and Understanding Convolutional Networks*, ECCV 2014.
# * V. Petsiuk, A. Das, K. Saenko, *RISE: Randomized Input Sampling for Explanation of Black-box Models*, BMVC 2018.
# * M. T. Ribeiro, S. Singh, C. Guestrin, *"Why Should I Trust You?": Explaining the Predictions of Any Classifier*, KDD 2016.
# * S. Hooker et al., *A Benchmark for Interpretability Methods in Deep Neural Networks*, NeurIPS 2019.
