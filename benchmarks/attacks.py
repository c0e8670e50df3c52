"""PGD on the shapes CNN: the course's compiled, batched attack against an eager per-image loop and ART.

All three run the same attack on the same ``--images`` fresh shapes images:
L∞ PGD, ``--steps`` steps of size 2.5·ε/steps, a random start in the ball,
cross-entropy loss on the logits (ART's loss), at ``--eps``. Each is timed
once (after a warm-up on 8 images: tracing). Prints ``name: value`` lines:
seconds, the ratios (other / course) and each attack's success rate (share of
correctly classified images that the attack flips), which must agree within
2 points: the random starts differ, the attack is the same.

    python benchmarks/attacks.py [--images 1000] [--steps 10] [--eps 0.03] [--model plain]

The peer is the Adversarial Robustness Toolbox's ``ProjectedGradientDescent``
on a ``TensorFlowV2Classifier`` (``pip install adversarial-robustness-toolbox``;
it is not a dependency of the course). Without it the script says so and
compares the course with the eager loop only.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def eager_pgd(logits, x, y, eps, steps, seed=0):
    """The textbook loop: one image at a time, eager TensorFlow, no compilation."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    out = np.empty_like(x)
    alpha = 2.5 * eps / steps
    for i in range(len(x)):
        x0 = tf.constant(x[i:i + 1])
        cur = tf.clip_by_value(x0 + rng.uniform(-eps, eps, x0.shape).astype(np.float32), 0, 1)
        for _ in range(steps):
            with tf.GradientTape() as tape:
                tape.watch(cur)
                loss = tf.nn.sparse_softmax_cross_entropy_with_logits(y[i:i + 1], logits(cur, training=False))
            g = tape.gradient(loss, cur)
            cur = tf.clip_by_value(tf.clip_by_value(cur + alpha * tf.sign(g), x0 - eps, x0 + eps), 0, 1)
        out[i] = cur.numpy()[0]
    return out


def art_pgd(logits, x, y, eps, steps):
    import tensorflow as tf
    from art.attacks.evasion import ProjectedGradientDescent
    from art.estimators.classification import TensorFlowV2Classifier

    clf = TensorFlowV2Classifier(model=logits, nb_classes=int(logits.outputs[0].shape[-1]),
                                 input_shape=tuple(x.shape[1:]), clip_values=(0.0, 1.0),
                                 loss_object=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    attack = ProjectedGradientDescent(clf, norm=np.inf, eps=eps, eps_step=2.5 * eps / steps, max_iter=steps,
                                      num_random_init=1, batch_size=250, verbose=False)
    return attack.generate(x, y=np.eye(clf.nb_classes, dtype=np.float32)[y])


def main(argv=None) -> None:
    from helpers import adversarial as A
    from helpers.attribution.core import logits_model
    from helpers.models import load_model
    from helpers.shapes import make_shapes

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--eps", type=float, default=0.03)
    parser.add_argument("--model", default="plain", choices=["plain", "shapes"])
    args = parser.parse_args(argv)
    spec = load_model("shapes_plain" if args.model == "plain" else "shapes", verbose=False)
    logits = logits_model(spec.model)
    x, y, _ = make_shapes(args.images, seed=777_002)

    def predict(images):
        return np.concatenate([np.asarray(logits(images[i:i + 250])).argmax(1) for i in range(0, len(images), 250)])

    right = predict(x) == y

    def success(adv):
        return float(np.mean(predict(adv)[right] != y[right]))

    runs = {"course": lambda xs, ys: A.pgd(spec.model, xs, ys, args.eps, steps=args.steps, loss="ce",
                                           progress=False).images,
            "eager": lambda xs, ys: eager_pgd(logits, xs, ys, args.eps, args.steps)}
    try:
        import art  # noqa: F401

        runs["art"] = lambda xs, ys: art_pgd(logits, xs, ys, args.eps, args.steps)
    except ImportError:
        print("# ART is not installed: `pip install adversarial-robustness-toolbox` to compare with it; "
              "comparing the course with the eager loop only")
    print(f"model: shapes_{args.model}")
    print(f"images: {args.images}")
    print(f"steps: {args.steps}")
    print(f"eps: {args.eps}")
    seconds, rates = {}, {}
    for name, fn in runs.items():
        fn(x[:8], y[:8])
        start = time.perf_counter()
        adv = fn(x, y)
        seconds[name] = time.perf_counter() - start
        rates[name] = success(adv)
        print(f"pgd_{name}_s: {seconds[name]:.2f}")
        print(f"pgd_{name}_success_rate: {rates[name]:.4f}", flush=True)
    for name in runs:
        if name != "course":
            print(f"pgd_speed_ratio_{name}_over_course: {seconds[name] / seconds['course']:.2f}")
            print(f"pgd_success_gap_points_{name}_vs_course: {100 * abs(rates[name] - rates['course']):.2f}")


if __name__ == "__main__":
    main()
