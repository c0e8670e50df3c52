# %% [markdown]
# # 07 · Grad-CAM: class activation maps
#
# Gradient maps (lessons 05 and 06) go all the way back to the pixels.
# **Grad-CAM** stops at the last convolutional layer, whose feature maps
# still know *where* things are and already know *what* they are, and asks
# which of those maps matter for a class.
#
# **What you'll do**
# * compute Grad-CAM from scratch from the lecture's formula, then with the helper;
# * see that plain CAM, on a conv → pooling → dense network, is the logit itself, and equals Grad-CAM there;
# * look at Grad-CAM layer by layer;
# * put two objects in one image and ask for each class in turn;
# * meet Grad-CAM++ and guided Grad-CAM.
#
# **What you'll learn**
# * what the channel weights $\alpha_k^c$ are and why there is a ReLU;
# * why Grad-CAM is coarse but class-discriminative.
#
# **What you'll need:** lessons 01 and 05.

# %% [markdown]
# ## Parameters

# %%
MODEL = "auto"        # "auto", "shapes", "vgg16"
LAYER = None          # None = the last convolutional layer
N_IMAGES = 3
SEED = 0

# %%
import numpy as np
import tensorflow as tf
from helpers import attribution, metrics, plotting, shapes
from helpers.claims import claim
from helpers.activations import feature_model, upsample
from helpers.models import load_model

spec = load_model(MODEL)
layer = LAYER or spec.layers["last_conv"]
samples = spec.sample_images()
name = next(iter(samples))
image, cls = samples[name]
print(f"explaining '{spec.class_names[cls]}' on {name} at layer {layer}")

# %% [markdown]
# ## 1. The formula
#
# Let $A^{(L)}_{i,j,k}$ be the activations of the final convolutional layer
# $L$ (row $i$, column $j$, channel $k$) and $f_c(I)$ the score of class $c$
# for image $I$ (its logit). How much does the score depend on channel $k$?
# Average the gradient over the channel's positions:
#
# $$\alpha_k^c = \frac{1}{|I \times J|}\sum_{i,j} \frac{\partial f_c(I)}{\partial A^{(L)}_{i,j,k}}.$$
#
# The heatmap is the $\alpha$-weighted sum of the feature maps, with a ReLU
# $\phi$ that keeps only what speaks *for* the class, scaled by its maximum:
#
# $$S_{i,j} = \frac{1}{S_{\max}}\,\phi\Big(\sum_k \alpha_k^c A^{(L)}_{i,j,k}\Big).$$
#
# This is Selvaraju et al. (2017). The lecture notes write the ReLU *inside*
# the sum, $\sum_k \phi(\alpha_k^c A_{i,j,k})$: that keeps every channel with
# a positive weight and drops the ones that vote against the class. The
# helper does both (`relu="sum"`, the default, or `relu="channels"`).
#
# ## 2. From scratch

# %%
grad_model = feature_model(spec.logits_model, [layer, spec.logits_model.layers[-1].name])
x = tf.constant(image[None])
with tf.GradientTape() as tape:
    A, logits = grad_model(x)                     # A: [1, h', w', K]
    f_c = logits[:, cls]
grads = tape.gradient(f_c, A)                     # df_c / dA
alpha = tf.reduce_mean(grads, axis=(1, 2))[0]     # alpha_k^c: one weight per channel
S = tf.nn.relu(tf.reduce_sum(A[0] * alpha, axis=-1)).numpy()
S = S / S.max()
print("feature maps:", A.shape, " heatmap:", S.shape)

# %% [markdown]
# The map has the feature maps' size (printed above: 16×16 on the shapes
# CNN, 14×14 on VGG16); to lay it over the image we upsample it bilinearly.
# That grid is Grad-CAM's resolution: one cell of the shapes CNN's map
# covers 4×4 pixels, and lesson 10 shows what that costs on thin shapes.
# The helper does all of this for a batch in one compiled function:

# %%
helper = attribution.grad_cam(spec.model, image[None], cls, layer=layer)[0]
print("Spearman, scratch (upsampled) vs helper:",
      metrics.spearman(upsample(S, image.shape[:2])[None], helper[None])[0].round(4))
plotting.image_grid([image, S, plotting.heatmap_overlay(image, helper, 0.5)],
                    [name, f"S at {layer} {S.shape}", "Grad-CAM over the image"], cols=3, cell=4)

