"""Build and train the course's small shapes CNN.

``python -m helpers.train`` (or ``make train-shapes``) retrains both shipped
models from scratch on freshly generated shapes and writes them to
``data/models/``. On 2 CPU cores one model takes about three minutes.

Architecture (about 61k parameters)::

    input [0, 1] -> Rescaling to [-1, 1]
    conv1 3x3x16 ReLU -> pool1 -> conv2 3x3x32 ReLU -> pool2
    conv3 3x3x64 ReLU -> conv4 3x3x64 ReLU          (both at 16x16)
    global average pooling -> logits (dense) -> predictions (softmax)

The last conv layer stays at 16x16 (4 px cells) on purpose. Grad-CAM's map
has the last conv layer's resolution; an earlier version pooled once more to
8x8, and there Grad-CAM could not tell a ring from its hole (pointing game
0.34 on rings, 0.891 overall, against 0.976 now).

Three things keep training stable (without them one trial collapsed to
chance): the input is rescaled to [-1, 1] inside the model, kernels use He
initialisation, and the learning rate warms up linearly before a cosine decay.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from helpers import config
from helpers.shapes import CLASS_NAMES, NUM_CLASSES, make_shapes

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


def train_shapes_cnn(
    seed: int = 0,
    n_train: int = 15000,
    epochs: int = 4,
    batch_size: int = 64,
    lr: float = 3e-3,
    warmup: int = 300,
    verbose: int = 2,
):
    """Train one shapes CNN from scratch; returns ``(model, seconds)``.

    Data come from ``make_shapes(n_train, seed=1000 + seed)`` so the two shipped
    models see different images as well as different initial weights.
    """
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    x, y, _ = make_shapes(n_train, seed=1000 + seed)
    model = build_shapes_cnn(seed=seed, name=f"shapes_cnn_seed{seed}")
    steps = epochs * int(np.ceil(n_train / batch_size))
    model.compile(
        optimizer=keras.optimizers.Adam(_schedule(steps, lr, min(warmup, steps // 4))),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    data = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(n_train, seed=seed).batch(batch_size)
    start = time.perf_counter()
    model.fit(data, epochs=epochs, verbose=verbose, shuffle=False)  # tf.data already shuffles
    return model, time.perf_counter() - start


def accuracy(model, n: int = 2000, seed: int = 12345, batch_size: int = 256) -> float:
    """Accuracy of ``model`` on ``n`` freshly generated shapes (an unseen seed)."""
    x, y, _ = make_shapes(n, seed=seed)
    probs = model.predict(x, batch_size=batch_size, verbose=0)
    return float(np.mean(np.argmax(probs, axis=1) == y))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1],
                        help="one model per seed; seed 0 is the default model, seed 1 its twin")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--n-train", type=int, default=15000)
    parser.add_argument("--out", type=Path, default=None, help="output folder (default data/models)")
    args = parser.parse_args(argv)
    out = args.out or config.data_path("models")
    out.mkdir(parents=True, exist_ok=True)
    record = {"classes": list(CLASS_NAMES), "models": {}}
    for seed in args.seeds:
        model, seconds = train_shapes_cnn(seed=seed, n_train=args.n_train, epochs=args.epochs)
        acc = accuracy(model)
        fname = "shapes_cnn.keras" if seed == 0 else ("shapes_cnn_b.keras" if seed == 1 else f"shapes_cnn_seed{seed}.keras")
        model.save(out / fname)
        record["models"][fname] = {"seed": seed, "epochs": args.epochs, "n_train": args.n_train,
                                   "train_seconds": round(seconds, 1), "fresh_accuracy": round(acc, 4),
                                   "params": int(model.count_params())}
        print(f"{fname}: accuracy {acc:.4f} on fresh data, trained in {seconds:.0f} s")
    (out / "shapes_cnn.json").write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
