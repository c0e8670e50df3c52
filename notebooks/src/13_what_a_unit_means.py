# %% [markdown]
# # 13 · What a unit means: dataset examples and network dissection
#
# Lesson 02 asked what a filter *wants* to see and drew it. This lesson asks
# what a unit *means* in words: which real images drive it, and which
# concept its strongest responses cover. The shapes world knows every
# object's pixels, so we can measure the answer instead of guessing it.
#
# **What you'll do**
# * pull a unit's top real images out of a stream of fresh shapes, next to its optimized image;
# * **dissect** every conv layer: give each unit the concept its strongest responses overlap most;
# * do the same on a randomized copy of the network, and change the threshold.
#
# **What you'll learn**
# * dataset examples (Olah et al. 2017) and network dissection (Bau et al. 2017), formula and code;
# * how many units of each layer detect objects, parts or colours, and how many a random network gets for free.
#
# **What you'll need:** lessons 01–02 (feature maps, optimized images), 03 (the adversarially trained
# network) and 10 (the randomization sanity check).

# %% [markdown]
# ## Parameters

# %%
N_IMAGES = 2000      # fresh shapes for the dissection (streamed: drawn batch by batch, never all in memory)
N_EXAMPLES = 500     # fresh shapes the dataset examples are picked from
K = 6                # top images shown per unit
THRESHOLD = 0.04     # the IoU a unit needs for a label (the paper's cut-off, a convention: section 5)
SEED = 0

# %%
import numpy as np
import tensorflow as tf
from helpers import config, dissection, plotting
from helpers.activations import get_activations, most_active_channels
from helpers.claims import claim
from helpers.models import load_model
from helpers.unit_concepts import CONCEPTS, concept_masks, concepts_figure
from helpers.unit_examples import examples_figure

spec = load_model("auto")
size = spec.input_size[0]
LAYERS = list(dict.fromkeys(spec.layers[k] for k in ("early", "middle", "late", "last_conv")))
last = spec.layers["last_conv"]
DATA_SEED = config.UNSEEN_SEED + SEED            # images no model was trained on
n_images, n_examples = config.samples(N_IMAGES), config.samples(N_EXAMPLES)
print(f"{spec.description}; layers {', '.join(LAYERS)}; {n_images} images to dissect.")

# %% [markdown]
# ## 1. Dataset examples
#
# Write $A_{ij,u}(x)$ for unit $u$'s feature map on image $x$. An image's
# score is the unit's strongest response anywhere in it,
# $s_u(x) = \max_{i,j} A_{ij,u}(x)$, and the **dataset examples** are the
# $K$ images of highest score, each with a crop around the position of its
# maximum (popularised by Zeiler & Fergus 2014). "Real" here means drawn from the data,
# not optimized. Olah et
# al. 2017 argue that the two views complement each other: the optimized image
# shows what drives the unit hardest, the examples what drives it in real data.
#
# By hand first, on images held in memory, for the most active unit of the
# last conv layer:

# %%
x = np.concatenate([b[0] for b in dissection.shapes_stream(n_examples, DATA_SEED + 1, size=size)])
UNIT = most_active_channels(spec.model, x, last, k=1)[0]
score = get_activations(spec, x, last)[last][..., UNIT].reshape(len(x), -1).max(1)   # s_u(x) for every image
by_hand = np.argsort(-score, kind="stable")[:K]
stream = (b[0] for b in dissection.shapes_stream(n_examples, DATA_SEED + 1, size=size))  # a generator, read once
ex = dissection.dataset_examples(spec, last, UNIT, stream, k=K)
print(f"{last}:{UNIT}, top {K} of {ex.n_images} images by hand: {by_hand.tolist()}; "
      f"the helper (streamed) finds the same: {np.array_equal(by_hand, ex.top.indices)}")
claim("the helper's top images equal the ones by hand", bool(np.array_equal(by_hand, ex.top.indices)), fast=True,
      quiet=True);

# %% [markdown]
# The helper reads the images batch by batch and keeps only the best $K$, so the
# set can be as large as you like. Next to the unit's optimized image
# (lesson 02's recipe: Fourier start, robustness transforms, border cropped):

# %%
opt = dissection.optimized_image(spec, last, UNIT, steps=128, seed=SEED)
examples_figure(ex, opt.images[0], title=f"{last}:{UNIT}: optimized image, top {K} real images, crops")

