"""The course runner: a drifted claim or a wrong exercise solution fails the build, clearly; outputs are scanned."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from helpers.course import runner

EXERCISE = ('from helpers.exercises import Exercise\n'
            'q = Exercise("three", lambda a: (a == 3, "three it is."), hint="1 + 2", solution={solution!r})')


def _notebook(tmp_path, name: str, *cells: str):
    nb = new_notebook(cells=[new_markdown_cell(f"# {name}\n\nA throwaway lesson.")] + [new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def _claim_notebook(tmp_path, claimed: int):
    return _notebook(tmp_path, "98_claims", "from helpers.claims import claim\nanswer = 6 * 7",
                     f'claim("the answer", answer, equals={claimed})')


@pytest.mark.slow
def test_an_edited_claim_fails_a_full_size_run_and_says_which(tmp_path, monkeypatch):
    from nbclient.exceptions import CellExecutionError

    for var in ("COURSE_CLAIMS", "COURSE_MODEL"):
        monkeypatch.delenv(var, raising=False)

    runner.execute_notebook(_claim_notebook(tmp_path, 42), fast=False, workdir=tmp_path)  # the true claim passes
    with pytest.raises(CellExecutionError) as err:
        runner.execute_notebook(_claim_notebook(tmp_path, 41), fast=False, workdir=tmp_path)
    text = runner.describe_failure("98_claims.ipynb", err.value)
    assert "98_claims.ipynb" in text and "claim" in text and "the answer" in text and "42" in text
    # fast mode reports the same drift without failing, as does a learner's own session at full size
    nb = runner.execute_notebook(_claim_notebook(tmp_path, 41), fast=True, workdir=tmp_path)
    assert "With your settings the answer came out 42" in nb.cells[2].outputs[0]["text"]
    nb = runner.execute_notebook(_claim_notebook(tmp_path, 41), fast=False, workdir=tmp_path, claims="report")
    assert "With your settings the answer came out 42" in nb.cells[2].outputs[0]["text"]
    assert nb.metadata["course_claims"] == [{"name": "the answer", "value": 42, "expected": "41", "ok": False,
                                             "enforced": False}]


def test_seed_rewrites_the_parameters_line_only():
    nb = new_notebook(cells=[new_markdown_cell("SEED = 0 in prose"), new_code_cell("MODEL = 'auto'\nSEED = 0   # any seed\nN = 3"),
                             new_code_cell("SEED = 5")])
    runner.set_seed(nb, 2)
    assert nb.cells[1].source.splitlines()[1].startswith("SEED = 2") and "# any seed" in nb.cells[1].source
    assert nb.cells[0].source == "SEED = 0 in prose" and nb.cells[2].source == "SEED = 5"
    with pytest.raises(ValueError, match="no `SEED = ...` line"):
        runner.set_seed(new_notebook(cells=[new_code_cell("x = 1")]), 1)


@pytest.mark.slow
def test_lesson_10_with_another_seed_runs_to_the_end_in_a_learners_session(tmp_path, monkeypatch):
    """Issue 21: a learner who sets SEED = 1 in lesson 10 gets sentences, never a ClaimError."""
    for var in ("COURSE_CLAIMS", "COURSE_MODEL", "COURSE_WEIGHTS"):
        monkeypatch.delenv(var, raising=False)
    path = next(runner.NOTEBOOKS.glob("10_*.ipynb"))
    nb = runner.execute_notebook(path, fast=False, workdir=tmp_path, seed=1, claims="report")
    assert any("SEED = 1" in c.source for c in nb.cells if c.cell_type == "code")
    assert nb.metadata["course_claims"], "the lesson states no claims"
    text = "\n".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "ClaimError" not in text


@pytest.mark.slow
def test_the_course_command_exits_non_zero_and_names_the_claim(tmp_path, monkeypatch, capsys):
    lessons = tmp_path / "notebooks"
    lessons.mkdir()
    _claim_notebook(lessons, 41)
    monkeypatch.setattr(runner, "NOTEBOOKS", lessons)
    monkeypatch.setattr("helpers.course.site.vendor", lambda *a, **k: None)  # no npm in this test
    monkeypatch.setenv("COURSE_FAST", "0")
    for var in ("COURSE_CLAIMS", "COURSE_MODEL"):
        monkeypatch.delenv(var, raising=False)
    assert runner.main(["--out", str(tmp_path / "build")]) == 1
    out = capsys.readouterr().out
    assert "FAILED 98_claims.ipynb: a claim of the lesson no longer holds" in out and "the answer" in out
    index = (tmp_path / "build" / "site" / "index.html").read_text()
    assert "not built" in index and "the answer" in index


@pytest.mark.slow
def test_exercise_solutions_are_probed_in_a_copy_of_the_lesson_namespace(tmp_path):
    good = _notebook(tmp_path, "97_good", EXERCISE.format(solution="answer = 1 + 2"),
                     "answer = None\nq.check(answer)", "print('answer after the probe:', answer)")
    nb = runner.execute_notebook(good, fast=True, workdir=tmp_path, check_solutions=True)
    assert nb.cells[3].outputs[0]["text"].strip() == "answer after the probe: None"  # the lesson's state is untouched
    check_out = "".join(o.get("text", "") for o in nb.cells[2].outputs)
    assert check_out.count("Not yet") == 1 and len(nb.cells[2].outputs) == 1, "the verdict must be shown once"
    assert [c.execution_count for c in nb.cells if c.cell_type == "code"] == [1, 2, 3]
    assert runner.scan_outputs(nb) == []

    wrong = _notebook(tmp_path, "96_wrong", EXERCISE.format(solution="answer = 4"), "answer = None\nq.check(answer)")
    with pytest.raises(runner.SolutionError, match="solution of q .*fails its own check"):
        runner.execute_notebook(wrong, fast=True, workdir=tmp_path, check_solutions=True)
    # a solution that uses a name the lesson means differently crashes: reported, not hidden
    clash = _notebook(tmp_path, "95_clash", EXERCISE.format(solution="answer = A + 1"), "A = 'text'",
                      "answer = None\nq.check(answer)")
    with pytest.raises(runner.SolutionError, match="raised TypeError"):
        runner.execute_notebook(clash, fast=True, workdir=tmp_path, check_solutions=True)


def test_check_cells_are_found_with_their_exercise_and_arguments():
    src = ("q.check(answer) if q else print('needs the shapes CNN')\n"
           "if judge is not None:\n    q2.check(answer)\nlesson05.q_completeness.check(answer)\n# q3.check(x)")
    assert runner.CHECK_RE.findall(src) == [("q", "answer"), ("q2", "answer"), ("lesson05.q_completeness", "answer")]


def _out(text: str, name: str = "stdout"):
    return nbformat.v4.new_output("stream", name=name, text=text)


@pytest.mark.parametrize("text, what", [
    ("E0000 00:00:1796287852.103116 cuda_platform.cc:52] failed call to cuInit: INTERNAL", "CUDA"),
    ("I0000 00:00:17 port.cc:153] oneDNN custom operations are on.", "oneDNN"),
    ("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR", "absl"),
    ("best channel: np.int64(38)", "NumPy scalar"),
    ("score np.float32(0.25)", "NumPy scalar"),
    ("render:  50%|█████     | 3/6 [00:01<00:01,  2.00it/s]", "progress bar"),
    ("❌ Not yet. No answer.\n❌ Not yet. No answer.", "printed twice"),
])
def test_scan_outputs_finds_each_kind_of_pollution(text, what):
    nb = new_notebook(cells=[new_code_cell("x", outputs=[_out(text, "stderr")])])
    found = runner.scan_outputs(nb)
    assert len(found) == 1 and what in found[0], found


def test_scan_outputs_finds_frozen_widget_bars_and_accepts_clean_outputs():
    clean = new_notebook(cells=[new_code_cell("x", outputs=[_out("accuracy 0.984\n✅ Correct! yes\n")])])
    assert runner.scan_outputs(clean) == []
    view = nbformat.v4.new_output("display_data", data={
        "application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2, "version_minor": 0},
        "text/plain": "HBox()"})
    nb = new_notebook(cells=[new_code_cell("x", outputs=[view])])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {
        "def": {"model_name": "FloatProgressModel", "state": {"value": 3, "max": 6, "bar_style": ""}},
        "ghi": {"model_name": "FloatProgressModel", "state": {"value": 6, "max": 6, "bar_style": "success"}}}}}
    found = runner.scan_outputs(nb)
    assert len(found) == 2 and "not saved" in found[0] and "frozen at 3/6" in found[1], found


def test_progress_bars_are_off_in_batch_runs_and_iterate_like_their_input(monkeypatch):
    from helpers import config

    monkeypatch.delenv("COURSE_PROGRESS", raising=False)
    assert not config.progress_bar(5, "steps").disable and config.progress_bar(5, show=False).disable
    monkeypatch.setenv("COURSE_PROGRESS", "0")
    bar = config.progress_bar(["a", "b"], "items")
    assert bar.disable and list(bar) == ["a", "b"]
