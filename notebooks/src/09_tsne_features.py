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
# * collect penultimate-layer features for a labelled image set, in batches;
# * map them to 2-D with t-SNE, from scratch and with the helper;
# * draw the map with image thumbnails, and ring the points that sit among another class;
# * measure the structure (k-NN accuracy, silhouette) against raw pixels and an untrained network;
# * check whether points out of place in the map are out of place in the features too;
# * see what the perplexity does.
#
# **What you'll learn**
# * what t-SNE preserves (neighbours) and what it does not (distances between clusters, sizes);
# * why a picture of clusters needs a baseline before it means anything.
#
# **What you'll need:** lesson 00 (the model spec); scikit-learn.
#
# The lesson maps the shapes CNN's features; the closing section maps VGG16's.

# %% [markdown]
# ## Parameters
# The images are fresh shapes images, drawn with a seed no model was trained on.

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
# the class scores (found generically: the input of the last, pre-softmax
# layer). A linear layer then turns it into scores, so after training the
# classes must be close to *linearly separable* in this space.
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
# ## 2. From scratch
# A feature model, a forward pass, scikit-learn's `TSNE` (seeded, PCA
# initialisation):

# %%
# For a flat model this is keras.Model(spec.model.inputs[0], spec.layer(layer).output);
# activations.feature_model builds the same and also reaches inside a nested base model.
feature_model = activations.feature_model(spec, layer)
first = np.asarray(feature_model(spec.preprocess(x[:64])))  # preprocess resizes to the input size
with threadpool_limits(1):  # a small map runs far faster on one thread than on many busy ones
    scratch = TSNE(2, perplexity=min(PERPLEXITY, (len(first) - 1) / 3), init="pca",
                   random_state=SEED).fit_transform(first)
print("features:", first.shape, "→ map:", scratch.shape)

# %% [markdown]
# The helpers do the same in batches (with a progress bar), resize images
# the model was not built for, and reduce wide features with PCA first:

# %%
feats = E.features(spec.model, x, layer=layer)
np.testing.assert_allclose(feats[:64], first, rtol=1e-4, atol=1e-5)
emb = E.tsne(feats, perplexity=min(PERPLEXITY, (len(x) - 1) / 3), seed=SEED)
print("features:", feats.shape, "→ map:", emb.shape)

# %% [markdown]
# ## 3. The map
# Each point is an image, coloured by its true class. Left, some points carry
# their thumbnail. Right, the same map without thumbnails: points whose five
# nearest neighbours in the map mostly belong to another class are ringed in
# black.

# %%
near = E.knn_predictions(emb, y)   # the class of each point's five nearest neighbours in the map
out_of_place = near != y
fig, (left, right) = plotting.new_figure(15, 6.8, ncols=2)
E.scatter(emb, y, class_names, images=x, thumbs=60, seed=SEED, ax=left,
          title=f"t-SNE of '{layer}' features (perplexity {PERPLEXITY})")
E.scatter(emb, y, class_names, highlight=out_of_place, ax=right, title="the same map: points out of place ringed")
left.get_legend().remove()
fig.tight_layout()
fig

# %% [markdown]
# ## 4. Is the picture telling the truth?
#
# Two numbers, each also computed for two baselines: **raw pixels** (no
# network at all) and an **untrained** copy of the same architecture (random
# weights, same seed every time).
#
# * **k-NN accuracy**: predict each image's class by a vote of its
#   $k = 5$ nearest neighbours; stratified 5-fold cross-validation with a
#   seeded shuffle (train on four folds, test on the fifth). We report it in
#   the 2-D map and in the full feature space.
# * **Silhouette** (Rousseeuw 1987): for point $i$, $a_i$ is the mean
#   distance to its own class and $b_i$ to the nearest other class;
#   $s = \mathrm{mean}_i\,(b_i - a_i)/\max(a_i, b_i) \in [-1, 1]$. We compute
#   it in the feature space, where the distances are the network's own. On
#   the 2-D map it would measure t-SNE's gaps and cluster sizes, which mean
#   little (section 5); the panel below prints the map's, to compare maps
#   with each other only.

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
print(f"chance level for k-NN: about {1 / len(class_names):.3f}")
claim("5-NN accuracy in the trained map", scores["trained"]["knn_accuracy"], at_least=0.9)
claim("the better 5-NN accuracy of the untrained network's map and the pixels' map",
      max(scores["untrained"]["knn_accuracy"], scores["pixels"]["knn_accuracy"]), at_most=0.25)
claim("5-NN accuracy in the trained map minus in its features",
      scores["trained"]["knn_accuracy"] - scores["trained"]["feature_knn_accuracy"], at_most=0.02);

