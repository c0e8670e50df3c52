# %% [markdown]
# # 05 · Guided backprop: change the ReLU's backward rule
#
# Saliency maps (lesson 04) are speckled. In 2014 Springenberg et al. found
# that one small change to back-propagation gives crisp, almost
# photographic pictures: let a ReLU pass a gradient back only when it is
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
# **What you'll need:** lesson 04.

# %% [markdown]
# ## Parameters

# %%
MODEL = "auto"     # "auto", "shapes", "vgg16"
N_IMAGES = 4       # images in the comparison grid
SEED = 0

# %%
import numpy as np
import tensorflow as tf
from helpers import attribution, config, metrics, plotting
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
# (`Conv2D(..., activation="relu")`). `guided_model` **clones** the model,
# puts the guided ReLU into every layer that had a ReLU, and copies the
# weights. Forward, the clone computes exactly the same thing; only its
# gradients differ. The original model is left alone; let's check both claims.

# %%
logits = spec.logits_model
clone = guided_model(logits)
before = attribution.input_gradients(spec.model, batch, classes)
print("same forward pass:", np.allclose(clone(batch), logits(batch), atol=1e-4))
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
                    cols=len(names), cell=2.6)

# %% [markdown]
# Guided backprop draws the object's outline and texture with far less noise.
# As a map (the largest absolute value over colours, like saliency):

# %%
gb_maps = attribution.guided_backprop(spec.model, batch, classes)
sal_maps = attribution.saliency(spec.model, batch, classes)
plotting.image_grid([*sal_maps, *gb_maps], [f"saliency: {n}" for n in names] + [f"guided: {n}" for n in names],
                    cols=len(names), cell=2.6, cmap="inferno")

# %% [markdown]
# ## 4. A warning sign: does it care about the class?
#
# A map that explains a *class* should change when we ask about another
# class. Let's compare each image's map for its own class and for a
# different one, by rank correlation (1 = the same picture).

# %%
other = [(c + 1) % len(spec.class_names) for c in classes]
same_gb = metrics.spearman(gb_maps, attribution.guided_backprop(spec.model, batch, other))
same_sal = metrics.spearman(sal_maps, attribution.saliency(spec.model, batch, other))
print(f"guided backprop, own vs other class: {same_gb.mean():.2f}")
print(f"saliency,        own vs other class: {same_sal.mean():.2f}")
plotting.bar_chart(["guided backprop", "saliency"], [same_gb.mean(), same_sal.mean()],
                   title="same map for another class? (Spearman)", ylim=(0, 1))

# %% [markdown]
# Guided backprop gives almost the same picture whatever class we ask
# about: the positive-only gates throw away the signal that tells classes
# apart, and what is left mostly reconstructs the image's edges (Nie, Zhang
# & Patel, 2018). Lesson 09 tests this properly by randomizing the weights.
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
from helpers.exercises.lesson05 import G, X, q_guided_rule
print("X =\n", X, "\nG =\n", G)
answer = None    # your 3x3 array here
q_guided_rule.check(answer)

# %% [markdown]
# `q_guided_rule.hint()` and `q_guided_rule.solution()` help.
#
# ## Summary
# * The three rules differ only at the ReLU: backprop gates by $x>0$, the
#   deconvnet by $g>0$, guided backprop by both.
# * `guided_model` clones the network with guided ReLUs; forward is unchanged
#   and the original model keeps its true gradients.
# * Guided backprop draws crisp edges, but nearly the same picture for every
#   class: crisp is not the same as faithful.
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
