"""The environment: the setup cell of every lesson, a version check, and a report for bug reports.

Every lesson starts with a setup cell that (on Colab, after cloning the
course) calls :func:`setup`. It installs what Colab lacks, checks the
versions the course needs (:func:`check_versions`) and says plainly what to
do about each mismatch, loads TensorFlow without its C++ start-up chatter
(:func:`quiet_tensorflow`), and on Colab turns on the custom widget manager
that the panels need, on every run of the cell (a re-run after a restart
needs it again).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import importlib.util
import os
import platform
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass

PACKAGES = ["tensorflow", "keras", "numpy", "matplotlib", "ipywidgets", "sklearn", "skimage", "tqdm", "PIL"]
#: What the course is written and tested against: distribution -> (lowest, below this, required?).
#: A required one is upgraded on Colab; the others are reported with advice.
REQUIREMENTS = {"ipywidgets": ("8", "9", True), "keras": ("3.10", "4", True), "tensorflow": ("2.21", "2.22", False)}
#: Installed on Colab when missing (Colab ships the rest).
COLAB_EXTRAS = {"skimage": "scikit-image", "tqdm": "tqdm"}


@dataclass
class Problem:
    name: str
    found: str | None
    wanted: str
    required: bool
    advice: str

    def __str__(self) -> str:
        mark = "✗" if self.required else "!"
        return f"{mark} {self.name} {self.found or 'missing'} (the course needs {self.wanted}): {self.advice}"


def parse_version(text: str) -> tuple[int, ...]:
    """``"8.1.5"`` -> ``(8, 1, 5)``; suffixes such as ``rc1`` or ``+cu121`` are ignored."""
    m = re.match(r"\s*(\d+(?:\.\d+)*)", str(text))
    if not m:
        raise ValueError(f"not a version number: {text!r}")
    return tuple(int(p) for p in m.group(1).split("."))


def _wanted(low: str, high: str) -> str:
    return f">={low},<{high}"


def check_versions(found: dict[str, str | None]) -> list[Problem]:
    """The mismatches between installed versions (``{distribution: version or None}``) and :data:`REQUIREMENTS`.

    An empty list means everything fits. Each problem says what to do.
    """
    problems = []
    for name, (low, high, required) in REQUIREMENTS.items():
        version = found.get(name)
        wanted = _wanted(low, high)
        if version is None:
            problems.append(Problem(name, None, wanted, True, f'install it: pip install "{name}{wanted}"'))
            continue
        v = parse_version(version)
        if parse_version(low) <= v < parse_version(high):
            continue
        if name == "ipywidgets":
            advice = (f'the panels need ipywidgets 8 (with {version}, uploads fail with "KeyError: 0"): '
                      f'pip install "ipywidgets{wanted}", then restart the session and run this cell again')
        elif name == "tensorflow":
            advice = (f"the course is tested with TensorFlow {low}; {version} usually works. If a cell fails, "
                      f'pip install "tensorflow{wanted}" and restart the session')
        else:
            advice = f'pip install "{name}{wanted}", then restart the session and run this cell again'
        problems.append(Problem(name, version, wanted, required, advice))
    return problems


def installed_versions() -> dict[str, str | None]:
    """Installed versions of the distributions in :data:`REQUIREMENTS` (without importing them)."""
    found = {}
    for name in REQUIREMENTS:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


@contextlib.contextmanager
def _silenced_stderr():
    """Send file descriptor 2 (where C++ libraries write) to a temporary file; show it if the body fails."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            sys.stderr.write(sink.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def quiet_tensorflow():
    """Import TensorFlow with its C++ start-up messages (oneDNN, CUDA probing) hidden; return the module.

    ``TF_CPP_MIN_LOG_LEVEL=3`` hides the later C++ errors (e.g. ``cuInit`` on a
    machine without a GPU); the lines TensorFlow writes while loading, before
    its logging starts, ignore it and are swallowed here.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    with _silenced_stderr():
        import tensorflow as tf

        tf.config.list_physical_devices("GPU")  # probes CUDA now, silently, rather than in a later cell
    return tf


def _pip(args: list[str], run=subprocess.run) -> None:
    run([sys.executable, "-m", "pip", "install", "-q", *args], check=True)


def setup(colab: bool | None = None, run=subprocess.run, enable_widgets=None) -> list[Problem]:
    """What a lesson's setup cell does; prints one line per problem (or one "ready" line).

    Args:
      colab: running on Colab (default: detected).
      run: runs pip (``subprocess.run``; tests pass a fake).
      enable_widgets: turns on Colab's widget manager (default:
        ``google.colab.output.enable_custom_widget_manager``).

    Returns:
      the version problems still open after any Colab installs.
    """
    colab = "google.colab" in sys.modules if colab is None else colab
    if colab:
        missing = [pkg for mod, pkg in COLAB_EXTRAS.items() if importlib.util.find_spec(mod) is None]
        if missing:
            _pip(missing, run)
        for p in check_versions(installed_versions()):
            if p.required and p.name == "ipywidgets":
                print(f"Upgrading ipywidgets {p.found or '(missing)'} to {p.wanted}: the panels need version 8.")
                _pip([f"ipywidgets{p.wanted}"], run)
                importlib.invalidate_caches()
    problems = check_versions(installed_versions())
    loaded = sys.modules.get("ipywidgets")
    if loaded is not None and parse_version(getattr(loaded, "__version__", "0")) < (8,):
        problems.append(Problem("ipywidgets (loaded)", loaded.__version__, ">=8", True,
                                "a newer version is installed but this session still runs the old one: restart "
                                "the session (Runtime > Restart session) and run this cell again"))
    if colab:
        if enable_widgets is None:
            from google.colab import output

            enable_widgets = output.enable_custom_widget_manager
        enable_widgets()
    for p in problems:
        print(p)
    v = installed_versions()
    if v["tensorflow"]:
        quiet_tensorflow()
    if not problems:
        print(f"✓ ready: TensorFlow {v['tensorflow']}, Keras {v['keras']}, ipywidgets {v['ipywidgets']}")
    return problems


def check_environment() -> list[dict]:
    """One row per component: name, version (or None) and whether it is usable."""
    rows = [{"name": "python", "version": platform.python_version(), "ok": sys.version_info >= (3, 10)}]
    with contextlib.suppress(ImportError):
        quiet_tensorflow()
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
