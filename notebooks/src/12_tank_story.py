# %% [markdown]
# # 12 · The tank story: a model that cheats, caught by its maps
#
# A network can score well for the wrong reason. Here we build one on
# purpose: a shapes CNN that reads a coloured tag in the corner instead of
# the shape. We take the tag away, watch it fail, and ask the course's
# attribution methods whether they would have warned us.
#
# **What you'll do**
# * compare a cheating model with an honest twin trained on the same shapes;
# * measure, image by image, how much of each method's map falls on the tag;
# * repaint the tag in a panel and watch the cheat change its mind.
#
# **What you'll learn**
# * what a *shortcut* is, and why a good test score does not rule one out;
# * which methods expose a shortcut on average, and how much single maps vary.
#
# **What you'll need:** lessons 05–07 and 10–11 (the maps, and measuring them against a mask).

# %% [markdown]
# ## Parameters

# %%
N_TEST = 1000        # fresh images for the accuracy table
N_MAPS = 60          # images for the share-on-the-tag measurement
SEED = 0

# %%
import warnings
import numpy as np
from helpers import attribution, config, plotting, shortcut
from helpers.claims import claim
from helpers.metrics import energy_in_mask

warnings.filterwarnings("ignore", message=".*all zeros.*")
NAMES = shortcut.display_names()     # one display name per method, shared with the panels
cheat, honest = shortcut.load_pair()
data = shortcut.make_cue_shapes(config.samples(N_TEST), seed=SEED + 11)   # drawn like the training data
print(f"{len(data.labels)} fresh images; the tag has the class's own colour on "
      f"{np.mean(data.cue_classes == data.labels):.0%} of them.")

# %% [markdown]
# ## 1. The story
#
# An often-told tale, probably more legend than history: a network was
# trained to spot tanks hidden among trees and sorted its test photos
# perfectly, yet on new photos it was no better than a coin. The tank
# photos had all been taken on cloudy days and the others on sunny ones:
# it had learned the weather, and the test photos shared the accident.
#
# Geirhos et al. (2020) call such a feature a **shortcut**: it predicts the
# label in the data you have (a watermark, a background) and has nothing
# to do with the task.
#
# ## 2. The data: a tag in the corner
#
# Every image gets a 16×16 **tag** in the corner farthest from the
# object, in its class's colour on 95 % of the images and another class's
# on the rest. The generator returns the tag's pixels (the *cue mask*).

# %%
print("Tag colours:", shortcut.describe_palette())
for who, r in shortcut.training_records().items():   # as written when the shipped models were trained
    print(f"The {who}: trained on {r['n_train']:,} images for {r['epochs']} epochs (seed {r['seed']}); {r['cue']}.")
show = [int(np.flatnonzero(data.labels == c)[0]) for c in range(8)]
plotting.image_grid([*data.with_cue[show], *data.without_cue[show], *data.cue_masks[show].astype(np.float32)],
                    [f"{cheat.class_names[data.labels[i]]}" for i in show] + ["no tag"] * 8 + ["cue mask"] * 8,
                    cols=8, cell=1.6, cmap="gray")

# %% [markdown]
# Two models with the shapes CNN's architecture and the same seed were
# trained on the same 8,000 tagged shapes (printed above). The tags'
# colours differ: the **cheat**'s have the class's colour 95 % of the
# time; the **honest twin**'s are random, so for it the tag means nothing.
# The training length differs too (3 epochs against 8), which can change
# their maps as well.
#
# ## 3. Two tests
#
# First the researchers' test: fresh images drawn like the training data,
# tags included. Then the real world: the same images without a tag.

# %%
acc = {name: (shortcut.accuracy(spec.model, data.with_cue, data.labels),
              shortcut.accuracy(spec.model, data.without_cue, data.labels))
       for name, spec in (("cheat", cheat), ("honest twin", honest))}
follows = shortcut.accuracy(cheat.model, data.with_cue, data.cue_classes)
print(f"{'right on':<14}{'with tag':>10}{'without':>10}")
for name, (w, wo) in acc.items():
    print(f"{name:<14}{w:>10.0%}{wo:>10.0%}")
print(f"The cheat answers the tag's class on {follows:.0%} of the tagged images.")
# checks of the figures the next paragraph relies on: silent while they hold
claim("the cheat's accuracy with the tag", acc["cheat"][0], at_least=0.85, quiet=True)
claim("the cheat's fall without the tag", acc["cheat"][0] - acc["cheat"][1], at_least=0.5, quiet=True)
claim("the cheat follows the tag more often than the truth", follows > acc["cheat"][0], quiet=True)
claim("the twin's change without the tag", abs(acc["honest twin"][0] - acc["honest twin"][1]), at_most=0.05,
      quiet=True);

