"""Make the shipped models loadable by Keras 3.10 and later: ``python tools/portable_models.py [FILES]``.

Without arguments it patches ``data/models/*.keras`` in place (see
:mod:`helpers.course.kerasfile`: two initializer keys that Keras 3.15 writes and older
releases refuse are dropped; the weights are copied byte for byte).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers.course.kerasfile import make_portable  # noqa: E402


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parents[1]
    files = [Path(a) for a in argv] or sorted((root / "data" / "models").glob("*.keras"))
    for f in files:
        print(f"{f.name}: {make_portable(f)} keys removed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
