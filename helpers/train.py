"""Build and train the course's small shapes CNN.

:func:`build_shapes_cnn` and :func:`train_shapes_cnn` make one model,
:func:`accuracy` measures it on fresh shapes. The command line that retrains
the shipped models, ``python -m helpers.course.train`` (``make train-shapes``),
is in :mod:`helpers.course.train`; ``python -m helpers.train`` still runs it.

Architecture (about 61k parameters)::

    input [0, 1] -> Rescaling to [-1, 1]
    conv1 3x3x16 ReLU -> pool1 -> conv2 3x3x32 ReLU -> pool2
    conv3 3x3x64 ReLU -> conv4 3x3x64 ReLU          (both at 16x16)
    global average pooling -> logits (dense) -> predictions (softmax)

The last conv layer stays at 16x16 (4 px cells) on purpose. Grad-CAM's map
has the last conv layer's resolution; an earlier version pooled once more to
8x8, and there Grad-CAM could not tell a ring from its hole (pointing game
0.34 on rings, 0.891 overall, against 0.976 for the same network trained on clean
images, and 0.989 with adversarial training).

Three things keep training stable (without them one trial collapsed to
chance): the input is rescaled to [-1, 1] inside the model, kernels use He
initialisation, and the learning rate warms up linearly before a cosine decay.

The models are trained *adversarially* (:func:`adversarial_batch`): every batch
is first pushed one small step up the loss. Trained on clean images only, two
models with different seeds agree on real shapes but not on each other's
class visualizations (about 0.6 of model A's regularized class images were
recognised by model B; see lesson 03). A robust model's class images are made
of the shapes' own edges and corners instead, and transfer. The price is
about twice the training time; accuracy did not suffer.
"""

from __future__ import annotations

import time

import numpy as np

from helpers.shapes import NUM_CLASSES, make_shapes

DEFAULT_SIZE = 64


def build_shapes_cnn(size: int = DEFAULT_SIZE, seed: int = 0, name: str = "shapes_cnn"):
    """A fresh, untrained shapes CNN (Keras functional model ending in softmax)."""
    import keras
    from keras import layers

    init = lambda i: keras.initializers.HeNormal(seed=seed * 100 + i)  # noqa: E731
    inputs = keras.Input((size, size, 3), name="image")
    x = layers.Rescaling(2.0, offset=-1.0, name="to_minus1_1")(inputs)
    for i, filters in enumerate((16, 32, 64, 64), start=1):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu",
                          kernel_initializer=init(i), name=f"conv{i}")(x)
        if i <= 2:
            x = layers.MaxPooling2D(2, name=f"pool{i}")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dense(NUM_CLASSES, kernel_initializer=keras.initializers.GlorotUniform(seed=seed * 100 + 5),
                     name="logits")(x)
    outputs = layers.Activation("softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name=name)


def _schedule(total_steps: int, peak: float, warmup: int):
    import keras

    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0, decay_steps=max(1, total_steps - warmup),
        warmup_target=peak, warmup_steps=warmup, alpha=0.02,
    )


def adversarial_batch(model, x, y, radius, fraction=None, seed=(0, 0)):
    """Push each image one normalized-gradient step *up* the loss: an L2 "fast gradient" example.

    .. math:: \\tilde x = \\mathrm{clip}_{[0,1]}\\Big(x + u\\,\\varepsilon\\sqrt{d}\\,
              \\frac{\\nabla_x L}{\\lVert\\nabla_x L\\rVert_2}\\Big), \\qquad u \\sim U(0, 1)

    with :math:`d` the number of pixel values and :math:`\\varepsilon` = ``radius``
    (an RMS change per pixel value). ``fraction`` (a tensor or float) scales the
    step, for ramping it in; ``seed`` seeds the random lengths :math:`u`.
    """
    import tensorflow as tf

    if not float(radius) >= 0:
        raise ValueError(f"radius must be a non-negative RMS change per pixel value; got {radius}")
    x = tf.convert_to_tensor(x, tf.float32)
    if x.shape.rank != 4:
        raise ValueError(f"x must be a batch of images [n, height, width, channels]; got shape {tuple(x.shape)}")
    n, m = x.shape[0], tf.convert_to_tensor(y).shape[0]
    if n is not None and m is not None and n != m:
        raise ValueError(f"x holds {n} images but y holds {m} labels")
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.keras.losses.sparse_categorical_crossentropy(y, model(x, training=False))
    g = tape.gradient(loss, x)
    g = g / (tf.sqrt(tf.reduce_sum(g * g, axis=[1, 2, 3], keepdims=True)) + 1e-12)
    d = tf.cast(tf.reduce_prod(tf.shape(x)[1:]), tf.float32)
    u = tf.random.stateless_uniform([tf.shape(x)[0], 1, 1, 1], seed)
    step = u * radius * tf.sqrt(d) * (1.0 if fraction is None else tf.cast(fraction, tf.float32))
    return tf.clip_by_value(x + step * g, 0.0, 1.0)


