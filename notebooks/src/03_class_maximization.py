# %% [markdown]
# # 03 · Making a class appear
#
# Lesson 02 changed an image until one filter fired. Now change it until
# the network says "circle" (or "star", ...). Done naively, the answer is
# noise that the network is sure about; a few image operations, applied
# every few steps, turn it into something that looks like the class.
#
# **What you'll do:** climb a class score from scratch; compare three
# objectives; switch on one regularizer at a time; sweep the step size;
# decide which image to keep; write one regularizer yourself.
#
# **What you'll learn:** why to climb the score before the softmax; what
# each regularizer of Simonyan et al. (2014) and Yosinski et al. (2015)
# does to the picture; how the course's recipe is put together.
#
# **What you'll need:** lesson 02.

# %% [markdown]
# ## Parameters

# %%
MODEL = "auto"  # the shapes CNN; "vgg16" etc. runs the whole lesson on another model (the text describes the shapes CNN)
IMAGENET_CLASSES = ["flamingo", "hartebeest", "pool table", "teddy"]  # used when MODEL is an ImageNet model
STEPS = 200     # optimization steps (fast mode caps them)
LR = 0.01       # step size of the normalized gradient step
SEED = 0

# %%
import numpy as np
import tensorflow as tf
from IPython.display import Markdown
from helpers import classviz, config, plotting, transforms as T
from helpers.claims import claim
from helpers.models import load_model

spec = load_model(MODEL)
if len(spec.class_names) <= 8:  # every class of a short list; of ImageNet's 1000, the chosen few
    classes = list(range(len(spec.class_names)))
else:
    classes = [spec.class_index(c) for c in IMAGENET_CLASSES]
names = [spec.class_names[c] for c in classes]
print(spec.description, "| classes:", ", ".join(names))

# %% [markdown]
# ## 1. Naive ascent and the softmax trap
#
# The network ends in a softmax over its pre-softmax scores, the *logits* $z$:
#
# $$p_c(x) = \frac{e^{z_c(x)}}{\sum_k e^{z_k(x)}}.$$
#
# Raising $p_c$ can succeed by pushing the *other* $z_k$ down, so Simonyan
# et al. (2014) climb $z_c$ itself. **Naive ascent** means gradient steps on
# the image and nothing else. From scratch, on the pre-softmax copy
# `spec.logits_model`, for the last class, with lesson 02's normalized step
# $x \leftarrow x + \eta\, g / \mathrm{rms}(g)$:

# %%
c = classes[-1]
rng = np.random.default_rng(SEED)
x = tf.Variable(0.5 + rng.uniform(-0.1, 0.1, (1, *spec.input_size, 3)).astype("float32"))
for step in range(config.steps(STEPS)):
    with tf.GradientTape() as tape:
        logits = spec.logits_model(x)[0]
        z = logits[c]
    g = tape.gradient(z, x)
    x.assign_add(LR * 5 * g / (tf.sqrt(tf.reduce_mean(g ** 2)) + 1e-8))
    if step < 3 or step == config.steps(STEPS) - 1:
        p = tf.nn.softmax(logits).numpy()  # the probabilities of the image the step started from
        print(f"step {step:3d}: z = {float(z):9.2f}, p = {p[c]:.4f}, "
              f"top class {spec.class_names[int(p.argmax())]} ({p.max():.2f})")
claim(f"the {names[-1]} logit after naive logit ascent", float(z), at_least=1000)
claim(f"the probability of {names[-1]} after naive logit ascent", float(p[c]), at_most=0.5);

# %% [markdown]
# The logit climbs into the thousands, yet the class does not win: a
# texture that raises $z_c$ can raise another class more (global average
# pooling adds up evidence from everywhere). Now every class at once, in
# one batch, with pixels clipped to $[0, 1]$, for three objectives: $p_c$,
# $z_c$, and the course's default $\log p_c + 0.1\,z_c$ (computed from the
# logits), which wants $z_c$ high *and* above the others.

# %%
results, conf, own_logit, beaten = {}, {}, {}, {}
for kind in ("softmax", "logit", "log-prob"):
    r = classviz.visualize_classes(spec.model, classes, [T.clip()], steps=STEPS, lr=LR, seed=SEED,
                                   objective=kind, progress=False)
    z = np.asarray(spec.logits_model(r.images))
    own = z[np.arange(len(classes)), classes]
    others = (z.sum(1) - own) / (z.shape[1] - 1)
    results[kind], own_logit[kind] = r, float(own.mean())
    beaten[kind] = int(np.sum(z.argmax(1) != np.asarray(classes)))
    conf[kind] = float(spec.predict(r.images)[np.arange(len(classes)), classes].mean())
    print(f"{kind:>9} objective: own logit {own.mean():7.1f}, other classes' {others.mean():7.1f}, "
          f"mean probability of the class {conf[kind]:.2f}, classes another class beats: {beaten[kind]}")
