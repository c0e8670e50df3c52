# %% [markdown]
# # 07 · Grad-CAM and the CAM family
#
# Gradient maps (lessons 05 and 06) go back to the pixels. The **CAM
# family** starts from the last convolutional layer, whose feature maps
# still know *where* things are and already know *what* they are. CAM,
# Grad-CAM, Grad-CAM++ and Score-CAM give each of those feature maps one
# weight and differ in the weights; Layer-CAM weights each position, and
# guided Grad-CAM multiplies Grad-CAM by guided backprop's pixel map.
#
# **What you'll do**
# * check that plain CAM is the logit spread over space;
# * compute Grad-CAM from scratch, then with the helper;
# * compare six members of the family on the same images;
# * put two objects in one image and ask for each class.
#
# **What you'll learn:** what each method's weights are; why weights that
# can be negative separate two classes better.
#
# **What you'll need:** lessons 01 and 05; lesson 06 for guided backprop.

# %% [markdown]
# ## Parameters

# %%
MODEL = "auto"  # the shapes CNN; "vgg16" etc. runs the whole lesson on another model (the text describes the shapes CNN)
LAYER = None    # None = the last convolutional layer
N_IMAGES = 3    # sample images in the family figure
SEED = 0        # which shapes are drawn for the two-object test

# %%
import warnings
import numpy as np
import tensorflow as tf
from helpers import attribution, cams, metrics, plotting, shapes
from helpers.activations import feature_model, upsample
from helpers.claims import claim
from helpers.models import load_model

warnings.filterwarnings("ignore", message=".*all zeros.*")
spec = load_model(MODEL)
layer = LAYER or spec.layers["last_conv"]
samples = spec.sample_images()
name, (image, cls) = next(iter(samples.items()))
print(f"Explaining '{spec.class_names[cls]}' on the {name} image, at layer {layer}.")

# %% [markdown]
# ## 1. CAM: the logit spread over space
#
# Write $x$ for the image, $A^k$ for channel $k$ of the last convolutional
# layer (an $h'\times w'$ map, $Z = h'w'$ positions $(i,j)$) and $z_c(x)$ for
# the logit of class $c$. The shapes CNN ends as CAM (Zhou et al., 2016)
# requires: that layer, global average pooling, then one dense layer with
# weights $w_{kc}$ and bias $b_c$. So
#
# $$z_c = \sum_k w_{kc}\,\frac{1}{Z}\sum_{i,j} A^k_{ij} + b_c
#       = \frac{1}{Z}\sum_{i,j} M^c_{ij} + b_c, \qquad M^c = \sum_k w_{kc} A^k .$$
#
# The CAM $M^c$ *is* the logit, spread over positions. `cams.cam` refuses
# other architectures.

# %%
try:
    M = cams.cam_coarse(spec.model, image[None], cls)[0]
    bias = float(spec.logits_model.get_layer(cams.cam_layers(spec.model)[1]).bias[cls])
    logit = float(spec.logits_model(image[None])[0, cls])
    print(f"CAM is {M.shape[0]}x{M.shape[1]}; its mean plus the bias is {M.mean() + bias:.4f}, the logit {logit:.4f}.")
    claim("the gap between CAM's mean plus bias and the logit", abs(M.mean() + bias - logit), at_most=1e-3,
          fast=True, quiet=True)
except cams.CamNotApplicable as err:
    print("CAM does not apply to this model:", err)

# %% [markdown]
# ## 2. Grad-CAM
#
# Selvaraju et al. (2017) work with any CNN: channel $k$'s weight is its
# gradient averaged over positions; a ReLU keeps what speaks *for* the class:
#
# $$\alpha_k^c = \frac{1}{Z}\sum_{i,j} \frac{\partial z_c}{\partial A^k_{ij}}, \qquad
# L^c_{\text{Grad-CAM}} = \mathrm{ReLU}\Big(\sum_k \alpha_k^c A^k\Big).$$
#
# On CAM's architecture the gradient is the constant $w_{kc}/Z$, so Grad-CAM
# there is CAM with its negative part cut off. The ReLU acts on the *sum*: a
# channel with a negative weight subtracts wherever it fires. Some texts put
# it inside, $\sum_k \mathrm{ReLU}(\alpha_k^c A^k) = \sum_k \mathrm{ReLU}(\alpha_k^c)\,A^k$
# (as $A^k \ge 0$): only positive-weight channels count, nothing subtracts
# (`relu="channels"` in the helper).
#
# From scratch:

# %%
grad_model = feature_model(spec.logits_model, [layer, spec.logits_model.layers[-1].name])
with tf.GradientTape() as tape:
    A, logits = grad_model(tf.constant(image[None]))  # A: [1, h', w', K]
    z_c = logits[:, cls]
