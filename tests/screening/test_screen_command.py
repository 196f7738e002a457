"""manage.py screen: the worked examples of clinical.md, list input, invalid input."""

from __future__ import annotations

import datetime
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from screening.engine.rules import RULES_VERSION

BASE_DIR = Path(__file__).resolve().parents[2]


def _total_b12(value: float) -> dict:
    return {"test": "total_b12", "value": value, "unit": "ng/L", "date": "2026-10-01"}


EXAMPLE_1 = {
    "age_years": 58,
    "medicines": ["metformin"],
    "symptoms": {"numbness_tingling": {"present": True, "sites": ["feet"], "both_sides": True}},
}

# clinical.md "Worked examples": (answers, level, possible, red flags).
WORKED_EXAMPLES = [
    pytest.param(EXAMPLE_1, "review_soon", True, [], id="1-metformin-numb-feet"),
    pytest.param(
        {"age_years": 30, "diet": "vegan", "symptoms": {"fatigue": {"present": True}}},
        "routine",
        True,
        [],
        id="2-vegan-fatigue",
    ),
    pytest.param(
        {
            "age_years": 45,
            "diet": "omnivore",
            "medicines": [],
            "conditions": [],
            "symptoms": {"joint_pain": {"present": True, "severity": 7, "sites": ["knees"]}},
        },
        "no_flag",
        False,
        [],
        id="3-omnivore-knee-pain",
    ),
    pytest.param(
        {"age_years": 40, "diet": "vegan", "symptoms": {"joint_pain": {"present": True}}},
        "no_flag",
        False,
        [],
        id="4-vegan-knee-pain-only",
    ),
    pytest.param(
        {**EXAMPLE_1, "red_flags": {"saddle_numbness": True}},
        "urgent",
        True,
        ["saddle_numbness"],
        id="5-saddle-numbness",
    ),
    pytest.param(
        {"age_years": 70, "labs": [_total_b12(150)]},
        "review_soon",
        True,
        [],
        id="6-total-b12-150",
    ),
    pytest.param(
        {"age_years": 35, "symptoms": {"fatigue": {"present": True}}, "labs": [_total_b12(250)]},
        "routine",
        True,
        [],
        id="7-fatigue-total-b12-250",
    ),
]


def _run(path: str) -> tuple[object, str]:
    """call_command("screen", path) and return (parsed stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command("screen", path, stdout=out, stderr=err)
    return json.loads(out.getvalue()), err.getvalue()


def _run_invalid(path: str) -> list[str]:
    """call_command on invalid input: exit status 2, nothing on stdout; stderr lines."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("screen", path, stdout=out, stderr=err)
    assert exited.value.code == 2
    assert out.getvalue() == ""
    return err.getvalue().splitlines()


def _write(tmp_path: Path, data: object) -> str:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


@pytest.mark.django_db
@pytest.mark.parametrize(("answers", "level", "possible", "red_flags"), WORKED_EXAMPLES)
def test_screen_command_worked_example(
    tmp_path, django_assert_num_queries, answers, level, possible, red_flags
):
    with django_assert_num_queries(0):
        result, stderr = _run(_write(tmp_path, answers))
    assert stderr == ""
    assert result["rules_version"] == RULES_VERSION
    assert result["level"] == level
    assert result["possible_b12_deficiency"] is possible
    assert result["red_flags"] == red_flags


def test_screen_command_worked_example_7_suggests_mma(tmp_path):
    answers = {
        "age_years": 35,
        "symptoms": {"fatigue": {"present": True}},
        "labs": [_total_b12(250)],
    }
    result, _ = _run(_write(tmp_path, answers))
    assert result["lab_interpretation"] == {"b12_status": "indeterminate"}
    assert [action["code"] for action in result["suggested_actions"]] == ["action.consider_mma"]


def test_screen_command_worked_example_4_records_knee_pain_as_not_counted(tmp_path):
    answers = {"age_years": 40, "diet": "vegan", "symptoms": {"joint_pain": {"present": True}}}
    result, _ = _run(_write(tmp_path, answers))
    codes = [reason["code"] for reason in result["reasons"]]
    assert "symptom.joint_pain.not_counted" in codes


@pytest.mark.django_db
def test_screen_command_list_keeps_order(tmp_path, django_assert_num_queries):
    items = [param.values[0] for param in WORKED_EXAMPLES]
    with django_assert_num_queries(0):
        results, _ = _run(_write(tmp_path, items))
    assert [result["level"] for result in results] == [param.values[1] for param in WORKED_EXAMPLES]
    reversed_results, _ = _run(_write(tmp_path, items[::-1]))
    assert reversed_results == results[::-1]


def test_screen_command_empty_list_prints_empty_list(tmp_path):
    assert _run(_write(tmp_path, [])) == ([], "")


def test_screen_command_reads_standard_input(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps({"age_years": 70})))
    result, _ = _run("-")
    assert result["level"] == "no_flag"
    assert result["lab_interpretation"] == {"b12_status": "not_tested"}


def test_screen_command_invalid_answers_exit_2_with_key_paths(tmp_path):
    answers = {"age_years": 30, "symptoms": {"fatigue": {"present": True, "severity": 11}}}
    assert _run_invalid(_write(tmp_path, answers)) == ["symptoms.fatigue.severity: must be 0-10"]


def test_screen_command_invalid_list_item_lines_are_prefixed_with_the_index(tmp_path):
    items = [
        {"age_years": 30},
        {"age_years": 30, "symptoms": {"fatigue": {"present": True, "severity": 11}}},
        "not answers",
        {"labs": [{"test": "total_b12", "value": 200, "unit": "umol/L", "date": "2026-01-01"}]},
    ]
    assert _run_invalid(_write(tmp_path, items)) == [
        "[1].symptoms.fatigue.severity: must be 0-10",
        "[2]: must be an object",
        "[3].age_years: required",
        "[3].labs[0].unit: must be one of ng/L, pg/mL, pmol/L for total_b12",
    ]


