"""Measurements that back the course's claims, printed as ``name: value`` lines.

Usage::

    python -m helpers.course.evaluate accuracy      # shapes_accuracy on an unseen seed
    python -m helpers.course.evaluate pointing      # pointing game per attribution method
    python -m helpers.course.evaluate sanity        # model-randomization sanity check
    python -m helpers.course.evaluate tsne          # t-SNE / k-NN on learned features
    python -m helpers.course.evaluate deepdream     # DeepDream objective gain
    python -m helpers.course.evaluate classviz      # class-visualization transfer to model B
    python -m helpers.course.evaluate faithfulness  # deletion/insertion AUC and two-object test per method
    python -m helpers.course.evaluate shortcut      # lesson 12: the tag-reading cheat and its maps
    python -m helpers.course.evaluate robustness    # lesson 15: accuracy under PGD, saliency, the repaired cheat
    python -m helpers.course.evaluate all

Each command is a function returning ``{name: value}``; the modules that own a
technique define its report and register it in :data:`COMMANDS`. Every
command takes ``--n`` (sample count) and ``--seed`` (an unseen data seed).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time

from helpers.config import UNSEEN_SEED  # noqa: E402,F401  (the data seed no model was trained on)

#: command -> (module:function, default sample count)
COMMANDS: dict[str, tuple[str, int]] = {
    "accuracy": ("helpers.course.evaluate:accuracy_report", 5000),
    "pointing": ("helpers.course.evaluate:pointing_report", 1000),
    "sanity": ("helpers.course.evaluate:sanity_report", 200),
    "tsne": ("helpers.embedding:tsne_report", 1000),
    "deepdream": ("helpers.deepdream:deepdream_report", 1),
    "classviz": ("helpers.classviz:classviz_report", 64),
    "faithfulness": ("helpers.faithfulness:faithfulness_report", 64),
    "shortcut": ("helpers.shortcut:shortcut_report", 100),
    "robustness": ("helpers.adversarial:robustness_report", 500),
    "concepts": ("helpers.course.evaluate:concepts_report", 2000),
}


def accuracy_report(n: int = 5000, seed: int = UNSEEN_SEED) -> dict[str, float]:
    """Accuracy of the shipped shapes CNN (and its twin) on freshly generated shapes."""
    from helpers.models import load_shapes
    from helpers.train import accuracy

    return {
        "shapes_accuracy": accuracy(load_shapes("a").model, n=n, seed=seed),
        "shapes_b_accuracy": accuracy(load_shapes("b").model, n=n, seed=seed),
    }


def pointing_report(n: int = 1000, seed: int = UNSEEN_SEED, tolerance: int = 3) -> dict[str, float]:
    """Pointing game and energy-in-mask of the "gradient" family's methods, plus random and centre baselines.

    Runs the shapes CNN on ``n`` fresh images (true class explained). SmoothGrad
    uses 16 noisy samples and integrated gradients 16 steps here, to keep the
    run to a few minutes on two CPU cores. ``grad_cam_channels`` is the lecture
    notes' variant (ReLU per channel before the sum); ``grad_cam_conv3`` is
    Grad-CAM one layer earlier (same 16x16 grid, smaller receptive field).
    """
    import warnings

    from helpers import config

    from helpers import attribution as A
    from helpers import metrics as M
    from helpers.models import load_shapes
    from helpers.shapes import make_shapes

    model = load_shapes("a").model
    x, y, masks = make_shapes(n, seed=seed)
    runs = {m.name: (m.function, m.settings(seed=seed)) for m in A.REGISTRY.values() if m.family == "gradient"}
    runs["grad_cam_channels"] = (A.grad_cam, {"relu": "channels"})
    runs["grad_cam_conv3"] = (A.grad_cam, {"layer": "conv3"})
    out: dict[str, float] = {}
    energy: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, (fn, kw) in config.progress_bar(runs.items(), "pointing game"):
            maps = fn(model, x, y, **kw)
            out[f"pointing_{name}"] = float(M.pointing_game(maps, masks, tolerance).mean())
            energy[f"energy_{name}"] = float(M.energy_in_mask(maps, masks).mean())
    for name, maps in (("random", M.random_maps(n, masks.shape[1:], seed=seed)), ("centre", M.centre_maps(n, masks.shape[1:]))):
        out[f"pointing_{name}"] = float(M.pointing_game(maps, masks, tolerance).mean())
        energy[f"energy_{name}"] = float(M.energy_in_mask(maps, masks).mean())
    return {**out, **energy}


def sanity_report(n: int = 200, seed: int = UNSEEN_SEED) -> dict[str, float]:
    """Model-randomization sanity check (Adebayo et al. 2018) on ``n`` fresh shapes images.

    Every layer of the shapes CNN is re-initialised, top to bottom; the
    figures are the mean Spearman rank correlation between each method's maps
    on the trained and on the fully randomized model (lower = the method
    depends more on the weights), the share of all-zero maps on the
    randomized model, and the pointing game (3 px) of three methods on the
    fully randomized model. Defaults to 200 images: enough for two decimals.
    """
    from helpers import config

    from helpers import attribution as A
    from helpers import metrics as M
    from helpers.models import load_shapes
    from helpers.shapes import make_shapes

    model = load_shapes("a").model
    x, y, masks = make_shapes(n, seed=seed)
    out: dict[str, float] = {}
    empty: dict[str, float] = {}
    for name in config.progress_bar(list(A.METHODS), "sanity"):  # the "gradient" family
        m = A.REGISTRY[name]
        res = M.randomization_cascade(model, x, y, m.function, seed=seed, method_kwargs=m.settings(seed=seed))
        out[f"sanity_spearman_{name}"] = res["spearman"][-1]
        empty[f"sanity_empty_maps_{name}"] = res["empty"][-1]
    # Does a method still find the object when the network knows nothing?
    import warnings

    random_net = M.randomized_model(model, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ("grad_cam", "saliency", "guided_backprop"):
            maps = A.REGISTRY[name].function(random_net, x, y)
            empty[f"sanity_pointing_random_net_{name}"] = float(M.pointing_game(maps, masks).mean())
    return {**out, **empty}


def concepts_report(n: int = 2000, seed: int = UNSEEN_SEED) -> dict[str, float]:
    """Lessons 13 and 14: network dissection on ``n`` images, then TCAV's known answers on ``n // 20`` per class set.

    Dissection: detectors per layer of the shapes CNN and of its randomized copy, the last conv layer at
    three IoU thresholds, and the time and peak memory of dissecting it
    (:func:`helpers.dissection.dissection_report`). TCAV: the tag concept on the cheat and its honest
    twin, and stripes on the main CNN, with scores and corrected p-values
    (:func:`helpers.tcav.tcav_report`; at least 100 images a set).
    """
    from helpers.dissection import dissection_report
    from helpers.tcav import tcav_report

    return {**dissection_report(n, seed), **tcav_report(max(100, n // 20), seed)}


def _resolve(target: str):
    module, func = target.split(":")
    return getattr(importlib.import_module(module), func)


def run(command: str, n: int | None = None, seed: int = UNSEEN_SEED, judge: str | None = None) -> dict[str, float]:
    """Run one command and return its figures (``judge``: another model file for ``classviz``)."""
    if command not in COMMANDS:
        raise ValueError(f"unknown command {command!r}; choose from {', '.join(COMMANDS)} or all")
    target, default_n = COMMANDS[command]
    try:
        fn = _resolve(target)
    except (ImportError, AttributeError) as exc:
        raise NotImplementedError(f"'{command}' is not available yet ({target}: {exc})") from exc
    if judge is not None and command != "classviz":
        raise ValueError(f"--judge only applies to classviz, not to {command!r}")
    extra = {"judge": judge} if judge is not None else {}
    return fn(n=default_n if n is None else n, seed=seed, **extra)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=[*COMMANDS, "all"])
    parser.add_argument("--n", type=int, default=None, help="number of samples (default depends on the command)")
    parser.add_argument("--seed", type=int, default=UNSEEN_SEED, help="data seed (default: an unseen one)")
    parser.add_argument("--judge", default=None,
                        help="classviz only: a .keras file to judge model A's images instead of model B "
                             "(e.g. one trained with `python -m helpers.course.train --seeds 2 --plain-seeds`)")
    args = parser.parse_args(argv)
    commands = list(COMMANDS) if args.command == "all" else [args.command]
    if args.judge is not None and commands != ["classviz"]:
        parser.error("--judge only applies to the classviz command")
    status = 0
    for command in commands:
        start = time.perf_counter()
        try:
            figures = run(command, args.n, args.seed, judge=args.judge)
        except NotImplementedError as exc:
            print(f"# {exc}", file=sys.stderr)
            status = 2
            continue
        for name, value in figures.items():
            print(f"{name}: {value:.4f}" if isinstance(value, float) else f"{name}: {value}", flush=True)
        print(f"# {command} took {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