# %% [markdown]
# Compare the two yourself: do the examples share the optimized image's
# pattern? Each answers another question: the optimized image is what the unit would respond to most, the
# examples where it responds in data. Which concept the unit stands for is
# a third question, and needs masks.
#
# ## 2. Concepts from the generator
#
# Network dissection needs, for every image, the pixels of every concept.
# The paper used the densely labelled Broden data set (pixel labels pooled from several sources); here
# `helpers.unit_concepts` derives 20 concepts from the generator's object masks:
#
# * **objects**: the eight shapes (the object's pixels, for its class);
# * **parts**: `edge` (a band 2 px either side of the outline), `interior`,
#   `hole` (the ring's), `corners` (around points where the object fills less than 40 % of a 7×7 window);
# * **colours**: the object's pixels by colour name (six hues and grey);
# * **background**: every pixel outside the object.
#
# One ring and its masks (white: in the concept):

# %%
xs, ys, ms = next(dissection.shapes_stream(64, DATA_SEED, size=size))
ring = int(np.flatnonzero(ys == 3)[0])
concepts_figure(xs, ys, ms, ring)

# %% [markdown]
# The ring is thin, so the 2-px edge band on either side of its two outlines
# covers all of it: its `interior` and `corners` are empty. The band also reaches
# 2 px outside the outline, into the hole and the background, so `edge` is not a
# subset of the object. The hole is outside the object, so `background` includes it.
# Colour masks name each pixel by its hue; the images' pixel noise leaves a few
# single-pixel specks of a neighbouring hue on the ring.
#
# The concept list bounds the answer: dissection can only name concepts it
# has masks for. Here the eight object concepts are also the network's eight
# training classes, so an object detector partly restates what the network was
# trained to tell apart.

# %% [markdown]
# ## 3. Network dissection
#
# For unit $u$ over the data set (Bau et al. 2017):
#
# 1. its top level $T_u$: $P\big(A_{ij,u}(x) > T_u\big) = 0.005$ over every position of every image;
# 2. its mask $M_u(x) = S(A_u(x)) > T_u$, the map $S(\cdot)$ upsampled (bilinear) to the image;
# 3. for every concept $c$ with masks $L_c(x)$:
# $$\mathrm{IoU}_{u,c} = \frac{\sum_x |M_u(x) \cap L_c(x)|}{\sum_x |M_u(x) \cup L_c(x)|};$$
# 4. the label is the concept of highest IoU if $\mathrm{IoU} \ge 0.04$; otherwise none.
#
# IoU is *intersection over union*: 1 when the unit's mask and the concept's
# pixels coincide, 0 when they never overlap. $T_u$ is one level for the whole
# data set, so a selective unit has no mask at all in most images. Even a good
# detector stays far below 1: its mask covers only about 0.5 % of all pixels
# (0.5 % of the map's positions, upsampled), which seldom matches the
# concept's total area; upsampling a coarse map gives round blobs that spill
# over neighbouring pixels; and a unit also fires on other concepts. The
# area alone rules out `background`: it covers most pixels, so a mask of
# 0.5 % can reach an IoU of about 0.005 with it at best, never 0.04. 0.04 is the paper's cut-off, a convention rather than a
# law (section 5 shows what other values do).
#
# By hand for our unit on 200 images, with every activation in memory and
# numpy's exact quantile, next to the helper:

# %%
n_small = config.samples(200)
xb, yb, mb = (np.concatenate(p) for p in zip(*dissection.shapes_stream(n_small, DATA_SEED, size=size)))
a = get_activations(spec, xb, last)[last][..., UNIT:UNIT + 1]
T = np.quantile(a, 0.995)                                              # step 1, exact
M = tf.image.resize(a, (size, size), method="bilinear").numpy()[..., 0] > T   # step 2
L = concept_masks(xb, yb, mb)
iou = {c: (M & L[c]).sum() / max((M | L[c]).sum(), 1) for c in CONCEPTS}    # step 3
best = max(iou, key=iou.get)
d_small = dissection.dissect(spec, last, n_small, DATA_SEED, progress=False)
print(f"By hand: T = {T:.3f}, best concept {best}, IoU {iou[best]:.4f}.")
print(f"Helper:  T = {d_small.cutoffs[UNIT]:.3f}, best concept {d_small.concepts[d_small.best[UNIT]]}, "
      f"IoU {d_small.best_iou[UNIT]:.4f}; largest IoU difference over the 20 concepts "
      f"{max(abs(iou[c] - d_small.iou[UNIT, j]) for j, c in enumerate(d_small.concepts)):.4f}.")
claim("hand and helper agree on the best concept", best == d_small.concepts[d_small.best[UNIT]], fast=True, quiet=True);

# %% [markdown]
# The helper never holds the activations: it redraws the images from their
# seed and finds $T_u$ with histograms instead of a sort, so the printed $T$
# values may differ in the last digits.
#
# ## 4. Every layer, trained and randomized
#
# Now each layer on the full set, and the same on a copy with every weight
# re-initialised (lesson 10's randomization): a concept that a random
# network's units also "detect" says little about learning. The network is
# the course's default shapes CNN, trained with adversarial examples (lesson 03).
# A **dead** unit is one that never activates on the data set (its map is
# constant, so it has no top 0.5 %); the table counts them last.

