"""Repairing the tank-story cheat: training that is told where the shortcut is.

Lesson 12's cheating model reads a coloured corner tag instead of the shape.
If we know *where* the shortcut is (a mask ``m`` of the tag's pixels, which
the shapes generator gives us), we can train a new model on the very same
cheating data and forbid it to use those pixels. Two ways:

* ``"gradient"`` (the *gradient penalty*): a variant of Ross, Hughes & Doshi-Velez 2017, *Right for the
  Right Reasons*, who penalise the masked input gradient of the sum of the log-probabilities of all classes
  (plus an L2 weight term); here only the true class's log-probability, and no weight term:

  .. math:: L = \\mathrm{CE}(f(x), y) + \\lambda\\, \\big\\lVert m \\odot
            \\partial \\log p_y(x) / \\partial x \\big\\rVert^2 .

  It asks the model to be *locally* flat on the tag: a small change of the
  tag's pixels must not move the answer.
* ``"counterfactual"`` (the *repainted-tag penalty*; related to counterfactual logit pairing, Garg et al.
  2019, and logit pairing, Kannan et al. 2018): repaint the tag in a random class colour (``x'``) and
  penalise any change of the logits ``z``:

  .. math:: L = \\mathrm{CE}(f(x), y) + \\lambda\\, \\tfrac{1}{K}\\lVert z(x) - z(x')\\rVert^2 .

  It asks for *global* indifference to the tag's colour, which is what "do
  not read the tag" means. It needs the same mask, and it is close kin to
  the twin's recipe (random tag colours: data augmentation), with the cheating
  labels kept.

Both start from the twin's initial weights and see the twin's images with the
cheat's tags (class colour in 95 % of them). :func:`train_repaired` trains
one model; ``python -m helpers.course.train --repaired`` retrains the shipped
``shapes_cnn_repaired.keras`` and the λ sweep in ``shapes_cnn_repaired.json``.
"""

from __future__ import annotations

import time

import numpy as np

from helpers import config

#: The shipped repaired model, and the λ sweep behind it (in ``data/models/``).
MODEL_FILE = "shapes_cnn_repaired.keras"
SWEEP_FILE = "shapes_cnn_repaired.json"
PENALTIES = ("gradient", "counterfactual")
#: The names the lesson, its table and its panel show for the sweep's ``penalty`` keys.
PENALTY_NAMES = {"none": "no penalty", "gradient": "gradient penalty", "counterfactual": "repainted-tag penalty"}


def label(row: dict) -> str:
    """A sweep row's setting as the lesson names it: ``"repainted-tag penalty λ=10"``, ``"no penalty"``."""
    name = PENALTY_NAMES[row["penalty"]]
    return name if row["penalty"] == "none" else f"{name} λ={row['lam']:g}"
#: The shipped model's recipe: the twin's (8000 images, 8 epochs, seed 0) plus the penalty.
RECIPE = {"n_train": 8000, "epochs": 8, "seed": 0, "penalty": "counterfactual", "lam": 10.0}


def _check(images, labels, tag_masks, penalty: str, lam: float):
    x = np.asarray(images, dtype=np.float32)
    y = np.asarray(labels, dtype=np.int64)
    m = np.asarray(tag_masks)
    if x.ndim != 4 or x.shape[-1] != 3:
        raise ValueError(f"images must be a batch [n, height, width, 3]; got shape {x.shape}")
    if len(y) != len(x):
        raise ValueError(f"images holds {len(x)} images but labels holds {len(y)} labels")
    if m.shape != x.shape[:3]:
        raise ValueError(f"the tag mask must have one value per pixel of each image, shape {x.shape[:3]} "
                         f"(n, height, width); got {m.shape}")
    if penalty not in PENALTIES:
        raise ValueError(f"unknown penalty {penalty!r}; choose from {', '.join(PENALTIES)}")
    if not float(lam) >= 0:
        raise ValueError(f"lam must be >= 0 (0: no penalty, plain training on the cheating data); got {lam}")
    return x, y, m.astype(np.float32)


