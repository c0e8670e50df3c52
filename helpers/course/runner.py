"""Execute the course notebooks and publish them as an HTML site.

``python -m helpers.course.runner`` (what ``make course`` calls) runs every notebook
in ``notebooks/`` top to bottom in a fresh kernel, writes the executed copies to
``build/notebooks/`` and the site (:mod:`helpers.course.site`: a page per lesson and
an ``index.html`` landing page, readable offline) to ``build/site/``. It
prints one progress line per notebook and exits non-zero if any notebook
fails: a cell that raises, a claim of the prose that no longer holds
(:mod:`helpers.claims`, full size only), or an exercise whose own solution
does not pass its check. ``--fast`` (or ``COURSE_FAST=1``) runs the quick
version.

Executed notebooks are kept clean: TensorFlow's C++ start-up messages go to
``build/work/<name>.kernel.log`` instead of the cells, and helpers draw no
progress bars (``COURSE_PROGRESS=0``), which would be saved half-way.
:func:`scan_outputs` lists what still pollutes a notebook's outputs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from helpers import config

NOTEBOOKS = config.repo_root() / "notebooks"
#: ``q.check(answer)`` or ``lesson05.q_completeness.check(answer)`` in a code cell.
CHECK_RE = re.compile(r"^\s*(?:if .*:\s*)?([A-Za-z_][\w.]*)\.check\(([^()]*)\)", re.M)
SOLUTION_TAG = "__COURSE_SOLUTION__"
#: The probe run after a check cell: the exercise's solution in a copy of the lesson's namespace.
PROBE = """import json as _j
def _probe(_q, _args):
    _ns = dict(globals())
    try:
        _ex = eval(_q, _ns)
    except NameError:
        return {{"skipped": f"{{_q}} is not defined here"}}
    if _ex is None:
        return {{"skipped": f"{{_q}} is None in this run"}}
    try:
        exec(compile(_ex._solution, "<solution of " + _q + ">", "exec"), _ns)
        _v = eval(_q + ".check(" + _args + ", quiet=True)", _ns)
        return {{"ok": bool(_v), "message": _v.message}}
    except Exception as _e:
        return {{"ok": False, "message": f"the solution raised {{type(_e).__name__}}: {{_e}}"}}
print({tag!r}, _j.dumps(dict(_probe({q!r}, {args!r}), exercise={q!r})))
del _probe, _j"""
#: What must never appear in a saved output: (pattern, what it is).
POLLUTION = [(r"cuInit", "CUDA start-up error"), (r"oneDNN", "TensorFlow oneDNN notice"),
             (r"E0000|I0000|W0000", "absl/TensorFlow C++ log line"), (r"absl::InitializeLog", "absl warning"),
             (r"np\.int\d+\(", "NumPy scalar repr"), (r"np\.float\d*\(", "NumPy scalar repr"),
             (r"\d+%\|[^|\n]*\|\s*\d+/\d+", "text progress bar")]


class SolutionError(AssertionError):
    """An exercise's reference solution does not pass its own check in the lesson."""


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


def _client(nb, check_solutions: bool, **kwargs):
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell

    class CourseClient(NotebookClient):
        """Runs the notebook; after each exercise check cell, probes the exercise's own solution."""

        solutions: list

        async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
            cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
            if check_solutions and cell.cell_type == "code":
                for q, args in CHECK_RE.findall(cell.source):
                    probe = new_code_cell(PROBE.format(tag=SOLUTION_TAG, q=q, args=args.strip() or "None"))
                    await super().async_execute_cell(probe, cell_index, store_history=False)
                    self.code_cells_executed -= 1  # the probe is not a cell of the notebook:
                    self.nb.cells[cell_index] = cell  # nbclient stored it in the check cell's place
                    text = "".join(o.get("text", "") for o in probe.outputs if o.get("output_type") == "stream")
                    lines = [ln for ln in text.splitlines() if ln.startswith(SOLUTION_TAG)]
                    got = json.loads(lines[-1][len(SOLUTION_TAG):]) if lines else {
                        "ok": False, "exercise": q, "message": f"the probe printed nothing: {text[-300:]!r}"}
                    self.solutions.append(dict(got, cell=cell_index))
            return cell

    client = CourseClient(nb, **kwargs)
    client.solutions = []
    return client


def set_seed(nb, seed: int) -> None:
    """Rewrite the ``SEED = ...`` line of the lesson's Parameters cell (the first code cell that has one)."""
    pattern = re.compile(r"^SEED\s*=\s*[^#\n]*", re.M)
    for cell in nb.cells:
        if cell.cell_type == "code" and pattern.search(cell.source):
            cell.source = pattern.sub(f"SEED = {int(seed)}  ", cell.source, count=1)
            return
    raise ValueError("this notebook has no `SEED = ...` line in a code cell, so --seed cannot set it")