grads = tape.gradient(z_c, A)                           # dz_c / dA
alpha = tf.reduce_mean(grads, axis=(1, 2))[0]           # alpha_k^c: one weight per channel
L = tf.nn.relu(tf.reduce_sum(A[0] * alpha, axis=-1)).numpy()
L = L / L.max()
helper = attribution.grad_cam(spec.model, image[None], cls, layer=layer)[0]
print(f"feature maps {tuple(A.shape)}, Grad-CAM {L.shape}, upsampled to the image's {helper.shape}")
up = upsample(L, helper.shape)
print(f"Upsampled and rescaled, our map and the helper's differ by at most {np.abs(up / up.max() - helper).max():.5f}.")
print(f"{int(np.sum(alpha > 0))} of {alpha.shape[0]} channels have a positive weight.")

# %% [markdown]
# Upsampled, each cell of the 16×16 map covers 4×4 pixels: that is
# Grad-CAM's resolution.
#
# ## 3. The family
#
# CAM, Grad-CAM, Grad-CAM++ and Score-CAM give each channel $A^k$ one
# weight; Layer-CAM weights each position of each channel; guided Grad-CAM
# is a product of two maps. With $g^k_{ij} = \partial z_c/\partial A^k_{ij}$:
#
# * **Grad-CAM++** (Chattopadhay et al., 2018) weighs each position's gradient:
#   $$\alpha_k^c = \sum_{i,j} a^{kc}_{ij}\,\mathrm{ReLU}(g^k_{ij}), \qquad
#   a^{kc}_{ij} = \frac{(g^k_{ij})^2}{2(g^k_{ij})^2 + \sum_{a,b} A^k_{ab}\,(g^k_{ij})^3}.$$
#   This closed form of the paper's second and third derivatives holds only if the score explained is
#   $\exp(z_c)$, with $z_c$ piecewise linear in $A$: then they are $e^{z_c}g^2$ and $e^{z_c}g^3$.
# * **Score-CAM** (Wang et al., 2020) uses no gradient. Each channel, upsampled and scaled to [0, 1]
#   ($H^k$), masks the image; its gain $s_k = z_c(x \odot H^k) - z_c(\text{black image})$ becomes a weight
#   $\alpha_k = e^{s_k}/\sum_{k'} e^{s_{k'}}$ (a softmax); the map is $\mathrm{ReLU}(\sum_k \alpha_k A^k)$.
#   (The paper scores probabilities; the helper, logits.)
# * **Layer-CAM** (Jiang et al., 2021) keeps each position's own gradient:
#   $L_{ij} = \mathrm{ReLU}\big(\sum_k \mathrm{ReLU}(g^k_{ij})\,A^k_{ij}\big)$.
# * **Guided Grad-CAM** (Selvaraju et al.) multiplies the guided-backprop map (lesson 06) by the upsampled
#   Grad-CAM: guided backprop's detail, kept where Grad-CAM is.
#
# Grad-CAM++, Score-CAM and Layer-CAM share one trait: **no weight is ever
# negative**. Grad-CAM++ and Layer-CAM drop negative gradients (weight 0
# there); Score-CAM's softmax weights are all positive, never exactly 0.

# %%
family = {attribution.LABELS[m]: attribution.get(m).function      # display names from the registry
          for m in ("cam", "grad_cam", "grad_cam_plus_plus", "score_cam", "layer_cam", "guided_grad_cam")}
names = list(samples)[:N_IMAGES]
batch, classes = np.stack([samples[n][0] for n in names]), [samples[n][1] for n in names]
maps = {}
for title, method in family.items():
    try:
        maps[title] = method(spec.model, batch, classes, layer=layer)
    except cams.CamNotApplicable as err:
        print(f"{title} skipped: {err}")
plotting.map_table(batch, maps, [f"asked: {spec.class_names[c]}" for c in classes])

# %% [markdown]
# Each panel is scaled to [0, 1] by its own maximum, negative values set
# to 0. For CAM that is a choice: $M^c$ is signed, but its column shows
# only the positive part, exactly Grad-CAM's ReLU. So CAM and Grad-CAM give
# the same map, as section 2 predicts (section 4 uses the negative part).
# Guided Grad-CAM is the sharpest. Since this network's gradient is the same at
# every position, Layer-CAM at the last layer is exactly the ReLU-inside
# variant:

# %%
if "CAM" in maps:  # CAM's architecture, at CAM's layer
    inside = attribution.grad_cam(spec.model, batch, classes, layer=layer, relu="channels")
    gap = float(np.abs(maps["Layer-CAM"] - inside).max())
    print(f"Layer-CAM and Grad-CAM with the ReLU inside differ by at most {gap:.1e} at any pixel.")
    claim("the largest difference between Layer-CAM and Grad-CAM with the ReLU inside", gap, at_most=1e-4,
          fast=True, quiet=True)

