"""How to store one intake's answer rows: the ORM's bulk_create against plain SQL.

    .venv/bin/python bench/bench_answer_rows.py             # 400 intakes per variant
    .venv/bin/python bench/bench_answer_rows.py --quick     # 40

In-process, production settings, PostgreSQL (a database of its own,
clinic_bench_rows_<pid>, dropped afterwards). The same answers as bench_submit.py's
patients (13 symptoms, two present; 9 red flags; 2 medicines; 2 labs) are stored for
one new submission each, one transaction per submission, by each variant in turn
(round robin, so a busy machine slows each alike):

- orm: a bulk_create per table (what `answer_rows.answer_rows_create` did up to commit
  c322594: on PostgreSQL Django sends one `INSERT ... SELECT * FROM UNNEST(...)` per table);
- sql: `answer_rows.answer_rows_create` now: one multi-row `INSERT ... VALUES (...), (...)`
  per table, written by hand, the values prepared by the model fields (`get_db_prep_save`);
- cte: the same INSERTs in one statement (PostgreSQL's data-modifying `WITH`): one
  round trip instead of four.

Reports wall and this process's CPU per submission (the rest is PostgreSQL and the
round trips), and checks each variant stored the same rows.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness  # noqa: E402

DATABASE = f"clinic_bench_rows_{os.getpid()}"


def answers_like_bench(today: datetime.date) -> dict:
    from screening.engine import contract

    lab_day = (today - datetime.timedelta(days=30)).isoformat()
    symptoms = {code: {"present": False} for code in contract.SYMPTOMS}
    symptoms["fatigue"] = {"present": True, "severity": 7, "duration_weeks": 12}
    symptoms["numbness_tingling"] = {
        "present": True,
        "severity": 4,
        "sites": ["hands", "feet"],
        "both_sides": True,
    }
    return {
        "age_years": 35,
        "sex": "female",
        "symptoms": symptoms,
        "red_flags": {code: False for code in contract.RED_FLAGS},
        "diet": "vegan",
        "medicines": ["metformin", "proton_pump_inhibitor"],
        "conditions": [],
        "labs": [
            {"test": "total_b12", "value": 250, "unit": "ng/L", "date": lab_day},
            {"test": "haemoglobin", "value": 12.5, "unit": "g/dL", "date": lab_day},
        ],
    }


def _insert_sql(model, objs: list) -> tuple[str, list]:
    """One multi-row INSERT of `objs` (unsaved instances of `model`), every concrete
    field but the id, each value as the field would save it."""
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    columns = ", ".join(quote(f.column) for f in fields)
    values = ", ".join([row] * len(objs))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES {values}"  # noqa: S608
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in objs for f in fields]
    return sql, params


def _objects(submission, answers: dict) -> list[tuple]:
    from screening.domain import answer_rows

    return answer_rows.answer_row_objects(submission, answers)


def store_orm(submission, answers: dict) -> None:
    for model, objs in _objects(submission, answers):
        model.objects.bulk_create(objs)


def store_cte(submission, answers: dict) -> None:
    from django.db import connection

    parts = [_insert_sql(model, objs) for model, objs in _objects(submission, answers)]
    *first, (last_sql, last_params) = parts
    sql = "WITH " + ", ".join(f"r{i} AS ({s})" for i, (s, _p) in enumerate(first)) + " " + last_sql
    params = [p for _s, ps in parts for p in ps]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--count", type=int)
    args = parser.parse_args()
    count = args.count or (40 if args.quick else 400)
    print(harness.header("bench_answer_rows: an intake's answer rows, ORM or plain SQL"))
    harness.database_create(DATABASE)
    env = harness.app_env(DATABASE)
    harness.app_prepare(env)
    harness.django_setup(env)
    from django.db import transaction
    from django.utils import timezone

    from screening.domain import answer_rows
    from screening.models import Patient, Submission

    answers = answers_like_bench(datetime.date.today())
    patient = Patient.objects.create(
        full_name="Bench Rows", email="rows@example.com", date_of_birth=datetime.date(1990, 4, 3)
    )
    variants = {
        "orm": store_orm,
        "sql": answer_rows.answer_rows_create,
        "cte": store_cte,
    }
    wall = dict.fromkeys(variants, 0.0)
    cpu = dict.fromkeys(variants, 0.0)
    made: dict[str, list[int]] = {name: [] for name in variants}
    for index in range(count + 10):  # the first 10 rounds warm up, not counted
        for name, store in variants.items():
            submission = Submission.objects.create(
                reference=f"R{index:05d}{name}",
                patient=patient,
                questionnaire_version="bench",
                submitted_at=timezone.now(),
                idempotency_key=f"{name}-{index}",
                age_years=35,
            )
            w, c = time.perf_counter(), time.process_time()
            with transaction.atomic():
                store(submission, answers)
            if index >= 10:
                wall[name] += time.perf_counter() - w
                cpu[name] += time.process_time() - c
            made[name].append(submission.pk)
    for name in variants:
        print(
            f"{name}: {wall[name] / count * 1000:.2f} ms wall, "
            f"{cpu[name] / count * 1000:.2f} ms CPU per intake's answer rows"
        )
    same = {name: _stored(made[name][-1]) for name in variants}
    alike = len({repr(rows) for rows in same.values()}) == 1
    print("same rows stored by each variant:", alike)
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    harness.database_drop(DATABASE)
    if not alike:
        raise SystemExit("FAILED: the variants stored different rows")


def _stored(submission_id: int) -> list:
    from screening.models import Submission

    submission = Submission.objects.get(pk=submission_id)
    return [
        list(rows.order_by("pk").values(*fields))
        for rows, fields in (
            (
                submission.symptoms,
                [
                    "code",
                    "present",
                    "severity",
                    "duration_weeks",
                    "sites",
                    "both_sides",
                    "duration_number",
                    "duration_unit",
                ],
            ),
            (submission.red_flags, ["code", "answer"]),
            (submission.medicines, ["code"]),
            (submission.conditions, ["code"]),
            (submission.lab_results, ["test", "value", "unit", "date", "source", "patient_id"]),
        )
    ]


if __name__ == "__main__":
    main()