# %% [markdown]
# ## 3. Plain CAM: where Grad-CAM is exact
#
# Grad-CAM generalises an older method, **CAM** (Zhou et al., 2016), which
# needs one architecture: the last conv layer, then global average pooling
# (GAP), then one dense layer with weights $w_{kc}$ and bias $b_c$. The
# shapes CNN is built that way. Then the logit is
#
# $$f_c = \sum_k w_{kc}\,\frac{1}{HW}\sum_{i,j} A_{ijk} + b_c = \frac{1}{HW}\sum_{i,j} M^c_{ij} + b_c,
# \qquad M^c = \sum_k w_{kc} A_k:$$
#
# the map $M^c$ *is* the logit, spread over space, with no gradient. Its
# gradient is constant, $\partial f_c/\partial A_{ijk} = w_{kc}/HW$, so
# Grad-CAM's $\alpha_k^c$ is $w_{kc}/HW$ and Grad-CAM at that layer is CAM.
# `helpers.cams` checks the architecture and says why when CAM does not
# apply (VGG16's classifier, for one, flattens instead of pooling):

# %%
from helpers import cams

try:
    feat, dense = cams.cam_layers(spec.model)
    M = cams.cam_coarse(spec.model, image[None], cls)[0]
    b = float(np.asarray(spec.logits_model.get_layer(dense).bias)[cls])
    print(f"CAM layers: {feat} → GAP → {dense} | mean(M) + b = {M.mean() + b:.4f}, logit = {float(logits[0, cls]):.4f}")
    claim("|mean(M) + b − logit|", abs(M.mean() + b - float(logits[0, cls])), at_most=1e-3, fast=True)
    if layer == feat:
        relu_M = np.maximum(M, 0) / np.maximum(M, 0).max()
        claim("largest difference, CAM vs the from-scratch Grad-CAM S", np.abs(relu_M - S).max(), at_most=1e-4, fast=True)
except cams.CamNotApplicable as err:
    print("CAM does not apply to this model:", err)

# %% [markdown]
# ## 4. Layer by layer
#
# Any feature-map layer can play $L$, but the method was designed for the
# last one, whose channels already stand for parts of the class.

# %%
layers = spec.conv_layers[-4:]
per_layer = [attribution.grad_cam(spec.model, image[None], cls, layer=l)[0] for l in layers]
plotting.image_grid([plotting.heatmap_overlay(image, m, 0.5) for m in per_layer], layers, cols=len(layers),
                    cell=3, suptitle=f"Grad-CAM for '{spec.class_names[cls]}'")

# %% [markdown]
# On the shapes CNN, `conv3` and `conv4` outline the circle; `conv2` lights
# one small spot under it and `conv1` only a faint edge. Early channels
# detect edges and colours everywhere, and one average gradient per channel
# says little about where the class is.

# %% [markdown]
# ## 5. Two objects, two classes
#
# Grad-CAM is *class-discriminative*: ask for another class and the map
# moves. We take an image of a circle and paste a star into it (through the
# star's mask, as far from the circle as the image allows), then ask for each
# class in turn. With VGG16 there is no two-object photo among the samples:
# the cell then shows one photo's two best classes, which are often two
# names for the same object, so it is no test of this property.

# %%
if spec.name.startswith("shapes"):
    xs, ys, ms = shapes.make_shapes(64, seed=SEED + 5)
    i, j = int(np.flatnonzero(ys == 0)[0]), int(np.flatnonzero(ys == 7)[0])
    pair, mask_a, mask_b = metrics.two_object_image(xs, ms, i, j)
    pair_classes = [0, 7]
else:
    pair = image
    pair_classes = [int(c) for c in np.argsort(-spec.predict(image[None])[0])[:2]]
cams = attribution.grad_cam(spec.model, np.stack([pair, pair]), pair_classes)
probs = spec.predict(pair[None])[0]
if spec.name.startswith("shapes"):
    for c, cam_c, own, other in zip(pair_classes, cams, (mask_a, mask_b), (mask_b, mask_a)):
        print(f"map for {spec.class_names[c]}: {metrics.energy_in_mask(cam_c, own)[0]:.0%} of its mass on its own "
              f"object, {metrics.energy_in_mask(cam_c, other)[0]:.0%} on the other one")
    claim("each map has more mass on its own object than on the other",
          all(metrics.energy_in_mask(c, o)[0] > metrics.energy_in_mask(c, t)[0]
              for c, o, t in zip(cams, (mask_a, mask_b), (mask_b, mask_a))))