# %%
random_net = dissection.randomized(spec, seed=SEED)
results = {who: dissection.dissect(net, LAYERS, n_images, DATA_SEED, threshold=THRESHOLD)   # all layers, one pass
           for who, net in (("trained", spec), ("randomized", random_net))}
LAYERS = list(results["trained"])        # full layer paths (inside a nested model: "base/layer")
last = LAYERS[-1]
counts = {who: {layer: d.counts() for layer, d in r.items()} for who, r in results.items()}
units = {layer: len(results["trained"][layer].iou) for layer in LAYERS}
print(f"Detectors at IoU >= {THRESHOLD} on {n_images} images (object / part / colour / background):")
for layer in LAYERS:
    t, r = counts["trained"][layer], counts["randomized"][layer]
    print(f"  {layer:<8}{units[layer]:>3} units   trained {t['total']:>3} ({t['object']}/{t['part']}/{t['colour']}/"
          f"{t['background']})   randomized {r['total']:>3} ({r['object']}/{r['part']}/{r['colour']}/"
          f"{r['background']})   dead: {t['dead']} / {r['dead']}")
first = LAYERS[0]
print(f"Object detectors of the randomized network, most in any layer: "
      f"{max(counts['randomized'][layer]['object'] for layer in LAYERS)}.")
dissection.detectors_figure(counts, units, THRESHOLD)

# %% [markdown]
# Read the table by layer:
#
# * In the two deeper layers the trained network has far more detectors than
#   its randomized copy, and nearly all of them are **object** detectors
#   (the first number in brackets).
# * In the first layer it is the other way round: the randomized copy has as many
#   detectors as the trained one or more (12 against 7 with `SEED = 0`). They are **colour** detectors: a random
#   filter that weighs R, G and B differently already responds most to one hue, and
#   colour is in the pixels. "This layer has colour detectors" says
#   nothing about learning.
# * The randomized copy's detectors are colour detectors in **every** layer,
#   not only the first: a random filter's preference for one hue passes
#   through the next random layers, which mix the channels without learning shapes.
# * The randomized copy has almost no object detectors: the line above the
#   chart prints the most in any layer (0 with `SEED = 0`). Detecting a shape takes trained weights; here that
#   is the difference the sanity check shows.
#
# ## 5. The threshold
#
# Why 0.04? Bau et al. chose it; the threshold is a convention, and users of
# their code dispute it. The same IoU table gives any threshold without a new pass:

# %%
print(f"Detectors at {last} by IoU threshold:")
by_t = {who: {t: results[who][last].counts(t)["total"] for t in dissection.THRESHOLDS} for who in results}
for who, row in by_t.items():
    print(f"  {who:<11}" + "".join(f"  IoU >= {t:g}: {v:>2}" for t, v in row.items()))
dissection.check_lesson13_figures(counts, by_t, LAYERS)     # checks the figures the text relies on

# %% [markdown]
# From 0.02 to 0.08 the trained network keeps most of its detectors; the
# randomized one loses most of its own, whose best IoU lies between the two. A count of
# detectors is only meaningful with its threshold, and against a baseline.
#
# ## 6. Three units up close
#
# Chosen by a rule: the unit of highest IoU at the last conv layer, at the
# first layer, and in the randomized copy's last conv layer. The cyan outline
# is $M_u(x)$, where the unit passes its top level $T_u$.

# %%
picks = [("trained", last), ("trained", first), ("randomized", last)]
for who, layer in picks:
    d = results[who][layer]
    u = int(np.argmax(np.where(d.dead, -1, d.best_iou)))
    net = spec if who == "trained" else random_net
    stream = (b[0] for b in dissection.shapes_stream(n_examples, DATA_SEED + 1, size=size))
    e = dissection.dataset_examples(net, layer, u, stream, k=K)
    label = d.label(u) or "no label"
    where = dissection.examples_on_concept(e, float(d.cutoffs[u]), d.concepts[d.best[u]], n_examples, DATA_SEED + 1,
                                           size)
    print(f"{who} {layer}:{u}: label {label}, IoU {d.best_iou[u]:.3f}; of its outlines in the top {K} images "
          f"{where['on']:.0%} lie on {d.concepts[d.best[u]]}; the most of another {d.kinds[d.best[u]]}: "
          f"{where['next'][1]:.0%} on {where['next'][0]}.")
    display(examples_figure(e, cutoff=float(d.cutoffs[u]), title=f"{who} {layer}:{u}: {label}, "
                            f"IoU {d.best_iou[u]:.3f}"))