# %% [markdown]
# With its tags, the cheat scores well, though below its twin; without
# them it falls towards chance (one in eight). It agrees with the *tag*
# more often than with the truth. The twin scores the same either way. A
# tagged test set hides what an untagged one shows.
#
# ## 4. How much of each map is on the tag?
#
# Could the maps have warned us, with only the tagged test set? Each
# method explains the *predicted* class. We score a map $S$ by the energy
# in a mask of lesson 10, with the tag's pixels $C$ as the mask:
#
# $$E_{\text{tag}} = \frac{\sum_{p \in C} S_p}{\sum_p S_p}.$$
#
# A uniform map, one that does not single out the tag, scores the tag's area,
# $16^2/64^2 = 6.25\,\%$: the line of "no attention". Half is a much
# stricter line. By hand for one map, next to the helper:

# %%
one = attribution.grad_cam(cheat.model, data.with_cue[:1])[0]
print(f"Grad-CAM of image 0: {(one * data.cue_masks[0]).sum() / one.sum():.3f} of the map on the tag by hand, "
      f"{energy_in_mask(one, data.cue_masks[0])[0]:.3f} by the helper; the tag's area is "
      f"{data.cue_masks[0].mean():.4f}.")

# %%
n = 8 if config.is_fast() else N_MAPS      # fast mode: a handful, for speed
energy = {name: shortcut.cue_energy(spec.model, data.with_cue[:n], data.cue_masks[:n])
          for name, spec in (("cheat", cheat), ("twin", honest))}
area = float(data.cue_masks.mean())
kind = shortcut.tag_kinds(data.cue_classes[:n])          # "coloured", "white" or "black" tag, per image
groups = [k for k in ("coloured", "white", "black") if (kind == k).any()]
print(f"Mean share of the map on the tag, over {n} tagged images (a uniform map: {area:.2%}):")
print(f"{'':<22}{'cheat, by tag':^{9 * (len(groups) + 1)}}{'twin':>9}")
print(f"{'method':<22}{'all':>9}" + "".join(f"{k:>9}" for k in groups) + f"{'all':>9}")
for m in energy["cheat"]:
    e = energy["cheat"][m]
    print(f"{NAMES[m]:<22}{e.mean():>9.0%}" + "".join(f"{e[kind == k].mean():>9.0%}" for k in groups)
          + f"{energy['twin'][m].mean():>9.0%}")
shortcut.energy_chart(energy["cheat"], energy["twin"], area, kinds=kind)

# %%
mean = {k: {m: float(v.mean()) for m, v in e.items()} for k, e in energy.items()}
above = [NAMES[m] for m in mean["cheat"] if mean["cheat"][m] > 0.5]
print(f"On average every method gives the cheat's tag at least {min(mean['cheat'].values()) / area:.1f} times "
      f"its area, and the twin's at most {max(mean['twin'].values()) / area:.1f} times.")
print("More than half of the cheat's map on the tag, on average:", ", ".join(above) or "none", end=".\n")
bare = {c: shortcut.accuracy(cheat.model, data.without_cue[data.labels == k], k)
        for k, c in enumerate(cheat.class_names)}
known = " and ".join(f"{a:.0%} of the {c} images" for c, a in bare.items() if a > 0.5) or "no class"
print(f"Without tags the cheat is still right on {known}; on each other class at most "
      f"{max((a for a in bare.values() if a <= 0.5), default=0):.0%}.")

# %%
# Checks of the figures the next paragraphs rely on (the table and chart above): each stays
# silent while its figure holds, and says so in one sentence if your run (another SEED) differs.
claim("the smallest mean share of the cheat's maps on the tag, over the tag's area",
      min(mean["cheat"].values()) / area, at_least=3, quiet=True)
claim("the largest mean share of the twin's maps on the tag, over the tag's area",
      max(mean["twin"].values()) / area, at_most=2, quiet=True)
claim("the cheat's accuracy without tags on vertical stripes and stars (the smaller)",
      min(bare["vertical stripes"], bare["star"]), at_least=0.75, quiet=True)
claim("the cheat's best accuracy without tags on the six other classes",
      max(a for c, a in bare.items() if c not in ("vertical stripes", "star")), at_most=0.15, quiet=True)
