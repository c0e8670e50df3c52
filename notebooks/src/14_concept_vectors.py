# %% [markdown]
# # 14 · Concept vectors (TCAV): is the model sensitive to a concept?
#
# Maps say *where* a model looks. Here we ask a question in human terms:
# does the concept "stripes" push the score of *horizontal stripes* up?
# Is lesson 12's cheat sensitive to the concept "a red tag"? And is the
# answer more than noise? (Sensitivity is what TCAV measures; whether a
# model *relies* on a concept takes an intervention, as in lesson 12.)
#
# **What you'll do**
# * draw concept images with the shapes generator and learn a direction for each in a layer;
# * score each class by how often its logit rises along that direction;
# * test the scores against random CAVs, and catch the cheat of lesson 12.
#
# **What you'll learn**
# * what a concept activation vector (CAV) and a TCAV score are (Kim et al. 2018);
# * why a score needs a significance test, and how to read one.
#
# **What you'll need:** lessons 01 (activations), 05 (gradients) and 12 (the cheat and its twin).

# %% [markdown]
# ## Parameters

# %%
N = 50               # images per concept set and per random set
N_IMAGES = 50        # images of each class
N_RANDOM = 30        # CAVs of each kind per test: 30 concept CAVs and 30 random CAVs
SEED = 0

# %%
import warnings
import numpy as np
from helpers import config, plotting, shortcut, tcav
from helpers.models import load_model

warnings.filterwarnings("ignore", category=UserWarning)
spec = load_model("auto")
cheat, twin = shortcut.load_pair()
LAYER = spec.layers["late"]                 # conv3 on the shapes CNN (16x16x64 activations)
n_random = 10 if config.is_fast() else N_RANDOM   # a quick run (COURSE_FAST=1) uses 10, the fewest allowed
n = 12 if config.is_fast() else N
n_images = 10 if config.is_fast() else N_IMAGES
print(f"Layer {LAYER}; {n} images per set; per test {n_random} concept CAVs and {n_random} random CAVs, "
      f"learned from {n_random} concept sets and {3 * n_random} random sets.")

# %% [markdown]
# ## 1. A concept is a direction
#
# Collect images that show a concept $C$ (stripes) and random images
# (random shapes images, which may include striped objects), as Kim et al.
# do. Feed both through the network to layer $l$ and
# train a linear classifier to tell their activations $f_l(x)$ apart. The
# classifier's weight vector, scaled to length 1, is the **concept
# activation vector** $v_C^l$: the direction in which "more stripes" lies.
#
# Write $h_{l,k}$ for the rest of the network: it maps layer-$l$
# activations to class $k$'s **logit** (the score before the softmax). The
# **conceptual sensitivity** of class $k$ at image $x$ is the directional
# derivative
#
# $$S_{C,k}(x) = \nabla h_{l,k}(f_l(x)) \cdot v_C^l,$$
#
# positive when moving the activations towards the concept would raise the
# logit. The **TCAV score** is the share of class-$k$ images $X_k$ where it is
# positive:
#
# $$\mathrm{TCAV}_{C,k,l} = \frac{|\{x \in X_k : S_{C,k}(x) > 0\}|}{|X_k|}.$$
#
# TCAV counts only the *sign* of $S_{C,k}(x)$, not its size: a concept that
# nudges the logit up by a hair on every image scores 1. And $S$ is a
# derivative, a local first-order statement about small moves of the activations.
#
# The shapes generator draws every concept on demand:

# %%
for name in ("stripes", "hole", "tag red", "random shapes"):
    print(f"{name:>14}: {tcav.CONCEPTS[name].description}")
show = [tcav.concept_images(c, 4, SEED + i) for i, c in enumerate(("stripes", "hole", "tag red", "random shapes"))]
plotting.image_grid([i for s in show for i in s], [c for c in ("stripes", "hole", "tag red", "random shapes")
                                                    for _ in range(4)], cols=8, cell=1.5)

# %% [markdown]
# ## 2. From scratch, next to the helper
#
# One CAV by hand: scikit-learn's linear classifier on the flattened
# activations of `n` stripes images (label 1) and `n` random ones (label 0),
# then the directional derivative of the *horizontal stripes* logit for a few
# images of that class, with a gradient tape.

# %%
import tensorflow as tf
from sklearn.linear_model import SGDClassifier
from helpers.images import model_batch
from helpers.shapes import make_shapes

c_acts = tcav.layer_activations(spec, LAYER, tcav.concept_images("stripes", n, SEED))
r_acts = tcav.layer_activations(spec, LAYER, tcav.concept_images("random shapes", n, SEED + 1))
clf = SGDClassifier(alpha=0.01, random_state=SEED).fit(np.r_[c_acts, r_acts], np.r_[np.ones(n), np.zeros(n)])
v = clf.coef_[0] / np.linalg.norm(clf.coef_[0])                  # the CAV, unit length

