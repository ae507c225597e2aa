"""Tests of the Python package: run from the repository root (paths such as
params/scenarios/... are relative to it, as for the command line)."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)
    return ROOT