# %% [markdown]
# Does the outline sit on the labelled concept in the examples too? The
# printed shares answer it for these top images: the share of all its
# outlines together on the labelled concept, and the most of it on another concept of the same
# kind. Where a share is well below 100 %, the outline also covers pixels
# outside the concept. A label is an aggregate statistic, the concept the
# unit's top 0.5 % of responses overlap most over the whole data set; it does
# not describe each top image. A colour unit, for instance, can also fire on
# other hues high in its strongest channel (a "red" unit on magenta, which is
# high in red too): the other colour printed for it says how much.
#
# IoUs are not comparable across layers: a first-layer map has nearly the
# image's resolution and its outline can trace a shape's pixels, while the
# last layer's coarse map upsamples into blobs that spill past the object.
# So a first-layer colour unit can score a higher IoU than the best object
# unit of the last layer (compare the first two lines above). Compare a count of detectors with the
# randomized network's, not one IoU with another.
#
# ## 7. Explore
#
# Pick a layer and a unit: its optimized image, its top images with crops,
# and its label at the chosen threshold (on 500 other fresh images).

# %%
from helpers.widgets.units import UnitsPanel
panel = UnitsPanel(spec, layer=last, unit=int(UNIT))
panel.run()
panel

# %% [markdown]
# ## Exercise: does the label hold?
# Section 4 labelled every unit of the last conv layer on one set of images.
# The panel above measured its unit on 500 other images; compare its IoU there
# with the one section 3 printed for the same unit on 200 images: they differ.
# A label is a measurement on a sample. The
# unit below is one of the detectors closest to the threshold (among the
# eight of lowest IoU, the one whose IoU moves most). Before you
# compute, predict: will its label survive 500 new images? Then dissect
# the layer again on `N_FRESH` **fresh** images, at the same threshold:
# `dissection.dissect(spec, last, N_FRESH, seed=FRESH_SEED, threshold=THRESHOLD)`.
# What is the unit's best IoU there, over all 20 concepts, whichever concept
# it is now (a number, 3 decimals)? The check then says whether
# its label holds.

# %%
from helpers.exercises.lesson13 import label_holds_exercise
old = results["trained"][last]
N_FRESH, FRESH_SEED = config.samples(500), DATA_SEED + 2
q = label_holds_exercise(spec, last, N_FRESH, FRESH_SEED, old)
EX_UNIT = q.unit
print(f"{last}:{EX_UNIT}: label {old.label(EX_UNIT)!r}, IoU {old.best_iou[EX_UNIT]:.3f} on the section 4 images.")
answer = None    # the unit's best IoU on the fresh images, e.g. 0.05
q.check(answer);

# %% [markdown]
# `q.hint()` and `q.solution()` help.
#
# ## On a real ImageNet network
# Dissection needs concept masks, which ImageNet photos do not have; dataset
# examples need only images. Here a unit of VGG16's `block4_conv3` and its
# top images among the course's sample photos. Online it loads VGG16's
# ImageNet weights; offline the section is skipped (run on random weights,
# its pictures would mean nothing). With so few photos these are an
# illustration, not a dataset example over a real data set.

# %%
from helpers.models import load_imagenet
net = load_imagenet("vgg16")
if net is not None:
    photos = net.sample_images()
    vex = dissection.dataset_examples(net, "block4_conv3", 7, photos, k=min(4, len(photos)))
    display(examples_figure(vex, title="VGG16 block4_conv3:7, top sample photos"))

# %% [markdown]
# ## Summary
# * Dataset examples show where a unit fires in real data; show them next to its optimized image.
# * Network dissection labels a unit with the concept its top 0.5 % of responses overlap most (IoU ≥ 0.04).
#   Here it found object detectors in the trained network's deeper layers and almost none in a random copy.
# * Colour detectors come free: a random first layer had as many or more, and a random network's detectors
#   are colour detectors in every layer. Compare every count with a randomized
#   network, and report the threshold: the counts move with it.
#
# ## On your own
# * Dissect `load_model("shapes_plain")`, the network trained without adversarial examples (the lesson's is
#   adversarially trained): same detectors?
# * `dissect(..., quantile=0.99)` uses the top 1 %: which labels change?
#
# ## Further reading
# * D. Bau, B. Zhou, A. Khosla, A. Oliva, A. Torralba, *Network Dissection: Quantifying Interpretability of Deep
#   Visual Representations*, CVPR 2017.
# * C. Olah, A. Mordvintsev, L. Schubert, *Feature Visualization*, Distill 2017.
# * J. Adebayo et al., *Sanity Checks for Saliency Maps*, NeurIPS 2018 (randomization).