def test_screen_command_invalid_json_exit_2(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    (line,) = _run_invalid(str(path))
    assert line.startswith(f"{path}: invalid JSON (")


def test_screen_command_missing_file_exit_2(tmp_path):
    path = tmp_path / "missing.json"
    assert _run_invalid(str(path)) == [f"{path}: cannot read (No such file or directory)"]


def test_screen_command_as_a_real_process_reads_stdin_and_exits_2():
    """The command end to end, as an operator runs it: stdin in, exit status out."""
    env = {**os.environ, "DJANGO_DEBUG": "true", "DJANGO_SETTINGS_MODULE": "clinic.settings"}
    command = [sys.executable, "manage.py", "screen", "-"]
    valid = subprocess.run(
        command,
        input=json.dumps([{"age_years": 70, "labs": [_total_b12(150)]}]),
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert valid.returncode == 0, valid.stderr
    assert [result["level"] for result in json.loads(valid.stdout)] == ["review_soon"]

    invalid = subprocess.run(
        command,
        input=json.dumps({"age_years": True, "bogus": 1}),
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert invalid.returncode == 2
    assert invalid.stdout == ""
    assert invalid.stderr.splitlines() == ["bogus: unknown key", "age_years: must be an integer"]


def test_screen_command_refuses_a_lab_dated_after_today_exit_2(tmp_path, frozen_day):
    """clinical.md E4: the day of screening is today in the clinic's time zone; a 2062
    result, which would hide the older low one, is refused naming the key."""
    answers = {
        "age_years": 40,
        "labs": [
            {"test": "total_b12", "value": 150, "unit": "ng/L", "date": "2025-01-01"},
            {"test": "total_b12", "value": 400, "unit": "ng/L", "date": "2062-01-01"},
        ],
    }
    assert _run_invalid(_write(tmp_path, answers)) == [
        f"labs[1].date: must not be after the day of screening ({frozen_day.isoformat()})"
    ]


def test_screen_command_today_is_the_clinics_day_not_utcs(tmp_path, time_machine):
    """At 00:30 on 16 June in London it is still 15 June in UTC: a lab dated 16 June is
    accepted, as the clinic's day (CLINIC_TIME_ZONE) is what counts."""
    time_machine.move_to(datetime.datetime(2025, 6, 15, 23, 30, tzinfo=datetime.UTC), tick=False)
    answers = {
        "age_years": 40,
        "labs": [{"test": "total_b12", "value": 150, "unit": "ng/L", "date": "2025-06-16"}],
    }
    result, _ = _run(_write(tmp_path, answers))
    assert result["lab_interpretation"] == {"b12_status": "deficiency_likely"}


def test_screen_command_refuses_a_huge_pmol_value_exit_2(tmp_path):
    """Was an OverflowError traceback at the ng/L conversion."""
    answers = {
        "age_years": 40,
        "labs": [{"test": "total_b12", "value": 1.5e308, "unit": "pmol/L", "date": "2025-01-01"}],
    }
    assert _run_invalid(_write(tmp_path, answers)) == ["labs[0].value: must be less than 1,000,000"]


def test_screen_command_refuses_json_nested_2000_levels_deep_exit_2(tmp_path):
    """Was a RecursionError traceback in json.loads."""
    path = tmp_path / "deep.json"
    path.write_text("[" * 2000 + "]" * 2000, encoding="utf-8")
    assert _run_invalid(str(path)) == [f"{path}: invalid JSON (nested too deeply)"]


def test_screen_command_refuses_a_10_mb_input_exit_2(tmp_path, settings):
    """The web's body bound (DATA_UPLOAD_MAX_MEMORY_SIZE) holds for the command too."""
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"age_years": 40, "pad": "a" * 10_000_000}), encoding="utf-8")
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert _run_invalid(str(path)) == [f"{path}: too large (more than {limit:,} characters)"]


def test_screen_command_refuses_a_10_mb_standard_input_exit_2(monkeypatch, settings):
    monkeypatch.setattr(sys, "stdin", io.StringIO("[" + "1," * 5_000_000 + "1]"))
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert _run_invalid("-") == [f"-: too large (more than {limit:,} characters)"]


def test_screen_command_refuses_a_file_that_is_not_utf8_exit_2(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('{"age_years": 40, "x": "é"}'.encode("latin-1"))
    assert _run_invalid(str(path)) == [f"{path}: cannot read (not UTF-8 text)"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 2000 + "]" * 2000, "invalid JSON (nested too deeply)"),
        (
            json.dumps(
                {
                    "age_years": 40,
                    "labs": [
                        {
                            "test": "total_b12",
                            "value": 1.5e308,
                            "unit": "pmol/L",
                            "date": "2025-01-01",
                        }
                    ],
                }
            ),
            "labs[0].value: must be less than 1,000,000",
        ),
    ],
    ids=["nested-2000-deep", "1.5e308-pmol"],
)
def test_screen_command_as_a_real_process_shows_no_traceback(text, message):
    """The cases that printed a traceback, run as an operator would: exit 2, one line."""
    env = {**os.environ, "DJANGO_DEBUG": "true", "DJANGO_SETTINGS_MODULE": "clinic.settings"}
    ran = subprocess.run(
        [sys.executable, "manage.py", "screen", "-"],
        input=text,
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 2
    assert ran.stdout == ""
    assert "Traceback" not in ran.stderr
    assert ran.stderr.strip().endswith(message)