claim("the log-prob objective is the most confident", conf["log-prob"] > max(conf["logit"], conf["softmax"]))
claim("classes the logit objective leaves beaten", beaten["logit"], at_least=1)
claim("the mean probability under the log-prob objective", conf["log-prob"], at_least=0.9)
claim("own logit, softmax objective over logit objective", own_logit["softmax"] / own_logit["logit"], at_most=0.25);

# %% [markdown]
# The softmax objective raises its own logit far less: once $p_c$ nears 1
# there is little left to gain. The logit objective raises its own score
# but leaves some classes beaten; $\log p_c + 0.1\,z_c$ ends most confident.
# Here are its images, titled with the network's probability for the class:

# %%
clipped = results["log-prob"]
confidence = spec.predict(clipped.images)[np.arange(len(classes)), classes]
plotting.image_grid(list(clipped.images), [f"{n}: {a:.0%}" for n, a in zip(names, confidence)],
                    cols=4, cell=2.4)  # the log-prob objective, pixels clipped, nothing else

# %% [markdown]
# The network is confident (see the titles), yet these are mostly
# pixel-level speckle: at best a stripe pattern, nothing a person would
# call a circle or a star. Such images look *adversarial*: tiny pixel
# patterns the network responds to. Lesson 04 measures whether a picture shows its
# class; here we make better pictures.
#
# ## 2. One regularizer at a time
#
# A regularizer keeps the image natural. Simonyan et al. add a penalty
# $-\lambda\lVert x\rVert_2^2$ to the objective; Yosinski et al. (2015)
# instead *change the image* every few steps. The course has six:
#
# * **clip** to the valid range $[0, 1]$;
# * **decay** toward grey, $x \leftarrow \tfrac12 + (1-\lambda)(x - \tfrac12)$: the
#   gradient step of an L2 penalty on $x - \tfrac12$;
# * **blur**: a Gaussian blur ($\sigma = 0.7$) every 4 steps removes high frequencies;
# * **median**: a 3×3 median filter every 4 steps removes speckle, keeps edges;
# * **norm clip** (Yosinski et al.): every 4 steps the half of the pixels
#   whose colour is closest to grey, $\lVert x_{ij} - \tfrac12\rVert_2$ below the median, become grey;
# * **jitter/scale/rotate**: the image is shifted, scaled and turned at
#   random before each step, so it must work wherever it lands.
#
# Same start, same steps, one column per regularizer (each with clipping),
# `naive` without any, `combined` the course's recipe (all but norm clip):

# %%
abl = classviz.ablation(spec.model, classes, steps=STEPS, lr=LR, seed=SEED, progress=False, score_clean=True,
                        done={"clip": results["log-prob"]})
classviz.ablation_figure(abl, names)

# %% [markdown]
# Clipping alone looks like naive ascent, only within range. Decay pulls
# the picture toward grey; norm clip sprinkles grey through the speckle.
# Blur, the median filter and the random transforms each trade the
# pixel-level speckle for larger blobs and strokes, and `combined` stacks
# them. Which column *shows* the class is a question for lesson 04.
#
# ## 3. The step size
#
# Regularizers work against the gradient, so the step size sets the
# balance. The combined recipe with four step sizes:

# %%
recipe = classviz.recipe_for(spec.model)
print(f"{recipe.name}: step size {recipe.lr:g}, {recipe.steps} steps, regularizers {recipe.make(SEED)}")
base = abl["combined"] if recipe.name == "course recipe" else classviz.visualize_classes(  # same settings: reuse
    spec.model, classes, objective=recipe.objective, score_clean=True, progress=False, **recipe.kwargs(SEED))
sweep = {f"step {lr:g}": classviz.visualize_classes(spec.model, classes[:4], **{**recipe.kwargs(SEED), "lr": lr},
                                                   objective=recipe.objective, score_clean=True, progress=False)
         for lr in (recipe.lr / 10, recipe.lr * 10, recipe.lr * 100)}
sweep = {**dict(list(sweep.items())[:1]), f"step {recipe.lr:g}": base, **dict(list(sweep.items())[1:])}
score = {k: float(r.best_values[:4].mean()) for k, r in sweep.items()}
print("mean objective of the four classes:", ", ".join(f"{k}: {v:.1f}" for k, v in score.items()))
s_small, s_base, s_large, s_huge = score.values()
claim("a ten times larger step raises the objective", s_large > s_base > s_small)
claim("a hundred times larger step lowers it again", s_huge < s_large)
classviz.ablation_figure(sweep, names)

# %% [markdown]
# Too small a step and decay wins: a faint grey sketch. Ten times larger
# saturates the colours and raises the objective. A hundred times larger
# overshoots, and the objective falls again.
#
# ## 4. Which image to keep, and when to stop
#
# The filters lower the objective each time they act, so it zig-zags.
# Scored on the image itself (`score_clean=True`: without the random
# transforms), a run keeps its **best** image and its **last**. With
# `patience`, it stops once no image's best has risen by `min_rise` for
# that many steps.

# %%
full = base
stop = classviz.visualize_classes(spec.model, classes, score_clean=True, progress=False, seed=SEED,
                                  objective=recipe.objective, patience=10, min_rise=0.02, **recipe.kwargs(SEED))
