"""A quick check of the environment, for lesson 00 and for bug reports."""

from __future__ import annotations

import importlib
import platform
import sys

PACKAGES = ["tensorflow", "keras", "numpy", "matplotlib", "ipywidgets", "sklearn", "skimage", "tqdm", "PIL"]


def check_environment() -> list[dict]:
    """One row per component: name, version (or None) and whether it is usable."""
    rows = [{"name": "python", "version": platform.python_version(), "ok": sys.version_info >= (3, 10)}]
    for name in PACKAGES:
        try:
            mod = importlib.import_module(name)
            rows.append({"name": name, "version": getattr(mod, "__version__", "?"), "ok": True})
        except Exception as exc:  # missing or broken install
            rows.append({"name": name, "version": None, "ok": False, "error": str(exc)})
    try:
        import keras

        rows.append({"name": "keras 3", "version": keras.__version__, "ok": keras.__version__.startswith("3")})
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        rows.append({"name": "accelerator", "version": f"{len(gpus)} GPU(s)" if gpus else "CPU only", "ok": True})
    except Exception as exc:
        rows.append({"name": "keras 3", "version": None, "ok": False, "error": str(exc)})
    return rows


def report() -> str:
    """The check as readable text."""
    lines = []
    for r in check_environment():
        mark = "✓" if r["ok"] else "✗"
        lines.append(f"{mark} {r['name']:<12} {r['version'] or r.get('error', 'missing')}")
    return "\n".join(lines)
