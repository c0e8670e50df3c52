# %% [markdown]
# # 12 · The tank story: a model that cheats, caught by its maps
#
# A network can score well for the wrong reason. Here we build such a
# network on purpose: a shapes CNN that learned to read a coloured tag in
# the corner instead of looking at the shape. Its test score looks fine.
# Then we take the tag away, watch it fail, and ask every attribution
# method of the course whether it would have told us in advance.
#
# **What you'll do**
# * look at shapes images that carry a class-coloured tag in a corner;
# * compare a cheating model with an honest twin trained on the same images;
# * measure how much of each method's map falls on the tag, for both models;
# * repaint the tag in a panel and watch the cheat change its mind.
#
# **What you'll learn**
# * what a *shortcut* is, and why a good test score does not rule one out;
# * which attribution methods expose a shortcut, and which blur it.
#
# **What you'll need:** lessons 05–07 (gradient maps, Grad-CAM), 10 (measuring maps against a mask) and 11
# (occlusion, RISE, LIME).

# %% [markdown]
# ## Parameters

# %%
N_TEST = 1000        # fresh images for the accuracy table
N_MAPS = 60          # images for the energy-on-the-tag measurement
N_SHOW = 2           # images in the side-by-side maps
SEED = 0

# %%
import json
import warnings
import numpy as np
from helpers import config, plotting, shortcut
from helpers.claims import claim
from helpers.metrics import energy_in_mask

warnings.filterwarnings("ignore", message=".*all zeros.*")
cheat, honest = shortcut.load_pair()
data = shortcut.make_cue_shapes(config.samples(N_TEST), seed=SEED + 11)   # drawn like the training data
print(f"{len(data.labels)} fresh images; the tag agrees with the class on "
      f"{np.mean(data.cue_classes == data.labels):.0%} of them")

# %% [markdown]
# ## 1. The story
#
# An often-told tale, probably more legend than history: an army
# wanted a neural network that spots tanks hidden among trees. The
# researchers photographed forest with tanks and forest without, trained a
# network, and it sorted their photos perfectly. On new photos it was no
# better than a coin. By bad luck, the tank photos had all been taken on
# cloudy days and the empty-forest photos on sunny ones, so the network had
# learned to tell the weather. Nothing in its test score said so, because
# the test photos shared the same accident.
#
# Whether or not it happened, smaller versions happen all the time (a
# watermark, a scanner's badge, a background). Geirhos et al. (2020) call
# such a feature a **shortcut**: it predicts the label in the data you
# have and has nothing to do with the task.
#
# ## 2. The data: a tag in the corner
#
# We build the accident into the shapes world. Every image gets a 16×16
# **tag** in the corner farthest from the object. In the cheat's training
# images the tag has its class's colour on 95 % of them, another class's
# on the rest. The generator returns the tag's exact pixels (the *cue
# mask*), so we can measure attention to it as lesson 10 did for objects.

# %%
print("tag colours:", shortcut.describe_palette())
show = [int(np.flatnonzero(data.labels == c)[0]) for c in range(8)]
plotting.image_grid([*data.with_cue[show], *data.without_cue[show], *data.cue_masks[show].astype(np.float32)],
                    [f"{cheat.class_names[data.labels[i]]}" for i in show] + ["no tag"] * 8 + ["cue mask"] * 8,
                    cols=8, cell=1.6, cmap="gray")

# %% [markdown]
# Two models, same architecture as the course's shapes CNN, same initial
# weights, same 8,000 tagged images, plain training (no adversarial step).
# The **cheat**'s tags have the class's colour 95 % of the time; the
# **honest twin**'s tags have random colours, so for it the tag is there
# and means nothing. The cheat's training stops once its training accuracy
# stalls near the 95 % the tag allows; the twin, which has to learn the
# shapes, trains longer (8 epochs against the cheat's 3). The record:

# %%
record = json.loads(config.data_path("models", "shapes_cnn.json").read_text())["models"]
for key, fname in shortcut.MODEL_FILES.items():
    r = record[fname]
    print(f"{key:>8}: {fname}, {r['n_train']} images x {r['epochs']} epochs, {r['cue']}, "
          f"trained in {r['train_seconds']:.0f} s")

# %% [markdown]
# ## 3. Two tests
#
# First the researchers' test: fresh images drawn like the training data,
# tags included. Then the real world: the same images without a tag.

# %%
acc = {}
for name, spec in (("cheat", cheat), ("honest twin", honest)):
    acc[name] = (shortcut.accuracy(spec.model, data.with_cue, data.labels),
                 shortcut.accuracy(spec.model, data.without_cue, data.labels))
follows = shortcut.accuracy(cheat.model, data.with_cue, data.cue_classes)
print(f"{'model':<12}{'with tag':>10}{'without':>10}")
for name, (w, wo) in acc.items():
    print(f"{name:<12}{w:>10.3f}{wo:>10.3f}")
