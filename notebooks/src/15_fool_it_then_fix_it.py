# %% [markdown]
# # 15 · Fool it, then fix it: adversarial examples, robust gradients, and repairing the cheat
#
# A change to an image too small to see can make a CNN name another class.
# We build such changes, measure how large they must be for the course's
# robust shapes CNN and for its plain twin, look at what the two models'
# gradients show, and then use what we know about lesson 12's cheat to
# train a model that does not use the tag.
#
# **What you'll do**
# * fool a shapes CNN with FGSM and PGD, and see the change magnified;
# * draw accuracy against the attack's size ε for a robust and a plain model;
# * compare versions of the tank-story cheat retrained on its own cheating data with a penalty on the tag;
# * find the FGSM step that breaks the robust model (the exercise).
#
# **What you'll learn**
# * what an adversarial example is, and what adversarial training changes (and does not);
# * what a repair needs (a mask of the shortcut), and what it costs.
#
# **What you'll need:** lessons 03 (class images), 05 (saliency), 07 (Grad-CAM), 10 (pointing game) and
# 12 (the tank story).

# %% [markdown]
# ## Parameters

# %%
N_TEST = 500                      # fresh images for the curves and the saliency measures
EPS_LIST = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12)   # L∞ sizes, per pixel value in [0, 1]
STEPS = 10                        # PGD steps
EPS_FGSM = 0.02                   # the size of the single FGSM step (section 2)
N_TAG, N_MAPS = 1000, 200         # fresh tagged images for the repair's accuracy, and for its maps
SEED = 0

# %%
import warnings
import numpy as np
import tensorflow as tf
from helpers import adversarial as A, attribution, config, metrics, plotting, repair
from helpers.models import load_model
from helpers.shapes import make_shapes

warnings.filterwarnings("ignore", message=".*all zeros.*")
robust, plain = load_model("shapes", verbose=False), load_model("shapes_plain", verbose=False)
x, y, masks = make_shapes(config.samples(N_TEST), seed=15_000 + SEED)   # a seed no model was trained on
steps = config.steps(STEPS)
print(f"{len(x)} fresh shapes images; PGD with {steps} steps.")

# %% [markdown]
# ## 1. Climbing the loss instead of the class
#
# Lesson 03 climbed a class score by changing the *image*. Start that climb
# from a real image, climb the *loss* of its true class $y$, and keep the
# change $\delta$ tiny: $\|\delta\|_\infty \le \varepsilon$, no pixel value
# moves by more than ε. The **fast gradient sign method** (FGSM, Goodfellow
# et al. 2015) takes one step:
#
# $$x' = \mathrm{clip}_{[0,1]}\big(x + \varepsilon\,\mathrm{sign}\,\nabla_x L(x, y)\big).$$
#
# **Projected gradient descent** (PGD, Madry et al. 2018) starts at a random
# point of the ε-ball and takes several smaller steps, each projected back
# into the ball and into $[0, 1]$. Its loss here is the **margin** of the
# logits $z$ (Carlini & Wagner 2017), $J = \max_{k \ne y} z_k - z_y$: once it
# is positive, the image is misclassified. Logits, not probabilities: the
# softmax saturates and its gradient vanishes.
#
# ## 2. FGSM from scratch, next to the helper

# %%
every = A.fgsm(plain.model, x, y, EPS_FGSM)            # the helper, on every image
print(f"one FGSM step of ε = {EPS_FGSM} fools the plain model on {every.success.mean():.0%} of {len(x)} images")
i = int(np.flatnonzero(every.success)[0])             # the first image it fools, shown below
img, label = x[i:i + 1], y[i:i + 1]
logits = plain.logits_model
xt = tf.constant(img)
with tf.GradientTape() as tape:
    tape.watch(xt)
    loss = tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(label, logits(xt)))
