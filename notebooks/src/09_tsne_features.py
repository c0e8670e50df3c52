# %% [markdown]
# # 09 · t-SNE of learned features
#
# The layer just before the class scores holds the network's final
# description of an image: 64 numbers on the shapes CNN, 4096 on VGG16. If
# the network has learned something, images of the same class should have
# similar descriptions. We cannot look at 64 dimensions, but **t-SNE** can
# draw them in two, keeping neighbours together, and a few numbers can tell
# us whether the picture is telling the truth.
#
# **What you'll do**
# * compute t-SNE's neighbour probabilities by hand, then map the features to 2-D;
# * measure the features and the map (k-NN accuracy; the silhouette of the features) against raw pixels and an
#   untrained network;
# * check whether points out of place in the map are out of place in the features too.
#
# **What you'll learn**
# * what t-SNE preserves (neighbours) and what it does not (distances between clusters, sizes);
# * why a picture of clusters needs a baseline before it means anything.
#
# **What you'll need:** lesson 00 (the model spec); scikit-learn.

# %% [markdown]
# ## Parameters

# %%
MODEL = "auto"          # the shapes CNN; "vgg16" etc. runs the whole lesson on another model (the text describes the shapes CNN)
N_IMAGES = 1000         # how many images to map
PERPLEXITY = 30         # t-SNE's effective number of neighbours
DATA_SEED = 31337       # which images (the shapes CNN was trained on seeds 1000 and 1001)
SEED = 0                # t-SNE, thumbnails and the untrained network

# %%
import numpy as np
from sklearn.manifold import TSNE
from threadpoolctl import threadpool_limits
from helpers import activations, config, plotting
from helpers.claims import claim
from helpers import embedding as E
from helpers.models import load_model

spec = load_model(MODEL)
x, y, class_names = E.dataset(spec, config.samples(N_IMAGES), seed=DATA_SEED)
layer = E.penultimate_layer(spec.model)
print(f"{len(x)} images {x.shape[1:]}, {len(class_names)} classes; penultimate layer: {layer!r}")

# %% [markdown]
# ## 1. The idea
#
# **Features.** $f(x) \in \mathbb{R}^d$ is the output of the layer that feeds
# the class scores (on the shapes CNN, `gap`: one mean per channel of the
# last conv layer). A linear layer turns it into scores, so after
# training the classes must be close to *linearly separable* in this space.
#
# **t-SNE** (van der Maaten and Hinton, 2008) turns distances into
# neighbour probabilities, in the feature space with a Gaussian whose width
# $\sigma_i$ is set per point,
#
# $$p_{j|i} = \frac{\exp(-\lVert f_i - f_j\rVert^2 / 2\sigma_i^2)}{\sum_{k\neq i}\exp(-\lVert f_i - f_k\rVert^2 / 2\sigma_i^2)},\qquad p_{ij} = \frac{p_{j|i}+p_{i|j}}{2n},$$
#
# and in the 2-D map with a heavy-tailed Student-t,
#
# $$q_{ij} = \frac{(1+\lVert y_i - y_j\rVert^2)^{-1}}{\sum_{k\neq l}(1+\lVert y_k - y_l\rVert^2)^{-1}},$$
#
# then moves the points $y_i$ to minimise $\mathrm{KL}(P\,\Vert\,Q) = \sum_{i\neq j} p_{ij}\log\frac{p_{ij}}{q_{ij}}$.
# The **perplexity** $2^{H(P_i)}$ fixes each $\sigma_i$: roughly, how many
# neighbours each point pays attention to (5 to 50 are usual).
#
# ## 2. From scratch: the neighbour probabilities
# A feature model and a forward pass give the features of the first 64
# images. Then $P$ by hand: for each point a bisection finds the width
# $\sigma_i$ (through $\beta_i = 1/2\sigma_i^2$) whose row has the chosen
# perplexity (entropy in nats here: $e^{H}$, the same number as $2^{H}$ in
# bits). With only 64 points the code caps the perplexity at
# $(64-1)/3 = 21$.