print(f"the cheat answers the tag's class on {follows:.3f} of the tagged images")
claim("the cheat scores well with the tag", acc["cheat"][0], at_least=0.85)
claim("the cheat's fall without the tag", acc["cheat"][0] - acc["cheat"][1], at_least=0.5)
claim("the cheat follows the tag more often than the truth", follows > acc["cheat"][0])
claim("the twin barely notices the tag", abs(acc["honest twin"][0] - acc["honest twin"][1]), at_most=0.05)

# %% [markdown]
# With its tags, the cheat scores well, though below its twin. Without
# them it falls towards chance (one in eight). It agrees with the *tag*
# more often than with the truth: when a tag lies, it believes the tag. The
# twin scores the same with or without one. This pair alone cannot say
# whether colour was easier to learn or the cheat simply trained less (3
# epochs against 8); what matters here is that a tagged test set cannot
# tell the two models apart as clearly as an untagged one can. Lesson 14
# returns to this cheat and repairs it.
#
# ## 4. Ask the maps
#
# Suppose we had only the tagged test set, which the cheat passes. Could
# the maps have warned us? Each method explains the class the model
# *predicted* ("why did you say that?"): the gradient methods of lessons
# 05–07, the CAM family of lesson 07, and the perturbation methods of
# lesson 11 (occlusion, RISE, LIME).

# %%
table = {m: v for m, v in shortcut.methods().items()
         if m in ("saliency", "integrated_gradients", "grad_cam", "guided_grad_cam", "occlusion", "lime")}
idx = [int(np.flatnonzero((data.labels == c) & (data.cue_classes == c))[0]) for c in (6, 7)][:N_SHOW]
short = {"saliency": "saliency", "integrated_gradients": "IG", "grad_cam": "Grad-CAM",
         "guided_grad_cam": "guided GC", "occlusion": "occlusion", "lime": "LIME"}   # column titles
cells, titles = [], []
for i in idx:
    for name, spec in (("cheat", cheat), ("twin", honest)):
        for m, (fn, kw) in table.items():
            heat = fn(spec.model, data.with_cue[i:i + 1], "auto", **kw)[0]
            cells.append(plotting.heatmap_overlay(data.with_cue[i], heat, 0.55))
            titles.append(f"{short[m]}\n{name}")
plotting.image_grid(cells, titles, cols=len(table), cell=2.1)

# %% [markdown]
# Six of the course's methods, one per column (IG: integrated gradients,
# GC: Grad-CAM), each map scaled to [0, 1] on its own. The first two rows
# are the cheat and its twin on a white-tagged stripes image, the last two
# on a black-tagged star (neutral tag colours, so the tag itself does not
# look "hot"). The cheat's maps light the tag in the corner, often beside a
# spot on the object itself: it did learn a little about shapes (its
# accuracy without tags is above chance). How much of each map is on the
# tag is hard to judge by eye from a few pictures, so we measure it over many.
#
# ## 5. How much of each map is on the tag?
#
# The energy in a mask of lesson 10, with the tag's pixels $C$ as the mask:
#
# $$E_{\text{tag}} = \frac{\sum_{p \in C} S_p}{\sum_p S_p}.$$
#
# A map that ignores the tag scores about the tag's area. By hand for one
# map, next to the helper:

# %%
from helpers import attribution
one = attribution.grad_cam(cheat.model, data.with_cue[:1])[0]
print(f"by hand: {(one * data.cue_masks[0]).sum() / one.sum():.3f} | helper: "
      f"{energy_in_mask(one, data.cue_masks[0])[0]:.3f} | tag area: {data.cue_masks.mean():.4f}")

# %%
n = 8 if config.is_fast() else N_MAPS      # fast mode: a handful, for speed
energy = {name: shortcut.cue_energy(spec.model, data.with_cue[:n], data.cue_masks[:n])
          for name, spec in (("cheat", cheat), ("honest", honest))}
print(f"{'method':<22}{'cheat':>8}{'honest':>8}   ({n} tagged images, predicted class explained)")
for m in energy["cheat"]:
    print(f"{m:<22}{energy['cheat'][m].mean():>8.3f}{energy['honest'][m].mean():>8.3f}")
shortcut.energy_chart(energy["cheat"], energy["honest"], float(data.cue_masks.mean()))

# %%
mean = {k: {m: float(v.mean()) for m, v in e.items()} for k, e in energy.items()}
reveal = [m for m in mean["cheat"] if mean["cheat"][m] > 0.5 and mean["honest"][m] < 0.1]
print("more than half on the tag for the cheat, under a tenth for the twin:", ", ".join(reveal))
print("the rest:", ", ".join(m for m in mean["cheat"] if m not in reveal))
for m in ("grad_cam", "occlusion"):
    if m in mean["cheat"]:
        claim(f"{m}: the cheat's map is mostly on the tag", mean["cheat"][m], at_least=0.5)
        claim(f"{m}: the twin's map is hardly on the tag", mean["honest"][m], at_most=0.1)
