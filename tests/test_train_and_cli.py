"""The training recipe learns, and the evaluation CLI prints name: value lines."""

import re
import subprocess
import sys

import numpy as np
import pytest


@pytest.mark.slow
def test_short_training_run_learns_far_above_chance():
    from helpers.train import accuracy, train_shapes_cnn

    model, _ = train_shapes_cnn(seed=5, n_train=4800, epochs=3, verbose=0)
    acc = accuracy(model, n=500, seed=31337)
    assert acc > 0.6, f"accuracy {acc:.2f} after a short run; chance is 0.125"


def test_build_is_seeded():
    from helpers.train import build_shapes_cnn

    a, b, c = build_shapes_cnn(seed=3), build_shapes_cnn(seed=3), build_shapes_cnn(seed=4)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])


def test_evaluate_accuracy_cli_prints_name_value_lines():
    out = subprocess.run([sys.executable, "-m", "helpers.course.evaluate", "accuracy", "--n", "400"],
                         capture_output=True, text=True, timeout=300, check=True).stdout
    values = dict(re.findall(r"^(\w+): ([0-9.]+)$", out, flags=re.M))
    assert float(values["shapes_accuracy"]) >= 0.97
    assert float(values["shapes_b_accuracy"]) >= 0.97


def test_adversarial_batch_raises_the_loss_within_its_radius(shapes_spec, shapes_data):
    import tensorflow as tf

    from helpers.train import adversarial_batch

    x, y, _ = shapes_data
    x, y = x[:32], y[:32]
    model = shapes_spec.model
    loss = lambda z: tf.keras.losses.sparse_categorical_crossentropy(y, model(z)).numpy()  # noqa: E731
    adv = adversarial_batch(model, x, y, 0.015, seed=(3, 4)).numpy()
    assert 0.0 <= adv.min() and adv.max() <= 1.0
    change = np.sqrt(((adv - x) ** 2).reshape(len(x), -1).sum(1))
    assert np.all(change <= 0.015 * np.sqrt(x[0].size) + 1e-4) and change.mean() > 0.1
    assert loss(adv).mean() > 1.5 * loss(x).mean()  # uphill: a random push of the same size barely moves it
    noise = np.random.default_rng(0).normal(size=x.shape).astype(np.float32)
    noise *= (change / np.sqrt((noise ** 2).reshape(len(x), -1).sum(1)))[:, None, None, None]
    assert loss(np.clip(x + noise, 0, 1)).mean() < loss(adv).mean()
    np.testing.assert_array_equal(adv, adversarial_batch(model, x, y, 0.015, seed=(3, 4)).numpy())
    np.testing.assert_array_equal(adversarial_batch(model, x, y, 0.015, fraction=0.0).numpy(), x)


def test_adversarial_batch_refuses_bad_input(shapes_spec, shapes_data):
    from helpers.train import adversarial_batch, train_shapes_cnn

    x, y, _ = shapes_data
    with pytest.raises(ValueError, match="non-negative"):
        adversarial_batch(shapes_spec.model, x[:4], y[:4], -0.1)
    with pytest.raises(ValueError, match=r"\[n, height, width, channels\]"):
        adversarial_batch(shapes_spec.model, x[0], y[:1], 0.015)
    with pytest.raises(ValueError, match="4 images but y holds 3 labels"):
        adversarial_batch(shapes_spec.model, x[:4], y[:3], 0.015)
    with pytest.raises(ValueError, match="adversarial must be >= 0"):
        train_shapes_cnn(adversarial=-1.0, n_train=64, epochs=1, verbose=0)