# %%
# For a flat model this is keras.Model(spec.model.inputs[0], spec.layer(layer).output);
# activations.feature_model builds the same and also reaches inside a nested base model.
feature_model = activations.feature_model(spec, layer)
first = np.asarray(feature_model(spec.preprocess(x[:64])), np.float64)  # preprocess resizes to the input size
perp = min(PERPLEXITY, (len(first) - 1) / 3)
d2 = ((first[:, None] - first[None]) ** 2).sum(-1)      # squared distances ‖f_i − f_j‖²
cond, reached = np.zeros_like(d2), []                   # p_{j|i}, one row per point; each row's perplexity
for i in range(len(first)):
    lo, hi = -30.0, 30.0                                  # bisection on log β_i
    for _ in range(100):
        beta = np.exp((lo + hi) / 2)
        row = np.exp(-beta * (d2[i] - np.delete(d2[i], i).min()))  # shifted for stability; cancels below
        row[i] = 0.0
        row /= row.sum()
        entropy = -(row[row > 0] * np.log(row[row > 0])).sum()
        lo, hi = ((lo + hi) / 2, hi) if entropy > np.log(perp) else (lo, (lo + hi) / 2)
    cond[i] = row
    reached.append(np.exp(entropy))
P = (cond + cond.T) / (2 * len(first))                    # p_ij
with threadpool_limits(1):  # a small map runs far faster on one thread than on many busy ones
    ours = TSNE(2, perplexity=perp, init="pca", method="exact", random_state=SEED)
    scratch = ours.fit_transform(first)
q = 1.0 / (1.0 + ((scratch[:, None] - scratch[None]) ** 2).sum(-1))
np.fill_diagonal(q, 0.0)
Q = q / q.sum()                                           # q_ij of the map
kl = float((P[P > 0] * np.log(P[P > 0] / Q[P > 0])).sum())
print(f"The rows' perplexities run from {min(reached):.2f} to {max(reached):.2f} (target {perp:g}); P sums to "
      f"{P.sum():.3f}. For the map that scikit-learn's TSNE draws from the same features, KL(P‖Q) with our P is "
      f"{kl:.3f}; TSNE's own value is {ours.kl_divergence_:.3f}.")
claim("KL with our P over TSNE's own KL", kl / ours.kl_divergence_, between=(0.95, 1.05), quiet=True);

# %% [markdown]
# The minimisation of the KL divergence we leave to scikit-learn. The
# helpers compute the features in batches, resize images the model was
# not built for, and reduce wide features with PCA first:

# %%
feats = E.features(spec.model, x, layer=layer)
np.testing.assert_allclose(feats[:64], first, rtol=1e-4, atol=1e-5)
emb = E.tsne(feats, perplexity=min(PERPLEXITY, (len(x) - 1) / 3), seed=SEED)
print("features:", feats.shape, "→ map:", emb.shape)

# %% [markdown]
# ## 3. The map
# Each point is an image, coloured by its true class. Left, some points carry
# their thumbnail. Right, without thumbnails: points whose five
# nearest neighbours in the map mostly belong to another class are ringed in
# black. The axes carry no meaning: $\mathrm{KL}(P\Vert Q)$ depends only
# on distances in the map, so a turned or mirrored map is just as good.

# %%
near = E.knn_predictions(emb, y)   # the class of each point's five nearest neighbours in the map
out_of_place = near != y
fig, (left, right) = plotting.new_figure(15, 6.8, ncols=2)
E.scatter(emb, y, class_names, images=x, thumbs=40, seed=SEED, ax=left,
          title=f"t-SNE of '{layer}' features (perplexity {PERPLEXITY})")
E.scatter(emb, y, class_names, highlight=out_of_place, ax=right, title="the same map: points out of place ringed")
left.get_legend().remove()
fig.tight_layout()
fig

