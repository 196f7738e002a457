"""The hazard log (docs/clinical-safety/hazard-log.md) is complete and every control is proven.

These tests check the log's structure and that each cited test exists (read from its file's
AST, so they cost milliseconds). That each cited test also *passed* in this run is checked by
tests/clinical_safety/evidence.py, a hook registered in tests/conftest.py.
"""

from __future__ import annotations

import pytest

from tests.clinical_safety import hazard_log

ISSUE_11_HAZARDS = 11  # the hazards issue 11 names, HAZ-01 to HAZ-11


def _log() -> str:
    return hazard_log.LOG_PATH.read_text(encoding="utf-8")


def _plan_matrix() -> dict[tuple[str, str], int]:
    return hazard_log.parse_plan_matrix(hazard_log.PLAN_PATH.read_text(encoding="utf-8"))


def test_plan_matrix_is_dcb0129s():
    assert _plan_matrix() == hazard_log.DCB0129_MATRIX


def test_hazard_log_has_no_problem():
    assert hazard_log.problems(_log(), _plan_matrix()) == []


def test_hazard_log_covers_the_hazards_issue_11_names():
    idents = [hazard.ident for hazard in hazard_log.parse(_log())]
    assert idents[:ISSUE_11_HAZARDS] == [f"HAZ-{n:02}" for n in range(1, ISSUE_11_HAZARDS + 1)]


def test_every_hazard_has_controls_citing_tests():
    hazards = hazard_log.parse(_log())
    assert all(hazard.controls for hazard in hazards)
    assert len(hazard_log.cited_node_ids(_log())) > 50


# --- the checks themselves, on made-up logs -----------------------------------------------

GOOD = """# Hazard log

## HAZ-01: A made-up hazard

- **Cause:** a cause
  on two lines.
- **Effect:** an effect.
- **Possible harm:** a harm.
- **Initial risk:** severity Major, likelihood Medium, rating 3
- **Residual risk:** severity Major, likelihood Very low, rating 2
- **Status:** Open

### Controls

- **C01.1** A control.
  `tests/clinical_safety/test_hazard_log.py::test_plan_matrix_is_dcb0129s`,
  `tests/clinical_safety/test_hazard_log.py::test_checks_pass_a_good_log[param]`

### Open actions

- **A01.1** (issue 11) A planned control.
"""


def _problems(text: str) -> list[str]:
    return hazard_log.problems(text, hazard_log.DCB0129_MATRIX)


def test_checks_pass_a_good_log():
    assert _problems(GOOD) == []
    (hazard,) = hazard_log.parse(GOOD)
    assert hazard.fields["Cause"] == "a cause on two lines."
    assert hazard.controls[0].node_ids == [
        "tests/clinical_safety/test_hazard_log.py::test_plan_matrix_is_dcb0129s",
        "tests/clinical_safety/test_hazard_log.py::test_checks_pass_a_good_log[param]",
    ]


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "::test_plan_matrix_is_dcb0129s`",
            "::test_made_up`",
            "HAZ-01 C01.1: `tests/clinical_safety/test_hazard_log.py::test_made_up`: "
            "no test function 'test_made_up' in tests/clinical_safety/test_hazard_log.py",
        ),
        (
            "test_hazard_log.py::test_plan_matrix_is_dcb0129s`",
            "test_nothing.py::test_plan_matrix_is_dcb0129s`",
            "no file tests/clinical_safety/test_nothing.py",
        ),
        (
            "::test_plan_matrix_is_dcb0129s`",
            "::TestMadeUp::test_plan_matrix_is_dcb0129s`",
            "no class 'TestMadeUp'",
        ),
        ("::test_plan_matrix_is_dcb0129s`", "::_log`", "'_log' is not a test"),
        (
            "  `tests/clinical_safety/test_hazard_log.py::test_plan_matrix_is_dcb0129s`,\n"
            "  `tests/clinical_safety/test_hazard_log.py::test_checks_pass_a_good_log[param]`\n",
            "",
            "HAZ-01: control C01.1 names no test",
        ),
        ("- **C01.1** A control.", "- **C02.1** A control.", "control C02.1 is not numbered"),
        ("- **Effect:** an effect.\n", "", "HAZ-01: no **Effect:** field"),
        ("- **Possible harm:** a harm.\n", "", "HAZ-01: no **Possible harm:** field"),
        (
            "Very low, rating 2",
            "Very low, rating 1",
            "Residual risk: Major x Very low is rated 2 by the matrix, not 1",
        ),
        ("likelihood Medium, rating 3", "likelihood Med, rating 3", "is not 'severity S"),
        (
            "- **Residual risk:** severity Major, likelihood Very low, rating 2",
            "- **Residual risk:** severity Major, likelihood Low, rating 3",
            "a residual rating of 3 needs a **Justification:** field",
        ),
        (
            "- **Initial risk:** severity Major, likelihood Medium, rating 3",
            "- **Initial risk:** severity Major, likelihood Very low, rating 2\n"
            "- **Justification:** none",
            "",
        ),
        (
            "- **A01.1** (issue 11) A planned control.",
            "- **A01.1** (issue 11) A planned control. "
            "`tests/clinical_safety/test_hazard_log.py::test_plan_matrix_is_dcb0129s`",
            "open action A01.1 names a test: if it is proven, make it a control",
        ),
        ("- **Status:** Open", "- **Status:** Closed", "Closed, but it has open actions"),
        ("- **Status:** Open", "- **Status:** Done", "status 'Done' is not one of"),
        ("- **A01.1** (issue 11) A planned control.\n", "", "does not say None."),
    ],
)
def test_checks_catch(old, new, problem):
    assert old in GOOD
    found = _problems(GOOD.replace(old, new))
    if problem:
        assert any(problem in line for line in found), found
    else:
        assert found == []


def test_checks_catch_a_hazard_without_controls():
    text = GOOD.split("- **C01.1**")[0] + "### Open actions\n\nNone.\n"
    found = _problems(text.replace("- **Status:** Open", "- **Status:** Closed"))
    assert "HAZ-01: no control" in found


def test_checks_catch_a_residual_risk_that_may_not_be_released():
    text = GOOD.replace(
        "severity Major, likelihood Very low, rating 2",
        "severity Catastrophic, likelihood Low, rating 4",
    ).replace(
        "severity Major, likelihood Medium, rating 3",
        "severity Catastrophic, likelihood Medium, rating 4",
    )
    assert "HAZ-01: residual rating 4 is not acceptable for release" in _problems(text)


def test_checks_catch_a_log_without_hazards():
    assert _problems("# Hazard log\n") == ["the hazard log has no `## HAZ-nn: title` heading"]


def test_plan_matrix_check_catches_a_changed_cell():
    plan = hazard_log.PLAN_PATH.read_text(encoding="utf-8")
    changed = plan.replace("| Medium | 2 | 2 | 3 | 3 | 4 |", "| Medium | 2 | 2 | 3 | 3 | 3 |")
    assert changed != plan
    assert hazard_log.parse_plan_matrix(changed) != hazard_log.DCB0129_MATRIX