by_hand = np.clip(img + EPS_FGSM * np.sign(tape.gradient(loss, xt).numpy()), 0, 1)
res = A.fgsm(plain.model, img, label, EPS_FGSM)         # the helper on this image: the same step
print(f"largest difference between the hand-made and the helper's image: {np.abs(by_hand - res.images).max():.2g}")
print(f"plain model: {plain.class_names[res.clean_pred[0]]} -> {plain.class_names[res.adv_pred[0]]} "
      f"with every pixel value changed by at most {np.abs(res.perturbation).max():.3f}")
A.attack_figure(img[0], res.images[0], plain.predict(img)[0], plain.predict(res.images)[0], plain.class_names,
                int(label[0]), EPS_FGSM, title=f"FGSM on the plain model, ε = {EPS_FGSM}")

# %% [markdown]
# The middle picture is the change δ in colour: FGSM moves every value of
# every channel by exactly +ε or −ε (less only where the clip to [0, 1]
# stops it), and each channel is stretched so that ±ε fills its range
# (grey: no change). At its true size it is invisible. The title of
# the third picture is the plain model's new answer, and the bars are its
# class probabilities before and after (the true class in bold).
#
# ## 3. How large must ε be?
#
# The course's default `shapes` model was trained *adversarially*: every
# training batch was replaced by its images pushed one step up the loss, an
# L2 step of random length up to about 1.7 (an RMS change of 0.015 per pixel
# value). One step in L2, not PGD in L∞: the attack below is stronger than
# the one the model trained against. `shapes_plain` was trained on clean
# images only, same recipe otherwise. Same images, PGD at each ε:

# %%
curves = {name: A.accuracy_vs_eps(spec.model, x, y, EPS_LIST, steps=steps, seed=SEED, progress=False)
          for name, spec in (("robust (adversarially trained)", robust), ("plain", plain))}
half = {name: A.eps_at_half(c) for name, c in curves.items()}
print("ε       " + "".join(f"{e:>7g}" for e in EPS_LIST))
for name, c in curves.items():
    print(f"{name.split()[0]:<8}" + "".join(f"{c[e]:>7.0%}" for e in EPS_LIST)
          + f"   below 50 % from ε ≈ {half[name]:.3f}")
r, p = curves.values()
hr, hp = half.values()
print(f"the robust model needs {hr / hp:.1f} times the plain model's ε to fall below 50 %")
A.check_lesson15_curves(curves, half, EPS_LIST)   # checks the figures the text relies on
A.curves_figure(curves, title=f"PGD L∞, {steps} steps, margin loss, {len(x)} fresh images")

# %% [markdown]
# Both models are right on nearly every clean image. The plain one falls
# below half at the smaller ε (the dotted lines, printed above and in the legend); the robust
# one needs a change about twice as large or more (the printed ratio), and
# still falls to nearly zero at the largest ε: adversarial training raises
# the price of an attack, it does not make the model unbreakable. Both
# curves end below the chance line: an attack *chooses* a wrong answer, so
# chance is no floor.
#
# **Back to lesson 03.** Its *naive* class images climbed a class score
# from grey plus a little noise, with nothing to keep them natural. That is this attack run
# without the ε-ball, from noise instead of an image, towards a chosen class:
# a *fooling image* (Nguyen et al. 2015), the unbounded cousin of a
# **targeted** adversarial example. The helper's targeted form, on the plain
# model, steering every image that is not a star to "star":

# %%
star = plain.class_index("star")
not_star = y != star
t = A.pgd(plain.model, x[not_star], y[not_star], 0.05, steps=steps, target=star, seed=SEED, progress=False)
print(f"at ε = 0.05, {t.success.mean():.0%} of the {not_star.sum()} non-star images became 'star' for the plain model")

# %% [markdown]
# Compare with section 3's table: at the same ε the untargeted attack left
# the plain model right on hardly any image. A targeted attack must reach
# one chosen class, not any wrong one, so it is the harder task.

# %% [markdown]
# ## 4. Do robust gradients look more like the object?
#
# Tsipras et al. (2019) and Santurkar et al. (2019) found that an
# adversarially trained model's input gradients look like the object
# ("perceptually aligned"). Their models were trained with multi-step PGD;
# ours with one L2 step, so the effect may be weaker. Is it there? Saliency (lesson 05) of both models, the
# object's outline in cyan:

# %%
pick = [int(np.flatnonzero(y == c)[0]) for c in (0, 2, 3, 7)]
sal = {name: attribution.saliency(spec.model, x, y) for name, spec in (("robust", robust), ("plain", plain))}
plotting.map_table(x[pick], {f"{k} model's saliency": v[pick] for k, v in sal.items()},
                   row_titles=[robust.class_names[y[j]] for j in pick], outlines=masks[pick], cell=2.6)

# %%
point = {k: float(metrics.pointing_game(v, masks).mean()) for k, v in sal.items()}
share = {k: float(metrics.energy_in_mask(v, masks).mean()) for k, v in sal.items()}
for k in sal:
    print(f"{k:<7} saliency: pointing game {point[k]:.3f}, share of the map on the object {share[k]:.3f}")
print(f"the object covers {masks.mean():.3f} of the image on average")
A.check_lesson15_saliency(point, share, float(masks.mean()))   # checks the figures the text relies on

# %% [markdown]
# On these shapes the two models' saliency maps look much alike: both are
# speckled, and both put far more of their mass on the object than its
# size would: about 40 % (robust) and 36 % (plain) (printed), on an object
# that covers less than a tenth of the image (printed), several times its share. The plain model's map scatters
# a little more outside it (look at the circle and the star). The **pointing
# game does not separate them**: both models' strongest pixel lies on the
# object nearly always, and the two scores are almost equal (printed). The
# share of the map's mass on the object, which counts every pixel, is
# higher for the robust model by a few points. On this simple world the
# "perceptually aligned" difference is small (we did not test whether a
# few points is more than chance); the papers show
# it on natural images (CIFAR-10, ImageNet), where a plain model's input
# gradients look like noise.
#
# ## 5. Try it
#
# Choose an image, an attack and ε. The panel opens on the plain model;
# `Model` switches to the robust CNN. Find the smallest ε that fools each on
# the same image, and look at δ: where does PGD put its change?

# %%
from helpers.widgets.adversarial import AttackPanel, RepairPanel
panel = AttackPanel(plain)
panel.run()
panel

# %% [markdown]
# ## 6. Fixing the cheat: right for the right reasons
#
# Lesson 12's cheat reads a coloured corner tag that names the class on
# 95 % of its training images. We know *where* the shortcut is: the tag's
# mask $m$. Ross, Hughes & Doshi-Velez (2017) train on the same data with a
# penalty on the input gradient inside the mask (of the sum of the
# log-probabilities of all classes, plus an L2 weight term). The course's
# **gradient penalty** is a variant of theirs, with the true class only:
#
# $$L = \mathrm{CE}(x, y) + \lambda\,\big\|m \odot \nabla_x \log p_y(x)\big\|^2 .$$
#
# It asks the model to be *locally* flat on the tag. A second penalty, the
# **repainted-tag penalty**, asks for what we mean, *indifference* to the
# tag: repaint it in a random class colour ($x'$) and penalise any change
# of the logits, $\lambda \cdot \frac1K\|z(x) - z(x')\|^2$ with $K = 8$ classes (related to
# logit pairing, Kannan et al. 2018, and counterfactual logit pairing,
# Garg et al. 2019). Both were trained by the honest twin's recipe (same
# images, seed and length) on the cheat's tags, at several λ. Training
# takes minutes, so the models were trained in advance; to retrain them:
# `python -m helpers.course.train --repaired` in a terminal (`!python ...`
# in a Colab cell).
#
# The gradient penalty shapes the model's input gradients, as adversarial
# training does (Ross & Doshi-Velez 2018 regularised input gradients for
# robustness); the repainted-tag penalty instead asks for the same logits
# after a large change. What we fix here is the shortcut, not the attack.

# %%
sweep = repair.load_sweep()
on = sweep["measured_on"]
print(f"the sweep, measured on {on['images']} fresh tagged images of seed {on['seed']} ({on['maps']} for maps)")
print(f"{'training':<30}{'with tag':>10}{'without':>10}{'Grad-CAM on tag':>17}")
for row in sweep["sweep"]:
    print(f"{repair.label(row):<30}{row['with_tag']:>10.0%}{row['without_tag']:>10.0%}{row['grad_cam_on_tag']:>17.1%}")