k = spec.class_names.index("horizontal stripes") if "horizontal stripes" in spec.class_names else 0
x_k = model_batch(make_shapes(10, seed=SEED + 2, classes=[k])[0], model=spec.model)  # resized to the model's input
two = tcav.activations_and_logits(spec, LAYER)                     # image -> (activations, logits)
with tf.GradientTape() as tape:
    acts, logits = two(x_k)
    logit_k = logits[:, k]
grad = tape.gradient(logit_k, acts).numpy().reshape(len(x_k), -1)  # ∇h_{l,k}(f_l(x)), one row per image
S = grad @ v
print("S_C,k(x) by hand:", np.round(S, 3))
S_helper = tcav.logit_gradients(spec, LAYER, x_k, k) @ v                # the helper's S for the same images
print(f"TCAV by hand {np.mean(S > 0):.2f}; by the helper with the same CAV "
      f"{tcav.tcav_score(spec, LAYER, tcav.CAV(v, float('nan'), LAYER), x_k, k):.2f}; largest difference of "
      f"S per image {np.abs(S - S_helper).max():.1e}")

# %% [markdown]
# ## 3. Is a score more than noise?
#
# A CAV learned from two sets of *random* images also has a TCAV score,
# one that has nothing to do with any concept. So `tcav.tcav` learns
# `n_random` concept CAVs (a concept set $C_i$ against a random set $R_i$)
# and `n_random` random CAVs (a random set $R'_i$ against another, $R''_i$);
# the random CAVs' scores are the null distribution. Every set is drawn
# fresh and used by one CAV only, so that the scores within each sample are
# separate draws, as a t-test assumes. (A "random CAV" is a direction learned between two random
# sets, not a direction drawn at random.) A two-sided Welch t-test (a t-test
# that does not assume equal variances) asks whether the two means differ;
# its p-value is the chance of a t statistic at least this extreme if the
# concept's scores were no different from the random ones.
#
# We make 8 tests, one per class. At p < 0.05 each, the chance of at least
# one false positive among 8 null tests is about $1 - 0.95^8 \approx 34\%$.
# **Bonferroni's correction** multiplies each p by the number of tests (8, capped at 1)
# and calls a result significant when that is below 0.05; this keeps that
# chance at 5% at most, whether or not the tests are independent (ours are
# not: they share the CAVs; the 34% above assumes independence).
#
# The **CAV held-out accuracy** is the share of concept and random images,
# kept out of training, that the linear classifier sorts correctly: Kim et
# al.'s check that the concept can be read linearly at this layer (0.5 is
# chance).
#
# **The chart:** each bar is a class's TCAV score, the mean over the concept
# CAVs (their number is printed), with a dark whisker one standard deviation
# of the concept CAVs' scores either side (clipped to [0, 1]); grey dots are single random CAVs,
# the black line their mean. Blue bars are significantly above their random
# CAVs, orange bars significantly below; grey hatched bars, marked "n.s." at
# the top, are not significant (the key is under the chart). Bar colour
# means significance, never a tag's colour. A random CAV's
# score is often near 0 or 1 rather than one half: the images of one class
# have similar gradients, so one direction tends to point the same way for
# nearly all of them.

# %%
stripes = tcav.tcav(spec, LAYER, "stripes", n=n, n_images=n_images, n_random=n_random, seed=SEED)
print(f"'stripes' at {LAYER}, Bonferroni over {stripes[0].n_tests} tests; "
      f"CAV held-out accuracy {stripes[0].cav_accuracy:.2f} (mean over the concept CAVs)")
print(f"Each score: the mean over {len(stripes[0].scores)} concept CAVs; {len(stripes[0].random_scores)} random CAVs.")
print(f"{'class':<20}{'TCAV':>6}{'random':>8}{'p':>10}{f'p x {stripes[0].n_tests}':>10}  significant")
for r in stripes:
    print(f"{r.class_name:<20}{r.score:>6.2f}{r.random_scores.mean():>8.2f}{tcav.p_text(r.p_value):>10}"
          f"{tcav.p_text(r.p_corrected):>10}  {'yes' if r.significant else 'no'}")
tcav.check_lesson14(stripes=stripes)      # prints the summary line below
tcav.tcav_chart(stripes)

