"""Peak memory of loading a 10,000 x 10,000 photo (issue 18).

A phone or microscope image of 10,000 x 10,000 pixels is 300 MB as uint8 and 1.2 GB as a float32
array. ``helpers.images.load_image`` shrinks it inside PIL (JPEG draft mode, then ``thumbnail``)
before it ever becomes a float array. This script measures the peak resident memory of each way of
loading, each in its own fresh process, side by side in one run:

    python benchmarks/big_photo.py

prints ``name: value`` lines (MB of peak RSS above the process's baseline, and the ratio).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

SIDE = 10_000

_CHILD = r"""
import resource, sys, numpy as np
from PIL import Image
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
path, how = sys.argv[1], sys.argv[2]
if how == "course":
    from helpers import images
    import warnings
    warnings.simplefilter("ignore")
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss   # after importing the package
    img = images.load_image(path)
else:  # what a notebook usually does: decode, then convert to float
    Image.MAX_IMAGE_PIXELS = None
    img = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(img.shape[0], img.shape[1], base / 1024.0, (peak - base) / 1024.0)
"""


def _run(path: str, how: str) -> tuple[str, float]:
    out = subprocess.run([sys.executable, "-c", _CHILD, path, how], capture_output=True, text=True, check=True,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    h, w, base, mb = out.stdout.split()[-4:]
    return f"{h}x{w}", float(mb), float(base)


def main() -> None:
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        for ext in ("jpg", "png"):
            path = os.path.join(tmp, f"big.{ext}")
            img = Image.new("RGB", (SIDE, SIDE), (200, 30, 30))
            img.paste((20, 40, 220), (0, 0, SIDE // 2, SIDE))
            img.save(path, quality=90) if ext == "jpg" else img.save(path)
            del img
            shape, course, base = _run(path, "course")
            _, naive, _ = _run(path, "naive")
            print(f"{ext}_process_baseline_rss_mb: {base:.0f}")
            print(f"{ext}_course_loaded_shape: {shape}")
            print(f"{ext}_course_peak_extra_mb: {course:.0f}")
            print(f"{ext}_naive_float_peak_extra_mb: {naive:.0f}")
            print(f"{ext}_naive_over_course: {naive / max(course, 1.0):.1f}")
            print(f"{ext}_course_under_1_gib: {course < 1024}")


if __name__ == "__main__":
    main()
