"""Claims: a learner reads a plain sentence and never a traceback; the build fails when a figure drifts."""

import json

import numpy as np
import pytest

from helpers import claims, config
from helpers.claims import ClaimError, claim, holds


@pytest.fixture(autouse=True)
def no_model_yet():
    """Each test starts before any lesson loaded a model."""
    claims.about_model(None)
    yield
    claims.about_model(None)


@pytest.fixture
def build(monkeypatch):
    """A full-size build: the runner turns enforcement on."""
    monkeypatch.setenv("COURSE_CLAIMS", "enforce")
    monkeypatch.delenv("COURSE_MODEL", raising=False)
    config.set_fast(False)
    yield
    config.set_fast(None)


@pytest.fixture
def learner(monkeypatch):
    """A learner's own Jupyter session at full size: nothing set."""
    monkeypatch.delenv("COURSE_CLAIMS", raising=False)
    monkeypatch.delenv("COURSE_MODEL", raising=False)
    config.set_fast(False)
    yield
    config.set_fast(None)


def test_a_claim_that_holds_prints_a_plain_line(learner, capsys):
    c = claim("the share of zeros in conv2", np.float64(0.818), between=(0.7, 0.9))
    out = capsys.readouterr().out
    assert c.ok and out.strip() == "the share of zeros in conv2: 0.818"
    assert "np.float64" not in out and "claimed" not in out
    claim("A beats B", np.float64(0.9) > 0.5)
    assert capsys.readouterr().out.strip() == "A beats B: yes"


@pytest.mark.parametrize("kwargs, value, words", [
    ({"between": (0.7, 0.9)}, 0.95, "between 0.700 and 0.900"), ({"at_least": 0.5}, 0.2, "at least 0.500"),
    ({"at_most": 0.5}, 0.521, "at most 0.500"), ({"equals": "circle"}, "square", "circle"),
    ({}, False, "where it is."), ({"at_least": 0.0}, float("nan"), "at least 0.000"),
])
def test_a_learner_who_turns_a_knob_gets_a_sentence_not_an_error(learner, capsys, kwargs, value, words):
    c = claim("the figure", value, **kwargs)
    out = capsys.readouterr().out.strip()
    assert not c.ok and not c.enforced
    assert out.startswith("With your settings") and "the text describes the default run" in out and words in out
    assert "Error" not in out and "claimed" not in out


@pytest.mark.parametrize("kwargs, value", [
    ({"between": (0.7, 0.9)}, 0.95), ({"at_least": 0.5}, 0.2), ({"at_most": 0.05}, 0.047 * 2),
    ({"equals": "circle"}, "square"), ({}, False), ({"at_least": 0.0}, float("nan")),
])
def test_a_drifted_claim_fails_the_build(build, kwargs, value):
    with pytest.raises(ClaimError, match="this run measured"):
        claim("figure", value, **kwargs)


def test_fast_mode_enforces_only_claims_that_hold_there(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_CLAIMS", "enforce")
    monkeypatch.delenv("COURSE_MODEL", raising=False)
    config.set_fast(True)
    try:
        c = claim("figure", 0.2, at_least=0.5)
        assert not c.ok and not c.enforced and "With your settings" in capsys.readouterr().out
        with pytest.raises(ClaimError):
            claim("figure", 0.2, at_least=0.5, fast=True)
        monkeypatch.setenv("COURSE_CLAIMS", "strict")
        with pytest.raises(ClaimError):
            claim("figure", 0.2, at_least=0.5)
    finally:
        config.set_fast(None)


def test_another_model_turns_enforcement_off(build, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_MODEL", "vgg16")
    assert not claim("figure", 0.2, at_least=0.5).enforced
    assert "the text describes the shapes CNN" in capsys.readouterr().out
    monkeypatch.setenv("COURSE_MODEL", "shapes")
    with pytest.raises(ClaimError):
        claim("figure", 0.2, at_least=0.5, quiet=True)


def test_a_lesson_run_on_another_model_by_its_parameters_cell_is_not_enforced(build, capsys):
    """MODEL = "vgg16" in a Parameters cell: load_model tells the claims, and the build does not fail."""
    claims.about_model("vgg16")
    c = claim("figure", 0.2, at_least=0.5, quiet=True)
    assert not c.enforced and "the text describes the shapes CNN" in capsys.readouterr().out
    claims.about_model("shapes_shortcut")   # every shapes CNN is what the text describes
    with pytest.raises(ClaimError):
        claim("figure", 0.2, at_least=0.5, quiet=True)


def test_load_model_tells_the_claims_which_model_the_lesson_runs_on(build):
    from helpers.models import load_model

    load_model("shapes")
    with pytest.raises(ClaimError):
        claim("figure", 0.2, at_least=0.5, quiet=True)
    load_model("vgg16", weights=None, verbose=False)
    assert not claim("figure", 0.2, at_least=0.5, quiet=True).enforced


def test_random_imagenet_weights_leave_the_shapes_claims_checked(build, monkeypatch):
    """The main thread runs on the shapes CNN even when the ImageNet section has random weights."""
    monkeypatch.setenv("COURSE_WEIGHTS", "random")
    with pytest.raises(ClaimError):
        claim("figure", 0.2, at_least=0.5, quiet=True)


def test_every_claim_is_logged_with_its_range(learner, monkeypatch, tmp_path):
    log = tmp_path / "claims.jsonl"
    monkeypatch.setenv("COURSE_CLAIMS_LOG", str(log))
    claim("a", np.float32(0.25), between=(0.2, 0.3), quiet=True)
    claim("b", 3, at_least=4, quiet=True)
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["name"] for r in rows] == ["a", "b"] and rows[0]["ok"] and not rows[1]["ok"]
    assert rows[0]["expected"] == "between 0.200 and 0.300" and abs(rows[0]["value"] - 0.25) < 1e-6


def test_holds_rejects_inverted_range():
    with pytest.raises(ValueError, match="lower bound"):
        holds(0.5, between=(0.9, 0.1))


def test_quiet_claim_is_silent_when_it_holds_and_speaks_when_it_misses(learner, capsys):
    claim("the share on the object", 0.8, at_least=0.5, quiet=True)
    assert capsys.readouterr().out == ""
    claim("the share on the object", 0.3, at_least=0.5, quiet=True)
    out = capsys.readouterr().out
    assert "With your settings the share on the object came out 0.300" in out and "at least 0.500" in out