# %%
E.panels({f"{n}: 5-NN {scores[n]['knn_accuracy']:.2f}": m for n, m in maps.items()}, y, class_names)

# %% [markdown]
# The untrained network and the pixels give a soup near chance level; the
# trained features give groups of one class each, though some classes touch
# or run alongside each other. What shows that the network *learned* this
# structure is the baselines: the same t-SNE, on the same images, finds no
# classes in the raw pixels or in an untrained network's features. That the
# map's k-NN accuracy is no higher than the features' says only that t-SNE
# added no class information; alone, it could not tell learned structure from
# structure already in the images.
#
# ## 5. Perplexity
#
# Small perplexities look at very few neighbours and break classes into
# fragments; large ones blur the fine structure and pull clusters together.
# Neither the distances *between* islands nor their sizes mean much in
# t-SNE; the neighbourhoods do.

# %%
perps = [p for p in (5, 30, 100) if p < len(x) / 3] or [5]
E.panels({f"perplexity {p}": E.tsne(feats, perplexity=p, seed=SEED) for p in perps}, y, class_names)

# %% [markdown]
# ## 6. Out of place in the map, or misclassified?
#
# A ringed point is one whose neighbours in the *map* belong to another
# class. That is not the same as an image the *network* gets wrong: the
# network decides with a linear layer on all 64 features, not by its
# neighbours in two dimensions. Compare the two sets:

# %%
net = spec.predict(x).argmax(1)
misclassified = net != y
out_in_features = E.knn_predictions(feats, y) != y   # the same 5-neighbour vote, among the 64-D features
print(f"out of place in the map: {int(out_of_place.sum())} | misclassified by the network: "
      f"{int(misclassified.sum())} | both: {int((out_of_place & misclassified).sum())} (of {len(x)} images)")
print(f"out of place among their 64-D neighbours: {int(out_in_features.sum())}, "
      f"{int((out_of_place & out_in_features).sum())} of them also out of place in the map")
claim("share of the images the network misclassifies", misclassified.mean(), at_most=0.03)
claim("share of the out-of-place points that the network classifies correctly",
      (out_of_place & ~misclassified).sum() / max(1, out_of_place.sum()), at_least=0.7)
claim("share of the map's out-of-place points already out of place among their 64-D neighbours",
      (out_of_place & out_in_features).sum() / max(1, out_of_place.sum()), at_least=0.5)
claim("share of the points out of place in the features that stay out of place in the map",
      (out_of_place & out_in_features).sum() / max(1, out_in_features.sum()), at_least=0.9)
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
# them: the network decides with a linear layer on all 64 features, not by
# a vote of neighbours. Nor are most of them t-SNE's doing: more than half
# are already out of place among their five nearest neighbours in the 64-D
# features, and nearly every point out of place there stays out of place in
# the map. The features themselves put these images near another class;
# t-SNE adds a few more.

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
# ## Exercise: k-NN accuracy by hand
# `POINTS` holds 18 points of a 2-D map and `LABELS` their classes. Compute
# the leave-one-out `K`-NN accuracy: each point is classified by a vote of
# its `K` nearest *other* points; the answer is the fraction classified
# correctly.

# %%
from helpers.exercises.lesson09 import K, LABELS, POINTS, q_knn
answer = None    # a number between 0 and 1
q_knn.check(answer);

# %% [markdown]
# ## On a real ImageNet network
# VGG16's penultimate layer holds 4096 features. A t-SNE of those features
# for thousands of ImageNet photos groups them by content: dogs with dogs,
# boats with boats (Karpathy's "t-SNE visualization of CNN codes"). Here the
# same helpers map the sample photos, each in four views (as it is, mirrored,
# and two crops), so each photo is a small "class" of its own. With ImageNet
# weights, expect a photo's views to sit together; this section runs where
# the weights can be fetched (on Colab, say).

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
    E.scatter(vgg_map, owner, list(photos), images=views, thumbs=len(views), seed=SEED,
              title="t-SNE of VGG16's penultimate features: four views per photo")

# %% [markdown]
# `q_knn.hint()` and `q_knn.solution()` help.
#
# ## Summary
# * The penultimate layer is the network's own description of an image; t-SNE draws it in 2-D, keeping neighbours.
# * Seed t-SNE and initialise it with PCA, or two runs give two different pictures.
# * Measure: 5-NN accuracy and silhouette, against raw pixels and an untrained network.
# * Perplexity trades local detail for global shape; cluster sizes and gaps carry little meaning.
# * A point out of place in the map is not a mistake of the network: most of them are classified correctly.
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
