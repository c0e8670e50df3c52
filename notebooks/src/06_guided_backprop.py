# %% [markdown]
# # 06 · Guided backprop: change the ReLU's backward rule
#
# Saliency maps (lesson 05) are speckled. Springenberg et al. (2014)
# reported that one small change to back-propagation gives sharper-looking
# pictures of ImageNet photos: let a ReLU pass a gradient back only when it
# is *positive*. This lesson shows the rule, what it does on the shapes CNN,
# and a warning sign.
#
# **What you'll do**
# * compare the backward rules of backprop, the deconvnet and guided backprop, side by side;
# * build a model whose ReLUs use the guided rule, without touching the original;
# * compare guided and plain gradients on images;
# * work guided backprop through a two-layer network by hand.
#
# **What you'll learn**
# * how one line of the backward pass changes the picture;
# * why a map that looks like the object is not necessarily about the class you asked for.
#
# **What you'll need:** lesson 05.

# %% [markdown]
# ## Parameters

# %%
MODEL = "auto"     # the shapes CNN; "vgg16" etc. runs the whole lesson on another model (the text describes the shapes CNN)
N_IMAGES = 2       # sample images in the figures of section 3
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
# At each ReLU, guided backprop passes a unit's signal back only when the
# unit was active in the forward pass *and* the signal arriving from above,
# already filtered by the layers above, is positive. On a small random example:

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
print("guided gradient from TensorFlow:", tape.gradient(out, v).numpy() + 0.0)    # + 0.0 turns -0 into 0
print("the rule of the table, in NumPy:", backward_rule(v.numpy(), [1.0, 1.0, -3.0, 2.0], "guided") + 0.0)

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
yes = {True: "yes", False: "no"}
same = bool(np.allclose(guided_net(batch), logits(batch), atol=1e-4))
print("Does the guided graph give the model's logits?", yes[same])
guided = attribution.input_gradients(spec.model, batch, classes, guided="guided")
after = attribution.input_gradients(spec.model, batch, classes)
print("Are the model's own gradients unchanged afterwards?", yes[bool(np.array_equal(before, after))])
print("Do the guided gradients differ from them?", yes[not np.allclose(guided, before)])

# %% [markdown]
# ## 3. What the rules draw
#
# The raw gradients have three colour channels, so we can look at them as
# images: mid-grey is 0, and each gradient image is scaled by its own
# largest value. One row per image.

# %%
deconv = attribution.input_gradients(spec.model, batch, classes, guided="deconvnet")

# display only: centre each gradient image on grey, scaled by its largest value
cols = [batch] + [0.5 + 0.5 * g / (np.abs(g).max(axis=(1, 2, 3), keepdims=True) + 1e-12)
                  for g in (before, deconv, guided)]
labels = ["image", "backprop", "deconvnet", "guided backprop"]
plotting.image_grid([col[i] for i in range(len(names)) for col in cols],
                    [n if j == 0 else l for n in names for j, l in enumerate(labels)], cols=len(cols), cell=3.0)

# %% [markdown]
# Backprop and guided backprop both mark the object and leave the
# background nearly flat grey. The deconvnet covers the whole image with a fine
# grid-like texture in which the object is faint or hardly visible: it
# ignores the forward gate, so every position sends a signal back,
# object or not. On this small network guided backprop is not the
# crisp picture Springenberg et al. showed for ImageNet photos: it is only
# a little less speckled than plain backprop. As maps (the largest absolute
# value over colours, like saliency; each map scaled to its own maximum):

# %%
gb_maps = attribution.guided_backprop(spec.model, batch, classes)
sal_maps = attribution.saliency(spec.model, batch, classes)
plotting.map_table(batch, {"saliency": sal_maps, "guided backprop": gb_maps}, names, cell=3.0)

# %% [markdown]
# The two columns look much alike: most of each map is speckle over and
# just around the object (on the circle, brightest in a band along its
# outline), a little smoother for guided backprop; faint patches can show
# elsewhere too, for example near an image's edge. Neither is a clean line drawing of edges.
#
# ## 4. A warning sign: does it care about the class?
#
# A map that explains a *class* should change when we ask about another
# class, and the cleanest test has two objects in one picture. We paste an
# object of class $b$ into an image of class $a$, for every ordered pair of
# the shapes classes, and compute each method's map for $a$ and for $b$.
# Per method: the rank correlation between the two maps (1 = the same
# picture whatever we ask), and the shares of the map for $b$ (the sum of its
# positive values) that fall on object $b$, on object $a$ and on neither.
# Grad-CAM (lesson 07: a coarse map from the last convolution's channels,
# weighted by the class's gradient) is the comparison. The test needs the shapes world, so it uses the shapes CNN
# whatever `MODEL` is.

