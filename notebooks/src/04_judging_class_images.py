# %% [markdown]
# # 04 · Judging class images
#
# Lesson 03 made class images: near-certain noise without regularizers,
# strokes and blobs with them. But the network that made an image is sure
# about both, so its confidence cannot tell us which one *shows* the class.
# This lesson asks a second network, and learns how that question can be
# asked unfairly.
#
# **What you'll do:** measure how often a second network recognises class
# images; watch choosing by a score inflate that score; compare a model
# trained on adversarial images with one trained on clean images; test a
# silhouette prior against a control.
#
# **What you'll learn:** what *transfer* is and what it does and does not
# prove; why the score you chose by cannot be the score you report; why the
# course's shapes CNNs were trained adversarially.
#
# **What you'll need:** lesson 03.

# %% [markdown]
# ## Parameters

# %%
MODEL = "auto"  # the shapes CNN; "vgg16" etc. runs the whole lesson on another model (the text describes the shapes CNN)
STEPS = 200     # optimization steps (fast mode caps them)
LR = 0.01       # step size of the normalized gradient step
RESTARTS = 8    # start images per class in section 2
SEED = 0

# %% [markdown]
# Three shapes CNNs take part, all with the same architecture, the same
# kind of training images and four epochs of training. **Model A**
# (`spec`) makes the class images. **Model B** (`judge`) was trained the
# same way from another random seed. **`plain`** has A's seed but was
# trained on clean images only (section 3 says what A and B saw instead).

# %%
import numpy as np
from helpers import classviz, metrics, plotting, transforms as T
from helpers.claims import claim
from helpers.models import load_model

spec = load_model(MODEL)
shapes_world = spec.name.startswith("shapes")
judge = load_model("shapes_b") if shapes_world else None
plain = load_model("shapes_plain") if shapes_world else None
classes = list(range(min(8, len(spec.class_names))))
names = [spec.class_names[c] for c in classes]
print(spec.description, "| classes:", ", ".join(names))

# %% [markdown]
# ## 1. Transfer: does a second network see the class?
#
# Confidence proves nothing: lesson 03's noise reached near 100%. So show
# A's class image $x_c$ for each of the $K$ classes to model B. The
# **transfer rate** is the share that B classifies as the intended class:
#
# $$T_B = \frac1K \sum_{c=1}^{K} \mathbf 1\big[\arg\max_k B_k(x_c) = c\big].$$
#
# Adversarial noise exploits one network's particular weights and mostly
# does not transfer; a pattern that both networks learned from the data
# does. B is not *independent* of A (same architecture, data and
# training), so it can share A's blind spots: transfer is evidence, not
# proof. First, lesson 03's two extremes: clipping only (first grid
# below), and the combined recipe (second grid).

# %%
clipped = classviz.visualize_classes(spec.model, classes, [T.clip()], steps=STEPS, lr=LR, seed=SEED,
                                     progress=False)
combined = classviz.visualize_classes(spec.model, classes, classviz.regularized(SEED), steps=STEPS, lr=LR,
                                      seed=SEED, score_clean=True, progress=False)
if judge is not None:
    verdict = judge.predict(combined.images).argmax(1)               # from scratch: B's class per image
    t_scratch = float(np.mean(verdict == np.asarray(classes)))
    t_clipped = classviz.transfer_rate(judge.model, clipped.images, classes)   # the helper
    t_combined = classviz.transfer_rate(judge.model, combined.images, classes)
    print(f"Model B recognises {t_clipped:.0%} of the clipped-only images and {t_combined:.0%} of the "
          f"combined recipe's (from scratch: {t_scratch:.0%}).")
    claim("B's transfer rate for the clipped-only images", t_clipped, at_most=0.6)
    claim("how much the combined recipe raises the transfer rate", t_combined - t_clipped, at_least=0.25)

# %%
def titled(model, images):
    """Titles with A's probability for the class and B's verdict."""
    pa = model.predict(images)[np.arange(len(classes)), classes]
    pb = judge.predict(images).argmax(1) if judge is not None else None
    return [f"{n}\nA {a:.0%}" + (f", B: {judge.class_names[b]}" if pb is not None else "")
            for n, a, b in zip(names, pa, pb if pb is not None else pa)]

plotting.image_grid(list(clipped.images), titled(spec, clipped.images), cols=4, cell=2.6)  # clipping only

# %%
plotting.image_grid(list(combined.images), titled(spec, combined.images), cols=4, cell=2.6)  # combined recipe

# %% [markdown]
# A is confident about both grids (see the titles); B's verdicts
# separate them. The regularized images are the ones a second network
# reads as their class: the regularizers traded A's private noise for
# patterns the two networks share.
#
# ## 2. Choosing inflates the score you chose by
#
# Render every class from `RESTARTS` different start images and keep one
# per class. Keeping the one B likes best and then reporting B's opinion
# measures the *choice*: with enough tries even noise finds an image a
# judge likes. To see it, score the same choice by a judge that played no
# part in it, `plain`. The score is each judge's mean probability for the
# intended class.

