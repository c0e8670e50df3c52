"""Compiled Grad-CAM and saliency (helpers.attribution) against plain eager GradientTape code.

Both sides compute the same maps on the same batch, in one run, after a
warm-up call; each figure is the median of ``--repeat`` timed calls. Prints
``name: value`` lines (seconds per batch, and the speed-up).

    python benchmarks/attribution.py [--model shapes|vgg16] [--batch 64] [--repeat 5]

``--model vgg16`` uses random weights (no download; speed does not depend on them).
"""

from __future__ import annotations

import argparse

import numpy as np
from _timing import median_time


def _conv_and_logits(model, conv: str):
    """Plain Keras: ``image -> (conv activations, logits)`` built from the model's own graph.

    (``spec.logits_model`` wraps the model, so its inner layers' outputs belong to another graph.)
    The logits are the "logits" layer's output, or the last Dense layer's pre-softmax ``x W + b``.
    """
    import keras

    names = [layer.name for layer in model.layers]
    if "logits" in names:
        z = model.get_layer("logits").output
    else:
        last = model.layers[-1]
        z = keras.ops.matmul(last.input, last.kernel) + last.bias
    return keras.Model(model.inputs[0], [model.get_layer(conv).output, z])


def main(argv=None) -> None:
    import keras
    import tensorflow as tf

    from helpers import attribution
    from helpers.models import load_model

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="shapes", choices=["shapes", "vgg16"])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    spec = load_model(args.model, weights=None) if args.model == "vgg16" else load_model("shapes")
    h, w = spec.input_size
    if args.model == "shapes":
        from helpers.shapes import make_shapes

        x, cls, _ = make_shapes(args.batch, seed=12345)  # explain each image's true class
    else:
        x = np.random.default_rng(0).random((args.batch, h, w, 3), dtype=np.float32)
        cls = np.arange(args.batch) % len(spec.class_names)
    logits = spec.logits_model
    grad_model = _conv_and_logits(spec.model, spec.layers["last_conv"])

    def eager_cam():
        with tf.GradientTape() as tape:
            acts, z = grad_model(x, training=False)
            score = tf.gather(z, cls, axis=1, batch_dims=1)
        grads = tape.gradient(score, acts)
        cam = tf.nn.relu(tf.einsum("nijk,nk->nij", acts, tf.reduce_mean(grads, axis=(1, 2))))
        return tf.image.resize(cam[..., None], (h, w)).numpy()[..., 0]

    def eager_saliency():
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            score = tf.gather(logits(xt, training=False), cls, axis=1, batch_dims=1)
        return tf.reduce_max(tf.abs(tape.gradient(score, xt)), axis=-1).numpy()

    def compiled_cam():
        return attribution.grad_cam(spec.model, x, cls)

    def compiled_saliency():
        return attribution.saliency(spec.model, x, cls)

    eager = eager_cam()
    eager = eager / np.maximum(eager.max(axis=(1, 2), keepdims=True), 1e-12)
    diff = float(np.abs(eager - compiled_cam()).max())
    t_eager, t_comp = median_time(eager_cam, args.repeat), median_time(compiled_cam, args.repeat)
    s_eager, s_comp = median_time(eager_saliency, args.repeat), median_time(compiled_saliency, args.repeat)
    print(f"model: {args.model}")
    print(f"batch: {args.batch}")
    print(f"grad_cam_eager_s: {t_eager:.4f}")
    print(f"grad_cam_compiled_s: {t_comp:.4f}")
    print(f"grad_cam_speedup: {t_eager / t_comp:.2f}")
    print(f"grad_cam_max_abs_diff_eager_vs_compiled: {diff:.2e}")
    print(f"saliency_eager_s: {s_eager:.4f}")
    print(f"saliency_compiled_s: {s_comp:.4f}")
    print(f"saliency_speedup: {s_eager / s_comp:.2f}")


if __name__ == "__main__":
    main()
