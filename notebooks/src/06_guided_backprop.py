# %% [markdown]
# # 06 · Guided backprop: change the ReLU's backward rule
#
# Saliency maps (lesson 05) are speckled. In 2014 Springenberg et al. found
# that one small change to back-propagation gives much crisper pictures
# of real photos: let a ReLU pass a gradient back only when it is
# *positive*. This lesson shows the rule, what it does, and a warning sign.
#
# **What you'll do**
# * compare the backward rules of backprop, the deconvnet and guided backprop, side by side;
# * build a model whose ReLUs use the guided rule, without touching the original;
# * compare guided and plain gradients on images.
#
# **What you'll learn**
# * how one line of the backward pass changes the picture;
# * why crisp is not the same as faithful.
#
# **What you'll need:** lesson 05.

# %% [markdown]
# ## Parameters

# %%
MODEL = "auto"     # "auto", "shapes", "vgg16"
N_IMAGES = 4       # images in the comparison grid
SEED = 0

# %%
import numpy as np
import tensorflow as tf
from helpers import attribution, config, metrics, plotting, shapes
from helpers.claims import claim
from helpers.guided import backward_rule, backward_rules_figure, guided_model
from helpers.models import load_model

spec = load_model(MODEL)
samples = spec.sample_images()
names = list(samples)[:N_IMAGES]
batch = np.stack([samples[n][0] for n in names])
classes = [samples[n][1] for n in names]

# %% [markdown]
# ## 1. Three backward rules for one ReLU
#
# A ReLU computes $y = \max(x, 0)$. Going backward it receives $g =
# \partial L/\partial y$ and must send something to $x$:
#
# | rule | sends back | gated by |
# |---|---|---|
# | backprop (the true gradient) | $g\cdot[x>0]$ | the forward input |
# | deconvnet (Zeiler & Fergus 2014) | $\max(g, 0)$ | the backward signal |
# | guided backprop (Springenberg et al. 2014) | $g\cdot[x>0]\cdot[g>0]$ | both |
#
# Guided backprop keeps only paths on which every unit was active *and*
# pushed the score up. On a small random example:

# %%
backward_rules_figure(seed=SEED)

# %% [markdown]
# ## 2. From scratch: a guided ReLU
#
# TensorFlow lets us give any function our own gradient with
# `tf.custom_gradient`. The forward pass is the ordinary ReLU; the backward
# pass applies both gates.

# %%
@tf.custom_gradient
def guided_relu(x):
    def backward(g):
        return g * tf.cast(x > 0, g.dtype) * tf.cast(g > 0, g.dtype)
    return tf.nn.relu(x), backward

v = tf.constant([1.0, -1.0, 2.0, 0.5])
with tf.GradientTape() as tape:
    tape.watch(v)
    out = tf.reduce_sum(guided_relu(v) * tf.constant([1.0, 1.0, -3.0, 2.0]))
print("guided gradient:", tape.gradient(out, v).numpy())
print("numpy rule     :", backward_rule(v.numpy(), [1.0, 1.0, -3.0, 2.0], "guided"))

# %% [markdown]
# In a real network the ReLUs hide inside the layers
# (`Conv2D(..., activation="relu")`). `guided_model` builds a **second
# graph** that calls the model's own layers (the same weights, nothing
# copied) with the guided ReLU in place of every ReLU, also inside a nested
# base model. Forward, it computes exactly the same thing; only its
# gradients differ. The original model is left alone; let's check both claims.

# %%
logits = spec.logits_model
guided_net = guided_model(logits)
before = attribution.input_gradients(spec.model, batch, classes)
print("same forward pass:", np.allclose(guided_net(batch), logits(batch), atol=1e-4))
guided = attribution.input_gradients(spec.model, batch, classes, guided="guided")
after = attribution.input_gradients(spec.model, batch, classes)
print("original gradients unchanged:", np.array_equal(before, after))
print("guided gradients differ:", not np.allclose(guided, before))

# %% [markdown]
# ## 3. What the rules draw
#
# The raw gradients have three colour channels, so we can look at them as
# images (scaled so that 0 is mid-grey). Rows: the image, plain backprop,
# the deconvnet, guided backprop.

# %%
deconv = attribution.input_gradients(spec.model, batch, classes, guided="deconvnet")

# display only: centre each gradient image on grey, scaled by its largest value
rows = [batch] + [0.5 + 0.5 * g / (np.abs(g).max(axis=(1, 2, 3), keepdims=True) + 1e-12)
                  for g in (before, deconv, guided)]
labels = ["image", "backprop", "deconvnet", "guided backprop"]
plotting.image_grid([im for row in rows for im in row], [l for l in labels for _ in names],
                    cols=len(names), cell=1.7)

# %% [markdown]
# All three find the object. The deconvnet rule covers the whole image with
# a fine grid-like texture: it ignores the forward gate, so every position
# sends a signal back, object or not. Guided backprop draws the object's
# outline a little more cleanly than plain backprop. As maps (the largest
# absolute value over colours, like saliency):

# %%
gb_maps = attribution.guided_backprop(spec.model, batch, classes)
sal_maps = attribution.saliency(spec.model, batch, classes)
plotting.image_grid([*sal_maps, *gb_maps], [f"saliency: {n}" for n in names] + [f"guided: {n}" for n in names],
                    cols=len(names), cell=2.2)