def execute_notebook(path: Path, out_dir: Path | None = None, fast: bool = True, timeout: int = 900,
                     workdir: Path | None = None, check_solutions: bool = False, seed: int | None = None,
                     claims: str = "enforce"):
    """Run one notebook in a fresh kernel; return the executed ``NotebookNode``.

    The build enforces the lesson's claims (``claims="enforce"`` sets
    ``COURSE_CLAIMS=enforce`` in the kernel unless the environment already says
    ``off`` or ``strict``); ``claims="report"`` runs it as a learner's session,
    where a claim never raises. Every claim is listed, with its range, in
    ``nb.metadata["course_claims"]``. ``seed`` rewrites ``SEED = ...`` in the
    Parameters cell first.

    The kernel inherits this process's environment plus ``COURSE_FAST``,
    ``COURSE_OFFLINE=1`` (the course never waits on the network when executed
    here), ``COURSE_PROGRESS=0`` and ``TF_CPP_MIN_LOG_LEVEL=3``; C-level
    output of the kernel (TensorFlow's start-up lines) goes to
    ``<workdir>/<name>.kernel.log``, not to the cells.

    With ``check_solutions``, after every cell that calls ``q.check(args)``
    the exercise's solution string is executed in a *copy* of the lesson's
    namespace at that point (the notebook's own state is untouched) and
    ``q.check(args)`` must then pass; the executed notebook is written first.

    Raises:
      nbclient.exceptions.CellExecutionError: a cell failed (its traceback is
        in the message; :func:`describe_failure` makes it short).
      SolutionError: some exercise's solution failed its check.
    """
    import nbformat

    if claims not in ("enforce", "report"):
        raise ValueError(f"claims={claims!r}; choose 'enforce' (the build) or 'report' (a learner's session)")
    nb = nbformat.read(path, as_version=4)
    if seed is not None:
        set_seed(nb, seed)
    env_backup = dict(os.environ)
    os.environ.update(COURSE_FAST="1" if fast else "0", COURSE_PROGRESS="0", TF_CPP_MIN_LOG_LEVEL="3",
                      MPLBACKEND="module://matplotlib_inline.backend_inline")
    os.environ.setdefault("COURSE_OFFLINE", "1")
    if os.environ.get("COURSE_CLAIMS", "").strip().lower() not in ("off", "strict"):
        if claims == "enforce":
            os.environ["COURSE_CLAIMS"] = "enforce"
        else:
            os.environ.pop("COURSE_CLAIMS", None)
    workdir = workdir or (config.repo_root() / "build" / "work")
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / f"{path.stem}.kernel.log"
    claims_log = workdir / f"{path.stem}.claims.jsonl"
    claims_log.unlink(missing_ok=True)
    os.environ["COURSE_CLAIMS_LOG"] = str(claims_log)
    try:
        client = _client(nb, check_solutions, timeout=timeout, kernel_name="python3", allow_errors=False,
                         store_widget_state=True, resources={"metadata": {"path": str(workdir)}},
                         extra_arguments=["--IPKernelApp.capture_fd_output=False"])
        with open(log_path, "w") as log:  # the kernel's own stderr (TensorFlow start-up chatter)
            client.execute(stderr=log, stdout=log)
    finally:
        os.environ.clear()
        os.environ.update(env_backup)
        if claims_log.exists():
            nb.metadata["course_claims"] = [json.loads(line) for line in claims_log.read_text().splitlines() if line]
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out_dir / path.name)
    failed = [s for s in client.solutions if not s.get("ok") and "skipped" not in s]
    if failed:
        raise SolutionError(f"{path.name}: " + "; ".join(
            f"the solution of {s['exercise']} (cell {s['cell']}) fails its own check: {s['message']}" for s in failed))
    return nb


def describe_failure(name: str, exc: BaseException) -> str:
    """A short, plain account of why a notebook failed (a drifted claim says which one)."""
    ename, evalue = getattr(exc, "ename", ""), getattr(exc, "evalue", "")
    if ename == "ClaimError":
        return f"{name}: a claim of the lesson no longer holds. {evalue}"
    if ename:
        return f"{name}: a cell raised {ename}: {evalue}"
    return f"{name}: {type(exc).__name__}: {' '.join(str(exc).strip().splitlines()[-3:])}"


