"""Check one intake's answers against the answers contract (shared/spec/answers.md).

Pure module: no Django imports, no I/O. `validate_answers` returns every problem it
finds (not just the first), one string per problem, each starting with the key path
it is about, so the form, the API and `manage.py screen` can all show the same lines:

    symptoms.fatigue.severity: must be 0-10
    labs[0].unit: must be one of ng/L, pg/mL, pmol/L for total_b12

An absent key means "not asked / not answered" and is fine unless the key is
required; an unknown key is always a problem, at every level.

A lab value must be less than `contract.LAB_VALUE_MAX` (docs/answers-extensions.md), and a
lab dated after the day of screening (`today`, given by the caller in the clinic's time
zone: this module has no clock) is refused (clinical.md E4: a typing error that would
otherwise hide every earlier result).
"""

from __future__ import annotations

import datetime
import decimal
import math
import re

from screening.engine import contract

LAB_KEYS = ("test", "value", "unit", "date")
# Exactly YYYY-MM-DD with ASCII digits; date.fromisoformat alone also accepts
# other ISO forms such as 20240131.
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The keys a symptom's answer may have: details only where the contract has them.
SYMPTOM_KEYS = {
    name: (
        "present",
        "severity",
        "duration_weeks",
        *(("sites",) if name in contract.SYMPTOM_SITES else ()),
        *(("both_sides",) if name in contract.SYMPTOMS_WITH_BOTH_SIDES else ()),
    )
    for name in contract.SYMPTOMS
}
# The answers that are one of a list of codes, and their codes.
CHOICE_ANSWERS = (
    ("sex", contract.SEXES),
    ("pregnant", contract.PREGNANT_CHOICES),
    ("diet", contract.DIETS),
    ("b12_treatment", contract.B12_TREATMENTS),
)
# A symptom's numeric details, with their lowest and highest values.
SYMPTOM_NUMBERS = (
    ("severity", contract.SEVERITY_MIN, contract.SEVERITY_MAX),
    ("duration_weeks", contract.DURATION_WEEKS_MIN, contract.DURATION_WEEKS_MAX),
)
# The same keys as sets, for the unknown-key checks (most answers have none).
ANSWER_KEY_SET = frozenset(contract.ANSWER_KEYS)
SYMPTOM_SET = frozenset(contract.SYMPTOMS)
SYMPTOM_KEY_SETS = {name: frozenset(keys) for name, keys in SYMPTOM_KEYS.items()}
RED_FLAG_SET = frozenset(contract.RED_FLAGS)
LAB_KEY_SET = frozenset(LAB_KEYS)


