"""Feature-visualization speed: batching, compilation, step overhead and bf16, measured side by side.

The shapes CNN is too small (64 px, 61k parameters) for meaningful timings, so
this uses VGG16 with *random* weights (``weights=None``: no download; the
cost of a step does not depend on the weights) at 128 px, maximizing filters
of ``block5_conv3``. All methods run the same number of steps on the same
image size with the same transforms (jitter + clip), and every figure is a
ratio of times measured in this one run. Steady-state time per step is used
(the first step of each method, which traces/compiles, is excluded).

Prints ``name: value`` lines:

* ``batched_speedup_vs_loop``: classic eager per-filter loop / one batched render (16 filters);
* ``batched_speedup_vs_compiled_loop``: per-filter loop with a compiled step / batched render;
* ``step_overhead_vs_forward_backward``: render's time per step / a bare compiled forward+backward;
* ``batched_xla_speedup_vs_loop``, ``batched_xla_speedup_vs_compiled_loop`` and
  ``xla_step_speedup_vs_graph``: the batched render with ``jit_compile=True`` (XLA);
* the same with a ``_64`` suffix for 64 filters;
* ``forward_backward_batch_gain``: a bare compiled forward+backward, time per image at batch 1 / at
  batch 16, and ``eager_overhead_forward_backward``: the same pass at batch 1, eager / compiled.
  Together they explain ``batched_speedup_ceiling``: the eager loop's time / the bare batched
  forward+backward alone, i.e. the ``batched_speedup_vs_loop`` a render would reach if its step cost
  nothing beyond that pass (``step_overhead_vs_forward_backward`` = 1). Every step does at least that
  pass, so a batched render can match this figure, within timing noise, but not beat it;
* ``bf16_step_speedup_vs_fp32`` and ``bf16_final_objective_ratio`` (final objective, evaluated in
  fp32, of the bf16 render divided by the fp32 render's, at equal steps).

Usage: ``python benchmarks/featvis.py [--quick] [--steps N] [--size PX]``.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402


def build(size: int):
    import keras

    return keras.applications.VGG16(weights=None, include_top=False, input_shape=(size, size, 3))


def steady(times: list[float]) -> float:
    """Mean time per step, first (tracing) step excluded."""
    return float(np.mean(np.diff(times)[1:])) if len(times) > 2 else float(times[-1] - times[0])


def eager_loop(fm, filters, steps, size, lr=0.05):
    """The classic recipe: one filter at a time, an eager GradientTape step."""
    import tensorflow as tf

    from helpers import transforms as T

    jit, clip = T.jitter(size // 16, seed=0), T.clip()
    per_step = []
    for k in filters:
        x = tf.Variable(np.full((1, size, size, 3), 0.5, np.float32))
        stamps = [time.perf_counter()]
        for s in range(steps):
            with tf.GradientTape() as tape:
                j = tf.reduce_mean(fm(jit(x, s))[..., k])
            g = tape.gradient(j, x)
            x.assign(clip(x + lr * g / (tf.sqrt(tf.reduce_mean(g * g)) + 1e-8)))
            stamps.append(time.perf_counter())
        per_step.append(steady(stamps))
    return float(np.mean(per_step)) * len(filters)


def compiled_loop(fm, filters, steps, size, lr=0.05):
    """One filter at a time, with a compiled step (filter index passed as a tensor: one trace)."""
    import tensorflow as tf

    from helpers import transforms as T

    jit, clip = T.jitter(size // 16, seed=0), T.clip()
    x = tf.Variable(np.full((1, size, size, 3), 0.5, np.float32))

    @tf.function
    def step(k, s):
        with tf.GradientTape() as tape:
            j = tf.reduce_mean(tf.gather(fm(jit(x, s)), k, axis=3))
        g = tape.gradient(j, x)
        x.assign(clip(x + lr * g / (tf.sqrt(tf.reduce_mean(g * g)) + 1e-8)))

    per_step = []
    for k in filters:
        x.assign(np.full((1, size, size, 3), 0.5, np.float32))
        stamps = [time.perf_counter()]
        for s in range(steps):
            step(tf.constant(k), tf.constant(s))
            stamps.append(time.perf_counter())
        per_step.append(steady(stamps))
    return float(np.mean(per_step)) * len(filters)


def batched(model, layer, n, steps, size, precision="float32", jit_compile=False):
    from helpers import objectives as O
    from helpers import transforms as T
    from helpers.render import render

    stamps = [time.perf_counter()]
    res = render(model, O.channel(layer, range(n)), transforms=[T.jitter(size // 16, seed=0), T.clip()],
                 steps=steps, lr=0.05, size=size, progress=False, precision=precision, keep="last",
                 callback=lambda *a: stamps.append(time.perf_counter()), jit_compile=jit_compile)
    if res.notes:
        print("# " + "; ".join(res.notes), flush=True)
    return steady(stamps), res


def bare(fm, n, size, reps, compiled=True):
    """A bare forward+backward to the input on the same batch (compiled, or eager).

    The objective is the render's own, filter ``i`` for image ``i``, with no
    transform and no update: the least work one step of any method must do.
    """
    import tensorflow as tf

    x = tf.constant(np.full((n, size, size, 3), 0.5, np.float32))
    idx = tf.constant(np.arange(n) % int(fm.outputs[0].shape[-1]), tf.int32)

    def fb():
        with tf.GradientTape() as tape:
            tape.watch(x)
            means = tf.reduce_mean(fm(x), axis=[1, 2])
            j = tf.reduce_sum(tf.gather(means, idx, axis=1, batch_dims=1))
        return tape.gradient(j, x)

    if compiled:
        fb = tf.function(fb)
    fb()
    stamps = [time.perf_counter()]
    for _ in range(reps):
        fb().numpy()
        stamps.append(time.perf_counter())
    return float(np.mean(np.diff(stamps)))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="64 px, 4 steps, 16 filters only (a smoke run)")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--layer", default="block5_conv3")
    args = parser.parse_args(argv)
    from helpers import config
    from helpers import objectives as O
    from helpers.activations import feature_model

    config.set_fast(False)
    size = args.size or (64 if args.quick else 128)
    steps = args.steps or (4 if args.quick else 8)
    counts = [16] if args.quick else [16, 64]
    model = build(size)
    fm = feature_model(model, args.layer)
    print(f"# VGG16 (random weights) {size}px, layer {args.layer}, {steps} steps per method", flush=True)
    reps = max(3, steps // 2)
    t1, t16 = bare(fm, 1, size, 2 * reps), bare(fm, 16, size, reps)
    t1_eager = bare(fm, 1, size, 2 * reps, compiled=False)
    gain, overhead = 16 * t1 / t16, t1_eager / t1
    print(f"forward_backward_batch_gain: {gain:.3f}", flush=True)
    print(f"eager_overhead_forward_backward: {overhead:.3f}", flush=True)
    for n in counts:
        suffix = "" if n == 16 else f"_{n}"
        filters = list(range(n))
        t_batch, res32 = batched(model, args.layer, n, steps, size)
        t_total = t_batch  # per step, for all n filters at once
        t_eager = eager_loop(fm, filters, steps, size)
        t_comp = compiled_loop(fm, filters, steps, size)
        t_bare = bare(fm, n, size, max(3, steps // 2))
        print(f"seconds_per_step_batched{suffix}: {t_total:.4f}", flush=True)
        print(f"seconds_per_step_eager_loop{suffix}: {t_eager:.4f}", flush=True)
        print(f"seconds_per_step_compiled_loop{suffix}: {t_comp:.4f}", flush=True)
        print(f"seconds_forward_backward{suffix}: {t_bare:.4f}", flush=True)
        print(f"batched_speedup_vs_loop{suffix}: {t_eager / t_total:.3f}", flush=True)
        print(f"batched_speedup_vs_compiled_loop{suffix}: {t_comp / t_total:.3f}", flush=True)
        print(f"step_overhead_vs_forward_backward{suffix}: {t_total / t_bare:.3f}", flush=True)
        print(f"batched_speedup_ceiling{suffix}: {t_eager / t_bare:.3f}", flush=True)
        t_xla, _ = batched(model, args.layer, n, steps, size, jit_compile=True)
        print(f"seconds_per_step_batched_xla{suffix}: {t_xla:.4f}", flush=True)
        print(f"batched_xla_speedup_vs_loop{suffix}: {t_eager / t_xla:.3f}", flush=True)
        print(f"batched_xla_speedup_vs_compiled_loop{suffix}: {t_comp / t_xla:.3f}", flush=True)
        print(f"xla_step_speedup_vs_graph{suffix}: {t_total / t_xla:.3f}", flush=True)
        if n == 16:
            t16, res16 = batched(model, args.layer, n, steps, size, precision="bfloat16")
            obj = O.channel(args.layer, filters)
            f32 = O.evaluate(model, obj, res32.last).mean()
            b16 = O.evaluate(model, obj, res16.last).mean()
            print(f"seconds_per_step_bf16: {t16:.4f}", flush=True)
            print(f"bf16_step_speedup_vs_fp32: {t_total / t16:.3f}", flush=True)
            print(f"bf16_final_objective_ratio: {b16 / f32:.3f}", flush=True)


if __name__ == "__main__":
    main()
