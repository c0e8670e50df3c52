# %% [markdown]
# # 04 · Judging class images
#
# Lesson 03 made class images: near-certain noise without regularizers,
# strokes and blobs with them. The network that made an image is sure
# about both, so its confidence cannot tell which one *shows* the class.
# This lesson asks a second network, and shows how that question can be
# asked unfairly.
#
# **What you'll do:** measure how often a second network recognises class
# images; watch choosing by a score inflate that score; compare a model
# trained on adversarial images with one trained on clean images; test a
# silhouette prior against a control.
#
# **What you'll learn:** what *transfer* is and what it does not prove;
# why the score you chose by cannot be the score you report.
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
# Show A's class image $x_c$ for each of the $K$ classes to model B. The
# **transfer rate** is the share that B classifies as the intended class:
#
# $$T_B = \frac1K \sum_{c=1}^{K} \mathbf 1\big[\arg\max_k B_k(x_c) = c\big].$$
#
# Guessing gives $1/K$, here 12.5%. Adversarial noise made for one network
# often fools another too, though less reliably (Szegedy et al. 2014;
# Papernot, McDaniel and Goodfellow 2016), so noise can score above
# chance; a pattern both networks learned from the data should transfer
# more often. B shares A's architecture, data and training, so it can
# share A's blind spots: transfer is evidence, not proof. Lesson 03's two
# extremes, clipping only and the combined recipe, titled with the class
# asked for, A's probability for it, and B's verdict (its class and probability):

# %%
clipped = classviz.visualize_classes(spec.model, classes, [T.clip()], steps=STEPS, lr=LR, seed=SEED,
                                     progress=False)
combined = classviz.visualize_classes(spec.model, classes, classviz.regularized(SEED), steps=STEPS, lr=LR,
                                      seed=SEED, score_clean=True, progress=False)


def titled(maker, images, who="A"):
    """The class asked for, the maker's probability for it, and B's verdict (class and probability).

    ``maker``: the model that made the images (a spec), or its probabilities for them."""
    probs = maker.predict(images) if hasattr(maker, "predict") else np.asarray(maker)
    pa = probs[np.arange(len(classes)), classes]
    pb = judge.predict(images) if judge is not None else None
    return [f"{n}\n{who} {a:.0%}" + (f" · B: {judge.class_names[pb[i].argmax()]} {pb[i].max():.0%}"
                                      if pb is not None else "") for i, (n, a) in enumerate(zip(names, pa))]


def grid(images, titles, suptitle):
    """Four images a row, with room for two-line titles."""
    fig = plotting.image_grid(list(images), titles, cols=4, cell=3.0, suptitle=suptitle)
    fig.subplots_adjust(hspace=0.3)
    return fig


if judge is not None:
    verdict = judge.predict(combined.images).argmax(1)               # from scratch: B's class per image
    t_scratch = float(np.mean(verdict == np.asarray(classes)))
    t_clipped = classviz.transfer_rate(judge.model, clipped.images, classes)   # the helper
    t_combined = classviz.transfer_rate(judge.model, combined.images, classes)
    print(f"Model B recognises {t_clipped:.0%} of the clipped-only images and {t_combined:.0%} of the "
          f"combined recipe's; guessing would give {1 / len(classes):.1%}.")
    claim("the from-scratch transfer rate equals the helper's", t_scratch == t_combined, quiet=True)
    sure = min(float(spec.predict(r.images)[np.arange(len(classes)), classes].mean()) for r in (clipped, combined))
    claim("A's mean probability for the class, in the less sure of the two grids", sure, at_least=0.9, quiet=True)
    claim("B's transfer rate for the clipped-only images", t_clipped, at_most=0.6, quiet=True)
    claim("B's transfer rate for the clipped-only images, above chance", t_clipped, at_least=0.25, quiet=True)
    claim("how much the combined recipe raises the transfer rate", t_combined - t_clipped, at_least=0.25,
          quiet=True)
grid(clipped.images, titled(spec, clipped.images), "clipping only")

# %%
grid(combined.images, titled(spec, combined.images), "combined recipe")

# %% [markdown]
# A is sure about both grids. B names the intended class for a few of the
# clipped images (the titles show which) and for most of the combined
# recipe's: the regularizers traded much of A's private noise for patterns
# the two networks share. Whether the few clipped hits are noise that
# transfers or a texture both networks know (stripes are a texture), this
# figure cannot tell apart.
#
# ## 2. Choosing inflates the score you chose by
#
# Render every class from `RESTARTS` start images (with half the steps, to
# save time) and keep one per class.
# Keeping the one B likes best and then reporting B's opinion measures the
# *choice*: with enough tries even noise finds an image a judge likes. So
# also score the choice by `plain`, which played no part in it. The score
# is a judge's mean probability for the intended class.

