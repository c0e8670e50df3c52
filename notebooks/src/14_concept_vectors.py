# %% [markdown]
# # 14 · Concept vectors (TCAV): does the model use a concept?
#
# Maps say *where* a model looks. Here we ask a question in human terms:
# does the concept "stripes" push the score of *horizontal stripes* up?
# Does lesson 12's cheat use the concept "a red tag"? And is the answer
# more than noise?
#
# **What you'll do**
# * draw concept images with the shapes generator and learn a direction for each in a layer;
# * score each class by how often its logit rises along that direction;
# * test the scores against random directions, and catch the cheat of lesson 12.
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
N_RANDOM = 30        # random sets: 30 concept CAVs and 30 random CAVs per test
SEED = 0

# %%
import warnings
import numpy as np
from helpers import config, plotting, shortcut, tcav
from helpers.claims import claim
from helpers.models import load_model

warnings.filterwarnings("ignore", category=UserWarning)
spec = load_model("auto")
cheat, twin = shortcut.load_pair()
LAYER = spec.layers["late"]                 # conv3 on the shapes CNN (16x16x64 activations)
n_random = 10 if config.is_fast() else N_RANDOM   # fast mode (tests): the t-test's minimum, small sets
n = 12 if config.is_fast() else N
n_images = 10 if config.is_fast() else N_IMAGES
print(f"Layer {LAYER}; {n} images per set; {n_random} random sets.")

# %% [markdown]
# ## 1. A concept is a direction
#
# Collect images that show a concept $C$ (stripes) and images that do not
# (random shapes images). Feed both through the network to layer $l$ and
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
# $$\mathrm{TCAV}_Q = \frac{|\{x \in X_k : S_{C,k}(x) > 0\}|}{|X_k|}.$$
#
# The shapes generator draws every concept on demand:

# %%
for name in ("stripes", "hole", "tag red", "random shapes", "random noise"):
    print(f"{name:>14}: {tcav.CONCEPTS[name].description}")
show = [tcav.concept_images(c, 4, SEED) for c in ("stripes", "hole", "tag red", "random shapes")]
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
from helpers._graph import graph_model
from helpers.shapes import make_shapes

c_acts = tcav.layer_activations(spec, LAYER, tcav.concept_images("stripes", n, SEED))
r_acts = tcav.layer_activations(spec, LAYER, tcav.concept_images("random shapes", n, SEED + 1))
clf = SGDClassifier(alpha=0.01, random_state=SEED).fit(np.r_[c_acts, r_acts], np.r_[np.ones(n), np.zeros(n)])
v = clf.coef_[0] / np.linalg.norm(clf.coef_[0])                  # the CAV, unit length

k = spec.class_names.index("horizontal stripes") if "horizontal stripes" in spec.class_names else 0
x_k = make_shapes(10, seed=SEED + 2, classes=[k])[0]
two = graph_model(spec.model, [LAYER], head="logits")              # image -> (activations, logits)
with tf.GradientTape() as tape:
    acts, logits = two(x_k)
    logit_k = logits[:, k]
grad = tape.gradient(logit_k, acts).numpy().reshape(len(x_k), -1)  # ∇h_{l,k}(f_l(x)), one row per image
S = grad @ v
print("S_C,k(x) by hand:", np.round(S, 3))
print(f"TCAV by hand {np.mean(S > 0):.2f}; by the helper with the same CAV "
      f"{tcav.tcav_score(spec, LAYER, tcav.CAV(v, float('nan'), LAYER), x_k, k):.2f}")

# %% [markdown]
# ## 3. Is a score more than noise?
#
# A CAV learned from two sets of *random* images also has a direction, and
# a TCAV score, that has nothing to do with any concept. So `tcav.tcav`
# learns `n_random` concept CAVs (the concept against random set $R_i$) and
# `n_random` random CAVs (random set $R_0$ against $R_i$). The random CAVs'
# scores show how scores spread when there is no concept: the null
# distribution. A two-sided t-test (Welch's) asks whether the concept
# scores' mean differs from theirs; its p-value is the chance of a difference
# at least this large if the concept were no better than random.
#
# We test all 8 classes at once, so one in twenty "significant" results could
# be luck at each. **Bonferroni's correction** multiplies each p by the number of
# tests (8 here); a result is significant when that is below 0.05. The chart
# draws insignificant results hatched and grey, labelled "n.s.".

# %%
stripes = tcav.tcav(spec, LAYER, "stripes", n=n, n_images=n_images, n_random=n_random, seed=SEED)
print(f"'stripes' at {LAYER}, Bonferroni over {stripes[0].n_tests} tests; "
      f"CAV held-out accuracy {stripes[0].cav_accuracy:.2f}")
print(f"{'class':<20}{'TCAV':>6}{'random':>8}{'p':>10}{'p x 8':>10}  significant")
for r in stripes:
    print(f"{r.class_name:<20}{r.score:>6.2f}{r.random_scores.mean():>8.2f}{r.p_value:>10.1e}"
          f"{r.p_corrected:>10.1e}  {'yes' if r.significant else 'no'}")
tcav.tcav_chart(stripes)

# %%
both = [r for r in stripes if "stripes" in r.class_name]
claim("the smaller TCAV score of stripes for the two stripe classes", min(r.score for r in both), at_least=0.85,
      quiet=True)
claim("stripes is significant for both stripe classes", all(r.significant for r in both), quiet=True)
claim("a class where stripes is significant with a score below one half",
      any(r.significant and r.score < 0.5 for r in stripes), quiet=True);

