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


def test_silhouette_is_one_colour_over_the_background_and_only_inside_its_window():
    p = P.SilhouetteParam(2, 32, 32, seed=4, radius=0.25, init_alpha=1.0)
    img, alpha = p.numpy(), np.asarray(p.alpha())
    bg, colour = np.asarray(p._background), np.asarray(p.color())
    assert img.shape == (2, 32, 32, 3) and img.min() >= 0 and img.max() <= 1
    # every pixel is the compositing formula: background + alpha * (colour - background)
    np.testing.assert_allclose(img, bg + alpha * (colour - bg), atol=1e-6)
    yy, xx = np.mgrid[0:32, 0:32]
    outside = np.hypot(yy - 15.5, xx - 15.5) > 0.25 * 32 + 0.5
    assert np.all(alpha[:, outside] == 0) and alpha[:, ~outside].mean() > 0.5
    np.testing.assert_array_equal(img[:, outside], bg[:, outside])
    np.testing.assert_array_equal(img, P.SilhouetteParam(2, 32, 32, seed=4, radius=0.25, init_alpha=1.0).numpy())
    assert not np.array_equal(img, P.SilhouetteParam(2, 32, 32, seed=5, radius=0.25, init_alpha=1.0).numpy())
    grey = P.SilhouetteParam(1, 16, 16, background="grey").numpy()
    assert np.allclose(grey[0, 0, 0], 0.5)


def test_silhouette_gradient_reaches_mask_and_colour():
    p = P.make_param("silhouette", 1, 16, 16, seed=0, init_alpha=0.0)
    assert p.kind == "silhouette"
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(p.image()[..., 0])  # "be red": raise the red channel
    g = tape.gradient(loss, p.variable).numpy()
    assert np.abs(g[..., 0]).sum() > 0 and np.abs(g[..., 3]).sum() > 0
    assert np.abs(g[..., 1:3]).sum() == 0  # green and blue colour logits do not affect red


def test_silhouette_refuses_bad_settings():
    with pytest.raises(ValueError, match="radius"):
        P.SilhouetteParam(1, 8, 8, radius=0)
    with pytest.raises(ValueError, match="background"):
        P.SilhouetteParam(1, 8, 8, background="plaid")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        P.SilhouetteParam(1, 8, 8, background=np.full((8, 8, 3), 2.0))
    with pytest.raises(ValueError, match="shape"):
        P.SilhouetteParam(1, 8, 8, background=np.full((4, 4, 3), 0.5))


def test_deprocess_standardizes_each_image_around_grey():
    rng = np.random.default_rng(0)
    imgs = np.stack([rng.normal(3.0, 5.0, (16, 16, 3)), rng.normal(-1.0, 0.01, (16, 16, 3))]).astype(np.float32)
    out = P.deprocess(imgs)
    assert out.shape == imgs.shape and out.min() >= 0 and out.max() <= 1
    for im in out:  # whatever the range, every image ends up with mean 0.5 and spread ~0.15
        assert im.mean() == pytest.approx(0.5, abs=0.01) and im.std() == pytest.approx(0.15, abs=0.01)
    np.testing.assert_allclose(P.deprocess(imgs[0]), out[0], atol=1e-6)  # one image = one image of a batch
    np.testing.assert_allclose(P.deprocess(np.full((4, 4, 3), 0.9)), 0.5, atol=1e-3)  # flat image: flat grey
    u8 = P.deprocess(imgs, uint8=True)
    assert u8.dtype == np.uint8 and abs(int(u8[0].mean()) - 128) <= 3
    with pytest.raises(ValueError, match="shape"):
        P.deprocess(np.zeros((4, 4)))


def test_default_fourier_start_has_contrast_so_live_channels_are_not_dead(shapes_spec, shapes_data):
    from helpers import objectives as O
    from helpers.activations import most_active_channels

    img = P.FourierParam(4, 64, 64, seed=0).numpy()
    assert 0.015 < img.std() < 0.1 and 0.2 < img.min() and img.max() < 0.8  # contrast, but far from saturated
    top = most_active_channels(shapes_spec.model, shapes_data[0][:64], "conv4", k=8)
    obj = O.channel("conv4", top, crop=2)
    fm = O.objective_model(shapes_spec.model, obj)

    def dead(p):
        with tf.GradientTape() as tape:
            total = tf.reduce_sum(obj(O.activations_for(fm, p.image())))
        g = tape.gradient(total, p.variable).numpy()
        return int((np.abs(np.moveaxis(g, 1, 0)).reshape(8, -1).max(1) == 0).sum())

    assert dead(P.FourierParam(8, 64, 64, seed=0, sd=0.01)) > 0  # near-grey start: live channels get no gradient
    assert dead(P.FourierParam(8, 64, 64, seed=0)) == 0  # the default start