# %% [markdown]
# ## 4. Is the picture telling the truth?
#
# Two numbers, each also computed for two baselines: **raw pixels** and
# an **untrained** copy of the same architecture (random weights).
#
# * **k-NN accuracy**: predict each image's class by a vote of its
#   $k = 5$ nearest neighbours; stratified 5-fold cross-validation with a
#   seeded shuffle.
# * **Silhouette** (Rousseeuw 1987): for point $i$, $a_i$ is the mean
#   distance to its own class and $b_i$ to the nearest other class;
#   $s = \mathrm{mean}_i\,(b_i - a_i)/\max(a_i, b_i) \in [-1, 1]$: near 1
#   for tight classes far apart, near 0 when classes are as spread out as
#   the gaps between them. We compute it in the feature space, where the
#   distances are the network's own; on the 2-D map it would measure t-SNE's
#   gaps and cluster sizes, which mean little (section 5). The panel of
#   section 7 prints the map's, only to compare maps.

# %%
sources = {"trained": feats, "untrained": E.features(E.untrained_twin(spec.model, seed=SEED), x),
           "pixels": E.pixels(x)}
maps, scores = {}, {}
print(f"{'features':>10}{'5-NN in the map':>17}{'5-NN in the features':>22}{'silhouette (features)':>23}")
for name, f in sources.items():
    maps[name] = emb if name == "trained" else E.tsne(f, perplexity=min(PERPLEXITY, (len(x) - 1) / 3), seed=SEED)
    scores[name] = dict(E.metrics(f, maps[name], y, seed=SEED), feature_silhouette=E.silhouette(f, y))
    sc = scores[name]
    print(f"{name:>10}{sc['knn_accuracy']:>17.3f}{sc['feature_knn_accuracy']:>22.3f}{sc['feature_silhouette']:>23.3f}")
print(f"Guessing the class at random would give a k-NN accuracy of about {1 / len(class_names):.3f}.")
claim("5-NN accuracy in the trained map", scores["trained"]["knn_accuracy"], at_least=0.9, quiet=True)
claim("the better 5-NN accuracy of the untrained network's map and the pixels' map",
      max(scores["untrained"]["knn_accuracy"], scores["pixels"]["knn_accuracy"]), at_most=0.25, quiet=True)
claim("5-NN accuracy in the trained map minus in its features",
      abs(scores["trained"]["knn_accuracy"] - scores["trained"]["feature_knn_accuracy"]), at_most=0.03, quiet=True)
claim("silhouette of the trained features", scores["trained"]["feature_silhouette"], between=(0.05, 0.4), quiet=True)
claim("silhouette of the baselines' features (the larger)",
      max(scores["untrained"]["feature_silhouette"], scores["pixels"]["feature_silhouette"]), at_most=0.0, quiet=True);

# %%
from sklearn.cluster import KMeans

light = x.mean(axis=(1, 2, 3)) > 0.5        # the shapes world draws a dark object on a light field, or the reverse
for name in ("untrained", "pixels"):
    halves = KMeans(2, n_init=10, random_state=SEED).fit_predict(maps[name])
    match = max((halves == light).mean(), (halves != light).mean())
    print(f"The {name} map's two halves (k-means, two clusters) separate light from dark backgrounds "
          f"for {match:.0%} of the images.")
    claim(f"agreement of the {name} map's two halves with the background's brightness", match, at_least=0.9, quiet=True)
E.panels({f"{n}: 5-NN {scores[n]['knn_accuracy']:.2f}": m for n, m in maps.items()}, y, class_names)

