"""Parameterizations: valid images, seeded starts, and the 1/f spectrum of the Fourier one."""

import numpy as np
import pytest
import tensorflow as tf

from helpers import param as P


def test_pixel_param_is_seeded_and_trainable():
    a, b, c = P.PixelParam(2, 8, 8, seed=1), P.PixelParam(2, 8, 8, seed=1), P.PixelParam(2, 8, 8, seed=2)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), c.numpy())
    assert a.image().shape == (2, 8, 8, 3) and a.variables[0].trainable


def test_fourier_param_gives_valid_seeded_images_with_1_over_f_gradient():
    p = P.FourierParam(2, 32, 32, seed=0, sd=0.2)
    img = p.numpy()
    assert img.shape == (2, 32, 32, 3) and img.min() >= 0 and img.max() <= 1
    np.testing.assert_array_equal(img, P.FourierParam(2, 32, 32, seed=0, sd=0.2).numpy())
    # a pixel-level gradient of white noise maps to a spectrum gradient that favours low frequencies
    target = tf.constant(np.random.default_rng(0).normal(size=(2, 32, 32, 3)).astype(np.float32))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(p.image() * target)
    g = tape.gradient(loss, p.variable).numpy()
    mag = np.sqrt((g ** 2).sum(axis=(0, 1, 2)))  # [h, w//2+1]
    freqs = P._frequencies(32, 32)
    assert mag[freqs < 0.1].mean() > 3 * mag[freqs > 0.3].mean()


def test_decorrelation_mixes_channels():
    p = P.FourierParam(1, 16, 16, seed=3, sd=0.3, decorrelate=True)
    q = P.FourierParam(1, 16, 16, seed=3, sd=0.3, decorrelate=False)
    corr = lambda im: np.corrcoef(im[0].reshape(-1, 3).T)[0, 1]  # noqa: E731
    assert corr(p.numpy()) > corr(q.numpy()) + 0.3


def test_make_param():
    assert P.make_param("pixel", 1, 4, 4).kind == "pixel"
    p = P.FourierParam(1, 4, 4)
    assert P.make_param(p, 1, 4, 4) is p
    with pytest.raises(ValueError, match="pixel"):
        P.make_param("wavelet", 1, 4, 4)