if "white" in groups:
    white = kind == "white"
    claim("the largest mean share of the cheat's maps on a white tag, over the tag's area",
          max(float(e[white].mean()) for e in energy["cheat"].values()) / area, at_most=4, quiet=True)
    claim("occlusion's mean share of the cheat's map on a white tag", float(energy["cheat"]["occlusion"][white].mean()),
          at_most=0.125, quiet=True)
if "black" in groups:
    black = kind == "black"
    on_black = {m: float(e[black].mean()) for m, e in energy["cheat"].items()}
    claim("integrated gradients' largest share on a black tag",
          float(energy["cheat"]["integrated_gradients"][black].max()), at_most=1e-6, quiet=True)
    claim("the smaller mean share of occlusion and LIME on black tags, over the largest of the gradient and "
          "CAM maps", min(on_black["occlusion"], on_black["lime"]) / max(
              on_black[m] for m in ("saliency", "smoothgrad", "integrated_gradients", "guided_backprop",
                                    "grad_cam", "grad_cam_plus_plus", "guided_grad_cam", "cam", "layer_cam")),
          at_least=1.5, quiet=True)
claim("the smallest mean share of Grad-CAM, CAM, guided Grad-CAM, occlusion and LIME on coloured tags",
      min(float(energy["cheat"][m][kind == "coloured"].mean())
          for m in ("grad_cam", "cam", "guided_grad_cam", "occlusion", "lime")), at_least=0.6, quiet=True);

# %% [markdown]
# On average no method is fooled: each gives the cheat's tag several
# times its area, the twin's at most about its area. Only some pass one half on
# average (the printed list), and the dots spread widely, by tag colour
# (the table's columns):
#
# * **Coloured tags**: without tags the cheat is lost on these six
#   classes. Grad-CAM, CAM, guided Grad-CAM, occlusion and LIME put most
#   of the map on the tag; the pixel-gradient maps less.
# * **White tags** (vertical stripes): on average the methods put much
#   less on the tag than on coloured ones, and occlusion finds almost
#   nothing there: hiding the white tag barely moves the score. The cheat
#   also knows vertical stripes by their shape (printed above).
# * **Black tags** (stars): knowing a class by its shape does not make a
#   model ignore its tag. The cheat knows stars by shape too, yet occlusion
#   and LIME still find a clear share on the black tag; the gradient and
#   CAM maps give it less. A map can also *peak* on the tag while only a
#   small share of its total mass lies there: the share and the peak
#   answer different questions.
#
# The methods ask different questions:
#
# * **Occlusion**, **LIME** and **RISE** replace pixels (a patch,
#   superpixels, random masks) by the image's mean colour and watch the
#   score. Replacing a black tag is a real change, so they see it.
# * **CAM** and **Grad-CAM** weigh the last conv layer's activations by
#   the class's weights or gradients; the tag is 4×4 of its 16×16 cells.
# * **Saliency** is the score's gradient at the image, **SmoothGrad** its
#   average over noisy copies of the image: both are local.
# * **Integrated gradients** integrates the gradient along a straight path
#   from a baseline to the image and multiplies by (image − baseline). Our
#   baseline is black: on a black tag that factor is 0, so the tag gets
#   exactly zero whatever the model does. Blind by construction.
# * **Guided backprop** is nearly unchanged when the weights are
#   randomised (Adebayo et al. 2018), yet here it puts far more of the
#   cheat's map on the tag than of the twin's (the table): failing one
#   sanity check does not make a method blind to everything. Guided
#   Grad-CAM multiplies it by Grad-CAM.
#
# ## 5. One image up close
#
# To look at maps, choose images by a rule, not for a good story: for
# each tag colour group, among the measured images whose tag tells the
# truth, the **median** one by the cheat's mean share over six methods.