# %% [markdown]
# The untrained network and the pixels give a class soup near chance
# level, split in two: what dominates raw pixels (and an untrained
# network's features of them) is the background's brightness, not the
# shape. The trained features give groups of one class each, though some
# classes touch or run alongside each other. The baselines show that the
# network *learned* this structure: the same t-SNE on the same images
# finds no classes in them.
#
# In each row the map's 5-NN accuracy is close to the features' (t-SNE
# never sees the labels): the map kept how pure the features' neighbourhoods
# are; whether it kept *which* images are neighbours, the exercise
# measures. The trained features' silhouette is small and positive, the
# baselines' at or below zero: an image's five nearest neighbours are
# almost always of its class, yet classes are spread out and close to each
# other, not tight balls far apart.
#
# ## 5. Perplexity
#
# Small perplexities look at very few neighbours and break classes into
# fragments; large ones blur the fine structure and pull clusters together.
# Neither the distances *between* islands nor their sizes mean much; the
# neighbourhoods do.

# %%
perps = [p for p in (5, 30, 100) if p < len(x) / 3] or [5]
E.panels({f"perplexity {p}": E.tsne(feats, perplexity=p, seed=SEED) for p in perps}, y, class_names)

# %% [markdown]
# ## 6. Out of place in the map, or misclassified?
#
# A ringed point sits among another class in the *map*. That is not the
# same as an image the *network* gets wrong: the
# network decides with a linear layer on all 64 features, not by a vote of
# neighbours in two dimensions. Compare the two sets:

# %%
net = spec.predict(x).argmax(1)
misclassified = net != y
out_in_features = E.knn_predictions(feats, y) != y   # the same 5-neighbour vote, among the 64-D features
both = out_of_place & out_in_features
print(f"Of the {len(x)} images, {int(out_of_place.sum())} are out of place in the map and the network misclassifies "
      f"{int(misclassified.sum())}; {int((out_of_place & misclassified).sum())} are both.")
print(f"{int(out_in_features.sum())} images are out of place among their five nearest neighbours in the 64-D "
      f"features; {int(both.sum())} of them stay out of place in the map, which adds "
      f"{int((out_of_place & ~out_in_features).sum())} of its own.")
claim("share of the images the network misclassifies", misclassified.mean(), at_most=0.03, quiet=True)
claim("share of the out-of-place points that the network classifies correctly",
      (out_of_place & ~misclassified).sum() / max(1, out_of_place.sum()), at_least=0.7, quiet=True)
claim("share of the map's out-of-place points already out of place among their 64-D neighbours",
      both.sum() / max(1, out_of_place.sum()), between=(0.5, 0.75), quiet=True)
claim("share of the points out of place in the features that stay out of place in the map",
      both.sum() / max(1, out_in_features.sum()), at_least=0.9, quiet=True)
show = [*np.flatnonzero(misclassified)[:6], *np.flatnonzero(out_of_place & ~misclassified)[:6]]
kind = ["misclassified" if misclassified[i] else "out of place" for i in show]
if show:
    fig = plotting.image_grid(x[show], [f"{k}: {class_names[y[i]]}\nnet: {spec.class_names[net[i]]}, map: {class_names[near[i]]}"
                                        for k, i in zip(kind, show)], cols=6, cell=2.0)
else:
    fig = None
    print("no image is misclassified or out of place")
fig

# %% [markdown]
# The first images (if any) are those the network gets wrong; the others
# are classified correctly but sit among another class in the map. The
# network makes few mistakes, and most out-of-place points are not among
# them. More than half of the map's out-of-place points are already out
# of place in the 64-D features, and nearly every point out of place
# there stays out of place in the map: the features themselves put these
# images near another class. The rest, a large minority, are t-SNE's own:
# squeezing 64 dimensions into two moves some images next to another class.

# %% [markdown]
# ## 7. Your turn: the t-SNE panel
# Change the perplexity, the number of images and the features (trained,
# untrained, raw pixels), then press **Run**. The title gives the map's
# 5-NN accuracy and silhouette.

# %%
from helpers.widgets.embedding import EmbeddingPanel

panel = EmbeddingPanel(spec)
panel.controls["samples"].value = min(400, N_IMAGES)
panel.run()
panel

