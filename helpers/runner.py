"""Execute the course notebooks and publish them as an HTML site.

``python -m helpers.runner`` (what ``make course`` calls) runs every notebook
in ``notebooks/`` top to bottom in a fresh kernel, writes the executed copies to
``build/notebooks/`` and an HTML page per lesson plus an ``index.html`` to
``build/site/``. It prints one progress line per notebook and exits non-zero
if any notebook fails. ``--fast`` (or ``COURSE_FAST=1``) runs the quick version.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from helpers import config

NOTEBOOKS = config.repo_root() / "notebooks"


@dataclass
class RunResult:
    name: str
    ok: bool
    seconds: float
    error: str = ""


def notebook_paths(only: list[str] | None = None) -> list[Path]:
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if only:
        paths = [p for p in paths if any(p.name.startswith(o) or o in p.stem for o in only)]
    return paths


def execute_notebook(path: Path, out_dir: Path | None = None, fast: bool = True, timeout: int = 900,
                     workdir: Path | None = None):
    """Run one notebook in a fresh kernel; return the executed ``NotebookNode``.

    The kernel inherits this process's environment plus ``COURSE_FAST`` and
    ``COURSE_OFFLINE=1`` (the course never waits on the network when executed
    here). The kernel process's own stderr goes to ``<workdir>/<name>.kernel.log``.
    Raises ``nbclient`` errors on a failing cell, with the cell's traceback in
    the message.
    """
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    env_backup = dict(os.environ)
    os.environ["COURSE_FAST"] = "1" if fast else "0"
    os.environ.setdefault("COURSE_OFFLINE", "1")
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    workdir = workdir or (config.repo_root() / "build" / "work")
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / f"{path.stem}.kernel.log"
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=False,
                                store_widget_state=True, resources={"metadata": {"path": str(workdir)}})
        with open(log_path, "w") as log:  # the kernel's own stderr (TensorFlow start-up chatter)
            client.execute(stderr=log, stdout=log)
    finally:
        os.environ.clear()
        os.environ.update(env_backup)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out_dir / path.name)
    return nb


def to_html(nb, dest: Path) -> None:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(body)


def _index(results: list[RunResult], site: Path, fast: bool) -> None:
    rows = []
    for r in results:
        title = r.name
        status = "✅" if r.ok else f"❌ {html.escape(r.error[:200])}"
        link = f"<a href='{Path(r.name).stem}.html'>{html.escape(title)}</a>" if r.ok else html.escape(title)
        rows.append(f"<tr><td>{link}</td><td>{status}</td><td>{r.seconds:.1f} s</td></tr>")
    mode = "fast mode (COURSE_FAST=1)" if fast else "full size"
    page = f"""<!doctype html><html><head><meta charset='utf-8'><title>What CNNs See</title>
<style>body{{font-family:sans-serif;max-width:860px;margin:2em auto}}td{{padding:4px 12px}}</style></head>
<body><h1>What CNNs See</h1><p>Executed lessons, {mode}, built {time.strftime('%Y-%m-%d %H:%M')}.</p>
<table><tr><th>Lesson</th><th>Status</th><th>Run time</th></tr>{''.join(rows)}</table></body></html>"""
    (site / "index.html").write_text(page)


def run_course(fast: bool, out: Path, only: list[str] | None = None) -> list[RunResult]:
    paths = notebook_paths(only)
    results: list[RunResult] = []
    total_start = time.perf_counter()
    for i, path in enumerate(paths, 1):
        print(f"[{i}/{len(paths)}] {path.name} ...", end=" ", flush=True)
        start = time.perf_counter()
        try:
            nb = execute_notebook(path, out / "notebooks", fast=fast)
            to_html(nb, out / "site" / f"{path.stem}.html")
            results.append(RunResult(path.name, True, time.perf_counter() - start))
            print(f"ok ({results[-1].seconds:.1f} s)", flush=True)
        except Exception as exc:  # report and carry on with the other lessons
            msg = str(exc).strip().splitlines()
            results.append(RunResult(path.name, False, time.perf_counter() - start, " ".join(msg[-3:])))
            print(f"FAILED ({results[-1].seconds:.1f} s)\n{exc}", flush=True)
    _index(results, out / "site", fast)
    (out / "site" / "run.json").write_text(json.dumps([r.__dict__ for r in results], indent=1))
    n_ok = sum(r.ok for r in results)
    print(f"{n_ok} passed, {len(results) - n_ok} failed in {time.perf_counter() - total_start:.0f} s; "
          f"site: {out / 'site' / 'index.html'}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fast", action="store_true", help="quick run (same as COURSE_FAST=1)")
    parser.add_argument("--only", nargs="*", help="run only notebooks whose name starts with or contains these")
    parser.add_argument("--out", type=Path, default=config.repo_root() / "build")
    args = parser.parse_args(argv)
    fast = args.fast or config.is_fast()
    results = run_course(fast, args.out, args.only)
    return 0 if results and all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