# %% [markdown]
# ## 4. Two objects, two classes
#
# A map is *class-discriminative* when asking for another class moves it.
# For every ordered pair of the 8 classes we paste an object of the second
# into an image of the first and ask for each class: 112 maps per method.
# We measure each map's share of mass inside the asked object's mask and
# inside the other's, and whether its peak hits each object (lies on its
# mask or within 3 px of it).

# %%
on_shapes = spec.name.startswith("shapes")
if on_shapes:
    xs, ys, ms = shapes.make_shapes(64, seed=SEED + 5)
    pairs, cls_a, cls_b, mask_a, mask_b = metrics.two_object_pairs(xs, ys, ms)
    X, asked = np.concatenate([pairs, pairs]), np.concatenate([cls_a, cls_b])
    own, other = np.concatenate([mask_a, mask_b]), np.concatenate([mask_b, mask_a])
    stats, rows = {}, [f"{'':16}{'mass on asked':>14}{'on other':>10}{'more on asked':>15}{'peak hits asked':>17}{'on other':>10}"]
    for title, method in family.items():
        if title != "CAM":                                # CAM: identical to Grad-CAM here
            m = method(spec.model, X, asked, layer=layer)
            e_own, e_other = metrics.energy_in_mask(m, own), metrics.energy_in_mask(m, other)
            stats[title] = (e_own.mean(), e_other.mean(), np.mean(e_own > e_other))
            rows.append(f"{title:16}{e_own.mean():>14.0%}{e_other.mean():>10.0%}{np.mean(e_own > e_other):>15.0%}"
                        f"{metrics.pointing_game(m, own).mean():>17.0%}{metrics.pointing_game(m, other).mean():>10.0%}")
    print("\n".join(rows))
else:
    print("The two-object test uses the shapes world's masks; it runs on the shapes CNN only.")

# %%
if on_shapes:
    more = {t: float(v[2]) for t, v in stats.items()}
    claim("Grad-CAM's mean share of mass on the asked object", float(stats["Grad-CAM"][0]), between=(0.25, 0.45),
          quiet=True)
    claim("Grad-CAM's mean share of mass on the other object", float(stats["Grad-CAM"][1]), at_most=0.12, quiet=True)
    claim("the share of maps where Grad-CAM puts more mass on the asked object", more["Grad-CAM"], at_least=0.75,
          quiet=True)
    claim("Grad-CAM's lead in that share over the best never-negative method",
          more["Grad-CAM"] - max(more[t] for t in ("Grad-CAM++", "Score-CAM", "Layer-CAM")), at_least=0.15, quiet=True)
    claim("the gap between guided Grad-CAM and Grad-CAM in that share",
          abs(more["guided Grad-CAM"] - more["Grad-CAM"]), at_most=0.1, quiet=True)
    raw = np.stack([upsample(r, X.shape[1:3]) for r in cams.cam_coarse(spec.model, X, asked)])  # before the ReLU
    negative = float(np.mean([r[o].mean() < 0 for r, o in zip(raw, other)]))
    print(f"Before its ReLU, Grad-CAM's sum (CAM's M^c, up to the factor 1/Z) is negative on average over "
          f"the other object in {negative:.0%} of the maps.")
    claim("the share of maps whose sum before the ReLU is negative over the other object", negative, at_least=0.5,
          quiet=True)
    k = int(np.flatnonzero((cls_a == 0) & (cls_b == 7))[0])  # the circle with a star pasted in
    two = {t: np.stack([family[t](spec.model, pairs[k][None], c, layer=layer)[0] for c in (0, 7)])
           for t in ("Grad-CAM", "Grad-CAM++", "Score-CAM", "Layer-CAM")}
    display(plotting.map_table(np.stack([pairs[k]] * 2), two, [f"asked: {spec.class_names[c]}" for c in (0, 7)],
                               outlines=[np.stack([mask_a[k], mask_b[k]]), np.stack([mask_b[k], mask_a[k]])],
                               suptitle="solid cyan: the asked object; dashed white: the other"))

# %% [markdown]
# The figure shows one pair; the table is the evidence. Grad-CAM's map is no
# silhouette: about a third of its mass lies on the asked object, most of
# the rest on the background around it. But on average little lands on
# the other object, and in most maps it puts more mass on the asked
# object than on the other (the table's "more on asked" column).
# Grad-CAM++, Score-CAM and Layer-CAM do that clearly less often.
#
# The weights explain much of this. Over the other object, channels with negative
# weights for the asked class fire: in more than half of the maps, Grad-CAM's
# sum there is negative before its ReLU, which removes it. A method whose
# weights are never negative can at best give those channels weight 0
# (Score-CAM's softmax gives every channel a positive one) and cannot
# subtract them; the other object still lights up wherever a
# positive-weight channel fires on it. Guided Grad-CAM keeps Grad-CAM's
# region and scores close to it.

