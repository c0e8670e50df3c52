"""Embeddings: penultimate features, seeded t-SNE, k-NN and silhouette against ground truth."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import embedding as E
from conftest import assert_weights_equal, weights_snapshot


def _blobs(n_per=30, classes=4, spread=0.3, seed=0):
    """Well separated Gaussian blobs in 10-D: a case with a known answer."""
    r = np.random.default_rng(seed)
    centres = r.normal(size=(classes, 10)) * 5
    x = np.concatenate([c + spread * r.normal(size=(n_per, 10)) for c in centres]).astype(np.float32)
    y = np.repeat(np.arange(classes), n_per)
    return x, y


def test_penultimate_layer_is_found_generically(shapes_spec, tiny_model, tiny_sequential):
    assert E.penultimate_layer(shapes_spec.model) == "gap"
    assert E.penultimate_layer(tiny_model) == "gap"       # separate softmax layer
    assert E.penultimate_layer(tiny_sequential) == "gap"  # softmax fused into the Dense


def test_features_match_a_direct_forward_pass_and_leave_the_model_alone(tiny_model):
    import keras

    snap, n_layers = weights_snapshot(tiny_model), len(tiny_model.layers)
    x = np.random.default_rng(0).uniform(size=(10, 8, 8, 3)).astype(np.float32)
    f = E.features(tiny_model, x, batch_size=3, progress=False)
    want = keras.Model(tiny_model.inputs[0], tiny_model.get_layer("gap").output)(x)
    np.testing.assert_allclose(f, np.asarray(want), rtol=1e-5, atol=1e-6)
    conv = E.features(tiny_model, x, layer="c2", progress=False)  # feature maps are averaged over positions
    assert conv.shape == (10, 6)
    np.testing.assert_allclose(conv, f, rtol=1e-5, atol=1e-6)  # gap is exactly that average
    assert_weights_equal(tiny_model, snap)
    assert len(tiny_model.layers) == n_layers


def test_features_stop_early_when_the_callback_says_so(tiny_model):
    x = np.zeros((9, 8, 8, 3), np.float32)
    f = E.features(tiny_model, x, batch_size=2, progress=False, callback=lambda done, total: done < 2)
    assert len(f) == 4


def test_unknown_layer_lists_valid_names(tiny_model):
    from helpers.models import LayerNotFoundError

    with pytest.raises(LayerNotFoundError, match="Valid layer names"):
        E.features(tiny_model, np.zeros((2, 8, 8, 3), np.float32), layer="nope", progress=False)


def test_tsne_is_seeded_and_keeps_blobs_apart():
    x, y = _blobs()
    a = E.tsne(x, perplexity=10, seed=3)
    b = E.tsne(x, perplexity=10, seed=3)
    np.testing.assert_array_equal(a, b)
    c = E.tsne(x, perplexity=25, seed=3)
    assert not np.allclose(a, c)  # a different perplexity gives a different map
    assert E.knn_accuracy(a, y) == 1.0
    assert E.silhouette(a, y) > 0.6


def test_tsne_rejects_a_perplexity_above_the_point_count():
    x, _ = _blobs(n_per=5)
    with pytest.raises(ValueError, match="perplexity 50"):
        E.tsne(x, perplexity=50)


def test_knn_accuracy_and_silhouette_tell_structure_from_noise():
    x, y = _blobs()
    shuffled = np.random.default_rng(1).permutation(y)
    assert E.knn_accuracy(x, y) == 1.0
    assert E.knn_accuracy(x, shuffled) < 0.5  # chance is 0.25
    assert E.silhouette(x, y) > 0.8 and abs(E.silhouette(x, shuffled)) < 0.1
    pred = E.knn_predictions(x, y)
    assert (pred == y).all()


def test_untrained_twin_is_a_fresh_seeded_copy(shapes_spec):
    model = shapes_spec.model
    snap = weights_snapshot(model)
    a, b = E.untrained_twin(model, seed=1), E.untrained_twin(model, seed=1)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert not np.allclose(a.get_weights()[0], model.get_weights()[0])
    assert_weights_equal(model, snap)


def test_untrained_twin_of_another_model_redraws_weights(tiny_model):
    snap = weights_snapshot(tiny_model)
    twin = E.untrained_twin(tiny_model, seed=2)
    assert [w.shape for w in twin.get_weights()] == [w.shape for w in snap]
    assert not np.allclose(twin.get_weights()[0], snap[0])
    assert_weights_equal(tiny_model, snap)


def test_learned_features_separate_shapes_far_better_than_pixels(shapes_spec):
    """The shapes CNN's penultimate features group classes; raw pixels barely do (chance is 1/8)."""
    from helpers.shapes import make_shapes

    # 40 images a class: with 20, a 5-fold k-NN estimate swings by several points
    x, y, _ = make_shapes(320, seed=424243)
    feats = E.features(shapes_spec.model, x, progress=False)
    assert feats.shape == (320, 64)
    learned, raw = E.knn_accuracy(feats, y), E.knn_accuracy(E.pixels(x), y)
    assert learned > 0.85
    assert raw < 0.45
    emb = E.tsne(feats, perplexity=20, seed=0)
    assert E.knn_accuracy(emb, y) > 0.8