print("the repaired model below is the", repair.label(sweep["recipe"]))

# %% [markdown]
# With no penalty the recipe makes another cheat. The gradient penalty
# raises the accuracy without the tag somewhat at moderate λ, but never
# near the twin's; at the largest λ the model learns little at all, with
# or without the tag. A small gradient on the tag only says that a *small*
# change of its pixels does not matter; repainting it is not small. The
# repainted-tag penalty removes the cheat once λ is large enough; its
# smallest λ is too small. Now the cheat, the twin and the repaired model
# on another set of fresh images (printed: not the sweep's),
# with lesson 12's measures:

# %%
cheat, twin, fixed = (load_model(f"shapes_{k}", verbose=False) for k in ("shortcut", "honest", "repaired"))
table = {name: repair.measure(spec.model, n=config.samples(N_TAG), n_maps=config.samples(N_MAPS), seed=15_100 + SEED)
         for name, spec in (("cheat", cheat), ("honest twin", twin), ("repaired", fixed))}
print(f"measured on {config.samples(N_TAG)} fresh tagged images of seed {15_100 + SEED} "
      f"({config.samples(N_MAPS)} for maps)")
print(f"{'model':<14}{'with tag':>10}{'without':>10}{'Grad-CAM on tag':>17}")
for name, m in table.items():
    print(f"{name:<14}{m['with_tag']:>10.0%}{m['without_tag']:>10.0%}{m['grad_cam_on_tag']:>17.1%}")
print(f"the tag covers {table['cheat']['tag_area']:.1%} of these images: a map spread evenly over the image "
      "would put that much on it; a map that looks at the object puts less")
repair.check_lesson15(table, sweep)   # checks the figures the text relies on

# %% [markdown]
# The repaired model, trained on the cheat's data, is as accurate as the
# honest twin without the tag (printed), and puts a share of its Grad-CAM
# on the tag as small as the twin's or smaller (printed). Its row in the
# sweep differs by a point or so because the sweep was measured on other
# fresh images (the printed seeds). The best
# gradient-penalty model stays far below the twin without the tag (the sweep).
#
# **What this needed.** A mask of the shortcut for every training image.
# Here the generator drew it; a real user rarely knows the shortcut, let
# alone its pixels. With the mask in hand, the simplest repair is the
# twin's: repaint the tag at random in the *data* (augmentation). The
# repainted-tag penalty is a close relative inside the loss: augmentation
# asks for the right label on the repainted image, the penalty for the same
# logits on both. Without a mask,
# what remains is lesson 12's: find the shortcut with maps and a test set
# without it, then collect better data.

# %%
RepairPanel().run()

# %% [markdown]
# ## Exercise: the ε that breaks the robust model
# Section 3 attacked with PGD. Now attack the **robust** model with one
# FGSM step (`A.fgsm`) on the 50 images of `images` below, at each ε of
# `EPS_LIST` in turn. What is the smallest ε of the list at which its
# accuracy (`adv_pred == labels`) falls below 50 %? Answer with that ε.
# Then compare it with section 3's PGD row: does one FGSM step need a
# larger ε than PGD? Why do we judge robustness with the strongest attack
# we have rather than the one the model was trained against? (A model can
# look robust to a weak attack only because its gradients mislead that
# attack: "gradient masking", Athalye, Carlini & Wagner 2018.)
# `q.hint()` and `q.solution()` help.

# %%
from helpers.exercises.lesson15 import eps_exercise
images, labels, _ = make_shapes(50, seed=15_200 + SEED)
q = eps_exercise(robust.model, plain.model, images, labels, EPS_LIST, steps=steps, seed=SEED)
answer = None    # your ε here, one of EPS_LIST
q.check(answer)