def train_repaired(images, labels, tag_masks, penalty: str = "counterfactual", lam: float = 1.0,
                   epochs: int = 8, seed: int = 0, batch_size: int = 64, lr: float = 3e-3, warmup: int = 300,
                   verbose: int = 2, name: str = "shapes_cnn_repaired"):
    """Train a shapes CNN on ``images`` (tag included) with a penalty on the tag's pixels; ``(model, seconds)``.

    Args:
      images: ``[n, h, w, 3]`` training images in [0, 1] (the cheat's, tag painted in).
      labels: ``[n]`` classes.
      tag_masks: ``[n, h, w]`` the tag's pixels (1 on the tag); any other shape is refused.
      penalty: ``"gradient"`` (Ross et al. 2017) or ``"counterfactual"`` (see the module).
      lam: the penalty's weight λ (0: plain training, a second cheat).
      epochs, seed, batch_size, lr, warmup: the recipe of :func:`helpers.train.train_shapes_cnn`.
    """
    import keras
    import tensorflow as tf

    from helpers.shortcut import PALETTE
    from helpers.train import _schedule, build_shapes_cnn

    x, y, m = _check(images, labels, tag_masks, penalty, lam)
    config.check_seed(seed)
    keras.utils.set_random_seed(seed)
    model = build_shapes_cnn(size=x.shape[1], seed=seed, name=name)
    logits = keras.Model(model.inputs, model.get_layer("logits").output)
    n = len(x)
    steps = epochs * int(np.ceil(n / batch_size))
    warm = min(warmup, steps // 4)
    optimizer = keras.optimizers.Adam(_schedule(steps, lr, warm))
    palette = tf.constant(PALETTE)
    lam_t = tf.constant(float(lam), tf.float32)
    data = tf.data.Dataset.from_tensor_slices((x, y, m)).shuffle(n, seed=seed).batch(batch_size)

    def penalty_term(xb, yb, mb, step):
        if penalty == "gradient":
            with tf.GradientTape() as inner:
                inner.watch(xb)
                logp = tf.nn.log_softmax(logits(xb, training=True))
                picked = tf.reduce_sum(logp * tf.one_hot(yb, logp.shape[-1]))
            g = inner.gradient(picked, xb) * mb[..., None]
            return tf.reduce_mean(tf.reduce_sum(g * g, axis=[1, 2, 3])), logits(xb, training=True)
        colours = tf.random.stateless_uniform([tf.shape(xb)[0]], tf.stack([seed, step]), 0, len(PALETTE),
                                              dtype=tf.int32)
        paint = tf.gather(palette, colours)[:, None, None, :]
        x2 = xb * (1 - mb[..., None]) + paint * mb[..., None]
        z, z2 = logits(xb, training=True), logits(x2, training=True)
        return tf.reduce_mean(tf.square(z - z2)), z

    @tf.function(autograph=False)
    def train_step(xb, yb, mb, step):
        with tf.GradientTape() as tape:
            pen, z = penalty_term(xb, yb, mb, step)
            ce = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(yb, z))
            loss = ce + lam_t * pen
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        acc = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(z, 1, output_type=tf.int64), yb), tf.float32))
        return ce, pen, acc

    start, step = time.perf_counter(), 0
    for epoch in range(epochs):
        rec = []
        for xb, yb, mb in data:
            rec.append([float(v) for v in train_step(xb, yb, mb, tf.constant(step, tf.int32))])
            step += 1
        if verbose:
            ce, pen, acc = np.mean(rec, axis=0)
            print(f"epoch {epoch + 1}/{epochs}: cross-entropy {ce:.4f}, penalty {pen:.4g}, training accuracy "
                  f"{acc:.4f}, {time.perf_counter() - start:.0f} s", flush=True)
    return model, time.perf_counter() - start


def cheat_data(n: int, seed: int | None = None):
    """The cheat's training data (:func:`helpers.shortcut.make_cue_shapes` at its training seed, 95 % agreement)."""
    from helpers.shortcut import TRAIN_SEED, make_cue_shapes

    return make_cue_shapes(n, seed=TRAIN_SEED if seed is None else seed, agreement=0.95)


def tag_accuracy(model, n: int = 1000, seed: int = config.UNSEEN_SEED) -> dict:
    """``{"with_tag": acc, "without_tag": acc}`` on ``n`` fresh images drawn like the cheat's data."""
    from helpers.shortcut import accuracy

    data = cheat_data(n, seed)
    return {"with_tag": accuracy(model, data.with_cue, data.labels),
            "without_tag": accuracy(model, data.without_cue, data.labels)}


#: The λ sweep behind the shipped model: Ross et al.'s gradient penalty from too small to large, and the
#: counterfactual penalty; ``("none", 0)`` is the recipe with no penalty (a cheat trained 8 epochs).
SWEEP = (("none", 0.0), ("gradient", 10.0), ("gradient", 100.0), ("gradient", 1000.0), ("gradient", 10000.0),
         ("counterfactual", 0.1), ("counterfactual", 1.0), ("counterfactual", 10.0))


