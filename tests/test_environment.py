"""The setup cell: version advice, Colab installs, the widget manager on every run, a quiet TensorFlow."""

from __future__ import annotations

import os
import subprocess
import sys
import types

import pytest

from helpers.course import environment
from helpers.course.environment import check_versions, parse_version

GOOD = {"ipywidgets": "8.1.5", "keras": "3.13.2", "tensorflow": "2.21.0"}


def test_parse_version_ignores_suffixes():
    assert parse_version("2.21.0rc1") == (2, 21, 0) and parse_version("2.19.0+cu121") == (2, 19, 0)
    with pytest.raises(ValueError, match="not a version"):
        parse_version("unknown")


def test_matching_versions_have_no_problem():
    assert check_versions(GOOD) == []
    assert check_versions(dict(GOOD, keras="3.14.0", tensorflow="2.21.3")) == []


def test_colab_ipywidgets_7_is_a_required_upgrade_with_the_symptom_named():
    (p,) = check_versions(dict(GOOD, ipywidgets="7.7.1"))
    assert p.required and p.found == "7.7.1" and "KeyError: 0" in p.advice and "restart" in p.advice
    assert "ipywidgets>=8,<9" in p.advice


def test_an_older_tensorflow_is_a_warning_with_advice():
    (p,) = check_versions(dict(GOOD, tensorflow="2.19.0"))
    assert not p.required and "2.21" in p.advice and str(p).startswith("! tensorflow 2.19.0")


def test_missing_and_too_old_keras():
    assert check_versions(dict(GOOD, keras=None))[0].required
    (p,) = check_versions(dict(GOOD, keras="2.15.0"))
    assert p.required and "keras>=3.10,<4" in p.advice


def _fake_colab(monkeypatch, versions: dict):
    """A Colab session: pip calls are recorded and 'install' what they name; the widget manager is counted."""
    pip, enabled = [], []
    state = dict(versions)

    def run(cmd, check):
        pip.append(cmd)
        for arg in cmd:
            if arg.startswith("ipywidgets"):
                state["ipywidgets"] = "8.1.7"

    monkeypatch.setattr(environment, "installed_versions", lambda: dict(state))
    monkeypatch.setattr(environment, "quiet_tensorflow", lambda: None)
    return pip, enabled, run


def test_setup_on_colab_upgrades_ipywidgets_and_enables_widgets_on_every_run(monkeypatch, capsys):
    pip, enabled, run = _fake_colab(monkeypatch, dict(GOOD, ipywidgets="7.7.1"))
    monkeypatch.delitem(sys.modules, "ipywidgets", raising=False)
    problems = environment.setup(colab=True, run=run, enable_widgets=lambda: enabled.append(1))
    assert problems == [] and len(enabled) == 1
    assert any("ipywidgets>=8,<9" in cmd for cmd in pip[-1:]) and "Upgrading ipywidgets 7.7.1" in capsys.readouterr().out
    environment.setup(colab=True, run=run, enable_widgets=lambda: enabled.append(1))  # the re-run
    assert len(enabled) == 2 and len(pip) == 1, "a re-run must enable the widget manager again and not reinstall"


def test_setup_says_to_restart_when_the_old_ipywidgets_is_already_loaded(monkeypatch, capsys):
    pip, enabled, run = _fake_colab(monkeypatch, dict(GOOD, ipywidgets="7.7.1"))
    monkeypatch.setitem(sys.modules, "ipywidgets", types.SimpleNamespace(__version__="7.7.1"))
    problems = environment.setup(colab=True, run=run, enable_widgets=lambda: enabled.append(1))
    assert [p.name for p in problems] == ["ipywidgets (loaded)"] and "Restart session" in capsys.readouterr().out


def test_setup_off_colab_only_checks(monkeypatch, capsys):
    monkeypatch.setattr(environment, "installed_versions", lambda: dict(GOOD))
    monkeypatch.setattr(environment, "quiet_tensorflow", lambda: None)
    called = []
    assert environment.setup(colab=False, run=lambda *a, **k: called.append(a), enable_widgets=called.append) == []
    assert not called and capsys.readouterr().out.startswith("✓ ready: TensorFlow 2.21.0")


def _setup_cell_code() -> str:
    import nbbuild
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(nbbuild.SETUP_CODE)


@pytest.mark.parametrize("cloned", [False, True], ids=["first run", "re-run"])
def test_the_setup_cell_on_colab(cloned, tmp_path, monkeypatch):
    """The notebook's own setup cell, run as on Colab: clones once, and enables the widget manager both times."""
    code = _setup_cell_code()
    compile(code, "<setup cell>", "exec")
    enabled, shell = [], []
    output = types.SimpleNamespace(enable_custom_widget_manager=lambda: enabled.append(1))
    monkeypatch.setitem(sys.modules, "google.colab", types.SimpleNamespace(output=output))
    monkeypatch.setitem(sys.modules, "google.colab.output", output)
    monkeypatch.setattr(environment, "quiet_tensorflow", lambda: None)
    monkeypatch.setattr(environment, "installed_versions", lambda: dict(GOOD))
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.chdir(tmp_path)
    if cloned:
        (tmp_path / "what-cnns-see").mkdir()

    def system(cmd):
        shell.append(cmd)
        (tmp_path / "what-cnns-see").mkdir()

    ipython = types.SimpleNamespace(system=system, run_line_magic=lambda *a: None)
    exec(code, {"get_ipython": lambda: ipython})
    assert enabled == [1]
    assert (shell == []) if cloned else (len(shell) == 1 and "git clone" in shell[0] and "what-cnns-see" in shell[0])
    assert sys.path[0] == os.path.join(str(tmp_path), "what-cnns-see")
    assert code.index("TF_CPP_MIN_LOG_LEVEL") < code.index("from helpers.course import environment")  # set before TensorFlow loads


@pytest.mark.slow
def test_quiet_tensorflow_keeps_the_start_up_lines_out_of_stderr():
    code = ("from helpers.course.environment import quiet_tensorflow\ntf = quiet_tensorflow()\n"
            "print(float(tf.reduce_sum(tf.ones(3))))")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "3.0", done.stderr[-2000:]
    for noise in ("oneDNN", "cuInit", "absl", "I0000", "E0000"):
        assert noise not in done.stderr, done.stderr[-2000:]