# %%
if judge is not None:
    multi = classviz.restarts(spec.model, classes, n=RESTARTS, seed=SEED, steps=max(1, STEPS // 2), progress=False)
    picks = {"first restart (no choice)": classviz.pick(multi, classes, "first"),
             "B's favourite": classviz.pick(multi, classes, "judge", judge.model)}
    prob = {(k, j): float(m.predict(v)[np.arange(len(classes)), classes].mean())
            for k, v in picks.items() for j, m in (("B", judge), ("plain", plain))}
    first, fav = "first restart (no choice)", "B's favourite"
    gain_b, gain_plain = prob[fav, "B"] - prob[first, "B"], prob[fav, "plain"] - prob[first, "plain"]
    print(f"Keeping B's favourite instead of the first restart took B's mean probability from "
          f"{prob[first, 'B']:.2f} to {prob[fav, 'B']:.2f}, and plain's from {prob[first, 'plain']:.2f} "
          f"to {prob[fav, 'plain']:.2f}.")
    claim("the rise in B's score from choosing by B", gain_b, at_least=0.0, quiet=True)

# %% [markdown]
# B's score cannot fall: for every class it is now the largest of B's
# scores over the restarts, whatever the pictures. Only plain's change
# speaks about the pictures, and it differs from B's, larger or smaller
# depending on the run (try another `SEED`). Report a score from images,
# or a judge, that played no part in the choice.
#
# ## 3. Adversarially trained or not
#
# A and B were trained on *adversarial* images: before each training step,
# every image $x$ was pushed one step up the loss $L$,
#
# $$\tilde x = \mathrm{clip}_{[0,1]}\Big(x + u\,\varepsilon\sqrt{d}\,\frac{\nabla_x L}{\lVert\nabla_x L\rVert_2}\Big),
# \qquad u \sim U(0, 1),$$
#
# with $d = 64 \cdot 64 \cdot 3$ pixel values, $\varepsilon = 0.015$ the
# largest root-mean-square change per pixel value, and $u$ a fresh random
# length per image and step. This is a single-step attack, like the fast
# gradient sign method Goodfellow et al. (2015) trained on, but along the
# L2-normalized gradient rather than its sign, with a random length per
# image as in Kurakin et al. (2017). Madry et al. (2018) use a stronger,
# iterative attack: many projected gradient steps (PGD) toward the worst
# case within the $\varepsilon$-ball. Models trained to resist small pixel
# changes tend to have gradients that follow visible structure (Santurkar
# et al. 2019). `plain` skipped this training. The combined recipe on
# `plain`, titled as before:

# %%
if judge is not None:
    plain_img = classviz.visualize_classes(plain.model, classes, classviz.regularized(SEED), steps=STEPS, lr=LR,
                                           seed=SEED, score_clean=True, progress=False)
    t_plain = classviz.transfer_rate(judge.model, plain_img.images, classes)
    print(f"Model B recognises {t_plain:.0%} of plain's class images, made with the recipe that gave A's "
          "in section 1.")
    claim("B recognises plain's class images less often than A's", t_plain < t_combined, quiet=True)
    fig = grid(plain_img.images, titled(plain, plain_img.images, "plain"), "plain, combined recipe")
else:
    fig = None
fig

# %% [markdown]
# B reads plain's class images less often than A's, though to our eyes
# both grids are mostly strokes, blobs and textures; some panels hold small
# shapes or large pieces of one, but neither grid shows one whole object the
# way a training image does. So
# these figures do not show that adversarial training makes class images
# *recognisable*; they show that B, itself trained adversarially, agrees
# with A more than with plain. Part of that may be kinship; "On your own"
# asks a clean-trained judge.
#
# ## 4. A prior that matches the world: silhouettes
#
# Every training image holds **one** flat-coloured object on a smooth
# background, so optimize a soft mask $\alpha$ and one colour $c$ over a
# fixed smooth background $b$:
#
# $$x = (1-\alpha)\,b + \alpha\,c, \qquad \alpha = w \cdot \sigma\big(k\,(G * a)\big),$$
#
# with $a$ the mask's logits, $G$ a small Gaussian, $k$ a sharpness and $w$
# a central disc (the course's own parameterization; Mordvintsev et al.
# 2018 survey others). A prior can make anything look like an object, so
# the control is the same optimization on a copy of A with random weights.

# %%
if judge is not None:
    sil = classviz.visualize_silhouettes(spec.model, classes, steps=STEPS, seed=SEED, progress=False)
    random_a = metrics.randomized_model(spec.model, seed=SEED)
    sil_random = classviz.visualize_silhouettes(random_a, classes, steps=STEPS, seed=SEED, progress=False)
    t_sil = classviz.transfer_rate(judge.model, sil.images, classes)
    t_sil_random = classviz.transfer_rate(judge.model, sil_random.images, classes)
    print(f"Model B recognises {t_sil:.0%} of model A's silhouettes and {t_sil_random:.0%} of its random "
          "copy's.")
    claim("B's transfer rate for the random copy's silhouettes", t_sil_random, at_most=0.25, quiet=True)
    claim("B's transfer rate for model A's silhouettes", t_sil, at_least=0.6, quiet=True)
    display(grid(sil.images, titled(spec, sil.images), "silhouettes of model A"))
    pr = np.asarray(random_a(sil_random.images, training=False))  # the random copy's own probabilities
    fig = grid(sil_random.images, titled(pr, sil_random.images, "random"), "silhouettes of A's random copy")
else:
    print("Silhouettes are a prior for the shapes world; photos need others, such as lesson 02's Fourier one.")
    fig = None
fig

# %% [markdown]
# B recognises most of A's silhouettes. The random copy's blobs mostly
# fill the central disc, B calls many of them circles, and it recognises
# them about as rarely as guessing would: the prior alone creates no
# transfer beyond chance. A prior adds *legibility*; only a control tells
# it from evidence.
#
# ## 5. Your turn: the panel
#
# Choose a class, a recipe, the objective, best or last; `Param: silhouette`
# is section 4's parameterization. Titles: A's probability for the class,
# then B's verdict (its class and probability).

# %%
from helpers.widgets.featvis import ClassesPanel
panel = ClassesPanel(spec, judge=judge, steps=STEPS)
panel.controls["cls"].value = names[-1]
panel.run()
panel

# %% [markdown]
# ## 6. Exercise: an honest score for a choice
#
# Section 2 chose by B; now choose by `plain` and score with B. Use
# `multi.images`, the array of section 2's `RESTARTS × len(classes)` images
# (not `multi`, the whole run): image `r * len(classes) + i` is restart `r`
# of class `classes[i]`. `plain.predict(multi.images)` and
# `judge.predict(multi.images)` give one row of class probabilities per
# image. For each class keep the restart to which `plain` gives that class
# the highest probability (on a tie, the lowest restart). Answer with
# **B's** mean probability for the intended class over the kept images (a
# float; checked to within 0.001).

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
# Lesson 03's VGG16 class images, shown to a second ImageNet network,
# InceptionV3. Between standard ImageNet networks, adversarial images
# transfer partly, far more often than chance but not always (Szegedy et
# al. 2014; Papernot, McDaniel and Goodfellow 2016), so the second
# network's verdict is evidence, not proof, there too. Class images of
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
    po = second.predict(vres.images) if second is not None else None  # the second network's verdicts
    titles = [f"{net.class_names[c]}\nVGG16 {p:.0%}" + (f"\nInceptionV3: {second.class_names[po[i].argmax()]} "
                                                         f"{po[i].max():.0%}" if po is not None else "")
              for i, (c, p) in enumerate(zip(vcls, pv))]
    plotting.image_grid(list(vres.images), titles, cols=4, cell=3.0, suptitle="VGG16's class images")

# %% [markdown]
# ## Summary
#
# * The network that made a class image is sure about noise too: its confidence is no test.
# * Transfer asks a second network. Adversarial noise transfers partly (Szegedy 2014; Papernot 2016); here B
#   named a few clipped images and most regularized ones; B shares A's data and design, so transfer is
#   evidence, not proof.
# * Choosing by a score inflates that score: report images or a judge that played no part in the choice.
# * B recognised the class images of adversarially trained A more often than clean-trained `plain`'s;
#   neither set shows a whole object the way a training image does.
# * A prior shaped like the data makes images legible; a random-weights control shows it adds no transfer.
#
# ## On your own / Further reading
#
# * Retrain with a stronger push, `python -m helpers.train --adversarial 0.03 --out my_models`, and compare.
# * Let `plain` judge the class images of A and of B (`transfer_rate(plain.model, ...)`): does a
#   clean-trained judge read the adversarially trained models' images too?
# * Nguyen, Yosinski and Clune, "Deep neural networks are easily fooled", CVPR 2015.
# * Szegedy et al., "Intriguing properties of neural networks", ICLR 2014.
# * Goodfellow, Shlens and Szegedy, "Explaining and harnessing adversarial examples", ICLR 2015.
# * Papernot, McDaniel and Goodfellow, "Transferability in machine learning", arXiv 2016.
# * Kurakin, Goodfellow and Bengio, "Adversarial machine learning at scale", ICLR 2017.
# * Madry et al., "Towards deep learning models resistant to adversarial attacks", ICLR 2018.
# * Santurkar et al., "Image synthesis with a single (robust) classifier", NeurIPS 2019.
# * Mordvintsev et al., "Differentiable image parameterizations", Distill 2018.
