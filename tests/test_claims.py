"""Claims: a figure in the prose fails a full-size run when it drifts."""

import numpy as np
import pytest

from helpers import config
from helpers.claims import ClaimError, claim, holds


@pytest.fixture
def full_size(monkeypatch):
    monkeypatch.delenv("COURSE_CLAIMS", raising=False)
    monkeypatch.delenv("COURSE_MODEL", raising=False)
    config.set_fast(False)
    yield
    config.set_fast(None)


def test_a_claim_that_holds_prints_a_tick(full_size, capsys):
    c = claim("conv2 zeros", np.float64(0.818), between=(0.7, 0.9))
    out = capsys.readouterr().out
    assert c.ok and out.startswith("✓ conv2 zeros: 0.818")
    assert "np.float64" not in out
    claim("A beats B", np.float64(0.9) > 0.5)
    assert capsys.readouterr().out.strip() == "✓ A beats B: yes"


@pytest.mark.parametrize("kwargs, value", [
    ({"between": (0.7, 0.9)}, 0.95), ({"at_least": 0.5}, 0.2), ({"at_most": 0.05}, 0.047 * 2),
    ({"equals": "circle"}, "square"), ({}, False), ({"at_least": 0.0}, float("nan")),
])
def test_a_drifted_claim_fails_a_full_size_run(full_size, kwargs, value):
    with pytest.raises(ClaimError, match="this run measured"):
        claim("figure", value, **kwargs)


def test_fast_mode_reports_but_does_not_enforce(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_CLAIMS", raising=False)
    monkeypatch.delenv("COURSE_MODEL", raising=False)
    config.set_fast(True)
    try:
        c = claim("figure", 0.2, at_least=0.5)
        assert not c.ok and "not checked" in capsys.readouterr().out
        with pytest.raises(ClaimError):
            claim("figure", 0.2, at_least=0.5, fast=True)
        monkeypatch.setenv("COURSE_CLAIMS", "strict")
        with pytest.raises(ClaimError):
            claim("figure", 0.2, at_least=0.5)
    finally:
        config.set_fast(None)


def test_another_model_turns_enforcement_off(full_size, monkeypatch):
    monkeypatch.setenv("COURSE_MODEL", "vgg16")
    assert not claim("figure", 0.2, at_least=0.5, quiet=True).enforced
    monkeypatch.setenv("COURSE_MODEL", "shapes")
    with pytest.raises(ClaimError):
        claim("figure", 0.2, at_least=0.5, quiet=True)


def test_holds_rejects_inverted_range():
    with pytest.raises(ValueError, match="lower bound"):
        holds(0.5, between=(0.9, 0.1))