def train_shapes_cnn(
    seed: int = 0,
    n_train: int = 15000,
    epochs: int = 4,
    batch_size: int = 64,
    lr: float = 3e-3,
    warmup: int = 300,
    adversarial: float = 0.015,
    verbose: int = 2,
    data: tuple | None = None,
    name: str | None = None,
):
    """Train one shapes CNN from scratch; returns ``(model, seconds)``.

    Data come from ``make_shapes(n_train, seed=1000 + seed)`` so the two shipped
    models see different images as well as different initial weights.

    ``adversarial`` > 0 trains on :func:`adversarial_batch` images instead of
    the clean ones (an RMS change of up to ``adversarial`` per pixel value,
    about 1.7 in L2 on a 64 px image, ramped in over the ``warmup`` steps after
    the learning-rate warm-up; starting at full strength made one trial
    collapse to chance). A model trained like this cannot be swayed by tiny
    pixel patterns, so its input gradients, and the images that maximize its
    classes, look like the objects it learned (Madry et al. 2018; Santurkar et
    al. 2019). It also costs about twice the time per step. ``0`` trains on
    clean images only.

    ``data`` = ``(images, labels)`` trains on those instead of fresh shapes
    (``n_train`` is then their number; :mod:`helpers.shortcut` uses it), and
    ``name`` names the model (default ``shapes_cnn_seed<seed>``).
    """
    import keras
    import tensorflow as tf

    if not float(adversarial) >= 0:
        raise ValueError(f"adversarial must be >= 0 (0 trains on clean images only); got {adversarial}")
    keras.utils.set_random_seed(seed)
    if data is None:
        x, y, _ = make_shapes(n_train, seed=1000 + seed)
    else:
        x, y = np.asarray(data[0], dtype=np.float32), np.asarray(data[1], dtype=np.int64)
        if len(x) != len(y):
            raise ValueError(f"data holds {len(x)} images but {len(y)} labels")
        n_train = len(x)
    model = build_shapes_cnn(seed=seed, name=name or f"shapes_cnn_seed{seed}")
    steps = epochs * int(np.ceil(n_train / batch_size))
    warm = min(warmup, steps // 4)
    optimizer = keras.optimizers.Adam(_schedule(steps, lr, warm))
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    data = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(n_train, seed=seed).batch(batch_size)

    @tf.function(autograph=False)  # no data-dependent Python control flow inside
    def train_step(xb, yb, step):
        if adversarial > 0:
            ramp = tf.clip_by_value((tf.cast(step, tf.float32) - warm) / max(1, warm), 0.0, 1.0)
            xb = adversarial_batch(model, xb, yb, adversarial, ramp, seed=tf.stack([seed, step]))
        with tf.GradientTape() as tape:
            probs = model(xb, training=True)
            loss = loss_fn(yb, probs)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss, tf.reduce_mean(tf.cast(tf.equal(tf.argmax(probs, 1, output_type=tf.int64), yb), tf.float32))

    start, step = time.perf_counter(), 0
    for epoch in range(epochs):
        losses, accs = [], []
        for xb, yb in data:
            loss, acc = train_step(xb, yb, tf.constant(step, tf.int32))
            losses.append(float(loss))
            accs.append(float(acc))
            step += 1
        if verbose:
            print(f"epoch {epoch + 1}/{epochs}: loss {np.mean(losses):.4f}, training accuracy "
                  f"{np.mean(accs):.4f}{' (on adversarial images)' if adversarial > 0 else ''}, "
                  f"{time.perf_counter() - start:.0f} s", flush=True)
    return model, time.perf_counter() - start


def accuracy(model, n: int = 2000, seed: int = 12345, batch_size: int = 256) -> float:
    """Accuracy of ``model`` on ``n`` freshly generated shapes (an unseen seed)."""
    x, y, _ = make_shapes(n, seed=seed)
    probs = model.predict(x, batch_size=batch_size, verbose=0)
    return float(np.mean(np.argmax(probs, axis=1) == y))


if __name__ == "__main__":  # the old command line, kept for one release: run the new one as the script
    import runpy

    runpy.run_module("helpers.course.train", run_name="__main__", alter_sys=True)
