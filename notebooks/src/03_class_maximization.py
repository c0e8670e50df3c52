# %% [markdown]
# # 03 · What does a class want to see?
#
# Lesson 02 maximized one filter; now maximize a whole *class*. Done
# naively, the answer is noise the network is sure about. We follow the
# regularization recipe of the course notes, then *measure* which pictures
# are real by asking a second, independent network.
#
# **What you'll do:** fool the network with naive ascent; try each
# regularizer and the step size; run a random search; choose which image
# to keep and when to stop; test a silhouette prior against a control.
#
# **What you'll learn:** why to work from the logits; why confidence proves
# nothing and a second model measures quality; why the score you chose by
# cannot be the score you report.
#
# **What you'll need:** lesson 02.

# %% [markdown]
# ## Parameters

# %%
MODEL = "auto"          # "auto": VGG16 online, the shapes CNN offline
IMAGENET_CLASSES = ["flamingo", "hartebeest", "pool table", "teddy"]  # used on ImageNet models
STEPS = 200             # optimization steps (fast mode caps them)
LR = 0.01               # step size of the normalized gradient step
TRIALS = 4              # random-search trials
RESTARTS = 4            # start images per class for best-of-N
SEED = 0

# %%
import numpy as np
import tensorflow as tf
from IPython.display import Markdown
from helpers import classviz, config, metrics, plotting, transforms as T
from helpers.claims import claim
from helpers.models import load_model

spec = load_model(MODEL)
judge = load_model("shapes_b") if spec.name.startswith("shapes") else None
if len(spec.class_names) <= 8:  # every class of a short list; of ImageNet's 1000, the chosen few
    classes = list(range(len(spec.class_names)))
else:
    classes = [spec.class_index(c) for c in IMAGENET_CLASSES]
names = [spec.class_names[c] for c in classes]
print(spec.description, "| classes:", ", ".join(names))

# %% [markdown]
# ## 1. Naive ascent and the softmax trap
#
# The network ends in a softmax over pre-softmax scores (logits) $z$:
#
# $$p_c(x) = \frac{e^{z_c(x)}}{\sum_k e^{z_k(x)}}.$$
#
# Maximizing $p_c$ can succeed by pushing the *other* $z_k$ down. Simonyan
# et al. (2014) therefore maximize $z_c$ itself. Here is the naive version
# from scratch, on the pre-softmax copy `spec.logits_model`, for the last class:

# %%
c = classes[-1]
rng = np.random.default_rng(SEED)
x = tf.Variable(0.5 + rng.uniform(-0.1, 0.1, (1, *spec.input_size, 3)).astype("float32"))
for step in range(config.steps(STEPS)):
    with tf.GradientTape() as tape:
        z = spec.logits_model(x)[0, c]
    g = tape.gradient(z, x)
    x.assign_add(LR * 5 * g / (tf.sqrt(tf.reduce_mean(g ** 2)) + 1e-8))
    if step < 3 or step == config.steps(STEPS) - 1:
        p = spec.predict(x.numpy())[0]
        print(f"step {step:3d}: z = {float(z):9.2f}, p = {p[c]:.4f}, "
              f"top class {spec.class_names[int(p.argmax())]} ({p.max():.2f})")
claim(f"z({names[-1]}) after logit ascent", float(z), at_least=1000)
claim(f"p({names[-1]}) after logit ascent", float(p[c]), at_most=0.5);

# %% [markdown]
# The logit climbs by thousands, yet the class does not win: a texture
# that raises $z_c$ can raise another class more (global average pooling
# adds up evidence from everywhere). Now all classes as one batch, with
# three objectives: $p_c$, $z_c$, and the course's default $\log p_c +
# 0.1\,z_c$ (computed from the logits), which wants $z_c$ high *and* above
# the others.

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
    print(f"{kind:>9}: own logit {own.mean():7.1f}, other classes {others.mean():7.1f}, confidence {conf[kind]:.2f}")
claim("log-prob is the most confident", conf["log-prob"] > max(conf["logit"], conf["softmax"]))
claim("classes the logit objective leaves beaten", beaten["logit"], at_least=1)
claim("log-prob confidence", conf["log-prob"], at_least=0.9)
claim("own logit: softmax objective / logit objective", own_logit["softmax"] / own_logit["logit"], at_most=0.25);