def _texts(output) -> list[str]:
    if output.get("output_type") == "stream":
        return [output.get("text", "")]
    if output.get("output_type") == "error":
        return ["\n".join(output.get("traceback", []))]
    data = output.get("data", {})
    return [v if isinstance(v, str) else "".join(v) for k, v in data.items()
            if k.startswith("text/") or k == "application/json"]


def scan_outputs(nb) -> list[str]:
    """What pollutes the saved outputs: start-up logs, NumPy reprs, frozen progress bars, twice-printed verdicts.

    Returns one line per finding, ``cell N: what (excerpt)``; empty when clean.
    """
    found = []
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    for i, cell in enumerate(nb.cells):
        texts = []
        for out in cell.get("outputs", []):
            texts += _texts(out)
            view = out.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view and view.get("model_id") not in state:
                found.append(f"cell {i}: a widget whose state was not saved (a closed progress bar?)")
        for text in texts:
            for pattern, what in POLLUTION:
                m = re.search(pattern, text)
                if m:  # one finding per output is enough
                    found.append(f"cell {i}: {what} ({text[max(0, m.start() - 30):m.end() + 40].strip()!r})")
                    break
        verdicts = [ln for t in texts for ln in t.splitlines() if ln.startswith(("✅ Correct", "❌ Not yet"))]
        if len(verdicts) != len(set(verdicts)):
            found.append(f"cell {i}: an exercise verdict printed twice")
    for model_id, model in state.items():
        s = model.get("state", {})
        if model.get("model_name") in {"FloatProgressModel", "IntProgressModel"}:
            value, top = s.get("value"), s.get("max")
            if value is not None and top and 0 < value < top and s.get("bar_style") not in {"danger"}:
                found.append(f"widget {model_id[:8]}: a progress bar frozen at {value}/{top}")
    return found


def claim_lines(nb) -> list[str]:
    """The runner's log of a lesson's claims: each with its value and the range the text relies on."""
    lines = []
    for c in nb.metadata.get("course_claims", []):
        mark = "ok" if c["ok"] else ("FAILED" if c["enforced"] else "outside (not enforced)")
        value = f"{c['value']:.3f}" if isinstance(c["value"], float) else str(c["value"])
        lines.append(f"    claim {mark}: {c['name']} = {value}" + (f" (expected {c['expected']})" if c["expected"] else ""))
    return lines


def run_course(fast: bool, out: Path, only: list[str] | None = None, check_solutions: bool = True,
               seed: int | None = None) -> list[RunResult]:
    import nbformat

    from helpers.course import site

    paths = notebook_paths(only)
    results: list[RunResult] = []
    executed = []
    total_start = time.perf_counter()
    for i, path in enumerate(paths, 1):
        print(f"[{i}/{len(paths)}] {path.name} ...", end=" ", flush=True)
        start = time.perf_counter()
        try:
            nb = execute_notebook(path, out / "notebooks", fast=fast, check_solutions=check_solutions, seed=seed)
            results.append(RunResult(path.name, True, time.perf_counter() - start))
            print(f"ok ({results[-1].seconds:.1f} s)", flush=True)
            for line in claim_lines(nb):
                print(line)
            for line in scan_outputs(nb):
                print(f"    warning: {line}")
        except Exception as exc:  # report and carry on with the other lessons
            nb = nbformat.read(path, as_version=4)
            results.append(RunResult(path.name, False, time.perf_counter() - start, describe_failure(path.name, exc)))
            print(f"FAILED ({results[-1].seconds:.1f} s)\n    {results[-1].error}", flush=True)
        executed.append({"nb": nb, **results[-1].__dict__})
    index = site.build_site(executed, out / "site", fast)
    (out / "site" / "run.json").write_text(json.dumps([r.__dict__ for r in results], indent=1))
    n_ok = sum(r.ok for r in results)
    print(f"{n_ok} passed, {len(results) - n_ok} failed in {time.perf_counter() - total_start:.0f} s; site: {index}")
    for r in results:
        if not r.ok:
            print(f"FAILED {r.error}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fast", action="store_true", help="quick run (same as COURSE_FAST=1)")
    parser.add_argument("--only", nargs="*", help="run only notebooks whose name starts with or contains these")
    parser.add_argument("--out", type=Path, default=config.repo_root() / "build")
    parser.add_argument("--no-solutions", action="store_true", help="do not check the exercises' own solutions")
    parser.add_argument("--seed", type=int, help="run each lesson with SEED = this in its Parameters cell "
                        "(claims are enforced: they must hold for any reasonable seed)")
    args = parser.parse_args(argv)
    fast = args.fast or config.is_fast()
    results = run_course(fast, args.out, args.only, check_solutions=not args.no_solutions, seed=args.seed)
    return 0 if results and all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
