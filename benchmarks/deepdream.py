"""DeepDream's compiled tile gradient (helpers.deepdream.Dreamer) against the same step in eager mode.

Both sides compute the gradient of the same objective on the same image, in
one run, after a warm-up call; each figure is the median of ``--repeat``
timed calls. Also times a whole dream (octaves, tiles) and checks that a
second image size reuses the compiled graph. Prints ``name: value`` lines.

    python benchmarks/deepdream.py [--size 256] [--tile 128] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _timing import median_time


def main(argv=None) -> None:
    import tensorflow as tf

    from helpers import deepdream, images, objectives
    from helpers.models import load_shapes

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--tile", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    spec = load_shapes("a")
    photo = images.resize(images.load_image("coffee"), args.size, crop=True)
    dreamer = deepdream.Dreamer(spec.model, spec.dream_layers, tile_size=args.tile)
    obj, fm = dreamer.objective, dreamer._features

    def eager_tiled():
        h, w = photo.shape[:2]
        t = args.tile
        grad = np.zeros_like(photo)
        for y0 in range(0, h, t):
            for x0 in range(0, w, t):
                x = tf.constant(photo[None, y0:y0 + t, x0:x0 + t])
                with tf.GradientTape() as tape:
                    tape.watch(x)
                    v = obj(objectives.activations_for(fm, x))[0]
                grad[y0:y0 + t, x0:x0 + t] = tape.gradient(v, x).numpy()[0]
        return grad

    compiled = median_time(lambda: dreamer.tiled_gradient(photo), args.repeat)
    eager = median_time(eager_tiled, args.repeat)
    print(f"deepdream_tiled_gradient_compiled_s: {compiled:.4f}")
    print(f"deepdream_tiled_gradient_eager_s: {eager:.4f}")
    print(f"deepdream_compiled_speedup: {eager / compiled:.2f}")
    other = images.resize(photo, args.size // 2 + 8)
    dreamer.tiled_gradient(other)
    print(f"deepdream_traces_after_two_sizes: {dreamer._vg.experimental_get_tracing_count()}")
    start = time.perf_counter()
    res = deepdream.deepdream(spec, photo, steps=20, octaves=3, tile_size=args.tile, progress=False)
    print(f"deepdream_full_dream_s: {time.perf_counter() - start:.2f}")
    print(f"deepdream_full_dream_gain: {res.gain:.2f}")


if __name__ == "__main__":
    main()
