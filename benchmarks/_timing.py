"""Shared timing for the benchmark scripts (run them as ``python benchmarks/<name>.py``)."""

from __future__ import annotations

import time

import numpy as np


def median_time(fn, repeat: int) -> float:
    """Median wall time of ``fn()`` over ``repeat`` calls, after one warm-up call (tracing, allocation)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))