# %%
world = spec if spec.name == "shapes" else load_model("shapes")
xs, ys, ms = shapes.make_shapes(config.samples(200), seed=SEED + 5)
pairs, cls_a, cls_b, mask_a, mask_b = metrics.two_object_pairs(xs, ys, ms)
print(f"{len(pairs)} two-object images")
two = {}
for m in ("guided_backprop", "saliency", "grad_cam"):
    label = attribution.LABELS[m]
    for_a = attribution.METHODS[m](world.model, pairs, cls_a)
    for_b = attribution.METHODS[m](world.model, pairs, cls_b)
    two[m] = dict(a=for_a, b=for_b, same=metrics.spearman(for_a, for_b).mean(),
                  on_b=metrics.energy_in_mask(for_b, mask_b), on_a=metrics.energy_in_mask(for_b, mask_a))
    on_b, on_a = two[m]["on_b"].mean(), two[m]["on_a"].mean()
    print(f"{label}: the maps for a and for b correlate at {two[m]['same']:.2f}; the map for b puts "
          f"{on_b:.1%} of its mass on object b, {on_a:.1%} on object a and {1 - on_b - on_a:.1%} on neither.")
gb, gc = two["guided_backprop"], two["grad_cam"]
claim("the correlation of guided backprop's maps for a and for b", gb["same"], at_least=0.85, quiet=True)
claim("the correlation of saliency's maps for a and for b", two["saliency"]["same"], at_least=0.8, quiet=True)
claim("the correlation of Grad-CAM's maps for a and for b", gc["same"], at_most=0.3, quiet=True)
claim("the ratio of the mass guided backprop's map for b puts on object a to that on object b",
      gb["on_a"].mean() / gb["on_b"].mean(), between=(0.7, 1.6), quiet=True)
claim("the ratio of the mass Grad-CAM's map for b puts on object b to that on object a",
      gc["on_b"].mean() / gc["on_a"].mean(), at_least=2.0, quiet=True)
claim("the share of guided backprop's map for b that lies on neither object",
      1 - gb["on_b"].mean() - gb["on_a"].mean(), at_least=0.4, quiet=True)
claim("the share of Grad-CAM's map for b that lies on neither object",
      1 - gc["on_b"].mean() - gc["on_a"].mean(), at_least=0.5, quiet=True);

# %% [markdown]
# One of the images: the one whose Grad-CAM ratio (mass on $b$ / mass on
# $a$) is the median of all of them.