# %% [markdown]
# ## On a real ImageNet network
# Szegedy et al. (2014) first found adversarial examples on ImageNet
# CNNs, and Goodfellow et al. (2015) fooled GoogLeNet with ε = 0.007. Here
# one FGSM step of 1/255 on VGG16. With internet, the cell loads its ImageNet
# weights; offline, it is skipped, or runs on random weights, where its
# answers mean nothing. Its figure's bars show the classes on top before
# and after the attack.

# %%
from helpers.models import load_imagenet
net = load_imagenet("vgg16")
if net is not None:
    pname, (photo, _) = next(iter(net.sample_images().items()))
    top = int(net.predict(photo[None])[0].argmax())
    hit = A.fgsm(net.model, photo[None], [top], 1 / 255)
    before, after = net.predict(photo[None])[0], net.predict(hit.images)[0]
    shown = list(dict.fromkeys([*np.argsort(-before)[:4], *np.argsort(-after)[:4]]))   # top 4 before, then after
    A.attack_figure(photo, hit.images[0], before[shown], after[shown], [net.class_names[k] for k in shown], 0,
                    1 / 255, title=f"{pname}: {net.class_names[top]} -> {net.class_names[hit.adv_pred[0]]} "
                                   "(bars: the top classes before and after)")

# %% [markdown]
# ## Summary
# * An adversarial example is a real image moved a little up the loss; PGD
#   finds one for nearly every image once ε is large enough, for both models here.
# * Adversarial training raised the ε an attack needs; its saliency put a
#   few points more of its mass on the object, and the pointing game did
#   not tell the two models apart.
# * Knowing the shortcut's pixels, we retrained the cheat on its own data
#   without the cheat; the gradient penalty did not do it here, the repainted-tag penalty did.
#
# ## On your own
# * Run `A.accuracy_vs_eps(robust.model, x, y, (0, 0.5, 1, 2, 4), norm="l2")`, and the same with `plain.model`:
#   does the gap stay?
#   An L2 ε must be much larger than an L∞ one: it bounds the length of the whole 64×64×3 change
#   (12,288 values), so ε∞ = 0.01 on every value is an L2 length of about 0.01·√12288 ≈ 1.1.
# * Retrain the repair on fewer images (minutes on a CPU) and measure it:
#   `data = repair.cheat_data(2000)`, then
#   `model, seconds = repair.train_repaired(data.with_cue, data.labels, data.cue_masks, penalty="gradient", lam=100, epochs=8, seed=0)`,
#   then `repair.measure(model)`: where does Grad-CAM's share on the tag go?
#
# ## Further reading
# * I. Goodfellow, J. Shlens, C. Szegedy, *Explaining and Harnessing Adversarial Examples*, ICLR 2015.
# * A. Madry et al., *Towards Deep Learning Models Resistant to Adversarial Attacks*, ICLR 2018.
# * D. Tsipras et al., *Robustness May Be at Odds with Accuracy*, ICLR 2019; S. Santurkar et al.,
#   *Image Synthesis with a Single (Robust) Classifier*, NeurIPS 2019.
# * A. S. Ross, M. C. Hughes, F. Doshi-Velez, *Right for the Right Reasons*, IJCAI 2017.
# * C. Szegedy et al., *Intriguing Properties of Neural Networks*, ICLR 2014; N. Carlini, D. Wagner,
#   *Towards Evaluating the Robustness of Neural Networks*, IEEE S&P 2017; A. Athalye, N. Carlini,
#   D. Wagner, *Obfuscated Gradients Give a False Sense of Security*, ICML 2018.
# * A. Nguyen, J. Yosinski, J. Clune, *Deep Neural Networks are Easily Fooled*, CVPR 2015.
# * A. S. Ross, F. Doshi-Velez, *Improving the Adversarial Robustness and Interpretability of Deep Neural
#   Networks by Regularizing their Input Gradients*, AAAI 2018.
# * H. Kannan, A. Kurakin, I. Goodfellow, *Adversarial Logit Pairing*, 2018; S. Garg et al.,
#   *Counterfactual Fairness in Text Classification through Robustness*, AIES 2019.
