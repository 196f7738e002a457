"""The end-of-run check of tests/clinical_safety/evidence.py, on made-up runs."""

from __future__ import annotations

import pytest

from tests.clinical_safety.evidence import HazardLogEvidence

CITED = "tests/a/test_x.py::test_one"


def _run(selected=(), deselected=(), outcomes=None, files=("tests/a/test_x.py",)):
    plugin = HazardLogEvidence([CITED])
    plugin.collected_files = set(files)
    plugin.selected = set(selected)
    plugin.deselected = set(deselected)
    plugin.outcomes = outcomes or {}
    return plugin.check()


@pytest.mark.parametrize(
    ("run", "problems"),
    [
        ({"selected": [CITED], "outcomes": {CITED: {"passed"}}}, []),
        ({"selected": [CITED], "outcomes": {CITED: {"failed"}}}, [f"{CITED}: failed"]),
        ({"selected": [CITED], "outcomes": {CITED: {"skipped"}}}, [f"{CITED}: skipped"]),
        ({"selected": [CITED]}, [f"{CITED}: not run"]),
        ({"selected": ["tests/a/test_x.py::test_two"]}, [f"{CITED}: not collected"]),
        ({"deselected": [CITED]}, []),
        ({"files": ()}, []),
        (
            {"selected": [f"{CITED}"], "outcomes": {CITED: {"passed", "failed"}}},
            [f"{CITED}: failed"],
        ),
    ],
)
def test_check(run, problems):
    assert _run(**run) == problems