# %% [markdown]
# For both stripe classes the logit rises along the stripes direction on
# most class images, more often than along random CAVs, and the
# test calls it significant. But "stripes" is significant for other classes
# too, some with a score below one half: there stripes *lower* the logit,
# and the two-sided test counts that as well. A CAV learned from
# full-frame textures may encode "high-frequency texture" in general: TCAV
# asks about the direction you trained, not the word you gave it. Where
# "stripes" scores high for a class without stripes, TCAV cannot tell you
# why: a concept direction can correlate with any feature the class uses.
#
# ## 4. Catching the cheat
#
# Lesson 12's cheat was trained on images whose corner tag had its class's
# colour on 95 % of them; its honest twin on the same images with tags of
# random colours. The cheat reads the tag. For each class $c$ take the
# concept "a tag of $c$'s colour" (ordinary shapes images of any class with
# that tag) and test it for class $c$, on fresh untagged images of $c$,
# for the cheat and for its honest twin. The random sets here are the same
# kind of images with a tag of a *random* colour ("random tags"): each CAV
# then separates one tag colour from tags of any colour, so the test asks
# whether the tag's **colour** moves the logit, not whether a tag is there.
#
# We test at `conv4`, the last conv layer, where a late, class-level
# concept should show. One thing is special there: `conv4` is followed by
# global average pooling and the dense layer that gives the logits, so
# $h_{l,k}$ is linear, and its gradient is class $k$'s weights spread evenly
# over the layer's positions: the same for every image (the first line
# printed below gives the size and checks it). $S_{C,k}(x)$ then has one sign for all images,
# each CAV scores exactly 0 or 1, and the TCAV score is the share of CAVs
# that point along class $k$'s weights. The random CAVs' dots sit at 0 and
# 1 for the same reason.

# %%
LAST = "conv4"                              # cheat and twin are shapes CNNs: conv4 is their last conv layer
h, w, c = cheat.model.get_layer(LAST).output.shape[1:]
g = tcav.logit_gradients(cheat, LAST, make_shapes(5, seed=SEED + 3)[0], 0)   # 5 images, class 0's logit
print(f"{LAST}: {h} x {w} positions x {c} channels. The gradients of class 0's logit for 5 different images: "
      f"largest difference {np.abs(g - g[0]).max():.1e}.")
study = {who: tcav.tag_study(m, LAST, n=n, n_images=n_images, n_random=n_random, seed=SEED)
         for who, m in (("cheat", cheat), ("twin", twin))}
print(f"{'class (tag colour)':<28}{'cheat':>7}{'random':>8}{'p x 8':>9}{'twin':>7}{'random':>8}{'p x 8':>9}")
for a, b in zip(study["cheat"], study["twin"]):
    colour = shortcut.COLOUR_NAMES[a.class_index]
    print(f"{a.class_name + ' (' + colour + ')':<28}{a.score:>7.2f}{a.random_scores.mean():>8.2f}"
          f"{tcav.p_text(a.p_corrected):>9}{b.score:>7.2f}{b.random_scores.mean():>8.2f}{tcav.p_text(b.p_corrected):>9}")
tcav.check_lesson14(study=study)          # prints the summary lines below
ticks = [f"{r.class_name} ({shortcut.COLOUR_NAMES[r.class_index]})" for r in study["cheat"]]
fig, axes = plotting.new_figure(14, 4.8, ncols=2)
for ax, (who, res) in zip(axes, study.items()):
    tcav.tcav_chart(res, title=f"{who}: a tag of the class's colour (Bonferroni x8)", ax=ax, labels=ticks,
                    key=who == "twin")     # one key, under the right-hand chart
fig

# %% [markdown]
# Read each bar against its own black line: each model has its own random
# baseline (the "random" columns). For the cheat, nearly every CAV of its
# own tag colour points along the class's weights: its scores are high and
# significantly above its random CAVs (read the count printed under the
# table). The twin's scores fall on both sides of its random lines, and
# the test finds little or nothing there (counted under the table too):
# the twin was trained with tags of random colours, so no tag colour
# should mean its class. The cheat's tag CAVs are also more accurate
# (printed): its last conv layer separates one tag colour from the others
# better than the twin's does. The twin's accuracy is barely above chance
# (0.5): at its last conv layer one tag colour can hardly be told from
# another, so its CAVs are close to random directions. That is itself a
# finding (as far as a linear classifier trained on a few dozen images
# can tell, the twin keeps little of a tag's colour that late), and it is
# also why its test had little to find: TCAV can only ask about a concept
# the layer represents, so read the CAV accuracy before the scores.
#
# Why every set is fresh: if all 30 concept CAVs were learned from *one*
# concept set, they would share that set's quirks, their 30 scores would
# not be 30 separate draws, and the t-test, which assumes they are, would
# give p-values that are too small. Kim et al.'s code reuses one concept
# set that way. (The class images $X_k$ are still shared by every CAV, as
# in the paper.)
#
# TCAV measures sensitivity along a direction. It does not show that a
# model *relies* on the concept; lesson 12 showed that by repainting the
# tag and watching the accuracy fall.

