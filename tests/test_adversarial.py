"""Issue 12: the adversarial sweep (tests/adversarial.py) ends every case in a clear error or a correct answer."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("lg_adversarial", Path(__file__).with_name("adversarial.py"))
adv = importlib.util.module_from_spec(_spec)
sys.modules["lg_adversarial"] = adv  # dataclasses look their module up
_spec.loader.exec_module(adv)


@pytest.fixture(scope="module", autouse=True)
def _reference(cache_dir):
    os.environ.setdefault("LINFEN_GEO_CACHE", str(cache_dir))
    adv.reference()


@pytest.mark.parametrize("case", adv.CASES, ids=[f"{c.family}-{c.name}" for c in adv.CASES])
def test_case_ends_in_a_clear_error_or_a_correct_answer(case):
    outcome, detail = adv.run_case(case)
    assert outcome in ("error", "correct"), f"{outcome}: {detail}"


def test_the_sweep_is_big_enough_to_mean_something():
    families = {c.family for c in adv.CASES}
    assert families == {"place", "repair", "kind", "encoding", "config", "cache", "outputs", "api"}
    assert len(adv.CASES) >= 60
