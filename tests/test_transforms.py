"""Transforms: seeded determinism, shape, and what each one does on hand-made images."""

import numpy as np
import pytest
import tensorflow as tf

from helpers import transforms as T


def batch(seed=0, n=3, size=16):
    return tf.constant(np.random.default_rng(seed).uniform(0, 1, (n, size, size, 3)).astype(np.float32))


RANDOM = [lambda s: T.jitter(3, seed=s), lambda s: T.pad(3, seed=s), lambda s: T.random_scale(seed=s),
          lambda s: T.random_rotate(20, seed=s)]


@pytest.mark.parametrize("make", RANDOM, ids=["jitter", "pad", "scale", "rotate"])
def test_random_transforms_are_seeded_and_keep_shape(make):
    x = batch()
    outs = {step: make(5)(x, step).numpy() for step in range(6)}
    again = make(5)(x, 3).numpy()
    assert all(o.shape == x.shape for o in outs.values())
    np.testing.assert_array_equal(outs[3], again)  # same seed and step: same result
    assert len({o.tobytes() for o in outs.values()}) > 1  # the step changes the draw
    other = [make(6)(x, s).numpy() for s in range(6)]
    assert any(not np.array_equal(a, b) for a, b in zip(outs.values(), other))  # the seed matters


def test_jitter_is_a_pure_shift_and_pad_shows_grey():
    x = batch(n=1)
    y = T.jitter(3, seed=1)(x, 2).numpy()[0]
    found = [(dy, dx) for dy in range(-3, 4) for dx in range(-3, 4)
             if np.array_equal(np.roll(x.numpy()[0], (dy, dx), axis=(0, 1)), y)]
    assert len(found) == 1
    z = [T.pad(4, seed=0)(x, s).numpy()[0] for s in range(12)]
    assert any(np.any(np.all(im == 0.5, axis=-1)) for im in z)  # some crop shows the grey border


def test_scale_and_rotate_keep_the_centre():
    x = np.zeros((1, 17, 17, 3), np.float32)
    x[:, 8, 8] = 1.0
    for t in (T.random_scale((1.0,), seed=0), T.random_rotate(45, seed=0)):
        y = t(tf.constant(x), 1).numpy()[0, ..., 0]
        assert np.unravel_index(np.argmax(y), y.shape) == (8, 8)


def test_regularizers_on_known_images():
    x = batch(n=2)
    assert np.all(T.clip(0.2, 0.7)(x * 3 - 1).numpy() <= 0.7)
    np.testing.assert_allclose(T.decay(0.1)(x).numpy(), 0.5 + 0.9 * (x.numpy() - 0.5), rtol=1e-6)
    blur = T.gaussian_blur(1.0, every=1)(x).numpy()
    assert blur.std() < x.numpy().std() * 0.6 and abs(blur.mean() - x.numpy().mean()) < 0.02
    spike = np.full((1, 9, 9, 3), 0.5, np.float32)
    spike[0, 4, 4] = 1.0  # salt noise: the median removes it, the blur only spreads it
    np.testing.assert_allclose(T.median_filter(3, every=1)(tf.constant(spike)).numpy(), 0.5)
    assert T.gaussian_blur(1.0, every=1)(tf.constant(spike)).numpy().max() > 0.5
    np.testing.assert_allclose(T.gaussian_kernel(0.8).sum(), 1.0, rtol=1e-6)


def test_norm_clip_greys_the_faintest_pixels():
    # a 10x10 image whose pixels differ from grey by a known, distinct amount
    dist = np.arange(100, dtype=np.float32).reshape(1, 10, 10, 1) / 250.0  # 0 .. 0.396
    x = tf.constant(np.concatenate([0.5 + dist, 0.5 - dist, np.full_like(dist, 0.5)], axis=-1))
    out = T.norm_clip(30.0)(x).numpy()
    faint = dist[0, ..., 0] < 30 / 250.0  # the 30 smallest colour distances
    np.testing.assert_allclose(out[0][faint], 0.5)              # ...become exactly grey
    np.testing.assert_array_equal(out[0][~faint], x.numpy()[0][~faint])  # the rest is untouched
    np.testing.assert_array_equal(T.norm_clip(0.0)(x).numpy(), x.numpy())


def test_every_k_steps():
    x = batch(n=1)
    t = T.median_filter(3, every=4)
    np.testing.assert_array_equal(t(x, 1).numpy(), x.numpy())
    assert not np.array_equal(t(x, 4).numpy(), x.numpy())


def test_bad_arguments():
    with pytest.raises(ValueError):
        T.gaussian_blur(0)
    with pytest.raises(ValueError):
        T.median_filter(1)
    with pytest.raises(ValueError):
        T.decay(1.5)
    with pytest.raises(ValueError, match=r"\[0, 100\)"):
        T.norm_clip(100)
    with pytest.raises(TypeError):
        T.split([T.clip(), "blur"])
    items = [T.clip(), T.jitter(2)]
    pre, post = T.split(items)
    assert [t.name for t in pre] == ["jitter(2)"] and [t.name for t in post] == ["clip(0, 1)"]
    assert len(items) == 2