fig, ax = plotting.new_figure(8, 3.5)
for i, n in enumerate(names[:4]):
    ax.plot(full.values[:, i], label=n)
ax.axvline(stop.steps_done, color="k", ls="--", label="early stop")
ax.set_xlabel("step"); ax.set_ylabel("objective of the image"); ax.set_title(f"{recipe.name}, four classes")
ax.legend(fontsize=9, ncol=5)
change = float(np.abs(full.best - full.last).mean())
print(f"The best image differs from the last for {int(np.any(full.best != full.last, axis=(1, 2, 3)).sum())} "
      f"of {len(classes)} classes, by {change:.3f} per pixel value on average.")
print(f"Early stopping ended after {stop.steps_done} of {full.steps_done} steps, with mean best objective "
      f"{stop.best_values.mean():.2f} against {full.best_values.mean():.2f}.")
claim("the mean pixel change between best and last image", change, at_most=0.05)
claim("the share of the objective kept by early stopping", stop.best_values.mean() / full.best_values.mean(),
      between=(0.9, 1.0))
fig

# %% [markdown]
# The curves climb fast, then creep. Best and last are nearly the same
# picture, so within a run the choice barely matters. Whether early
# stopping ends a run early depends on the run (the printed line says);
# when it does, it keeps nearly all of the objective. That is the recipe: the
# $\log p_c + 0.1\,z_c$ objective, the regularizers printed above (all but
# norm clip), step size 0.01, the best image.
#
# ## 5. Your turn: the panel
#
# Choose a class, a regularizer, the objective, the step size, best or
# last. The title gives the probability for the class from model A, the
# network that made the image.
# (`Param: silhouette` belongs to lesson 04.)

# %%
from helpers.widgets.featvis import ClassesPanel
panel = ClassesPanel(spec, steps=STEPS)
panel.controls["cls"].value = names[-1]
panel.run()
panel

# %% [markdown]
# ## 6. Exercise: small-norm clipping by hand
#
# `img` below is the naive (clipped) image of the first class. Apply one
# round of small-norm clipping to it: every pixel $(i, j)$ whose colour
# distance from grey, $\lVert x_{ij} - \tfrac12\rVert_2$ over the three
# colour channels, is *strictly below* the median of those distances
# becomes grey (0.5 in all three channels); every other pixel keeps its
# colour. Answer with the new image, shape `img.shape`.

# %%
from helpers.exercises import lesson03
img = clipped.images[0].copy()
q = lesson03.norm_clip_exercise(img)
answer = ...   # an array shaped like img
q.check(answer)

# %% [markdown]
# ## On a real ImageNet network
#
# On VGG16 (Simonyan and Zisserman 2015) `classviz.recipe_for` returns a
# recipe tuned by hand for that network: the logit $z_c$, the raw
# (unnormalized) gradient with step size 8000 on 0–255 pixels, clipping, a
# 5×5 median filter every 4 steps, 1000 steps. The table lists it, and the
# per-layer recipes for lesson 02's filters, in those units; `recipe_for`
# divides the step by $255^2$ for $[0, 1]$ pixels. Class images of ImageNet
# networks usually show recognisable fragments of the class (a head, an
# eye, a texture), repeated and scattered, not one whole object (Simonyan
# et al. 2014; Nguyen, Yosinski and Clune, "Multifaceted feature
# visualization", 2016).

# %%
from helpers.models import load_imagenet
net = load_imagenet("vgg16")
if net is not None:
    display(Markdown(classviz.vgg16_table()))
    vrec = classviz.recipe_for(net.model)
    vcls = [net.class_index(n) for n in IMAGENET_CLASSES]
    vres = classviz.visualize_classes(net.model, vcls, objective=vrec.objective, progress=False,
                                      **vrec.kwargs(SEED))
    vp = net.predict(vres.images)[np.arange(len(vcls)), vcls]
    plotting.image_grid(list(vres.images), [f"{n}\np = {a:.0%}" for n, a in zip(IMAGENET_CLASSES, vp)],
                        cols=4, cell=3.0, suptitle=f"VGG16 class images ({vrec.name})")

# %% [markdown]
# ## Summary
#
# * Climb the logits, not the softmax: $\log p_c + 0.1\,z_c$ asks class $c$ to win.
# * Ascent with no regularizer gives confident noise: the network's confidence says nothing about the picture.
# * Regularizers (decay, blur, median, norm clip, random transforms) trade
#   speckle for larger structures; the step size sets their balance with the gradient.
# * Within a run, best and last barely differ; early stopping can save steps at little cost.
#
# ## On your own / Further reading
#
# * Add `T.confine(0.3)` to a recipe: one object in the centre instead of a texture.
# * Try `param="fourier"` (lesson 02) in `classviz.visualize_classes`.
# * Simonyan, Vedaldi and Zisserman, "Deep inside convolutional networks", ICLR workshop 2014.
# * Yosinski et al., "Understanding neural networks through deep visualization", ICML workshop 2015.
# * Olah, Mordvintsev and Schubert, "Feature visualization", Distill 2017.
