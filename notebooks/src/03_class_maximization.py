# %% [markdown]
# # 03 · Making a class appear
#
# Lesson 02 changed an image until one filter fired. Now change it until
# the network says "circle" (or "star", ...). Done naively, the answer is
# noise, and the network can be sure of noise (even of the wrong class); a few image operations, applied
# while the image is optimized, turn it into larger strokes and blobs.
#
# **What you'll do:** climb a class score from scratch; compare three
# objectives; switch on one regularizer at a time; vary the step size;
# write one regularizer yourself.
#
# **What you'll learn:** which score to climb; what each common
# regularizer (Simonyan et al. 2014; Yosinski et al. 2015; Olah et al.
# 2017) does to the picture.
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
# ## 1. Climbing a class score
#
# The network ends in a softmax over its pre-softmax scores, the *logits* $z$:
#
# $$p_c(x) = \frac{e^{z_c(x)}}{\sum_k e^{z_k(x)}}.$$
#
# Simonyan et al. (2014) climb the logit $z_c$ of class $c$. **Naive
# ascent** means gradient steps on the image and nothing else. From
# scratch, for the last class, with lesson 02's normalized step
# $x \leftarrow x + \eta\, g / \mathrm{rms}(g)$, where $g = \nabla_x z_c$
# and $\eta$ is `LR` (pixel values move by `LR` in root mean square), next to
# the helper that runs the same loop:

# %%
c = classes[-1]
rng = np.random.default_rng(SEED)
x = tf.Variable(0.5 + rng.uniform(-0.1, 0.1, (1, *spec.input_size, 3)).astype("float32"))  # grey + noise
trace = []  # z_c at each step
for step in range(config.steps(STEPS)):
    with tf.GradientTape() as tape:
        z = spec.logits_model(x)[0, c]
    g = tape.gradient(z, x)
    x.assign_add(LR * g / (tf.sqrt(tf.reduce_mean(g ** 2)) + 1e-8))
    trace.append(float(z))
logits = spec.logits_model(x)[0].numpy()
p = tf.nn.softmax(logits).numpy()
helper = classviz.visualize_classes(spec.model, [c], [], steps=STEPS, lr=LR, seed=SEED, objective="logit",
                                    progress=False)  # the same loop, compiled
gap = float(np.max(np.abs(helper.values[:, 0] - trace) / (np.abs(trace) + 1)))
print(f"After {config.steps(STEPS)} steps the {names[-1]} logit is {logits[c]:,.0f}, yet p({names[-1]}) = "
      f"{p[c]:.3f}: the network calls the image {spec.class_names[int(p.argmax())]} ({p.max():.0%}). "
      f"The helper's logit stays within {max(gap, 0.001):.1%} of ours at every step.")
claim(f"the {names[-1]} logit after naive logit ascent", float(logits[c]), at_least=1000, quiet=True)
claim(f"the probability of {names[-1]} after naive logit ascent", float(p[c]), at_most=0.5, quiet=True)
claim("the largest relative gap between the helper's logit and the loop's", gap, at_most=0.05, quiet=True)
plotting.image_grid([np.clip(x.numpy()[0], 0, 1)], [f"naive ascent on {names[-1]}\nthe network says "
                    f"{spec.class_names[int(p.argmax())]} ({p.max():.0%})"], cols=1, cell=4.0,
                    suptitle="pixels outside [0, 1] clipped for display only")

# %% [markdown]
# The logit climbs into the thousands, yet the class does not win: a
# texture that raises $z_c$ can raise another class more (global average
# pooling adds up evidence from everywhere). So compare three objectives,
# every class at once, pixels clipped to $[0, 1]$: $p_c$, $z_c$, and
# $\log p_c + 0.1\,z_c$, which wants $z_c$ high *and* above the others.

# %%
results, conf, own_logit, beaten = {}, {}, {}, {}
print(f"{'objective':>18} | mean own logit | mean p of the class | classes another class beats")
for kind, label in (("softmax", "p_c"), ("logit", "z_c"), ("log-prob", "log p_c + 0.1 z_c")):
    r = classviz.visualize_classes(spec.model, classes, [T.clip()], steps=STEPS, lr=LR, seed=SEED,
                                   objective=kind, progress=False)
    z = np.asarray(spec.logits_model(r.images))
    results[kind], own_logit[kind] = r, float(z[np.arange(len(classes)), classes].mean())
    beaten[kind] = int(np.sum(z.argmax(1) != np.asarray(classes)))
    conf[kind] = float(spec.predict(r.images)[np.arange(len(classes)), classes].mean())
    print(f"{label:>18} | {own_logit[kind]:14.0f} | {conf[kind]:19.2f} | {beaten[kind]} of {len(classes)}")