# %% [markdown]
# The softmax objective raises its own logit far less: once $p_c$ nears 1
# there is little left to gain. The logit objective raises its own score as
# much as the log-probability does but leaves some classes beaten; the
# log-probability ends most confident. Its pictures are mostly noise. "A" is model
# A's confidence; "B" is what an **independent** shapes CNN (another seed)
# sees. High A with a wrong B is the signature of adversarial noise.

# %%
naive = results["log-prob"]
confidence = spec.predict(naive.images)[np.arange(len(classes)), classes]
titles = [f"{n}\nA {a:.0%}" for n, a in zip(names, confidence)]
if judge is not None:
    titles = [f"{t} · B: {judge.class_names[k]}" for t, k in zip(titles, judge.predict(naive.images).argmax(1))]
    claim("model B recognises naive images", classviz.transfer_rate(judge.model, naive.images, classes), at_most=0.6)
plotting.image_grid(list(naive.images), titles, cols=4, cell=2.4)

# %% [markdown]
# ## 2. One regularizer at a time
#
# The course notes regularize by *changing the image* every few steps:
#
# * **clipping** to the valid range $[0, 1]$;
# * **decay** toward grey: $x \leftarrow \tfrac12 + (1-\lambda)(x - \tfrac12)$;
# * **Gaussian blur** ($\sigma \approx 0.5$–$1$) every 4–8 steps;
# * **median filter** (3×3 or 5×5) every 4–12 steps: removes noise, keeps edges;
# * **small-norm clipping** (Yosinski et al. 2015): the half of the pixels
#   closest to grey become grey;
# * **jitter, scale, rotate**: random, so the image must work when moved.
#
# Same start and steps; one column per recipe, titled with the share of all
# class images model B recognises (four classes shown):

# %%
abl = classviz.ablation(spec.model, classes, steps=STEPS, lr=LR, seed=SEED, progress=False, score_clean=True,
                        done={"clip": results["log-prob"]})
transfer = {k: classviz.transfer_rate(judge.model, r.images, classes) for k, r in abl.items()} if judge else {}
if judge is not None:
    claim("combined beats naive for model B by", transfer["combined"] - transfer["naive"], at_least=0.25)
classviz.ablation_figure(abl, names, judge.model if judge else None, classes)

# %% [markdown]
# Clipping alone changes nothing visible; decay greys the picture; small-norm
# clipping sprinkles grey through the speckle. Blur, the median filter and
# the random transforms each turn speckle into strokes, and B starts to
# agree; `combined` stacks them. One image is 12.5 points here;
# `python -m helpers.evaluate classviz` measures 64.
#
# ## 3. The step size
#
# The notes sweep the learning rate first. Same combined recipe, four step sizes:

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
print("mean objective:", {k: round(v, 1) for k, v in score.items()})
s_small, s_base, s_large, s_huge = score.values()
claim("a ten times larger step raises the objective", s_large > s_base > s_small)
claim("a hundred times larger step lowers it", s_huge < s_large)
classviz.ablation_figure(sweep, names)

# %% [markdown]
# Too small a step and decay wins: a faint grey sketch. Ten times larger
# saturates the strokes and raises the objective. A hundred times larger
# overshoots: the objective falls, and the best image seen may be the start.
#
# The notes tuned VGG16 per target, in their units (0–255 pixels, raw
# gradient). `classviz.recipe_for(model)` returns these settings, converted
# to [0, 1] pixels, when the model is a VGG16, and the course's recipe otherwise:

# %%
Markdown(classviz.vgg16_table())

# %% [markdown]
# ## 4. A random search, scored honestly
#
# Regularizers interact, and *random* search beats a grid when only a few
# parameters matter (Bergstra and Bengio 2012). Each trial draws every
# hyperparameter (`classviz.draw_params`) and is scored by model B. The
# best score also picked the luckiest noise, so on average it overstates;
# each trial is therefore also rendered from *held-out* start images that
# play no part in the choice.

