"""Which of a result's reasons decided its level: what the queue's "top reasons" show.

Pure module: no Django. A result lists every reason (clinical.md A to G), including
symptoms that do not count (B10) and notes for reading results. A clinician scanning the
queue needs the few that made the level what it is (D1-D5): the red flag, the reason that
set `review_soon` (a neurological symptom, pregnancy, nitrous oxide, a deficiency-likely
result), the testing criterion met (A1) and the risk factors and counted symptoms behind
it; for `no_flag`, why the criterion was not met (A2).

This reads the reason codes the engine already writes; it adds no rule and changes no
result, so RULES_VERSION is not involved: stored results of any version are read the same
way. A code the engine stops writing must be removed here too
(tests/screening/engine/test_deciding.py screens every level and checks the outcome).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

A1_MET = "criterion.a1_met"
A2_NOT_MET = ("criterion.symptoms_without_risk_factor", "criterion.risk_factors_without_symptoms")
B12_TESTS = ("lab.total_b12.", "lab.active_b12.")
# The level reason that a B12 result decides, by the result's status (D2, D5).
LAB_LEVEL_REASONS = {
    "deficiency_likely": "level.review_soon.deficiency_likely",
    "indeterminate": "level.routine.indeterminate_with_symptom",
}
INDETERMINATE_WITH_SYMPTOM = LAB_LEVEL_REASONS["indeterminate"]


def _rank(code: str, level: str, codes: set[str]) -> int | None:
    """Where a reason comes among those that decided `level` (lower first), or None."""
    if code.startswith("red_flag."):
        return 0 if level == "urgent" else None
    if code.startswith("level."):
        return 1
    if code == A1_MET:
        return 2
    if code.startswith(B12_TESTS):
        status = code.rsplit(".", 1)[-1]
        return 3 if LAB_LEVEL_REASONS.get(status) in codes else None
    if code.startswith("risk."):
        return 4 if A1_MET in codes else None
    counted_symptom = code.startswith("symptom.") and not code.endswith(".not_counted")
    if counted_symptom or code.startswith("sign."):
        return 5 if A1_MET in codes or INDETERMINATE_WITH_SYMPTOM in codes else None
    if code in A2_NOT_MET:
        return 6 if level == "no_flag" else None
    return None


def deciding_reasons(
    reasons: Sequence[Mapping[str, Any]], *, level: str
) -> list[Mapping[str, Any]]:
    """The reasons of a result with this `level` that decided it, most decisive first
    (in the result's own order within each kind). Never a symptom that does not count
    (B10) or a note. A result whose codes are all unknown here (written by rules this
    module does not know) gives its reasons less those two kinds, rather than nothing."""
    codes = {reason["code"] for reason in reasons}
    ranked = [
        (rank, index, reason)
        for index, reason in enumerate(reasons)
        if (rank := _rank(reason["code"], level, codes)) is not None
    ]
    if not ranked and level != "no_flag":
        return [
            reason
            for reason in reasons
            if not reason["code"].endswith(".not_counted")
            and not reason["code"].startswith("note.")
        ]
    return [reason for _rank_, _index, reason in sorted(ranked, key=lambda item: item[:2])]