#
# ## 5. Try it
#
# The panel opens on the cheat and a black tag (the stars' colour) at
# `conv4`, tested for all 8 classes against random tags: a blue bar above its black line
# means a black tag pushes that class's logit up more often than random
# CAVs do; below it, up less often than random CAVs do (the logit falls on
# most images only where the bar is also below 0.5). Black is the stars' colour: is the stars' bar
# the one that stands out, and what do the other classes do? To answer in
# seconds it uses 10 concept CAVs and 10 random CAVs, from sets of 30
# images, and 20 images per class: fewer CAVs, smaller sets and fewer
# class images than section 4, and other images. Compare the stars' black line with section
# 4's: if they differ much, that is the same model, concept, class and
# layer measured on other samples: the random baseline is itself a sample,
# which is why the test needs many random CAVs. Try the twin, the concept
# "hole", the layers `conv3` and `conv2`.

# %%
from helpers.widgets.tcav import TCAVPanel
panel = TCAVPanel(spec, concept="tag black", layer="conv4", model="cheat (lesson 12)")
panel.run()
panel

# %% [markdown]
# ## Exercise: which classes does a concept *lower*?
# A new test: the concept "hole", with *uncorrected* p-values. Apply
# Bonferroni yourself (8 tests): first, the threshold that an *uncorrected*
# p must be below to pass; then the classes for which "hole" is
# significant **and** lowers the logit on most of the class's images (TCAV
# score below 0.5). Give both, as `(threshold, [classes])`.

# %%
from helpers.exercises.lesson14 import lowering_exercise, print_raw
holes = tcav.tcav(spec, LAYER, "hole", n=n, n_images=n_images, n_random=n_random, seed=SEED)
print_raw(holes)
q = lowering_exercise(holes)
answer = None    # e.g. (0.01, ["circle", "ring"])
q.check(answer)

# %% [markdown]
# `q.hint()` and `q.solution()` help.
#
# ## On a real ImageNet network
# Kim et al. asked whether "striped" matters to the *zebra* class of
# ImageNet networks (GoogLeNet, Inception V3), with zebra photos as $X_k$.
# We have none, so this asks a different question: on VGG16, with our
# stripes and our few sample photos (not zebras), would stripes push their
# zebra logit up? Online it loads the ImageNet weights.
# Offline the section is skipped.

# %%
from helpers.models import load_imagenet
net = load_imagenet("vgg16")
if net is not None:
    photos = np.stack([p for p, _ in net.sample_images().values()])
    zebra = net.class_index("zebra")
    res = tcav.tcav(net, net.layers["late"], "stripes", classes=[zebra], images=photos,
                    labels=np.full(len(photos), zebra), n=10, n_random=10, seed=SEED)[0]
    print(f"'stripes' for zebra on {len(photos)} photos: TCAV {res.score:.2f}, random CAVs "
          f"{res.random_scores.mean():.2f}, p = {res.p_value:.1e}, significant: {res.significant}")

# %% [markdown]
# ## Summary
# * A CAV is the normal of a linear classifier between a concept's activations and random ones;
#   $S_{C,k}(x) = \nabla h_{l,k}(f_l(x)) \cdot v_C^l$ and TCAV is the share of class-$k$ images where it is positive.
# * Compare with random CAVs, test, and correct for the number of tests: a tall bar may be insignificant,
#   and a bar near 0 may be significant (the concept lowers the logit).
# * A CAV is the direction you trained, not the word you gave it: "stripes", learned from full-frame
#   textures, was significant for other classes too.
# * At the last conv layer, for the cheat, "a tag of my colour" (against tags of random colours) pointed
#   along the class's weights for nearly every CAV, significantly above its random CAVs (section 4 counts
#   the classes); the twin's scores fell on both sides of its random CAVs. TCAV shows sensitivity, not reliance.
# * Draw every concept and random set fresh for each CAV: shared sets make the p-values too small.
#
# ## On your own
# * Repeat section 4 at `conv3`, where each image has its own gradient: do cheat and twin still differ as clearly?
# * Make your own concept: pass an array of at least 10 images as `concept=` to `tcav.tcav`.
#
# ## Further reading
# * B. Kim et al., *Interpretability Beyond Feature Attribution: Quantitative Testing with Concept Activation
#   Vectors (TCAV)*, ICML 2018.
# * D. Bau et al., *Network Dissection*, CVPR 2017 (units instead of directions).
