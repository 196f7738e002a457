"""Screening engine throughput on one core: evaluations per second.

    .venv/bin/python bench/bench_engine.py            # full run (about 10 s)
    .venv/bin/python bench/bench_engine.py --quick    # CI smoke run (about 1 s)

Target (issue 6): at least 20,000 evaluations per second on one core. The engine is
pure Python with no Django, so this needs no database. The answers mix the worked
examples of clinical.md with larger intakes (every symptom, labs), evaluated in turn,
including validation, as `manage.py screen` and the intake do. Rates are given per second
of wall time and per second of this process's CPU time: on a machine that other work
shares, the second is the engine's own speed.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from screening.engine import contract  # noqa: E402
from screening.engine.rules import RULES_VERSION, screen  # noqa: E402

# The day of screening: after every lab date below (a later lab would be refused).
TODAY = datetime.date(2026, 12, 1)

SMALL = [
    {
        "age_years": 58,
        "medicines": ["metformin"],
        "symptoms": {
            "numbness_tingling": {
                "present": True,
                "severity": 5,
                "duration_weeks": 10,
                "sites": ["feet"],
                "both_sides": True,
            }
        },
    },
    {"age_years": 30, "diet": "vegan", "symptoms": {"fatigue": {"present": True}}},
    {"age_years": 45, "diet": "omnivore", "medicines": [], "conditions": []},
    {"age_years": 40, "red_flags": {"saddle_numbness": True}},
    {
        "age_years": 35,
        "symptoms": {"fatigue": {"present": True, "severity": 5}},
        "labs": [{"test": "total_b12", "value": 250, "unit": "ng/L", "date": "2026-10-01"}],
    },
]
LARGE = {
    "age_years": 77,
    "sex": "female",
    "pregnant": "no",
    "diet": "vegetarian",
    "alcohol_units_per_week": 10,
    "family_history": True,
    "b12_treatment": "none",
    "medicines": ["metformin", "proton_pump_inhibitor", "colchicine"],
    "conditions": ["coeliac_disease", "type1_diabetes", "gastrectomy"],
    "symptoms": {
        code: {"present": True, "severity": 6, "duration_weeks": 20} for code in contract.SYMPTOMS
    },
    "red_flags": {code: False for code in contract.RED_FLAGS},
    "labs": [
        {"test": "total_b12", "value": 150, "unit": "ng/L", "date": "2026-10-01"},
        {"test": "active_b12", "value": 40, "unit": "pmol/L", "date": "2026-10-02"},
        {"test": "haemoglobin", "value": 11.2, "unit": "g/dL", "date": "2026-10-01"},
        {"test": "mcv", "value": 104, "unit": "fL", "date": "2026-10-01"},
    ],
}
MIX = [*SMALL, LARGE]


WORKLOADS = {
    "worked examples (5 small intakes)": SMALL,
    "full intake (every symptom, 4 labs)": [LARGE],
    "mix (5 small + 1 full)": MIX,
}


def run(batch: list[dict], seconds: float) -> tuple[float, float]:
    """Evaluations per second of wall time, and per second of this process's CPU time
    (the second does not drop when other processes share the core)."""
    count = 0
    started, cpu = time.perf_counter(), time.process_time()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for answers in batch:
            screen(answers, today=TODAY)
        count += len(batch)
    return count / (time.perf_counter() - started), count / (time.process_time() - cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run for CI")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    rounds, seconds = (1, 0.3) if args.quick else (5, 1.0)
    load = os.getloadavg()[0]
    print(f"rules_version {RULES_VERSION}; evaluations per second on one core, validation included")
    print(f"{rounds} rounds of {seconds} s each; median (min-max); load average {load:.2f}")
    print(f"  {'':38} {'per wall second':>24}   {'per CPU second':>24}")
    for name, batch in WORKLOADS.items():
        walls, cpus = zip(*(run(batch, seconds) for _ in range(rounds)), strict=True)
        print(
            f"  {name:38} {statistics.median(walls):>9,.0f} ({min(walls):,.0f}-{max(walls):,.0f})"
            f"   {statistics.median(cpus):>9,.0f} ({min(cpus):,.0f}-{max(cpus):,.0f})"
        )


if __name__ == "__main__":
    main()
