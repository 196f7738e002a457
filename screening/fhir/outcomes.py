"""FHIR errors: every error of the API is an OperationOutcome, never an HTML page.

A light module (one FHIR model and Django's HttpResponse) so that the rate limit
(`screening.web.ratelimit`) can answer a throttled FHIR request in the API's own way
without loading the FHIR mapping or the token authentication.
"""

from __future__ import annotations

from django.http import HttpResponse
from fhir.resources.R4B.operationoutcome import OperationOutcome, OperationOutcomeIssue

FHIR_JSON = "application/fhir+json"

# (issue type code, diagnostics, expression): the expression is a key path, or None.
Issue = tuple[str, str, str | None]


def operation_outcome(issues: list[Issue]) -> OperationOutcome:
    """Errors as an OperationOutcome: each (issue type code, diagnostics, expression)."""
    return OperationOutcome(
        issue=[
            OperationOutcomeIssue(
                severity="error",
                code=code,
                diagnostics=diagnostics,
                expression=[expression] if expression else None,
            )
            for code, diagnostics, expression in issues
        ]
    )


def problem_issue(problem: str, code: str = "invalid") -> Issue:
    """A validation line ("symptoms.fatigue.severity: must be 0-10") as an issue whose
    expression is its key path."""
    path, _sep, _message = problem.partition(": ")
    return code, problem, path or None


def outcome_response(status: int, issues: list[Issue]) -> HttpResponse:
    """An OperationOutcome of `issues` as the response, with the FHIR media type."""
    return HttpResponse(
        operation_outcome(issues).model_dump_json(),
        content_type=FHIR_JSON,
        status=status,
    )