# %% [markdown]
# ## 5. Explore
# Ask for a class that is *not* in the image: what does each method show?

# %%
from helpers.widgets.attribution import AttributionPanel

panel = AttributionPanel(spec, methods=["grad_cam", "grad_cam_plus_plus", "guided_grad_cam"], layer=layer)
panel.run()
panel

# %% [markdown]
# ## Exercise: Layer-CAM by hand
#
# `ACTS` holds three 4×4 feature maps (shape `[4, 4, 3]`, all ≥ 0) and
# `GRADS` the gradient $g^k_{ij}$ of a class score for each value. Compute
# the Layer-CAM map of section 3, divided by its maximum: a 4×4 array,
# compared to within 0.0001. Why does the last ReLU change nothing?
# `q_layer_cam.hint()` nudges, `q_layer_cam.solution()` answers.

# %%
from helpers.exercises.lesson07 import ACTS, GRADS, q_layer_cam

answer = None  # your 4x4 map here
q_layer_cam.check(answer);

# %% [markdown]
# ## On a real ImageNet network
#
# The same helpers on VGG16 (Simonyan & Zisserman, 2015) and the sample
# photos, when its ImageNet weights can be loaded. Its last convolutional
# layer, `block5_conv3` (512 channels, 14×14), feeds max pooling and dense
# layers: CAM does not apply, and Grad-CAM's gradients vary over positions.
# Score-CAM scores only the 64 most active channels (`max_channels=64`), a
# shortcut, not the paper's method. The Grad-CAM, Score-CAM and Layer-CAM
# papers all show VGG16 examples.

# %%
from helpers.models import load_imagenet

net = load_imagenet("vgg16")
if net is not None:
    photos = net.sample_images()
    pnames = list(photos)[:2]
    pbatch, pclasses = np.stack([photos[n][0] for n in pnames]), [photos[n][1] for n in pnames]
    try:
        cams.cam(net.model, pbatch[:1], pclasses[:1])
    except cams.CamNotApplicable as err:
        print("CAM:", err)
    vgg = {"Grad-CAM": attribution.grad_cam(net.model, pbatch, pclasses),
           "Grad-CAM++": attribution.grad_cam_plus_plus(net.model, pbatch, pclasses),
           "Score-CAM (64 channels)": cams.score_cam(net.model, pbatch, pclasses, max_channels=64),
           "Layer-CAM": cams.layer_cam(net.model, pbatch, pclasses)}
    display(plotting.map_table(pbatch, vgg, [f"asked: {net.class_names[c]}" for c in pclasses], cell=2.6))

# %% [markdown]
# ## Summary
# * On conv → global average pooling → dense, CAM is the logit spread over space.
# * Grad-CAM $= \mathrm{ReLU}(\sum_k \alpha_k^c A^k)$, $\alpha_k^c$ the channel's mean gradient: any CNN,
#   as coarse as the layer.
# * ReLU outside: negative weights subtract. ReLU inside: only positive-weight channels count (as $A \ge 0$).
# * Grad-CAM++ assumes the score $\exp(z_c)$; Score-CAM weights channels by masked forward passes;
#   Layer-CAM weights positions by their positive gradient; guided Grad-CAM is a product of two maps.
# * On two-object images Grad-CAM separates the classes more often than the never-negative methods.
#
# ## On your own
# * Compare `relu="sum"` and `relu="channels"` on the two-object images.
# * Run Layer-CAM at `conv2` and `conv3`: Jiang et al. use earlier layers for finer maps. Does it help here?
#
# ## Further reading
# * B. Zhou et al., *Learning Deep Features for Discriminative Localization* (CAM), CVPR 2016.
# * R. R. Selvaraju et al., *Grad-CAM: Visual Explanations from Deep Networks via Gradient-based
#   Localization*, ICCV 2017.
# * A. Chattopadhay et al., *Grad-CAM++: Generalized Gradient-based Visual Explanations for Deep
#   Convolutional Networks*, WACV 2018 (the exponential score: section 3).
# * H. Wang et al., *Score-CAM: Score-Weighted Visual Explanations for Convolutional Neural Networks*,
#   CVPR Workshops 2020.
# * P.-T. Jiang et al., *LayerCAM: Exploring Hierarchical Class Activation Maps for Localization*,
#   IEEE Transactions on Image Processing 2021.