def measure(model, n: int = 1000, n_maps: int = 200, seed: int = config.UNSEEN_SEED) -> dict:
    """Accuracy with and without the tag on ``n`` fresh cheat-like images, and Grad-CAM's mean share on the tag.

    ``tag_area`` is the tag's share of those images: what a map that ignores the tag puts on it.

    The share is lesson 12's measure (:func:`helpers.shortcut.cue_energy`) on the first ``n_maps`` tagged images,
    explaining the model's own prediction.
    """
    from helpers.shortcut import cue_energy

    data = cheat_data(max(n, n_maps), seed)
    out = tag_accuracy(model, n, seed)
    share = cue_energy(model, data.with_cue[:n_maps], data.cue_masks[:n_maps], names=["grad_cam"])["grad_cam"]
    return {**out, "grad_cam_on_tag": float(np.mean(share)), "tag_area": float(data.cue_masks[:n_maps].mean())}


def train_shipped(out, sweep=SWEEP, verbose: int = 2) -> dict:
    """Train every setting of ``sweep`` with the :data:`RECIPE`; save the recipe's model and the sweep to ``out``.

    Writes :data:`MODEL_FILE` and :data:`SWEEP_FILE` (``{"recipe": ..., "sweep": [{penalty, lam, with_tag,
    without_tag, grad_cam_on_tag, train_seconds}, ...]}``); returns the model's training record.
    """
    import json
    from pathlib import Path

    from helpers.course.kerasfile import make_portable

    data = cheat_data(RECIPE["n_train"])
    rows, record = [], None
    settings = list(sweep) + ([] if (RECIPE["penalty"], RECIPE["lam"]) in sweep
                              else [(RECIPE["penalty"], RECIPE["lam"])])
    for penalty, lam in settings:
        model, seconds = train_repaired(data.with_cue, data.labels, data.cue_masks,
                                        penalty="gradient" if penalty == "none" else penalty, lam=lam,
                                        epochs=RECIPE["epochs"], seed=RECIPE["seed"], verbose=verbose)
        row = {"penalty": penalty, "lam": lam, **{k: round(v, 4) for k, v in measure(model).items()},
               "train_seconds": round(seconds, 1)}
        rows.append(row)
        if verbose:
            print(row, flush=True)
        if (penalty, lam) == (RECIPE["penalty"], RECIPE["lam"]):
            path = Path(out) / MODEL_FILE
            model.save(path)
            make_portable(path)
            record = {**RECIPE, "cue": "16 px corner tag, colour = class in 95% of images (the cheat's data)",
                      "train_seconds": row["train_seconds"], "fresh_accuracy_with_cue": row["with_tag"],
                      "fresh_accuracy_without_cue": row["without_tag"], "params": int(model.count_params())}
        (Path(out) / SWEEP_FILE).write_text(json.dumps({"recipe": RECIPE, "measured_on": {
            "images": 1000, "maps": 200, "seed": config.UNSEEN_SEED}, "sweep": rows}, indent=2) + "\n")
    return {MODEL_FILE: record}


def load_sweep() -> dict:
    """The shipped λ sweep (:data:`SWEEP_FILE`): ``{"recipe": ..., "measured_on": ..., "sweep": [rows]}``."""
    import json

    return json.loads(config.data_path("models", SWEEP_FILE).read_text())


def check_lesson15(table: dict, sweep: dict) -> None:
    """Checks: the numbers lesson 15's section 6 relies on (``table``: cheat, honest twin, repaired; the sweep)."""
    from helpers.claims import claim

    tw, fx = table["honest twin"], table["repaired"]
    rows = {(r["penalty"], r["lam"]): r for r in sweep["sweep"]}
    best_grad = max(r["without_tag"] for r in sweep["sweep"] if r["penalty"] == "gradient")
    claim("the repaired model's accuracy without the tag, minus the twin's", fx["without_tag"] - tw["without_tag"],
          at_least=-0.02, quiet=True)
    claim("the repaired model's Grad-CAM share on the tag, over the twin's", fx["grad_cam_on_tag"] / tw["grad_cam_on_tag"],
          at_most=1.0, quiet=True)
    claim("the cheat's accuracy without the tag", table["cheat"]["without_tag"], at_most=0.5, quiet=True)
    claim("the best gradient-penalty model's accuracy without the tag, below the twin's",
          tw["without_tag"] - best_grad, at_least=0.3, quiet=True)
    claim("the no-penalty model's accuracy without the tag (sweep)", rows[("none", 0.0)]["without_tag"], at_most=0.5,
          quiet=True)
    claim("the largest-λ gradient-penalty model's accuracy with the tag (sweep)",
          rows[max(k for k in rows if k[0] == "gradient")]["with_tag"], at_most=0.3, quiet=True)
    claim("the smallest-λ repainted-tag model's accuracy without the tag, below the twin's",
          tw["without_tag"] - rows[min(k for k in rows if k[0] == "counterfactual")]["without_tag"], at_least=0.2,
          quiet=True)
