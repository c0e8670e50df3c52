"""Retrain the course's shipped shapes CNNs: the command line of :mod:`helpers.train`.

``python -m helpers.course.train`` (or ``make train-shapes``) retrains both
shipped models from scratch on freshly generated shapes and writes them to
``data/models/``. On 2 CPU cores one model takes about five minutes.
``--shortcut`` (which ``make train-shapes`` passes) also trains lesson 12's
cheating model and its honest twin (:func:`helpers.shortcut.train_pair`, about a
minute each); ``python -m helpers.course.train --seeds --plain-seeds --shortcut``
trains only those two. ``--repaired`` trains only lesson 15's repaired cheat and its λ sweep
(:func:`helpers.repair.train_shipped`, eight models, about 25 minutes). The architecture and the training recipe are in
:mod:`helpers.train`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from helpers import config
from helpers.shapes import CLASS_NAMES
from helpers.train import accuracy, train_shapes_cnn


def _file_name(seed: int, plain: bool = False) -> str:
    """``shapes_cnn.keras`` (seed 0), ``shapes_cnn_b.keras`` (seed 1), ``shapes_cnn_plain.keras`` (plain seed 0)."""
    if plain:
        return "shapes_cnn_plain.keras" if seed == 0 else f"shapes_cnn_plain_seed{seed}.keras"
    return {0: "shapes_cnn.keras", 1: "shapes_cnn_b.keras"}.get(seed, f"shapes_cnn_seed{seed}.keras")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1],
                        help="one model per seed; seed 0 is the default model, seed 1 its twin")
    parser.add_argument("--plain-seeds", type=int, nargs="*", default=[0],
                        help="also train these seeds on clean images only (seed 0: shapes_cnn_plain.keras)")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--n-train", type=int, default=15000)
    parser.add_argument("--adversarial", type=float, default=0.015,
                        help="RMS size of the adversarial training step per pixel value (0: clean images only)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default data/models)")
    parser.add_argument("--shortcut", action="store_true",
                        help="also train lesson 12's tag-reading cheat and its honest twin "
                             "(shapes_cnn_shortcut.keras, shapes_cnn_honest.keras; their own short recipe, "
                             "see helpers.shortcut)")
    parser.add_argument("--repaired", action="store_true",
                        help="only lesson 15's repaired cheat and its lambda sweep (shapes_cnn_repaired.keras, "
                             "shapes_cnn_repaired.json; see helpers.repair; about 25 minutes)")
    args = parser.parse_args(argv)
    from helpers.course.kerasfile import make_portable

    out = args.out or config.data_path("models")
    out.mkdir(parents=True, exist_ok=True)
    record_path = out / "shapes_cnn.json"
    record = json.loads(record_path.read_text()) if record_path.is_file() else {}
    record = {"classes": list(CLASS_NAMES), "models": dict(record.get("models", {}))}  # keeps other models' entries
    if args.repaired:
        from helpers.repair import train_shipped

        record["models"].update(train_shipped(out))
        record_path.write_text(json.dumps(record, indent=2) + "\n")
        return 0
    runs = [(seed, args.adversarial, False) for seed in args.seeds] + [(seed, 0.0, True) for seed in args.plain_seeds]
    for seed, adversarial, plain in runs:
        model, seconds = train_shapes_cnn(seed=seed, n_train=args.n_train, epochs=args.epochs,
                                          adversarial=adversarial)
        acc = accuracy(model)
        fname = _file_name(seed, plain)
        model.save(out / fname)
        make_portable(out / fname)  # loadable by Keras 3.10 and later too (helpers.course.kerasfile)
        record["models"][fname] = {"seed": seed, "epochs": args.epochs, "n_train": args.n_train,
                                   "adversarial": adversarial,
                                   "train_seconds": round(seconds, 1), "fresh_accuracy": round(acc, 4),
                                   "params": int(model.count_params())}
        record_path.write_text(json.dumps(record, indent=2) + "\n")  # after each model: nothing lost
        print(f"{fname}: accuracy {acc:.4f} on fresh data, trained in {seconds:.0f} s", flush=True)
    if args.shortcut:
        from helpers.shortcut import train_pair

        record["models"].update(train_pair(out))
        record_path.write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
