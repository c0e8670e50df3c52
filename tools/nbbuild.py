"""Build the lesson notebooks from their reviewable sources.

Each lesson is written as ``notebooks/src/NN_slug.py`` in the "percent" format
(``# %%`` starts a code cell, ``# %% [markdown]`` a Markdown cell whose lines
start with ``#``). This script turns every source into ``notebooks/NN_slug.ipynb``
without outputs and adds, identically in every lesson:

* a navigation bar (previous | contents | next) with an "Open in Colab" badge,
  at the top and at the bottom;
* the setup cell, which on Colab clones the course, and everywhere checks the
  versions and quiets TensorFlow (:func:`helpers.course.environment.setup`).

Usage::

    python tools/nbbuild.py          # rebuild all notebooks
    python tools/nbbuild.py --check  # fail if any notebook is out of date
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "notebooks" / "src"
OUT = ROOT / "notebooks"
#: The public home of the course; forks change this one line.
GITHUB_REPO = "what-cnns-see/what-cnns-see"
COLAB = "https://colab.research.google.com/github/{repo}/blob/main/notebooks/{name}"
BADGE = "https://colab.research.google.com/assets/colab-badge.svg"

SETUP_CODE = f'''# Setup: run this cell first, and again after a restart.
# On Colab it fetches the course, installs what Colab lacks and checks the
# versions the course needs (about a minute the first time); on your own
# machine (after `make course` or `pip install -e .`) it only checks.
# Every lesson runs on the course's own shapes CNN, offline; its last section shows
# the same tools on VGG16 (InceptionV3 for DeepDream) when ImageNet weights are
# reachable (Colab, online).
import os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow loads: no C++ start-up chatter
COURSE_REPO = "https://github.com/{GITHUB_REPO}"  # a fork works too
if "google.colab" in sys.modules:
    if not os.path.isdir("what-cnns-see"):
        !git clone -q --depth 1 {{COURSE_REPO}} what-cnns-see
    sys.path.insert(0, os.path.abspath("what-cnns-see"))
from helpers.course import environment
environment.setup()  # says what to do about any version mismatch; turns on Colab's widget manager
%matplotlib inline'''


def parse_percent(text: str) -> list[dict]:
    """Cells from a percent-format source: ``[{"type": "code"|"markdown", "source": str}]``."""
    cells: list[dict] = []
    current: dict | None = None
    for line in text.splitlines():
        header = re.match(r"^# %%(.*)$", line)
        if header:
            if current is not None:
                cells.append(current)
            kind = "markdown" if "[markdown]" in header.group(1) else "code"
            current = {"type": kind, "lines": []}
            continue
        if current is None:
            continue  # module docstring / preamble before the first cell
        if current["type"] == "markdown":
            line = line[2:] if line.startswith("# ") else ("" if line.strip() == "#" else line)
        current["lines"].append(line)
    if current is not None:
        cells.append(current)
    out = []
    for c in cells:
        src = "\n".join(c["lines"]).strip("\n")
        if src:
            out.append({"type": c["type"], "source": src})
    return out


def _title(cells: list[dict], fallback: str) -> str:
    for c in cells:
        if c["type"] == "markdown":
            m = re.search(r"^#\s+(.+)$", c["source"], flags=re.M)
            if m:
                return m.group(1).strip()
    return fallback


def nav_markdown(names: list[str], titles: dict[str, str], i: int) -> str:
    name = names[i]
    prev_link = f"[← {titles[names[i - 1]]}]({names[i - 1]})" if i > 0 else "← (start)"
    next_link = f"[{titles[names[i + 1]]} →]({names[i + 1]})" if i + 1 < len(names) else "(end) →"
    colab = COLAB.format(repo=GITHUB_REPO, name=name)
    return (f"[![Open In Colab]({BADGE})]({colab})  \n"
            f"{prev_link} | [Contents](../README.md#lessons) | {next_link}")


def _cell(kind: str, source: str) -> dict:
    cell = {"cell_type": kind, "metadata": {}, "source": source}
    if kind == "code":
        cell.update({"execution_count": None, "outputs": []})
    return cell


def build_all() -> dict[Path, str]:
    """``{notebook path: JSON text}`` for every source."""
    sources = sorted(SRC.glob("[0-9][0-9]_*.py"))
    names = [p.stem + ".ipynb" for p in sources]
    parsed = {p.stem + ".ipynb": parse_percent(p.read_text()) for p in sources}
    titles = {n: _title(parsed[n], n) for n in names}
    result = {}
    for i, name in enumerate(names):
        nav = nav_markdown(names, titles, i)
        cells = [_cell("markdown", nav), _cell("code", SETUP_CODE)]
        cells += [_cell(c["type"], c["source"]) for c in parsed[name]]
        cells.append(_cell("markdown", nav))
        nb = {
            "cells": cells,
            "metadata": {
                "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                "language_info": {"name": "python"},
                "colab": {"provenance": []},
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        for k, cell in enumerate(nb["cells"]):
            cell["id"] = f"c{k:03d}"
        result[OUT / name] = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check that notebooks are up to date")
    args = parser.parse_args(argv)
    built = build_all()
    stale = [p for p, text in built.items() if not p.exists() or p.read_text() != text]
    orphans = [p for p in OUT.glob("[0-9][0-9]_*.ipynb") if p not in built]
    if args.check:
        for p in stale:
            print(f"out of date: {p.relative_to(ROOT)} (run: python tools/nbbuild.py)")
        for p in orphans:
            print(f"no source for: {p.relative_to(ROOT)}")
        return 1 if stale or orphans else 0
    for p in stale:
        p.write_text(built[p])
        print(f"wrote {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
