"""Network dissection's cost: all four conv layers of the shapes CNN on 2,000 images, and the quantile's error.

The issue's targets: under a minute on 2 CPU cores and under 1.5 GB peak memory. Each layer is
dissected on the same 2,000 fresh images (streamed: drawn batch by batch from a seed, read four
times, never stored). Memory is this process's peak resident memory (Linux ``VmHWM``), TensorFlow
and the model included, and the part the dissections added to it. The streaming quantile
(:func:`helpers.dissection.streaming_quantile`) is compared with :func:`numpy.quantile` over
every activation of a small set, held in memory for this comparison only.

No peer runs here: NetDissect needs the Broden data set (download links dead) and PyTorch.

Prints ``name: value`` lines: ``seconds_all_layers`` (the four layers in one call, sharing the passes
over the images), ``peak_mb_all_layers`` and ``added_mb_all_layers`` (peak after that call, and the part
it added), ``seconds_<layer>_alone`` and ``seconds_layers_one_by_one`` (each layer in a call of its own),
``peak_mb`` (at the end), ``quantile_max_relative_error`` (over the units of every layer, the largest
``|streaming - exact| / exact`` of the top-0.5 % level on ``--exact`` images; units whose exact
level is 0 are compared absolutely) and ``quantile_units_compared``.

Usage: ``python benchmarks/dissection.py [--n 2000] [--exact 200] [--seed 777001]``.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("COURSE_PROGRESS", "0")

import numpy as np  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--exact", type=int, default=200)
    parser.add_argument("--seed", type=int, default=777_001)
    args = parser.parse_args()

    from helpers import dissection as D
    from helpers.activations import get_activations
    from helpers.models import load_model

    spec = load_model("shapes", verbose=False)
    layers = list(spec.conv_layers)
    D.dissect(spec, layers, 16, args.seed, progress=False)        # trace the compiled steps once
    for layer in layers:
        D.dissect(spec, layer, 16, args.seed, progress=False)
    before = D._peak_rss_mb()
    start = time.perf_counter()
    D.dissect(spec, layers, args.n, args.seed, progress=False)
    print(f"seconds_all_layers: {time.perf_counter() - start:.2f}")
    peak_all = D._peak_rss_mb()
    total = 0.0
    for layer in layers:
        start = time.perf_counter()
        D.dissect(spec, layer, args.n, args.seed, progress=False)
        took = time.perf_counter() - start
        total += took
        print(f"seconds_{layer}_alone: {took:.2f}")
    print(f"seconds_layers_one_by_one: {total:.2f}")
    print(f"peak_mb_all_layers: {peak_all:.0f}")
    print(f"added_mb_all_layers: {max(0.0, peak_all - before):.0f}")
    print(f"peak_mb: {D._peak_rss_mb():.0f}")

    x = np.concatenate([b[0] for b in D.shapes_stream(args.exact, args.seed)])
    worst, units = 0.0, 0
    for layer in spec.conv_layers:
        acts = get_activations(spec, x, layer)[layer]
        flat = acts.reshape(-1, acts.shape[-1])
        exact = np.quantile(flat, 0.995, axis=0)
        est = D.streaming_quantile(lambda: (flat[s:s + 4096] for s in range(0, len(flat), 4096)), 0.995)
        err = np.abs(est - exact) / np.where(exact > 0, exact, 1.0)
        worst, units = max(worst, float(err.max())), units + len(exact)
    print(f"quantile_max_relative_error: {worst:.2e}")
    print(f"quantile_units_compared: {units}")


if __name__ == "__main__":
    main()