class InvalidAnswers(ValueError):
    """Answers that break the contract; `.problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def validate_answers(data: object, *, today: datetime.date, path: str = "") -> list[str]:
    """Return the contract problems in `data`, or an empty list when it is valid.

    `today` is the day of screening: a lab dated after it is a problem (E4). `path`
    prefixes every key path; callers checking one item of a bigger document (the `screen`
    command's list input) pass e.g. "[1]".
    """
    if not isinstance(data, dict):
        return [f"{path or 'answers'}: must be an object"]
    problems: list[str] = []
    _check_unknown_keys(data, ANSWER_KEY_SET, path, problems)
    for key in contract.REQUIRED_ANSWER_KEYS:
        if key not in data:
            problems.append(f"{_join(path, key)}: required")

    if "age_years" in data:
        _check_int(data, "age_years", contract.AGE_MIN, contract.AGE_MAX, path, problems)
    for key, choices in CHOICE_ANSWERS:
        if key in data:
            _check_choice(data, key, choices, path, problems)
    for key in ("breastfeeding", "family_history"):
        if key in data:
            _check_bool(data, key, path, problems)
    if "alcohol_units_per_week" in data:
        _check_int(
            data,
            "alcohol_units_per_week",
            contract.ALCOHOL_MIN,
            contract.ALCOHOL_MAX,
            path,
            problems,
        )
    if "symptoms" in data:
        _check_symptoms(data["symptoms"], _join(path, "symptoms"), problems)
    if "red_flags" in data:
        _check_red_flags(data["red_flags"], _join(path, "red_flags"), problems)
    if "medicines" in data:
        _check_code_list(data, "medicines", contract.MEDICINES, path, problems)
    if "conditions" in data:
        _check_code_list(data, "conditions", contract.CONDITIONS, path, problems)
    if "labs" in data:
        _check_labs(data["labs"], _join(path, "labs"), today, problems)
    return problems


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _check_unknown_keys(
    data: dict[str, object], allowed: frozenset[str], path: str, problems: list[str]
) -> None:
    if data.keys() <= allowed:
        return
    for key in data:
        if key not in allowed:
            problems.append(f"{_join(path, str(key))}: unknown key")


# The checks below take the object and the key of the value they check, and build the
# value's key path only for a problem: most answers are valid, and the engine validates
# every intake it screens (bench/bench_engine.py).


def _check_int(
    data: dict[str, object], key: str, low: int, high: int, path: str, problems: list[str]
) -> None:
    value = data[key]
    # bool is a subclass of int in Python, but `true` is not an age.
    if not isinstance(value, int) or isinstance(value, bool):
        problems.append(f"{_join(path, key)}: must be an integer")
    elif not low <= value <= high:
        problems.append(f"{_join(path, key)}: must be {low}-{high}")


def _check_bool(data: dict[str, object], key: str, path: str, problems: list[str]) -> None:
    if not isinstance(data[key], bool):
        problems.append(f"{_join(path, key)}: must be true or false")


def _check_choice(
    data: dict[str, object], key: str, choices: tuple[str, ...], path: str, problems: list[str]
) -> None:
    value = data[key]
    if not isinstance(value, str) or value not in choices:
        problems.append(f"{_join(path, key)}: must be one of {', '.join(choices)}")


def _check_code_list(
    data: dict[str, object], key: str, codes: tuple[str, ...], path: str, problems: list[str]
) -> None:
    value = data[key]
    if not isinstance(value, list):
        problems.append(f"{_join(path, key)}: must be a list")
        return
    seen: set[str] = set()
    for index, code in enumerate(value):
        if not isinstance(code, str) or code not in codes:
            problems.append(f"{_join(path, key)}[{index}]: must be one of {', '.join(codes)}")
        elif code in seen:
            problems.append(f"{_join(path, key)}[{index}]: duplicate {code}")
        else:
            seen.add(code)


def _check_symptoms(value: object, path: str, problems: list[str]) -> None:
    if not isinstance(value, dict):
        problems.append(f"{path}: must be an object")
        return
    _check_unknown_keys(value, SYMPTOM_SET, path, problems)
    for name in contract.SYMPTOMS:
        if name in value:
            _check_symptom(name, value[name], f"{path}.{name}", problems)


def _check_symptom(name: str, value: object, path: str, problems: list[str]) -> None:
    if not isinstance(value, dict):
        problems.append(f"{path}: must be an object")
        return
    allowed = SYMPTOM_KEYS[name]
    _check_unknown_keys(value, SYMPTOM_KEY_SETS[name], path, problems)

    present = value.get("present")
    if "present" not in value:
        problems.append(f"{path}.present: required")
    elif not isinstance(present, bool):
        problems.append(f"{path}.present: must be true or false")
    if present is not True:
        # Details only describe a symptom the patient has; on an absent one they are
        # contradictory answers, not something to guess about.
        for key in allowed[1:]:  # the details: every key but "present"
            if key in value:
                problems.append(f"{_join(path, key)}: only allowed when present is true")
        return
    for key, low, high in SYMPTOM_NUMBERS:
        number = value.get(key, low)  # absent is fine
        if type(number) is not int or not low <= number <= high:
            _check_int(value, key, low, high, path, problems)  # says what is wrong, if anything
    if "sites" in value and "sites" in allowed:
        _check_code_list(value, "sites", contract.SYMPTOM_SITES[name], path, problems)
    if "both_sides" in value and "both_sides" in allowed:
        _check_bool(value, "both_sides", path, problems)


def _check_red_flags(value: object, path: str, problems: list[str]) -> None:
    if not isinstance(value, dict):
        problems.append(f"{path}: must be an object")
        return
    _check_unknown_keys(value, RED_FLAG_SET, path, problems)
    for name in contract.RED_FLAGS:
        if name in value:
            _check_bool(value, name, path, problems)


def _check_labs(value: object, path: str, today: datetime.date, problems: list[str]) -> None:
    if not isinstance(value, list):
        problems.append(f"{path}: must be a list")
        return
    for index, lab in enumerate(value):
        _check_lab(lab, f"{path}[{index}]", today, problems)


def _check_lab(lab: object, path: str, today: datetime.date, problems: list[str]) -> None:
    if not isinstance(lab, dict):
        problems.append(f"{path}: must be an object")
        return
    if lab.keys() != LAB_KEY_SET:  # a key unknown or missing; most labs have all four
        _check_unknown_keys(lab, LAB_KEY_SET, path, problems)
        for key in LAB_KEYS:
            if key not in lab:
                problems.append(f"{_join(path, key)}: required")

    test = lab.get("test")
    if "test" in lab:
        _check_choice(lab, "test", contract.LAB_TESTS, path, problems)
    # The accepted units depend on the test, so they can only be checked once the
    # test itself is known and valid.
    if "unit" in lab and isinstance(test, str) and test in contract.LAB_UNITS:
        units = contract.LAB_UNITS[test]
        if not isinstance(lab["unit"], str) or lab["unit"] not in units:
            problems.append(f"{_join(path, 'unit')}: must be one of {', '.join(units)} for {test}")
    if "value" in lab:
        number = lab["value"]
        if not isinstance(number, (int, float)) or isinstance(number, bool):
            problems.append(f"{_join(path, 'value')}: must be a number")
        elif not _is_finite(number):
            problems.append(f"{_join(path, 'value')}: must be a finite number")
        elif number < 0:
            problems.append(f"{_join(path, 'value')}: must be 0 or more")
        elif number >= contract.LAB_VALUE_MAX or lab_value_kept(number) >= contract.LAB_VALUE_MAX:
            # 1.5e308 pmol/L would overflow as ng/L: the rules never see such a value.
            problems.append(f"{_join(path, 'value')}: must be less than {contract.LAB_VALUE_MAX:,}")
    if "date" in lab:
        date = _calendar_date(lab["date"])
        if date is None:
            problems.append(f"{_join(path, 'date')}: must be a date as YYYY-MM-DD")
        elif date > today:
            problems.append(
                f"{_join(path, 'date')}: must not be after the day of screening "
                f"({today.isoformat()})"
            )


def _is_finite(number: int | float) -> bool:
    """Not infinite, not NaN, and within a float's range (math.isfinite raises
    OverflowError for an integer beyond it, like 10**400 from a JSON document)."""
    try:
        return math.isfinite(number)
    except OverflowError:
        return False


def _calendar_date(value: object) -> datetime.date | None:
    """The date a lab's `date` names, or None unless it is exactly YYYY-MM-DD."""
    if not isinstance(value, str) or not DATE_PATTERN.fullmatch(value):
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def lab_value_kept(number: int | float) -> decimal.Decimal:
    """The value as it is kept (LabResult.value): LAB_VALUE_DECIMALS places, half to even,
    rounded once from its shortest decimal form. The storage rounds it here before saving:
    SQLite would otherwise round twice on reading it back (to 12 digits, then to 3 places)
    and 999999.9994999999 would come back as 1,000,000.000."""
    places = decimal.Decimal(1).scaleb(-contract.LAB_VALUE_DECIMALS)
    return decimal.Decimal(repr(number)).quantize(places, rounding=decimal.ROUND_HALF_EVEN)