# %%
if judge is not None:
    multi = classviz.restarts(spec.model, classes, n=RESTARTS, seed=SEED, steps=max(1, STEPS // 2), progress=False)
    picks = {"first restart (no choice)": classviz.pick(multi, classes, "first"),
             "B's favourite": classviz.pick(multi, classes, "judge", judge.model)}
    prob = {(k, j): float(m.predict(v)[np.arange(len(classes)), classes].mean())
            for k, v in picks.items() for j, m in (("B", judge), ("plain", plain))}
    for k in picks:
        print(f"{k:>26}: B's mean probability {prob[k, 'B']:.2f}, plain's {prob[k, 'plain']:.2f}")
    gain_b = prob["B's favourite", "B"] - prob["first restart (no choice)", "B"]
    gain_plain = prob["B's favourite", "plain"] - prob["first restart (no choice)", "plain"]
    print(f"Choosing by B raised B's score by {gain_b:+.2f} and plain's by {gain_plain:+.2f}.")
    claim("the rise in B's score from choosing by B", gain_b, at_least=0.0)

# %% [markdown]
# B's score rises *by construction*: for every class it is the largest of
# B's scores over the restarts, whatever the pictures. Only plain's change
# says whether the kept pictures are better; in some runs it rises about
# as much, in others less (try another `SEED`). So report a score from
# images, or a judge, that played no part in the choice.
#
# ## 3. Why the course's models were trained adversarially
#
# A and B were trained on *adversarial* images: before each training step,
# every image $x$ was pushed one step up the loss $L$,
#
# $$\tilde x = \mathrm{clip}_{[0,1]}\Big(x + u\,\varepsilon\sqrt{d}\,\frac{\nabla_x L}{\lVert\nabla_x L\rVert_2}\Big),
# \qquad u \sim U(0, 1),$$
#
# with $d = 64 \cdot 64 \cdot 3$ pixel values, $\varepsilon = 0.015$ the
# largest root-mean-square change per pixel value, and $u$ a fresh random
# length for every image and step (see `helpers/train.py`). That is one
# normalized-gradient step of random size, a cheap relative of the
# adversarial training of Goodfellow et al. (2015) and Madry et al. (2018),
# who take the worst case over many projected steps. Faint pixel patterns
# then can no longer change the answer, so the gradient points along
# visible structure (Santurkar et al. 2019). `plain` skipped this. Same
# recipe on both (lesson 14 covers adversarial examples themselves):

# %%
if judge is not None:
    plain_img = classviz.visualize_classes(plain.model, classes, classviz.regularized(SEED), steps=STEPS, lr=LR,
                                           seed=SEED, score_clean=True, progress=False)
    t_plain = classviz.transfer_rate(judge.model, plain_img.images, classes)
    print(f"Model B recognises {t_combined:.0%} of model A's class images and {t_plain:.0%} of plain's.")
    claim("B recognises plain's class images less often than A's", t_plain < t_combined)
    fig = plotting.image_grid(list(combined.images) + list(plain_img.images),
                              [f"A\n{n}" for n in names] + [f"plain\n{n}" for n in names], cols=8, cell=1.7)
else:
    fig = None
fig

# %% [markdown]
# Top row model A, bottom row `plain`, with the same recipe. B reads
# plain's class images less often, though to our eyes both rows are
# strokes and blobs: looking regular is not the same as transferring.
# B was trained like A, so part of the gap may be kinship; "On your own"
# asks a clean-trained judge.
#
# ## 4. A prior that matches the world: silhouettes
#
# Every training image holds **one** flat-coloured object on a smooth
# background; the class images so far are textures. So optimize a soft
# mask $\alpha$ and one colour $c$ over a fixed smooth background $b$:
#
# $$x = (1-\alpha)\,b + \alpha\,c, \qquad \alpha = w \cdot \sigma\big(k\,(G * a)\big),$$
#
# with $a$ the mask's logits, $G$ a small Gaussian, $k$ a sharpness and $w$
# a central disc. This parameterization is the course's own (Mordvintsev
# et al. 2018 survey others). A prior can make anything look like an
# object, so the control is the same optimization on a copy of A with
# re-initialised (random) weights.

# %%
if judge is not None:
    sil = classviz.visualize_silhouettes(spec.model, classes, steps=STEPS, seed=SEED, progress=False)
    random_a = metrics.randomized_model(spec.model, seed=SEED)
    sil_random = classviz.visualize_silhouettes(random_a, classes, steps=STEPS, seed=SEED, progress=False)
    sil_rates = {"model A": classviz.transfer_rate(judge.model, sil.images, classes),
                 "its random copy": classviz.transfer_rate(judge.model, sil_random.images, classes)}
    print("Model B recognises", ", ".join(f"{v:.0%} of the silhouettes of {k}" for k, v in sil_rates.items()))
    claim("B's transfer rate for the random copy's silhouettes", sil_rates["its random copy"], at_most=0.25)
    claim("B's transfer rate for model A's silhouettes", sil_rates["model A"], at_least=0.6)
    sb = judge.predict(sil.images).argmax(1)
    fig = plotting.image_grid(list(sil.images) + list(sil_random.images),
                              [f"{n}\nB: {judge.class_names[k]}" for n, k in zip(names, sb)]
                              + [f"random copy\n{n}" for n in names], cols=8, cell=1.7)
else:
    print("Silhouettes are a prior for the shapes world; photos need others, such as lesson 02's Fourier one.")
    fig = None
fig

# %% [markdown]
# Top row model A's silhouettes with B's verdict, bottom row the random
# copy's. The prior alone creates no transfer: the random copy's blobs mean
# little to B. A prior adds *legibility*; only a control tells it from evidence.
#
# ## 5. Your turn: the panel
#
# Choose a class, a recipe, the objective, best or last; `Param: silhouette`
# is section 4's parameterization. Titles: A's probability, B's verdict.

# %%
from helpers.widgets.featvis import ClassesPanel
panel = ClassesPanel(spec, judge=judge, steps=STEPS)
panel.controls["cls"].value = names[-1]
panel.run()
panel

# %% [markdown]
# ## 6. Exercise: an honest score for a choice
#
# Section 2 chose by B. Now choose by `plain` and score with B. In `multi`,
# image `r * len(classes) + i` is restart `r` of class `classes[i]`;
# `plain.predict(images)` and `judge.predict(images)` give each model's
# class probabilities. For each class keep the restart to which `plain`
# gives the highest probability for that class (on a tie, the lowest
# restart index). Answer with **B's** mean probability for the intended
# class over the kept images (a float; checked to within 0.001).

# %%
from helpers.exercises import lesson04
q = lesson04.honest_score_exercise(multi, classes, plain, judge) if judge is not None else None
answer = ...   # a float
if q is not None:
    q.check(answer)
else:
    print("This exercise needs the shapes CNNs.")

# %% [markdown]
# ## On a real ImageNet network
#
# The same test on VGG16: lesson 03's VGG16 class images, shown to a second
# ImageNet network, InceptionV3. For standard (not adversarially trained)
# ImageNet networks, class images made by plain gradient ascent seldom
# transfer to another architecture (Nguyen, Yosinski and Clune 2015 show
# such images fool the network that made them); the class images of
# adversarially trained ImageNet networks look like the class to people
# (Santurkar et al. 2019).

# %%
from helpers.models import load_imagenet
net = load_imagenet("vgg16")
second = load_imagenet("inception_v3") if net is not None else None
if net is not None:
    vrec = classviz.recipe_for(net.model)
    vcls = [net.class_index(n) for n in ["flamingo", "hartebeest", "pool table", "teddy"]]
    vres = classviz.visualize_classes(net.model, vcls, objective=vrec.objective, progress=False,
                                      **vrec.kwargs(SEED))
    pv = net.predict(vres.images)[np.arange(len(vcls)), vcls]
    other = second.predict(vres.images).argmax(1) if second is not None else [None] * len(vcls)
    titles = [f"{net.class_names[c]}\nVGG16 {p:.0%}" + (f"\nInceptionV3: {second.class_names[o]}" if o is not None
                                                         else "") for c, p, o in zip(vcls, pv, other)]
    plotting.image_grid(list(vres.images), titles, cols=4, cell=3.0, suptitle="VGG16's class images")

# %% [markdown]
# ## Summary
#
# * The network that made a class image is sure about noise too: its confidence is no test.
# * Transfer asks a second network; it is evidence, not proof, as that network shares A's data and design.
# * Choosing by a score inflates that score: report images or a judge that played no part in the choice.
# * Training on images pushed up the loss (here one random-size step) makes class images that transfer.
# * A prior shaped like the data makes images legible; a random-weights control shows it makes no transfer by itself.
#
# ## On your own / Further reading
#
# * Retrain with a stronger push, `python -m helpers.train --adversarial 0.03 --out my_models`, and compare.
# * Let `plain` judge the class images of A and of B (`transfer_rate(plain.model, ...)`): does a
#   clean-trained judge read the adversarially trained models' images too?
# * Nguyen, Yosinski and Clune, "Deep neural networks are easily fooled", CVPR 2015.
# * Goodfellow, Shlens and Szegedy, "Explaining and harnessing adversarial examples", ICLR 2015.
# * Madry et al., "Towards deep learning models resistant to adversarial attacks", ICLR 2018.
# * Santurkar et al., "Image synthesis with a single (robust) classifier", NeurIPS 2019.
# * Mordvintsev et al., "Differentiable image parameterizations", Distill 2018.