# %% [markdown]
# ## 4. A warning sign: does it care about the class?
#
# A map that explains a *class* should change when we ask about another
# class, and the cleanest test has two objects in one picture. We paste an
# object of class $b$ into an image of class $a$, for every ordered pair of
# the shapes classes, and compute each method's map for $a$ and for $b$.
# Two numbers per method: the rank correlation between the two maps (1 = the
# same picture whatever we ask), and how much of the map for $b$ falls on
# object $b$ rather than on object $a$. Grad-CAM (lesson 07) is the
# comparison. The test needs the shapes world, so it uses the shapes CNN
# whatever `MODEL` is.

# %%
world = spec if spec.name == "shapes" else load_model("shapes")
xs, ys, ms = shapes.make_shapes(config.samples(200), seed=SEED + 5)
pairs, cls_a, cls_b, mask_a, mask_b = metrics.two_object_pairs(xs, ys, ms)
print(f"{len(pairs)} two-object images")
two = {}
for m in ("guided_backprop", "saliency", "grad_cam"):
    for_a = attribution.METHODS[m](world.model, pairs, cls_a)
    for_b = attribution.METHODS[m](world.model, pairs, cls_b)
    two[m] = dict(a=for_a, b=for_b, same=metrics.spearman(for_a, for_b).mean(),
                  on_b=metrics.energy_in_mask(for_b, mask_b), on_a=metrics.energy_in_mask(for_b, mask_a))
    print(f"{m:<16} map for a vs map for b: Spearman {two[m]['same']:.2f} | map for b: "
          f"{two[m]['on_b'].mean():.0%} of its mass on object b, {two[m]['on_a'].mean():.0%} on object a")
gb, gc = two["guided_backprop"], two["grad_cam"]
claim("guided backprop: Spearman between the maps for a and for b", gb["same"], at_least=0.85)
claim("Grad-CAM: Spearman between the maps for a and for b", gc["same"], at_most=0.3)
claim("guided backprop's map for b: mass on object a / mass on object b",
      gb["on_a"].mean() / gb["on_b"].mean(), between=(0.7, 1.6))
claim("Grad-CAM's map for b: mass on object b / mass on object a", gc["on_b"].mean() / gc["on_a"].mean(),
      at_least=2.0);

# %% [markdown]
# One of the images: the one whose Grad-CAM ratio (mass on $b$ / mass on
# $a$) is the median of all of them.

# %%
ratio = gc["on_b"] / (gc["on_a"] + 1e-6)
k = int(np.argsort(ratio)[len(ratio) // 2])
ka, kb = world.class_names[cls_a[k]], world.class_names[cls_b[k]]
plotting.image_grid([pairs[k], gb["a"][k], gb["b"][k], gc["a"][k], gc["b"][k]],
                    ["two objects", f"guided: a = {ka}", f"guided: b = {kb}", f"Grad-CAM: a = {ka}",
                     f"Grad-CAM: b = {kb}"], cols=5, cell=2.4)

# %% [markdown]
# Guided backprop draws nearly the same picture whichever class we ask
# about, both objects included: the positive-only gates throw away the
# signal that tells classes apart, and what is left mostly reconstructs the
# image's edges (Nie, Zhang & Patel, 2018). Plain saliency is not much more
# class-sensitive on this network. Grad-CAM's two maps are unrelated, and
# each puts most of its mass on the object asked about, though not all of
# it. Lesson 10 tests the gradient maps further by
# randomizing the weights.
#
# ## 5. Explore
# Switch between guided backprop and saliency, and between classes.

# %%
from helpers.widgets.attribution import AttributionPanel
panel = AttributionPanel(spec, methods=["guided_backprop", "saliency"])
panel.run()
panel

# %% [markdown]
# ## Exercise: the guided rule by hand
# `X` is a ReLU's forward input, `G` the gradient arriving from above. What
# does guided backprop send back? Give a 3×3 array.

# %%
from helpers.exercises.lesson06 import G, X, q_guided_rule
print("X =\n", X, "\nG =\n", G)
answer = None    # your 3x3 array here
q_guided_rule.check(answer);

# %% [markdown]
# `q_guided_rule.hint()` and `q_guided_rule.solution()` help.
#
# ## Summary
# * The three rules differ only at the ReLU: backprop gates by $x>0$, the
#   deconvnet by $g>0$, guided backprop by both.
# * `guided_model` rebuilds the network's graph over its own layers with guided
#   ReLUs; forward is unchanged and the original model keeps its true gradients.
# * Guided backprop draws clean edges, but with two objects in the image its
#   map is nearly the same for either class, while Grad-CAM's moves to the
#   object asked about: clean is not the same as faithful.
#
# ## On your own
# * Use the deconvnet rule in the panel's place: `attribution.input_gradients(..., guided="deconvnet")`.
# * Compare guided maps for the top-1 and top-2 classes of an uploaded photo.
#
# ## Further reading
# * J. T. Springenberg et al., *Striving for Simplicity: The All Convolutional Net*, 2014.
# * M. Zeiler, R. Fergus, *Visualizing and Understanding Convolutional Networks*, ECCV 2014.
# * W. Nie, Y. Zhang, A. Patel, *A Theoretical Explanation for Perplexing
#   Behaviors of Backpropagation-based Visualizations*, ICML 2018.