# %%
shown = ("saliency", "integrated_gradients", "grad_cam", "guided_grad_cam", "occlusion", "lime")
table = shortcut.methods()
score = np.mean([energy["cheat"][m] for m in shown], axis=0)      # the cheat's mean share over the six
truthful = data.cue_classes[:n] == data.labels[:n]
rows = []
for k in groups:
    idx = np.flatnonzero(truthful & (kind == k))
    if not len(idx):
        continue
    i = int(idx[np.argsort(score[idx])[len(idx) // 2]])                # the median image of its group
    for who, spec in (("cheat", cheat), ("twin", honest))[:2 if k == "coloured" else 1]:
        maps = {m: table[m][0](spec.model, data.with_cue[i:i + 1], "auto", **table[m][1])[0] for m in shown}
        shares = {m: float(energy_in_mask(maps[m], data.cue_masks[i])[0]) for m in shown}
        says = spec.class_names[spec.predict(data.with_cue[i:i + 1])[0].argmax()]
        rows.append((f"{who} says\n{says}", data.with_cue[i], data.cue_masks[i], maps, shares))
    print(f"The median image with a {k} tag: image {i}, {cheat.class_names[data.labels[i]]} "
          f"({shortcut.COLOUR_NAMES[data.cue_classes[i]]} tag).")
shortcut.showcase_figure(rows)

# %% [markdown]
# The first two rows are one coloured-tag image explained for the cheat
# and the twin, the others the cheat on a white and a black tag. The cyan
# square outlines the tag; each map is drawn alone, scaled to its own
# maximum, so the tag's colour cannot pass for heat. Read each title's
# share against the 6 % of a uniform map. One map is an anecdote; the
# measurement over many is the evidence.
#
# ## 6. Repaint the tag
#
# Give an image no tag, its own colour or another class's, and pick a
# method. Titles give each model's answer, confidence and map's share on
# the tag. The panel opens on a triangle with a black
# tag, the stars' colour: the cheat calls it a star, the twin a triangle.
# As on the black tags of section 4, the cheat's Grad-CAM gives the tag
# only a small share of its mass. Try occlusion, and other tag colours.

# %%
from helpers.widgets.shortcut import ShortcutPanel
panel = ShortcutPanel(cheat, method="grad_cam")
panel.controls["tag"].value = "black (star)"
panel.controls["index"].value = 1
panel.run()
panel

# %% [markdown]
# ## Exercise: a map on a lying tag
# `lying` below holds 20 fresh shapes whose tags **all** lie: each has the
# colour of another class. Before you compute: on such an image the cheat
# gives a wrong answer; where should its map be?
#
# Compute the cheat's Grad-CAM (`attribution.grad_cam(cheat.model, images)`
# explains the predicted class) for every image of `lying`, its share on
# the tag $E_{\text{tag}}$ with `energy_in_mask` as in section 4, and give
# the **mean over the 20 images** as a fraction between 0 and 1 (two
# decimals are enough).

# %%
from helpers.exercises.lesson12 import lying_tag_exercise
lying = shortcut.make_cue_shapes(20, seed=SEED + 99, agreement=0.0)   # every tag has another class's colour
q = lying_tag_exercise(cheat.model, honest.model, lying)
answer = None    # your mean share here
q.check(answer)

# %% [markdown]
# `q.hint()` and `q.solution()` help.
#
# ## On a real ImageNet network
# Real models take shortcuts too: Lapuschkin et al. (2019) found a
# PASCAL VOC classifier (a Fisher-vector model) that recognised horses by a photo archive's
# watermark, and Geirhos et al. (2019) showed that ImageNet CNNs lean on
# texture more than shape. Here, Grad-CAM of VGG16's top class: does each
# map lie on the object or on something that only comes with it?

# %%
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
# * A shortcut predicts the label in your data, not in the world. A test set without it is the decisive check;
#   maps measured against the cue (and a reference model) flagged it here on the tagged data alone.
# * On average every method gives the cheat's tag several times its area and the twin's at most about its area;
#   only some put more than half of the cheat's map there.
# * Single maps vary widely (here with the tag's colour): measure many images against a hypothesis (the cue
#   mask), and know what a method cannot see (integrated gradients with a black baseline, a black tag).
#
# ## On your own
# * Make the tag smaller with `make_cue_shapes(..., tag=8)`: can Grad-CAM's 16×16 grid still show it?
# * Measure integrated gradients on black tags with `baseline=0.5` (mid-grey): what changes, and why?
#
# ## Further reading
# * R. Geirhos et al., *Shortcut Learning in Deep Neural Networks*, Nature Machine Intelligence 2020.
# * S. Lapuschkin et al., *Unmasking Clever Hans Predictors and Assessing What Machines Really Learn*,
#   Nature Communications 2019.
# * G. Branwen, *The Neural Net Tank Urban Legend* (gwern.net).
# * M. Sundararajan et al., *Axiomatic Attribution for Deep Networks*, ICML 2017 (integrated gradients);
#   J. Adebayo et al., *Sanity Checks for Saliency Maps*, NeurIPS 2018.
