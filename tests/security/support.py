"""What the security tests share: FHIR payloads and tokens, and hostile strings."""

from __future__ import annotations

import copy
import json

from screening.engine.questionnaire import QUESTIONNAIRE_VERSION
from screening.fhir.api_auth import api_client_create
from screening.fhir.responses import questionnaire_response
from tests.conftest import VALID_ANSWERS

FHIR_POST_URL = "/fhir/QuestionnaireResponse"
FHIR_JSON = "application/fhir+json"
AUTHORED = "2025-06-15T10:30:00+01:00"
CONTAINED_PATIENT = {
    "resourceType": "Patient",
    "id": "p1",
    "name": [{"given": ["Ann"], "family": "Example"}],
    "birthDate": "1990-04-03",
    "telecom": [{"system": "email", "value": "Ann.Example@example.com"}],
}


def fhir_payload(identifier: str | None = "qr-1", patient: dict | None = None) -> dict:
    """A QuestionnaireResponse for the conftest's valid answers, as an EHR would post it."""
    response = questionnaire_response(VALID_ANSWERS, version=QUESTIONNAIRE_VERSION)
    data = json.loads(response.model_dump_json())
    data["contained"] = [copy.deepcopy(patient or CONTAINED_PATIENT)]
    data["subject"] = {"reference": "#p1"}
    data["authored"] = AUTHORED
    if identifier:
        data["identifier"] = {"system": "urn:practice-ehr:qr", "value": identifier}
    return data


def api_token(name: str = "Practice EHR", scopes: tuple[str, ...] = ("read", "write")) -> str:
    return api_client_create(name=name, scopes=list(scopes))[1]


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


# Script and markup, template syntax, a formula, a right-to-left override, and strings that
# upset parsers: what a hostile patient or EHR might type into any field.
XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{7*7}}",
    "</textarea><b>bold</b>",
    "Ann\u202egpj.exe",
]
HOSTILE_STRINGS = [
    *XSS_PAYLOADS,
    '=HYPERLINK("http://evil.example","x")',
    "@SUM(1+1)",
    "-1+1",
    "+44",
    "\tx",
    "\x00",
    "a\x00b",
    "' OR 1=1 --",
    "../../etc/passwd",
    "%00",
    "%(name)s",
    "{0}",
    "NaN",
    "Infinity",
    "1e309",
    "-0",
    "0x1F",
    "١٢",  # Arabic-Indic digits
    "²",
    "𝟗",
    "\u200b",
    "e\u0301",
    "😀",
    "\r\n",
    " ",
    "",
    "2025-02-30",
    "0000-00-00",
    "9999-12-31",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
]
