"""Keep ``.keras`` files loadable by older Keras 3 releases (3.10 on), weights untouched.

A ``.keras`` file is a zip of ``config.json`` (the architecture),
``metadata.json`` and ``model.weights.h5``. Keras 3.15 writes new keys into
the config: ``input_axes`` and ``output_axes`` in every variance-scaling
initializer (``HeNormal``, ``GlorotUniform``, ...) and ``quantization_config``
in ``Dense``. Older releases refuse them (``HeNormal.__init__() got an
unexpected keyword argument 'input_axes'``, ``Unrecognized keyword arguments
passed to Dense: {'quantization_config': None}``) and the whole model fails to
load, as on Colab. At their default (``None``) these keys mean what the older
releases do anyway (an initializer only matters when a layer is built from
scratch, never when weights are loaded), so :func:`make_portable` removes
them and copies every other member of the zip byte for byte. ``python tools/portable_models.py`` applies it to the shipped
models; :mod:`helpers.course.train` applies it to every model it saves.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

#: Keys that newer Keras writes into initializer configs, with the default at which dropping them changes nothing.
NEW_INITIALIZER_KEYS = {"input_axes": None, "output_axes": None}
#: The same for layer configs.
NEW_LAYER_KEYS = {"quantization_config": None}


def portable_config(config):
    """A copy of a ``config.json`` structure without the new keys at their defaults.

    Returns ``(config, removed)``, ``removed`` being how many keys were dropped.
    """
    removed = 0

    def walk(node):
        nonlocal removed
        if isinstance(node, list):
            return [walk(v) for v in node]
        if not isinstance(node, dict):
            return node
        out = {k: walk(v) for k, v in node.items()}
        inner = out.get("config")
        if "class_name" in out and isinstance(inner, dict):
            new = NEW_INITIALIZER_KEYS if str(out.get("module", "")).startswith("keras.initializers") else NEW_LAYER_KEYS
            for key, default in new.items():
                if key in inner and inner[key] == default:
                    del inner[key]
                    removed += 1
        return out

    return walk(config), removed


def make_portable(path, out=None) -> int:
    """Rewrite the ``.keras`` file ``path`` (to ``out``, default in place) with a portable config.

    Every other member (the weights above all) is copied unchanged. Returns
    the number of keys removed (0: the file was already portable and is left as it is).
    """
    path = Path(path)
    out = Path(out) if out is not None else path
    with zipfile.ZipFile(path) as src:
        if "config.json" not in src.namelist():
            raise ValueError(f"{path} is not a .keras file (no config.json inside)")
        config, removed = portable_config(json.loads(src.read("config.json")))
        members = [(info, src.read(info.filename)) for info in src.infolist()]
    if removed == 0 and out == path:
        return 0
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as dst:
        for info, data in members:
            if info.filename == "config.json":
                data = json.dumps(config).encode()
            dst.writestr(info, data)
    tmp.replace(out)
    return removed