# %%
ratio = gc["on_b"] / (gc["on_a"] + 1e-6)
k = int(np.argsort(ratio)[len(ratio) // 2])
ka, kb = world.class_names[cls_a[k]], world.class_names[cls_b[k]]
plotting.image_grid([pairs[k], gb["a"][k], gb["b"][k], gc["a"][k], gc["b"][k]],
                    ["two objects", f"guided: a = {ka}", f"guided: b = {kb}", f"Grad-CAM: a = {ka}",
                     f"Grad-CAM: b = {kb}"], cols=5, cell=2.4, vmin=0, vmax=1,
                    colorbar="share of the map's maximum")

# %% [markdown]
# Guided backprop draws nearly the same picture whichever class we ask
# about: speckle over both objects, and its map for $b$ puts about as much
# mass on object $a$ as on object $b$. Plain saliency is hardly more
# class-sensitive on this network, so here the blindness belongs to the
# input-gradient maps in general, not to guided backprop's gates alone. For
# guided backprop on ImageNet networks, Nie, Zhang & Patel (2018) explain it:
# the positive-only gates discard most of the signal that tells classes
# apart, so what is left depends mostly on the image (on photos, mostly its
# edges; the last section shows it when ImageNet weights are available).
# Grad-CAM's two maps are unrelated, and its map for $b$
# puts several times more mass on object $b$ than on object $a$.
#
# Much of every map's mass lies on neither object: the gradient maps'
# speckle spreads just around the objects, and Grad-CAM, at the last conv
# layer's coarse resolution (lesson 07), spills over the background.
# Lesson 10 tests the gradient maps further by randomizing the weights.
#
# ## 5. Explore
# Switch between guided backprop and saliency, and between classes.

# %%
from helpers.widgets.attribution import AttributionPanel
panel = AttributionPanel(spec, methods=["guided_backprop", "saliency"])
panel.run()
panel

# %% [markdown]
# ## Exercise: guided backprop through two ReLUs
# A tiny network with an input `x0` (3 values) and two ReLU layers:
#
# $$h = \mathrm{ReLU}(W_1 x_0), \qquad u = \mathrm{ReLU}(W_2 h), \qquad s = c^\top u .$$
#
# What does guided backprop give as the "gradient" of the score $s$ with
# respect to `x0`? Use the rule of section 1 at every ReLU; a gate is open
# only for a *strictly* positive value, and a closed gate sends 0. Work by
# hand or with NumPy (no TensorFlow needed); answer with an array of 3
# numbers.

# %%
from helpers.exercises.lesson06 import W1, W2, c, q_guided_chain, x0
print(f"x0 = {x0}\nW1 =\n{W1}\nW2 =\n{W2}\nc = {c}")
answer = None    # your 3 numbers here
q_guided_chain.check(answer);

# %% [markdown]
# `q_guided_chain.hint()` nudges, `q_guided_chain.solution()` shows the
# answer. Compare it with the true gradient: how many paths from `x0` to
# the score survive the guided gates?
#
# ## On a real ImageNet network
# The same comparison on VGG16 (Simonyan & Zisserman 2014), trained on
# ImageNet, with two of the course's sample photos: the raw gradient images
# of plain backprop and guided backprop, drawn as in section 3, when
# VGG16's ImageNet weights can be loaded (online, e.g. Colab). What the
# literature reports for such networks:
# guided backprop's pictures of photos look far sharper than plain
# gradients (Springenberg et al. 2014), but they hardly change when the
# network's weights are replaced by random ones (Adebayo et al. 2018), and
# they largely reconstruct the image's edges (Nie et al. 2018).

# %%
from helpers.models import load_imagenet
net = load_imagenet("vgg16")
if net is not None:
    photos = list(net.sample_images().items())[:2]
    pics = np.stack([p for _, (p, _) in photos])
    pcls = [c for _, (_, c) in photos]
    grey = [0.5 + 0.5 * g / (np.abs(g).max(axis=(1, 2, 3), keepdims=True) + 1e-12)
            for g in (attribution.input_gradients(net.model, pics, pcls),
                      attribution.input_gradients(net.model, pics, pcls, guided="guided"))]
    display(plotting.image_grid([im for i in range(len(pics)) for im in (pics[i], grey[0][i], grey[1][i])],
                                [t for n, (_, c) in photos for t in (f"{n}: {net.class_names[c]}", "backprop",
                                                                     "guided backprop")], cols=3, cell=3.2))

# %% [markdown]
# ## Summary
# * The three rules differ only at the ReLU: backprop gates by $x>0$, the
#   deconvnet by $g>0$, guided backprop by both.
# * `guided_model` rebuilds the network's graph over its own layers with guided
#   ReLUs; forward is unchanged and the original model keeps its true gradients.
# * With two objects in the image, guided backprop's map (and plain saliency's) is nearly the same
#   for either class, while Grad-CAM's moves to the object asked about: a map
#   that lies on the objects is not necessarily about the class you asked for.
#
# ## On your own
# * Use the deconvnet rule in the panel's place: `attribution.input_gradients(..., guided="deconvnet")`.
# * Compare guided maps for the top-1 and top-2 classes of an uploaded photo.
# * Two methods that no lesson teaches are in `attribution.REGISTRY` (and in the panels) too:
#   gradient × input (the gradient times the image, pixel by pixel) and HiResCAM (Draelos & Carin
#   2020: Grad-CAM without averaging the gradient over space, so each position's activations are
#   weighted by the gradient at that position). Try `attribution.attribute(model, images, classes,
#   method="hirescam")` next to `method="grad_cam"`.
#
# ## Further reading
# * J. T. Springenberg et al., *Striving for Simplicity: The All Convolutional Net*, 2014.
# * M. Zeiler, R. Fergus, *Visualizing and Understanding Convolutional Networks*, ECCV 2014.
# * W. Nie, Y. Zhang, A. Patel, *A Theoretical Explanation for Perplexing
#   Behaviors of Backpropagation-based Visualizations*, ICML 2018.