claim("the log-prob objective is the most confident", conf["log-prob"] > max(conf["logit"], conf["softmax"]),
      quiet=True)
claim("classes the logit objective leaves beaten", beaten["logit"], at_least=1, quiet=True)
claim("the logit objective raises its own logit most", own_logit["logit"] > max(own_logit["softmax"],
      own_logit["log-prob"]), quiet=True)
claim("classes the log-prob objective leaves beaten", beaten["log-prob"], equals=0, quiet=True)
claim("the mean probability under the log-prob objective", conf["log-prob"], at_least=0.9, quiet=True)
claim("own logit, softmax objective over logit objective", own_logit["softmax"] / own_logit["logit"],
      at_most=0.25, quiet=True);

# %% [markdown]
# The table shows what each objective does:
#
# * $p_c$ raises its own logit least: once $p_c$ is near 1 there is little
#   left to gain, and $p_c$ can also rise by pushing the other classes
#   down (Simonyan et al.'s reason to climb $z_c$).
# * $z_c$ raises its own logit most, yet another class still wins on some images.
# * $\log p_c + 0.1\,z_c$ raises the logit nearly as far *and* makes every
#   class win, with the highest mean probability. It is the course's default.
#
# Its images, titled with the network's probability for the class:

# %%
clipped = results["log-prob"]
confidence = spec.predict(clipped.images)[np.arange(len(classes)), classes]
plotting.image_grid(list(clipped.images), [f"{n}: {a:.0%}" for n, a in zip(names, confidence)],
                    cols=4, cell=3.0)  # the log-prob objective, pixels clipped, nothing else

# %% [markdown]
# The network is sure. The two stripe classes are textures, and their
# images do show stripes. For the shape classes none of these is a picture
# of its class: most of each image is speckle or texture, with at most
# fragments (an edge, small repeated marks), nothing a person would call a
# circle or a star. Lesson 04
# asks whether a picture *shows* its class; here we make better pictures.
#
# ## 2. One regularizer at a time
#
# A regularizer keeps the image natural. Simonyan et al. add a penalty
# $-\lambda\lVert x\rVert_2^2$ to the objective; Yosinski et al. (2015)
# instead *change the image* during the ascent. Each column below adds one
# operation to clipping, with exactly the settings the combined recipe uses:
#
# * **clip**: pixels kept in $[0, 1]$ after every step;
# * **decay** toward grey after every step, $x \leftarrow \tfrac12 + (1-\lambda)(x - \tfrac12)$,
#   $\lambda = 0.01$ (the gradient step of an L2 penalty on $x - \tfrac12$);
# * **blur**: a Gaussian blur ($\sigma = 0.7$ pixels) every 4 steps;
# * **median**: a 3×3 median filter every 8 steps (each pixel becomes the
#   median of its neighbourhood, per colour channel);
# * **norm clip** (Yosinski et al.; not in the combined recipe): every 4
#   steps, the half of the pixels whose colour is closest to grey,
#   $\lVert x_{ij} - \tfrac12\rVert_2$ below the median, become grey;
# * **shift/scale/rotate**: before each gradient step the network sees a
#   moved copy: *pad* adds a 4-pixel grey border and crops a random 64×64
#   window, *jitter* shifts by up to 4 pixels (wrapping round), then a
#   random zoom (0.9–1.1) and turn (±10°). The image must work wherever it lands.
#
# `combined` is the course's recipe: all of them but norm clip. To keep the
# pictures large, the figure shows four of the eight classes (rows).

# %%
abl = classviz.ablation(spec.model, classes, steps=STEPS, lr=LR, seed=SEED, progress=False, score_clean=True,
                        recipes={k: v for k, v in classviz.RECIPES.items() if k != "naive"},
                        done={"clip": results["log-prob"]})
classviz.ablation_figure(abl, names, cell=1.9)

# %% [markdown]
# Decay and norm clip keep the speckle: decay only dims it toward grey,
# norm clip greys half of its pixels and leaves the rest. Blur, the median
# filter and the random moves each replace the speckle with larger blobs
# and strokes, and `combined` stacks them into soft, greyish patterns.
# Which column *shows* the class is lesson 04's question.
#
# ## 3. The step size
#
# Decay and the filters pull against the gradient, so the step size sets
# the balance. The combined recipe with four step sizes, titled by step,
# and each one's mean objective over the four classes shown:

# %%
recipe = classviz.recipe_for(spec.model)
base = abl["combined"] if recipe.name == "course recipe" else classviz.visualize_classes(  # same settings: reuse
    spec.model, classes, objective=recipe.objective, score_clean=True, progress=False, **recipe.kwargs(SEED))
sweep = {f"step {lr:g}": classviz.visualize_classes(spec.model, classes[:4], **{**recipe.kwargs(SEED), "lr": lr},
                                                   objective=recipe.objective, score_clean=True, progress=False)
         for lr in (recipe.lr / 10, recipe.lr * 10, recipe.lr * 100)}
sweep = {**dict(list(sweep.items())[:1]), f"step {recipe.lr:g}": base, **dict(list(sweep.items())[1:])}
score = {k: float(r.best_values[:4].mean()) for k, r in sweep.items()}
s_small, s_base, s_large, s_huge = score.values()
claim("a ten times larger step raises the objective", s_large > s_base > s_small, quiet=True)
claim("a hundred times larger step lowers it again", s_huge < s_large, quiet=True)
classviz.ablation_figure({f"{k}\nobjective {v:.1f}": sweep[k] for k, v in score.items()}, names, cell=2.2)

# %% [markdown]
# Each run keeps the image with the highest objective it reached, scored
# without the random moves (the filters lower the objective when they
# act). Too small a step and decay wins: a faint grey sketch. Ten times
# the default saturates the colours and raises the objective. A hundred
# times overshoots, and the objective falls again; an image that never
# beats its start keeps the start, grey noise. The default, 0.01, gives
# visible strokes without saturating.
#
# ## 4. Your turn: the panel
#
# Choose a class, a regularizer, the objective, the step size, and the
# best or the last image. The title gives the network's probability for
# the class. (`Param: silhouette` belongs to lesson 04.)

# %%
from helpers.widgets.featvis import ClassesPanel
panel = ClassesPanel(spec, steps=STEPS)
panel.controls["cls"].value = names[-1]
panel.run()
panel

# %% [markdown]
# ## 5. Exercise: small-norm clipping by hand
#
# `img` below is the clipped-only image of the first class (section 1's
# grid). Apply one round of norm clip to it: every pixel $(i, j)$ whose
# colour distance from grey, $\lVert x_{ij} - \tfrac12\rVert_2$ over the
# three colour channels, is *strictly below* the median of those
# distances becomes grey (0.5 in all three channels); every other pixel
# keeps its colour. Answer with the new image, shape `img.shape`.

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
# hand-tuned recipe: the logit $z_c$, the raw gradient with step size 8000
# on 0–255 pixels (divided by $255^2$ for $[0, 1]$ pixels), clipping, a
# 5×5 median filter every 4 steps, 1000 steps. The table also lists the
# per-layer recipes for lesson 02's filters. ImageNet class images usually
# show recognisable fragments of the class (a head, an eye, a texture),
# repeated and scattered, not one whole object (Simonyan et al. 2014;
# Nguyen, Yosinski and Clune, "Multifaceted feature visualization", 2016).

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
                        cols=4, cell=3.0, suptitle="VGG16 class images, hand-tuned recipe")

# %% [markdown]
# ## Summary
#
# * Naive ascent on the logit $z_c$ reaches huge scores while another class wins.
# * Climbing $p_c$ raises $z_c$ least; climbing $z_c$ lets other classes win on
#   some images; $\log p_c + 0.1\,z_c$ raises $z_c$ nearly as far and makes every class win.
# * With clipping only, the network is sure about images that show no shape (only the stripe classes come out as
#   their textures): its confidence says little about the picture.
# * Decay and norm clip leave the speckle; blur, the median filter and the random moves
#   turn it into larger blobs and strokes. The step size sets their balance with the gradient.
#
# ## On your own / Further reading
#
# * Add `T.confine(0.3)` to a recipe: one object in the centre instead of a texture.
# * Try `param="fourier"` (lesson 02) in `classviz.visualize_classes`.
# * Simonyan, Vedaldi and Zisserman, "Deep inside convolutional networks", ICLR workshop 2014.
# * Yosinski et al., "Understanding neural networks through deep visualization", ICML workshop 2015.
# * Olah, Mordvintsev and Schubert, "Feature visualization", Distill 2017.