plotting.image_grid([pair, *[plotting.heatmap_overlay(pair, c, 0.5) for c in cams]],
                    ["two objects", *[f"{spec.class_names[c]} (p={probs[c]:.2f})" for c in pair_classes]],
                    cols=3, cell=4)

# %% [markdown]
# One image, two answers: each map lies mostly on its own object, though
# not only there (a little of each map spills onto the other object), and
# the network's probabilities (in the titles) need not be balanced for the
# maps to separate. Lesson 06 measured the same on every pair of classes.
#
# ## 6. Grad-CAM++ and guided Grad-CAM
#
# **Grad-CAM++** (Chattopadhay et al., 2018) weighs each position's
# gradient before averaging, so that several instances of a class, or a
# large object, count fully:
#
# $$\alpha_k^c = \sum_{i,j} a^{kc}_{ij}\,\mathrm{ReLU}\Big(\frac{\partial f_c}{\partial A_{ijk}}\Big),
# \qquad a^{kc}_{ij} = \frac{g_{ijk}^2}{2 g_{ijk}^2 + \sum_{a,b} A_{abk}\, g_{ijk}^3},\quad g = \frac{\partial f_c}{\partial A}.$$
#
# **Guided Grad-CAM** multiplies the coarse, class-discriminative Grad-CAM
# map with the fine, class-blind guided-backprop map (lesson 06): sharp
# details, only where the class is.

# %%
names = list(samples)[:N_IMAGES]
batch = np.stack([samples[n][0] for n in names])
classes = [samples[n][1] for n in names]
methods = ["grad_cam", "grad_cam_plus_plus", "guided_backprop", "guided_grad_cam"]
maps = {m: attribution.attribute(spec.model, batch, classes, method=m) for m in methods}
cells = [im for k in range(len(names)) for im in (batch[k], *[maps[m][k] for m in methods])]
plotting.image_grid(cells, ["image", *methods] * len(names), cols=5, cell=2.2)

# %% [markdown]
# Grad-CAM++ looks much like Grad-CAM here, often a little fuller (on the
# circle it covers the whole outline where Grad-CAM draws part of it).
# Lesson 10 shows why: its weights are never negative, so its map stays
# close to the layer's total activity, whatever the class, and it keeps
# much of its picture even on a network with random weights. Guided
# Grad-CAM is guided backprop's detail cut to Grad-CAM's region.

# %% [markdown]
# ## 7. Explore
# Choose a layer and a class: the map follows. Try the two-object idea on
# your own uploaded photo.

# %%
from helpers.widgets.attribution import AttributionPanel
panel = AttributionPanel(spec, methods=["grad_cam", "grad_cam_plus_plus", "guided_grad_cam"], layer=layer)
panel.run()
panel

# %% [markdown]
# ## Exercise: Grad-CAM by hand
# `ACTS` holds three 4×4 feature maps (`[4, 4, 3]`) and `GRADS` the gradient
# of a class score with respect to them. Compute the Grad-CAM map: a 4×4
# array scaled so that its maximum is 1.

# %%
from helpers.exercises.lesson07 import ACTS, GRADS, q_cam
answer = None    # your 4x4 map here
q_cam.check(answer);

# %% [markdown]
# `q_cam.hint()` and `q_cam.solution()` help.
#
# ## Summary
# * $\alpha_k^c$ is the average gradient of the class score over channel $k$ of the last conv layer.
# * On conv → GAP → dense, CAM's $\sum_k w_{kc} A_k$ averages to the logit, and Grad-CAM there equals CAM.
# * Grad-CAM $= \mathrm{ReLU}(\sum_k \alpha_k^c A_k)$, upsampled: coarse, but it moves with the class.
# * Grad-CAM++ weights positions; guided Grad-CAM adds guided backprop's detail.
# * With two objects, each class's map lies mostly on its own object.
# * Grad-CAM++ looks fuller, but is close to class-free activity (lesson 10).
#
# ## On your own
# * Compare `relu="sum"` and `relu="channels"` on a few images: where do they differ?
# * Ask for the class of an object that is *not* in the image: what does the map show?
#
# ## Further reading
# * R. R. Selvaraju et al., *Grad-CAM: Visual Explanations from Deep Networks
#   via Gradient-based Localization*, ICCV 2017.
# * A. Chattopadhay et al., *Grad-CAM++: Generalized Gradient-based Visual
#   Explanations for Deep Convolutional Networks*, WACV 2018.
# * B. Zhou et al., *Learning Deep Features for Discriminative Localization* (CAM), CVPR 2016.