# %% [markdown]
# For both stripe classes the logit rises along the stripes direction on
# most class images (the TCAV column), more often than along the random
# directions (the random column), and the test calls it significant (the
# p-values are printed). Some other classes come out
# significant too, in either direction: a score near 0 means stripes
# *lower* that class's logit, and the two-sided test counts that as well.
# A tall bar alone proves nothing; compare it with the dots.
#
# ## 4. Catching the cheat
#
# Lesson 12's cheat reads a coloured corner tag. For each class $c$ take the
# concept "a tag of $c$'s colour" (ordinary shapes images of any class with
# that tag) and test it for class $c$, on fresh untagged images of $c$,
# for the cheat and for its honest twin.

# %%
study = {who: tcav.tag_study(m, "conv3", n=n,
                             n_images=n_images, n_random=n_random, seed=SEED)
         for who, m in (("cheat", cheat), ("twin", twin))}
above = [a.score > b.score and min(1.0, 8 * tcav.welch_p(a.scores, b.scores)) < 0.05
         for a, b in zip(study["cheat"], study["twin"])]
print(f"{'class (tag colour)':<28}{'cheat':>7}{'p x 8':>9}{'twin':>7}{'p x 8':>9}")
for a, b in zip(study["cheat"], study["twin"]):
    colour = shortcut.COLOUR_NAMES[a.class_index]
    print(f"{a.class_name + ' (' + colour + ')':<28}{a.score:>7.2f}{a.p_corrected:>9.0e}{b.score:>7.2f}"
          f"{b.p_corrected:>9.0e}")
sig = {who: sum(r.significant for r in res) for who, res in study.items()}
acc = {who: np.mean([r.cav_accuracy for r in res]) for who, res in study.items()}
print(f"Smallest TCAV score: cheat {min(r.score for r in study['cheat']):.2f}, "
      f"twin {min(r.score for r in study['twin']):.2f}; mean: cheat "
      f"{np.mean([r.score for r in study['cheat']]):.2f}, twin {np.mean([r.score for r in study['twin']]):.2f}.")
print(f"Significant: cheat {sig['cheat']} of 8 classes, twin {sig['twin']} of 8. "
      f"The cheat's scores are significantly above the twin's for {sum(above)} of 8.")
print(f"Mean held-out accuracy of the tag CAVs: cheat {acc['cheat']:.2f}, twin {acc['twin']:.2f}.")
fig, axes = plotting.new_figure(13, 4.2, ncols=2)
for ax, (who, res) in zip(axes, study.items()):
    tcav.tcav_chart(res, title=f"{who}: tag of the class's colour (blue: significant)", ax=ax)
fig

# %%
claim("the cheat's smallest TCAV score for its own tag colour", min(r.score for r in study["cheat"]),
      at_least=0.6, quiet=True)
claim("classes where the cheat's tag concept is significant", sig["cheat"], at_least=5, quiet=True)
claim("classes where the cheat scores significantly above the twin", sum(above), at_least=7, quiet=True)
claim("the twin's mean TCAV score for its own tag colour", float(np.mean([r.score for r in study["twin"]])),
      between=(0.25, 0.75), quiet=True)
claim("the cheat's mean tag-CAV accuracy", acc["cheat"], at_least=0.9, quiet=True)
claim("the cheat's mean tag-CAV accuracy minus the twin's", acc["cheat"] - acc["twin"], at_least=0.1, quiet=True);

# %% [markdown]
# The cheat's logit for each class rises along "a tag of my colour" on
# most of the class's images (the smallest score is printed), and the test
# says so for most classes (the count is printed). The twin's scores
# average near one half (printed); a few of its results may pass the test
# too (the count is printed), with a high or a low score. A significant result says that
# the direction matters, not that the model relies on the concept: the
# decisive comparison is the cheat against the twin, and the cheat's
# scores are significantly above the twin's for the printed number of classes. The CAV accuracies
# differ too: the cheat's layer tells a tag's colour apart almost perfectly,
# the twin's much less well; it has little reason to represent the tag.
#
# ## 5. Try it
#
# Pick a model, a concept and a layer. The panel opens on the cheat and a
# black tag, the colour of stars. Try "hole", and the layer `conv2`.

# %%
from helpers.widgets.tcav import TCAVPanel
panel = TCAVPanel(spec, concept="tag black", layer="conv3", model="cheat (lesson 12)")
panel.run()
panel

# %% [markdown]
# ## Exercise: which results are significant?
# `stripes` (section 3) holds one result per class. Give the list of class
# names for which the concept is significant after the correction. Read the
# table, not the bars.

# %%
from helpers.exercises.lesson14 import significance_exercise
q = significance_exercise(stripes)
answer = None    # e.g. ["circle", "ring"]
q.check(answer)

# %% [markdown]
# `q.hint()` and `q.solution()` help.
#
# ## On a real ImageNet network
# Kim et al. asked whether "striped" matters to the *zebra* class of
# ImageNet networks (GoogLeNet, Inception V3). Here the same call on VGG16 at one layer, with our generated
# stripes and our few sample photos as the images (not zebras: the question
# is whether stripes would push their zebra logit up). Offline the section
# is skipped; with random weights (in the course's tests) it shows only that
# the code runs.

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
# * For the cheat, "a tag of my colour" scored high and significant for most classes and significantly
#   above the honest twin for (nearly) all; the twin's scores sat around one half.
#
# ## On your own
# * Repeat section 4 at `conv4`: do cheat and twin still differ as clearly?
# * Make your own concept: pass an array of at least 10 images as `concept=` to `tcav.tcav`.
#
# ## Further reading
# * B. Kim et al., *Interpretability Beyond Feature Attribution: Quantitative Testing with Concept Activation
#   Vectors (TCAV)*, ICML 2018.
# * D. Bau et al., *Network Dissection*, CVPR 2017 (units instead of directions).