def test_scatter_draws_points_thumbnails_and_rings():
    from matplotlib.offsetbox import AnnotationBbox

    x, y = _blobs(n_per=6)
    imgs = np.random.default_rng(0).uniform(size=(len(y), 8, 8, 3))
    wrong = np.zeros(len(y), bool)
    wrong[:3] = True
    fig = E.scatter(x[:, :2], y, ["a", "b", "c", "d"], images=imgs, thumbs=5, highlight=wrong)
    ax = fig.axes[0]
    assert sum(isinstance(a, AnnotationBbox) for a in ax.artists) == 5
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["a", "b", "c", "d", "out of place in the map (3)"]
    fig = E.scatter(x[:, :2], y, ["a", "b", "c", "d"], highlight=wrong, highlight_label="misclassified")
    assert fig.axes[0].get_legend().get_texts()[-1].get_text() == "misclassified (3)"


def test_exercise_accepts_the_solution_and_rejects_named_wrong_answers():
    from helpers.exercises import lesson09 as L

    r = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), 15)
    feats = r.normal(size=(60, 8)) + 3 * np.eye(8)[labels]
    emb = feats[:, :2] + 0.3 * r.normal(size=(60, 2))  # a map that keeps some neighbours
    q = L.neighbours_exercise(feats, emb, labels)
    right = L.kept_share(feats, emb)
    assert 0.1 < right < 0.9
    ns = {"np": np, "feats": feats, "emb": emb, "N": 60}
    exec(q._solution, ns)
    assert q.check(ns["answer"], quiet=True)
    assert q.check(right + 0.004, quiet=True) and not q.check(right + 0.01, quiet=True)
    selfish = q.check(L.kept_share(feats, emb, count_self=True), quiet=True)
    assert not selfish and "itself" in selfish.message
    count = q.check(right * L.K, quiet=True)
    assert not count and "number of neighbours" in count.message
    percent = q.check(100 * right, quiet=True)
    assert not percent and "percentage" in percent.message
    knn = float((E.knn_predictions(emb, labels) == labels).mean())
    if abs(knn - right) > 0.01:
        wrong = q.check(knn, quiet=True)
        assert not wrong and "5-NN accuracy" in wrong.message
    # the checker's neighbours agree with the lesson's helper (sklearn's) on distinct distances
    from sklearn.neighbors import NearestNeighbors

    idx = NearestNeighbors(n_neighbors=L.K + 1).fit(emb).kneighbors(emb, return_distance=False)[:, 1:]
    assert (np.sort(idx, 1) == np.sort(L.nearest(emb), 1)).all()


def test_panel_maps_features_and_rejects_a_too_large_perplexity(shapes_spec):
    from helpers.widgets.embedding import EmbeddingPanel

    panel = EmbeddingPanel(shapes_spec)
    panel.controls["perplexity"].value = 10
    panel.run()
    assert panel.error is None and panel.png
    panel.controls["perplexity"].value = 100  # fast mode caps the images at 64
    panel.run()
    assert "perplexity 100 out of range" in panel.error