# %% [markdown]
# ## Exercise: how many neighbours does the map keep?
# t-SNE promises to keep neighbours. Check it. Take the first `N` images
# (200 at full size). For each of them find its 5 nearest *other* images
# among those `N`, once in the features `feats[:N]` and once in the map
# `emb[:N]` (Euclidean distance; ties go to the lower index, as
# `np.argsort(..., kind="stable")` does). What share of the 5 feature-space
# neighbours are also map neighbours, averaged over the `N` images? Give a
# number between 0 and 1; within 0.005 of the right value passes.
# `q_nn.hint()` gives a nudge, `q_nn.solution()` the answer.

# %%
from helpers.exercises.lesson09 import neighbours_exercise
N = min(200, len(x))
q_nn = neighbours_exercise(feats[:N], emb[:N], y[:N])
answer = None    # a number between 0 and 1
q_nn.check(answer);

# %% [markdown]
# ## On a real ImageNet network
# VGG16's penultimate layer holds 4096 features. A t-SNE of such features
# for thousands of ImageNet photos groups them by content: dogs with dogs,
# boats with boats (Karpathy's "t-SNE visualization of CNN codes" did it with
# the 4096 fc7 features of an AlexNet-style ImageNet network). Here the
# same helpers map the sample photos, each in four views (as it is, mirrored,
# and two crops), so each photo is a small "class" of its own; this section
# runs where the weights can be fetched (on Colab, say).

# %%
from helpers import images
from helpers.models import load_imagenet

net = load_imagenet("vgg16")
if net is not None:
    photos = net.sample_images()
    views, owner = [], []
    for k, (img, _) in enumerate(photos.values()):
        h, w = img.shape[:2]
        for view in (img, img[:, ::-1], img[: 3 * h // 4, : 3 * w // 4], img[h // 4:, w // 4:]):
            views.append(images.resize(view, net.input_size))
            owner.append(k)
    views, owner = np.stack(views), np.array(owner)
    vgg_feats = E.features(net.model, views, layer=E.penultimate_layer(net.model))
    vgg_map = E.tsne(vgg_feats, perplexity=min(5, (len(views) - 1) / 3), seed=SEED)
    same = (E.knn_predictions(vgg_feats, owner, k=1) == owner).mean()
    print(f"{len(views)} views of {len(photos)} photos, {vgg_feats.shape[1]} features each; "
          f"nearest view in the features is of the same photo for {same:.0%}")
    display(E.scatter(vgg_map, owner, list(photos), images=views, thumbs=len(views), seed=SEED,
                      title="t-SNE of VGG16's penultimate features: four views per photo"))

# %% [markdown]
# ## Summary
# * The penultimate layer is the network's own description of an image; t-SNE draws it in 2-D, keeping neighbours.
# * t-SNE turns distances into neighbour probabilities $P$ and draws a map whose $Q$ matches them.
# * Measure: 5-NN accuracy and silhouette, against raw pixels and an untrained network. On section 4's
#   images the trained features give pure neighbourhoods, but classes neither compact nor far apart.
# * Perplexity trades local detail for global shape; cluster sizes and gaps carry little meaning.
# * A point out of place in the map is not necessarily a mistake of the network.
#
# ## On your own
# * Map an earlier layer (`E.features(spec.model, x, layer=spec.layers["late"])`): where does the class structure appear?
# * Compare model A with its twin `load_model("shapes_b")`: same islands?
# * Colour the map by the object's size or position (`helpers.shapes`) instead of its class.
#
# ## Further reading
# * L. van der Maaten, G. Hinton, *Visualizing Data using t-SNE*, JMLR 2008.
# * M. Wattenberg, F. Viégas, I. Johnson, *How to Use t-SNE Effectively*, Distill 2016.
# * A. Karpathy, *t-SNE visualization of CNN codes* (ImageNet images arranged by their features).