# %%
if judge is not None:
    trials = classviz.random_search(spec.model, judge.model, classes, trials=TRIALS,
                                    steps=max(1, STEPS // 2), seed=SEED, progress=False)
    for t in trials:
        print(f"search {t['search']:.2f}  held-out {t['held_out']:.2f}  ", t["params"])
    fig = plotting.image_grid(list(trials[0]["images"]), names, cols=8, cell=1.5,
                              suptitle="the winning trial (search images)")
else:
    fig = None
fig

# %% [markdown]
# Report the winner's held-out score. B still chose the winner, so even
# that flatters B's taste; a third judge (`evaluate classviz --judge`) is stricter.
#
# ## 5. Which image do we keep, and when do we stop?
#
# Filters lower the objective each time they act, so it zig-zags. Scored
# on the image itself (`score_clean=True`: without the random transforms), a
# run keeps its **best** image and its **last**. With `patience`, it stops
# once no image's best has risen by `min_rise` for that many steps.

# %%
full = base  # rendered with score_clean=True
stop = classviz.visualize_classes(spec.model, classes, score_clean=True, progress=False, seed=SEED,
                                  objective=recipe.objective, patience=10, min_rise=0.02, **recipe.kwargs(SEED))
fig, ax = plotting.new_figure(7, 3)
for i, n in enumerate(names[:4]):
    ax.plot(full.values[:, i], label=n)
ax.axvline(stop.steps_done, color="k", ls="--", label="early stop")
ax.set_xlabel("step"); ax.set_ylabel("objective (clean image)"); ax.set_title(f"{recipe.name}, four classes")
ax.legend(fontsize=8, ncol=5)
change = float(np.abs(full.best - full.last).mean())
print(f"best differs from last for {int(np.any(full.best != full.last, axis=(1, 2, 3)).sum())} of "
      f"{len(classes)} classes, by {change:.3f} per pixel on average")
print(f"early stop after {stop.steps_done} of {full.steps_done} steps; mean best objective "
      f"{stop.best_values.mean():.2f} against {full.best_values.mean():.2f}")
claim("best vs last: mean pixel change", change, at_most=0.05)
claim("early stopping stopped before the end", stop.steps_done < full.steps_done)
claim("objective kept by early stopping (fraction)", stop.best_values.mean() / full.best_values.mean(),
      between=(0.9, 1.0))
fig

# %% [markdown]
# The curves climb fast, then creep. Best and last are nearly the same
# picture, so within a run the choice barely matters; early stopping saves
# the printed steps for a slightly lower objective.
#
# Between runs the choice is real. Render each class from `RESTARTS` start
# images and keep one: the first, the one with the highest objective (model
# A's verdict), the one another network (`shapes_plain`) likes best, or the
# one B likes best. B scores all four.

# %%
if judge is not None:
    plain = load_model("shapes_plain")
    multi = classviz.restarts(spec.model, classes, n=RESTARTS, seed=SEED, steps=max(1, STEPS // 2), progress=False)
    picks = {"first": classviz.pick(multi, classes, "first"),
             "best objective": classviz.pick(multi, classes, "objective"),
             "best for shapes_plain": classviz.pick(multi, classes, "judge", plain.model),
             "best for B (biased)": classviz.pick(multi, classes, "judge", judge.model)}
    scored = {k: classviz.transfer_rate(judge.model, v, classes) for k, v in picks.items()}
    for k, v in scored.items():
        print(f"{k:>22}: B recognises {v:.2f}")
    claim("picking by B flatters B", scored["best for B (biased)"] >= max(scored.values()));

# %% [markdown]
# Picking by B and reporting B scores the choice, not the pictures; only
# the first three are fair.
#
# ## 6. A prior that matches the world: silhouettes
#
# Every picture so far is a *texture*, unlike any training image: each
# holds **one** flat-coloured object on a smooth background. So optimize a
# soft mask $\alpha$ and one colour $c$ over a fixed smooth background $b$:
#
# $$x = (1-\alpha)\,b + \alpha\,c, \qquad \alpha = w \cdot \sigma\big(k\,(G * a)\big),$$
#
# with $a$ the mask's logits, $G$ a small Gaussian, $k$ a sharpness and $w$
# a central disc (Mordvintsev et al., "Differentiable Image
# Parameterizations", 2018). Control: the same on a re-initialised copy of model A.

# %%
if spec.name.startswith("shapes"):
    sil = classviz.visualize_silhouettes(spec.model, classes, steps=STEPS, seed=SEED, progress=False)
    random_a = metrics.randomized_model(spec.model, seed=SEED)
    sil_random = classviz.visualize_silhouettes(random_a, classes, steps=STEPS, seed=SEED, progress=False)
    sil_rates = {"model A": classviz.transfer_rate(judge.model, sil.images, classes),
                 "random copy": classviz.transfer_rate(judge.model, sil_random.images, classes)}
    print("model B recognises the silhouettes of", {k: round(v, 2) for k, v in sil_rates.items()})
    claim("silhouettes of the random copy", sil_rates["random copy"], at_most=0.25)
    claim("silhouettes of model A", sil_rates["model A"], at_least=0.6)
    sb = judge.predict(sil.images).argmax(1)
    fig = plotting.image_grid(list(sil.images) + list(sil_random.images),
                              [f"{n}\nB: {judge.class_names[k]}" for n, k in zip(names, sb)]
                              + [f"random A\n{n}" for n in names], cols=8, cell=1.6)
else:
    print("Silhouettes are a prior for the shapes world; photos need others, such as lesson 02's Fourier one.")
    fig = None
fig

# %% [markdown]
# Model A's silhouettes look like this world's objects: the circle a disc,
# the triangle a wedge, stripes a block of bars; the plus is a spray of
# blobs, not a cross. The random copy's blobs mean nothing to B: the prior
# alone creates no transfer. It adds *legibility*, judged with a control.
#
# ## 7. Why the course's model was trained adversarially
#
# The shapes CNNs were trained on images pushed one small step *up* the
# loss, $\tilde x = \mathrm{clip}(x + u\,\varepsilon\sqrt{d}\,\nabla_x L /
# \lVert\nabla_x L\rVert_2)$ (Madry et al. 2018), so faint patterns cannot
# move them (Santurkar et al. 2019). `shapes_plain` was trained on clean
# images. Same recipe; top: model A, bottom: plain; B judges both.

# %%
if spec.name.startswith("shapes"):
    plain_reg = classviz.visualize_classes(plain.model, classes, classviz.regularized(SEED), steps=STEPS, lr=LR,
                                           seed=SEED, progress=False)
    plain_rate = classviz.transfer_rate(judge.model, plain_reg.images, classes)
    print(f"model B recognises model A's images {transfer['combined']:.2f}, the plain model's {plain_rate:.2f}")
    claim("B recognises the plain model's images less often", plain_rate < transfer["combined"])
    fig = plotting.image_grid(list(abl["combined"].images) + list(plain_reg.images),
                              [f"A\n{n}" for n in names] + [f"plain\n{n}" for n in names], cols=8, cell=1.6)
else:
    fig = None
fig

# %% [markdown]
# The plain model's images are finer textures that B reads less often.
#
# ## 8. Your turn: the panel
#
# Choose a class, a recipe, the objective, best or last; `Param: silhouette`
# is section 6's parameterization. Titles: A's confidence, B's verdict.

# %%
from helpers.widgets.featvis import ClassesPanel
panel = ClassesPanel(spec, judge=judge, steps=STEPS)
panel.controls["cls"].value = names[-1]
panel.run()
panel

# %% [markdown]
# ## 9. Exercise
#
# In `multi`, image `r * len(classes) + i` is restart `r` of class `i`, with
# objective `multi.best_values`. For each class, which restart scores
# highest? Answer with one index per class.

# %%
from helpers.exercises import lesson03
q = lesson03.pick_exercise(multi, classes) if judge is not None else None
answer = ...   # e.g. an array of len(classes) restart indices
if q is not None:
    q.check(answer)
else:
    print("This exercise needs the shapes CNN.")

# %% [markdown]
# ## Summary
#
# * Work from the logits: $\log p_c + 0.1\,z_c$ asks class $c$ to win.
# * Naive ascent fools the network: confidence proves nothing.
# * Blur, median and random transforms give strokes an independent model
#   recognises; the step size matters as much.
# * Choosing inflates the score you chose by: report held-out images or another judge.
# * Best and last barely differ within a run; early stopping saves steps.
# * A data-shaped prior makes features legible, not real.
#
# ## On your own / Further reading
#
# * Add `T.confine(0.3)` to a recipe: one object in the centre instead of a texture.
# * More trials and held-out copies: `classviz.random_search(..., held_out=4)`.
# * The 64-image figures: `python -m helpers.evaluate classviz` (add
#   `--judge` for a third twin).
# * Retrain with a stronger push, `python -m helpers.train --adversarial 0.03
#   --out my_models`, and compare its class images.
# * Try `param="fourier"` in `classviz.visualize_classes`.
# * Simonyan, Vedaldi and Zisserman, "Deep inside convolutional networks", 2014.
# * Yosinski et al., "Understanding neural networks through deep visualization", 2015.
# * Nguyen, Yosinski and Clune, "Deep neural networks are easily fooled", 2015.
# * Bergstra and Bengio, "Random search for hyper-parameter optimization", JMLR 2012.