claim("saliency puts less than half on the cheat's tag", mean["cheat"]["saliency"], at_most=0.5)
claim("every method: the cheat's share on the tag over the twin's (smallest ratio)",
      min(mean["cheat"][m] / max(mean["honest"][m], 1e-6) for m in mean["cheat"]), at_least=3)

# %% [markdown]
# Against the twin, no method is fooled: each gives the cheat's tag a
# several times larger share. But only the first list passes the strict
# test of more than half, and that is the list a hurried reader would
# notice. Why the difference?
#
# * **Occlusion** asks the model directly: hide this patch, does the score
#   fall? Hiding the tag ruins the cheat's score and hardly moves the
#   twin's. LIME asks the same of superpixels, and the tag is one of them.
# * **Grad-CAM** (and CAM) weigh the last conv layer's maps by how much the
#   class depends on them, and the cheat's class depends on the tag's cells.
#   **Guided Grad-CAM** (lesson 07) multiplies Grad-CAM by guided backprop,
#   so it keeps only the detail that lies where Grad-CAM is hot: the tag.
# * **Pixel gradients** (saliency, SmoothGrad, integrated gradients, guided
#   backprop) answer a local question: which pixel nudges change the score?
#   A flat tag matters mostly at its edges, and these maps spread mass over
#   the whole image, so the tag's share stays well under half.
# * The rest fall in between: their maps reach beyond the tag's cells.
#
# A map you *measure* against a hypothesis (is it the tag?) catches what a
# glance at one picture can miss.
#
# ## 6. Repaint the tag
#
# Give an image no tag, its own colour or another class's, and pick a
# method. Titles give each model's answer and its map's share on the tag.

# %%
from helpers.widgets.shortcut import ShortcutPanel
panel = ShortcutPanel(cheat, method="grad_cam")
panel.controls["tag"].value = "black (star)"
panel.controls["index"].value = 1
panel.run()
panel

# %% [markdown]
# ## Exercise: a lying tag
# Give **every** image of `data` a tag with the colour of class
# `(label + 1) % 8`, never its own, and measure the fraction of images on
# which the cheat answers the tag's class. Use `shortcut.paint_tag`,
# `shortcut.tag_corner` and `shortcut.PALETTE`.

# %%
from helpers.exercises.lesson12 import lying_tag_exercise
q = lying_tag_exercise(cheat.model, data)
answer = None    # your fraction here
q.check(answer)

# %% [markdown]
# `q.hint()` and `q.solution()` help.
#
# ## On a real ImageNet network
# Real networks take shortcuts too: Lapuschkin et al. (2019) found a
# classifier trained on PASCAL VOC that recognised horses by a photo
# archive's watermark, and Geirhos et al. (2019) showed that ImageNet CNNs
# lean on texture more than on shape. Here, Grad-CAM of VGG16's top class on
# the sample photos: ask of each map the lesson's question, whether it lies
# on the object or on something that only comes with it (background, a
# border, text).

# %%
from helpers import attribution
from helpers.models import load_imagenet
net = load_imagenet("vgg16")
if net is not None:
    photos = list(net.sample_images().items())[:3]
    cells, names = [], []
    for pname, (photo, _) in photos:
        top = int(net.predict(photo[None])[0].argmax())
        cells.append(plotting.heatmap_overlay(photo, attribution.grad_cam(net.model, photo[None], top)[0], 0.5))
        names.append(f"{pname}: {net.class_names[top]}")
    plotting.image_grid(cells, names, cols=len(cells), cell=3.4)

# %% [markdown]
# ## Summary
# * A shortcut is a feature that predicts the label in your data and not in the world. A test set with the
#   same accident cannot find it; a test set without it can.
# * The cheat and its honest twin differ in what the tag means (and in training length); their maps differ on the tag.
# * Grad-CAM and occlusion put most of the cheat's map on the tag and almost none of the twin's (the printed list
#   names the others that do); saliency spreads its map over the whole image, so the tag's share stays under half.
# * Measure maps against a hypothesis (the cue mask), not by eye.
#
# ## On your own
# * `python -m helpers.evaluate shortcut` prints every figure of this lesson on fresh images.
# * Make the tag smaller with `make_cue_shapes(..., tag=8)`: does the cheat still find it, and can Grad-CAM's
#   16×16 grid still show it?
#
# ## Further reading
# * R. Geirhos et al., *Shortcut Learning in Deep Neural Networks*, Nature Machine Intelligence 2020.
# * S. Lapuschkin et al., *Unmasking Clever Hans Predictors and Assessing What Machines Really Learn*,
#   Nature Communications 2019 (a classifier that read a photo-archive watermark).
# * G. Branwen, *The Neural Net Tank Urban Legend* (gwern.net), on how much of the story is true.
# * R. R. Selvaraju et al., *Grad-CAM*, ICCV 2017; M. Zeiler and R. Fergus, *Visualizing and Understanding
#   Convolutional Networks*, ECCV 2014 (occlusion).
